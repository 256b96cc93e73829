"""``python -m bench [identity|activity|derived|render] ...``; without a command: all, recorded.

Each workload prints its table(s) (medians of ``--repeat`` repetitions, same-run ratios) to
stdout and progress to stderr, and writes its sections as JSON: with ``--record`` to
``bench/results/``, then RESULTS.md and the plots are rendered from every recorded file; without,
under the git-ignored ``bench/out/``.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import click
import psutil
from rich.console import Console

from bench import activity, derived, identity, plots, report
from bench.activity.sizes import DEFAULT_PEER, DEFAULT_SIZES, SIZES, Size

PROJECT = Path(__file__).resolve().parent.parent
OUT = PROJECT / "bench" / "out"  # git-ignored: logs of the subprocesses, unrecorded results
Run = Callable[[Console, Path], list[report.Section]]


def machine() -> str:
    """nproc (CPUs this process may run on), the CPU model and the total memory."""
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    for line in cpuinfo.read_text().splitlines() if cpuinfo.exists() else []:
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    memory = psutil.virtual_memory().total / 2**30
    return f"{len(os.sched_getaffinity(0))} CPUs (nproc), {model}, {memory:.1f} GiB RAM"


def git_commit() -> str:
    """``git rev-parse --short HEAD`` of the project: what is measured, as the run starts."""
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT, capture_output=True, text=True
    )
    return done.stdout.strip() or "unknown"


def measure(name: str, record: bool, run: Run) -> None:
    """Run one workload; show its sections; write them as JSON (and render, when recording)."""
    stamp = datetime.now(UTC)  # noqa: TID251  # benchmarks may read the clock; generators never do
    meta = {
        "when": f"{stamp:%Y-%m-%d %H:%M} UTC",
        "machine": machine(),
        "commit": git_commit(),
        "command": f"cd {shlex.quote(str(Path.cwd()))} && "
        + shlex.join([os.path.relpath(sys.executable), "-m", "bench", *sys.argv[1:]]),
    }
    log_dir = OUT / f"{stamp:%Y%m%dT%H%M%SZ}-{name}"
    started = time.perf_counter()
    sections = run(Console(stderr=True), log_dir)
    meta["elapsed"] = f"{time.perf_counter() - started:,.0f} s"
    stdout = Console(width=None if sys.stdout.isatty() else 160)
    for section in sections:
        section.meta = meta | section.meta
        report.show(section, stdout)
    paths = report.record(
        sections, f"{stamp:%Y%m%dT%H%MZ}", report.RECORDED if record else log_dir / "results"
    )
    stdout.print(f"results: {', '.join(str(p.relative_to(PROJECT)) for p in paths)}")
    if record:
        render_all(stdout)


def render_all(stdout: Console) -> None:
    sections = report.recorded()
    report.render(sections)
    images = plots.render(sections)
    stdout.print(f"rendered {report.RESULTS.relative_to(PROJECT)}", *images)


def _sizes(text: str, option: str, allow_none: bool = False) -> list[Size]:
    if allow_none and text.strip().lower() == "none":
        return []
    names = [n.strip().upper() for n in text.split(",") if n.strip()]
    if not names or any(n not in SIZES for n in names):
        subset = f"a comma-separated subset of {','.join(SIZES)}"
        raise click.BadParameter(f"{subset}, got {text!r}", param_hint=option)
    return [SIZES[n] for n in dict.fromkeys(names)]


repeat = click.option(
    "--repeat", type=click.IntRange(min=1), default=3, show_default=True, help="repetitions"
)
record = click.option("--record", is_flag=True, help="record in bench/results/ and render")


@click.group(invoke_without_command=True)
@click.pass_context
def main(ctx: click.Context) -> None:
    """Benchmarks of seed-assets (docs/benchmarks.md). Without a command: all, recorded."""
    if ctx.invoked_subcommand is None:
        for command in (identity_cmd, activity_cmd, derived_cmd):
            ctx.invoke(command, record=True)


@main.command("identity")
@click.option("--users", type=click.IntRange(min=1), default=100_000, show_default=True)
@repeat
@record
def identity_cmd(users: int, repeat: int, record: bool) -> None:
    """seed up (catalog + identity) end to end vs a raw binary-COPY load of the same frames."""
    measure("identity", record, lambda c, log: identity.run(users, repeat, c, log))


@main.command("activity")
@click.option(
    "--workloads",
    default=DEFAULT_SIZES,
    show_default=True,
    help="S = 1,000 users × 30 days, M = 100,000 × 30, L = 1,000,000 × 7",
)
@click.option(
    "--series-repeat",
    type=click.IntRange(min=0),
    default=1,
    show_default=True,
    help="repetitions (the first ones) that also append up to day 2D",
)
@click.option(
    "--peer",
    default=DEFAULT_PEER,
    show_default=True,
    help="workloads that also run the peer seed script (bench/peer.py), or 'none'",
)
@repeat
@record
def activity_cmd(workloads: str, series_repeat: int, peer: str, repeat: int, record: bool) -> None:
    """seed up with days of activity end to end, appending a day, audit, repair, the peer."""
    sizes = _sizes(workloads, "--workloads")
    peers = _sizes(peer, "--peer", allow_none=True)
    measure(
        "activity", record, lambda c, log: activity.run(sizes, repeat, series_repeat, peers, c, log)
    )


@main.command("derived")
@click.option("--days", type=click.IntRange(min=1), default=derived.DAYS, show_default=True)
@repeat
@record
def derived_cmd(days: int, repeat: int, record: bool) -> None:
    """The derived tier (seed jobs) at three population sizes."""
    measure("derived", record, lambda c, log: derived.run(days, repeat, c, log))


@main.command("render")
def render_cmd() -> None:
    """Render bench/RESULTS.md and the plots from the recorded JSON."""
    render_all(Console())


if __name__ == "__main__":
    main()
