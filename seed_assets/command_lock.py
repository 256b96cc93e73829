"""One write command at a time per database, and a run's liveness, with PostgreSQL advisory locks.

Every write command (``up``, ``extend``, ``jobs``, ``repair``, ``reset``, ``load``, ``init``)
holds :func:`held` for its whole length, on a connection of its own, and takes it before it
reads what it will write: a second command waits (``SEED_LOCK_TIMEOUT`` seconds, default 600;
then it is refused, exit 5) and then computes its work from what the first one left. The lock
is session-level, so PostgreSQL releases it when the holder's process dies, however it dies.

Each run the command records (``runs.start``) is also claimed on that connection: a second
advisory lock keyed by the run id (:mod:`seed_assets.liveness`). A ``seed_runs`` row that says
``running`` while nobody holds its run's lock belongs to a process that is gone:
``liveness.mark_dead_runs`` (called under the command lock) marks it ``interrupted``, and
``seed audit`` reports it. Ctrl-C and SIGTERM mark
the claimed runs ``interrupted`` on the way out.

Runs launched from the Dagster UI do not take the command lock (per-partition advisory locks
serialise their writes) and are not judged by liveness.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

import psycopg

from seed_assets import database, guard
from seed_assets.config import ConfigError
from seed_assets.liveness import RUN_CLASS, mark_dead_runs, run_key

TIMEOUT_ENV = "SEED_LOCK_TIMEOUT"
DEFAULT_TIMEOUT_S = 600.0
POLL_S = 0.2
# The two-key advisory lock space (pg_advisory_lock(int4, int4)): the first key says whose.
COMMAND_CLASS = 0x5EED  # (COMMAND_CLASS, COMMAND_KEY): the database's write commands
COMMAND_KEY = 1
# application_name of the lock's connection: "<command> run <run id>" once a run is claimed.
RUN_SEPARATOR = " run "

_current: CommandLock | None = None


def timeout() -> float:
    raw = os.environ.get(TIMEOUT_ENV, "").strip()
    if not raw:
        return DEFAULT_TIMEOUT_S
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value < float("inf"):
        raise ConfigError(f"{TIMEOUT_ENV} must be a number of seconds (0 or more), got {raw!r}")
    return value


class CommandLock:
    """The held command lock: its connection, and the runs claimed on it."""

    def __init__(self, conn: psycopg.Connection, command: str) -> None:
        self.conn = conn
        self.command = command
        self.run_id = f"cli-{uuid.uuid4()}"  # the id of the run this command will record
        self.runs: list[str] = []

    def claim(self, run_id: str) -> None:
        """Mark ``run_id`` as this live process's (its liveness lock and application_name)."""
        self.conn.execute("SELECT pg_advisory_lock(%s, %s)", [RUN_CLASS, run_key(run_id)])
        name = f"{self.command}{RUN_SEPARATOR}{run_id}"[:63]
        self.conn.execute("SELECT set_config('application_name', %s, false)", [name])
        self.runs.append(run_id)


def current() -> CommandLock | None:
    """The command lock this process holds, if any."""
    return _current


def new_run_id() -> str:
    """The id for the run this process records: the one its command lock announces to those
    waiting for it (if it holds one and has not recorded it yet), else a new one."""
    if _current is not None and _current.run_id not in _current.runs:
        return _current.run_id
    return f"cli-{uuid.uuid4()}"


def claim(conn: psycopg.Connection, run_id: str) -> None:
    """Under this process's command lock (if it holds one; ``runs.start``, once the guard has
    let the command write): mark the runs dead processes left ``running`` as ``interrupted``,
    then claim ``run_id``."""
    if _current is not None:
        mark_dead_runs(conn)
        _current.claim(run_id)


def holder(conn: psycopg.Connection) -> tuple[int | None, str]:
    """Who holds the command lock: its backend's pid and ``<command> (run <id>)`` (or a vaguer
    description)."""
    row = conn.execute(
        "SELECT l.pid, a.application_name FROM pg_locks l "
        "LEFT JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.granted AND l.database = "
        "(SELECT oid FROM pg_database WHERE datname = current_database()) "
        "AND l.classid = %s AND l.objid = %s AND l.objsubid = 2",
        [COMMAND_CLASS, COMMAND_KEY],
    ).fetchone()
    pid, name = (row[0], row[1] or "") if row else (None, "")
    if not name.startswith("seed "):
        return pid, "another seed command"
    command, _, run_id = name.partition(RUN_SEPARATOR)
    return pid, f"{command} (run {run_id})" if run_id else command


