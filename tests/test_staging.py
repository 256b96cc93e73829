"""Staging: the schedules, the chain sensor on real runs, and the guarded weekly reseed."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import psycopg
import pytest

from seed_assets import guard
from seed_assets.audit import SEEDED
from seed_assets.config import SeedParams
from seed_assets.definitions import build_definitions
from seed_assets.defs import schedules
from seed_assets.defs.partitions import RANGE_END, RANGE_START
from seed_assets.defs.schedules import DAYS_TAG, RESEED_CONFIG, RESEED_TAG
from seed_assets.schema import ACTIVITY
from tests.conftest import row_count, table_digest

STAGING_ENV = {
    "SEED_USERS": "300",
    "SEED_SHARD_SIZE": "100",
    "SEED_RUN_SEED": "staging",
    "SEED_START_DATE": "2024-01-01",
    "SEED_END_DATE": "2024-02-01",
}
ACTIVITY_TABLES = {t.name for t in ACTIVITY}


def at(*ymd_hm: int) -> dt.datetime:
    return dt.datetime(*ymd_hm, tzinfo=dt.UTC)


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """The staging environment (SEED_*); tests that run jobs add DATABASE_URL."""
    for name, value in STAGING_ENV.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


@pytest.fixture
def defs(env: pytest.MonkeyPatch) -> dg.Definitions:
    """The code location as staging loads it: from the environment."""
    return build_definitions()


def bound_to(env: pytest.MonkeyPatch, url: str) -> dg.Definitions:
    env.setenv("DATABASE_URL", url)
    return build_definitions()


def tick(defs: dg.Definitions, name: str, when: dt.datetime):
    context = dg.build_schedule_context(
        scheduled_execution_time=when, repository_def=defs.get_repository_def()
    )
    return defs.resolve_schedule_def(name).evaluate_tick(context)


def test_definitions_register_the_staging_jobs_schedules_and_sensor(defs) -> None:
    dg.Definitions.validate_loadable(defs)
    keys = {
        job: {k.to_user_string() for k in defs.resolve_job_def(job).asset_layer.selected_asset_keys}
        for job in ("daily_append", "refresh_user_traits", "reseed", "audit")
    }
    assert keys["daily_append"] == ACTIVITY_TABLES | {"trending"}
    assert keys["refresh_user_traits"] == {"user_traits"}
    assert "seed_params" in keys["reseed"] and "users" in keys["reseed"]
    assert not keys["reseed"] & (keys["daily_append"] | {"user_traits"})
    assert keys["audit"] == set()  # checks only
    days = defs.resolve_job_def("daily_append").partitions_def
    assert isinstance(days, dg.DailyPartitionsDefinition)
    shards = defs.resolve_job_def("reseed").partitions_def
    assert shards is not None and shards.get_partition_keys() == ["s0000", "s0001", "s0002"]
    daily = defs.resolve_schedule_def("daily_append_schedule")
    weekly = defs.resolve_schedule_def("weekly_reseed_schedule")
    assert (daily.cron_schedule, daily.execution_timezone) == ("15 0 * * *", "UTC")
    assert (weekly.cron_schedule, weekly.execution_timezone) == ("0 3 * * 0", "UTC")
    sensor = defs.resolve_sensor_def("staging_chain")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING


@pytest.mark.parametrize(
    ("when", "partition", "skip"),
    [
        (at(2024, 1, 10, 0, 15), "2024-01-09", None),
        (at(2024, 1, 2, 0, 15), "2024-01-01", None),  # the first day
        (at(2024, 1, 1, 0, 15), None, "before the start date"),
        (at(2024, 2, 1, 0, 15), "2024-01-31", None),  # the last day (the end is exclusive)
        (at(2024, 2, 2, 0, 15), None, "past the partitions' end date"),
    ],
)
def test_daily_schedule_requests_yesterday(defs, when, partition, skip) -> None:
    data = tick(defs, "daily_append_schedule", when)
    if skip:
        assert not data.run_requests and skip in (data.skip_message or "")
        return
    [request] = data.run_requests or []
    assert request.partition_key == partition
    assert request.tags["dagster/partition"] == partition
    dg.validate_run_config(defs.resolve_job_def("daily_append"), request.run_config)


def test_weekly_reseed_requests_every_shard_and_tags_its_days(defs) -> None:
    [request] = tick(defs, "weekly_reseed_schedule", at(2024, 1, 7, 3, 0)).run_requests or []
    assert request.run_config == RESEED_CONFIG
    assert (request.tags[RANGE_START], request.tags[RANGE_END]) == ("s0000", "s0002")
    assert request.tags[DAYS_TAG] == "2024-01-01...2024-01-06"
    assert request.tags[RESEED_TAG] == "2024-01-07"
    job = defs.resolve_job_def("reseed")
    dg.validate_run_config(job, request.run_config)
    with pytest.raises(dg.DagsterInvalidConfigError):
        dg.validate_run_config(job, {"ops": {"seed_params": {"config": {"reset": ["all"]}}}})
    late = tick(defs, "weekly_reseed_schedule", at(2024, 3, 3, 3, 0)).run_requests or []
    assert late[0].tags[DAYS_TAG] == "2024-01-01...2024-01-31"  # bounded by the end date
    early = tick(defs, "weekly_reseed_schedule", at(2024, 1, 1, 3, 0)).run_requests or []
    assert early[0].tags[DAYS_TAG] == ""  # no complete day yet


def test_chain_sensor_skips_runs_outside_a_chain(defs) -> None:
    params = SeedParams.from_env()
    plain = dg.DagsterRun(job_name="refresh_user_traits", run_id="r1")
    assert isinstance(schedules.next_run(params, plain), dg.SkipReason)
    after_append = schedules.next_run(params, dg.DagsterRun(job_name="daily_append", run_id="r2"))
    assert isinstance(after_append, dg.RunRequest)
    assert after_append.job_name == "refresh_user_traits" and RESEED_TAG not in after_append.tags


def run(defs: dg.Definitions, instance, job: str, request: dg.RunRequest):
    return defs.resolve_job_def(job).execute_in_process(
        instance=instance, run_config=request.run_config, tags=request.tags, raise_on_error=False
    )


def follow(defs: dg.Definitions, instance, result) -> dg.RunRequest:
    """The staging_chain sensor, evaluated on a finished run as the daemon would."""
    assert result.success
    context = dg.build_run_status_sensor_context(
        sensor_name="staging_chain",
        dagster_event=result.get_run_success_event(),
        dagster_instance=instance,
        dagster_run=result.dagster_run,
        repository_def=defs.get_repository_def(),
    )
    request = defs.resolve_sensor_def("staging_chain")(context)
    assert isinstance(request, dg.RunRequest)
    assert request.job_name is not None
    dg.validate_run_config(defs.resolve_job_def(request.job_name), request.run_config)
    return request


def test_weekly_reseed_chain_runs_every_tier_then_the_audit(
    env: pytest.MonkeyPatch, db_url: str, conn: psycopg.Connection
) -> None:
    defs = bound_to(env, db_url)
    guard.init(conn, db_url)  # `seed init`: the reseed's reset needs the marker
    [reseed] = tick(defs, "weekly_reseed_schedule", at(2024, 1, 4, 3, 0)).run_requests or []
    with dg.DagsterInstance.ephemeral() as instance:
        first = run(defs, instance, "reseed", reseed)
        append = follow(defs, instance, first)
        assert append.job_name == "daily_append"
        assert (append.tags[RANGE_START], append.tags[RANGE_END]) == ("2024-01-01", "2024-01-03")
        traits = follow(defs, instance, run(defs, instance, "daily_append", append))
        assert traits.job_name == "refresh_user_traits"
        assert (traits.tags[RANGE_START], traits.tags[RANGE_END]) == ("s0000", "s0002")
        audit = follow(defs, instance, run(defs, instance, "refresh_user_traits", traits))
        assert audit.job_name == "audit" and audit.tags[RESEED_TAG] == "2024-01-04"
        checked = run(defs, instance, "audit", audit)
        assert checked.success
        # The reseed is recorded (what the audit compares with), and every table passes it.
        recorded = conn.execute(
            "SELECT command, params->'activity_days' FROM seed_runs WHERE run_id = %s",
            [first.run_id],
        ).fetchone()
        assert recorded == ("seed up", ["2024-01-01", "2024-01-03"])
        audits = [e for e in checked.get_asset_check_evaluations() if e.check_name == "audit"]
        assert len(audits) == len(SEEDED) and all(e.passed for e in audits)
        assert row_count(conn, "users") == 300 and row_count(conn, "user_traits") == 300
        days = conn.execute("SELECT count(DISTINCT day) FROM likes").fetchone()
        assert days == (3,) and row_count(conn, "trending") > 0
        users, seeded = table_digest(conn, "users"), row_count(conn, "likes")

        again = run(defs, instance, "reseed", reseed)  # the next week: reset, then reseed
        assert again.success
        [params] = again.asset_materializations_for_node("seed_params")
        assert params.metadata["reset"].value == "all"
        removed = params.metadata["rows_removed"].value
        assert isinstance(removed, int) and removed >= 300 + seeded
    assert table_digest(conn, "users") == users  # rewritten identically
    assert row_count(conn, "likes") == 0  # reset; the chain's next run rewrites the days


def test_weekly_reseed_refuses_a_database_without_the_marker(
    env: pytest.MonkeyPatch, db_url: str, conn: psycopg.Connection
) -> None:
    conn.execute("CREATE TABLE customers (id int PRIMARY KEY, email text)")
    conn.execute("INSERT INTO customers VALUES (1, 'someone@example.com')")
    defs = bound_to(env, db_url)
    [reseed] = tick(defs, "weekly_reseed_schedule", at(2024, 1, 7, 3, 0)).run_requests or []
    with dg.DagsterInstance.ephemeral() as instance:
        result = run(defs, instance, "reseed", reseed)
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert failure.step_key == "seed_params"
    assert "but no seed-assets marker" in str(failure.step_failure_data.error)
    assert not result.get_step_success_events()  # nothing downstream ran
    tables = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()
    assert tables == [("customers",)] and row_count(conn, "customers") == 1


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"SEED_ENVIRONMENT": "production"}, "names a production environment"),
        ({"SEED_ALLOWED_HOSTS": "elsewhere"}, "is not local and not in SEED_ALLOWED_HOSTS"),
    ],
)
def test_weekly_reseed_refuses_production_and_foreign_hosts(
    env: pytest.MonkeyPatch, db_url: str, conn: psycopg.Connection, variables, message
) -> None:
    guard.init(conn, db_url)
    target = db_url
    if "SEED_ALLOWED_HOSTS" in variables:  # neither local nor allowed (never contacted)
        target = "postgresql://seed@db.example.invalid:5432/seed"
    for name, value in variables.items():
        env.setenv(name, value)
    defs = bound_to(env, target)
    [reseed] = tick(defs, "weekly_reseed_schedule", at(2024, 1, 7, 3, 0)).run_requests or []
    with dg.DagsterInstance.ephemeral() as instance:
        result = run(defs, instance, "reseed", reseed)
    assert not result.success
    assert any(
        message in str(e.step_failure_data.error) for e in result.all_events if e.is_step_failure
    )
    assert guard.read_marker(conn) is not None  # the marker, and everything else, untouched
