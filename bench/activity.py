"""``activity``: ``seed up`` with days of activity end to end, and the cost of appending a day.

Workloads (``--workloads``, default ``S,M``): S = 1,000 users × 30 days, M = 100,000 × 30,
L = 1,000,000 × 7 (only on demand). For each workload and each repetition, in fresh temporary
homes (no DATABASE_URL: every CLI call starts the embedded PostgreSQL of its home and stops it
at exit):

1. Database A: ``seed up --users N --days D --run-seed bench`` as a subprocess: wall seconds and
   peak summed RSS of the CLI, its descendants and its PostgreSQL. Its server is then started
   again on the data and the identity and activity tables are counted (``SELECT count(*)``);
   those are the rows of the run. Then ``seed extend --days 1`` twice (days D+1 and D+2), each
   timed the same way; afterwards the activity tables are counted again and ``seed_manifest``
   read, to check that the two appends added exactly the rows of those two days.
2. Database B (A deleted first): ``seed up --users N --days 1``, then ``seed extend --days 1``
   (day 2), timed: appending a day on day 1, against appending day D+1 on A in the same
   repetition (the ratio). In the first ``--series-repeat`` repetitions (default 1) the series
   goes on: ``seed extend --days D-2`` (days 3..D), ``--days D`` (to day 2D), then ``--days 1``
   (day 2D+1, timed): the time to append one day on top of 1, D, D+1 and 2D days.

The manifests of A and B (per activity table and day: row count and digest) are compared on the
days both hold: seeding D days at once and seeding 1 day then extending must give the same rows.
Day k is the start date + (k - 1) days (``SeedParams``' default start date: the CLI is given none).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import math
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console

from bench import figure, machine, pg, seedcli, stats
from bench.report import Column, Section, Target
from bench.workload import Workload, non_negative_int
from seed_assets import schema
from seed_assets.config import SeedParams

RUN_SEED = "bench"
IDENTITY = [t.name for t in schema.IDENTITY]
ACTIVITY = [t.name for t in schema.ACTIVITY]
DERIVED = [t.name for t in schema.DERIVED]
# Given to every `seed up` and `seed extend`: the derived tier (the app's jobs) is measured on its
# own (`python -m bench derived`), so these figures are catalog + identity + activity only.
JOB_FLAGS: tuple[str, ...] = ("--skip-jobs",)
SKIPS_JOBS = "--skip-jobs" in JOB_FLAGS
TABLES = [*IDENTITY, *ACTIVITY]
START = SeedParams(run_seed=RUN_SEED).start_date
PLOT = Path(__file__).resolve().parent / "plots" / "activity.png"
MB_PER_GB = 1024  # the harness's "MB" are MiB (rss.py), so 3 GB is 3 GiB = 3,072 MB


@dataclasses.dataclass(frozen=True)
class Size:
    """A population and history, with the targets judged on it (None: not judged)."""

    name: str
    users: int
    days: int
    up_target_s: float | None = None
    rss_target_gb: float | None = None
    append_ratio_target: float | None = None

    @property
    def label(self) -> str:
        return f"{self.name} — {self.users:,} users × {self.days} days"


SIZES: dict[str, Size] = {
    s.name: s
    for s in (
        Size("S", 1_000, 30, up_target_s=10.0),
        Size("M", 100_000, 30, up_target_s=120.0, rss_target_gb=3.0, append_ratio_target=1.5),
        Size("L", 1_000_000, 7),
    )
}
DEFAULT_SIZES = "S,M"


def day_key(day: int) -> str:
    """The ISO partition key of day ``day`` (day 1 is the start date)."""
    return (START + dt.timedelta(days=day - 1)).isoformat()


def day_number(key: str) -> int:
    return (dt.date.fromisoformat(key) - START).days + 1


def sizes(text: str) -> list[Size]:
    """argparse type of ``--workloads``: comma-separated names of SIZES, in the order given."""
    names = [n.strip().upper() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in SIZES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"workloads are a comma-separated subset of {','.join(SIZES)}, got {text!r}"
        )
    return [SIZES[n] for n in dict.fromkeys(names)]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--workloads",
        type=sizes,
        default=sizes(DEFAULT_SIZES),
        metavar="S,M",
        help="comma-separated: S = 1,000 users × 30 days, M = 100,000 × 30, "
        f"L = 1,000,000 × 7 (default {DEFAULT_SIZES})",
    )
    parser.add_argument(
        "--series-repeat",
        type=non_negative_int,
        default=1,
        help="repetitions (the first ones) that also append up to day 2D+1 on the 1-day "
        "database; its figures are medians of these only (default 1: single measurements)",
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

    def day_rows(self, day: int) -> float:
        """Activity rows of appended day ``day``, per the manifest of the database that
        appended it with a 1-day ``seed extend`` (NaN for a day not appended)."""
        if day not in self.appends:
            return math.nan
        manifest = self.manifest_b if day in (2, *self.series_days) else self.manifest_a
        return float(sum(manifest.get((t, day_key(day)), (0, ""))[0] for t in ACTIVITY))

    @property
    def series_days(self) -> list[int]:
        """The day the series appended alone (2D+1), when it ran."""
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


@contextmanager
def fresh_home() -> Iterator[Path]:
    """A temporary home for one database; any server left serving it is stopped on exit."""
    with tempfile.TemporaryDirectory(prefix="bench-activity-", ignore_cleanup_errors=True) as tmp:
        home = Path(tmp).resolve()
        try:
            yield home
        finally:
            pg.stop_strays(home / "seed" / "pgdata")


def one_rep(runner: Runner, series: bool) -> Rep:
    """Databases A and B of one repetition (see the module docstring)."""
    d = runner.size.days
    with fresh_home() as home:
        pgdata = home / "seed" / "pgdata"
        up = runner.up(home, "up", d)
        with pg.attached_server(pgdata) as url:
            counts = pg.count_rows(url, TABLES)
            derived = pg.count_rows(url, DERIVED)
            server = pg.server_version(url)
        appends = {
            d + 1: runner.extend(home, f"append-day{d + 1}", 1),
            d + 2: runner.extend(home, f"append-day{d + 2}", 1),
        }
        with pg.attached_server(pgdata) as url:
            after = pg.count_rows(url, ACTIVITY)
            derived_after = pg.count_rows(url, DERIVED)
            manifest_a = pg.manifest(url, ACTIVITY)
    added = {t: after[t] - counts[t] for t in ACTIVITY}
    up1, b_appends, bulk, manifest_b = database_b(runner, series)
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
                bulk[2 * d] = runner.extend(home, f"extend-to-day{2 * d}", d)
                appends[2 * d + 1] = runner.extend(home, f"append-day{2 * d + 1}", 1)
            with pg.attached_server(pgdata) as url:
                manifest = pg.manifest(url, ACTIVITY)
        return up1, appends, bulk, manifest


def checks(size: Size, rep: Rep, series: bool) -> list[str]:
    """Problems found in one repetition's databases (empty when all is as expected)."""
    d = size.days
    out: list[str] = []
    for name, manifest, last in (
        ("A", rep.manifest_a, d + 2),
        ("B", rep.manifest_b, 2 * d + 1 if series else 2),
    ):
        days = sorted({day_number(key) for _, key in manifest})
        if days != list(range(1, last + 1)):
            out.append(f"database {name}: manifest days {days[:3]}…{days[-3:]}, not 1..{last}")
    want = {
        t: sum(rep.manifest_a.get((t, day_key(day)), (0, ""))[0] for day in (d + 1, d + 2))
        for t in ACTIVITY
    }
    if rep.added != want:
        out.append(f"appends added {rep.added} rows but the manifest says {want}")
    if SKIPS_JOBS:
        for command, rows in (("up", rep.derived), ("extend", rep.derived_after)):
            if filled := {t: n for t, n in rows.items() if n}:
                out.append(
                    f"`seed {command}` was given --skip-jobs but the derived tables hold rows "
                    "after it: " + ", ".join(f"{t} {n:,}" for t, n in filled.items())
                )
    shared = rep.manifest_a.keys() & rep.manifest_b.keys()
    differ = sorted(k for k in shared if rep.manifest_a[k] != rep.manifest_b[k])
    if differ:
        shown = ", ".join(f"{t} day {day_number(key)}" for t, key in differ[:6])
        out.append(
            f"{len(differ)} of {len(shared)} (table, day) partitions differ (rows or digest) "
            f"between `seed up --days {d}` and `seed up --days 1` + extends: {shown}"
            + (" …" if len(differ) > 6 else "")
        )
    return out