def _try(conn: psycopg.Connection) -> bool:
    row = conn.execute("SELECT pg_try_advisory_lock(%s, %s)", [COMMAND_CLASS, COMMAND_KEY])
    got = row.fetchone()
    return bool(got and got[0])


class _Interrupted(KeyboardInterrupt):
    """SIGTERM, raised as Ctrl-C is."""


_signalled = threading.Event()  # SIGTERM arrived while the lock was held


def _interruption(exc: BaseException) -> bool:
    """Ctrl-C or SIGTERM, also when Dagster turned it into a failed step."""
    return (
        isinstance(exc, KeyboardInterrupt)
        or _signalled.is_set()
        or "DagsterExecutionInterruptedError" in str(exc)
    )


@contextmanager
def held(url: str, command: str) -> Iterator[CommandLock]:
    """Hold the database's command lock for ``command`` (waiting for the holder, if any). On the
    way out, runs this
    process claimed and left ``running`` are marked ``interrupted`` (Ctrl-C, SIGTERM) or
    ``failure`` (an error)."""
    global _current
    if _current is not None:  # nested (a command calling another's code): one lock is enough
        yield _current
        return
    limit = timeout()
    guard.check_host(url)  # before connecting anywhere
    with database.connection(url, autocommit=True) as conn:
        lock = CommandLock(conn, command)
        name = f"{command}{RUN_SEPARATOR}{lock.run_id}"[:63]
        conn.execute("SELECT set_config('application_name', %s, false)", [name])
        if not _try(conn):
            _wait(conn, command, limit)
        restore = _on_sigterm()
        _current = lock
        try:
            yield lock
        except BaseException as exc:
            status = "interrupted" if _interruption(exc) else "failure"
            _finish_claimed(lock, status, interrupted=status == "interrupted")
            raise
        finally:
            _current = None
            restore()
        _finish_claimed(lock, "failure", interrupted=False)  # a run left unfinished


def _wait(conn: psycopg.Connection, command: str, limit: float) -> None:
    """Wait for the holder to release the command lock, then take it; refused after ``limit``
    seconds (:class:`guard.Refused`). Says who holds it, again when the holder changes."""
    from seed_assets.cli.common import err

    deadline, shown = time.monotonic() + limit, None
    while not _try(conn):
        pid, who = holder(conn)
        if pid != shown:  # (the holder changes when several commands wait)
            err.print(f"waiting for {who} on this database…", highlight=False)
            shown = pid
        if time.monotonic() >= deadline:
            raise guard.Refused(
                f"{command}: {who} still holds this database after "
                f"{limit:g} s ({TIMEOUT_ENV}); try again when it has finished"
            )
        time.sleep(POLL_S)


def _finish_claimed(lock: CommandLock, status: str, *, interrupted: bool) -> None:
    """Runs claimed and still ``running`` get ``status``; after Ctrl-C also those a handler
    already marked ``failure`` (the interruption surfaced as a failed step)."""
    if not lock.runs:
        return
    states = ["running", "failure"] if interrupted else ["running"]
    # If the server is gone, the next command marks the run (nobody holds its lock).
    with contextlib.suppress(psycopg.Error):
        lock.conn.execute(
            "UPDATE seed_runs SET status = %s, finished_at = now() "
            "WHERE run_id = ANY(%s) AND status = ANY(%s)",
            [status, lock.runs, states],
        )


def _on_sigterm() -> Callable[[], object]:
    """SIGTERM raises KeyboardInterrupt (as Ctrl-C does) while the lock is held."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def interrupt(signum: int, frame: FrameType | None) -> None:
        _signalled.set()
        raise _Interrupted()

    previous = signal.signal(signal.SIGTERM, interrupt)
    return lambda: signal.signal(signal.SIGTERM, previous)
