"""Fixtures: a real PostgreSQL (embedded, or DATABASE_URL) with a fresh database per test."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import polars as pl
import psycopg
import pytest
from psycopg import sql

from seed_assets import database
from seed_assets.config import SeedParams
from seed_assets.encoded import _order_sql, columns

SMALL = SeedParams(run_seed="test", users=1_000, shard_size=250)


@pytest.fixture(scope="session", autouse=True)
def template_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The suite's own cluster-template cache (SEED_CACHE): nothing written to the user's, and
    the first embedded `seed up` of the session builds the template that later ones copy."""
    root = tmp_path_factory.mktemp("seed-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SEED_CACHE", str(root))
        yield root


@pytest.fixture(scope="session")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """An admin URL: DATABASE_URL if the environment gives one, else a fresh embedded server."""
    if os.environ.get("DATABASE_URL"):
        return database.normalise_url(os.environ["DATABASE_URL"])
    return database.embedded_url(tmp_path_factory.mktemp("pg") / "pgdata")


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


@contextmanager
def fresh_database(
    server_url: str, prefix: str = "t", template: str | None = None
) -> Iterator[str]:
    """A new database on the server (its URL), dropped on exit: empty, or a copy of the
    database at URL ``template`` (nobody may be connected to it)."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    create = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template:
        source = sql.Identifier(urlsplit(template).path.lstrip("/"))
        create = sql.SQL("{} TEMPLATE {}").format(create, source)
    with database.connection(server_url, autocommit=True) as admin:
        admin.execute(create)
    try:
        yield with_database(server_url, name)
    finally:
        with database.connection(server_url, autocommit=True) as admin:
            drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
            admin.execute(drop.format(sql.Identifier(name)))


@pytest.fixture
def db_url(server_url: str) -> Iterator[str]:
    """A new, empty database for one test, dropped afterwards."""
    with fresh_database(server_url) as url:
        yield url


@pytest.fixture
def conn(db_url: str) -> Iterator[psycopg.Connection]:
    with database.connection(db_url, autocommit=True) as c:
        yield c


@pytest.fixture
def seed_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An isolated SEED_HOME and DAGSTER_HOME for CLI and instance tests."""
    monkeypatch.setenv("SEED_HOME", str(tmp_path / "seed"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    return tmp_path


def table_digest(conn: psycopg.Connection, table: str) -> str:
    """A digest of the whole table's content in primary-key order (byte-exact)."""
    cols = ", ".join(f'"{c}"' for c in columns(table))
    digest = hashlib.blake2b(digest_size=16)
    query = f'COPY (SELECT {cols} FROM "{table}" ORDER BY {_order_sql(table)}) TO STDOUT'
    with conn.cursor() as cur, cur.copy(query) as copy:  # type: ignore[arg-type]
        for block in copy:
            digest.update(block)
    return digest.hexdigest()


def row_count(conn: psycopg.Connection, table: str) -> int:
    row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))).fetchone()
    return int(row[0]) if row else 0


def extent(series: pl.Series) -> tuple[Any, Any]:
    """The smallest and the largest value of a series that has some."""
    lo, hi = series.min(), series.max()
    assert lo is not None and hi is not None
    return lo, hi
