"""Operating a seeded database end to end: the guard, init, reset, audit and repair, through the
real console script on a real PostgreSQL.

One database is seeded once per module and copied (``CREATE DATABASE ... TEMPLATE``) for each
test, so every test starts from the same seeded state.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql

from seed_assets import audit, database
from seed_assets.schema import ACTIVITY, CATALOG, DERIVED, IDENTITY
from tests.conftest import fresh_database, row_count, table_digest
from tests.test_cli import run

NAMED = "qa.one@example.com,qa.two@example.com"
SEEDED = [t.name for t in (*CATALOG, *IDENTITY, *ACTIVITY, *DERIVED)]
UP = ["up", "--users", "1000", "--shard-size", "250", "--days", "3", "--run-seed", "ops"]


@pytest.fixture(scope="module")
def template(server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database seeded once: 1,000 users, 3 days, derived tables, two named accounts."""
    home = tmp_path_factory.mktemp("ops")
    with fresh_database(server_url, "t_ops_template") as url:
        done = run(UP, _env(home, url))
        assert done.returncode == 0, done.stderr
        yield url


def _env(home: Path, url: str, **extra: str) -> dict[str, str]:
    return {
        "SEED_HOME": str(home / "seed"),
        "DAGSTER_HOME": str(home / "dagster"),
        "DATABASE_URL": url,
        "SEED_NAMED_ACCOUNTS": NAMED,
        "COLUMNS": "200",
        **extra,
    }


@pytest.fixture
def seeded(server_url: str, template: str) -> Iterator[str]:
    """A fresh copy of the seeded template."""
    with fresh_database(server_url, "t_ops", template=template) as url:
        yield url


@pytest.fixture
def env(seeded: str, tmp_path: Path) -> dict[str, str]:
    return _env(tmp_path, seeded)


def digests(url: str) -> dict[str, str]:
    with database.connection(url, autocommit=True) as conn:
        return {t: table_digest(conn, t) for t in SEEDED}


def writes(url: str) -> tuple[int, object]:
    """(rows inserted + updated + deleted since the database exists, last manifest write)."""
    with database.connection(url, autocommit=True) as conn:
        conn.execute("SELECT pg_stat_clear_snapshot()")
        row = conn.execute(
            "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_user_tables"
        ).fetchone()
        last = conn.execute("SELECT max(written_at) FROM seed_manifest").fetchone()
    return int(row[0]) if row else 0, last[0] if last else None


