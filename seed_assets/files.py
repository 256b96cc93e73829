"""`seed export` and `seed load`: a seed as files, made without a database, and loaded back.

An export is a directory ``DIR/<table>/<partition>[-<n>].parquet|.csv`` plus ``DIR/manifest.json``
(format, parameters and fingerprint, generator version, and per partition its row count, digest
and files). The rows are the generators' own, in canonical form (``encoded.canonical``), and each
digest is the one a seed run records in ``seed_manifest`` for that partition, so a load can prove
it wrote exactly what was exported. Derived tables are not exported: after a load, ``seed jobs``
computes them from the loaded rows.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import polars as pl
import psycopg

from seed_assets import bulk_finish, database, ddl, guard, partitions, runs
from seed_assets.config import ConfigError, SeedParams
from seed_assets.encoded import canonical, frame_digest
from seed_assets.file_formats import read_files, write_files
from seed_assets.load import WriteResult
from seed_assets.manifest_file import (
    STAGING,
    Entry,
    Manifest,
    check_export,
    read_manifest,
    references_missing,
)
from seed_assets.pipeline import pipelined_writer
from seed_assets.progress import Progress
from seed_assets.units import Unit, work_units

DEFAULT_SHARD_ROWS = 500_000


class LoadFailed(RuntimeError):
    """Loading an export failed part-way; the message is one line (the run is marked failed)."""


@dataclasses.dataclass
class TableTotal:
    """What was exported or loaded for one table."""

    table: str
    rows: int = 0
    seconds: float = 0.0
    partitions: int = 0
    files: int = 0
    bytes: int = 0

    def add(self, entry: Entry, size: int, seconds: float) -> None:
        self.rows, self.seconds = self.rows + entry.rows, self.seconds + seconds
        self.partitions, self.files = self.partitions + 1, self.files + len(entry.files)
        self.bytes += size


def export(
    params: SeedParams,
    out_dir: Path,
    fmt: str = "parquet",
    shard_rows: int = DEFAULT_SHARD_ROWS,
    tables: str | None = None,
    days: int = 0,
    progress: Progress | None = None,
) -> list[TableTotal]:
    """Generate the chosen tables (default: catalog, identity and, with ``days``, activity) into
    files under ``out_dir``. Checks everything before writing; a failed export leaves the
    directory as it was. ``out_dir`` must be missing, empty, or an export of the same format."""
    progress = progress or Progress()
    chosen, previous = check_export(out_dir, fmt, shard_rows, tables, days)
    if days:
        params = partitions.through(params, params.start_date + dt.timedelta(days=days - 1))
    dates = [params.start_date + dt.timedelta(days=day) for day in range(days)]
    units = work_units(params, chosen, days=dates)
    for table in chosen:
        progress.start(table, sum(table in unit.tables for unit in units))
    created, staging = not out_dir.exists(), out_dir / STAGING
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    entries: dict[str, list[Entry]] = {t: [] for t in chosen}
    totals = {t: TableTotal(t) for t in chosen}
    try:
        for table, entry, size, seconds in _write_units(staging, units, fmt, shard_rows):
            entries[table].append(entry)
            totals[table].add(entry, size, seconds)
            progress.advance(table, entry.rows)
        for table in chosen:
            entries[table].sort(key=lambda e: e.partition)
            progress.finish(table)
        manifest = Manifest(fmt, params, params.fingerprint(), days, shard_rows, entries)
        manifest.commit(out_dir, previous)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if created and not any(out_dir.iterdir()):
            out_dir.rmdir()  # a failed export into a new directory leaves nothing behind
    return list(totals.values())


def _write_units(
    staging: Path, units: list[Unit], fmt: str, shard_rows: int
) -> Iterator[tuple[str, Entry, int, float]]:
    """Generate units here while two threads digest and write the previous ones' files."""
    pending: list[Future[tuple[str, Entry, int, float]]] = []
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="seed-export") as pool:
        for unit in units:  # (catalog tables whole, a shard's identity tables, a day's activity)
            frames = unit.make()
            for table in unit.tables:
                while len(pending) >= 8:
                    yield pending.pop(0).result()
                frame = frames[table]
                assert isinstance(frame, pl.DataFrame)  # generated here, not prefetched
                args = (staging, table, unit.part.key, frame, fmt, shard_rows)
                pending.append(pool.submit(_write_partition, *args))
        while pending:
            yield pending.pop(0).result()


