"""The Dagster instance the CLI records its runs in (``DAGSTER_HOME``), and its storage.

With the embedded PostgreSQL its storage is a ``dagster`` database on the same server, so the CLI
and ``seed ui`` share one instance; ``prepare_storage`` makes that database for the machine's
cluster template.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import dagster as dg
import psycopg
from psycopg.conninfo import make_conninfo

from seed_assets import database, homelock

_MARKER = "# written by seed-assets; delete this file to configure the instance yourself"


def dagster_instance(url: str | None = None) -> dg.DagsterInstance:
    """The persistent instance in ``DAGSTER_HOME`` (default ``$SEED_HOME/dagster``).

    With the embedded PostgreSQL (``url`` given, DATABASE_URL unset), Dagster's own storage lives
    in a ``dagster`` database on the same server, so the CLI and ``seed ui`` share one instance
    and event writes are cheap; otherwise it is SQLite in ``DAGSTER_HOME``. A dagster.yaml
    written by someone else is left alone.

    Concurrent commands on one ``DAGSTER_HOME`` take turns (a file lock in it,
    :mod:`seed_assets.homelock`) to write the configuration, create the storage and open the
    instance, which creates the storage's tables if they are missing: Dagster's SQLite storage
    fails when two processes create it at once.
    """
    home = Path(os.environ.setdefault("DAGSTER_HOME", str(database.seed_home() / "dagster")))
    home.mkdir(parents=True, exist_ok=True)
    with homelock.held(home / ".instance.lock"):
        config = home / "dagster.yaml"
        ours = not config.exists() or config.read_text().startswith(_MARKER)
        if ours:
            storage = ""
            if url and not os.environ.get("DATABASE_URL"):
                storage = _embedded_storage(url)
            text = f"{_MARKER}\n{storage}telemetry:\n  enabled: false\n"
            if not config.exists() or config.read_text() != text:
                staged = home / f".dagster.yaml.{os.getpid()}.tmp"
                staged.write_text(text)
                staged.replace(config)  # a reader never sees half a file
        instance = dg.DagsterInstance.get()
    if "postgres" in type(instance.event_log_storage).__module__:
        _pool_connections(instance)
    return instance


def _pool_connections(instance: dg.DagsterInstance) -> None:
    """Keep a few open connections instead of connecting for every event written.

    ``optimize_for_webserver`` pools one connection; writing an event checks out a second one,
    which was then opened and closed every time (a third of the CLI's Dagster bookkeeping).
    The storages' ``_engine`` is private to dagster-postgres: ``tests/test_private_apis.py``
    fails if a new version changes it.
    """
    from dagster_postgres.utils import create_pg_engine

    instance.optimize_for_webserver(statement_timeout=0, pool_recycle=3600, max_overflow=4)
    for storage in (instance.event_log_storage, instance.run_storage, instance.schedule_storage):
        url = getattr(storage, "postgres_url", None)
        if url and hasattr(storage, "_engine"):
            storage._engine = create_pg_engine(  # type: ignore[union-attr]
                url,
                getattr(storage, "_token_provider", None),
                isolation_level="AUTOCOMMIT",
                pool_size=4,
                max_overflow=4,
                pool_recycle=3600,
            )


def _embedded_storage(url: str) -> str:
    return f'storage:\n  postgres:\n    postgres_url: "{_create_storage_database(url)}"\n'


def _create_storage_database(url: str) -> str:
    """The ``dagster`` database on the embedded server (made if missing); its SQLAlchemy URL."""
    with database.connection(url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = 'dagster'").fetchone()
        if not exists:
            # (It may have been made just now by a command with another DAGSTER_HOME.)
            with contextlib.suppress(psycopg.errors.DuplicateDatabase):
                conn.execute("CREATE DATABASE dagster")
            # Dagster's event log on a local development server: durability is not worth an
            # fsync per event.
            conn.execute("ALTER DATABASE dagster SET synchronous_commit = off")
    host = parse_qs(urlsplit(url).query)["host"][0]
    return f"postgresql+psycopg2://postgres@/dagster?host={host}"


def prepare_storage(url: str) -> None:
    """Dagster's storage on a new embedded server, as the instance would create it on first use
    (the database, its tables, the schema version stamped), minus the instance's id: what the
    machine's cluster template holds (:mod:`seed_assets.pgtemplate`)."""
    from dagster_postgres import DagsterPostgresStorage

    DagsterPostgresStorage(_create_storage_database(url), should_autocreate_tables=True)
    with database.connection(make_conninfo(url, dbname="dagster"), autocommit=True) as conn:
        conn.execute("DELETE FROM instance_info")  # each copy makes its own run storage id
