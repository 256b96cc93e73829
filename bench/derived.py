"""Derived tier: `seed jobs` on databases of 25k, 50k and 100k users x 30 days, in one run.

Each size is seeded once per repetition with `seed up --skip-jobs` (not timed), then the whole
derived tier is timed as one `seed jobs` subprocess (interpreter, Dagster, embedded server start
and stop included). Growth is judged by the ratio of the largest to the smallest size's time
against the ratio of their populations: no faster than linear means time ratio <= user ratio.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from rich.console import Console

from bench import pg, seedcli, stats
from bench.report import Column, Section, Target
from bench.workload import Workload, positive_int

SIZES = (25_000, 50_000, 100_000)
DAYS = 30
TARGET_S = 60.0
DERIVED = (
    "match_scores", "compatibility", "interest_relationships", "searchable_users",
    "user_traits", "quiz_stats", "trending",
)  # fmt: skip


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--days", type=positive_int, default=DAYS, help="days of activity")


def _one(users: int, days: int, rep: int, log_dir: Path, console: Console) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="bench-derived-", ignore_cleanup_errors=True) as tmp:
        home = Path(tmp).resolve()
        try:
            up = ["up", "--users", str(users), "--days", str(days), "--run-seed", "bench"]
            seeded = seedcli.run_cli([*up, "--skip-jobs"], home, log_dir / f"{users}-{rep}-up.log")
            if seeded.returncode:
                raise RuntimeError(f"seed up failed: see {seeded.log}")
            jobs = seedcli.run_cli(["jobs"], home, log_dir / f"{users}-{rep}-jobs.log")
            if jobs.returncode:
                raise RuntimeError(f"seed jobs failed: see {jobs.log}")
            with pg.attached_server(home / "seed" / "pgdata") as url:
                rows = pg.count_rows(url, DERIVED)
        finally:
            pg.stop_strays(home / "seed" / "pgdata")
    total = sum(rows.values())
    console.print(f"  {users:,} users rep {rep}: seed jobs {jobs.seconds:.2f} s, {total:,} rows")
    return {"seconds": jobs.seconds, "rows": total, "rss": jobs.peak_rss_mb}


def run(args: argparse.Namespace, console: Console, log_dir: Path) -> Section:
    started = time.perf_counter()
    reps: list[dict[str, float]] = []
    for rep in range(1, args.repeat + 1):
        row: dict[str, float] = {}
        for users in SIZES:
            one = _one(users, args.days, rep, log_dir, console)
            row |= {
                f"s{users}": one["seconds"],
                f"rows{users}": one["rows"],
                f"rss{users}": one["rss"],
            }
        row["growth"] = stats.ratio(row[f"s{SIZES[-1]}"], row[f"s{SIZES[0]}"])
        reps.append(row)
    columns = [Column(f"s{u}", f"{u // 1000}k s") for u in SIZES]
    columns += [Column(f"rows{SIZES[-1]}", f"{SIZES[-1] // 1000}k rows", ",.0f")]
    columns += [Column(f"rss{SIZES[-1]}", f"{SIZES[-1] // 1000}k peak RSS MB", ",.0f")]
    columns += [Column("growth", f"{SIZES[-1] // 1000}k s / {SIZES[0] // 1000}k s")]
    keys = [c.key for c in columns]
    med = stats.medians(reps, keys)
    users_ratio = SIZES[-1] / SIZES[0]
    return Section(
        title=(
            f"derived — `seed jobs` at {', '.join(f'{u:,}' for u in SIZES)} users "
            f"× {args.days} days × {args.repeat}"
        ),
        columns=columns,
        reps=reps,
        medians=med,
        targets=[
            Target(
                f"derived tier for {SIZES[-1]:,} users × {args.days} days under {TARGET_S:.0f} s",
                f"median {med[f's{SIZES[-1]}']:.2f} s",
                med[f"s{SIZES[-1]}"] < TARGET_S,
            ),
            Target(
                "cost grows no faster than linearly in users",
                f"median time ratio {med['growth']:.2f} for a population ratio of "
                f"{users_ratio:.0f}",
                med["growth"] <= users_ratio,
            ),
        ],
        notes=[
            "each time is one whole `seed jobs` subprocess (all seven derived tables) on a "
            "database seeded by `seed up --skip-jobs` in the same repetition (seeding not "
            "timed); it includes interpreter start, Dagster, and the embedded server's start "
            "and stop.",
            f"harness wall time: {time.perf_counter() - started:.0f} s",
        ],
    )


WORKLOAD = Workload("derived", "the derived tier at three population sizes", add_arguments, run)
