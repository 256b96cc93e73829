"""The options that determine a seed, shared by every command that generates, and how they are
read: options over the SEED_* environment over config.DEFAULTS."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import click

from seed_assets.config import DEFAULTS, ENV, ConfigError, SeedParams, parse_int

MAX_DAYS = 3650


def seed_params(**options: Any) -> SeedParams:
    """Options override the SEED_* environment, which overrides the defaults."""
    base = SeedParams.from_env().public_dict()
    merged = {**base, **{k: v for k, v in options.items() if v is not None}}
    merged["dev_password"] = os.environ.get(ENV["dev_password"]) or None
    return SeedParams.from_strings(merged)


def parse_days(value: str, *, allow_zero: bool) -> int:
    n = parse_int("days", value)
    if not (0 if allow_zero else 1) <= n <= MAX_DAYS:
        raise ConfigError(f"days must be between {0 if allow_zero else 1} and {MAX_DAYS}, got {n}")
    return n


def seed_options(days_default: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The options that determine a seed (the seeds/000 flags, with their original spellings as
    aliases), shared by every command that generates: `up`, `export`, `explain user`. The
    defaults shown are config.DEFAULTS."""
    d = DEFAULTS
    options = [
        click.option(
            "--users",
            "--count",
            "users",
            type=str,
            help=f"Population size [{ENV['users']}; {d['users']}].",
        ),
        click.option(
            "--run-seed",
            type=str,
            help=f"Seed of all randomness [{ENV['run_seed']}; {d['run_seed']}].",
        ),
        click.option(
            "--shard-size",
            "--batch-size",
            "shard_size",
            type=str,
            help=f"Users per identity partition, i.e. per write transaction [{d['shard_size']}].",
        ),
        click.option(
            "--start-date", type=str, help=f"First simulated day, YYYY-MM-DD [{d['start_date']}]."
        ),
        click.option(
            "--days",
            "--activity-days",
            "days",
            type=str,
            default=days_default,
            help=f"Days of activity from the start date [{days_default}].",
        ),
        click.option("--calibration", type=str, help=f"Calibration profile [{d['calibration']}]."),
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
