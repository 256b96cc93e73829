"""A workload's result as one :class:`Section`: printed as a rich table, appended as Markdown."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.machine import Machine

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"

HEADER = """# Benchmark results

Appended by `python -m bench <workload> --record` (see `bench/__init__.py`); newest last. Each
section is one invocation on the machine it names. Every repetition starts from nothing (fresh
temporary directories and a fresh embedded PostgreSQL), every figure in a "median" row is the median
of the repetitions above it, and every ratio is computed within one repetition from two
measurements taken back to back, then its median is reported. The machines these run on are small
and shared, so absolute seconds drift by tens of percent between invocations; the same-run ratios
are the figures to compare across sections. Peak RSS sums the resident memory of every process
involved (shared memory is counted once per process that touches it), so it is an upper bound.
"""


@dataclasses.dataclass(frozen=True)
class Column:
    """One per-repetition figure: its key in the rows, its heading and its format spec."""

    key: str
    header: str
    fmt: str = ",.2f"

    def show(self, value: float) -> str:
        return "–" if math.isnan(value) else format(value, self.fmt)


@dataclasses.dataclass(frozen=True)
class Target:
    """A goal checked on the medians, with the figure it was judged on."""

    goal: str
    measured: str
    passed: bool

    @property
    def verdict(self) -> str:
        return "PASS" if self.passed else "FAIL"


@dataclasses.dataclass
class Section:
    """Everything one workload invocation reports."""

    title: str
    columns: list[Column]
    reps: list[dict[str, float]]
    medians: dict[str, float]
    targets: list[Target] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)
    server: str = "unknown PostgreSQL"
    elapsed_s: float = math.nan


def render(section: Section, console: Console) -> None:
    """Print the per-repetition table with its median row, then the targets."""
    table = Table(title=section.title, title_justify="left")
    table.add_column("rep", justify="right")
    for col in section.columns:
        table.add_column(col.header, justify="right")
    for i, row in enumerate(section.reps, 1):
        table.add_row(str(i), *(col.show(row[col.key]) for col in section.columns))
    table.add_section()
    table.add_row(
        "median",
        *(col.show(section.medians[col.key]) for col in section.columns),
        style="bold",
    )
    console.print(table)
    for target in section.targets:
        colour = "green" if target.passed else "red"
        console.print(f"[bold {colour}]{target.verdict}[/] {target.goal}: {target.measured}")
    for note in section.notes:
        console.print(f"[dim]· {note}[/]", highlight=False)


def _md_table(section: Section) -> list[str]:
    headers = ["rep", *(c.header for c in section.columns)]
    lines = ["| " + " | ".join(headers) + " |", "|" + "---:|" * len(headers)]
    for i, row in enumerate(section.reps, 1):
        cells = [str(i), *(c.show(row[c.key]) for c in section.columns)]
        lines.append("| " + " | ".join(cells) + " |")
    cells = ["**median**", *(f"**{c.show(section.medians[c.key])}**" for c in section.columns)]
    lines.append("| " + " | ".join(cells) + " |")
    return lines


def markdown(section: Section, *, when: str, machine: Machine, commit: str, command: str) -> str:
    """The section as it is appended to RESULTS.md."""
    lines = [
        f"## {section.title} — {when}",
        "",
        f"- machine: {machine.describe()}; {section.server} (embedded)",
        f"- commit: `{commit}`",
        f"- command: `{command}`",
        f"- harness wall time: {section.elapsed_s:,.0f} s",
        "",
        *_md_table(section),
        "",
        "Targets (judged on the medians):",
        "",
        *(f"- **{t.verdict}** — {t.goal}: {t.measured}" for t in section.targets),
    ]
    if section.notes:
        lines += ["", "Notes:", "", *(f"- {note}" for note in section.notes)]
    return "\n".join(lines) + "\n"


def append(sections: Sequence[str], path: Path = RESULTS) -> None:
    """Append Markdown sections to RESULTS.md, creating it with its header if needed."""
    text = path.read_text() if path.exists() else HEADER
    for section in sections:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text)