def figures(size: Size, rep: Rep) -> dict[str, float]:
    """One repetition's row of the table (NaN where the series did not run)."""
    d = size.days
    nan = math.nan
    rows = sum(rep.counts.values())
    d2 = rep.appends[2].seconds
    last = rep.appends.get(2 * d + 1)
    return {
        "up_s": rep.up.seconds,
        "rows": rows,
        "rps": stats.rate(rows, rep.up.seconds),
        "rss_mb": rep.up.peak_rss_mb,
        "a1_s": rep.appends[d + 1].seconds,
        "a2_s": rep.appends[d + 2].seconds,
        "d2_s": d2,
        "ratio": stats.ratio(rep.appends[d + 1].seconds, d2),
        "to_d_s": rep.bulk[d].seconds if d in rep.bulk else nan,
        "to_2d_s": rep.bulk[2 * d].seconds if 2 * d in rep.bulk else nan,
        "last_s": last.seconds if last else nan,
        "ratio_last": stats.ratio(last.seconds, d2) if last else nan,
    }


def columns(size: Size) -> list[Column]:
    d = size.days
    return [
        Column("up_s", "up s"),
        Column("rows", "rows", ",.0f"),
        Column("rps", "rows/s", ",.0f"),
        Column("rss_mb", "peak RSS MB", ",.0f"),
        Column("a1_s", f"day {d + 1} s"),
        Column("a2_s", f"day {d + 2} s"),
        Column("d2_s", "day 2 s"),
        Column("ratio", f"day {d + 1}/day 2", ".2f"),
        Column("to_d_s", f"+{d - 2} d s"),
        Column("to_2d_s", f"+{d} d s"),
        Column("last_s", f"day {2 * d + 1} s"),
        Column("ratio_last", f"day {2 * d + 1}/day 2", ".2f"),
    ]


