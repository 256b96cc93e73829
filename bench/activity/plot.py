"""The activity plots (under docs/images/): appending a day, and rows per second by table."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from bench import figure, machine, stats
from bench.activity import versus
from bench.activity.reps import Rep
from bench.activity.sizes import ACTIVITY, DEFAULT_SIZES, IDENTITY, TABLES, Size
from bench.report import Section

IMAGES = machine.PROJECT / "docs" / "images"
PLOT = "bench-activity"
RATES = "bench-rows-per-second"


def _path(stem: str, results: Sequence[tuple[Size, Section, list[Rep]]]) -> Path:
    """``docs/images/<stem>.png`` for the default workloads (the plots the docs show), else
    ``<stem>-<names>.png`` (``--workloads L`` writes ``bench-activity-L.png``)."""
    names = ",".join(size.name for size, _, _ in results)
    suffix = "" if names == DEFAULT_SIZES else "-" + names.replace(",", "")
    return IMAGES / f"{stem}{suffix}.png"


def plot(results: Sequence[tuple[Size, Section, list[Rep]]]) -> Path:
    """Panel 1: wall of appending one day vs the day appended, per size; panel 2: rows per
    table of the largest size's `seed up`."""
    lines = []
    for size, _, reps in results:
        days = sorted({day for r in reps for day in r.appends})
        lines.append(
            figure.Line(
                label=size.label,
                walls={
                    day: [r.appends[day].seconds for r in reps if day in r.appends] for day in days
                },
                rows={day: stats.median(r.day_rows(day) for r in reps) for day in days},
            )
        )
    size, _, reps = max(results, key=lambda x: x[0].users * x[0].days)
    counts = {t: stats.median(r.counts[t] for r in reps) for t in TABLES}
    reference = None
    if size.append_ratio_target is not None:
        d2 = stats.median(r.appends[2].seconds for r in reps)
        reference = (
            size.append_ratio_target * d2,
            f"target: {size.append_ratio_target:g} × day 2 ({size.name})",
        )
    path = _path(PLOT, results)
    figure.activity(
        path,
        title=f"seed-assets activity benchmark — {_stamp()}",
        lines=lines,
        reference=reference,
        bars_title=f"rows per table after `seed up`, {size.label} (median)",
        bars=counts,
        groups={**dict.fromkeys(IDENTITY, "identity"), **dict.fromkeys(ACTIVITY, "activity")},
    )
    return path


def _stamp() -> str:
    return (
        f"{machine.utc_now():%Y-%m-%d %H:%M} UTC — commit {machine.git_commit()} — "
        f"{machine.machine().describe()}"
    )


def rates(results: Sequence[tuple[Size, Section, list[Rep]]]) -> Path:
    """Rows per second by table (median): seed-assets at each size, and the peer where it ran
    (the first size it ran at), with ours / peer at that size: the median of the per-repetition
    ratios, as in the peer section's table (never a ratio of two medians)."""
    series = {
        f"seed-assets, {size.label}": _medians([versus.ours(r) for r in reps])
        for size, _, reps in results
    }
    peer: str | None = None
    ratios: dict[str, float] = {}
    compared = [(size, reps) for size, _, reps in results if any(r.peer for r in reps)]
    if compared:
        size, reps = compared[0]
        pairs = [(versus.ours(r), versus.peer(r.peer)) for r in reps if r.peer is not None]
        peer = f"peer: Faker + executemany, {size.label}"
        series[peer] = _medians([b for _, b in pairs])
        ratios = _medians([{k: stats.ratio(a[k], v) for k, v in b.items()} for a, b in pairs])
    path = _path(RATES, results)
    figure.rates(
        path,
        title=f"rows per second by table — {_stamp()}",
        labels=versus.LABELS,
        series=series,
        peer=peer,
        ratios=ratios,
        footnote="Identity tables: each table's asset step in `seed up` (generation and load). "
        "seed-assets' likes and activity step: rows over the whole activity step (six tables "
        "simulated together). End to end: all rows over the whole process. seed-assets builds "
        "indexes and foreign keys once after the load (end to end only); the peer maintains "
        "them per row.",
    )
    return path


def _medians(rows: Sequence[dict[str, float]]) -> dict[str, float]:
    keys = {k for row in rows for k in row}
    return {k: stats.median(row.get(k, math.nan) for row in rows) for k in keys}
