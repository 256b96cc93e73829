"""A partition's rows ready to write: in canonical form (the table's columns and dtypes, sorted
by primary key), checked against the partition's bounds and encoded to binary COPY, with the
digest of those bytes; and the same digest read back from the rows as stored.

Pure but for ``partition_digest``, which reads a partition back; ``load.write_partition`` sends
what ``encode_partition`` makes.
"""

from __future__ import annotations

import dataclasses
import hashlib

import polars as pl
import psycopg
import sqlalchemy as sa

from seed_assets import binary_copy
from seed_assets.frames import columns, conform
from seed_assets.partitions import Partition, scope_sql
from seed_assets.schema import table as schema_table


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


def frame_digest(table_name: str, frame: pl.DataFrame) -> str:
    """The digest ``write_partition`` records for these rows, computed without a database."""
    return encode_partition(table_name, Partition("digest"), frame).digest


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
