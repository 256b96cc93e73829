"""``activity``: ``seed up`` with days of activity end to end, and the cost of appending a day.

Workloads (``--workloads``, default ``S,M``): S = 1,000 users × 30 days, M = 100,000 × 30,
L = 1,000,000 × 7 (only on demand). For each workload and each repetition, in fresh temporary
homes (no DATABASE_URL: every CLI call starts the embedded PostgreSQL of its home and stops it
at exit):

1. Database A: ``seed up --users N --days D --run-seed bench --json`` as a subprocess: wall
   seconds and peak summed RSS of the CLI, its descendants and its PostgreSQL, and from its JSON
   summary the split of that wall into generation, loading, indexes and orchestration. Its
   server is then started again on the data and the identity and activity tables are counted
   (``SELECT count(*)``); those are the rows of the run. The limit: exactly those tables dumped
   and bulk-loaded raw into a fresh database of the same server (``limits``). Then ``seed extend
   --days 1`` twice (days D+1 and D+2), each timed the same way; afterwards the activity tables
   are counted again and ``seed_manifest`` read, to check that the two appends added exactly the
   rows of those two days. Then ``seed audit`` (timed), and ``seed repair`` (timed) after
   deleting a fifth of one day's likes.
2. Database B (A deleted first): ``seed up --users N --days 1``, then ``seed extend --days 1``
   (day 2), timed: appending a day on day 1, against appending day D+1 on A in the same
   repetition (the ratio). In the first ``--series-repeat`` repetitions (default 1) the series
   goes on: ``seed extend --days D-2`` (days 3..D), ``--days D-1`` (to day 2D-1), then
   ``--days 1`` (day 2D, timed): the time to append one day on top of 1, D, D+1 and 2D-1 days.
3. The peer (``--peer``, default S only), on a third fresh server: ``bench/peer.py``, a typical
   seed script (Faker per row, SQLAlchemy executemany in batches of 1,000), fills users,
   profiles, profile_media, user_interests and as many likes as A's ``seed up`` made; its own
   section compares rows per second by table group with A's (``versus``).

The manifests of A and B (per activity table and day: row count and digest) are compared on the
days both hold: seeding D days at once and seeding 1 day then extending must give the same rows.
Day k is the start date + (k - 1) days (``SeedParams``' default start date: the CLI is given none).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from rich.console import Console

from bench import machine, seedcli, stats
from bench.activity import plot as plots  # (not `plot`: the submodules stay attributes)
from bench.activity import sizes as sizing
from bench.activity import versus
from bench.activity.notes import notes
from bench.activity.reps import Plan, Rep, Runner, one_rep
from bench.activity.section import checks, columns, figures, targets
from bench.activity.sizes import DEFAULT_PEER, DEFAULT_SIZES, Size, peer_sizes
from bench.report import Section
from bench.workload import Workload, non_negative_int


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--workloads",
        type=sizing.sizes,
        default=sizing.sizes(DEFAULT_SIZES),
        metavar="S,M",
        help="comma-separated: S = 1,000 users × 30 days, M = 100,000 × 30, "
        f"L = 1,000,000 × 7 (default {DEFAULT_SIZES})",
    )
    parser.add_argument(
        "--series-repeat",
        type=non_negative_int,
        default=1,
        help="repetitions (the first ones) that also append up to day 2D on the 1-day "
        "database; its figures are medians of these only (default 1: single measurements)",
    )
    parser.add_argument(
        "--peer",
        type=peer_sizes,
        default=peer_sizes(DEFAULT_PEER),
        metavar="S",
        help="workloads on which each repetition also runs the peer, a typical Faker + "
        f"SQLAlchemy executemany seed script (bench/peer.py), or 'none' (default {DEFAULT_PEER})",
    )


def run_size(
    size: Size, args: argparse.Namespace, console: Console, log_dir: Path
) -> tuple[list[Section], list[Rep]]:
    """The size's section, then the peer comparison's when the peer ran."""
    started = time.perf_counter()
    reps: list[Rep] = []
    problems: list[str] = []
    plan = Plan()
    for i in range(1, args.repeat + 1):
        series = i <= args.series_repeat
        console.print(f"[bold]activity {size.label}[/] rep {i}/{args.repeat}", highlight=False)
        rep = one_rep(Runner(size, i, plan, log_dir, console), series, size in args.peer)
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
    peer_s = sum(r.peer.total_s for r in reps if r.peer is not None)
    section.elapsed_s = time.perf_counter() - started - peer_s
    if not peer_s:
        return [section], reps
    compared = versus.section(size, reps, log_dir)
    compared.elapsed_s = peer_s
    return [section, compared], reps


def run(args: argparse.Namespace, console: Console, log_dir: Path) -> list[Section]:
    results = []
    out: list[Section] = []
    for size in args.workloads:
        before = machine.source_stamp()
        sections, reps = run_size(size, args, console, log_dir)
        if changed := machine.source_changes(before, machine.source_stamp()):
            warning = (
                "WARNING the project's code changed on disk while this workload ran, so its "
                "repetitions may have measured different code (each `seed` call imports what "
                f"is on disk when it starts): {', '.join(changed)}."
            )
            for section in sections:
                section.notes.insert(0, warning)
            console.print(f"[yellow]{warning}[/]", highlight=False)
        results.append((size, sections[0], reps))
        out += sections
    appends, by_table = seedcli.shown(plots.plot(results)), seedcli.shown(plots.rates(results))
    console.print(f"plots: {appends}, {by_table}")
    for section in out:
        section.notes.append(
            f"plots: {appends} (wall of appending one day vs the day appended; rows per table of "
            f"the largest workload) and {by_table} (rows per second by table, each workload and "
            "the peer)."
        )
    return out


WORKLOAD = Workload(
    name="activity",
    help="seed up with 30 days of activity end to end (S, M), the wall of appending a day "
    "on day 1 vs day 30 vs day 60 (seed extend), and rows/s against a typical seed script (S)",
    add_arguments=add_arguments,
    run=run,
)
