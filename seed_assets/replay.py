"""What the recorded runs say the database should hold: ``seed_runs`` replayed since the last
reset (:func:`expectation`: the parameters, the days claimed, the runs unfinished or in progress)
and what unfinished runs still owe (:func:`owed`: a resumed run's work).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any

import psycopg

from seed_assets import liveness, runs
from seed_assets.config import SeedParams
from seed_assets.schema import ACTIVITY, DERIVED, reads_activity


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
    replayed = _Replay()
    for run_id, command, status, recorded, wrote_users in rows:
        recorded = dict(recorded)
        if command == "seed reset":
            replayed.reset(recorded.get("scope") if status == "success" else None)
        else:
            claim = Claim(run_id, command, status, _claimed_days(recorded), run_id in alive)
            replayed.add(claim, recorded, wrote_users)
    return replayed.expectation()


@dataclasses.dataclass
class _Replay:
    """The runs replayed so far."""

    params: SeedParams | None = None
    days: tuple[dt.date, dt.date] | None = None
    unfinished: list[Claim] = dataclasses.field(default_factory=list)
    in_progress: list[Claim] = dataclasses.field(default_factory=list)
    last_claim: Claim | None = None
    seeded: bool = False

    def reset(self, scope: str | None) -> None:
        """A successful ``seed reset`` of ``scope`` (None: one that did not succeed)."""
        if scope == "all":
            self.params, self.seeded = None, False
        if scope in ("all", "activity"):
            self.days, self.last_claim, self.unfinished = None, None, []

    def add(self, claim: Claim, recorded: dict[str, Any], wrote_users: bool) -> None:
        cli = claim.command.startswith("seed ")
        if claim.live:
            self.in_progress.append(claim)
            return
        if not cli and claim.status != "success":
            return  # a Dagster run still going (or dead): counted once it succeeded
        if claim.command in SEEDING or (not cli and wrote_users):
            self.params, self.seeded = runs.recorded_params(recorded), claim.status == "success"
        if claim.status != "success":
            self.unfinished.append(claim)
        if claim.days:
            self.days, self.last_claim = _union(self.days, claim.days), claim

    def expectation(self) -> Expectation:
        return Expectation(
            self.params,
            self.days,
            tuple(self.unfinished),
            tuple(self.in_progress),
            self.last_claim,
            self.seeded,
        )


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
