"""One repetition of one size: the CLI calls on databases A and B, and what they measured."""

from __future__ import annotations

import dataclasses
import math
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console

from bench import peerrun, pg, seedcli, tiers
from bench.activity import limits
from bench.activity.sizes import (
    ACTIVITY,
    DERIVED,
    JOB_FLAGS,
    RUN_SEED,
    SKIPS_JOBS,
    START,
    TABLES,
    Size,
    day_key,
)


@dataclasses.dataclass
class Rep:
    """Everything one repetition of one size measured."""

    up: seedcli.CliRun
    counts: dict[str, int]  # rows per table after `seed up`
    derived: dict[str, int]  # rows per derived table after `seed up` (not in "rows")
    derived_after: dict[str, int]  # ... and after the two appends
    appends: dict[int, seedcli.CliRun]  # day number -> the `seed extend --days 1` adding it
    up1: seedcli.CliRun  # `seed up --days 1` of database B
    bulk: dict[int, seedcli.CliRun]  # day reached -> the multi-day `seed extend` reaching it
    added: dict[str, int]  # A: activity rows after the two appends minus after `seed up`
    manifest_a: dict[tuple[str, str], tuple[int, str]]
    manifest_b: dict[tuple[str, str], tuple[int, str]]
    server: str
    steps: dict[str, tiers.Step]  # table -> its asset step in `seed up` (Dagster's event log)
    peer: peerrun.PeerRun | None = None  # the peer seed script, when it ran in this repetition
    audit: seedcli.CliRun | None = None  # `seed audit` on A after the appends
    repair: seedcli.CliRun | None = None  # `seed repair` after damaging one day of A's likes
    raw: limits.RawLimit | None = None  # A's tables loaded raw into a fresh database

    def day_rows(self, day: int) -> float:
        """Activity rows of appended day ``day``, per the manifest of the database that
        appended it with a 1-day ``seed extend`` (NaN for a day not appended)."""
        if day not in self.appends:
            return math.nan
        manifest = self.manifest_b if day in (2, *self.series_days) else self.manifest_a
        return float(sum(manifest.get((t, day_key(day)), (0, ""))[0] for t in ACTIVITY))

    @property
    def series_days(self) -> list[int]:
        """The day the series appended alone (2D), when it ran."""
        return [max(self.bulk) + 1] if self.bulk else []


class CliFailed(RuntimeError):
    """A ``seed`` call exited non-zero; ``log`` holds its output."""

    def __init__(self, args: Sequence[str], returncode: int, log: Path) -> None:
        super().__init__(f"seed {' '.join(args)} exited with {returncode}; see {log}")
        self.args_ = list(args)
        self.returncode = returncode
        self.log = log


@dataclasses.dataclass
class Plan:
    """How one size's databases are seeded, shared by its repetitions.

    ``one_day_flags`` are added to database B's ``seed up --days 1``: empty, unless that call
    failed once (a source bug), after which every repetition uses ``--skip-jobs`` so that the
    appends can still be measured; ``fallback`` says why.
    """

    one_day_flags: list[str] = dataclasses.field(default_factory=list)
    fallback: str | None = None


class Runner:
    """Runs the CLI calls of one size and repetition, logging each to its own file."""

    def __init__(self, size: Size, rep: int, plan: Plan, log_dir: Path, console: Console) -> None:
        self.size = size
        self.rep = rep
        self.plan = plan
        self.log_dir = log_dir
        self.console = console

    def cli(self, home: Path, step: str, *args: str) -> seedcli.CliRun:
        log = self.log_dir / f"{self.size.name}-rep{self.rep}-{step}.log"
        run = seedcli.run_cli(list(args), home, log)
        outcome = "" if run.returncode == 0 else f" [red]FAILED (exit {run.returncode})[/]"
        self.console.print(
            f"  {step}: seed {' '.join(args)}: {run.seconds:.2f} s, "
            f"peak RSS {run.peak_rss_mb:,.0f} MB{outcome}",
            highlight=False,
        )
        if run.returncode != 0:
            raise CliFailed(args, run.returncode, log)
        return run

    def up(self, home: Path, step: str, days: int, *flags: str) -> seedcli.CliRun:
        users = str(self.size.users)
        return self.cli(
            home,
            step,
            "up",
            "--json",
            "--users",
            users,
            "--days",
            str(days),
            "--run-seed",
            RUN_SEED,
            *JOB_FLAGS,
            *flags,
        )

    def extend(self, home: Path, step: str, days: int) -> seedcli.CliRun:
        return self.cli(home, step, "extend", "--days", str(days), *JOB_FLAGS)

    def peer(self, home: Path, likes: int) -> peerrun.PeerRun:
        """The peer seed script on a fresh server, aiming at ``likes`` swipes."""
        log = self.log_dir / f"{self.size.name}-rep{self.rep}-peer.log"
        pgdata = home / "seed" / "pgdata"
        run = peerrun.measure(pgdata, self.size.users, self.size.days, likes, START, log)
        self.console.print(
            f"  peer: python -m bench.peer: {run.seconds:.2f} s, {run.rows:,} rows", highlight=False
        )
        return run


