"""The body every seeded asset shares: generate partitions, write them, report metadata."""

from __future__ import annotations

import datetime as dt
import queue
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import dagster as dg
import polars as pl
import psycopg

from seed_assets import database, ddl, guard, runs, versions
from seed_assets.config import SeedParams
from seed_assets.defs.resources import PostgresResource
from seed_assets.load import Encoded, Provenance, Writer, WriteResult, pipelined_writer
from seed_assets.partitions import Partition
from seed_assets.progress import Progress

# One unit of work: a partition and a function producing {table: frame} for it (or the frame
# already encoded).
Rows = pl.DataFrame | Encoded
Work = tuple[Partition, Callable[[], Mapping[str, Rows]]]


def provenance(params: SeedParams, tables: Sequence[str]) -> Provenance:
    """The manifest's provenance of ``tables`` written together (one tier: one code version)."""
    return Provenance(params.run_seed, params.fingerprint(), versions.tables_version(tables))


def write_partitions(
    tables: Sequence[str],
    params: SeedParams,
    db: PostgresResource,
    progress: Progress,
    work: Iterable[Work],
) -> dict[str, dg.MaterializeResult]:
    """Generate each unit of work and write its frames, one transaction per (table, partition).

    Generation of the next unit overlaps the loads of the previous ones (pipelined writer).
    """
    items = list(work)

    def produce(_: Writer) -> Iterator[tuple[str, Partition, Rows]]:
        for part, make_frames in items:
            frames = make_frames()
            for table in tables:
                yield table, part, frames[table]

    results = write(tables, params, db, progress, [p for p, _ in items], produce)
    return {r.asset_key.to_user_string(): r for r in results if r.asset_key}


def write_tables(
    tables: Sequence[str],
    params: SeedParams,
    db: PostgresResource,
    progress: Progress,
    parts: Sequence[Partition],
    make: Callable[[str, Partition], Rows],
) -> Iterator[dg.MaterializeResult]:
    """Several tables over the same partitions, table by table in the given order (dependencies
    first), every partition one transaction, all on one pipelined writer: a table's loads
    overlap the generation of the next. Without a bulk load the tables have their foreign keys,
    so a table's partitions are committed before the next table's are written."""

    def produce(writer: Writer) -> Iterator[tuple[str, Partition, Rows]]:
        for table in tables:
            if not db.bulk_load:
                writer.drain()
            for part in parts:
                yield table, part, make(table, part)

    return write(tables, params, db, progress, parts, produce)


def write(
    tables: Sequence[str],
    params: SeedParams,
    db: PostgresResource,
    progress: Progress,
    parts: Sequence[Partition],
    produce: Callable[[Writer], Iterator[tuple[str, Partition, Rows]]],
) -> Iterator[dg.MaterializeResult]:
    """Write what ``produce`` generates, ``parts`` of each of ``tables``, on a pipelined writer;
    yield each table's result as soon as its last partition is committed (and those of the
    tables before it in ``tables``), while the writers go on with the others: Dagster records
    one table while the next loads.

    A table's ``seconds`` and ``generate_seconds`` are the step's wall and generation until
    then; ``write_seconds`` are its own transactions'.
    """
    started = time.perf_counter()
    url = db.resolved_url()
    run = _launched_by_dagster()
    days = sorted(p.lo for p in parts if isinstance(p.lo, dt.date))
    span = (days[0], days[-1]) if days else None
    with database.connection(url, autocommit=True) as conn:
        guard.ensure_writable(conn, url, f"writing {', '.join(tables)}")
        _check_schema(conn, tables)
        ddl.ensure_schema(conn, bare=db.bulk_load)
        if run:
            runs.record_step(conn, run[0], run[1], params, span, None)
    for table in tables:
        progress.start(table, len(parts))
    by_table: dict[str, list[WriteResult]] = defaultdict(list)
    lock = threading.Lock()
    finished: queue.SimpleQueue[str] = queue.SimpleQueue()

    def on_done(result: WriteResult) -> None:  # on a writer's thread, once committed
        progress.advance(result.table, result.rows)
        with lock:
            by_table[result.table].append(result)
            last = len(by_table[result.table]) == len(parts)
        if last:
            progress.finish(result.table)  # its keys may be built now
            finished.put(result.table)

    generate_s = 0.0
    complete: set[str] = set()
    pending = list(tables)  # results go out in this order: Dagster wants dependencies first

    def ready() -> Iterator[dg.MaterializeResult]:
        while not finished.empty():
            complete.add(finished.get())
        while pending and (pending[0] in complete or not parts):
            table = pending.pop(0)
            seconds = time.perf_counter() - started
            yield _result(table, by_table[table], seconds, generate_s, params)

    prov = provenance(params, tables)
    with pipelined_writer(url, prov, on_done=on_done, bulk=db.bulk_load) as writer:
        units = produce(writer)
        while True:
            t0 = time.perf_counter()
            unit = next(units, None)
            generate_s += time.perf_counter() - t0
            if unit is None:
                break
            writer.submit(*unit)
            yield from ready()
        writer.drain()
    if run:
        counts = {t: sum(r.rows for r in by_table[t]) for t in tables}
        with database.connection(url, autocommit=True) as conn:
            runs.record_step(conn, run[0], run[1], params, span, counts)
    if not parts:
        for table in tables:
            progress.finish(table)
    yield from ready()


