"""``python -m bench <workload> [--repeat N] [--record]``; without a workload: all, recorded.

Prints each workload's table (medians of ``--repeat`` repetitions, same-run ratios) to stdout,
progress to stderr, and with ``--record`` appends a section per workload to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

from bench import activity, derived, identity, machine, report
from bench.workload import Workload, positive_int

WORKLOADS: dict[str, Workload] = {
    w.name: w for w in (identity.WORKLOAD, activity.WORKLOAD, derived.WORKLOAD)
}
OUT = Path(__file__).resolve().parent / "out"  # git-ignored: logs of the subprocesses


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmarks of seed-assets. Without a workload: run all, with --record.",
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--repeat", type=positive_int, default=3, help="repetitions; figures are medians (3)"
    )
    common.add_argument("--record", action="store_true", help="append to bench/RESULTS.md")
    sub = top.add_subparsers(dest="workload", metavar="WORKLOAD")
    for workload in WORKLOADS.values():
        workload.add_arguments(
            sub.add_parser(
                workload.name, parents=[common], help=workload.help, description=workload.help
            )
        )
    return top


def run_one(args: argparse.Namespace, stdout: Console, progress: Console) -> list[str]:
    """Run one workload; print its table(s); return their Markdown sections when recording."""
    workload = WORKLOADS[args.workload]
    stamp = machine.utc_now()
    commit = machine.git_commit()  # what is measured: the checkout as the run starts
    log_dir = OUT / f"{stamp:%Y%m%dT%H%M%SZ}-{workload.name}"
    result = workload.run(args, progress, log_dir)
    sections = [result] if isinstance(result, report.Section) else list(result)
    for section in sections:
        report.render(section, stdout)
    if not args.record:
        return []
    context = {
        "when": f"{stamp:%Y-%m-%d %H:%M} UTC",
        "machine": machine.machine(),
        "commit": commit,
        "command": machine.command_line(),
    }
    return [report.markdown(section, **context) for section in sections]


def main(argv: Sequence[str] | None = None) -> int:
    started = time.perf_counter()
    top = parser()
    args = top.parse_args(argv)
    if args.workload is None:
        runs = [top.parse_args([name, "--record"]) for name in WORKLOADS]
    else:
        runs = [args]
    stdout = Console(width=None if sys.stdout.isatty() else 160)
    progress = Console(stderr=True)
    recorded = [md for a in runs for md in run_one(a, stdout, progress)]
    if recorded:
        report.append(recorded)
        stdout.print(f"recorded in {report.RESULTS}")
    stdout.print(f"benchmark took {time.perf_counter() - started:,.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
