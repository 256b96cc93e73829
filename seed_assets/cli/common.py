"""What every `seed` command shares: the click group, exit codes, one-line errors, options."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from functools import wraps
from typing import Any

import click
from rich.console import Console

from seed_assets import GENERATOR_VERSION, database, guard
from seed_assets.config import ENV, ConfigError, SeedParams, parse_int
from seed_assets.errors import RunFailed

# Exit codes: distinct per kind of refusal, so scripts can tell them apart.
EXIT_CONFIG = 2
EXIT_DATABASE = 3
EXIT_RUN = 4
EXIT_GUARD = 5  # the guard refused: not our database, production, or not confirmed
EXIT_GAPS = 6  # `seed audit` found gaps
EXIT_VERIFY = 7  # `seed verify`: a metric is outside its target range
MAX_DAYS = 3650
STATIC_JOBS = {
    "match_scores",
    "compatibility",
    "searchable_users",
    "quiz_stats",
    "interest_relationships",
}

err = Console(stderr=True)


def fail(code: int, message: str) -> None:
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    sys.exit(code)


def guarded(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn known errors into one redacted line and a distinct exit code."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ConfigError as exc:
            fail(EXIT_CONFIG, str(exc))
        except database.DatabaseError as exc:
            fail(EXIT_DATABASE, database.redact(str(exc), os.environ.get("DATABASE_URL")))
        except guard.Refused as exc:
            fail(EXIT_GUARD, database.redact(str(exc), os.environ.get("DATABASE_URL")))
        except RunFailed as exc:
            fail(EXIT_RUN, database.redact(str(exc), os.environ.get("DATABASE_URL")))

    return wrapper


def seed_params(**options: Any) -> SeedParams:
    """Options override the SEED_* environment, which overrides the defaults."""
    base = SeedParams.from_env().public_dict()
    merged = {**base, **{k: v for k, v in options.items() if v is not None}}
    merged["dev_password"] = os.environ.get(ENV["dev_password"]) or None
    return SeedParams.from_strings(merged)


def import_dagster() -> None:
    """Import what the seed graph needs from Dagster (seconds; callers do it in the background)."""
    import dagster_postgres  # noqa: F401 - the instance's storage, imported on first use otherwise

    import seed_assets.orchestrate  # noqa: F401


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(GENERATOR_VERSION, prog_name="seed-assets (generator version)")
def main() -> None:
    """Deterministic synthetic data for a dating/social app, seeded into PostgreSQL.

    The target database is DATABASE_URL, or else an embedded PostgreSQL kept in ./.seed
    (SEED_HOME); a new one starts as a copy of the empty cluster the machine's first `seed up`
    kept in SEED_CACHE (default ~/.cache/seed-assets; `none` to always run initdb). Every option
    can also be given as a SEED_* environment variable.
    """


def parse_days(value: str, *, allow_zero: bool) -> int:
    n = parse_int("days", value)
    if not (0 if allow_zero else 1) <= n <= MAX_DAYS:
        raise ConfigError(f"days must be between {0 if allow_zero else 1} and {MAX_DAYS}, got {n}")
    return n


def seed_options(days_default: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The options that determine a seed (the seeds/000 flags, with their original spellings as
    aliases), shared by every command that generates: `up`, `export`, `explain user`."""
    options = [
        click.option(
            "--users", "--count", "users", type=str, help="Population size [SEED_USERS; 10000]."
        ),
        click.option("--run-seed", type=str, help="Seed of all randomness [SEED_RUN_SEED; demo]."),
        click.option(
            "--shard-size",
            "--batch-size",
            "shard_size",
            type=str,
            help="Users per identity partition, i.e. per write transaction [10000].",
        ),
        click.option(
            "--start-date", type=str, help="First simulated day, YYYY-MM-DD [2024-01-01]."
        ),
        click.option(
            "--days",
            "--activity-days",
            "days",
            type=str,
            default=days_default,
            help=f"Days of activity from the start date [{days_default}].",
        ),
        click.option("--calibration", type=str, help="Calibration profile [spec]."),
        click.option(
            "--named-accounts",
            type=str,
            help="Comma-separated emails that get guaranteed activity [SEED_NAMED_ACCOUNTS].",
        ),
    ]

    def apply(fn: Callable[..., Any]) -> Callable[..., Any]:
        for option in reversed(options):
            fn = option(fn)
        return fn

    return apply
