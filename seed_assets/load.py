"""The partition write: lock, delete, bulk load, manifest — one transaction.

Running a write twice equals running it once; a crash leaves the old partition or the new one, never
half of one; two writers of the same partition serialise on a transaction-scoped advisory lock
instead of doubling it (DESIGN.md §4). Rows travel through binary ``COPY ... FROM STDIN``,
encoded with numpy (``binary_copy.py``: no Python per row, except in array columns, which are
encoded value by value) by ``encoded.py``, with the column list taken from the schema. The
pipelined writer that runs these writes on background connections is ``pipeline.py``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import time
from collections.abc import Iterable

import polars as pl
import psycopg
from psycopg import sql
from psycopg.sql import Identifier

from seed_assets.encoded import Encoded, encode_partition
from seed_assets.frames import columns
from seed_assets.partitions import (
    Partition,
    child_table,
    day_bounds_sql,
    is_day_partitioned,
    scope_sql,
)
from seed_assets.schema import seed_manifest


@dataclasses.dataclass(frozen=True)
class Provenance:
    """Where a partition's rows came from; recorded in ``seed_manifest``."""

    run_seed: str
    params_fingerprint: str
    code_version: str


@dataclasses.dataclass(frozen=True)
class WriteResult:
    table: str
    partition: str
    rows: int
    digest: str
    seconds: float


def lock_key(table_name: str, partition_key: str) -> int:
    """A signed 64-bit advisory-lock key for (table, partition), stable across processes."""
    digest = hashlib.blake2b(f"{table_name}\x00{partition_key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def copy_encoded(
    conn: psycopg.Connection, table_name: str, data: Encoded, *, freeze: bool = False
) -> int:
    """Send an encoded partition with binary ``COPY ... FROM STDIN``; return the rows loaded.

    ``freeze``: the table was created or truncated in this transaction, so its rows can be
    written frozen and all-visible — autovacuum will find nothing to do on them later.
    """
    cols = sql.SQL(", ").join(map(Identifier, columns(data.table)))  # (table_name: maybe a day's)
    options = sql.SQL("FORMAT binary, FREEZE" if freeze else "FORMAT binary")
    query = sql.SQL("COPY {} ({}) FROM STDIN ({})").format(Identifier(table_name), cols, options)
    with conn.cursor() as cur:
        with cur.copy(query) as copy:
            for chunk in data.chunks:
                copy.write(chunk)
        return cur.rowcount


def _replace_day_partition(
    conn: psycopg.Connection, table_name: str, part: Partition, data: Encoded
) -> int:
    """Load the day into a fresh table and attach it as the day's partition, replacing the old.

    The new table has no indexes or foreign keys while it loads; ATTACH builds the indexes in
    bulk and validates each foreign key with one query instead of a trigger per row, so a day
    costs the same on a large database as on an empty one, and a rewrite leaves no bloat.
    """
    child = child_table(table_name, part)
    conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(Identifier(child)))
    like = sql.SQL("CREATE TABLE {} (LIKE {} INCLUDING DEFAULTS)")
    conn.execute(like.format(Identifier(child), Identifier(table_name)))
    rows = copy_encoded(conn, child, data, freeze=True)
    conn.execute(sql.SQL("ANALYZE {}").format(Identifier(child)))  # now, not by autovacuum later
    conn.execute(
        f'ALTER TABLE "{table_name}" ATTACH PARTITION "{child}" {day_bounds_sql(part)}'  # type: ignore[arg-type]
    )
    return rows


def _fill_day_partition(
    conn: psycopg.Connection, table_name: str, part: Partition, data: Encoded
) -> int:
    child = child_table(table_name, part)
    conn.execute(
        f'CREATE TABLE IF NOT EXISTS "{child}" PARTITION OF "{table_name}" {day_bounds_sql(part)}'  # type: ignore[arg-type]
    )
    conn.execute(sql.SQL("TRUNCATE {}").format(Identifier(child)))
    rows = copy_encoded(conn, child, data, freeze=True)
    conn.execute(sql.SQL("ANALYZE {}").format(Identifier(child)))  # now, not by autovacuum later
    return rows


def write_partition(
    conn: psycopg.Connection,
    table_name: str,
    part: Partition,
    rows: pl.DataFrame | Encoded,
    provenance: Provenance,
    bulk: bool = False,
) -> WriteResult:
    """Replace one partition of one table with ``rows``, atomically and idempotently.

    ``rows`` is a frame, or the same frame already encoded (``encode_partition``): the bytes
    sent and the digest recorded are the same either way.
    ``bulk``: the tables are bare (a first load), so a day partition is created in place and
    filled, with no indexes or foreign keys to attach, and a partition never written before is
    not searched for rows to delete.
    """
    started = time.perf_counter()
    data = rows if isinstance(rows, Encoded) else encode_partition(table_name, part, rows)
    if (data.table, data.partition) != (table_name, part.key):
        raise ValueError(f"{data.table}[{data.partition}] offered as {table_name}[{part.key}]")
    where, args = scope_sql(table_name, part)
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", [lock_key(table_name, part.key)])
        if is_day_partitioned(table_name):
            replace = _fill_day_partition if bulk else _replace_day_partition
            loaded = replace(conn, table_name, part, data)
        else:
            if not (bulk and _never_written(conn, table_name, part.key)):
                conn.execute(f'DELETE FROM "{table_name}" WHERE {where}', args)  # type: ignore[arg-type]
            loaded = copy_encoded(conn, table_name, data)
        # The partition was emptied under the lock and every row sent lies inside its bounds, so
        # it now holds exactly the rows the server counted in.
        if loaded != data.rows:
            raise RuntimeError(f"{table_name}[{part.key}]: sent {data.rows} rows, loaded {loaded}")
        _record_manifest(conn, table_name, part.key, loaded, data.digest, provenance)
    return WriteResult(table_name, part.key, loaded, data.digest, time.perf_counter() - started)


def _never_written(conn: psycopg.Connection, table_name: str, key: str) -> bool:
    """No manifest row for the partition. In a bulk load (the database was empty when it began,
    and every row since came through this function, with its manifest row in the same
    transaction) the partition then holds no rows, and there is nothing to delete: without a
    primary key yet, the DELETE would scan the whole table."""
    row = conn.execute(
        f"SELECT 1 FROM {seed_manifest.name} WHERE table_name = %s AND partition_key = %s",  # type: ignore[arg-type]
        [table_name, key],
    ).fetchone()
    return row is None


def _record_manifest(
    conn: psycopg.Connection, table_name: str, key: str, rows: int, digest: str, prov: Provenance
) -> None:
    conn.execute(
        f"INSERT INTO {seed_manifest.name} (table_name, partition_key, row_count, digest, "  # type: ignore[arg-type]
        "run_seed, params_fingerprint, code_version, written_at) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, now()) "
        "ON CONFLICT (table_name, partition_key) DO UPDATE SET row_count = EXCLUDED.row_count, "
        "digest = EXCLUDED.digest, run_seed = EXCLUDED.run_seed, "
        "params_fingerprint = EXCLUDED.params_fingerprint, "
        "code_version = EXCLUDED.code_version, written_at = EXCLUDED.written_at",
        [table_name, key, rows, digest, prov.run_seed, prov.params_fingerprint, prov.code_version],
    )


def total_rows(results: Iterable[WriteResult]) -> int:
    return sum(r.rows for r in results)