def test_audit_of_a_fresh_seed_finds_nothing_even_read_only(env: dict, seeded: str) -> None:
    done = run(["audit", "--json"], env)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["ok"] and not report["gaps"]
    assert {t["table"] for t in report["tables"]} == set(SEEDED)
    assert all(t["expected"] == t["present"] > 0 for t in report["tables"])
    # A role that can only read: the audit needs nothing more.
    role = f"reader_{uuid.uuid4().hex[:8]}"
    with database.connection(seeded, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
        grant = sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA public TO {}")
        conn.execute(grant.format(sql.Identifier(role)))
    parts = urlsplit(seeded)
    host = parts.netloc.split("@")[-1]
    reader = urlunsplit(parts._replace(netloc=f"{role}@{host}"))
    try:
        assert audit.run(reader, deep=True).ok
        with database.connection(reader, autocommit=True) as conn, pytest.raises(psycopg.Error):
            conn.execute("CREATE TABLE nope (x int)")
    finally:
        with database.connection(seeded, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
            conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


def test_tampering_is_found_and_repair_restores_the_same_digests(env: dict, seeded: str) -> None:
    before = digests(seeded)
    with database.connection(seeded, autocommit=True) as conn:
        conn.execute("DELETE FROM likes WHERE day = '2024-01-02' AND id % 5 = 0")  # one day
        conn.execute("DELETE FROM profile_media WHERE user_id BETWEEN 251 AND 500")  # one shard
        mine = (
            "SELECT m.id FROM matches m JOIN users u ON u.id IN (m.user_a_id, m.user_b_id) "
            "WHERE u.email = 'qa.one@example.com'"
        )
        conn.execute(f"DELETE FROM messages WHERE conversation_id IN ({mine})")
        conn.execute(f"DELETE FROM conversations WHERE match_id IN ({mine})")
        conn.execute(f"DELETE FROM matches WHERE id IN ({mine})")
    found = run(["audit", "--json"], env)
    assert found.returncode == 6, found.stderr
    gaps = json.loads(found.stdout)["gaps"]
    kinds = {(g["table"], g["kind"]) for g in gaps}
    assert {("likes", "rows"), ("profile_media", "rows"), ("matches", "rows")} <= kinds
    assert ("profile_media", "minimum") in kinds and ("matches", "minimum") in kinds
    assert any("qa.one@example.com" in g["detail"] for g in gaps)
    plan = {g["table"]: g["partitions"] for g in gaps if g["kind"] == "rows"}
    assert plan["likes"] == ["2024-01-02"] and plan["profile_media"] == ["s0001"]

    repaired = run(["repair"], env)
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    assert "no gaps" in repaired.stdout
    assert digests(seeded) == before

    quiet = writes(seeded)
    again = run(["repair"], env)
    assert again.returncode == 0 and "no gaps" in again.stdout
    assert writes(seeded) == quiet  # found nothing, wrote nothing


def test_reset_refuses_without_confirmation_and_writes_nothing(env: dict, seeded: str) -> None:
    name = urlsplit(seeded).path.lstrip("/")
    counts = {t: 0 for t in SEEDED}
    with database.connection(seeded, autocommit=True) as conn:
        counts = {t: row_count(conn, t) for t in SEEDED}
    quiet = writes(seeded)
    refusals = [
        (["reset", "--scope", "all"], {}),
        (["reset", "--scope", "all", "--confirm", "other"], {}),
        (["reset", "--scope", "activity", "--confirm", name], {"SEED_ENVIRONMENT": "production"}),
    ]
    for args, extra in refusals:
        done = run(args, {**env, **extra})
        assert done.returncode == 5, (args, done.stderr)
        assert done.stderr.count("\n") == 1 and "error:" in done.stderr
    with database.connection(seeded, autocommit=True) as conn:
        conn.execute("UPDATE seed_marker SET environment = 'prod-eu'")
    marked = writes(seeded)
    done = run(["reset", "--scope", "all", "--confirm", name], env)
    assert done.returncode == 5 and "production" in done.stderr
    with database.connection(seeded, autocommit=True) as conn:
        assert {t: row_count(conn, t) for t in SEEDED} == counts
    assert writes(seeded) == marked and quiet[1] == marked[1]


def test_reset_scopes(env: dict, seeded: str) -> None:
    name = urlsplit(seeded).path.lstrip("/")
    done = run(["reset", "--scope", "derived", "--confirm", name], env)
    assert done.returncode == 0, done.stderr
    with database.connection(seeded, autocommit=True) as conn:
        assert all(row_count(conn, t.name) == 0 for t in DERIVED)
        assert all(row_count(conn, t.name) > 0 for t in (*IDENTITY, *ACTIVITY))
    assert run(["audit"], env).returncode == 0  # nothing derived is expected any more

    done = run(["reset", "--scope", "activity", "--confirm", name], env)
    assert done.returncode == 0, done.stderr
    with database.connection(seeded, autocommit=True) as conn:
        assert all(row_count(conn, t.name) == 0 for t in ACTIVITY)
        assert all(row_count(conn, t.name) > 0 for t in IDENTITY)
        assert row_count(conn, "seed_manifest") == len(CATALOG) + len(IDENTITY) * 4

    done = run(["reset", "--scope", "all", "--confirm", name], env)
    assert done.returncode == 0, done.stderr
    with database.connection(seeded, autocommit=True) as conn:
        left = conn.execute(
            "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace "
            "AND relkind IN ('r', 'p') ORDER BY 1"
        ).fetchall()
    assert [r[0] for r in left] == ["seed_manifest", "seed_marker", "seed_runs"]
    assert run(["audit"], env).returncode == 0


def test_a_database_that_is_not_ours_is_refused(db_url: str, tmp_path: Path) -> None:
    env = _env(tmp_path, db_url)
    with database.connection(db_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE app_accounts (id int PRIMARY KEY)")
    name = urlsplit(db_url).path.lstrip("/")
    for args in (
        ["up", "--users", "100"],
        ["init"],
        ["repair"],
        ["extend", "--days", "1"],
        ["jobs"],
    ):
        done = run(args, env)
        assert done.returncode == 5, (args, done.stderr)
        assert "marker" in done.stderr or "init" in done.stderr
    with database.connection(db_url, autocommit=True) as conn:
        tables = conn.execute(
            "SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace "
            "AND relkind IN ('r', 'p')"
        ).fetchone()
    assert tables == (1,)  # nothing was created
    done = run(["init", "--confirm", name, "--environment", "staging"], env)
    assert done.returncode == 0, done.stderr
    with database.connection(db_url, autocommit=True) as conn:
        assert conn.execute("SELECT environment FROM seed_marker").fetchone() == ("staging",)


def test_a_remote_host_is_refused_before_connecting(tmp_path: Path) -> None:
    url = "postgresql://bob:s3cret-pw@db.invalid:5432/app"
    env = _env(tmp_path, url)
    commands = (
        ["reset", "--scope", "all", "--confirm", "app"],
        ["up", "--users", "100"],
        ["extend", "--days", "1"],
        ["init"],
    )
    for args in commands:
        done = run(args, env)
        assert done.returncode == 5, done.stderr
        assert "SEED_ALLOWED_HOSTS" in done.stderr and "s3cret" not in done.stderr + done.stdout
    allowed = run(
        ["reset", "--scope", "all", "--confirm", "app"], {**env, "SEED_ALLOWED_HOSTS": "db.invalid"}
    )
    assert allowed.returncode == 3  # allowed: it tried to connect, and could not
    assert "s3cret" not in allowed.stderr + allowed.stdout


def test_runs_launched_from_dagster_are_recorded_and_audited(db_url: str) -> None:
    """A materialisation from the UI (no `seed` CLI around it) gets its seed_runs row, and the
    audit expects what it wrote."""
    from tests.test_assets import SMALL, materialize_shards

    materialize_shards(SMALL, db_url, ["s0000", "s0001", "s0002", "s0003"])
    with database.connection(db_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT run_id, command, status, row_counts FROM seed_runs ORDER BY started_at"
        ).fetchall()
    assert rows and all(command.startswith("dagster ") for _, command, _, _ in rows)
    assert all(status == "success" for _, _, status, _ in rows)
    assert sum(counts.get("users", 0) for *_, counts in rows) == SMALL.users
    report = audit.run(db_url)
    assert report.ok, report.gaps
    assert report.tables["users"].expected == report.tables["users"].present == SMALL.shard_count
