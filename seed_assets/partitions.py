"""Partition arithmetic and its SQL (no Dagster): whole tables, user shards and activity days.

User ids are sequential from 1; shard ``i`` holds ids ``[i*shard_size + 1, (i+1)*shard_size]``
(the last one is cut at the population). Keys are ``s0000``-style so they sort as they number.
A day's key is its ISO date; a whole table's is ``all``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from seed_assets.config import SeedParams
from seed_assets.schema import table as schema_table

ALL = "all"


@dataclasses.dataclass(frozen=True)
class Partition:
    """One unit of writing: a manifest key and the rows of a table it covers.

    ``lo``/``hi`` bound the table's partition column (``info["key"]``) as ``lo <= key < hi``;
    both ``None`` means the whole table.
    """

    key: str
    lo: int | dt.date | None = None
    hi: int | dt.date | None = None

    def ids(self) -> tuple[int, int]:
        """A shard's user ids ``[lo, hi)``."""
        assert isinstance(self.lo, int) and isinstance(self.hi, int), self
        return self.lo, self.hi


def shard_key(index: int) -> str:
    return f"s{index:04d}"


def shard_keys(params: SeedParams) -> list[str]:
    return [shard_key(i) for i in range(params.shard_count)]


def shard_index(key: str) -> int:
    if len(key) != 5 or not key.startswith("s") or not key[1:].isdigit():
        raise ValueError(f"not a shard partition key: {key!r}")
    return int(key[1:])


def shard_of(params: SeedParams, user_id: int) -> str:
    """The key of the shard holding ``user_id`` (in SQL: :func:`shard_index_sql`)."""
    return shard_key((user_id - 1) // params.shard_size)


def shard_index_sql(column: str) -> str:
    """The shard index of a user id column in SQL, bound to the shard size (as ``shard_of``)."""
    return f'("{column}" - 1) / %s'


def shard_ids(params: SeedParams, key: str) -> tuple[int, int]:
    """The user ids ``[lo, hi)`` of a shard."""
    index = shard_index(key)
    if index >= params.shard_count:
        raise ValueError(
            f"shard {key} is outside the population ({params.users:,} users make "
            f"{params.shard_count} shards of {params.shard_size:,})"
        )
    lo = index * params.shard_size + 1
    return lo, min(lo + params.shard_size, params.users + 1)


def shard_partition(params: SeedParams, key: str) -> Partition:
    lo, hi = shard_ids(params, key)
    return Partition(key, lo, hi)


def day_partition(day: dt.date) -> Partition:
    return Partition(day.isoformat(), day, day + dt.timedelta(days=1))


def whole_table() -> Partition:
    return Partition(ALL)


def shard_partitions(params: SeedParams) -> list[Partition]:
    """Every shard of the population, in order."""
    return [shard_partition(params, key) for key in shard_keys(params)]


def of_table(table: str, key: str, params: SeedParams) -> Partition:
    """The partition of ``table`` a manifest key names (ValueError if the key does not fit the
    table's grain)."""
    grain = schema_table(table).info["grain"]
    if grain == "shard":
        return shard_partition(params, key)
    if grain == "day":
        return day_partition(dt.date.fromisoformat(key))
    if key != ALL:
        raise ValueError(f"{table} is one partition, {ALL!r}")
    return whole_table()


def through(params: SeedParams, last_day: dt.date) -> SeedParams:
    """The parameters with an end date past ``last_day``, so that its day partitions exist."""
    if params.end_date is None or params.end_date <= last_day:
        return params.replace(end_date=last_day + dt.timedelta(days=1))
    return params


def range_sql(column: str) -> str:
    """``lo <= column < hi`` in SQL, bound to ``[lo, hi]``."""
    return f'"{column}" >= %s AND "{column}" < %s'


def scope_sql(table: str, part: Partition) -> tuple[str, list[object]]:
    """The rows of ``table`` in ``part`` as a SQL condition and its arguments."""
    if part.lo is None and part.hi is None:
        return "TRUE", []
    return range_sql(schema_table(table).info["key"]), [part.lo, part.hi]


def is_day_partitioned(table: str) -> bool:
    """A PostgreSQL partitioned table: each day is a table of its own (attached as a partition)."""
    return bool(schema_table(table).dialect_options["postgresql"].get("partition_by"))


def child_table(table: str, part: Partition) -> str:
    """The name of the table holding one day of a day-partitioned table."""
    assert isinstance(part.lo, dt.date)
    return f"{table}_p{part.lo:%Y%m%d}"


def day_bounds_sql(part: Partition) -> str:
    """The bounds of a day's table as a partition of its parent."""
    return f"FOR VALUES FROM ('{part.lo}') TO ('{part.hi}')"
