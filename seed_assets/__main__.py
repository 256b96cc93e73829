"""``python -m seed_assets`` is the ``seed`` command."""

from seed_assets.cli import run

run()
