"""``identity``: ``seed up`` end to end against a plain bulk load of the same frames.

Each repetition measures, back to back:

1. End to end: the real ``seed up --users N --run-seed bench`` as a subprocess in a fresh home
   (no DATABASE_URL, so it initdb's and starts its own embedded PostgreSQL and stops it at exit).
   Wall seconds of the whole subprocess and peak summed RSS of the CLI, its descendants and its
   server. Afterwards the server is started again on the data it left and the catalog and
   identity tables are counted (``SELECT count(*)``); those counts are the rows of the run.
2. The limit: the same frames (catalog + every shard of every identity table, same SeedParams)
   generated in-process, canonicalised and encoded to binary COPY bytes before the clock starts,
   then only their COPY into the schema's tables (primary keys, no secondary indexes or foreign
   keys) of a fresh database, one table after another over one connection, one COMMIT ("raw
   load"). Then, on that same database, what ``seed up`` does after a bulk load: indexes, foreign
   keys and ANALYZE ("raw+idx" = raw load + that). Last, shown and not judged, the same COPY into
   tables without primary keys either ("raw, no keys": ``seed up``'s own bulk tables).

Ratios are end-to-end rows/s over raw-load rows/s of the same repetition.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter
from pathlib import Path

import polars as pl
from rich.console import Console

from bench import pg, rawload, seedcli, stats, tiers
from bench.report import Column, Section, Target
from bench.workload import Workload, positive_int
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


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--users", type=positive_int, default=100_000, help="population size (default 100000)"
    )


def generate(params: SeedParams) -> dict[str, pl.DataFrame]:
    """Every catalog table, and every identity table over all shards, as ``seed up`` makes them."""
    frames = {name: make() for name, make in generators.CATALOG.items()}
    for name, gen in generators.IDENTITY.items():
        bounds = [partitions.shard_ids(params, key) for key in partitions.shard_keys(params)]
        frames[name] = pl.concat([gen(params, lo, hi) for lo, hi in bounds])
    return frames


def end_to_end(params: SeedParams, log: Path) -> tuple[seedcli.CliRun, dict[str, int]]:
    """Step 1: the CLI in a fresh home, then the rows it left, per table."""
    with tempfile.TemporaryDirectory(prefix="bench-identity-", ignore_cleanup_errors=True) as tmp:
        home = Path(tmp).resolve()
        pgdata = home / "seed" / "pgdata"
        try:
            args = [
                "up",
                "--json",
                "--users",
                str(params.users),
                "--run-seed",
                params.run_seed,
                "--skip-jobs",
            ]
            run = seedcli.run_cli(args, home, log)
            if run.returncode != 0:
                raise RuntimeError(f"seed up exited with {run.returncode}; see {log}")
            with pg.attached_server(pgdata) as url:
                counts = pg.count_rows(url, TABLES)
        finally:
            pg.stop_strays(pgdata)
    return run, counts


def raw_load(params: SeedParams) -> tuple[float, rawload.LoadTiming, float, float, str]:
    """Step 2: (generate+encode s, the timed plain load, indexes+FKs+ANALYZE s, the same COPY
    into tables without primary keys s, server)."""
    started = time.perf_counter()
    frames = generate(params)
    streams = [rawload.encode_table(name, frames.pop(name)) for name in TABLES]
    gen_s = time.perf_counter() - started
    with (
        tempfile.TemporaryDirectory(prefix="bench-rawload-", ignore_cleanup_errors=True) as tmp,
        pg.fresh_server(Path(tmp)) as admin_url,
    ):
        url = pg.create_database(admin_url, "bench")
        server = pg.server_version(url)
        with database.connection(url, autocommit=True) as conn:
            rawload.create_plain_tables(conn)
        with database.connection(url) as conn:
            timing = rawload.load(conn, streams)
        constraints_s = rawload.build_constraints(url, [s.table for s in streams])
        bare = pg.create_database(admin_url, "bench_no_keys")
        with database.connection(bare, autocommit=True) as conn:
            rawload.create_plain_tables(conn, keys=False)
        with database.connection(bare) as conn:
            no_keys = rawload.load(conn, streams)
    return gen_s, timing, constraints_s, no_keys.load_s, server


def run(args: argparse.Namespace, console: Console, log_dir: Path) -> Section:
    """``args.repeat`` repetitions of both steps; per-repetition figures, medians, targets."""
    started = time.perf_counter()
    params = SeedParams(run_seed=RUN_SEED, users=args.users)
    reps: list[dict[str, float]] = []
    runs: list[seedcli.CliRun] = []
    mismatches: list[str] = []
    server = "unknown PostgreSQL"
    for i in range(1, args.repeat + 1):
        console.print(f"[bold]identity[/] rep {i}/{args.repeat}: seed up --users {params.users:,}")
        cli, counts = end_to_end(params, log_dir / f"identity-rep{i}-seed-up.log")
        console.print(f"  end to end {cli.seconds:.2f} s; raw load of the same frames")
        gen_s, load, constraints_s, no_keys_s, server = raw_load(params)
        if counts != load.rows_by_table:
            mismatches.append(f"rep {i}: CLI {counts} vs in-process {load.rows_by_table}")
        rows = sum(counts.values())
        e2e_rps = stats.rate(rows, cli.seconds)
        raw_rps = stats.rate(load.rows, load.load_s)
        rawc_rps = stats.rate(load.rows, load.load_s + constraints_s)
        split = tiers.split(cli.summary, cli.seconds)
        seeding_s = split.steps_s + split.index_s
        reps.append(
            {
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
                "steps_s": split.steps_s,
                "idx_s": split.index_s,
                "orch_s": split.orchestration_s,
                "ratio_seed": stats.ratio(load.load_s + constraints_s, seeding_s),
            }
        )
        runs.append(cli)
        console.print(
            f"  raw load {load.load_s:.2f} s (+{constraints_s:.2f} s indexes/FKs/ANALYZE); "
            f"ratio {reps[-1]['ratio']:.2f}; peak RSS {cli.peak_rss_mb:,.0f} MB"
        )
    med = stats.medians(reps, [c.key for c in COLUMNS])
    section = Section(
        title=f"identity — {params.users:,} users × {args.repeat}",
        columns=COLUMNS,
        reps=reps,
        medians=med,
        targets=targets(params.users, med),
        notes=notes(runs, mismatches, med, log_dir),
        server=server,
    )
    section.elapsed_s = time.perf_counter() - started
    return section


def targets(users: int, med: dict[str, float]) -> list[Target]:
    return [
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


def cluster_note(runs: list[seedcli.CliRun]) -> str:
    """How each repetition's embedded data directory was made (the CLI's --json ``server``)."""
    made = [((r.summary or {}).get("server") or {}).get("cluster", "unknown") for r in runs]
    counts = ", ".join(f"{n} {kind}" for kind, n in sorted(Counter(made).items()))
    return (
        f"the CLI's data directory per repetition ({counts}): copied = from the cluster "
        "template a previous run on this machine kept; built = initdb, Dagster's storage and "
        "the template kept, as on a machine's first run; none = initdb alone (SEED_CACHE=none)."
    )


def notes(
    runs: list[seedcli.CliRun], mismatches: list[str], med: dict[str, float], log_dir: Path
) -> list[str]:
    out = [
        "e2e s is the whole `seed up` subprocess: interpreter start, imports, start of its "
        "embedded PostgreSQL in a new data directory (a copy of the machine's cluster template; "
        "on a machine's first run, initdb and the template's making), seeding, "
        "indexes/FKs/ANALYZE, server shutdown at exit.",
        cluster_note(runs),
        "raw load s is only COPY of pre-encoded binary streams + one COMMIT (no generation, "
        "encoding or server start) into the tables as the schema declares them, with their "
        "primary keys, without secondary indexes or foreign keys; raw+idx adds indexes, foreign "
        "keys and ANALYZE on the same database; raw, no keys s is the same COPY into tables "
        "without primary keys either (what `seed up` itself loads into before building them), "
        "shown, not judged; gen+enc s (in-process generation + encoding of the same frames, "
        "untimed in the raw load) is shown for scale.",
        "the e2e split comes from `seed up --json`: steps s is the walls of the asset steps "
        "(generation and bulk COPY, pipelined), idx/FK s the indexes, foreign keys and ANALYZE "
        "after the bare load, orchestration s the rest (interpreter start, imports, initdb, "
        "start and stop of the server, Dagster's runs and event log). steps+idx vs raw+idx is "
        "the rate of the seeding work alone (rows over steps + idx/FK s) against the raw load's "
        "with indexes, as a ratio of rates like e2e/raw; it is shown, not judged.",
        *seedcli.rss_notes(runs),
    ]
    if mismatches:
        out += [f"ROW COUNT MISMATCH {m}" for m in mismatches]
    else:
        out.append(
            f"row counts of the CLI's database equal the in-process frames' in every "
            f"repetition ({med['rows']:,.0f} rows in {len(TABLES)} tables)."
        )
    out.append(f"CLI logs (git-ignored): {seedcli.shown(log_dir)}/")
    return out


WORKLOAD = Workload(
    name="identity",
    help="seed up (catalog + identity) end to end vs a raw binary-COPY load of the same frames",
    add_arguments=add_arguments,
    run=run,
)
