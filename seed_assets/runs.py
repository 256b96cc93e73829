"""``seed_runs``: one row per seeding run, with its parameters, versions and row counts."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import platform
from collections.abc import Callable
from importlib import metadata as importlib_metadata
from typing import Any

import psycopg

from seed_assets import GENERATOR_VERSION, command_lock, liveness
from seed_assets import versions as code_versions
from seed_assets.config import ENV, SeedParams
from seed_assets.database import server_version
from seed_assets.schema import ACTIVITY, DERIVED, reads_activity


def versions(conn: psycopg.Connection) -> dict[str, str]:
    def dist(name: str) -> str:
        try:
            return importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            return "absent"

    return {
        "generator": GENERATOR_VERSION,
        "jobs": code_versions.DERIVED,
        "seed_assets": dist("seed-assets"),
        "dagster": dist("dagster"),
        "polars": dist("polars"),
        "postgres": server_version(conn),
        "python": platform.python_version(),
    }


def start(
    conn: psycopg.Connection,
    run_id: str,
    command: str,
    params: SeedParams,
    activity_days: tuple[dt.date, dt.date] | None = None,
) -> None:
    """Record a run as started; ``activity_days`` is the (first, last) day it writes, if any.

    Under a command lock (:mod:`seed_assets.command_lock`) the run is claimed first, so its row
    never says ``running`` without a live holder while its process lives."""
    command_lock.claim(conn, run_id)
    recorded = {**params.public_dict(), "fingerprint": params.fingerprint()}
    if activity_days:
        recorded["activity_days"] = [d.isoformat() for d in activity_days]
    conn.execute(
        "INSERT INTO seed_runs (run_id, command, run_seed, params, versions, status) "
        "VALUES (%s, %s, %s, %s, %s, 'running')",
        [
            run_id,
            command,
            params.run_seed,
            json.dumps(recorded),
            json.dumps(versions(conn)),
        ],
    )


def finish(conn: psycopg.Connection, run_id: str, status: str, row_counts: dict[str, int]) -> None:
    conn.execute(
        "UPDATE seed_runs SET status = %s, row_counts = %s, finished_at = now() WHERE run_id = %s",
        [status, json.dumps(row_counts), run_id],
    )


def last_params(conn: psycopg.Connection) -> tuple[SeedParams, str] | None:
    """The parameters (and their fingerprint) of the last successful ``seed up`` or ``seed load``
    (a loaded export carries its parameters, so ``seed extend`` can continue it)."""
    exists = conn.execute("SELECT to_regclass('seed_runs') IS NOT NULL").fetchone()
    if not exists or not exists[0]:
        return None
    row = conn.execute(
        "SELECT params FROM seed_runs WHERE status = 'success' "
        "AND command IN ('seed up', 'seed load') "
        "ORDER BY started_at DESC LIMIT 1"
    ).fetchone()
    if row is None:
        return None
    recorded = dict(row[0])
    fingerprint = recorded.pop("fingerprint")
    recorded.pop("activity_days", None)
    recorded["dev_password"] = os.environ.get(ENV["dev_password"])
    return SeedParams.from_strings(recorded), fingerprint


def last_activity_day(conn: psycopg.Connection) -> dt.date | None:
    """The last day the runs since the last reset claimed (finished or not: an interrupted run's
    days are owed too), not the newest day some table happens to hold."""
    days = expectation(conn).activity_days
    return days[1] if days else None


@dataclasses.dataclass(frozen=True)
class Claim:
    """One recorded run: what it claimed it would write, and how it ended."""

    run_id: str
    command: str
    status: str  # running, success, failure, interrupted
    days: tuple[dt.date, dt.date] | None
    live: bool = False  # its process still holds the run's lock (in progress)

    def describe(self) -> str:
        span = f" of days {self.days[0]}..{self.days[1]}" if self.days else ""
        return f"`{self.command}`{span} (run {self.run_id})"


@dataclasses.dataclass(frozen=True)
class Expectation:
    """What the recorded runs say the database should hold (since the last reset)."""

    params: SeedParams | None  # of the last seed up / seed load; None: nothing seeded
    activity_days: tuple[dt.date, dt.date] | None  # the union of the runs' day ranges
    # ``seed`` runs since the last reset that did not succeed, in order; ``status`` running:
    # left running by a process that is gone (not yet marked interrupted).
    unfinished: tuple[Claim, ...] = ()
    in_progress: tuple[Claim, ...] = ()  # runs whose process is alive: not judged yet
    last_claim: Claim | None = None  # the latest run that claimed days (not in progress)
    seeded: bool = False  # the last seed up / seed load succeeded

    @property
    def live_days(self) -> set[str]:
        """The days runs in progress are writing (ISO dates)."""
        return {d for c in self.in_progress if c.days for d in _span(c.days)}

    def claimed_days(self) -> list[str]:
        return _span(self.activity_days) if self.activity_days else []


def _span(days: tuple[dt.date, dt.date]) -> list[str]:
    first, last = days
    return [(first + dt.timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]


SEEDING = ("seed up", "seed load")
LiveCheck = Callable[[list[str]], set[str]]


def expectation(conn: psycopg.Connection, live: LiveCheck | None = None) -> Expectation:
    """Replay ``seed_runs``: a reset forgets what came before it (``all``: everything;
    ``activity``: the days); every run of a ``seed`` command adds its parameters and its days,
    whether it finished or not (what it claimed is owed until written), except a run in progress
    (``live`` says which of the ``running`` ones are: by default, those whose run lock is held);
    a run launched from Dagster counts once it succeeded."""
    rows = _recorded_runs(conn)
    if rows is None:
        return Expectation(None, None)
    running = [r[0] for r in rows if r[2] == "running" and str(r[1]).startswith("seed ")]
    alive = _alive(conn, running, live)
    params: SeedParams | None = None
    days: tuple[dt.date, dt.date] | None = None
    unfinished: list[Claim] = []
    in_progress: list[Claim] = []
    last_claim: Claim | None = None
    seeded = False
    for run_id, command, status, recorded, wrote_users in rows:
        recorded = dict(recorded)
        cli = command.startswith("seed ")
        if command == "seed reset":
            scope = recorded.get("scope") if status == "success" else None
            if scope == "all":
                params, seeded = None, False
            if scope in ("all", "activity"):
                days, last_claim, unfinished = None, None, []
            continue
        claim = Claim(run_id, command, status, _claimed_days(recorded), run_id in alive)
        if claim.live:
            in_progress.append(claim)
            continue
        if not cli and status != "success":
            continue  # a Dagster run still going (or dead): counted once it succeeded
        if command in SEEDING or (not cli and wrote_users):
            params, seeded = _recorded_params(recorded), status == "success"
        if status != "success":
            unfinished.append(claim)
        if claim.days:
            days, last_claim = _union(days, claim.days), claim
    return Expectation(params, days, tuple(unfinished), tuple(in_progress), last_claim, seeded)


def _claimed_days(recorded: dict[str, Any]) -> tuple[dt.date, dt.date] | None:
    days = recorded.get("activity_days")
    return (dt.date.fromisoformat(days[0]), dt.date.fromisoformat(days[1])) if days else None


def _union(
    days: tuple[dt.date, dt.date] | None, span: tuple[dt.date, dt.date]
) -> tuple[dt.date, dt.date]:
    """The days from the first of both ranges to the last (``days`` None: ``span``)."""
    return span if days is None else (min(days[0], span[0]), max(days[1], span[1]))


def _recorded_runs(conn: psycopg.Connection) -> list[tuple[Any, ...]] | None:
    """(run id, command, status, params, whether it wrote users) per run, oldest first; None
    without a ``seed_runs`` table."""
    exists = conn.execute("SELECT to_regclass('seed_runs') IS NOT NULL").fetchone()
    if not exists or not exists[0]:
        return None
    return conn.execute(
        "SELECT run_id, command, status, params, row_counts ? 'users' FROM seed_runs "
        "ORDER BY started_at"
    ).fetchall()


def _alive(conn: psycopg.Connection, running: list[str], live: LiveCheck | None) -> set[str]:
    """Which of the ``running`` runs are in progress (``live``: by default, whose run lock is
    held)."""
    alive = (live or (lambda ids: liveness.live_runs(conn, ids)))(running) if running else set()
    if dead := [r for r in running if r not in alive]:
        # Finished between reading its row and looking at its lock: it was no dead run.
        still = conn.execute(
            "SELECT run_id FROM seed_runs WHERE run_id = ANY(%s) AND status = 'running'", [dead]
        ).fetchall()
        alive |= set(dead) - {r[0] for r in still}
    return alive


def _recorded_params(recorded: dict[str, Any]) -> SeedParams:
    """A run's recorded parameters (the password from the environment: never recorded)."""
    fields = {k: v for k, v in recorded.items() if k not in ("fingerprint", "activity_days")}
    fields["dev_password"] = os.environ.get(ENV["dev_password"])
    return SeedParams.from_strings(fields)


