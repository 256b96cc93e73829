"""The plain bulk load: pre-encoded binary COPY streams sent table after table, nothing else.

This is the upper bound a seeding pipeline is compared with. The frames are generated,
canonicalised (:func:`seed_assets.load.canonical`) and encoded to PostgreSQL's binary COPY format
(:func:`seed_assets.binary_copy.encode`) before the clock starts; what is timed is only the
transfer and the server's insertion, over one connection, in one transaction.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence

import polars as pl
import psycopg

from seed_assets import binary_copy, ddl
from seed_assets.frames import columns
from seed_assets.load import canonical
from seed_assets.schema import metadata


@dataclasses.dataclass(frozen=True)
class Encoded:
    """One table's whole COPY stream (header, row chunks, trailer), held in memory."""

    table: str
    columns: list[str]
    rows: int
    chunks: list[bytes]

    @property
    def nbytes(self) -> int:
        return sum(len(chunk) for chunk in self.chunks)

    def copy_sql(self) -> str:
        cols = ", ".join(f'"{c}"' for c in self.columns)
        return f'COPY "{self.table}" ({cols}) FROM STDIN (FORMAT binary)'


def encode_table(table: str, frame: pl.DataFrame) -> Encoded:
    """Canonicalise ``frame`` for ``table`` and encode it fully to binary COPY bytes."""
    frame = canonical(table, frame)
    if frame.columns != columns(table):
        raise ValueError(f"{table}: canonical frame columns {frame.columns} != schema columns")
    return Encoded(table, columns(table), frame.height, list(binary_copy.encode(frame)))


@dataclasses.dataclass(frozen=True)
class LoadTiming:
    """Seconds of the plain load (COPY of every table + one COMMIT), and of what may follow it."""

    load_s: float
    rows: int
    rows_by_table: dict[str, int]
    constraints_s: float | None = None


def load(conn: psycopg.Connection, streams: Sequence[Encoded]) -> LoadTiming:
    """Time sending ``streams`` with ``COPY ... FROM STDIN (FORMAT binary)``, committing once.

    ``conn`` must not be in autocommit mode and the tables must exist (bare, for a bulk load).
    The row counts are the server's own (the COPY command tag), checked against the streams.
    """
    if conn.autocommit:
        raise ValueError("the raw load runs in one transaction: pass a non-autocommit connection")
    loaded: dict[str, int] = {}
    started = time.perf_counter()
    with conn.cursor() as cur:
        for stream in streams:
            with cur.copy(stream.copy_sql()) as copy:  # type: ignore[arg-type]
                for chunk in stream.chunks:
                    copy.write(chunk)
            loaded[stream.table] = cur.rowcount
    conn.commit()
    seconds = time.perf_counter() - started
    expected = {s.table: s.rows for s in streams}
    if loaded != expected:
        raise RuntimeError(f"COPY loaded {loaded} rows but the streams held {expected}")
    return LoadTiming(seconds, sum(loaded.values()), loaded)


def create_plain_tables(conn: psycopg.Connection, *, keys: bool = True) -> None:
    """The tables a plain bulk load writes into: as the schema declares them, with their primary
    keys (``keys``) but without secondary indexes or foreign keys. (``seed up``'s own bulk mode
    also leaves out the identity and activity keys; the limit keeps them unless asked.)"""
    ddl.ensure_schema(conn, bare=True)
    if keys:
        deferred = [t.name for t in metadata.sorted_tables if ddl.keys_deferred(t.name)]
        for statement in ddl.primary_key_statements(set(), deferred):
            conn.execute(statement)  # type: ignore[arg-type]


def build_constraints(url: str, tables: list[str]) -> float:
    """Time what ``seed up`` does after a bulk load: indexes, foreign keys, then ANALYZE
    (``ddl.finish_bulk_load``, the very function the CLI calls)."""
    started = time.perf_counter()
    ddl.finish_bulk_load(url, tables)
    return time.perf_counter() - started
