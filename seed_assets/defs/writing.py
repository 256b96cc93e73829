"""The body every seeded asset shares: generate partitions, write them, report metadata."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

import dagster as dg
import polars as pl

from seed_assets import GENERATOR_VERSION, database, ddl
from seed_assets.config import SeedParams
from seed_assets.defs.resources import PostgresResource
from seed_assets.load import Partition, Provenance, pipelined_writer
from seed_assets.progress import Progress


def provenance(params: SeedParams) -> Provenance:
    return Provenance(params.run_seed, params.fingerprint(), GENERATOR_VERSION)


def write_table(
    context: dg.AssetExecutionContext,
    table_name: str,
    params: SeedParams,
    db: PostgresResource,
    progress: Progress,
    work: Iterable[tuple[Partition, Callable[[], pl.DataFrame]]],
) -> dg.MaterializeResult:
    """Generate and write each (partition, frame factory) in turn; one transaction per partition.

    Generation of the next partition overlaps the load of the previous one (pipelined writer).
    """
    items = list(work)
    started = time.perf_counter()
    url = db.resolved_url()
    with database.connection(url, autocommit=True) as conn:
        ddl.ensure_schema(conn, bare=db.bulk_load)
    progress.start(table_name, len(items))
    generate_s = 0.0
    on_done = lambda result: progress.advance(table_name, result.rows)  # noqa: E731
    with pipelined_writer(url, provenance(params), on_done=on_done) as writer:
        for part, make_frame in items:
            t0 = time.perf_counter()
            frame = make_frame()
            generate_s += time.perf_counter() - t0
            writer.submit(table_name, part, frame)
        results = writer.drain()
    progress.finish(table_name)
    seconds = time.perf_counter() - started
    rows = sum(r.rows for r in results)
    context.log.info(f"{table_name}: {rows:,} rows in {len(results)} partition(s), {seconds:.2f}s")
    metadata: dict[str, object] = {
        "rows": dg.MetadataValue.int(rows),
        "partitions": dg.MetadataValue.int(len(results)),
        "seconds": dg.MetadataValue.float(round(seconds, 3)),
        "generate_seconds": dg.MetadataValue.float(round(generate_s, 3)),
        "rows_per_second": dg.MetadataValue.int(int(rows / seconds) if seconds else 0),
        "run_seed": params.run_seed,
        "params_fingerprint": params.fingerprint(),
    }
    if len(results) == 1:
        metadata["dagster/row_count"] = dg.MetadataValue.int(rows)
        metadata["digest"] = results[0].digest
    return dg.MaterializeResult(metadata=metadata)
