"""The `seed` console script end to end, as a user runs it (a real subprocess, a real database)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from seed_assets import database, ddl
from tests.conftest import row_count, table_digest

SEED = str(Path(sys.executable).with_name("seed"))


def run(
    args: list[str], env: dict[str, str], timeout: int = 240
) -> subprocess.CompletedProcess[str]:
    full_env = {
        k: v for k, v in os.environ.items() if not k.startswith("SEED_") or k == "SEED_CACHE"
    }
    full_env.pop("DATABASE_URL", None)
    full_env.update(env)
    return subprocess.run(
        [SEED, *args], env=full_env, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture
def env(seed_home: Path, db_url: str) -> dict[str, str]:
    return {
        "SEED_HOME": str(seed_home / "seed"),
        "DAGSTER_HOME": str(seed_home / "dagster"),
        "DATABASE_URL": db_url,
        "COLUMNS": "160",
    }


def test_help_documents_every_option() -> None:
    top = run(["--help"], {})
    assert top.returncode == 0 and "up" in top.stdout
    up = run(["up", "--help"], {})
    for option in (
        "--users",
        "--count",
        "--run-seed",
        "--shard-size",
        "--start-date",
        "--calibration",
    ):
        assert option in up.stdout


def test_seed_up_end_to_end_and_again(env: dict[str, str], conn: psycopg.Connection) -> None:
    args = ["up", "--users", "300", "--shard-size", "100", "--run-seed", "cli"]
    first = run(args, env)
    assert first.returncode == 0, first.stderr
    assert "users" in first.stdout and "300" in first.stdout and "rows/s" in first.stdout
    assert row_count(conn, "users") == 300
    assert row_count(conn, "quiz_results") > 0
    fks = conn.execute("SELECT count(*) FROM pg_constraint WHERE contype = 'f'").fetchone()
    assert fks is not None and fks[0] > 20  # bulk load finished by building the foreign keys
    digest = table_digest(conn, "profiles")

    second = run(args, env)
    assert second.returncode == 0, second.stderr
    assert table_digest(conn, "profiles") == digest
    runs = conn.execute("SELECT status, row_counts->>'users' FROM seed_runs").fetchall()
    assert runs == [("success", "300"), ("success", "300")]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--users", "-5"], "users must be between 1"),
        (["--users", "1000000000"], "users must be between 1"),
        (["--users", "many"], "whole number"),
        (["--start-date", "2024-02-30"], "YYYY-MM-DD"),
        (["--run-seed", "has space"], "run seed"),
        (["--calibration", "nope"], "unknown calibration profile"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(
    args: list[str], message: str, env: dict[str, str], conn: psycopg.Connection
) -> None:
    result = run(["up", *args], env)
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert ddl.existing_tables(conn) == set()


def test_unreachable_database_hides_the_password(env: dict[str, str]) -> None:
    bad = {**env, "DATABASE_URL": "postgresql://bob:s3cretpw@127.0.0.1:1/nothing"}
    result = run(["up", "--users", "10"], bad)
    assert result.returncode == 3
    assert "s3cretpw" not in result.stderr + result.stdout
    assert "bob:***@127.0.0.1" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_embedded_postgres_by_default(seed_home: Path) -> None:
    """Without DATABASE_URL the CLI starts its own server. The first on a machine keeps its
    prepared cluster as the template; a second project's server starts from a copy of it, with
    its own Dagster instance (the template holds no runs)."""
    cache = seed_home / "cache"
    homes = [seed_home / "first", seed_home / "second"]
    clusters, runs = [], []
    for home in homes:
        result = run(
            ["up", "--users", "40", "--shard-size", "20", "--json"],
            {
                "SEED_HOME": str(home / "seed"),
                "DAGSTER_HOME": str(home / "dagster"),
                "SEED_CACHE": str(cache),
            },
        )
        assert result.returncode == 0, result.stderr
        clusters.append(json.loads(result.stdout)["server"]["cluster"])
        pgdata = home / "seed" / "pgdata"
        assert (pgdata / "PG_VERSION").exists()
        url = database.embedded_url(pgdata)
        with database.connection(url) as c:
            assert row_count(c, "users") == 40
            # The CLI's runs are in the Dagster instance, whose storage is on the same server.
            assert c.execute("SELECT 1 FROM pg_database WHERE datname = 'dagster'").fetchone()
        with database.connection(url.replace("/postgres?", "/dagster?")) as c:
            recorded = c.execute("SELECT count(*) FROM runs").fetchone()
        assert recorded is not None
        runs.append(recorded[0])
    assert clusters == ["built", "copied"]
    assert runs[0] >= 2 and runs[1] == runs[0]


def test_up_with_days_then_extend_leaves_the_past_alone(
    env: dict[str, str], conn: psycopg.Connection
) -> None:
    args = ["up", "--users", "300", "--shard-size", "150", "--days", "4"]
    up = run([*args, "--start-date", "2024-03-01"], env)
    assert up.returncode == 0, up.stderr
    days = conn.execute("SELECT DISTINCT day FROM likes ORDER BY day").fetchall()
    assert [str(d[0]) for d in days] == ["2024-03-01", "2024-03-02", "2024-03-03", "2024-03-04"]
    tables = ("likes", "matches", "conversations", "messages", "posts", "feed_seen")
    for table in tables:  # a snapshot of the first four days, row for row
        conn.execute(f"CREATE TEMP TABLE old_{table} AS SELECT * FROM {table}")

    extended = run(["extend", "--days", "2", "--json"], env)
    assert extended.returncode == 0, extended.stderr
    last = conn.execute("SELECT max(day) FROM likes").fetchone()
    assert last is not None and str(last[0]) == "2024-03-06"
    summary = json.loads(extended.stdout)  # --json: the summary alone on stdout, as data
    assert summary["command"] == "seed extend"
    assert set(summary["tables"]) == {*tables, "user_traits", "trending"}  # and their jobs
    new = "SELECT count(*) FROM likes WHERE day > '2024-03-04'"
    assert (summary["tables"]["likes"]["rows"],) == conn.execute(new).fetchone()
    steps = {summary["tables"][t]["step"] for t in tables}
    assert steps == {"activity"}  # one simulation per day writes all six
    step = summary["tables"]["likes"]
    assert 0 < step["generate_seconds"] <= step["seconds"] <= summary["seconds"]
    for table in tables:
        old = f"SELECT * FROM {table} WHERE day <= '2024-03-04'"
        diff = conn.execute(
            f"SELECT count(*) FROM (({old} EXCEPT SELECT * FROM old_{table}) UNION ALL "
            f"(SELECT * FROM old_{table} EXCEPT {old})) d"
        ).fetchone()
        assert diff == (0,), table
    assert row_count(conn, "likes") > row_count(conn, "old_likes")


@pytest.mark.parametrize("days", ["-1", "99999", "soon"])
def test_bad_days_are_refused(days: str, env: dict[str, str], conn: psycopg.Connection) -> None:
    result = run(["up", "--users", "10", "--days", days], env)
    assert result.returncode == 2
    assert "days" in result.stderr
    assert ddl.existing_tables(conn) == set()


def test_extend_needs_a_seeded_database(env: dict[str, str], conn: psycopg.Connection) -> None:
    result = run(["extend", "--days", "3"], env)
    assert result.returncode == 5  # the guard first: not marked as ours
    assert "no seed-assets marker" in result.stderr and ddl.existing_tables(conn) == set()
    assert run(["init"], env).returncode == 0
    result = run(["extend", "--days", "3"], env)
    assert result.returncode == 2
    assert "nothing seeded here" in result.stderr


@pytest.mark.parametrize(
    ("flag", "empty"),
    [
        ("--skip-jobs", {"match_scores", "compatibility", "user_traits", "quiz_stats", "trending"}),
        ("--skip-match-scores", {"match_scores", "compatibility"}),
        ("--skip-compatibility", {"compatibility"}),
    ],
)
def test_job_flags_of_the_original_scripts(
    flag: str, empty: set[str], env: dict[str, str], conn: psycopg.Connection
) -> None:
    result = run(["up", "--users", "200", "--shard-size", "100", "--days", "2", flag], env)
    assert result.returncode == 0, result.stderr
    derived = {"match_scores", "compatibility", "user_traits", "quiz_stats", "trending"}
    for table in derived:
        assert (row_count(conn, table) == 0) == (table in empty), table
