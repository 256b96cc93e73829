"""`seed schema draft` and `seed schema check`: map the simulation onto an app's own schema."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
import psycopg
from rich.console import Console
from rich.markup import escape

from seed_assets import catalog, database
from seed_assets.cli.common import guarded, main
from seed_assets.config import ConfigError
from seed_assets.target import check as check_mod
from seed_assets.target import draft as draft_mod
from seed_assets.target import mapping as mapping_mod
from seed_assets.target import reading

out = Console(highlight=False, emoji=False)


@contextmanager
def _read_only(url: str) -> Iterator[psycopg.Connection]:
    """One READ ONLY transaction, rolled back: the introspection cannot write."""
    with database.connection(url) as conn:
        conn.read_only = True
        try:
            yield conn
        finally:
            conn.rollback()


def _catalog(conn: psycopg.Connection, schema: str | None) -> catalog.Catalog:
    if schema is not None:
        row = conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [schema]).fetchone()
        if row is None:
            raise ConfigError(f"schema {schema!r} does not exist in the database")
    return catalog.read(conn, schema)


@main.group()
def schema() -> None:
    """Seed your own schema: draft a mapping from the database, check it.

    The mapping (seed-map.toml, docs/mapping.md) says where and how the simulation's tables land
    in an existing app schema. Both commands only read the database. Seeding through a mapping
    is not built yet: `seed up` still writes its own tables.
    """


@schema.command()
@click.option(
    "--out",
    "out_file",
    type=str,
    default="seed-map.toml",
    show_default=True,
    help="Where to write the mapping: .toml, .yaml or .yml; - for stdout (TOML).",
)
@click.option("--schema", "db_schema", type=str, help="The app's schema [the current schema].")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@guarded
def draft(out_file: str, db_schema: str | None, force: bool) -> None:
    """Propose a mapping from the live database (DATABASE_URL), read-only.

    For each of the simulation's tables and columns the best match by name and type (case,
    plural, synonyms such as likes ~ Swipe), enum value maps, id strategies from the id
    columns' types, NOT NULL columns without default filled where a rule fits. Every guess and
    everything that could not be mapped is marked with a comment. Nothing is written to the
    database.
    """
    path = None if out_file == "-" else Path(out_file)
    if path is not None:
        if path.suffix.lower() not in (".toml", ".yaml", ".yml"):
            raise ConfigError(f"--out {out_file}: the file must end in .toml, .yaml or .yml")
        if path.exists() and not force:
            raise ConfigError(f"--out {out_file}: the file exists (give --force to overwrite it)")
    url = database.resolve_url()
    with _read_only(url) as conn:
        live = _catalog(conn, db_schema)
        name = conn.info.dbname
    result = draft_mod.draft(live, f"database {name!r}")
    yaml = path is not None and path.suffix.lower() in (".yaml", ".yml")
    text = result.yaml() if yaml else result.toml()
    if path is None:
        click.echo(text, nl=False)
        return
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"--out {out_file}: cannot write: {exc.strerror or exc}") from None
    mapped = sum(1 for s in result.sections if s.path[-1:] == ("columns",))
    out.print(
        f"schema draft: wrote {escape(str(path))} ({mapped} tables mapped, "
        f"{result.guesses} guesses, {len(result.unmapped)} unmapped); "
        "edit it, then run `seed schema check`",
        soft_wrap=True,
    )


@schema.command()
@click.option(
    "--mapping",
    "mapping_file",
    type=str,
    help="The mapping file [seed-map.toml (or .yaml) if present, else the native schema].",
)
@guarded
def check(mapping_file: str | None) -> None:
    """Compare the mapping with the live database (read-only); exit 2 with every problem.

    Each problem is a line `table.column: what is wrong; fix: what to do`: unknown tables and
    columns, NOT NULL columns nothing fills, types too narrow for the values, enum labels the
    target lacks, unique keys the generated rows could violate, foreign keys into tables the
    mapping does not fill, duplicate target columns, expression errors, id strategies on
    columns that cannot hold them. Without a mapping file the native schema is checked.
    """
    path = Path(mapping_file) if mapping_file else reading.default_file()
    mapping = reading.load(path) if path is not None else mapping_mod.native()
    url = database.resolve_url()
    with _read_only(url) as conn:
        live = _catalog(conn, mapping.schema)
    result = check_mod.check(mapping, live)
    for note in result.notes:
        out.print(f"[dim]note: {escape(note)}[/]", soft_wrap=True)
    if result.differences:
        raise check_mod.MappingMismatch(mapping.origin, result.differences)
    out.print(
        f"schema check: clean ({result.tables} tables, {result.columns} columns mapped"
        f"{', ' + escape(mapping.origin) if not mapping.native else ', native schema'})",
        soft_wrap=True,
    )
