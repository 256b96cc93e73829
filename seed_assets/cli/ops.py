"""`seed init`, `seed reset`, `seed audit`, `seed repair`: operating a seeded database."""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from seed_assets import database, guard
from seed_assets.cli.common import err, guarded, main


@main.command()
@click.option("--environment", type=str, help="Environment name [SEED_ENVIRONMENT; development].")
@click.option("--confirm", type=str, help="The database's name: needed if it already has tables.")
@guarded
def init(environment: str | None, confirm: str | None) -> None:
    """Mark the database as set up by seed-assets for a non-production use.

    `seed up` does this by itself on an empty database. Destructive commands (reset, partition
    rewrites, the scheduled reseed) refuse to touch a database without the marker, one whose
    marker names a production environment, or one on a host that is not local and not in
    SEED_ALLOWED_HOSTS.
    """
    url = database.resolve_url()
    with database.connection(url, autocommit=True) as conn:
        guard.check_host(url)
        name = guard.database_name(conn)
        if guard.read_marker(conn) is None and guard.has_tables(conn) and confirm != name:
            raise guard.Refused(
                f"database {name!r} already has tables; run `seed init --confirm {name}` "
                "if it is meant for seeding"
            )
        marker = guard.init(conn, url, environment)
    err.print(
        f"{database.redact(url)}: seed-assets database, environment {marker.environment!r}, "
        f"install {marker.install_id[:12]}, {marker.tool_version}",
        highlight=False,
    )


@main.command()
@click.option(
    "--scope",
    type=click.Choice(["all", "activity", "derived"]),
    required=True,
    help="all: every seeded table; activity: activity and the tables derived from it "
    "(identity stays); derived: the derived tables.",
)
@click.option("--confirm", type=str, help="The database's name, repeated: required.")
@guarded
def reset(scope: str, confirm: str | None) -> None:
    """Remove seeded rows, in one transaction (the seeds/000 reset scopes).

    Refuses unless --confirm repeats the database's name and the database carries the
    seed-assets marker (see `seed init`).
    """
    from seed_assets.reset import reset as do_reset

    url = database.resolve_url()
    guard.check_host(url)  # before connecting anywhere
    with database.connection(url, autocommit=True) as conn:
        removed = do_reset(conn, url, scope, confirm)
    table = Table("table", "rows removed", title=f"seed reset --scope {scope}")
    for name, rows in removed.items():
        table.add_row(name, f"{rows:,}")
    Console().print(table)
