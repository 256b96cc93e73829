"""Interrupted and concurrent write commands, through the real console script on a real
PostgreSQL: kill -9 half-way through a day, two `seed extend` at once, `seed repair` beside
`seed extend`, the command lock's timeout, and runs left `running` by a dead process.

A 5-day seed is made once per module and copied for each test; every result is compared with a
reference seeded straight to 7 days (per-table digests).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from seed_assets import audit, command_lock, database, liveness, replay, runs
from seed_assets.config import SeedParams
from seed_assets.schema import ACTIVITY, CATALOG, DERIVED, IDENTITY
from tests.conftest import fresh_database, table_digest
from tests.test_cli import SEED, run

SEEDED = [t.name for t in (*CATALOG, *IDENTITY, *ACTIVITY, *DERIVED)]
POPULATION = ["--users", "300", "--shard-size", "150", "--run-seed", "resume"]
DAY6, DAY7 = "2024-01-06", "2024-01-07"


def _env(home: Path, url: str, **extra: str) -> dict[str, str]:
    return {
        "SEED_HOME": str(home / "seed"),
        "DAGSTER_HOME": str(home / "dagster"),
        "DATABASE_URL": url,
        "COLUMNS": "200",
        **extra,
    }


def _digests(url: str) -> dict[str, str]:
    with database.connection(url, autocommit=True) as conn:
        return {t: table_digest(conn, t) for t in SEEDED}


@pytest.fixture(scope="module")
def reference(server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """Per-table digests of the population seeded straight to 7 days."""
    home = tmp_path_factory.mktemp("reference")
    with fresh_database(server_url, "t_resume_ref") as url:
        done = run(["up", *POPULATION, "--days", "7"], _env(home, url))
        assert done.returncode == 0, done.stderr
        yield _digests(url)


@pytest.fixture(scope="module")
def five_days(server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("five")
    with fresh_database(server_url, "t_resume_five") as url:
        done = run(["up", *POPULATION, "--days", "5"], _env(home, url))
        assert done.returncode == 0, done.stderr
        yield url


@pytest.fixture
def seeded(server_url: str, five_days: str) -> Iterator[str]:
    with fresh_database(server_url, "t_resume", template=five_days) as url:
        yield url


def _popen(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("SEED_") or k == "SEED_CACHE"}
    full.pop("DATABASE_URL", None)
    full.update(env)
    return subprocess.Popen(
        [SEED, *args], env=full, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _wait(condition, what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _committed(conn: psycopg.Connection, day: str) -> set[str]:
    rows = conn.execute(
        "SELECT table_name FROM seed_manifest WHERE partition_key = %s", [day]
    ).fetchall()
    return {r[0] for r in rows}


def _connected(conn: psycopg.Connection, name: str) -> int:
    row = conn.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND application_name LIKE %s",
        [f"{name} run %"],
    ).fetchone()
    return int(row[0]) if row else 0


def _days(url: str) -> list[str]:
    with database.connection(url, autocommit=True) as conn:
        rows = conn.execute("SELECT DISTINCT day FROM likes ORDER BY 1").fetchall()
    return [r[0].isoformat() for r in rows]


def _runs(url: str) -> list[tuple[str, str, list[str] | None]]:
    with database.connection(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT command, status, params -> 'activity_days' FROM seed_runs ORDER BY started_at"
        ).fetchall()
    return [(r[0], r[1], r[2]) for r in rows]


def test_kill_9_half_way_through_a_day_is_audited_and_resumed(
    seeded: str, reference: dict, tmp_path: Path
) -> None:
    env = _env(tmp_path, seeded)
    # messages and feed_seen can be read but not written while the test holds them: the day stays
    # half-written until the kill, whatever the writers' timing.
    with database.connection(seeded) as blocker, database.connection(seeded, autocommit=True) as w:
        blocker.execute("LOCK TABLE messages, feed_seen IN SHARE MODE")
        proc = _popen(["extend", "--days", "2"], env)
        _wait(lambda: _committed(w, DAY6), "the first tables of day 6", timeout=180)
        time.sleep(0.5)  # whatever else can commit does
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
        blocker.rollback()
        half = _committed(w, DAY6)
    assert half and not half >= {"messages", "feed_seen"}, half

    audited = run(["audit", "--json"], env)
    assert audited.returncode == 6, audited.stdout + audited.stderr
    gaps = json.loads(audited.stdout)["gaps"]
    missing = {g["table"]: g["partitions"] for g in gaps if g["kind"] == "missing"}
    assert missing["messages"] == [DAY6, DAY7] and missing["feed_seen"] == [DAY6, DAY7]
    assert all(DAY6 not in missing.get(t, []) for t in half)
    assert [g["table"] for g in gaps if g["kind"] == "interrupted"] == ["seed_runs"]
    assert "`seed extend` of days 2024-01-06..2024-01-07" in audited.stdout

    resumed = run(["extend", "--days", "2"], env)
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming the interrupted `seed extend` of days 2024-01-06..2024-01-07" in " ".join(
        resumed.stderr.split()
    )
    assert _days(seeded)[-1] == DAY7 and len(_days(seeded)) == 7
    assert _digests(seeded) == reference
    statuses = [(command, status) for command, status, _ in _runs(seeded)]
    assert statuses == [
        ("seed up", "success"),
        ("seed extend", "interrupted"),
        ("seed extend", "success"),
    ]
    assert run(["audit"], env).returncode == 0
    appended = run(["extend", "--days", "1"], env)  # the next one appends again
    assert appended.returncode == 0, appended.stderr
    assert _days(seeded)[-1] == "2024-01-08"


def _release_together(url: str, commands: list[list[str]], env: dict[str, str]) -> list:
    """Start ``commands`` while the test holds the command lock, wait until each is waiting
    for it, release it: they contend for the lock at the same moment."""
    with database.connection(url, autocommit=True) as holder:
        holder.execute(
            "SELECT pg_advisory_lock(%s, %s)",
            [command_lock.COMMAND_CLASS, command_lock.COMMAND_KEY],
        )
        procs = [_popen(args, env) for args in commands]
        names = [f"seed {args[0]}" for args in commands]

        def waiting() -> bool:
            return all(_connected(holder, n) >= names.count(n) for n in set(names))

        try:
            _wait(waiting, "every command waiting for the lock")
        except AssertionError:
            for proc in procs:
                proc.kill()
                proc.communicate()
            raise
    return [(p, *p.communicate(timeout=240)) for p in procs]


def test_two_extends_at_once_append_two_days(seeded: str, reference: dict, tmp_path: Path) -> None:
    env = _env(tmp_path, seeded)
    done = _release_together(seeded, [["extend", "--days", "1"]] * 2, env)
    for proc, _, stderr in done:
        assert proc.returncode == 0, stderr
    said = [" ".join(stderr.split()) for _, _, stderr in done]
    assert any("waiting for seed extend" in s for s in said), said
    assert sum(f"days {DAY6}..{DAY6}" in s for s in said) == 1
    assert sum(f"days {DAY7}..{DAY7}" in s for s in said) == 1
    assert _days(seeded)[-1] == DAY7 and len(_days(seeded)) == 7
    assert _digests(seeded) == reference


def test_repair_beside_extend_finds_no_gap(seeded: str, reference: dict, tmp_path: Path) -> None:
    env = _env(tmp_path, seeded)
    done = _release_together(seeded, [["extend", "--days", "2"], ["repair"]], env)
    for proc, stdout, stderr in done:
        assert proc.returncode == 0, stdout + stderr
    assert _digests(seeded) == reference


def test_a_held_lock_times_out_with_exit_5_and_nothing_written(seeded: str, tmp_path: Path) -> None:
    env = _env(tmp_path, seeded, SEED_LOCK_TIMEOUT="1")
    before = _digests(seeded)
    with database.connection(seeded, autocommit=True) as holder:
        holder.execute("SELECT set_config('application_name', 'seed extend run cli-other', false)")
        holder.execute(
            "SELECT pg_advisory_lock(%s, %s)",
            [command_lock.COMMAND_CLASS, command_lock.COMMAND_KEY],
        )
        done = run(["extend", "--days", "1"], env)
    assert done.returncode == 5, done.stderr
    assert "waiting for seed extend (run cli-other) on this database" in done.stderr
    assert "SEED_LOCK_TIMEOUT" in done.stderr and "Traceback" not in done.stderr
    assert _digests(seeded) == before
    assert [c for c, _, _ in _runs(seeded)] == ["seed up"]
    bad = run(["extend", "--days", "1"], _env(tmp_path, seeded, SEED_LOCK_TIMEOUT="soon"))
    assert bad.returncode == 2 and "SEED_LOCK_TIMEOUT" in bad.stderr


def test_a_live_run_is_in_progress_and_a_dead_one_interrupted(seeded: str) -> None:
    """The audit judges a run by its liveness lock: held, the run is in progress and its days
    are no gap; released without finishing (the process died), it is interrupted and its days
    are missing. The next write command marks it interrupted."""
    run_id = f"cli-{uuid.uuid4()}"
    with database.connection(seeded, autocommit=True) as conn:
        params = replay.expectation(conn).params
        assert isinstance(params, SeedParams)
        days = (params.start_date.replace(day=6), params.start_date.replace(day=7))
        with database.connection(seeded, autocommit=True) as process:
            process.execute(
                "SELECT pg_advisory_lock(%s, %s)",
                [liveness.RUN_CLASS, liveness.run_key(run_id)],
            )
            runs.start(conn, run_id, "seed extend", params, days)
            live = audit.run(seeded)
        dead = audit.run(seeded)
    assert live.ok, live.gaps
    assert live.in_progress == [f"`seed extend` of days {DAY6}..{DAY7} (run {run_id})"]
    assert not dead.in_progress
    kinds = {(g.table, g.kind) for g in dead.gaps}
    assert ("seed_runs", "interrupted") in kinds and ("likes", "missing") in kinds
    with database.connection(seeded, autocommit=True) as conn:
        assert replay.owed(conn, replay.expectation(conn), derived=True) is not None
        with command_lock.held(seeded, "seed repair"):
            runs.start(conn, f"cli-{uuid.uuid4()}", "seed repair", params)
        status = conn.execute("SELECT status FROM seed_runs WHERE run_id = %s", [run_id])
        assert status.fetchone() == ("interrupted",)


def test_sigterm_marks_the_run_interrupted(seeded: str, tmp_path: Path) -> None:
    env = _env(tmp_path, seeded)
    proc = _popen(["extend", "--days", "3"], env)
    with database.connection(seeded, autocommit=True) as w:
        _wait(lambda: len(_runs(seeded)) == 2, "the extend's run row")
        _wait(lambda: bool(_committed(w, DAY6)), "day 6 being written")
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert _runs(seeded)[-1][:2] == ("seed extend", "interrupted"), stderr


def test_seed_load_rerun_after_kill_9_completes_it(server_url: str, tmp_path: Path) -> None:
    """A load killed half-way (into tables that exist, so each one is written before those that
    refer to it) is completed by running it again: the same rows as an uninterrupted load."""
    from seed_assets import ddl, guard

    export = tmp_path / "export"
    done = run(["export", "--out", str(export), *POPULATION, "--days", "2"], _env(tmp_path, ""))
    assert done.returncode == 0, done.stderr
    with fresh_database(server_url, "t_load_ref") as ref, fresh_database(server_url) as url:
        assert run(["load", "--from", str(export)], _env(tmp_path, ref)).returncode == 0
        with database.connection(url, autocommit=True) as conn:
            guard.init(conn, url)
            ddl.ensure_schema(conn)
        env = _env(tmp_path, url)
        with database.connection(url) as blocker, database.connection(url, autocommit=True) as w:
            blocker.execute("LOCK TABLE messages, feed_seen IN SHARE MODE")
            proc = _popen(["load", "--from", str(export)], env)
            _wait(lambda: bool(_committed(w, DAY6.replace("06", "01"))), "the first days loaded")
            time.sleep(0.5)
            proc.send_signal(signal.SIGKILL)
            proc.communicate(timeout=30)
            blocker.rollback()
        assert run(["audit"], env).returncode == 6
        again = run(["load", "--from", str(export)], env)
        assert again.returncode == 0, again.stderr
        assert [s for _, s, _ in _runs(url)] == ["interrupted", "success"]
        names = [t.name for t in (*CATALOG, *IDENTITY, *ACTIVITY)]
        with (
            database.connection(url, autocommit=True) as a,
            database.connection(ref, autocommit=True) as b,
        ):
            assert {t: table_digest(a, t) for t in names} == {t: table_digest(b, t) for t in names}
        # As the uninterrupted load audits (2 days of 300 users miss a calibration minimum).
        assert audit.run(url).gaps == audit.run(ref).gaps


def test_an_extend_interrupted_after_its_activity_refreshes_the_derived_tables(
    seeded: str, five_days: str, tmp_path: Path
) -> None:
    """Every partition an interrupted `seed extend` claimed is committed, but it may have died
    before refreshing user_traits and trending: the next `seed extend` does that (and appends
    nothing); with --skip-jobs nothing is owed."""
    run_id = f"cli-{uuid.uuid4()}"
    with database.connection(seeded, autocommit=True) as conn:
        params = replay.expectation(conn).params
        assert isinstance(params, SeedParams)
        days = (params.start_date.replace(day=4), params.start_date.replace(day=5))
        runs.start(conn, run_id, "seed extend", params, days)
        runs.finish(conn, run_id, "interrupted", {})
        exp = replay.expectation(conn)
        assert replay.owed(conn, exp, derived=False) is None
        owed = replay.owed(conn, exp, derived=True)
    assert owed is not None and owed.plan == {} and owed.claim.run_id == run_id
    assert owed.days == days
    env = _env(tmp_path, seeded)
    done = run(["extend", "--days", "1"], env)
    assert done.returncode == 0, done.stderr
    said = " ".join(done.stderr.split())
    assert "resuming the interrupted `seed extend` of days 2024-01-04..2024-01-05" in said
    assert _days(seeded)[-1] == "2024-01-05"
    assert _digests(seeded) == _digests(five_days)
    again = run(["extend", "--days", "1"], env)
    assert again.returncode == 0 and "resuming" not in again.stderr
    assert _days(seeded)[-1] == DAY6


def test_ctrl_c_while_waiting_for_the_lock_is_one_line(seeded: str, tmp_path: Path) -> None:
    before = _digests(seeded)
    with database.connection(seeded, autocommit=True) as holder:
        holder.execute(
            "SELECT pg_advisory_lock(%s, %s)",
            [command_lock.COMMAND_CLASS, command_lock.COMMAND_KEY],
        )
        waiting = _popen(["extend", "--days", "1"], _env(tmp_path, seeded))
        mine = holder.info.backend_pid
        _wait(
            lambda: _scalar_count(holder, mine) > 0,
            "the waiting command's connection",
        )
        time.sleep(0.5)  # it is polling for the lock now
        waiting.send_signal(signal.SIGINT)
        _, stderr = waiting.communicate(timeout=60)
    assert waiting.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert stderr.strip().splitlines()[-1] == "error: interrupted"
    assert _digests(seeded) == before


def _scalar_count(conn: psycopg.Connection, own_pid: int) -> int:
    row = conn.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> %s",
        [own_pid],
    ).fetchone()
    return int(row[0]) if row else 0
