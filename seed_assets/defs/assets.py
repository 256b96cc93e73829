"""The seeded assets: ``seed_params``, the catalog and the identity tier (asset = table)."""

import functools
from collections.abc import Callable, Sequence
from typing import Any

import dagster as dg
from pydantic import Field

from seed_assets import (
    GENERATOR_VERSION,
    ddl,
    generators,
    guard,
    partitions,
    runs,
)
from seed_assets.config import ConfigError, SeedParams
from seed_assets.database import connection, redact
from seed_assets.defs.partitions import SINGLE_RUN, shard_partitions
from seed_assets.defs.resources import PostgresResource, SeedConfig
from seed_assets.defs.schedules import tagged_days
from seed_assets.progress import Progress
from seed_assets.reset import reset as reset_tables
from seed_assets.schema import depends_on, seed_runs
from seed_assets.schema import table as schema_table
from seed_assets.steps import table_asset_args, write_partitions, write_tables
from seed_assets.units import identity_rows, work_units
from seed_assets.write import Generation


class SeedParamsConfig(dg.Config):
    """Run configuration of ``seed_params`` (the ``reseed`` job sets ``reset: all``)."""

    reset: str | None = Field(
        default=None,
        description="Before anything downstream is written, remove a scope of seeded tables: "
        "all, activity or derived (as `seed reset`). Guarded: the database must carry the "
        "seed-assets marker, not be production, and be local or in SEED_ALLOWED_HOSTS.",
    )


@dg.asset(group_name="params", code_version=GENERATOR_VERSION, kinds={"python"})
def seed_params(
    context: dg.AssetExecutionContext,
    config: SeedParamsConfig,
    seed_config: SeedConfig,
    database: PostgresResource,
) -> dg.MaterializeResult:
    """The seed configuration. Its data version is the configuration's fingerprint, so a new run
    seed, population or calibration marks every seeded table stale. Writes no table, unless its
    run configuration asks for a reset (every seeded asset runs after it)."""
    params = seed_config.params()
    fingerprint = params.fingerprint()
    context.log.info(f"seed parameters {params.public_dict()} -> {fingerprint}")
    metadata: dict[str, Any] = {
        "fingerprint": fingerprint,
        **{k: str(v) for k, v in params.public_dict().items()},
    }
    if config.reset:
        removed = _reset(context, database.resolved_url(), config.reset, params)
        metadata |= {"reset": config.reset, "rows_removed": removed}
    return dg.MaterializeResult(data_version=dg.DataVersion(fingerprint), metadata=metadata)


def _reset(context: dg.AssetExecutionContext, url: str, scope: str, params: SeedParams) -> int:
    """The guarded reset; this run is the confirmation, so the database's own name confirms it.

    A reset of everything starts a reseed, recorded in ``seed_runs`` as a ``seed up`` of these
    parameters and of the days its chain writes (the run's ``seed/days`` tag): what the audit at
    the end of the chain, and ``seed extend`` later, compare the database with."""
    try:
        guard.check_host(url)  # before connecting anywhere
        with connection(url, autocommit=True) as conn:
            removed = reset_tables(conn, url, scope, guard.database_name(conn))
            if scope == "all":
                span = tagged_days(context.run.tags)
                ddl.create_table(conn, seed_runs)
                runs.start(conn, context.run.run_id, "seed up", params, span)
                runs.finish(conn, context.run.run_id, "success", {})
    except (guard.Refused, ConfigError) as exc:
        raise dg.Failure(redact(str(exc), url)) from exc
    context.log.info(f"reset {scope}: {sum(removed.values()):,} rows removed")
    return sum(removed.values())


def catalog_asset(name: str) -> dg.AssetsDefinition:
    @dg.asset(
        name=name,
        group_name="catalog",
        deps=[seed_params],
        **table_asset_args(name),
    )
    def _catalog(
        context: dg.AssetExecutionContext,
        seed_config: SeedConfig,
        database: PostgresResource,
        progress: dg.ResourceParam[Progress],
    ) -> dg.MaterializeResult:
        params = seed_config.params()
        work = [unit.work for unit in work_units(params, [name])]
        return write_partitions([name], params, database, progress, work)[name]

    return _catalog


def tier(
    group: str,
    tables: Sequence[str],
    partitions_def: dg.PartitionsDefinition,
    upstream: Sequence[dg.AssetDep] = (),
) -> Callable[[Callable[..., Any]], dg.AssetsDefinition]:
    """A tier's multi-asset: one asset per table (after ``seed_params``, ``upstream`` and the
    table's own dependencies), one step over a range of partitions, any subset of its tables."""
    specs = [
        dg.AssetSpec(
            name,
            group_name=group,
            deps=[seed_params, *upstream, *depends_on(schema_table(name))],
            skippable=True,
            **table_asset_args(name),
        )
        for name in tables
    ]
    return dg.multi_asset(
        name=group,
        specs=specs,
        partitions_def=partitions_def,
        backfill_policy=SINGLE_RUN,
        can_subset=True,
    )


def build_identity(params_at_load: SeedParams) -> dg.AssetsDefinition:
    """The identity tier: one asset per table, partitioned by user shard, made by one step."""

    @tier("identity", generators.IDENTITY_ORDER, shard_partitions(params_at_load))
    def identity(
        context: dg.AssetExecutionContext,
        seed_config: SeedConfig,
        database: PostgresResource,
        progress: dg.ResourceParam[Progress],
        generation: dg.ResourceParam[Generation],
    ):
        """Generates each selected table for each user shard of the range and writes it, table
        by table (dependencies first) on one pipelined writer."""
        params = seed_config.params()
        if params.shard_count != params_at_load.shard_count:
            raise dg.Failure(
                f"the configured population makes {params.shard_count} shards but the code "
                f"location was loaded with {params_at_load.shard_count}; set SEED_USERS and "
                "SEED_SHARD_SIZE in the environment and reload the code location"
            )
        selected = [
            t for t in generators.IDENTITY_ORDER if dg.AssetKey(t) in context.selected_asset_keys
        ]
        parts = [partitions.shard_partition(params, key) for key in context.partition_keys]
        # `seed up` may have generated a shard already, while Dagster and the database started.
        make = functools.partial(identity_rows, params, generation=generation)
        yield from write_tables(selected, params, database, progress, parts, make)

    return identity