@dataclasses.dataclass(frozen=True)
class Owed:
    """What interrupted or failed runs claimed and did not complete: a resumed run's work."""

    days: tuple[dt.date, dt.date]  # the span to resume (its derived tables are refreshed)
    plan: dict[str, list[str]]  # {activity table: days with no manifest row}
    claim: Claim  # the run being resumed (the latest unfinished one concerned)


ACTIVITY_TABLES = tuple(t.name for t in ACTIVITY)
# The derived tables computed from activity, one partition per day (trending).
DAY_DERIVED = tuple(t.name for t in DERIVED if reads_activity(t) and t.info["grain"] == "day")


def owed(conn: psycopg.Connection, exp: Expectation, *, derived: bool) -> Owed | None:
    """The day partitions unfinished runs claimed that the manifest does not show committed
    (each partition is committed with its manifest row, so no row means not written); with
    ``derived``, also those of the derived day tables, and the days of the latest claiming run
    if it is an unfinished `seed extend` (its derived tables may not have been refreshed)."""
    if not exp.unfinished:
        return None
    tables = ACTIVITY_TABLES + (DAY_DERIVED if derived else ())
    committed = _committed(conn, tables)
    days: set[str] = set()
    plan: dict[str, list[str]] = {t: [] for t in ACTIVITY_TABLES}
    concerned: Claim | None = None
    for claim in exp.unfinished:
        if not claim.days:
            continue
        claimed = _span(claim.days)
        for table in tables:
            # A derived table never computed here owes nothing (`seed jobs` computes it).
            if table in DAY_DERIVED and not committed[table]:
                continue
            missing = [d for d in claimed if d not in committed[table]]
            if missing:
                days.update(missing)
                concerned = claim
                if table in plan:
                    plan[table] = sorted(set(plan[table]) | set(missing))
    last = exp.last_claim
    unrefreshed = last is not None and last.status != "success" and last.command == "seed extend"
    if derived and last and last.days and unrefreshed:
        days.update(_span(last.days))
        concerned = last
    if not days or concerned is None:
        return None
    span = (dt.date.fromisoformat(min(days)), dt.date.fromisoformat(max(days)))
    return Owed(span, {t: keys for t, keys in plan.items() if keys}, concerned)


