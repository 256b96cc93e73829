"""``identity``: ``seed up`` of the catalog and identity tiers against a plain bulk load of the
same frames (see docs/benchmarks.md for what each figure means)."""

from __future__ import annotations

import time
from pathlib import Path

import polars as pl
from rich.console import Console

from bench import pg, rawload, seedcli, stats
from bench.report import Column, Section, Target
from seed_assets import database, generators, partitions
from seed_assets.config import SeedParams

RUN_SEED = "bench"
TABLES = [*generators.CATALOG, *generators.IDENTITY]
E2E_TARGET_S = 15.0
RATIO_TARGET = 0.5

COLUMNS = [
    Column("e2e_s", "e2e s"),
    Column("rows", "rows", ",.0f"),
    Column("e2e_rps", "e2e rows/s", ",.0f"),
    Column("raw_s", "raw load s"),
    Column("raw_rps", "raw rows/s", ",.0f"),
    Column("ratio", "e2e/raw", ".2f"),
    Column("rawc_s", "raw+idx s"),
    Column("rawc_rps", "raw+idx rows/s", ",.0f"),
    Column("ratio_c", "e2e/raw+idx", ".2f"),
    Column("nokeys_s", "raw, no keys s"),
    Column("ratio_nokeys", "e2e/raw no keys", ".2f"),
    Column("rss_mb", "peak RSS MB", ",.0f"),
    Column("gen_s", "gen+enc s"),
    Column("steps_s", "e2e: steps s"),
    Column("idx_s", "e2e: idx/FK s"),
    Column("orch_s", "e2e: orchestration s"),
    Column("ratio_seed", "steps+idx vs raw+idx", ".2f"),
]


def generate(params: SeedParams) -> dict[str, pl.DataFrame]:
    """Every catalog table, and every identity table over all shards, as ``seed up`` makes them."""
    frames = {name: make() for name, make in generators.CATALOG.items()}
    for name, gen in generators.IDENTITY.items():
        bounds = [partitions.shard_ids(params, key) for key in partitions.shard_keys(params)]
        frames[name] = pl.concat([gen(params, lo, hi) for lo, hi in bounds])
    return frames


def end_to_end(params: SeedParams, log: Path) -> tuple[seedcli.CliRun, dict[str, int]]:
    """The CLI in a fresh home, then the rows it left, per table."""
    with pg.fresh_home("bench-identity-") as home:
        args = ["up", "--json", "--users", str(params.users), "--run-seed", RUN_SEED]
        run = seedcli.run_cli([*args, "--skip-jobs"], home, log).checked()
        with pg.attached_server(home / "seed" / "pgdata") as url:
            counts = pg.count_rows(url, TABLES)
    return run, counts


def raw_load(params: SeedParams) -> tuple[float, rawload.LoadTiming, float, float, str]:
    """(generate+encode s, the timed plain load, indexes+FKs+ANALYZE s, the same COPY into
    tables without primary keys s, server), on a fresh server made as ``seed up`` makes one."""
    started = time.perf_counter()
    frames = generate(params)
    streams = [rawload.encode_table(name, frames.pop(name)) for name in TABLES]
    gen_s = time.perf_counter() - started
    with (
        pg.fresh_home("bench-rawload-") as home,
        pg.attached_server(home / "seed" / "pgdata") as admin_url,
    ):
        server = pg.server_version(admin_url)
        timings, constraints_s = [], 0.0
        for name, keys in (("bench", True), ("bench_no_keys", False)):
            url = pg.create_database(admin_url, name)
            with database.connection(url, autocommit=True) as conn:
                rawload.create_plain_tables(conn, keys=keys)
            with database.connection(url) as conn:
                timings.append(rawload.load_streams(conn, streams))
            if keys:
                constraints_s = rawload.build_constraints(url, TABLES)
    return gen_s, timings[0], constraints_s, timings[1].load_s, server


def figures(
    cli: seedcli.CliRun,
    rows: int,
    gen_s: float,
    load: rawload.LoadTiming,
    constraints_s: float,
    no_keys_s: float,
) -> dict[str, float]:
    """One repetition's row of the table."""
    e2e_rps = stats.rate(rows, cli.seconds)
    raw_rps = stats.rate(load.rows, load.load_s)
    rawc_rps = stats.rate(load.rows, load.load_s + constraints_s)
    split = seedcli.split(cli.summary, cli.seconds)
    return {
        "e2e_s": cli.seconds,
        "rows": rows,
        "e2e_rps": e2e_rps,
        "raw_s": load.load_s,
        "raw_rps": raw_rps,
        "ratio": stats.ratio(e2e_rps, raw_rps),
        "rawc_s": load.load_s + constraints_s,
        "rawc_rps": rawc_rps,
        "ratio_c": stats.ratio(e2e_rps, rawc_rps),
        "nokeys_s": no_keys_s,
        "ratio_nokeys": stats.ratio(e2e_rps, stats.rate(load.rows, no_keys_s)),
        "rss_mb": cli.peak_rss_mb,
        "gen_s": gen_s,
        "steps_s": split["steps_s"],
        "idx_s": split["index_s"],
        "orch_s": split["orchestration_s"],
        "ratio_seed": stats.ratio(load.load_s + constraints_s, split["steps_s"] + split["index_s"]),
    }


def run(users: int, repeat: int, console: Console, log_dir: Path) -> list[Section]:
    """``repeat`` repetitions of both; the section with its targets."""
    params = SeedParams(run_seed=RUN_SEED, users=users)
    reps, data, notes = [], [], []
    server = "unknown PostgreSQL"
    for i in range(1, repeat + 1):
        console.print(f"[bold]identity[/] rep {i}/{repeat}: seed up --users {users:,}")
        cli, counts = end_to_end(params, log_dir / f"identity-rep{i}-seed-up.log")
        console.print(f"  end to end {cli.seconds:.2f} s; raw load of the same frames")
        gen_s, load, constraints_s, no_keys_s, server = raw_load(params)
        if counts != {t: n for t, (n, _) in load.tables.items()}:
            notes.append(f"ROW COUNT MISMATCH rep {i}: CLI {counts} vs in-process {load.tables}")
        if not cli.saw_server:
            notes.append(f"WARNING rep {i}: the RSS sampler never found the CLI's postmaster")
        reps.append(figures(cli, sum(counts.values()), gen_s, load, constraints_s, no_keys_s))
        data.append({"cluster": ((cli.summary or {}).get("server") or {}).get("cluster")})
        console.print(
            f"  raw load {load.load_s:.2f} s (+{constraints_s:.2f} s indexes/FKs/ANALYZE); "
            f"ratio {reps[-1]['ratio']:.2f}; peak RSS {cli.peak_rss_mb:,.0f} MB"
        )
    section = Section(
        f"identity — {users:,} users × {repeat}",
        COLUMNS,
        reps,
        notes=notes,
        meta={"server": server},
        data=data,
    )
    med = section.medians
    section.targets = [
        Target(
            f"identity for {users:,} users end to end in under {E2E_TARGET_S:g} s",
            f"median {med['e2e_s']:.2f} s",
            med["e2e_s"] < E2E_TARGET_S,
        ),
        Target(
            "end-to-end rows/s at least half of the raw bulk load's",
            f"median ratio {med['ratio']:.2f} (against raw load + indexes/FKs: "
            f"{med['ratio_c']:.2f})",
            med["ratio"] >= RATIO_TARGET,
        ),
    ]
    return [section]
