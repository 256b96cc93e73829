"""What a Dagster asset step does around the core write path (:mod:`seed_assets.write`): where it
writes and for which run, the schema check once per run, and each written table turned into a
materialization with its metadata. The seeded assets (``seed_assets/defs``) and the derived ones
(``jobs/assets.py``) both write through here."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypedDict

import dagster as dg
import psycopg

from seed_assets import versions, write
from seed_assets.config import SeedParams
from seed_assets.defs.resources import PostgresResource
from seed_assets.frames import column_metadata
from seed_assets.partitions import Partition
from seed_assets.progress import Progress
from seed_assets.schema import table as schema_table
from seed_assets.write import Rows, TableWritten, Work


def write_partitions(
    tables: Sequence[str],
    params: SeedParams,
    db: PostgresResource,
    progress: Progress,
    work: Iterable[Work],
) -> dict[str, dg.MaterializeResult]:
    """:func:`seed_assets.write.write_partitions` in a step."""
    written = write.write_partitions(tables, params, target(db), progress, work)
    return {table: materialization(w, params) for table, w in written.items()}


def write_tables(
    tables: Sequence[str],
    params: SeedParams,
    db: PostgresResource,
    progress: Progress,
    parts: Sequence[Partition],
    make: Callable[[str, Partition], Rows],
) -> Iterator[dg.MaterializeResult]:
    """:func:`seed_assets.write.write_tables` in a step: each table recorded as it completes."""
    for w in write.write_tables(tables, params, target(db), progress, parts, make):
        yield materialization(w, params)


def target(db: PostgresResource) -> write.Target:
    """Where this step writes, the run it records (if any) and its schema check."""
    return write.Target(db.resolved_url(), db.bulk_load, _launched_by_dagster(), _check_schema)


def materialization(written: TableWritten, params: SeedParams) -> dg.MaterializeResult:
    results, seconds = written.results, written.seconds
    rows = written.rows
    metadata: dict[str, Any] = {
        "rows": dg.MetadataValue.int(rows),
        "partitions": dg.MetadataValue.int(len(results)),
        "seconds": dg.MetadataValue.float(round(seconds, 3)),
        "write_seconds": dg.MetadataValue.float(round(sum(r.seconds for r in results), 3)),
        "generate_seconds": dg.MetadataValue.float(round(written.generate_seconds, 3)),
        "rows_per_second": dg.MetadataValue.int(int(rows / seconds) if seconds else 0),
        "run_seed": params.run_seed,
        "params_fingerprint": params.fingerprint(),
    }
    if len(results) == 1:
        metadata["dagster/row_count"] = dg.MetadataValue.int(rows)
        metadata["digest"] = results[0].digest
    return dg.MaterializeResult(asset_key=written.table, metadata=metadata)


def table_metadata(name: str) -> dict[str, object]:
    columns = [
        dg.TableColumn(c["name"], c["type"], description=c["description"])
        for c in column_metadata(name)
    ]
    return {"dagster/column_schema": dg.TableSchema(columns=columns), "dagster/table_name": name}


class TableAssetArgs(TypedDict):
    code_version: str
    kinds: set[str]
    description: str
    metadata: dict[str, object]


def table_asset_args(name: str) -> TableAssetArgs:
    """What every table asset declares: code version (its tier's content digest,
    :mod:`seed_assets.versions`), kind, description and column schema, all derived from the
    schema."""
    return {
        "code_version": versions.code_version(name),
        "kinds": {"postgres"},
        "description": schema_table(name).comment or name,
        "metadata": table_metadata(name),
    }


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