def run_size(
    size: Size, args: argparse.Namespace, console: Console, log_dir: Path
) -> tuple[Section, list[Rep]]:
    started = time.perf_counter()
    reps: list[Rep] = []
    problems: list[str] = []
    plan = Plan()
    for i in range(1, args.repeat + 1):
        series = i <= args.series_repeat
        console.print(f"[bold]activity {size.label}[/] rep {i}/{args.repeat}", highlight=False)
        rep = one_rep(Runner(size, i, plan, log_dir, console), series)
        problems += [f"rep {i}: {p}" for p in checks(size, rep, series)]
        if reps and rep.counts != reps[0].counts:
            problems.append(f"rep {i}: rows per table {rep.counts} differ from rep 1's")
        reps.append(rep)
    rows = [figures(size, rep) for rep in reps]
    cols = columns(size)
    med = stats.medians(rows, [c.key for c in cols])
    section = Section(
        title=f"activity {size.label} × {args.repeat}",
        columns=cols,
        reps=rows,
        medians=med,
        targets=targets(size, med),
        notes=notes(size, reps, med, problems, plan, args, log_dir),
        server=reps[0].server,
    )
    section.elapsed_s = time.perf_counter() - started
    return section, reps


def targets(size: Size, med: dict[str, float]) -> list[Target]:
    d = size.days
    out: list[Target] = []
    if size.up_target_s is not None:
        out.append(
            Target(
                f"{size.name} end to end under {size.up_target_s:g} s",
                f"median {med['up_s']:.2f} s",
                med["up_s"] < size.up_target_s,
            )
        )
    if size.rss_target_gb is not None:
        limit = size.rss_target_gb * MB_PER_GB
        out.append(
            Target(
                f"{size.name} peak memory under {size.rss_target_gb:g} GB ({limit:,.0f} MB)",
                f"median peak RSS {med['rss_mb']:,.0f} MB",
                med["rss_mb"] < limit,
            )
        )
    if size.append_ratio_target is not None:
        out.append(
            Target(
                f"appending a day on day {d} within {size.append_ratio_target:g}x of appending "
                f"on day 1 ({size.name})",
                f"median ratio day {d + 1}/day 2 = {med['ratio']:.2f} "
                f"({med['a1_s']:.2f} s vs {med['d2_s']:.2f} s)",
                med["ratio"] <= size.append_ratio_target,
            )
        )
    return out


