"""`seed explain user ID`: one user regenerated without a database equals what `seed up` wrote."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from seed_assets import database, explain
from seed_assets.config import SeedParams
from seed_assets.frames import columns
from seed_assets.schema import ACTIVITY, IDENTITY
from tests.conftest import fresh_database
from tests.test_cli import run

PARAMS = SeedParams(run_seed="explain", users=400, shard_size=150, start_date=dt.date(2024, 2, 1))
DAYS = 6
OPTIONS = ["--users", "400", "--shard-size", "150", "--run-seed", "explain"]
OPTIONS += ["--start-date", "2024-02-01"]
UNREACHABLE = "postgresql://bob:s3cretpw@127.0.0.1:1/nothing"


@pytest.fixture(scope="module")
def seeded(server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database seeded by `seed up` with PARAMS and DAYS days of activity (once per module)."""
    home = tmp_path_factory.mktemp("explain")
    with fresh_database(server_url, "explain") as url:
        env = {"SEED_HOME": str(home / "seed"), "DAGSTER_HOME": str(home / "dagster")}
        result = run(
            ["up", *OPTIONS, "--days", str(DAYS), "--skip-jobs"], {**env, "DATABASE_URL": url}
        )
        assert result.returncode == 0, result.stderr
        yield url


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """No reachable database at all: explain must not need one."""
    return {"SEED_HOME": str(tmp_path / "seed"), "DATABASE_URL": UNREACHABLE, "COLUMNS": "200"}


def db_rows(conn: psycopg.Connection, table: str, cols: list[str], where: str, uid: int) -> Counter:
    names = ", ".join(f'"{c}"' for c in cols)
    sql = f'SELECT {names} FROM "{table}" WHERE {where}'
    return Counter(conn.execute(sql, {"uid": uid}).fetchall())  # type: ignore[arg-type]


ACTIVITY_WHERE = {
    "posts": "user_id = %(uid)s",
    "likes": "%(uid)s IN (liker_id, likee_id)",
    "matches": "%(uid)s IN (user_a_id, user_b_id)",
    "conversations": "match_id IN (SELECT id FROM matches WHERE %(uid)s IN (user_a_id, user_b_id))",
    "messages": "%(uid)s IN (sender_id, recipient_id)",
    "feed_seen": "user_id = %(uid)s",
}


def busiest_user(conn: psycopg.Connection) -> int:
    row = conn.execute(
        "SELECT sender_id FROM messages GROUP BY sender_id "
        "ORDER BY count(*) DESC, sender_id LIMIT 1"
    ).fetchone()
    assert row is not None
    return int(row[0])


def test_explained_rows_equal_the_seeded_database(seeded: str) -> None:
    with database.connection(seeded, autocommit=True) as conn:
        busiest = busiest_user(conn)
        for uid in (1, 151, busiest, PARAMS.users):  # first shard, a shard's first, last shard
            e = explain.explain(PARAMS, uid, DAYS)
            assert [d.date for d in e.days] == [
                PARAMS.start_date + dt.timedelta(days=i) for i in range(DAYS)
            ]
            for t in IDENTITY:
                cols = list(e.identity[t.name].columns)
                assert set(cols) == set(columns(t.name)) - set(explain.HIDDEN.get(t.name, ()))
                key = t.info["key"]
                expected = db_rows(conn, t.name, cols, f"{key} = %(uid)s", uid)
                got = Counter(e.identity[t.name].select(cols).rows())
                assert got == expected, (uid, t.name)
                assert got or t.name == "quiz_results", (uid, t.name)  # the quiz is optional
            for t in ACTIVITY:
                cols = columns(t.name)
                expected = db_rows(conn, t.name, cols, ACTIVITY_WHERE[t.name], uid)
                got = Counter(row for d in e.days for row in d.tables[t.name].select(cols).rows())
                assert got == expected, (uid, t.name)
        busy = explain.explain(PARAMS, busiest, DAYS)
        assert sum(d.tables["messages"].height for d in busy.days) > 0
        assert sum(d.tables["conversations"].height for d in busy.days) > 0


def test_the_person_matches_the_profile() -> None:
    e = explain.explain(PARAMS, 42, 0)
    profile = e.identity["profiles"].row(0, named=True)
    assert e.days == []
    assert e.person["archetype"] == profile["archetype"]
    assert e.person["sociability"] == profile["sociability"]
    assert e.person["signup_at"] == e.identity["users"]["created_at"][0]
    assert 0 < e.person["desirability_percentile"] < 1
    assert len(e.interests()) == e.identity["user_interests"].height
    assert len(e.quiz()) == e.identity["quiz_results"].height


def test_cli_json_is_deterministic_and_needs_no_database(env: dict[str, str]) -> None:
    args = ["explain", "user", "123", *OPTIONS, "--days", str(DAYS), "--json"]
    first, second = run(args, env), run(args, env)
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    doc = json.loads(first.stdout)
    e = explain.explain(PARAMS, 123, DAYS)
    assert doc["user_id"] == 123 and doc["params"]["run_seed"] == "explain"
    assert "password_hash" not in doc["identity"]["users"][0]
    assert doc["identity"]["profiles"][0]["first_name"] == e.identity["profiles"]["first_name"][0]
    assert [d["date"] for d in doc["days"]] == [d.date.isoformat() for d in e.days]
    for got, day in zip(doc["days"], e.days, strict=True):
        assert got["summary"] == day.summary(123)
        assert len(got["likes"]) == day.tables["likes"].height
    assert not (Path(env["SEED_HOME"]) / "pgdata").exists()  # no embedded server was started


def test_cli_prints_identity_and_the_messages_text(seeded: str, env: dict[str, str]) -> None:
    with database.connection(seeded, autocommit=True) as conn:
        uid = busiest_user(conn)
        row = conn.execute(
            "SELECT body FROM messages WHERE sender_id = %s AND kind = 'text' LIMIT 1", [uid]
        ).fetchone()
        email = conn.execute("SELECT email FROM users WHERE id = %s", [uid]).fetchone()
    assert row is not None and email is not None
    result = run(["explain", "user", str(uid), *OPTIONS, "--days", str(DAYS)], env)
    assert result.returncode == 0, result.stderr
    assert email[0] in result.stdout
    assert row[0] in result.stdout
    assert f"activity of user {uid}" in result.stdout
    assert "password" not in result.stdout.lower()


@pytest.mark.parametrize("uid", ["0", "401", "abc"])
def test_a_bad_user_id_is_one_line_and_exit_2(uid: str, env: dict[str, str]) -> None:
    result = run(["explain", "user", uid, *OPTIONS], env)
    assert result.returncode == 2
    assert "user id" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
