"""The notes under one size's table: what each figure measured, and the checks' verdict."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from bench import seedcli, stats
from bench.activity.reps import Plan, Rep
from bench.activity.sizes import (
    DERIVED,
    JOB_FLAGS,
    RUN_SEED,
    SKIPS_JOBS,
    TABLES,
    Size,
)


def notes(
    size: Size,
    reps: Sequence[Rep],
    med: dict[str, float],
    problems: list[str],
    plan: Plan,
    args: argparse.Namespace,
    log_dir: Path,
) -> list[str]:
    d = size.days
    n_series = min(args.series_repeat, args.repeat)
    appended = [2, d + 1, d + 2, *([2 * d] if n_series else [])]
    day_rows = {day: stats.median(r.day_rows(day) for r in reps) for day in appended}
    day_rps = {
        day: stats.median(
            stats.rate(r.day_rows(day), r.appends[day].seconds) for r in reps if day in r.appends
        )
        for day in appended
    }
    counts = {t: stats.median(r.counts[t] for r in reps) for t in TABLES}
    derived = {t: stats.median(r.derived[t] for r in reps) for t in DERIVED}
    flags = "".join(f" {f}" for f in JOB_FLAGS)
    tiers = "catalog + identity + activity" + ("" if SKIPS_JOBS else " + derived tables")
    out = [
        f"up s is the whole `seed up --json --users {size.users} --days {d} --run-seed {RUN_SEED}"
        f"{flags}` subprocess in a fresh home: interpreter start, imports, initdb and start of "
        f"its embedded PostgreSQL, {tiers}, indexes/FKs/ANALYZE, server shutdown. rows and "
        f"rows/s count the {len(TABLES)} identity and activity tables (catalog excluded). "
        "Its split, from the call's own `--json` summary: generate s is generation on the asset "
        "steps' threads, load s the load transactions on the two writer connections "
        "(concurrent with generation, so generate + load can exceed the steps' wall), idx/FK s "
        "the indexes, foreign keys and ANALYZE built once after the bare load, and "
        "orchestration s the rest of the wall (interpreter start, imports, initdb, start and "
        "stop of the server, Dagster's runs and event log)."
        + (
            " `--skip-jobs` is given to every `seed up` and `seed extend` (the derived tier is "
            "benchmarked on its own); the derived tables are counted after each to check it."
            if SKIPS_JOBS
            else ""
        ),
        f"day {d + 1} s and day {d + 2} s: `seed extend --days 1{flags}` twice on that "
        f"database; day 2 s: the same on a second fresh database seeded with `seed up --days 1"
        f"{flags}` (its `seed up` took a median {stats.median(r.up1.seconds for r in reps):.2f}"
        " s). Every append wall is a whole CLI subprocess too (interpreter, Dagster import, "
        "start and stop of the server on the existing data, the day's activity and whatever "
        "derived tables `seed extend` recomputes), so it includes a fixed cost.",
        "activity rows appended (seed_manifest, median): "
        + ", ".join(f"day {day} {day_rows[day]:,.0f}" for day in appended)
        + "; append rows/s: "
        + ", ".join(f"day {day} {day_rps[day]:,.0f}" for day in appended)
        + ".",
        "rows per table after `seed up` (median): "
        + ", ".join(f"{t} {counts[t]:,.0f}" for t in TABLES)
        + (
            ""
            if SKIPS_JOBS
            else "; derived tables, which `seed up` also computes but are not in rows: "
            + ", ".join(f"{t} {derived[t]:,.0f}" for t in DERIVED)
        )
        + ".",
    ]
    if plan.fallback:
        out.append(f"WORKAROUND {plan.fallback}")
    if n_series:
        series = [r for r in reps if r.bulk]
        # wall of `seed extend --days k` = fixed + k × per day, from two extends of one database
        early = [(r.bulk[d].seconds - r.appends[2].seconds) / (d - 3) for r in series]
        late = [(r.bulk[2 * d - 1].seconds - r.appends[2 * d].seconds) / (d - 2) for r in series]
        fixed_early = [r.appends[2].seconds - c for r, c in zip(series, early, strict=True)]
        fixed_late = [r.appends[2 * d].seconds - c for r, c in zip(series, late, strict=True)]
        out.append(
            f"series (+{d - 2} d, +{d - 1} d, day {2 * d}: `seed extend --days {d - 2}` to day "
            f"{d}, `--days {d - 1}` to day {2 * d - 1}, `--days 1` to day {2 * d} on the 1-day "
            f"database) ran in the first {n_series} of {args.repeat} repetitions "
            f"(--series-repeat {args.series_repeat})"
            + (": its figures are single measurements, not medians." if n_series == 1 else ".")
            + " Taking a `seed extend --days k` wall as fixed cost + k × cost of a day, the "
            f"marginal cost of a day is (+{d - 2} d s − day 2 s)/{d - 3} = "
            f"{stats.median(early):.2f} s at days 3..{d} and (+{d - 1} d s − day {2 * d} s)/"
            f"{d - 2} = {stats.median(late):.2f} s at days {d + 1}..{2 * d - 1}; the fixed cost "
            f"of one `seed extend` is then about {stats.median(fixed_early):.2f} s (day 2) and "
            f"{stats.median(fixed_late):.2f} s (day {2 * d})."
        )
    else:
        out.append("the day-2D series did not run (--series-repeat 0).")
    ext_rss = stats.median(
        max(run.peak_rss_mb for run in [*r.appends.values(), *r.bulk.values()]) for r in reps
    )
    out.append(f"largest peak RSS of a `seed extend` (median over repetitions): {ext_rss:,.0f} MB.")
    out += seedcli.rss_notes([r.up for r in reps])
    if problems:
        out += [f"CHECK FAILED {p}" for p in problems]
    else:
        out.append(
            f"checks passed in every repetition: the appends added exactly the manifest's rows "
            f"of days {d + 1} and {d + 2}; both databases hold every day from 1 to their last; "
            f"the days the two databases share (1..{d + 2 if n_series else 2}) have identical "
            "row counts and digests per table; rows per table equal across repetitions"
            + (
                "; the derived tables are empty after `seed up` and after the appends."
                if SKIPS_JOBS
                else "."
            )
        )
    out.append(f"CLI logs (git-ignored): {seedcli.shown(log_dir)}/")
    return out
