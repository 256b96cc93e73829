"""The plain bulk load, each workload's upper bound: ready-made binary COPY bytes, nothing else.

What is timed is only the transfer and the server's insertion, over one connection, in one
transaction: the bytes are made before the clock starts, either by encoding in-process frames
(:func:`encode_table`, the identity workload) or by dumping a seeded database (:func:`raw_limit`,
the activity workload). The indexes, foreign keys and ANALYZE that follow are timed apart, with
the very function ``seed up`` calls after its own bulk load (``bulk_finish.finish_bulk_load``).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import polars as pl
import psycopg
from psycopg import sql

from bench import pg
from seed_assets import binary_copy, bulk_finish, database, ddl, encoded, partitions
from seed_assets.frames import columns
from seed_assets.schema import metadata

CHUNK = 1 << 20


def copy_sql(table: str, direction: str) -> sql.Composed:
    """``COPY`` of the schema's columns of ``table``, binary, ``"in"`` from or ``"out"`` to the
    client."""
    cols = sql.SQL(", ").join(map(sql.Identifier, columns(table)))
    if direction == "out":
        query = "COPY (SELECT {cols} FROM {table}) TO STDOUT (FORMAT binary)"
    else:
        query = "COPY {table} ({cols}) FROM STDIN (FORMAT binary)"
    return sql.SQL(query).format(table=sql.Identifier(table), cols=cols)


@dataclasses.dataclass(frozen=True)
class Encoded:
    """One table's whole COPY stream (header, rows, trailer): in memory, or in a file that is
    read in blocks while it is sent."""

    table: str
    rows: int
    chunks: Sequence[bytes] | Path

    def blocks(self) -> Iterator[bytes]:
        if isinstance(self.chunks, Path):
            with self.chunks.open("rb") as src:
                while block := src.read(CHUNK):
                    yield block
        else:
            yield from self.chunks


def encode_table(table: str, frame: pl.DataFrame) -> Encoded:
    """Canonicalise ``frame`` for ``table`` and encode it fully to binary COPY bytes."""
    frame = encoded.canonical(table, frame)
    if frame.columns != columns(table):
        raise ValueError(f"{table}: canonical frame columns {frame.columns} != schema columns")
    return Encoded(table, frame.height, list(binary_copy.encode(frame)))


@dataclasses.dataclass(frozen=True)
class LoadTiming:
    """Seconds of the plain load (COPY of every table + one COMMIT), rows and seconds by table."""

    load_s: float
    tables: dict[str, tuple[int, float]]

    @property
    def rows(self) -> int:
        return sum(rows for rows, _ in self.tables.values())

    def rate(self, names: Sequence[str]) -> float:
        """Rows per second of the COPY of ``names`` alone (their rows over their seconds)."""
        return sum(self.tables[t][0] for t in names) / sum(self.tables[t][1] for t in names)


def load_streams(conn: psycopg.Connection, streams: Sequence[Encoded]) -> LoadTiming:
    """Time ``COPY ... FROM STDIN (FORMAT binary)`` of every stream, committing once.

    ``conn`` must not be in autocommit mode and the tables must exist. The row counts are the
    server's own (the COPY command tag), checked against the streams.
    """
    if conn.autocommit:
        raise ValueError("the raw load runs in one transaction: pass a non-autocommit connection")
    tables: dict[str, tuple[int, float]] = {}
    started = time.perf_counter()
    with conn.cursor() as cur:
        for stream in streams:
            t0 = time.perf_counter()
            with cur.copy(copy_sql(stream.table, "in")) as copy:
                for block in stream.blocks():
                    copy.write(block)
            tables[stream.table] = (cur.rowcount, time.perf_counter() - t0)
    conn.commit()
    seconds = time.perf_counter() - started
    if {t: n for t, (n, _) in tables.items()} != {s.table: s.rows for s in streams}:
        raise RuntimeError(f"COPY loaded {tables} rows but the streams held other counts")
    return LoadTiming(seconds, tables)


def create_plain_tables(conn: psycopg.Connection, *, keys: bool = True) -> None:
    """The tables a plain bulk load writes into: as the schema declares them, with their primary
    keys (``keys``) but without secondary indexes or foreign keys. (``seed up``'s own bulk mode
    also leaves out the identity and activity keys; the limit keeps them unless asked.)"""
    ddl.ensure_schema(conn, bare=True)
    if keys:
        deferred = [t.name for t in metadata.sorted_tables if ddl.keys_deferred(t.name)]
        for statement in ddl.primary_key_statements(set(), deferred):
            conn.execute(sql.SQL(statement))  # type: ignore[arg-type]  # DDL made by ddl.py


def build_constraints(url: str, tables: list[str]) -> float:
    """Time what ``seed up`` does after a bulk load: indexes, foreign keys, then ANALYZE."""
    started = time.perf_counter()
    bulk_finish.finish_bulk_load(url, tables)
    return time.perf_counter() - started


def dump(url: str, tables: Sequence[str], workdir: Path) -> list[Encoded]:
    """Every row of ``tables`` as binary COPY bytes, in files under ``workdir``."""
    workdir.mkdir(parents=True, exist_ok=True)
    out = []
    with database.connection(url, autocommit=True) as conn, conn.cursor() as cur:
        for table in tables:
            path = workdir / f"{table}.bin"
            with path.open("wb") as sink, cur.copy(copy_sql(table, "out")) as copy:
                for block in copy:
                    sink.write(block)
            out.append(Encoded(table, cur.rowcount, path))
    return out


@dataclasses.dataclass(frozen=True)
class RawLimit:
    """The raw load of a seeded database's rows: bare COPY, then indexes, foreign keys, ANALYZE."""

    timing: LoadTiming
    constraints_s: float

    @property
    def total_s(self) -> float:
        return self.timing.load_s + self.constraints_s


def raw_limit(url: str, tables: list[str], workdir: Path) -> RawLimit:
    """Dump ``tables`` from the database at ``url`` (untimed) and load them raw into a new
    database ``raw_limit`` of the same server (dropped afterwards)."""
    streams = dump(url, tables, workdir)
    with database.connection(url, autocommit=True) as conn:
        days = [r[0] for r in conn.execute("SELECT DISTINCT day FROM likes ORDER BY 1")]
    admin = pg.with_database(url, "postgres")
    target = pg.create_database(admin, "raw_limit")
    with database.connection(target, autocommit=True) as conn:  # the schema: untimed
        create_plain_tables(conn)
        for table in (t for t in tables if partitions.is_day_partitioned(t)):
            for day in days:
                part = partitions.day_partition(day)
                conn.execute(
                    sql.SQL("CREATE TABLE {} PARTITION OF {} FOR VALUES FROM ({}) TO ({})").format(
                        sql.Identifier(partitions.child_table(table, part)),
                        sql.Identifier(table),
                        sql.Literal(part.lo),
                        sql.Literal(part.hi),
                    )
                )
    with database.connection(target) as conn:
        timing = load_streams(conn, streams)
    constraints_s = build_constraints(target, tables)
    with database.connection(admin, autocommit=True) as conn:  # leave the server as it was
        conn.execute("DROP DATABASE raw_limit")
    for stream in streams:
        assert isinstance(stream.chunks, Path)
        stream.chunks.unlink()
    return RawLimit(timing, constraints_s)
