"""``seed_runs``: one row per seeding run, with its parameters, versions and row counts."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
from importlib import metadata as importlib_metadata

import psycopg

from seed_assets import GENERATOR_VERSION
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
        "seed_assets": dist("seed-assets"),
        "dagster": dist("dagster"),
        "polars": dist("polars"),
        "postgres": server_version(conn),
        "python": platform.python_version(),
    }


def start(conn: psycopg.Connection, run_id: str, command: str, params: SeedParams) -> None:
    conn.execute(
        "INSERT INTO seed_runs (run_id, command, run_seed, params, versions, status) "
        "VALUES (%s, %s, %s, %s, %s, 'running')",
        [
            run_id,
            command,
            params.run_seed,
            json.dumps({**params.public_dict(), "fingerprint": params.fingerprint()}),
            json.dumps(versions(conn)),
        ],
    )


def finish(conn: psycopg.Connection, run_id: str, status: str, row_counts: dict[str, int]) -> None:
    conn.execute(
        "UPDATE seed_runs SET status = %s, row_counts = %s, finished_at = now() WHERE run_id = %s",
        [status, json.dumps(row_counts), run_id],
    )


def last_params(conn: psycopg.Connection) -> tuple[SeedParams, str] | None:
    """The parameters (and their fingerprint) of the last successful ``seed up``."""
    exists = conn.execute("SELECT to_regclass('seed_runs') IS NOT NULL").fetchone()
    if not exists or not exists[0]:
        return None
    row = conn.execute(
        "SELECT params FROM seed_runs WHERE status = 'success' AND command = 'seed up' "
        "ORDER BY started_at DESC LIMIT 1"
    ).fetchone()
    if row is None:
        return None
    recorded = dict(row[0])
    fingerprint = recorded.pop("fingerprint")
    recorded["dev_password"] = os.environ.get(ENV["dev_password"])
    return SeedParams.from_strings(recorded), fingerprint


def last_activity_day(conn: psycopg.Connection) -> dt.date | None:
    """The last day whose likes are in the manifest (the activity tier's newest partition)."""
    row = conn.execute(
        "SELECT max(partition_key) FROM seed_manifest WHERE table_name = 'likes'"
    ).fetchone()
    return dt.date.fromisoformat(row[0]) if row and row[0] else None
