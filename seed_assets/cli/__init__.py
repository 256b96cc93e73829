"""The `seed` command. Each module adds its subcommands to the one click group."""

from seed_assets.cli import files, inspect, ops, seeding  # noqa: F401  (registers the subcommands)
from seed_assets.cli.common import main

__all__ = ["main"]
