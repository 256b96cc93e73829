"""``seed_runs``: one row per seeding run, with its parameters, versions and row counts."""

from __future__ import annotations

import json
import platform
from importlib import metadata as importlib_metadata

import psycopg

from seed_assets import GENERATOR_VERSION
from seed_assets.config import SeedParams
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
