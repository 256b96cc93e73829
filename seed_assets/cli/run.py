"""How `seed up`, `seed extend` and `seed jobs` run: the database checked and the run recorded,
the tiers materialised through Dagster in this process phase by phase (the identity tier's shards
prefetched meanwhile, a first load's keys built as each table is written), the summary printed."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import click
from rich.console import Console

from seed_assets import (
    bulk_finish,
    command_lock,
    database,
    ddl,
    embedded,
    guard,
    partitions,
    runs,
)
from seed_assets.cli.common import err, import_dagster
from seed_assets.config import SeedParams
from seed_assets.database import DatabaseLost
from seed_assets.memo import Memo
from seed_assets.prefetch import Prefetcher
from seed_assets.progress import Listeners, OnFinish
from seed_assets.report import RichProgress, timings_json, timings_table
from seed_assets.schema import metadata as schema_metadata
from seed_assets.write import Generation

FINISH_LABEL = "keys, indexes, foreign keys, ANALYZE"


@dataclass(frozen=True)
class Job:
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


def seed(
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
    job = Job(params, command, groups, first_day, n_days, exclude or set(), as_json, plan, started)
    # Generated while Dagster and the database start, and handed to the identity step.
    fetcher = Prefetcher.identity(params) if "identity" in groups else None
    # Importing Dagster takes seconds: do it while the database starts.
    background = ThreadPoolExecutor(max_workers=1)
    imported = background.submit(import_dagster)
    try:
        url = url or database.resolve_url(prepare=prepare_dagster)
        with command_lock.held(url, command):
            run_id, bulk, made = open_run(job, url, background)
            imported.result()
            instance = made.result()
            background.shutdown()
            memo = Memo.from_env(database.seed_home() / "cache")
            generation = Generation(prefetcher=fetcher, memo=memo)
            timings, extra = load(job, url, run_id, bulk, instance, generation)
            with database.connection(url, autocommit=True) as conn:
                runs.finish(conn, run_id, "success", {t.table: t.rows for t in timings})
            summary(job, timings, extra)
    finally:
        if fetcher:
            fetcher.stop()
        background.shutdown()


def open_run(job: Job, url: str, background: ThreadPoolExecutor) -> tuple[str, bool, Future[Any]]:
    """Check the database (host, guard, schema), make its tables, record the run as started and
    start making the Dagster instance in the background: (run id, bulk load, the instance)."""
    guard.check_host(url)  # before connecting anywhere
    with database.connection(url, autocommit=True) as conn:
        guard.ensure_writable(conn, url, job.command)  # an empty database gets the marker here
        from seed_assets import drift

        drift.check(conn, job.command)  # the live schema as expected, before anything is written
        # The Dagster instance (and its storage's tables) is made in the background too.
        made = background.submit(make_instance, url)
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


def load(
    job: Job, url: str, run_id: str, bulk: bool, instance: Any, generation: Generation
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
    finisher = bulk_finish.BulkFinisher(url) if bulk else None
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
                    written = run_phase(job, phase, resources, instance)
                except Exception:
                    record_failure(url, run_id)
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


def record_failure(url: str, run_id: str) -> None:
    """Record the run as failed, as far as possible: the database itself may be what failed (a
    crash, a full disk); then the run stays `running` and the next command marks it interrupted."""
    with (
        contextlib.suppress(database.DatabaseError, DatabaseLost),
        database.connection(url, autocommit=True) as conn,
    ):
        runs.finish(conn, run_id, "failure", {})


def run_phase(job: Job, phase: list[str], resources: dict[str, object], instance: Any) -> list[Any]:
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


def summary(job: Job, timings: list[Any], extra: list[tuple[str, float]]) -> None:
    total = time.perf_counter() - job.started
    if job.as_json:
        server = None if os.environ.get("DATABASE_URL") else embedded.last_start
        click.echo(json.dumps(timings_json(job.command, timings, extra, total, server), indent=2))
    else:
        Console().print(timings_table(timings, extra, total))


def make_instance(url: str) -> Any:
    from seed_assets import instance

    return instance.dagster_instance(url)


def prepare_dagster(url: str) -> None:
    """What a new embedded server's cluster template holds besides the cluster: Dagster's
    storage (made once per machine; :mod:`seed_assets.pgtemplate`)."""
    from seed_assets import instance  # waits for the background import, if one is running

    instance.prepare_storage(url)
