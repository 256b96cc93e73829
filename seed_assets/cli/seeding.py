"""`seed up`, `seed extend`, `seed jobs`, `seed ui`: the seed graph in-process, through Dagster."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import click
from rich.console import Console

from seed_assets import command_lock, database, ddl, guard, partitions, runs
from seed_assets.cli.common import (
    STATIC_JOBS,
    err,
    guarded,
    import_dagster,
    main,
    parse_days,
    seed_options,
    seed_params,
)
from seed_assets.config import ConfigError, SeedParams
from seed_assets.memo import Memo
from seed_assets.prefetch import Prefetcher
from seed_assets.progress import Listeners, OnFinish
from seed_assets.report import RichProgress, timings_json, timings_table
from seed_assets.schema import metadata as schema_metadata
from seed_assets.write import Generation

FINISH_LABEL = "keys, indexes, foreign keys, ANALYZE"
JSON_OPTION = click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the summary as JSON on stdout (rows and seconds per table and phase).",
)


@main.command()
@seed_options(days_default="0")
@click.option("--skip-activity", is_flag=True, help="Identity only, whatever --days says.")
@click.option("--skip-jobs", is_flag=True, help="Do not compute the derived tables.")
@click.option("--skip-match-scores", is_flag=True, help="Derived tables without match_scores.")
@click.option("--skip-compatibility", is_flag=True, help="Derived tables without compatibility.")
@JSON_OPTION
@guarded
def up(
    days: str,
    skip_activity: bool,
    skip_jobs: bool,
    skip_match_scores: bool,
    skip_compatibility: bool,
    as_json: bool,
    **options: Any,
) -> None:
    """Seed the catalog, every identity shard and --days of activity; print rows per table.

    Runs the same Dagster assets as the UI, in this process. On an empty database the tables are
    loaded bare and indexes and foreign keys are built once at the end. The development password
    every user gets is SEED_DEV_PASSWORD (default password123). Run again after an interruption,
    it rewrites every partition. Waits while another write command runs on this database
    (SEED_LOCK_TIMEOUT, default 600 s).
    """
    params = seed_params(**options)
    n_days = 0 if skip_activity else parse_days(days, allow_zero=True)
    groups = ["params", "catalog", "identity"] + (["activity"] if n_days else [])
    groups += [] if skip_jobs else ["derived"]
    exclude = {"match_scores", "compatibility"} if skip_match_scores else set()
    exclude |= {"compatibility"} if skip_compatibility else set()
    _seed(params, "seed up", groups, params.start_date, n_days, exclude=exclude, as_json=as_json)


@main.command()
@click.option("--days", type=str, required=True, help="How many days to append.")
@click.option("--skip-jobs", is_flag=True, help="Do not refresh user_traits and trending.")
@JSON_OPTION
@guarded
def extend(days: str, skip_jobs: bool, as_json: bool) -> None:
    """Append the next --days of activity (and their derived tables) after the last day seeded.

    Uses the parameters of the last successful `seed up` recorded in the database, so the new
    days continue the same simulation; earlier days are not touched. If an earlier run was
    interrupted (or failed) before writing every day it claimed, this run completes exactly
    those partitions instead and appends nothing: run `seed extend` again to append more.
    Waits while another write command runs on the database (SEED_LOCK_TIMEOUT, default 600 s).
    """
    n_days = parse_days(days, allow_zero=False)
    url = database.resolve_url()
    with command_lock.held(url, "seed extend"):
        params, exp = _recorded(url)
        # Of the derived tables, only those computed from activity change with new days.
        groups = ["activity"] if skip_jobs else ["activity", "derived"]
        with database.connection(url, autocommit=True) as conn:
            owed = runs.owed(conn, exp, derived=not skip_jobs)
        if owed is not None:
            first, last = owed.days
            err.print(
                f"resuming the interrupted `{owed.claim.command}` of days {first}..{last}; "
                "run `seed extend` again to append more",
                highlight=False,
            )
            _seed(
                params,
                "seed extend",
                groups,
                first,
                (last - first).days + 1,
                url=url,
                exclude=STATIC_JOBS,
                as_json=as_json,
                plan=owed.plan,
            )
            return
        last = exp.activity_days[1] if exp.activity_days else None
        first = last + dt.timedelta(days=1) if last else params.start_date
        _seed(
            params,
            "seed extend",
            groups,
            first,
            n_days,
            url=url,
            exclude=STATIC_JOBS,
            as_json=as_json,
        )


@main.command()
@click.option(
    "--only",
    "--jobs",
    "only",
    type=str,
    help="Comma-separated derived tables, e.g. match_scores,compatibility (or match-scores).",
)
@JSON_OPTION
@guarded
def jobs(only: str | None, as_json: bool) -> None:
    """Recompute the derived tables (the app's jobs) from what is seeded.

    Uses the parameters of the last successful `seed up` recorded in the database.
    Waits while another write command runs on this database (SEED_LOCK_TIMEOUT, default 600 s).
    """
    from seed_assets.schema import DERIVED

    names = {t.name for t in DERIVED}
    chosen = {n.strip().replace("-", "_") for n in only.split(",")} if only else names
    if unknown := chosen - names:
        raise ConfigError(f"unknown derived tables {sorted(unknown)}; choose from {sorted(names)}")
    url = database.resolve_url()
    with command_lock.held(url, "seed jobs"):
        params, exp = _recorded(url)
        first, last = params.start_date, exp.activity_days[1] if exp.activity_days else None
        days = (last - first).days + 1 if last else 0
        _seed(
            params,
            "seed jobs",
            ["derived"],
            first,
            days,
            url=url,
            exclude=names - chosen,
            as_json=as_json,
        )


def _instance(url: str) -> Any:
    from seed_assets import orchestrate

    return orchestrate.dagster_instance(url)


def _prepare_dagster(url: str) -> None:
    """What a new embedded server's cluster template holds besides the cluster: Dagster's
    storage (made once per machine; :mod:`seed_assets.pgtemplate`)."""
    from seed_assets import orchestrate  # waits for the background import, if one is running

    orchestrate.prepare_storage(url)


def _recorded(url: str) -> tuple[SeedParams, runs.Expectation]:
    """The parameters of the last successful `seed up` (or `seed load`) since the last reset, and
    what the recorded runs say the database holds (read under the command lock)."""
    with database.connection(url, autocommit=True) as conn:
        # The guard first: a database that is not ours is refused (5), not "nothing seeded" (2).
        context = click.get_current_context(silent=True)
        action = context.command_path if context else "seed"
        guard.ensure_writable(conn, url, action, adopt_empty=False)
        from seed_assets import drift

        drift.check(conn, action)  # before the recorded runs are read (seed_runs may have drifted)
        exp = runs.expectation(conn)
        params = exp.params
        if params is None:
            raise ConfigError(
                "nothing seeded here: this database has no successful `seed up` or `seed load`"
            )
        if not exp.seeded:
            seeding = [c for c in exp.unfinished if c.command in runs.SEEDING]
            what = seeding[-1] if seeding else None
            command = what.command if what else "seed up"
            raise ConfigError(
                f"the last `{command}` here{f' (run {what.run_id})' if what else ''} did not "
                f"finish; run `{command}` again to complete it"
            )
        recorded = runs.last_params(conn)
        if recorded is not None and params.fingerprint() != recorded[1]:
            raise ConfigError(
                "the recorded run used another SEED_DEV_PASSWORD or other contents of calibration "
                f"profile {params.calibration!r}; set them as they were to continue"
            )
        return params, exp


@dataclass(frozen=True)
class _Job:
    """One seeding command: what it writes, over which days, and how it reports."""

    params: SeedParams
    command: str
    groups: list[str]
    first_day: dt.date
    n_days: int
    exclude: set[str]
    as_json: bool
    plan: dict[str, list[str]] | None  # {activity table: days}: a resumed run's partitions
    started: float

    @property
    def last_day(self) -> dt.date:
        return self.first_day + dt.timedelta(days=max(self.n_days, 1) - 1)

    @property
    def days(self) -> tuple[dt.date, dt.date] | None:
        return (self.first_day, self.last_day) if self.n_days else None


def _seed(
    params: SeedParams,
    command: str,
    groups: list[str],
    first_day: dt.date,
    n_days: int,
    url: str | None = None,
    exclude: set[str] | None = None,
    as_json: bool = False,
    plan: dict[str, list[str]] | None = None,
) -> None:
    """Run ``groups`` over ``n_days`` days from ``first_day``, holding the database's command lock
    (taken here unless the caller holds it). ``plan`` ({activity table: days}): write exactly
    those partitions of the activity tier instead of every day (a resumed run)."""
    started = time.perf_counter()
    last_day = first_day + dt.timedelta(days=max(n_days, 1) - 1)
    params = partitions.through(params, last_day)  # its day partitions exist
    job = _Job(params, command, groups, first_day, n_days, exclude or set(), as_json, plan, started)
    # Generated while Dagster and the database start, and handed to the identity step.
    fetcher = Prefetcher.identity(params) if "identity" in groups else None
    # Importing Dagster takes seconds: do it while the database starts.
    background = ThreadPoolExecutor(max_workers=1)
    imported = background.submit(import_dagster)
    try:
        url = url or database.resolve_url(prepare=_prepare_dagster)
        with command_lock.held(url, command):
            run_id, bulk, made = _open_run(job, url, background)
            imported.result()
            instance = made.result()
            background.shutdown()
            memo = Memo.from_env(database.seed_home() / "cache")
            generation = Generation(prefetcher=fetcher, memo=memo)
            timings, extra = _load(job, url, run_id, bulk, instance, generation)
            with database.connection(url, autocommit=True) as conn:
                runs.finish(conn, run_id, "success", {t.table: t.rows for t in timings})
            _summary(job, timings, extra)
    finally:
        if fetcher:
            fetcher.stop()
        background.shutdown()


def _open_run(job: _Job, url: str, background: ThreadPoolExecutor) -> tuple[str, bool, Future[Any]]:
    """Check the database (host, guard, schema), make its tables, record the run as started and
    start making the Dagster instance in the background: (run id, bulk load, the instance)."""
    guard.check_host(url)  # before connecting anywhere
    with database.connection(url, autocommit=True) as conn:
        guard.ensure_writable(conn, url, job.command)  # an empty database gets the marker here
        from seed_assets import drift

        drift.check(conn, job.command)  # the live schema as expected, before anything is written
        # The Dagster instance (and its storage's tables) is made in the background too.
        made = background.submit(_instance, url)
        bulk = ddl.is_empty(conn)
        ddl.ensure_schema(conn, bare=bulk)
        run_id = command_lock.new_run_id()
        runs.start(conn, run_id, job.command, job.params, job.days)
    what = f"{job.params.users:,} users" if "identity" in job.groups else "activity"
    span = f", days {job.first_day}..{job.last_day}" if "activity" in job.groups else ""
    err.print(
        f"{job.command}: {what} (run seed {job.params.run_seed!r}{span}) into "
        f"{database.redact(url)}",
        highlight=False,
    )
    return run_id, bulk, made


def _load(
    job: _Job, url: str, run_id: str, bulk: bool, instance: Any, generation: Generation
) -> tuple[list[Any], list[tuple[str, float]]]:
    """Run the job's tiers through Dagster, phase by phase; on a first (bulk) load, build each
    table's keys as soon as it is written and the foreign keys at the end of each phase. Returns
    (each table's timing, the finisher's extra phases)."""
    from seed_assets import orchestrate

    # A first load writes bare tables, then builds keys, indexes and foreign keys once, at the end
    # of the seeded tiers (the derived jobs then read indexed tables), and of the derived one.
    phases = [[g for g in job.groups if g != "derived"], [g for g in job.groups if g == "derived"]]
    timings: list[orchestrate.TableTiming] = []
    extra: list[tuple[str, float]] = []
    finisher = ddl.BulkFinisher(url) if bulk else None
    try:
        with RichProgress(err) as bars:
            # The bars, and the finisher: a table's keys are built once it is written.
            listener = Listeners(bars, OnFinish(finisher.table_written)) if finisher else bars
            resources = orchestrate.resources(
                job.params, url, bulk=bulk, progress=listener, generation=generation
            )
            for phase in (p for p in phases if p):
                last = phase is phases[-1] or not phases[-1]
                if finisher:
                    # What this phase writes; once all of it is, the foreign keys can start.
                    expected = {
                        t.name
                        for t in schema_metadata.sorted_tables
                        if t.info.get("tier") in phase and t.name not in job.exclude
                    }
                    finisher.expect(expected, None if last else expected)
                try:
                    written = _run_phase(job, phase, resources, instance)
                except Exception:
                    with database.connection(url, autocommit=True) as conn:
                        runs.finish(conn, run_id, "failure", {})
                    raise
                timings += written
                if finisher:
                    t0 = time.perf_counter()
                    # The last phase completes every table, including those nothing was written to.
                    tables = None if last else {t.table for t in written}
                    finisher.complete([t.table for t in written], tables=tables)
                    extra.append((f"{FINISH_LABEL} ({', '.join(phase)})", time.perf_counter() - t0))
    finally:
        if generation.prefetcher:
            generation.prefetcher.stop()
        if finisher:
            finisher.close()
    return timings, extra


def _run_phase(
    job: _Job, phase: list[str], resources: dict[str, object], instance: Any
) -> list[Any]:
    """One phase's tiers: a resumed run's planned activity partitions, then the rest."""
    from seed_assets import orchestrate

    written = []
    tiers = phase
    if job.plan is not None and "activity" in phase:
        chosen = {t: keys for t, keys in job.plan.items() if keys}
        written += orchestrate.run_partitions(job.params, resources, instance, chosen, job.command)
        tiers = [g for g in phase if g != "activity"]
    days = (job.first_day.isoformat(), job.last_day.isoformat()) if job.n_days else None
    written += orchestrate.run_tiers(
        job.params, resources, instance, tiers, days, job.command, job.exclude
    )
    return written


def _summary(job: _Job, timings: list[Any], extra: list[tuple[str, float]]) -> None:
    total = time.perf_counter() - job.started
    if job.as_json:
        server = None if os.environ.get("DATABASE_URL") else database.last_start
        summary = timings_json(job.command, timings, extra, total, server)
        click.echo(json.dumps(summary, indent=2))
    else:
        Console().print(timings_table(timings, extra, total))


@main.command()
@click.option("--port", default=3000, show_default=True, help="Port for the web UI.")
@guarded
def ui(port: int) -> None:
    """Start the Dagster UI (webserver and daemon) on the same database and instance."""
    from seed_assets import orchestrate

    url = database.resolve_url(prepare=_prepare_dagster)
    guard.check_host(url)  # the UI's code location writes there
    orchestrate.dagster_instance(url)  # sets DAGSTER_HOME and writes its dagster.yaml
    env = {**os.environ, "DATABASE_URL": os.environ.get("DATABASE_URL") or url}
    cmd = [sys.executable, "-m", "dagster", "dev", "-m", "seed_assets.definitions", "-p", str(port)]
    err.print(f"Dagster UI on http://127.0.0.1:{port} (Ctrl-C to stop)")
    sys.exit(subprocess.call(cmd, env=env))
