"""The seeded assets: ``seed_params``, the catalog and the identity tier (asset = table)."""

from typing import Any

import dagster as dg

from seed_assets import GENERATOR_VERSION, generators, partitions
from seed_assets.config import SeedParams
from seed_assets.defs.partitions import SINGLE_RUN, shard_partitions
from seed_assets.defs.resources import PostgresResource, SeedConfig
from seed_assets.defs.writing import write_table
from seed_assets.frames import column_metadata
from seed_assets.progress import Progress
from seed_assets.schema import table as schema_table

# Dependencies inside the identity tier besides seed_params (what each table refers to).
IDENTITY_DEPS: dict[str, tuple[str, ...]] = {
    "users": (),
    "profiles": ("users",),
    "profile_media": ("users",),
    "user_interests": ("users", "interest_subjects"),
    "interest_dirty": ("user_interests",),
    "quiz_results": ("users", "quiz_questions"),
}


@dg.asset(group_name="params", code_version=GENERATOR_VERSION, kinds={"python"})
def seed_params(context: dg.AssetExecutionContext, seed_config: SeedConfig) -> dg.MaterializeResult:
    """The seed configuration. Its data version is the configuration's fingerprint, so a new run
    seed, population or calibration marks every seeded table stale. Writes no table."""
    params = seed_config.params()
    fingerprint = params.fingerprint()
    context.log.info(f"seed parameters {params.public_dict()} -> {fingerprint}")
    return dg.MaterializeResult(
        data_version=dg.DataVersion(fingerprint),
        metadata={
            "fingerprint": fingerprint,
            **{k: str(v) for k, v in params.public_dict().items()},
        },
    )


def table_metadata(name: str) -> dict[str, object]:
    columns = [
        dg.TableColumn(c["name"], c["type"], description=c["description"])
        for c in column_metadata(name)
    ]
    return {"dagster/column_schema": dg.TableSchema(columns=columns), "dagster/table_name": name}


def table_asset_args(name: str) -> dict[str, Any]:
    """What every table asset declares: code version, kind, description and column schema,
    all derived from the schema."""
    return {
        "code_version": GENERATOR_VERSION,
        "kinds": {"postgres"},
        "description": schema_table(name).comment or name,
        "metadata": table_metadata(name),
    }


def catalog_asset(name: str) -> dg.AssetsDefinition:
    make_frame = generators.CATALOG[name]

    @dg.asset(
        name=name,
        group_name="catalog",
        deps=[seed_params],
        **table_asset_args(name),  # type: ignore[arg-type]
    )
    def _catalog(
        context: dg.AssetExecutionContext,
        seed_config: SeedConfig,
        database: PostgresResource,
        progress: dg.ResourceParam[Progress],
    ) -> dg.MaterializeResult:
        params = seed_config.params()
        return write_table(
            name, params, database, progress, [(partitions.whole_table(), make_frame)]
        )

    return _catalog  # type: ignore[return-value]  # (pyright cannot see through **kwargs)


def identity_asset(name: str, params_at_load: SeedParams) -> dg.AssetsDefinition:
    generate = generators.IDENTITY[name]

    @dg.asset(
        name=name,
        group_name="identity",
        deps=[seed_params, *IDENTITY_DEPS[name]],
        partitions_def=shard_partitions(params_at_load),
        backfill_policy=SINGLE_RUN,
        **table_asset_args(name),  # type: ignore[arg-type]
    )
    def _identity(
        context: dg.AssetExecutionContext,
        seed_config: SeedConfig,
        database: PostgresResource,
        progress: dg.ResourceParam[Progress],
    ) -> dg.MaterializeResult:
        params = seed_config.params()
        if params.shard_count != params_at_load.shard_count:
            raise dg.Failure(
                f"the configured population makes {params.shard_count} shards but the code "
                f"location was loaded with {params_at_load.shard_count}; set SEED_USERS and "
                "SEED_SHARD_SIZE in the environment and reload the code location"
            )
        work = []
        for key in context.partition_keys:
            part = partitions.shard_partition(params, key)
            lo, hi = int(part.lo), int(part.hi)  # type: ignore[arg-type]
            work.append((part, lambda lo=lo, hi=hi: generate(params, lo, hi)))
        return write_table(name, params, database, progress, work)

    return _identity  # type: ignore[return-value]


def build_assets(params: SeedParams) -> list[dg.AssetsDefinition]:
    from seed_assets.defs.activity import build_activity  # it builds on this module's assets

    return [
        seed_params,
        *(catalog_asset(name) for name in generators.CATALOG),
        *(identity_asset(name, params) for name in generators.IDENTITY),
        build_activity(params),
    ]
