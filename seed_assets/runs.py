"""``seed_runs``: one row per seeding run, with its parameters, versions and row counts, recorded
as it starts and ends (``replay.py`` reads them back: what the database should hold)."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
from importlib import metadata as importlib_metadata
from typing import Any

import psycopg

from seed_assets import GENERATOR_VERSION, command_lock
from seed_assets import versions as code_versions
from seed_assets.config import ENV, SeedParams
from seed_assets.database import server_version


def versions(conn: psycopg.Connection) -> dict[str, str]:
    def dist(name: str) -> str:
        try:
            return importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            return "absent"

    return {
        "generator": GENERATOR_VERSION,
        "jobs": code_versions.DERIVED,
        "seed_assets": dist("seed-assets"),
        "dagster": dist("dagster"),
        "polars": dist("polars"),
        "postgres": server_version(conn),
        "python": platform.python_version(),
    }


def start(
    conn: psycopg.Connection,
    run_id: str,
    command: str,
    params: SeedParams,
    activity_days: tuple[dt.date, dt.date] | None = None,
) -> None:
    """Record a run as started; ``activity_days`` is the (first, last) day it writes, if any.

    Under a command lock (:mod:`seed_assets.command_lock`) the run is claimed first, so its row
    never says ``running`` without a live holder while its process lives."""
    command_lock.claim(conn, run_id)
    recorded = {**params.public_dict(), "fingerprint": params.fingerprint()}
    if activity_days:
        recorded["activity_days"] = [d.isoformat() for d in activity_days]
    conn.execute(
        "INSERT INTO seed_runs (run_id, command, run_seed, params, versions, status) "
        "VALUES (%s, %s, %s, %s, %s, 'running')",
        [
            run_id,
            command,
            params.run_seed,
            json.dumps(recorded),
            json.dumps(versions(conn)),
        ],
    )


def finish(conn: psycopg.Connection, run_id: str, status: str, row_counts: dict[str, int]) -> None:
    conn.execute(
        "UPDATE seed_runs SET status = %s, row_counts = %s, finished_at = now() WHERE run_id = %s",
        [status, json.dumps(row_counts), run_id],
    )


def last_params(conn: psycopg.Connection) -> tuple[SeedParams, str] | None:
    """The parameters (and their fingerprint) of the last successful ``seed up`` or ``seed load``
    (a loaded export carries its parameters, so ``seed extend`` can continue it)."""
    exists = conn.execute("SELECT to_regclass('seed_runs') IS NOT NULL").fetchone()
    if not exists or not exists[0]:
        return None
    row = conn.execute(
        "SELECT params FROM seed_runs WHERE status = 'success' "
        "AND command IN ('seed up', 'seed load') "
        "ORDER BY started_at DESC LIMIT 1"
    ).fetchone()
    if row is None:
        return None
    recorded = dict(row[0])
    return recorded_params(recorded), recorded["fingerprint"]


def recorded_params(recorded: dict[str, Any]) -> SeedParams:
    """A run's recorded parameters (the password from the environment: never recorded)."""
    fields = {k: v for k, v in recorded.items() if k not in ("fingerprint", "activity_days")}
    fields["dev_password"] = os.environ.get(ENV["dev_password"])
    return SeedParams.from_strings(fields)


def record_reset(
    conn: psycopg.Connection, run_id: str, scope: str, removed: dict[str, int]
) -> None:
    conn.execute(
        "INSERT INTO seed_runs (run_id, command, run_seed, params, versions, status, row_counts, "
        "finished_at) VALUES (%s, 'seed reset', '', %s, %s, 'success', %s, now())",
        [run_id, json.dumps({"scope": scope}), json.dumps(versions(conn)), json.dumps(removed)],
    )


def record_step(
    conn: psycopg.Connection,
    run_id: str,
    command: str,
    params: SeedParams,
    activity_days: tuple[dt.date, dt.date] | None,
    row_counts: dict[str, int] | None,
) -> None:
    """A run launched from Dagster (UI, schedule, sensor): each step upserts the run's row.

    ``row_counts`` None: the step starts (status ``running``); otherwise it finished and its
    counts are added (status ``success``, until a later step starts)."""
    row = conn.execute(
        "SELECT params, row_counts FROM seed_runs WHERE run_id = %s", [run_id]
    ).fetchone()
    recorded = dict(row[0]) if row else {}
    counts = dict(row[1]) if row else {}
    days = [dt.date.fromisoformat(d) for d in recorded.get("activity_days", [])]
    if activity_days:
        days += list(activity_days)
    fresh = {**params.public_dict(), "fingerprint": params.fingerprint()}
    if days:
        fresh["activity_days"] = [min(days).isoformat(), max(days).isoformat()]
    for table, rows in (row_counts or {}).items():
        counts[table] = counts.get(table, 0) + rows
    status = "running" if row_counts is None else "success"
    conn.execute(
        "INSERT INTO seed_runs (run_id, command, run_seed, params, versions, row_counts, status) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (run_id) DO UPDATE SET "
        "params = EXCLUDED.params, row_counts = EXCLUDED.row_counts, status = EXCLUDED.status, "
        "finished_at = CASE WHEN EXCLUDED.status = 'success' THEN now() END",
        [
            run_id,
            command,
            params.run_seed,
            json.dumps(fresh),
            json.dumps(versions(conn)),
            json.dumps(counts),
            status,
        ],
    )
