"""The partition write: lock, delete, bulk load, manifest — one transaction.

Running a write twice equals running it once; a crash leaves the old partition or the new one, never
half of one; two writers of the same partition serialise on a transaction-scoped advisory lock
instead of doubling it (DESIGN.md §4). Rows travel through binary ``COPY ... FROM STDIN``,
encoded with numpy (``binary_copy.py``: no Python per row, except in array columns, which are
encoded value by value), with the column list taken from the schema.
"""

from __future__ import annotations

import dataclasses
import hashlib
import queue
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager

import polars as pl
import psycopg
import sqlalchemy as sa
from psycopg import sql
from psycopg.sql import Identifier

from seed_assets import binary_copy, database
from seed_assets.frames import columns, conform
from seed_assets.partitions import (
    Partition,
    child_table,
    day_bounds_sql,
    is_day_partitioned,
    scope_sql,
)
from seed_assets.schema import seed_manifest
from seed_assets.schema import table as schema_table


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


@dataclasses.dataclass(frozen=True)
class Encoded:
    """One partition's rows, ready to send: canonical, checked against the partition's bounds,
    encoded to binary COPY (header, row chunks, trailer), with the digest of those bytes."""

    table: str
    partition: str
    rows: int
    chunks: list[bytes]
    digest: str

    @property
    def nbytes(self) -> int:
        return sum(len(chunk) for chunk in self.chunks)


def encode_partition(table_name: str, part: Partition, frame: pl.DataFrame) -> Encoded:
    """What ``write_partition`` sends for ``frame``, computed without a database (pure)."""
    frame = canonical(table_name, frame)
    _check_bounds(table_name, part, frame)
    chunks = list(binary_copy.encode(frame))
    digest = hashlib.blake2b(digest_size=16)
    for chunk in chunks:
        digest.update(chunk)
    return Encoded(table_name, part.key, frame.height, chunks, digest.hexdigest())


def lock_key(table_name: str, partition_key: str) -> int:
    """A signed 64-bit advisory-lock key for (table, partition), stable across processes."""
    digest = hashlib.blake2b(f"{table_name}\x00{partition_key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def primary_key(table_name: str) -> list[str]:
    return [c.name for c in schema_table(table_name).primary_key.columns]


def _order_sql(table_name: str) -> str:
    """ORDER BY the primary key in byte order (``COLLATE "C"`` for text), as polars sorts."""
    tbl = schema_table(table_name)
    return ", ".join(
        f'"{c.name}" COLLATE "C"' if isinstance(c.type, sa.Text) else f'"{c.name}"'
        for c in tbl.primary_key.columns
    )


def canonical(table_name: str, frame: pl.DataFrame) -> pl.DataFrame:
    """The frame in the table's column order and dtypes, sorted by primary key."""
    return conform(table_name, frame).sort(primary_key(table_name))


def partition_digest(conn: psycopg.Connection, table_name: str, part: Partition) -> tuple[int, str]:
    """(row count, digest) of a partition as stored, read back in canonical binary form.

    Equal to the digest recorded at write time exactly when the rows are the ones written.
    """
    where, args = scope_sql(table_name, part)
    cols = ", ".join(f'"{c}"' for c in columns(table_name))
    query = (
        f'COPY (SELECT {cols} FROM "{table_name}" WHERE {where} ORDER BY {_order_sql(table_name)}) '
        "TO STDOUT (FORMAT binary)"
    )
    digest = hashlib.blake2b(digest_size=16)
    with conn.cursor() as cur, cur.copy(query, args or None) as copy:  # type: ignore[arg-type]
        for block in copy:
            digest.update(block)
    row = conn.execute(
        f'SELECT count(*) FROM "{table_name}" WHERE {where}',  # type: ignore[arg-type]
        args,
    ).fetchone()
    return int(row[0]) if row else 0, digest.hexdigest()


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


def frame_digest(table_name: str, frame: pl.DataFrame) -> str:
    """The digest ``write_partition`` records for these rows, computed without a database."""
    return encode_partition(table_name, Partition("digest"), frame).digest


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


def _check_bounds(table_name: str, part: Partition, frame: pl.DataFrame) -> None:
    """Refuse, before anything is written, a frame with rows outside the partition's bounds."""
    if part.lo is None or part.hi is None or frame.is_empty():
        return
    key = frame[schema_table(table_name).info["key"]]
    low, high = key.min(), key.max()
    if low < part.lo or high >= part.hi:  # type: ignore[operator]
        raise RuntimeError(
            f"{table_name}[{part.key}]: rows with {key.name} from {low} to {high} lie outside "
            f"the partition's bounds [{part.lo}, {part.hi}); its bounds and the generator disagree"
        )


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


@contextmanager
def pipelined_writer(
    url: str,
    provenance: Provenance,
    connections: int = 2,
    on_done: Callable[[WriteResult], None] | None = None,
    depth: int = 12,
    bulk: bool = False,
) -> Iterator[Writer]:
    """Write partitions on background connections while the caller generates the next ones.

    PostgreSQL's backends insert while this process encodes: even on two cores that overlap is
    worth 1.2-1.5x (DESIGN.md §4). At most ``depth`` frames wait in memory: enough for two
    simulated days of every activity table, so generation rarely waits for the writers.
    """
    pool = queue.SimpleQueue[psycopg.Connection]()
    opened = [database.connect(url) for _ in range(connections)]
    for conn in opened:
        pool.put(conn)
    threads = ThreadPoolExecutor(max_workers=connections, thread_name_prefix="seed-writer")
    writer = Writer(pool, threads, provenance, depth, on_done, bulk)
    try:
        yield writer
        writer.drain()
    finally:
        threads.shutdown(wait=True, cancel_futures=True)
        for conn in opened:
            conn.close()


class Writer:
    """Submits (table, partition, rows) writes to the pipelined writer's connections."""

    def __init__(
        self,
        connections: queue.SimpleQueue[psycopg.Connection],
        threads: ThreadPoolExecutor,
        prov: Provenance,
        depth: int,
        on_done: Callable[[WriteResult], None] | None,
        bulk: bool,
    ) -> None:
        self._connections, self._threads, self._prov = connections, threads, prov
        self._depth, self._on_done, self._bulk = depth, on_done, bulk
        self._pending: list[Future[WriteResult]] = []
        self.results: list[WriteResult] = []

    def _write(self, table_name: str, part: Partition, rows: pl.DataFrame | Encoded) -> WriteResult:
        # Encoded before a connection is taken: the other writer's connection stays busy.
        if not isinstance(rows, Encoded):
            rows = encode_partition(table_name, part, rows)
        conn = self._connections.get()
        try:
            result = write_partition(conn, table_name, part, rows, self._prov, self._bulk)
        finally:
            self._connections.put(conn)
        if self._on_done:
            self._on_done(result)
        return result

    def submit(self, table_name: str, part: Partition, rows: pl.DataFrame | Encoded) -> None:
        while len(self._pending) >= self._depth:
            self.results.append(self._pending.pop(0).result())
        self._pending.append(self._threads.submit(self._write, table_name, part, rows))

    def drain(self) -> list[WriteResult]:
        while self._pending:
            self.results.append(self._pending.pop(0).result())
        return self.results


def total_rows(results: Iterable[WriteResult]) -> int:
    return sum(r.rows for r in results)
