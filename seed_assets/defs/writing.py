"""The body every seeded asset shares: generate partitions, write them, report metadata."""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import dagster as dg
import polars as pl

from seed_assets import GENERATOR_VERSION, database, ddl, guard, runs
from seed_assets.config import SeedParams
from seed_assets.defs.resources import PostgresResource
from seed_assets.load import Encoded, Partition, Provenance, WriteResult, pipelined_writer
from seed_assets.progress import Progress

# One unit of work: a partition and a function producing {table: frame} for it (or the frame
# already encoded).
Rows = pl.DataFrame | Encoded
Work = tuple[Partition, Callable[[], Mapping[str, Rows]]]


def provenance(params: SeedParams) -> Provenance:
    return Provenance(params.run_seed, params.fingerprint(), GENERATOR_VERSION)


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
    started = time.perf_counter()
    url = db.resolved_url()
    run = _launched_by_dagster()
    days = sorted(p.lo for p, _ in items if isinstance(p.lo, dt.date))
    span = (days[0], days[-1]) if days else None
    with database.connection(url, autocommit=True) as conn:
        guard.ensure_writable(conn, url, f"writing {', '.join(tables)}")
        ddl.ensure_schema(conn, bare=db.bulk_load)
        if run:
            runs.record_step(conn, run[0], run[1], params, span, None)
    for table in tables:
        progress.start(table, len(items))
    generate_s = 0.0
    on_done = lambda result: progress.advance(result.table, result.rows)  # noqa: E731
    with pipelined_writer(url, provenance(params), on_done=on_done, bulk=db.bulk_load) as writer:
        for part, make_frames in items:
            t0 = time.perf_counter()
            frames = make_frames()
            generate_s += time.perf_counter() - t0
            for table in tables:
                writer.submit(table, part, frames[table])
        results = writer.drain()
    for table in tables:
        progress.finish(table)
    by_table: dict[str, list[WriteResult]] = defaultdict(list)
    for r in results:
        by_table[r.table].append(r)
    seconds = time.perf_counter() - started
    if run:
        counts = {t: sum(r.rows for r in by_table[t]) for t in tables}
        with database.connection(url, autocommit=True) as conn:
            runs.record_step(conn, run[0], run[1], params, span, counts)
    return {t: _result(t, by_table[t], seconds, generate_s, params) for t in tables}


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
    """One table's partitions (the identity and catalog assets)."""
    units: list[Work] = [(part, lambda make=make: {table: make()}) for part, make in work]
    return write_partitions([table], params, db, progress, units)[table]
