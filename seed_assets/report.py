"""Terminal output for the CLI: progress bars and the rows-per-table summary (rich)."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Protocol

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from seed_assets.progress import Progress as ProgressSink


class Timing(Protocol):
    table: str
    rows: int
    seconds: float


class RichProgress(ProgressSink):
    """One bar per table, advanced per partition written (called from the writer thread)."""

    def __init__(self, console: Console) -> None:
        self._bars = Progress(
            TextColumn("{task.description:<16}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("partitions  {task.fields[rows]:>12,} rows"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
            # Redrawing costs the writer threads the GIL: four times a second on a terminal, and
            # only at the end (one final frame) when stderr is a file or a pipe.
            auto_refresh=console.is_terminal,
            refresh_per_second=4,
        )
        self._tasks: dict[str, int] = {}
        self._lock = threading.Lock()

    def __enter__(self) -> RichProgress:
        self._bars.__enter__()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._bars.__exit__(kind, exc, tb)

    def start(self, task: str, total: int) -> None:
        with self._lock:
            self._tasks[task] = self._bars.add_task(task, total=total, rows=0)

    def advance(self, task: str, rows: int) -> None:
        with self._lock:
            task_id = self._tasks[task]
            done = self._bars.tasks[task_id].fields["rows"] + rows
            self._bars.update(task_id, advance=1, rows=done)  # type: ignore[arg-type]

    def finish(self, task: str) -> None:
        with self._lock:
            self._bars.refresh()


def timings_table(
    timings: Sequence[Timing], extra: Sequence[tuple[str, float]], total_seconds: float
) -> Table:
    table = Table(title="seeded", title_justify="left")
    table.add_column("table")
    table.add_column("rows", justify="right")
    table.add_column("seconds", justify="right")
    table.add_column("rows/s", justify="right")
    for t in timings:
        rate = f"{t.rows / t.seconds:,.0f}" if t.seconds else "-"
        table.add_row(t.table, f"{t.rows:,}", f"{t.seconds:.2f}", rate)
    for label, seconds in extra:
        table.add_row(label, "", f"{seconds:.2f}", "")
    rows = sum(t.rows for t in timings)
    table.add_section()
    table.add_row(
        "total (end to end)", f"{rows:,}", f"{total_seconds:.2f}", f"{rows / total_seconds:,.0f}"
    )
    return table


def timings_json(
    command: str,
    timings: Sequence[Timing],
    extra: Sequence[tuple[str, float]],
    total_seconds: float,
    server: Mapping[str, object] | None = None,
) -> dict[str, object]:
    """The summary of ``timings_table`` as data (``--json``), with each asset step's split into
    generation and load seconds where the step reported it, and, for the embedded server, how
    its data directory was made (``cluster``: copied from the template, built, initdb'd or
    existing) and the seconds its start took."""
    summary: dict[str, object] = {
        "command": command,
        "tables": {
            t.table: {
                "rows": t.rows,
                "seconds": round(t.seconds, 3),
                "step": getattr(t, "step", ""),
                "generate_seconds": round(getattr(t, "generate_seconds", 0.0), 3),
                "write_seconds": round(getattr(t, "write_seconds", 0.0), 3),
            }
            for t in timings
        },
        "phases": {label: round(seconds, 3) for label, seconds in extra},
        "rows": sum(t.rows for t in timings),
        "seconds": round(total_seconds, 3),
    }
    if server is not None:
        summary["server"] = dict(server)
    return summary