def _write_partition(
    staging: Path, table: str, key: str, frame: pl.DataFrame, fmt: str, shard_rows: int
) -> tuple[str, Entry, int, float]:
    started = time.perf_counter()
    frame = canonical(table, frame)
    names, size = write_files(frame, staging, table, key, fmt, shard_rows)
    entry = Entry(key, frame.height, frame_digest(table, frame), names)
    return table, entry, size, time.perf_counter() - started


def load(
    url: str, src_dir: Path, progress: Progress | None = None
) -> tuple[list[TableTotal], float]:
    """Load an export into the database, partition by partition, as a seed run writes them;
    return the totals per table and the seconds spent building indexes and foreign keys.

    On an empty database the tables are created bare, and indexes, foreign keys and statistics
    are built once at the end. Every partition's digest must equal the export's.
    """
    progress = progress or Progress()
    manifest = read_manifest(src_dir)
    tables = list(manifest.tables)
    guard.check_host(url)  # before connecting anywhere
    with database.connection(url, autocommit=True) as conn:
        guard.ensure_writable(conn, url, "seed load")
        from seed_assets import drift

        drift.check(conn, "seed load")  # the live schema as expected, before anything is written
        bulk = ddl.is_empty(conn)
        if bulk and (missing := references_missing(tables)):
            raise ConfigError(
                f"the export lacks {', '.join(missing)}, which its tables refer to; "
                "load it into a seeded database, or export those tables too"
            )
        ddl.ensure_schema(conn, bare=bulk)
        run_id = f"load-{uuid.uuid4()}"
        first = manifest.params.start_date
        span = (first, first + dt.timedelta(days=manifest.days - 1)) if manifest.days else None
        runs.start(conn, run_id, "seed load", manifest.params, span)
    try:
        totals = _write_all(url, src_dir, manifest, bulk, progress)
        started = time.perf_counter()
        if bulk:
            bulk_finish.finish_bulk_load(url, tables)
        finishing = time.perf_counter() - started
    except Exception as exc:
        with database.connection(url, autocommit=True) as conn:
            runs.finish(conn, run_id, "failure", {})
        if isinstance(exc, psycopg.Error):
            raise LoadFailed(str(exc).strip().splitlines()[0]) from exc
        raise
    with database.connection(url, autocommit=True) as conn:
        runs.finish(conn, run_id, "success", {t.table: t.rows for t in totals})
    return totals, finishing


def _write_all(
    url: str, src_dir: Path, manifest: Manifest, bulk: bool, progress: Progress
) -> list[TableTotal]:
    """Read each partition's files and hand them to the pipelined writer, table by table.

    Outside a bulk load the foreign keys are live, so each table is written completely before
    the tables that refer to it start."""
    expected = {(t, e.partition): e for t, entries in manifest.tables.items() for e in entries}

    def verify(result: WriteResult) -> None:
        entry = expected[(result.table, result.partition)]
        if (result.rows, result.digest) != (entry.rows, entry.digest):
            raise LoadFailed(
                f"{result.table}[{result.partition}]: the rows loaded differ from the export "
                f"(digest {result.digest}, the manifest says {entry.digest}); its files were "
                "changed after the export"
            )
        progress.advance(result.table, result.rows)

    with pipelined_writer(url, manifest.provenance(), on_done=verify, bulk=bulk) as writer:
        for table, entries in manifest.tables.items():
            progress.start(table, len(entries))
            for entry in entries:
                frame = _read_partition(src_dir, table, entry, manifest.format)
                writer.submit(table, manifest.partition(table, entry.partition), frame)
            if not bulk:
                writer.drain()
        results = writer.drain()
    totals = {t: TableTotal(t, partitions=len(e)) for t, e in manifest.tables.items()}
    for r in results:
        totals[r.table].rows += r.rows
        totals[r.table].seconds += r.seconds
    for table in totals:
        progress.finish(table)
    return list(totals.values())


def _read_partition(src_dir: Path, table: str, entry: Entry, fmt: str) -> pl.DataFrame:
    try:
        frame = read_files(table, [src_dir / name for name in entry.files], fmt)
    except Exception as exc:  # polars raises many kinds; all mean the file is unreadable
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise LoadFailed(f"cannot read {table}[{entry.partition}] from {src_dir}: {first}") from exc
    if frame.height != entry.rows:
        raise LoadFailed(
            f"{table}[{entry.partition}]: its files hold {frame.height:,} rows, the manifest "
            f"says {entry.rows:,}; the export is incomplete or was changed"
        )
    return frame
