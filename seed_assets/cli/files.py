"""`seed export` and `seed load`: the seed as Parquet or CSV files, and those files bulk-loaded."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from seed_assets import command_lock, database, files, guard
from seed_assets.cli.common import (
    EXIT_RUN,
    err,
    fail,
    guarded,
    main,
)
from seed_assets.cli.options import parse_days, seed_options, seed_params
from seed_assets.config import parse_int
from seed_assets.report import RichProgress, timings_table


@main.command()
@click.option("--out", required=True, help="Directory to write: new, empty, or an earlier export.")
@click.option("--format", "fmt", default="parquet", help="parquet or csv [parquet].")
@click.option(
    "--shard-rows",
    default=str(files.DEFAULT_SHARD_ROWS),
    help=f"Rows per file at most; larger partitions are split [{files.DEFAULT_SHARD_ROWS}].",
)
@click.option("--tables", type=str, help="Comma-separated tables [catalog, identity, activity].")
@seed_options(days_default="0")
@guarded
def export(
    out: str, fmt: str, shard_rows: str, tables: str | None, days: str, **options: Any
) -> None:
    """Write the seed to files, straight from the generators (no database needed).

    Takes the options of `seed up` and writes OUT/<table>/<partition>.<format> (numbered
    <partition>-0000, -0001, ... when a partition has more than --shard-rows rows) and
    OUT/manifest.json with the parameters and every partition's row count and digest. The same
    options give byte-identical files. Activity tables are exported with --days of at least 1;
    derived tables are not exported (`seed jobs` computes them after `seed load`).
    """
    started = time.perf_counter()
    params = seed_params(**options)
    n_days = parse_days(days, allow_zero=True)
    rows = parse_int("shard rows", shard_rows)
    out_dir = Path(out)
    files.check_export(out_dir, fmt, rows, tables, n_days)
    span = f", {n_days} days from {params.start_date}" if n_days else ""
    err.print(
        f"seed export: {params.users:,} users (run seed {params.run_seed!r}{span}) "
        f"to {out_dir} as {fmt}",
        highlight=False,
    )
    with RichProgress(err) as progress:
        totals = files.export(params, out_dir, fmt, rows, tables, n_days, progress)
    Console().print(_export_table(totals, time.perf_counter() - started))


@main.command()
@click.option("--from", "src", required=True, help="An export directory (`seed export --out`).")
@guarded
def load(src: str) -> None:
    """Bulk-load an export made by `seed export` into the database.

    Each partition is written as `seed up` writes it (one transaction, recorded in
    seed_manifest) and its digest must equal the export's. On an empty database the tables are
    loaded bare and indexes, foreign keys and statistics are built once at the end. Afterwards
    `seed extend` and `seed jobs` continue from the export's parameters. Run again after an
    interruption, it completes the load. Waits while another write command runs on this
    database (SEED_LOCK_TIMEOUT, default 600 s).
    """
    started = time.perf_counter()
    src_dir = Path(src)
    manifest = files.read_manifest(src_dir)
    url = database.resolve_url()
    guard.check_host(url)  # before connecting or announcing anything
    err.print(
        f"seed load: {src_dir} ({manifest.format}, {manifest.params.users:,} users, run seed "
        f"{manifest.params.run_seed!r}, {len(manifest.tables)} tables) into {database.redact(url)}",
        highlight=False,
    )
    try:
        # One write command at a time on the database (waits for the one running).
        with command_lock.held(url, "seed load"), RichProgress(err) as progress:
            totals, finishing = files.load(url, src_dir, progress)
    except files.LoadFailed as exc:
        fail(EXIT_RUN, database.redact(str(exc), url))
        return
    extra = [("keys, indexes, foreign keys, ANALYZE", finishing)] if finishing else []
    Console().print(timings_table(totals, extra, time.perf_counter() - started))


def _export_table(totals: Sequence[files.TableTotal], seconds: float) -> Table:
    table = Table(title="exported", title_justify="left")
    for name in ("table", "partitions", "files", "rows", "MB"):
        table.add_column(name, justify="left" if name == "table" else "right")
    for t in totals:
        table.add_row(t.table, f"{t.partitions:,}", f"{t.files:,}", f"{t.rows:,}", _mb(t.bytes))
    table.add_section()
    rows, size = sum(t.rows for t in totals), sum(t.bytes for t in totals)
    label = f"total ({seconds:.2f} s, {rows / seconds:,.0f} rows/s)" if seconds else "total"
    table.add_row(label, "", f"{sum(t.files for t in totals):,}", f"{rows:,}", _mb(size))
    return table


def _mb(size: int) -> str:
    return f"{size / 1e6:,.1f}"
