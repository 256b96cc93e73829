"""The activity plot: the wall of appending a day vs the day, and rows per table."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from bench import figure, machine, stats
from bench.activity.reps import Rep
from bench.activity.sizes import ACTIVITY, IDENTITY, TABLES, Size
from bench.report import Section

PLOT = Path(__file__).resolve().parent.parent / "plots" / "activity.png"


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
    stamp = machine.utc_now()
    figure.activity(
        PLOT,
        title=f"seed-assets activity benchmark — {stamp:%Y-%m-%d %H:%M} UTC — commit "
        f"{machine.git_commit()} — {machine.machine().describe()}",
        lines=lines,
        reference=reference,
        bars_title=f"rows per table after `seed up`, {size.label} (median)",
        bars=counts,
        groups={**dict.fromkeys(IDENTITY, "identity"), **dict.fromkeys(ACTIVITY, "activity")},
    )
    return PLOT
