"""The activity plots (matplotlib, headless), rendered from recorded JSON into ``docs/images/``.

``bench-activity.png``: the wall of appending one day against the day appended (median line,
every repetition as a dot, rows appended as labels), and rows per table of the largest size.
``bench-rows-per-second.png``: rows per second by table, each size and the peer. Both come from
the newest recorded activity invocation whose sections carry plot data; the default sizes (S,M)
write these names, others add theirs (``--workloads L``: ``bench-activity-L.png``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import stats
from bench.activity.figures import LABELS
from bench.activity.sizes import ACTIVITY, DEFAULT_SIZES, IDENTITY, SIZES
from bench.report import Section

IMAGES = Path(__file__).resolve().parent.parent / "docs" / "images"
GROUP_COLOURS = {"identity": "#4c72b0", "activity": "#dd8452"}
PEER_COLOUR = "#8c8c8c"
CLOSE_DAYS = 3  # appended days this close are labelled side by side


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _medians(rows: Sequence[dict[str, float]]) -> dict[str, float]:
    keys = {k for row in rows for k in row}
    return {k: stats.median(row.get(k, math.nan) for row in rows) for k in keys}


def latest_activity(sections: Sequence[Section]) -> list[Section]:
    """The activity sections of the newest invocation that recorded plot data."""
    with_data = [s for s in sections if s.data and "size" in s.meta]
    if not with_data:
        return []
    when = with_data[-1].meta["when"]
    return [s for s in with_data if s.meta["when"] == when]


def _stamp(section: Section) -> str:
    meta = section.meta
    return f"{meta['when']} — commit {meta['commit']} — {meta['machine']}"


def render(sections: Sequence[Section], images: Path = IMAGES) -> list[Path]:
    """Both plots of the newest activity invocation with data; the paths written."""
    chosen = latest_activity(sections)
    if not chosen:
        return []
    names = ",".join(s.meta["size"] for s in chosen)
    suffix = "" if names == DEFAULT_SIZES else "-" + names.replace(",", "")
    images.mkdir(parents=True, exist_ok=True)
    paths = [images / f"bench-activity{suffix}.png", images / f"bench-rows-per-second{suffix}.png"]
    appends(chosen, paths[0])
    rates(chosen, paths[1])
    return paths


def appends(chosen: Sequence[Section], path: Path) -> None:
    plt = _pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(15, 6.5), width_ratios=[1.1, 1])
    fig.suptitle(f"seed-assets activity benchmark — {_stamp(chosen[0])}", fontsize=10)
    largest = max(chosen, key=lambda s: SIZES[s.meta["size"]].users * SIZES[s.meta["size"]].days)
    _walls(left, chosen, largest)
    _table_rows(plt, right, largest)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _line(left: Any, colour: str, section: Section) -> None:
    """One size's appends: median line, every repetition as a dot, labels of seconds and rows."""
    walls: dict[int, list[float]] = {}
    for rep in section.data:
        for day, seconds in rep["appends"].items():
            walls.setdefault(int(day), []).append(seconds)
    days = sorted(walls)
    medians = [stats.median(walls[d]) for d in days]
    label = SIZES[section.meta["size"]].label
    left.plot(days, medians, marker="o", color=colour, label=f"{label} (median)")
    for j, d in enumerate(days):
        left.scatter([d] * len(walls[d]), walls[d], color=colour, alpha=0.35, s=14)
        rows = stats.median(rep["day_rows"].get(str(d), math.nan) for rep in section.data)
        # neighbouring days (D+1, D+2): labels to the left and right instead of on top
        before = j > 0 and d - days[j - 1] <= CLOSE_DAYS
        after = j + 1 < len(days) and days[j + 1] - d <= CLOSE_DAYS
        offset, align = (
            ((6, "left") if before else (-6, "right")) if before or after else (0, "center")
        )
        text = f"{medians[j]:.2f} s" + ("" if math.isnan(rows) else f"\n{rows:,.0f} rows")
        left.annotate(
            text,
            (d, medians[j]),
            textcoords="offset points",
            xytext=(offset, 8),
            ha=align,
            fontsize=7,
            color=colour,
        )


def _walls(left: Any, chosen: Sequence[Section], largest: Section) -> None:
    """Wall of appending one day against the day appended, per size."""
    for i, section in enumerate(chosen):
        _line(left, f"C{i}", section)
    size = SIZES[largest.meta["size"]]
    if size.append_ratio_target is not None:
        d2 = stats.median(rep["appends"]["2"] for rep in largest.data)
        left.axhline(
            size.append_ratio_target * d2,
            color="grey",
            linestyle="--",
            linewidth=1,
            label=f"target: {size.append_ratio_target:g} × day 2 ({size.name})",
        )
    all_days = sorted({int(d) for s in chosen for rep in s.data for d in rep["appends"]})
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


