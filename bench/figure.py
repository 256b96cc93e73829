"""Figures of benchmark results (matplotlib, headless), written under ``docs/images/``."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bench.stats import median

COLOURS = {"identity": "#4c72b0", "activity": "#dd8452"}
PEER_COLOUR = "#8c8c8c"
CLOSE_DAYS = 3  # appended days this close are labelled side by side


@dataclasses.dataclass(frozen=True)
class Line:
    """One workload's appends: day appended -> wall seconds of each repetition, and rows."""

    label: str
    walls: Mapping[int, Sequence[float]]
    rows: Mapping[int, float]


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def activity(
    path: Path,
    *,
    title: str,
    lines: Sequence[Line],
    reference: tuple[float, str] | None,
    bars_title: str,
    bars: Mapping[str, float],
    groups: Mapping[str, str],
) -> None:
    """Two panels: the wall of appending one day against the day appended (median line, every
    repetition as a dot, rows appended as labels), and rows per table as log-scale bars."""
    plt = _pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(15, 6.5), width_ratios=[1.1, 1])
    fig.suptitle(title, fontsize=10)

    for i, line in enumerate(lines):
        colour = f"C{i}"
        days = sorted(line.walls)
        medians = [median(line.walls[d]) for d in days]
        left.plot(days, medians, marker="o", color=colour, label=f"{line.label} (median)")
        for d in days:
            left.scatter([d] * len(line.walls[d]), line.walls[d], color=colour, alpha=0.35, s=14)
        for j, (d, m) in enumerate(zip(days, medians, strict=True)):
            rows = line.rows.get(d, math.nan)
            text = f"{m:.2f} s" + ("" if math.isnan(rows) else f"\n{rows:,.0f} rows")
            # neighbouring days (D+1, D+2): labels to the left and right instead of on top
            before = j > 0 and d - days[j - 1] <= CLOSE_DAYS
            after = j + 1 < len(days) and days[j + 1] - d <= CLOSE_DAYS
            offset, align = (
                ((6, "left") if before else (-6, "right")) if (before or after) else ((0, "center"))
            )
            left.annotate(
                text,
                (d, m),
                textcoords="offset points",
                xytext=(offset, 8),
                ha=align,
                fontsize=7,
                color=colour,
            )
    if reference is not None:
        left.axhline(reference[0], color="grey", linestyle="--", linewidth=1, label=reference[1])
    all_days = sorted({d for line in lines for d in line.walls})
    left.set_xticks(all_days)
    left.set_xticklabels(  # a day next to the previous one gets its label one line lower
        [
            ("\n" if i and d - all_days[i - 1] <= CLOSE_DAYS else "") + str(d)
            for i, d in enumerate(all_days)
        ]
    )
    left.set_ylim(bottom=0)
    left.margins(x=0.08, y=0.2)
    left.set_xlabel("day appended (day 1 = start date)")
    left.set_ylabel("wall s of `seed extend --days 1` (whole CLI process)")
    left.set_title("time to append one day")
    left.grid(alpha=0.3)
    left.legend(fontsize=8, loc="lower right")

    names = list(bars)
    values = [bars[n] for n in names]
    right.barh(names, values, color=[COLOURS.get(groups.get(n, ""), "grey") for n in names])
    right.invert_yaxis()
    right.set_xscale("log")
    right.set_xlim(left=max(min(values) / 5, 0.5), right=max(values) * 8)
    for y, v in enumerate(values):
        right.annotate(
            f"{v:,.0f}", (v, y), textcoords="offset points", xytext=(4, 0), va="center", fontsize=8
        )
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in COLOURS.values()]
    right.legend(handles, list(COLOURS), fontsize=8, loc="lower right")
    right.set_xlabel("rows (log scale)")
    right.set_title(bars_title)
    right.grid(axis="x", alpha=0.3)

    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def rates(
    path: Path,
    *,
    title: str,
    labels: Sequence[str],
    series: Mapping[str, Mapping[str, float]],
    peer: str | None,
    ratios: Mapping[str, float],
    footnote: str,
) -> None:
    """Grouped horizontal bars, log scale: rows per second of each label for each series (a
    missing or NaN value draws no bar); the series named ``peer`` is grey, with ``ratios[label]``
    (ours / peer) written beside its bars."""
    plt = _pyplot()
    names = list(series)
    height = 0.8 / len(names)
    fig, ax = plt.subplots(figsize=(12, 1.2 + 0.55 * len(labels) * max(len(names), 2) / 2))
    fig.suptitle(title, fontsize=10)
    values = [v for s in series.values() for v in s.values() if v > 0]
    for i, name in enumerate(names):
        is_peer = name == peer
        colour = PEER_COLOUR if is_peer else f"C{i}"
        for y, label in enumerate(labels):
            value = series[name].get(label, math.nan)
            if math.isnan(value) or value <= 0:
                continue
            pos = y - 0.4 + height * (i + 0.5)
            ax.barh(pos, value, height=height * 0.9, color=colour, label=name if y == 0 else None)
            text = f"{value:,.0f}"
            ratio = ratios.get(label, math.nan) if is_peer else math.nan
            text += "" if math.isnan(ratio) else f"   ours / peer = {ratio:,.1f}×"
            ax.annotate(
                text,
                (value, pos),
                textcoords="offset points",
                xytext=(4, 0),
                va="center",
                fontsize=7,
            )
    ax.set_yticks(range(len(labels)))
    ax.set_yticklabels(labels)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlim(left=min(values) / 3, right=max(values) * 100)  # room for labels, legend
    ax.set_xlabel("rows per second (log scale; median of the repetitions)")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(fontsize=8, loc="upper right")
    fig.text(0.01, 0.01, footnote, fontsize=7, wrap=True, va="bottom")
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
