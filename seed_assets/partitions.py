"""Partition arithmetic (no Dagster): user shards and activity days.

User ids are sequential from 1; shard ``i`` holds ids ``[i*shard_size + 1, (i+1)*shard_size]``
(the last one is cut at the population). Keys are ``s0000``-style so they sort as they number.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from seed_assets.config import SeedParams

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


def shard_key(index: int) -> str:
    return f"s{index:04d}"


def shard_keys(params: SeedParams) -> list[str]:
    return [shard_key(i) for i in range(params.shard_count)]


def shard_index(key: str) -> int:
    if len(key) != 5 or not key.startswith("s") or not key[1:].isdigit():
        raise ValueError(f"not a shard partition key: {key!r}")
    return int(key[1:])


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