def _table_rows(plt: Any, right: Any, largest: Section) -> None:
    """Rows per table after the largest size's ``seed up``, log-scale bars."""
    counts = _medians([rep["counts"] for rep in largest.data])
    names = [t for t in (*IDENTITY, *ACTIVITY) if t in counts]
    values = [counts[n] for n in names]
    groups = {**dict.fromkeys(IDENTITY, "identity"), **dict.fromkeys(ACTIVITY, "activity")}
    right.barh(names, values, color=[GROUP_COLOURS[groups[n]] for n in names])
    right.invert_yaxis()
    right.set_xscale("log")
    right.set_xlim(left=max(min(values) / 5, 0.5), right=max(values) * 8)
    for y, v in enumerate(values):
        right.annotate(
            f"{v:,.0f}", (v, y), textcoords="offset points", xytext=(4, 0), va="center", fontsize=8
        )
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in GROUP_COLOURS.values()]
    right.legend(handles, list(GROUP_COLOURS), fontsize=8, loc="lower right")
    right.set_xlabel("rows (log scale)")
    right.set_title(f"rows per table after `seed up`, {SIZES[largest.meta['size']].label} (median)")
    right.grid(axis="x", alpha=0.3)


def _series(
    chosen: Sequence[Section],
) -> tuple[dict[str, dict[str, float]], str | None, dict[str, float]]:
    """Rows/s by label of each size, and of the peer where it ran (the first such size) with
    ours / peer at that size: the median of the per-repetition ratios."""
    series = {
        f"seed-assets, {SIZES[s.meta['size']].label}": _medians([r["rates"] for r in s.data])
        for s in chosen
    }
    peer, ratios = None, {}
    if compared := [s for s in chosen if any(r["peer_rates"] for r in s.data)]:
        reps = [r for r in compared[0].data if r["peer_rates"]]
        peer = f"peer: Faker + executemany, {SIZES[compared[0].meta['size']].label}"
        series[peer] = _medians([r["peer_rates"] for r in reps])
        ratios = _medians(
            [{k: stats.ratio(r["rates"][k], v) for k, v in r["peer_rates"].items()} for r in reps]
        )
    return series, peer, ratios


def rates(chosen: Sequence[Section], path: Path) -> None:
    """Rows/s by table, grouped bars on a log scale; the peer's in grey, with ours / peer."""
    series, peer, ratios = _series(chosen)
    plt = _pyplot()
    height = 0.8 / len(series)
    fig, ax = plt.subplots(figsize=(12, 1.2 + 0.55 * len(LABELS) * max(len(series), 2) / 2))
    fig.suptitle(f"rows per second by table — {_stamp(chosen[0])}", fontsize=10)
    values = [v for s in series.values() for v in s.values() if v > 0]
    for i, (name, rates_) in enumerate(series.items()):
        colour = PEER_COLOUR if name == peer else f"C{i}"
        for y, label in enumerate(LABELS):
            value = rates_.get(label, math.nan)
            if math.isnan(value) or value <= 0:
                continue
            pos = y - 0.4 + height * (i + 0.5)
            ax.barh(pos, value, height=height * 0.9, color=colour, label=name if y == 0 else None)
            ratio = ratios.get(label, math.nan) if name == peer else math.nan
            text = f"{value:,.0f}" + (
                "" if math.isnan(ratio) else f"   ours / peer = {ratio:,.1f}×"
            )
            ax.annotate(
                text,
                (value, pos),
                textcoords="offset points",
                xytext=(4, 0),
                va="center",
                fontsize=7,
            )
    ax.set_yticks(range(len(LABELS)))
    ax.set_yticklabels(LABELS)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlim(left=min(values) / 3, right=max(values) * 100)  # room for labels, legend
    ax.set_xlabel("rows per second (log scale; median of the repetitions)")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(fontsize=8, loc="upper right")
    footnote = (  # what each series' rate is
        "Identity tables: each table's asset step in `seed up` (generation and load). "
        "seed-assets' likes and activity step: rows over the whole activity step (six tables "
        "simulated together). End to end: all rows over the whole process. seed-assets builds "
        "indexes and foreign keys once after the load (end to end only); the peer maintains "
        "them per row."
    )
    fig.text(0.01, 0.01, footnote, fontsize=7, wrap=True, va="bottom")
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    fig.savefig(path, dpi=120)
    plt.close(fig)
