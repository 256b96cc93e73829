"""Staging operations: the daily append, the weekly reseed, and the runs that follow them.

A run targets at most one partitions definition (plus any unpartitioned assets), and the daily
tables, the shard tables and the whole tables have three. The runs a tick asks for must also
happen in order (``user_traits`` reads every day of activity; a reseed rewrites activity only
after identity), and several ``RunRequest`` objects from one tick are launched in no particular
order. So each job has one grain, a schedule launches the first job of a chain, and a run-status
sensor launches the next job when a run succeeds:

========================  =====================================================================
``daily_append``          the six activity tables and ``trending`` for a range of days (the
                          daily schedule asks for yesterday)
``refresh_user_traits``   ``user_traits`` over every shard, in one run: it follows every
                          successful ``daily_append``, since traits are computed from all activity
``reseed``                ``seed_params`` with a guarded reset of scope ``all`` (run config), the
                          catalog, every identity shard and the derived tables that do not read
                          activity, in one run over every shard
``audit``                 the asset checks alone
========================  =====================================================================

Chains (sensor ``staging_chain``): ``daily_append -> refresh_user_traits``; ``reseed ->
daily_append`` (every day from the start date to the day before the tick) ``->
refresh_user_traits -> audit``. Asset checks run only in ``audit``.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping

import dagster as dg

from seed_assets import partitions
from seed_assets.config import SeedParams
from seed_assets.defs.partitions import range_tags
from seed_assets.schema import DERIVED, reads_activity

RESEED_TAG = "seed/reseed"  # the reseed a run belongs to (the tick's date); absent otherwise
DAYS_TAG = "seed/days"  # on a reseed run: the days it rewrites, "first...last", or ""
APPEND_CRON_ENV, APPEND_CRON = "SEED_APPEND_CRON", "15 0 * * *"  # daily, 00:15 UTC
RESEED_CRON_ENV, RESEED_CRON = "SEED_RESEED_CRON", "0 3 * * 0"  # Sundays, 03:00 UTC
RESEED_CONFIG = {"ops": {"seed_params": {"config": {"reset": "all"}}}}
ONE_DAY = dt.timedelta(days=1)

# The day-partitioned assets (activity and trending), and the other derived tables read from
# activity (user_traits, over every shard).
DAY_ASSETS = dg.AssetSelection.groups("activity") | dg.AssetSelection.assets(
    *(t.name for t in DERIVED if t.info["grain"] == "day")
)
TRAITS = dg.AssetSelection.assets(
    *(t.name for t in DERIVED if reads_activity(t) and t.info["grain"] != "day")
)

daily_append = dg.define_asset_job(
    "daily_append",
    selection=DAY_ASSETS.without_checks(),
    description="Activity and trending for a range of days (the daily schedule: yesterday).",
)
refresh_user_traits = dg.define_asset_job(
    "refresh_user_traits",
    selection=TRAITS.without_checks(),
    description="user_traits over every shard; follows every successful daily_append.",
)
reseed = dg.define_asset_job(
    "reseed",
    selection=(dg.AssetSelection.all() - DAY_ASSETS - TRAITS).without_checks(),
    config=RESEED_CONFIG,
    description="Reset every seeded table (guarded), then seed the parameters, catalog, identity "
    "and the derived tables that do not read activity; the sensor continues with the days.",
)
audit = dg.define_asset_job(
    "audit",
    selection=dg.AssetSelection.all_asset_checks(),
    description="Every asset check, alone (audit mode); launched after a reseed.",
)
JOBS = [daily_append, refresh_user_traits, reseed, audit]


def shard_range(params: SeedParams) -> dict[str, str]:
    """Tags for one run over every shard (the assets' single-run backfill policy)."""
    keys = partitions.shard_keys(params)
    return range_tags(keys[0], keys[-1])


def day_range(first: dt.date, last: dt.date) -> dict[str, str]:
    return range_tags(first.isoformat(), last.isoformat())


def days_tag(first: dt.date, last: dt.date | None) -> str:
    """A reseed run's ``seed/days`` tag: the days its chain writes, or none."""
    return f"{first.isoformat()}...{last.isoformat()}" if last else ""


def tagged_days(tags: Mapping[str, str]) -> tuple[dt.date, dt.date] | None:
    """The days a reseed run's chain writes (its ``seed/days`` tag), if any."""
    if not (days := tags.get(DAYS_TAG)):
        return None
    first, last = (dt.date.fromisoformat(d) for d in days.split("..."))
    return first, last


def last_day(params: SeedParams, today: dt.date) -> dt.date | None:
    """The last complete day offered as a partition on ``today`` (None: none yet)."""
    last = today - ONE_DAY
    if params.end_date is not None:
        last = min(last, params.end_date - ONE_DAY)  # the end date is exclusive
    return last if last >= params.start_date else None


def build_daily_schedule(params: SeedParams) -> dg.ScheduleDefinition:
    @dg.schedule(
        name="daily_append_schedule",
        job=daily_append,
        cron_schedule=os.environ.get(APPEND_CRON_ENV) or APPEND_CRON,
        execution_timezone="UTC",
        description="Appends yesterday's day partition of activity and trending (then the "
        "sensor refreshes user_traits). Skips days before the start date or past the end date.",
    )
    def daily_append_schedule(context: dg.ScheduleEvaluationContext):
        day = context.scheduled_execution_time.astimezone(dt.UTC).date() - ONE_DAY
        if day < params.start_date:
            return dg.SkipReason(f"{day} is before the start date {params.start_date}")
        if params.end_date is not None and day >= params.end_date:
            return dg.SkipReason(f"{day} is past the partitions' end date {params.end_date}")
        return dg.RunRequest(run_key=day.isoformat(), partition_key=day.isoformat())

    return daily_append_schedule


def build_reseed_schedule(params: SeedParams) -> dg.ScheduleDefinition:
    @dg.schedule(
        name="weekly_reseed_schedule",
        job=reseed,
        cron_schedule=os.environ.get(RESEED_CRON_ENV) or RESEED_CRON,
        execution_timezone="UTC",
        description="Reseeds from scratch: a guarded reset of every seeded table, then every "
        "tier (the sensor chains the days, user_traits and the audit).",
    )
    def weekly_reseed_schedule(context: dg.ScheduleEvaluationContext):
        today = context.scheduled_execution_time.astimezone(dt.UTC).date()
        days = days_tag(params.start_date, last_day(params, today))
        tags = {**shard_range(params), RESEED_TAG: today.isoformat(), DAYS_TAG: days}
        return dg.RunRequest(run_key=today.isoformat(), run_config=RESEED_CONFIG, tags=tags)

    return weekly_reseed_schedule


def next_run(params: SeedParams, run: dg.DagsterRun) -> dg.RunRequest | dg.SkipReason:
    """The run that follows a successful ``run`` in its chain (keyed by it: requested once)."""
    chain = {RESEED_TAG: run.tags[RESEED_TAG]} if RESEED_TAG in run.tags else {}

    def request(job: str, tags: dict[str, str]) -> dg.RunRequest:
        return dg.RunRequest(run_key=f"{job}:{run.run_id}", job_name=job, tags={**tags, **chain})

    if run.job_name == reseed.name:
        span = tagged_days(run.tags)
        if span is None:
            return request(refresh_user_traits.name, shard_range(params))
        return request(daily_append.name, day_range(*span))
    if run.job_name == daily_append.name:
        return request(refresh_user_traits.name, shard_range(params))
    if run.job_name == refresh_user_traits.name and chain:
        return request(audit.name, {})
    return dg.SkipReason(f"nothing follows {run.job_name} run {run.run_id}")


def build_chain_sensor(params: SeedParams) -> dg.SensorDefinition:
    @dg.run_status_sensor(
        name="staging_chain",
        run_status=dg.DagsterRunStatus.SUCCESS,
        monitored_jobs=[reseed, daily_append, refresh_user_traits],
        request_jobs=[daily_append, refresh_user_traits, audit],
        # On by default: it only follows runs of these jobs, which someone chose to launch.
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Launches the next run of a chain: daily_append -> refresh_user_traits; "
        "reseed -> daily_append -> refresh_user_traits -> audit.",
    )
    def staging_chain(context: dg.RunStatusSensorContext):
        return next_run(params, context.dagster_run)

    return staging_chain


def build_schedules(params: SeedParams) -> list[dg.ScheduleDefinition]:
    """The daily append and the weekly reseed (stopped until turned on)."""
    return [build_daily_schedule(params), build_reseed_schedule(params)]
