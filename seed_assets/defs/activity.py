"""The activity tier: six tables, one daily-partitioned multi-asset (one simulation per day)."""

import datetime as dt

import dagster as dg

from seed_assets import generators
from seed_assets.config import SeedParams
from seed_assets.defs.assets import tier
from seed_assets.defs.partitions import daily_partitions
from seed_assets.defs.resources import PostgresResource, SeedConfig
from seed_assets.generators.activity import TABLES
from seed_assets.progress import Progress
from seed_assets.steps import write_partitions
from seed_assets.units import work_units
from seed_assets.write import Generation


def build_activity(params_at_load: SeedParams) -> dg.AssetsDefinition:
    every_shard = [
        dg.AssetDep(name, partition_mapping=dg.AllPartitionMapping())
        for name in generators.IDENTITY
    ]

    @tier("activity", TABLES, daily_partitions(params_at_load), upstream=every_shard)
    def activity(
        context: dg.AssetExecutionContext,
        seed_config: SeedConfig,
        database: PostgresResource,
        progress: dg.ResourceParam[Progress],
        generation: dg.ResourceParam[Generation],
    ):
        """Simulates each day of the range once and writes every selected table for it."""
        params = seed_config.params()
        selected = [t for t in TABLES if dg.AssetKey(t) in context.selected_asset_keys]
        dates = [dt.date.fromisoformat(key) for key in context.partition_keys]
        if early := [d for d in dates if d < params.start_date]:
            raise dg.Failure(f"day {early[0]} is before the start date {params.start_date}")
        # With the memo of earlier days' matches, chats and first likes the command gives.
        units = work_units(params, TABLES, days=dates, generation=generation)
        results = write_partitions(selected, params, database, progress, [u.work for u in units])
        yield from results.values()

    return activity