_schema_checked: set[str] = set()  # Dagster runs whose schema check passed (this process)
_schema_lock = threading.Lock()


def _check_schema(conn: psycopg.Connection, tables: Sequence[str]) -> None:
    """Compare the live schema with the expected one (``drift.check``) before a run's first
    write, once per run: a run launched from the UI, a schedule or a script. The `seed` CLI
    compares it itself before it launches a run."""
    from seed_assets import drift

    try:
        context = dg.AssetExecutionContext.get()
    except Exception:
        context = None
    if context is not None and "seed/command" in context.run.tags:
        return
    run_id = context.run.run_id if context is not None else None
    with _schema_lock:
        if run_id is not None and run_id in _schema_checked:
            return
    try:
        drift.check(conn, f"writing {', '.join(tables)}")
    except drift.SchemaDrift as exc:
        raise dg.Failure(description=str(exc)) from exc
    if run_id is not None:
        with _schema_lock:
            _schema_checked.add(run_id)


def _launched_by_dagster() -> tuple[str, str] | None:
    """(run id, command) of the Dagster run this step belongs to, unless the `seed` CLI launched
    it (the CLI records its own runs in seed_runs) or there is no run (a direct call)."""
    try:
        context = dg.AssetExecutionContext.get()
    except Exception:
        return None
    if "seed/command" in context.run.tags:
        return None
    return context.run.run_id, f"dagster {context.run.job_name}"


def _result(
    table: str, results: list[WriteResult], seconds: float, generate_s: float, params: SeedParams
) -> dg.MaterializeResult:
    rows = sum(r.rows for r in results)
    metadata: dict[str, Any] = {
        "rows": dg.MetadataValue.int(rows),
        "partitions": dg.MetadataValue.int(len(results)),
        "seconds": dg.MetadataValue.float(round(seconds, 3)),
        "write_seconds": dg.MetadataValue.float(round(sum(r.seconds for r in results), 3)),
        "generate_seconds": dg.MetadataValue.float(round(generate_s, 3)),
        "rows_per_second": dg.MetadataValue.int(int(rows / seconds) if seconds else 0),
        "run_seed": params.run_seed,
        "params_fingerprint": params.fingerprint(),
    }
    if len(results) == 1:
        metadata["dagster/row_count"] = dg.MetadataValue.int(rows)
        metadata["digest"] = results[0].digest
    return dg.MaterializeResult(asset_key=table, metadata=metadata)


def write_table(
    table: str,
    params: SeedParams,
    db: PostgresResource,
    progress: Progress,
    work: Iterable[tuple[Partition, Callable[[], Rows]]],
) -> dg.MaterializeResult:
    """One table's partitions (the catalog assets)."""
    units: list[Work] = [(part, lambda make=make: {table: make()}) for part, make in work]
    return write_partitions([table], params, db, progress, units)[table]
