"""`seed verify`: the calibration targets measured on a seeded database, read-only.

One database is seeded once per module by `seed up` (1,000 users x 30 days, the parameters of
``tests/test_activity_calibration.py``); tests that change data work on a copy of it.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import polars as pl
import psycopg
import pytest
from psycopg import sql

from seed_assets import database, verify
from seed_assets.generators import IDENTITY
from seed_assets.generators.activity import simulate_day
from seed_assets.schema import ACTIVITY
from tests.conftest import fresh_database
from tests.test_activity_calibration import DAYS, PARAMS
from tests.test_cli import run

OPTIONS = ["--users", str(PARAMS.users), "--shard-size", str(PARAMS.shard_size)]
OPTIONS += ["--run-seed", PARAMS.run_seed, "--start-date", PARAMS.start_date.isoformat()]
ACTIVITY_METRICS = {"match_rate", "response_rate", "posts_per_active_user_week"}
ACTIVITY_METRICS |= {"messages_per_match"}


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("verify")
    return {"SEED_HOME": str(root / "seed"), "DAGSTER_HOME": str(root / "dagster")}


@pytest.fixture(scope="module")
def seeded(server_url: str, home: dict[str, str]) -> Iterator[str]:
    with fresh_database(server_url, "verify") as url:
        up = run(
            ["up", *OPTIONS, "--days", str(DAYS), "--skip-jobs"], {**home, "DATABASE_URL": url}
        )
        assert up.returncode == 0, up.stderr
        yield url


@pytest.fixture
def copy(seeded: str, server_url: str) -> Iterator[str]:
    """A copy of the seeded database, for tests that change it."""
    with fresh_database(server_url, "verify_copy", template=seeded) as url:
        yield url


def measured(url: str) -> dict[str, verify.Metric]:
    with verify.read_only(url) as conn:
        return {m.name: m for m in verify.metrics(conn, PARAMS)}


def test_every_metric_is_in_range_and_verify_exits_0(seeded: str, home: dict[str, str]) -> None:
    metrics = measured(seeded)
    assert set(metrics) == set(verify.targets(PARAMS))
    for m in metrics.values():
        assert not math.isnan(m.value) and m.ok, m
    tables = {m.table for m in metrics.values()}
    assert tables == {"matches", "messages", "posts", "quiz_results"} | {
        "user_interests",
        "profile_media",
    }
    result = run(["verify"], {**home, "DATABASE_URL": seeded, "COLUMNS": "200"})
    assert result.returncode == 0, result.stderr
    for name in metrics:
        assert name in result.stdout


def test_values_equal_the_generators(seeded: str) -> None:
    """The same figures, computed from the pure generators' frames for the same parameters
    (verify.frame_metrics: the metrics' definitions over frames)."""
    days = [simulate_day(PARAMS, d) for d in range(DAYS)]
    t = {name: pl.concat([d[name] for d in days]) for name in days[0]}
    t |= {name: IDENTITY[name](PARAMS, 1, PARAMS.users + 1) for name in IDENTITY}
    metrics = measured(seeded)
    expected = verify.frame_metrics(t, PARAMS.start_date, PARAMS.users)
    assert set(expected) == set(metrics)
    for name, value in expected.items():
        if name.endswith("_per_user"):  # a mean: SQL's avg and numpy's sum in another order
            assert metrics[name].value == pytest.approx(value, abs=1e-12), name
        else:
            assert metrics[name].value == value, name


def test_tampered_data_is_out_of_range_and_exits_7(copy: str, home: dict[str, str]) -> None:
    with database.connection(copy, autocommit=True) as conn:
        conn.execute("DELETE FROM messages WHERE id % 10 <> 0")  # keep one message in ten
    metrics = measured(copy)
    assert not metrics["messages_per_match"].ok
    assert metrics["match_rate"].ok
    result = run(["verify"], {**home, "DATABASE_URL": copy, "COLUMNS": "200"})
    assert result.returncode == 7
    assert "OUT" in result.stdout
    assert "messages_per_match" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_verify_runs_as_a_read_only_role(
    seeded: str, server_url: str, home: dict[str, str]
) -> None:
    role, password = f"seed_reader_{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    with database.connection(server_url, autocommit=True) as admin:
        create = sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}")
        admin.execute(create.format(sql.Identifier(role), sql.Literal(password)))
        admin.execute(sql.SQL("GRANT pg_read_all_data TO {}").format(sql.Identifier(role)))
    try:
        parts = urlsplit(seeded)
        host = parts.netloc.rpartition("@")[2]
        reader = urlunsplit(parts._replace(netloc=f"{role}:{password}@{host}"))
        with database.connection(reader, autocommit=True) as conn, pytest.raises(psycopg.Error):
            conn.execute("DELETE FROM messages")  # the role really cannot write
        result = run(["verify"], {**home, "DATABASE_URL": reader, "COLUMNS": "200"})
        assert result.returncode == 0, result.stderr
        assert password not in result.stdout + result.stderr
    finally:
        with database.connection(server_url, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


def test_the_session_is_read_only(seeded: str) -> None:
    with verify.read_only(seeded) as conn:
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("DELETE FROM messages")
        assert all(m.ok for m in verify.metrics(conn, PARAMS))


def test_identity_only_reports_activity_as_not_applicable(copy: str, home: dict[str, str]) -> None:
    with database.connection(copy, autocommit=True) as conn:
        tables = sql.SQL(", ").join(sql.Identifier(t.name) for t in ACTIVITY)
        conn.execute(sql.SQL("TRUNCATE {}").format(tables))
    metrics = measured(copy)
    for name, m in metrics.items():
        assert m.ok, m
        assert math.isnan(m.value) == (name in ACTIVITY_METRICS), m
        if name in ACTIVITY_METRICS:
            assert m.detail == "no activity seeded"
    result = run(["verify"], {**home, "DATABASE_URL": copy, "COLUMNS": "200"})
    assert result.returncode == 0, result.stderr
    assert "n/a" in result.stdout


def test_fewer_than_a_week_leaves_posts_per_week_not_applicable(copy: str) -> None:
    sixth_day = PARAMS.start_date + dt.timedelta(days=5)
    with database.connection(copy, autocommit=True) as conn:
        for table in ("likes", "posts"):
            conn.execute(f"DELETE FROM {table} WHERE day >= %s", [sixth_day])
    m = measured(copy)["posts_per_active_user_week"]
    assert math.isnan(m.value) and m.ok and "fewer than 7 days" in m.detail


def test_an_empty_database_is_refused(db_url: str, home: dict[str, str]) -> None:
    result = run(["verify"], {**home, "DATABASE_URL": db_url})
    assert result.returncode == 2
    assert "nothing seeded here" in result.stderr
