"""Dagster partition definitions, built from the seed parameters when definitions load."""

from __future__ import annotations

import dagster as dg

from seed_assets import partitions
from seed_assets.config import SeedParams

# One run for any range of partitions: the asset body gets the whole key range.
SINGLE_RUN = dg.BackfillPolicy.single_run()
RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"


def range_tags(first: str, last: str) -> dict[str, str]:
    """The tags of one run over the partition keys ``first`` to ``last`` of one definition."""
    return {RANGE_START: first, RANGE_END: last}


def shard_partitions(params: SeedParams) -> dg.StaticPartitionsDefinition:
    return dg.StaticPartitionsDefinition(partitions.shard_keys(params))


def daily_partitions(params: SeedParams) -> dg.DailyPartitionsDefinition:
    """One partition per simulated day from the start date; open-ended (growing with the
    calendar, as a staging schedule wants) unless the configuration sets an end date."""
    end = params.end_date.isoformat() if params.end_date else None
    return dg.DailyPartitionsDefinition(start_date=params.start_date.isoformat(), end_date=end)
