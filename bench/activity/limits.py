"""What the activity workload measures besides seeding: the raw-load limit, audit and repair.

- The limit: right after ``seed up``, every identity and activity table of database A is dumped
  (binary COPY, to files, untimed) and loaded raw into a fresh database of the same server (bare
  tables, one transaction, ``COPY ... FROM STDIN (FORMAT binary)`` of the ready-made bytes,
  timed), then the indexes, foreign keys and ANALYZE the schema has (``ddl.finish_bulk_load``,
  timed apart); that database is dropped afterwards.
- ``seed audit`` on A (read-only), then one day re-materialised: a share of that day's likes is
  deleted and ``seed repair`` (audit, rewrite of that one partition, audit again) is timed.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from pathlib import Path

from bench import pg, rawload
from seed_assets import database, ddl, load, partitions, schema
from seed_assets.frames import columns

CHUNK = 1 << 20
CATALOG = [t.name for t in schema.CATALOG]


@dataclasses.dataclass(frozen=True)
class RawLimit:
    load_s: float  # COPY of every table into bare tables, one transaction
    constraints_s: float  # indexes, foreign keys, ANALYZE afterwards
    rows: int
    nbytes: int
    tables: dict[str, tuple[int, float]] = dataclasses.field(default_factory=dict)  # rows, COPY s

    @property
    def total_s(self) -> float:
        return self.load_s + self.constraints_s

    def rate(self, names: Sequence[str]) -> float:
        """Rows per second of the raw COPY of ``names`` alone (their rows over their seconds)."""
        rows = sum(self.tables[t][0] for t in names)
        return rows / sum(self.tables[t][1] for t in names)


def _copy_sql(table: str, direction: str) -> str:
    cols = ", ".join(f'"{c}"' for c in columns(table))
    if direction == "out":
        return f'COPY (SELECT {cols} FROM "{table}") TO STDOUT (FORMAT binary)'
    return f'COPY "{table}" ({cols}) FROM STDIN (FORMAT binary)'


def raw_limit(admin_url: str, source_url: str, tables: list[str], workdir: Path) -> RawLimit:
    """Dump ``tables`` from ``source_url`` (untimed), load them raw into a new database."""
    workdir.mkdir(parents=True, exist_ok=True)
    files = {t: workdir / f"{t}.bin" for t in tables}
    with database.connection(source_url, autocommit=True) as conn, conn.cursor() as cur:
        for table, path in files.items():
            with path.open("wb") as out, cur.copy(_copy_sql(table, "out")) as copy:  # type: ignore[arg-type]
                for block in copy:
                    out.write(block)
    with database.connection(source_url, autocommit=True) as conn:
        days = [r[0] for r in conn.execute("SELECT DISTINCT day FROM likes ORDER BY 1")]
    target = pg.create_database(admin_url, "raw_limit")
    with database.connection(target, autocommit=True) as conn:  # the schema: untimed
        rawload.create_plain_tables(conn)
        for table in (t for t in tables if load.is_day_partitioned(t)):
            for day in days:
                part = partitions.day_partition(day)
                conn.execute(
                    f'CREATE TABLE "{load.child_table(table, part)}" PARTITION OF "{table}" '  # type: ignore[arg-type]
                    f"FOR VALUES FROM ('{part.lo}') TO ('{part.hi}')"
                )
    rows = 0
    per_table: dict[str, tuple[int, float]] = {}
    with database.connection(target) as conn:
        started = time.perf_counter()
        with conn.cursor() as cur:
            for table, path in files.items():
                t0 = time.perf_counter()
                with path.open("rb") as src, cur.copy(_copy_sql(table, "in")) as copy:  # type: ignore[arg-type]
                    while block := src.read(CHUNK):
                        copy.write(block)
                per_table[table] = (cur.rowcount, time.perf_counter() - t0)
                rows += cur.rowcount
        conn.commit()
        load_s = time.perf_counter() - started
    started = time.perf_counter()
    ddl.finish_bulk_load(target, tables)
    constraints_s = time.perf_counter() - started
    nbytes = sum(p.stat().st_size for p in files.values())
    for path in files.values():
        path.unlink()
    with database.connection(admin_url, autocommit=True) as admin:  # leave A's server as it was
        admin.execute("DROP DATABASE raw_limit")
    return RawLimit(load_s, constraints_s, rows, nbytes, per_table)


def damage_one_day(url: str, day_key: str) -> int:
    """Delete a fifth of one day's likes; return how many."""
    with database.connection(url, autocommit=True) as conn:
        cur = conn.execute("DELETE FROM likes WHERE day = %s AND id %% 5 = 0", [day_key])
        return cur.rowcount
