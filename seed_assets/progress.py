"""Write listeners: told when a table starts, as each partition is committed, and when the table
is written. The CLI passes its progress bars and the bulk finisher, Dagster a no-op."""

from __future__ import annotations

from collections.abc import Callable


class Progress:
    """Receives progress from long work. The base class ignores it."""

    def start(self, task: str, total: int) -> None:
        """``task`` will advance ``total`` units (partitions)."""

    def advance(self, task: str, rows: int) -> None:
        """One unit of ``task`` finished, having written ``rows`` rows."""

    def finish(self, task: str) -> None:
        """``task`` is done."""


class Listeners(Progress):
    """Several listeners told the same things, in the order given (a progress bar, and what
    starts once a table is written)."""

    def __init__(self, *listeners: Progress) -> None:
        self._listeners = listeners

    def start(self, task: str, total: int) -> None:
        for listener in self._listeners:
            listener.start(task, total)

    def advance(self, task: str, rows: int) -> None:
        for listener in self._listeners:
            listener.advance(task, rows)

    def finish(self, task: str) -> None:
        for listener in self._listeners:
            listener.finish(task)


class OnFinish(Progress):
    """Calls ``callback(table)`` once every partition of the table is written."""

    def __init__(self, callback: Callable[[str], None]) -> None:
        self._callback = callback

    def finish(self, task: str) -> None:
        self._callback(task)