@contextmanager
def fresh_home() -> Iterator[Path]:
    """A temporary home for one database; any server left serving it is stopped on exit."""
    with tempfile.TemporaryDirectory(prefix="bench-activity-", ignore_cleanup_errors=True) as tmp:
        home = Path(tmp).resolve()
        try:
            yield home
        finally:
            pg.stop_strays(home / "seed" / "pgdata")


def one_rep(runner: Runner, series: bool, peer: bool = False) -> Rep:
    """Databases A and B of one repetition (see the module docstring), then the peer's."""
    d = runner.size.days
    with fresh_home() as home:
        pgdata = home / "seed" / "pgdata"
        up = runner.up(home, "up", d)
        with pg.attached_server(pgdata) as url:
            counts = pg.count_rows(url, TABLES)
            derived = pg.count_rows(url, DERIVED)
            server = pg.server_version(url)
            steps = tiers.asset_steps(url)
            # The limit: exactly the rows `seed up` made, before anything is appended.
            everything = [*limits.CATALOG, *TABLES]
            raw = limits.raw_limit(pg.with_database(url, "postgres"), url, everything, home / "raw")
        runner.console.print(
            f"  raw limit: COPY {raw.load_s:.2f} s + indexes/FKs/ANALYZE {raw.constraints_s:.2f} s,"
            f" {raw.rows:,} rows",
            highlight=False,
        )
        appends = {
            d + 1: runner.extend(home, f"append-day{d + 1}", 1),
            d + 2: runner.extend(home, f"append-day{d + 2}", 1),
        }
        with pg.attached_server(pgdata) as url:
            after = pg.count_rows(url, ACTIVITY)
            derived_after = pg.count_rows(url, DERIVED)
            manifest_a = pg.manifest(url, ACTIVITY)
        audit = runner.cli(home, "audit", "audit")
        with pg.attached_server(pgdata) as url:
            limits.damage_one_day(url, day_key(d // 2))
        repair = runner.cli(home, "repair-one-day", "repair")
    added = {t: after[t] - counts[t] for t in ACTIVITY}
    up1, b_appends, bulk, manifest_b = database_b(runner, series)
    peer_run = None
    if peer:
        with fresh_home() as home:
            peer_run = runner.peer(home, counts["likes"])
    return Rep(
        up=up,
        counts=counts,
        derived=derived,
        derived_after=derived_after,
        appends=appends | b_appends,
        up1=up1,
        bulk=bulk,
        added=added,
        manifest_a=manifest_a,
        manifest_b=manifest_b,
        server=server,
        steps=steps,
        peer=peer_run,
        audit=audit,
        repair=repair,
        raw=raw,
    )


def database_b(
    runner: Runner, series: bool
) -> tuple[
    seedcli.CliRun,
    dict[int, seedcli.CliRun],
    dict[int, seedcli.CliRun],
    dict[tuple[str, str], tuple[int, str]],
]:
    """``seed up --days 1``, day 2 appended, and the series when asked: (up, appends, bulk
    extends, manifest). Falls back to ``seed up --days 1 --skip-jobs`` if the plain call fails."""
    d = runner.size.days
    while True:
        with fresh_home() as home:
            pgdata = home / "seed" / "pgdata"
            try:
                up1 = runner.up(home, "up-1day", 1, *runner.plan.one_day_flags)
            except CliFailed as exc:
                if runner.plan.one_day_flags or SKIPS_JOBS:
                    raise
                runner.plan.one_day_flags = ["--skip-jobs"]
                runner.plan.fallback = (
                    f"`seed up --users {runner.size.users} --days 1 --run-seed {RUN_SEED}` failed "
                    f"(exit {exc.returncode}, rep {runner.rep}; log {seedcli.shown(exc.log)}): "
                    "the 1-day databases were seeded with `--skip-jobs` instead (no static "
                    "derived tables; `seed extend` never recomputes those, so the appends "
                    "timed on them do the same work as on the 30-day database)."
                )
                runner.console.print(f"  [yellow]{runner.plan.fallback}[/]", highlight=False)
                continue
            appends = {2: runner.extend(home, "append-day2", 1)}
            bulk: dict[int, seedcli.CliRun] = {}
            if series:  # sizes have D >= 4
                bulk[d] = runner.extend(home, f"extend-to-day{d}", d - 2)
                bulk[2 * d - 1] = runner.extend(home, f"extend-to-day{2 * d - 1}", d - 1)
                appends[2 * d] = runner.extend(home, f"append-day{2 * d}", 1)
            with pg.attached_server(pgdata) as url:
                manifest = pg.manifest(url, ACTIVITY)
        return up1, appends, bulk, manifest