def _committed(conn: psycopg.Connection, tables: tuple[str, ...]) -> dict[str, set[str]]:
    """{table: the partition keys seed_manifest records} for ``tables``."""
    committed: dict[str, set[str]] = {t: set() for t in tables}
    if conn.execute("SELECT to_regclass('seed_manifest') IS NOT NULL").fetchone() == (True,):
        for table, key in conn.execute(
            "SELECT table_name, partition_key FROM seed_manifest WHERE table_name = ANY(%s)",
            [list(tables)],
        ).fetchall():
            committed[table].add(key)
    return committed


def record_reset(
    conn: psycopg.Connection, run_id: str, scope: str, removed: dict[str, int]
) -> None:
    conn.execute(
        "INSERT INTO seed_runs (run_id, command, run_seed, params, versions, status, row_counts, "
        "finished_at) VALUES (%s, 'seed reset', '', %s, %s, 'success', %s, now())",
        [run_id, json.dumps({"scope": scope}), json.dumps(versions(conn)), json.dumps(removed)],
    )


def record_step(
    conn: psycopg.Connection,
    run_id: str,
    command: str,
    params: SeedParams,
    activity_days: tuple[dt.date, dt.date] | None,
    row_counts: dict[str, int] | None,
) -> None:
    """A run launched from Dagster (UI, schedule, sensor): each step upserts the run's row.

    ``row_counts`` None: the step starts (status ``running``); otherwise it finished and its
    counts are added (status ``success``, until a later step starts)."""
    row = conn.execute(
        "SELECT params, row_counts FROM seed_runs WHERE run_id = %s", [run_id]
    ).fetchone()
    recorded = dict(row[0]) if row else {}
    counts = dict(row[1]) if row else {}
    days = [dt.date.fromisoformat(d) for d in recorded.get("activity_days", [])]
    if activity_days:
        days += list(activity_days)
    fresh = {**params.public_dict(), "fingerprint": params.fingerprint()}
    if days:
        fresh["activity_days"] = [min(days).isoformat(), max(days).isoformat()]
    for table, rows in (row_counts or {}).items():
        counts[table] = counts.get(table, 0) + rows
    status = "running" if row_counts is None else "success"
    conn.execute(
        "INSERT INTO seed_runs (run_id, command, run_seed, params, versions, row_counts, status) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (run_id) DO UPDATE SET "
        "params = EXCLUDED.params, row_counts = EXCLUDED.row_counts, status = EXCLUDED.status, "
        "finished_at = CASE WHEN EXCLUDED.status = 'success' THEN now() END",
        [
            run_id,
            command,
            params.run_seed,
            json.dumps(fresh),
            json.dumps(versions(conn)),
            json.dumps(counts),
            status,
        ],
    )
