"""`seed up`, `seed extend`, `seed jobs`, `seed ui`: the seed graph in-process, through Dagster."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from typing import Any

import click

from seed_assets import command_lock, database, guard, replay, runs
from seed_assets.cli.common import (
    STATIC_JOBS,
    err,
    guarded,
    main,
)
from seed_assets.cli.options import parse_days, seed_options, seed_params
from seed_assets.cli.run import prepare_dagster, seed
from seed_assets.config import ConfigError, SeedParams

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
    seed(params, "seed up", groups, params.start_date, n_days, exclude=exclude, as_json=as_json)


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
            owed = replay.owed(conn, exp, derived=not skip_jobs)
        if owed is not None:
            first, last = owed.days
            err.print(
                f"resuming the interrupted `{owed.claim.command}` of days {first}..{last}; "
                "run `seed extend` again to append more",
                highlight=False,
            )
            seed(
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
        seed(
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
        seed(
            params,
            "seed jobs",
            ["derived"],
            first,
            days,
            url=url,
            exclude=names - chosen,
            as_json=as_json,
        )


def _recorded(url: str) -> tuple[SeedParams, replay.Expectation]:
    """The parameters of the last successful `seed up` (or `seed load`) since the last reset, and
    what the recorded runs say the database holds (read under the command lock)."""
    with database.connection(url, autocommit=True) as conn:
        # The guard first: a database that is not ours is refused (5), not "nothing seeded" (2).
        context = click.get_current_context(silent=True)
        action = context.command_path if context else "seed"
        guard.ensure_writable(conn, url, action, adopt_empty=False)
        from seed_assets import drift

        drift.check(conn, action)  # before the recorded runs are read (seed_runs may have drifted)
        exp = replay.expectation(conn)
        params = exp.params
        if params is None:
            raise ConfigError(
                "nothing seeded here: this database has no successful `seed up` or `seed load`"
            )
        if not exp.seeded:
            seeding = [c for c in exp.unfinished if c.command in replay.SEEDING]
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


@main.command()
@click.option("--port", default=3000, show_default=True, help="Port for the web UI.")
@guarded
def ui(port: int) -> None:
    """Start the Dagster UI (webserver and daemon) on the same database and instance."""
    from seed_assets import instance

    url = database.resolve_url(prepare=prepare_dagster)
    guard.check_host(url)  # the UI's code location writes there
    instance.dagster_instance(url)  # sets DAGSTER_HOME and writes its dagster.yaml
    env = {**os.environ, "DATABASE_URL": os.environ.get("DATABASE_URL") or url}
    cmd = [sys.executable, "-m", "dagster", "dev", "-m", "seed_assets.definitions", "-p", str(port)]
    err.print(f"Dagster UI on http://127.0.0.1:{port} (Ctrl-C to stop)")
    sys.exit(subprocess.call(cmd, env=env))
