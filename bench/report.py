"""Results as JSON, and their rendering: a rich table on the terminal, ``bench/RESULTS.md``.

Every recorded invocation writes one JSON file per section to ``bench/results/``; RESULTS.md is
rendered from all of them, oldest first (``python -m bench render``). A section holds its columns,
the per-repetition figures, the targets judged on their medians, and the notes the measurement
itself produced (warnings, failed checks); what each figure means is in docs/benchmarks.md.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench import stats

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"
RECORDED = HERE / "results"

HEADER = """# Benchmark results

Rendered by `python -m bench render` from the JSON files of `bench/results/` (one per recorded
section, newest last); do not edit by hand. What each workload does and what each figure means is
in [docs/benchmarks.md](../docs/benchmarks.md). Every figure in a "median" row is the median of the
repetitions above it, and every ratio is computed within one repetition from two measurements
taken back to back, then its median is reported. The machines are small and shared, so absolute
seconds drift by tens of percent between invocations; the same-run ratios are the figures to
compare across sections. Peak RSS sums the resident memory of every process involved, so it is an
upper bound.
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
    """One workload invocation's results; ``data`` holds per-repetition figures for the plots."""

    title: str
    columns: list[Column]
    reps: list[dict[str, float]]
    targets: list[Target] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)
    meta: dict[str, str] = dataclasses.field(default_factory=dict)
    data: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    remarks: str = ""  # Markdown added by hand after the run, shown as is
    medians: dict[str, float] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.medians:  # a new result: the medians of its full-precision figures
            self.medians = stats.medians(self.reps, [c.key for c in self.columns])


def _nan_to_none(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {str(k): _nan_to_none(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_nan_to_none(v) for v in value]
    return value


def dump(section: Section) -> str:
    """The section as JSON (NaN written as null): a line per key, and per item of a list."""

    def line(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False)

    lines = []
    for key, value in _nan_to_none(dataclasses.asdict(section)).items():
        if isinstance(value, list) and value:
            items = ",\n  ".join(line(item) for item in value)
            lines.append(f"{line(key)}: [\n  {items}\n ]")
        else:
            lines.append(f"{line(key)}: {line(value)}")
    return "{\n " + ",\n ".join(lines) + "\n}"


def _floats(row: dict[str, float | None]) -> dict[str, float]:
    return {k: math.nan if v is None else float(v) for k, v in row.items()}


def load(path: Path) -> Section:
    raw = json.loads(path.read_text())
    return Section(
        title=raw["title"],
        columns=[Column(**c) for c in raw["columns"]],
        reps=[_floats(rep) for rep in raw["reps"]],
        targets=[Target(**t) for t in raw["targets"]],
        notes=raw["notes"],
        meta=raw["meta"],
        data=raw["data"],
        remarks=raw["remarks"],
        medians=_floats(raw["medians"]),
    )


def recorded(directory: Path = RECORDED) -> list[Section]:
    """Every recorded section, oldest first (the file names start with the UTC time)."""
    return [load(path) for path in sorted(directory.glob("*.json"))]


def record(sections: Sequence[Section], stamp: str, directory: Path = RECORDED) -> list[Path]:
    """Write the sections of one invocation to ``<directory>/<stamp>-<n>-<name>.json`` (``name``
    from the title: ``activity_s``, ``peer_s``, ``identity``...); return the paths."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, section in enumerate(sections, 1):
        name = re.sub(r"[^a-z0-9]+", "_", section.title.split(" — ")[0].lower()).strip("_")
        path = directory / f"{stamp}-{i}-{name}.json"
        path.write_text(dump(section) + "\n")
        paths.append(path)
    return paths


def show(section: Section, console: Console) -> None:
    """Print the per-repetition table with its median row, the targets and the notes."""
    table = Table(title=section.title, title_justify="left")
    table.add_column("rep", justify="right")
    for col in section.columns:
        table.add_column(col.header, justify="right")
    for i, row in enumerate(section.reps, 1):
        table.add_row(str(i), *(col.show(row.get(col.key, math.nan)) for col in section.columns))
    table.add_section()
    med = section.medians
    table.add_row("median", *(col.show(med[col.key]) for col in section.columns), style="bold")
    console.print(table)
    for target in section.targets:
        colour = "green" if target.passed else "red"
        console.print(f"[bold {colour}]{target.verdict}[/] {target.goal}: {target.measured}")
    for note in section.notes:
        console.print(f"[dim]· {note}[/]", highlight=False)


def markdown(section: Section) -> str:
    """The section as RESULTS.md shows it."""
    cols, med, meta = section.columns, section.medians, section.meta
    headers = ["rep", *(c.header for c in cols)]
    lines = [
        f"## {section.title} — {meta['when']}",
        "",
        f"- machine: {meta['machine']}; {meta['server']} (embedded)",
        f"- commit: `{meta['commit']}`",
        f"- command: `{meta['command']}`",
        f"- harness wall time: {meta['elapsed']}",
        "",
        "| " + " | ".join(headers) + " |",
        "|" + "---:|" * len(headers),
        *(
            "| " + " | ".join([str(i), *(c.show(row.get(c.key, math.nan)) for c in cols)]) + " |"
            for i, row in enumerate(section.reps, 1)
        ),
        "| " + " | ".join(["**median**", *(f"**{c.show(med[c.key])}**" for c in cols)]) + " |",
        "",
        "Targets (judged on the medians):",
        "",
        *(f"- **{t.verdict}** — {t.goal}: {t.measured}" for t in section.targets),
    ]
    if section.notes:
        lines += ["", "Notes:", "", *(f"- {note}" for note in section.notes)]
    if section.remarks:
        lines += ["", section.remarks.rstrip("\n")]
    return "\n".join(lines) + "\n"


def render(sections: Sequence[Section], path: Path = RESULTS) -> None:
    """Write RESULTS.md: the header, then every section."""
    path.write_text("\n".join([HEADER, *(markdown(s) for s in sections)]))
