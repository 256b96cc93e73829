"""The original scripts' flags still work, and a password in DATABASE_URL never leaks: not to the
terminal, not to seed_runs, not to Dagster's event log."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

from tests.conftest import row_count
from tests.test_cli import run

PASSWORD = "pw-3c1d5e9f-never-shown"


def with_password(url: str) -> str:
    """The same database, with a password in the URL (the test servers trust local users, so it
    is accepted and ignored)."""
    parts = urlsplit(url)
    user, _, host = parts.netloc.rpartition("@")
    user = (user or "postgres").split(":")[0]
    return urlunsplit(parts._replace(netloc=f"{user}:{PASSWORD}@{host}"))


def test_seeds_000_spellings_and_no_password_anywhere(
    db_url: str, seed_home: Path, conn: psycopg.Connection
) -> None:
    env = {
        "SEED_HOME": str(seed_home / "seed"),
        "DAGSTER_HOME": str(seed_home / "dagster"),
        "DATABASE_URL": with_password(db_url),
        "COLUMNS": "160",
    }
    up = run(
        ["up", "--count", "200", "--batch-size", "100", "--activity-days", "2", "--skip-jobs"], env
    )
    assert up.returncode == 0, up.stderr
    assert row_count(conn, "users") == 200 and row_count(conn, "likes") > 0
    assert row_count(conn, "match_scores") == 0
    jobs = run(["jobs", "--jobs", "match-scores"], env)
    assert jobs.returncode == 0, jobs.stderr
    assert row_count(conn, "match_scores") > 0 and row_count(conn, "compatibility") == 0
    audit = run(["audit"], env)
    assert audit.returncode == 0, audit.stdout
    for done in (up, jobs, audit):
        assert PASSWORD not in done.stdout + done.stderr
    recorded = conn.execute("SELECT params::text, versions::text FROM seed_runs").fetchall()
    assert recorded and all(PASSWORD not in a + b for a, b in recorded)
    # Dagster's instance (event log, runs) lives in DAGSTER_HOME when DATABASE_URL is set.
    files = [p for p in (seed_home / "dagster").rglob("*") if p.is_file()]
    assert files and not [p for p in files if PASSWORD.encode() in p.read_bytes()]