def notes(
    size: Size,
    reps: Sequence[Rep],
    med: dict[str, float],
    problems: list[str],
    plan: Plan,
    args: argparse.Namespace,
    log_dir: Path,
) -> list[str]:
    d = size.days
    n_series = min(args.series_repeat, args.repeat)
    appended = [2, d + 1, d + 2, *([2 * d + 1] if n_series else [])]
    day_rows = {day: stats.median(r.day_rows(day) for r in reps) for day in appended}
    day_rps = {
        day: stats.median(
            stats.rate(r.day_rows(day), r.appends[day].seconds) for r in reps if day in r.appends
        )
        for day in appended
    }
    counts = {t: stats.median(r.counts[t] for r in reps) for t in TABLES}
    derived = {t: stats.median(r.derived[t] for r in reps) for t in DERIVED}
    flags = "".join(f" {f}" for f in JOB_FLAGS)
    tiers = "catalog + identity + activity" + ("" if SKIPS_JOBS else " + derived tables")
    out = [
        f"up s is the whole `seed up --users {size.users} --days {d} --run-seed {RUN_SEED}"
        f"{flags}` subprocess in a fresh home: interpreter start, imports, initdb and start of "
        f"its embedded PostgreSQL, {tiers}, indexes/FKs/ANALYZE, server shutdown. rows and "
        f"rows/s count the {len(TABLES)} identity and activity tables (catalog excluded)."
        + (
            " `--skip-jobs` is given to every `seed up` and `seed extend` (the derived tier is "
            "benchmarked on its own); the derived tables are counted after each to check it."
            if SKIPS_JOBS
            else ""
        ),
        f"day {d + 1} s and day {d + 2} s: `seed extend --days 1{flags}` twice on that "
        f"database; day 2 s: the same on a second fresh database seeded with `seed up --days 1"
        f"{flags}` (its `seed up` took a median {stats.median(r.up1.seconds for r in reps):.2f}"
        " s). Every append wall is a whole CLI subprocess too (interpreter, Dagster import, "
        "start and stop of the server on the existing data, the day's activity and whatever "
        "derived tables `seed extend` recomputes), so it includes a fixed cost.",
        "activity rows appended (seed_manifest, median): "
        + ", ".join(f"day {day} {day_rows[day]:,.0f}" for day in appended)
        + "; append rows/s: "
        + ", ".join(f"day {day} {day_rps[day]:,.0f}" for day in appended)
        + ".",
        "rows per table after `seed up` (median): "
        + ", ".join(f"{t} {counts[t]:,.0f}" for t in TABLES)
        + (
            ""
            if SKIPS_JOBS
            else "; derived tables, which `seed up` also computes but are not in rows: "
            + ", ".join(f"{t} {derived[t]:,.0f}" for t in DERIVED)
        )
        + ".",
    ]
    if plan.fallback:
        out.append(f"WORKAROUND {plan.fallback}")
    if n_series:
        series = [r for r in reps if r.bulk]
        # wall of `seed extend --days k` = fixed + k × per day, from two extends of one database
        early = [(r.bulk[d].seconds - r.appends[2].seconds) / (d - 3) for r in series]
        late = [(r.bulk[2 * d].seconds - r.appends[2 * d + 1].seconds) / (d - 1) for r in series]
        fixed_early = [r.appends[2].seconds - c for r, c in zip(series, early, strict=True)]
        fixed_late = [r.appends[2 * d + 1].seconds - c for r, c in zip(series, late, strict=True)]
        out.append(
            f"series (+{d - 2} d, +{d} d, day {2 * d + 1}: `seed extend --days {d - 2}` to day "
            f"{d}, `--days {d}` to day {2 * d}, `--days 1` to day {2 * d + 1} on the 1-day "
            f"database) ran in the first {n_series} of {args.repeat} repetitions "
            f"(--series-repeat {args.series_repeat})"
            + (": its figures are single measurements, not medians." if n_series == 1 else ".")
            + " Taking a `seed extend --days k` wall as fixed cost + k × cost of a day, the "
            f"marginal cost of a day is (+{d - 2} d s − day 2 s)/{d - 3} = "
            f"{stats.median(early):.2f} s at days 3..{d} and (+{d} d s − day {2 * d + 1} s)/"
            f"{d - 1} = {stats.median(late):.2f} s at days {d + 1}..{2 * d}; the fixed cost of "
            f"one `seed extend` is then about {stats.median(fixed_early):.2f} s (day 2) and "
            f"{stats.median(fixed_late):.2f} s (day {2 * d + 1})."
        )
    else:
        out.append("the day-2D+1 series did not run (--series-repeat 0).")
    ext_rss = stats.median(
        max(run.peak_rss_mb for run in [*r.appends.values(), *r.bulk.values()]) for r in reps
    )
    out.append(f"largest peak RSS of a `seed extend` (median over repetitions): {ext_rss:,.0f} MB.")
    out += seedcli.rss_notes([r.up for r in reps])
    if problems:
        out += [f"CHECK FAILED {p}" for p in problems]
    else:
        out.append(
            f"checks passed in every repetition: the appends added exactly the manifest's rows "
            f"of days {d + 1} and {d + 2}; both databases hold every day from 1 to their last; "
            f"the days the two databases share (1..{d + 2 if n_series else 2}) have identical "
            "row counts and digests per table; rows per table equal across repetitions"
            + (
                "; the derived tables are empty after `seed up` and after the appends."
                if SKIPS_JOBS
                else "."
            )
        )
    out.append(f"CLI logs (git-ignored): {seedcli.shown(log_dir)}/")
    return out


