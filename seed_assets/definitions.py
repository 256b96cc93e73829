"""The code location: every asset, resource and executor, built from the ``SEED_*`` environment.

This is the only module that gathers the core declarations (``seed_assets.defs``) and the derived
jobs (``jobs/``).
"""

from __future__ import annotations

import dagster as dg

from seed_assets.config import SeedParams
from seed_assets.defs.assets import build_assets
from seed_assets.defs.checks import CHECKS
from seed_assets.defs.resources import postgres_from_env, seed_config_from_env
from seed_assets.defs.schedules import JOBS, build_chain_sensor, build_schedules
from seed_assets.progress import Progress


def build_definitions(params: SeedParams | None = None) -> dg.Definitions:
    """Definitions for ``params`` (default: read from the environment)."""
    params = params or SeedParams.from_env()
    from jobs.assets import build_derived  # the only place the two packages meet

    return dg.Definitions(
        assets=[*build_assets(params), *build_derived(params)],
        asset_checks=CHECKS,
        jobs=JOBS,
        schedules=build_schedules(params),
        sensors=[build_chain_sensor(params)],
        resources={
            "seed_config": seed_config_from_env(),
            "database": postgres_from_env(),
            "progress": Progress(),
        },
        # In-process: the multiprocess executor costs ~2 s per step and buys nothing here,
        # since each step already pipelines generation against PostgreSQL.
        executor=dg.in_process_executor,
    )


defs = build_definitions()
