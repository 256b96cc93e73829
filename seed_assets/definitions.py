"""The code location: every asset, resource and executor, built from the ``SEED_*`` environment.

This is the only module that gathers the core declarations (``seed_assets.defs``) and the derived
jobs (``jobs/``).
"""

from __future__ import annotations

import dagster as dg

from seed_assets import generators
from seed_assets.config import SeedParams
from seed_assets.database import seed_home
from seed_assets.defs.activity import build_activity
from seed_assets.defs.assets import build_identity, catalog_asset, seed_params
from seed_assets.defs.checks import CHECKS
from seed_assets.defs.resources import postgres_from_env, seed_config_from_env
from seed_assets.defs.schedules import JOBS, build_chain_sensor, build_schedules
from seed_assets.memo import Memo
from seed_assets.progress import Progress
from seed_assets.write import Generation


def build_assets(params: SeedParams) -> list[dg.AssetsDefinition]:
    """The seeded assets: ``seed_params``, the catalog, the identity and activity tiers."""
    return [
        seed_params,
        *(catalog_asset(name) for name in generators.CATALOG),
        build_identity(params),
        build_activity(params),
    ]


def build_all_assets(params: SeedParams) -> list[dg.AssetsDefinition]:
    """Every asset of the code location: the core's and the derived jobs'."""
    from jobs.assets import build_derived  # the only place the two packages meet

    return [*build_assets(params), *build_derived(params)]


def build_definitions(params: SeedParams | None = None) -> dg.Definitions:
    """Definitions for ``params`` (default: read from the environment)."""
    params = params or SeedParams.from_env()
    return dg.Definitions(
        assets=build_all_assets(params),
        asset_checks=CHECKS,
        jobs=JOBS,
        schedules=build_schedules(params),
        sensors=[build_chain_sensor(params)],
        resources={
            "seed_config": seed_config_from_env(),
            "database": postgres_from_env(),
            "progress": Progress(),
            # Earlier days' matches, chats and first likes on disk (none with SEED_MEMO=off).
            "generation": Generation(memo=Memo.from_env(seed_home() / "cache")),
        },
        # In-process: the multiprocess executor costs ~2 s per step and buys nothing here,
        # since each step already pipelines generation against PostgreSQL.
        executor=dg.in_process_executor,
    )


defs = build_definitions()
