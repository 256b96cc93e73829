"""Progress reporting as a plain object: the CLI passes a rich implementation, Dagster a no-op."""

from __future__ import annotations


class Progress:
    """Receives progress from long work. The base class ignores it."""

    def start(self, task: str, total: int) -> None:
        """``task`` will advance ``total`` units (partitions)."""

    def advance(self, task: str, rows: int) -> None:
        """One unit of ``task`` finished, having written ``rows`` rows."""

    def finish(self, task: str) -> None:
        """``task`` is done."""
