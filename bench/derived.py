"""``derived``: ``seed jobs`` on databases of 25k, 50k and 100k users × 30 days (each seeded in
the same repetition, untimed, by ``seed up --skip-jobs``); growth is judged by the ratio of the
largest to the smallest size's time against the ratio of their populations."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from bench import pg, seedcli, stats
from bench.report import Column, Section, Target
from seed_assets import schema

SIZES = (25_000, 50_000, 100_000)
DAYS = 30
TARGET_S = 60.0
DERIVED = [t.name for t in schema.DERIVED]


def one(
    users: int, days: int, rep: int, log_dir: Path, console: Console
) -> tuple[seedcli.CliRun, int]:
    """Seed ``users`` × ``days`` in a fresh home, then time ``seed jobs`` on it; its rows."""
    with pg.fresh_home("bench-derived-") as home:
        up = ["up", "--users", str(users), "--days", str(days), "--run-seed", "bench"]
        for args, step in (([*up, "--skip-jobs"], "up"), (["jobs"], "jobs")):
            run = seedcli.run_cli(args, home, log_dir / f"{users}-{rep}-{step}.log").checked()
        with pg.attached_server(home / "seed" / "pgdata") as url:
            rows = sum(pg.count_rows(url, DERIVED).values())
    console.print(f"  {users:,} users rep {rep}: seed jobs {run.seconds:.2f} s, {rows:,} rows")
    return run, rows


def run(days: int, repeat: int, console: Console, log_dir: Path) -> list[Section]:
    reps: list[dict[str, float]] = []
    for rep in range(1, repeat + 1):
        row: dict[str, float] = {}
        for users in SIZES:
            jobs, rows = one(users, days, rep, log_dir, console)
            row |= {
                f"s{users}": jobs.seconds,
                f"rows{users}": rows,
                f"rss{users}": jobs.peak_rss_mb,
            }
        row["growth"] = stats.ratio(row[f"s{SIZES[-1]}"], row[f"s{SIZES[0]}"])
        reps.append(row)
    big, small = SIZES[-1], SIZES[0]
    columns = [Column(f"s{u}", f"{u // 1000}k s") for u in SIZES] + [
        Column(f"rows{big}", f"{big // 1000}k rows", ",.0f"),
        Column(f"rss{big}", f"{big // 1000}k peak RSS MB", ",.0f"),
        Column("growth", f"{big // 1000}k s / {small // 1000}k s"),
    ]
    section = Section(
        f"derived — `seed jobs` at {', '.join(f'{u:,}' for u in SIZES)} users × {days} days "
        f"× {repeat}",
        columns,
        reps,
    )
    med = section.medians
    section.targets = [
        Target(
            f"derived tier for {big:,} users × {days} days under {TARGET_S:.0f} s",
            f"median {med[f's{big}']:.2f} s",
            med[f"s{big}"] < TARGET_S,
        ),
        Target(
            "cost grows no faster than linearly in users",
            f"median time ratio {med['growth']:.2f} for a population ratio of {big / small:.0f}",
            med["growth"] <= big / small,
        ),
    ]
    return [section]
