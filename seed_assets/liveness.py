"""A run's liveness: the process that records a run holds an advisory lock keyed by its id.

``command_lock`` claims each run its command records on the command lock's connection
(``CommandLock.claim``), so PostgreSQL releases the run's lock when the process dies, however it
dies. A ``seed_runs`` row that says ``running`` while nobody holds its run's lock belongs to a
process that is gone: :func:`mark_dead_runs` marks it ``interrupted``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import psycopg

RUN_CLASS = 0x5EEE  # (RUN_CLASS, run_key(run_id)): a run's process is alive


def run_key(run_id: str) -> int:
    """The second key of a run's liveness lock (a non-negative int4)."""
    return int.from_bytes(hashlib.blake2b(run_id.encode(), digest_size=4).digest()) & 0x7FFFFFFF


def live_runs(conn: psycopg.Connection, run_ids: Iterable[str]) -> set[str]:
    """Those of ``run_ids`` whose liveness lock some session of this database holds."""
    ids = list(run_ids)
    if not ids:
        return set()
    rows = conn.execute(
        "SELECT objid::bigint FROM pg_locks WHERE locktype = 'advisory' AND granted "
        "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
        "AND classid = %s AND objsubid = 2",
        [RUN_CLASS],
    ).fetchall()
    held_keys = {int(r[0]) for r in rows}
    return {i for i in ids if run_key(i) in held_keys}


def running_cli_runs(conn: psycopg.Connection) -> list[tuple[str, str, list[str] | None]]:
    """(run id, command, claimed days) of the ``seed`` commands' rows still ``running``."""
    exists = conn.execute("SELECT to_regclass('seed_runs') IS NOT NULL").fetchone()
    if not exists or not exists[0]:
        return []
    rows = conn.execute(
        "SELECT run_id, command, params -> 'activity_days' FROM seed_runs "
        "WHERE status = 'running' AND command LIKE 'seed %' ORDER BY started_at"
    ).fetchall()
    return [(r[0], r[1], r[2]) for r in rows]


def mark_dead_runs(conn: psycopg.Connection) -> list[str]:
    """Mark ``interrupted`` the ``seed`` runs left ``running`` by a process that is gone (call
    under the command lock: no run can start meanwhile); return their ids."""
    running = running_cli_runs(conn)
    alive = live_runs(conn, [r[0] for r in running])
    dead = [r[0] for r in running if r[0] not in alive]
    if dead:
        conn.execute(
            "UPDATE seed_runs SET status = 'interrupted', finished_at = now() "
            "WHERE run_id = ANY(%s) AND status = 'running'",
            [dead],
        )
    return dead
