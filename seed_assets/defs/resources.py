"""Typed resources: the seed configuration and the target database."""

from __future__ import annotations

import os

import dagster as dg
from pydantic import Field

from seed_assets import database
from seed_assets.config import DEFAULTS, ENV, INT_FIELDS, SeedParams


class SeedConfig(dg.ConfigurableResource):
    """The seed: run seed, population, shard size, dates, calibration profile.

    Bound to the ``SEED_*`` environment variables; any field can be overridden in the launchpad.
    The population and shard size also shape the shard partitions, which are read when the code
    location loads: change them through the environment, then reload the code location.
    """

    run_seed: str = Field(default=DEFAULTS["run_seed"], description="Seed of all randomness.")
    users: int = Field(default=DEFAULTS["users"], description="Population size.")
    shard_size: int = Field(
        default=DEFAULTS["shard_size"], description="Users per identity partition."
    )
    start_date: str = Field(
        default=DEFAULTS["start_date"].isoformat(), description="First simulated day (YYYY-MM-DD)."
    )
    end_date: str | None = Field(default=None, description="Last day to offer as a partition.")
    calibration: str = Field(
        default=DEFAULTS["calibration"], description="Calibration profile name."
    )
    dev_password: str = Field(
        default=DEFAULTS["dev_password"], description="Password every user gets."
    )
    named_accounts: str | None = Field(
        default=None, description="Comma-separated emails that get minimums of activity."
    )

    def params(self) -> SeedParams:
        return SeedParams.from_strings(
            {name: getattr(self, name) for name in ENV}  # one-line ConfigError on bad values
        )


class PostgresResource(dg.ConfigurableResource):
    """The target PostgreSQL: ``DATABASE_URL`` if set, else the project's embedded server."""

    url: str | None = Field(default=None, description="postgresql:// URL (a secret: use EnvVar).")
    bulk_load: bool = Field(
        default=False,
        description="Write into bare tables (no secondary indexes or foreign keys); the caller "
        "builds them afterwards. Set by `seed up` on an empty database.",
    )

    def resolved_url(self) -> str:
        return database.resolve_url(self.url)


def seed_config_from_env() -> SeedConfig:
    """A SeedConfig whose set ``SEED_*`` variables are bound as EnvVars (shown so in the UI)."""
    bound = {
        name: dg.EnvVar.int(var) if name in INT_FIELDS else dg.EnvVar(var)
        for name, var in ENV.items()
        if os.environ.get(var)
    }
    return SeedConfig(**bound)  # type: ignore[arg-type]


def postgres_from_env() -> PostgresResource:
    if os.environ.get("DATABASE_URL"):
        return PostgresResource(url=dg.EnvVar("DATABASE_URL"))
    return PostgresResource()
