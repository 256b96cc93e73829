"""The partitions of the generated tables and what generates each, written once.

A unit of work is one partition and the generated tables that share it: a catalog table whole,
the chosen identity tables of a user shard (they share its people), the activity tables of a day
(one simulation makes them all). The Dagster assets, ``seed export``, ``seed explain``, the
audit's regeneration and the prefetcher take their partitions and generators from here. What a
command hands the generators (prefetched shards, the memo of earlier days) is a
:class:`~seed_assets.write.Generation`; without one, everything is generated on the spot. The
rows are the same either way.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence

from seed_assets import generators, partitions
from seed_assets.config import SeedParams
from seed_assets.generators.activity import TABLES as ACTIVITY_TABLES
from seed_assets.generators.activity import day_number
from seed_assets.partitions import Partition
from seed_assets.write.generation import Generation
from seed_assets.write.tables import Rows, Work

ON_THE_SPOT = Generation()  # no prefetched shards, no memo


@dataclasses.dataclass(frozen=True)
class Unit:
    """One partition, the tables generated for it together, and what generates them."""

    part: Partition
    tables: list[str]
    make: Callable[[], Mapping[str, Rows]]

    @property
    def work(self) -> Work:
        return self.part, self.make


def identity_rows(
    params: SeedParams, table: str, part: Partition, generation: Generation = ON_THE_SPOT
) -> Rows:
    """One identity table's rows for a shard partition."""
    return generation.identity(params, table, *part.ids())


def work_units(
    params: SeedParams,
    tables: Sequence[str],
    *,
    shards: Iterable[str] | None = None,
    days: Iterable[dt.date] = (),
    generation: Generation = ON_THE_SPOT,
) -> list[Unit]:
    """The units that generate ``tables`` (any of catalog, identity and activity ones): the
    catalog tables whole, the identity tables over ``shards`` (default: every shard), the activity
    tables over ``days``. In that order; within a tier, ``tables``'s order."""
    units: list[Unit] = []
    for name in (t for t in tables if t in generators.CATALOG):
        make = generators.CATALOG[name]
        units.append(Unit(partitions.whole_table(), [name], lambda n=name, m=make: {n: m()}))
    identity = [t for t in tables if t in generators.IDENTITY]
    keys = partitions.shard_keys(params) if shards is None else list(shards)
    for key in keys if identity else []:
        part = partitions.shard_partition(params, key)
        units.append(
            Unit(
                part,
                identity,
                lambda p=part: {t: identity_rows(params, t, p, generation) for t in identity},
            )
        )
    activity = [t for t in tables if t in ACTIVITY_TABLES]
    for date in days if activity else []:
        day = day_number(params, date)
        units.append(
            Unit(partitions.day_partition(date), activity, lambda d=day: generation.day(params, d))
        )
    return units
