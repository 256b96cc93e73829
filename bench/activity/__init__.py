"""``activity``: ``seed up`` with days of activity end to end, and the cost of appending a day.

For each size (S = 1,000 users × 30 days, M = 100,000 × 30, L = 1,000,000 × 7) and repetition,
in fresh temporary homes: database A (``seed up``, its rows loaded raw into a fresh database,
days D+1 and D+2 appended, ``seed audit``, one day damaged and ``seed repair``), database B
(``seed up --days 1``, day 2 appended, and in the first ``series_repeat`` repetitions the
series to day 2D), and on the sizes asked the peer seed script. The manifests of A and B must
agree on the days both hold. docs/benchmarks.md says what each figure means.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

from bench.activity import figures
from bench.activity.measure import Runner, one_rep
from bench.activity.sizes import Size
from bench.report import Section


def run_size(
    size: Size, repeat: int, series_repeat: int, peer: bool, console: Console, log_dir: Path
) -> list[Section]:
    """The size's section, then the peer comparison's when the peer ran."""
    reps, problems = [], []
    for i in range(1, repeat + 1):
        series = i <= series_repeat
        console.print(f"[bold]activity {size.label}[/] rep {i}/{repeat}", highlight=False)
        rep = one_rep(Runner(size, i, log_dir, console), series, peer)
        problems += [f"rep {i}: {p}" for p in figures.checks(size, rep, series)]
        if reps and rep.a.counts != reps[0].a.counts:
            problems.append(f"rep {i}: rows per table {rep.a.counts} differ from rep 1's")
        if not rep.a.up.saw_server:
            problems.append(f"rep {i}: the RSS sampler never found the CLI's postmaster")
        reps.append(rep)
    meta = {"server": reps[0].a.server, "size": size.name}
    section = Section(
        f"activity {size.label} × {repeat}",
        figures.columns(size),
        [figures.figures(size, rep) for rep in reps],
        notes=[f"CHECK FAILED {p}" for p in problems],
        meta=meta,
        data=[figures.data(size, rep) for rep in reps],
    )
    section.targets = figures.targets(size, section.medians)
    if not peer:
        return [section]
    compared = Section(
        f"peer {size.label} × {repeat}: seed-assets vs a typical seed script",
        figures.peer_columns(),
        [figures.peer_figures(rep) for rep in reps],
        meta=meta,
    )
    compared.targets = figures.peer_targets(size, compared.medians)
    return [section, compared]


def run(
    sizes: Sequence[Size],
    repeat: int,
    series_repeat: int,
    peer: Sequence[Size],
    console: Console,
    log_dir: Path,
) -> list[Section]:
    return [
        section
        for size in sizes
        for section in run_size(size, repeat, series_repeat, size in peer, console, log_dir)
    ]