def plot(results: Sequence[tuple[Size, Section, list[Rep]]]) -> Path:
    """Panel 1: wall of appending one day vs the day appended, per size; panel 2: rows per
    table of the largest size's `seed up`."""
    lines = []
    for size, _, reps in results:
        days = sorted({day for r in reps for day in r.appends})
        lines.append(
            figure.Line(
                label=size.label,
                walls={
                    day: [r.appends[day].seconds for r in reps if day in r.appends] for day in days
                },
                rows={day: stats.median(r.day_rows(day) for r in reps) for day in days},
            )
        )
    size, _, reps = max(results, key=lambda x: x[0].users * x[0].days)
    counts = {t: stats.median(r.counts[t] for r in reps) for t in TABLES}
    reference = None
    if size.append_ratio_target is not None:
        d2 = stats.median(r.appends[2].seconds for r in reps)
        reference = (
            size.append_ratio_target * d2,
            f"target: {size.append_ratio_target:g} × day 2 ({size.name})",
        )
    stamp = machine.utc_now()
    figure.activity(
        PLOT,
        title=f"seed-assets activity benchmark — {stamp:%Y-%m-%d %H:%M} UTC — commit "
        f"{machine.git_commit()} — {machine.machine().describe()}",
        lines=lines,
        reference=reference,
        bars_title=f"rows per table after `seed up`, {size.label} (median)",
        bars=counts,
        groups={**dict.fromkeys(IDENTITY, "identity"), **dict.fromkeys(ACTIVITY, "activity")},
    )
    return PLOT


def run(args: argparse.Namespace, console: Console, log_dir: Path) -> list[Section]:
    results = []
    for size in args.workloads:
        before = machine.source_stamp()
        section, reps = run_size(size, args, console, log_dir)
        if changed := machine.source_changes(before, machine.source_stamp()):
            warning = (
                "WARNING the project's code changed on disk while this workload ran, so its "
                "repetitions may have measured different code (each `seed` call imports what "
                f"is on disk when it starts): {', '.join(changed)}."
            )
            section.notes.insert(0, warning)
            console.print(f"[yellow]{warning}[/]", highlight=False)
        results.append((size, section, reps))
    path = plot(results)
    console.print(f"plot: {seedcli.shown(path)}")
    for _, section, _ in results:
        section.notes.append(
            f"plot: {seedcli.shown(path)} (wall of appending one day vs the day appended; rows "
            "per table of the largest workload)."
        )
    return [section for _, section, _ in results]


WORKLOAD = Workload(
    name="activity",
    help="seed up with 30 days of activity end to end (S, M), and the wall of appending a day "
    "on day 1 vs day 30 vs day 60 (seed extend)",
    add_arguments=add_arguments,
    run=run,
)
