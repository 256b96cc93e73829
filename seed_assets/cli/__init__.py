"""The `seed` command. Each module adds its subcommands to the one click group."""

import seed_assets.cli.files  # noqa: F401  (seed export, seed load)
from seed_assets.cli import inspect, ops, seeding  # noqa: F401  (registers the subcommands)
from seed_assets.cli.common import main

__all__ = ["main"]
