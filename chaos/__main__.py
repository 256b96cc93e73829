"""``python -m chaos run``: every scenario of the chaos suite; ``python -m chaos render``: the
figures of a results file into docs/operations.md."""

from __future__ import annotations

import atexit
import datetime as dt
import json
import os
import platform
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import click

from chaos import report
from chaos.harness import Interrupted, Lab
from chaos.scenarios import Result, run_all

ROOT = Path(__file__).resolve().parent.parent


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """The chaos suite: `seed` killed, raced, refused and fed bad input, against references."""


@main.command()
@click.option("--trials", default=20, show_default=True, help="kill -9 trials per command.")
@click.option("--concurrent", default=10, show_default=True, help="Concurrent-extend trials.")
@click.option("--pairs", default=3, show_default=True, help="Two-`seed up` trials per mode.")
@click.option(
    "--others",
    default=5,
    show_default=True,
    help="Trials of the embedded kill, repair beside extend and the killed backend.",
)
@click.option("--seed", default=13, show_default=True, help="Seed of the kill moments.")
@click.option("--only", default="", help="Comma-separated scenario names (default: all).")
@click.option(
    "--out",
    default=str(ROOT / "chaos" / "results.json"),
    show_default=True,
    help="The JSON results file.",
)
@click.option("--docs", default="", help="Also write the figures into this Markdown file.")
@click.option("--keep", is_flag=True, help="Keep the working directory (for inspection).")
def run(
    trials: int,
    concurrent: int,
    pairs: int,
    others: int,
    seed: int,
    only: str,
    out: str,
    docs: str,
    keep: bool,
) -> None:
    """Start an embedded PostgreSQL in a temporary directory and run every scenario."""
    started = time.perf_counter()
    work, lab = _start_lab(seed, keep)
    try:
        results = run_all(
            lab,
            kill_trials=trials,
            concurrent_trials=concurrent,
            up_pairs=pairs,
            other_trials=others,
            only={s.strip() for s in only.split(",") if s.strip()} or None,
            progress=_progress,
        )
    except Interrupted:
        raise SystemExit(130) from None
    finally:
        if not keep:
            shutil.rmtree(work / "lab", ignore_errors=True)
        else:
            click.echo(f"kept: {work}", err=True)
    options = {"trials": trials, "concurrent": concurrent, "pairs": pairs, "others": others}
    data = _figures(seed, options, started, results)
    Path(out).write_text(json.dumps(data, indent=1, default=str) + "\n")
    click.echo(report.table(data["results"]))
    if docs:
        report.render_docs(data, Path(docs))
    failed = sum(len(r.failures) for r in results)
    if failed:
        raise SystemExit(1)


def _start_lab(seed: int, keep: bool) -> tuple[Path, Lab]:
    """A temporary directory with an embedded server, and the lab on it; Ctrl-C interrupts it."""
    os.environ.pop("DATABASE_URL", None)
    work = Path(tempfile.mkdtemp(prefix="seed-chaos-"))
    os.chmod(work, 0o755)  # the embedded server's user (when run as root) reaches its sockets
    cache = work / "cache"
    os.environ["SEED_CACHE"] = str(cache)
    from seed_assets import database

    if not keep:  # registered first, so it runs after the embedded server has stopped
        atexit.register(shutil.rmtree, work, ignore_errors=True)
    url = database.embedded_url(work / "pgdata")
    lab = Lab(url, work / "lab", seed, cache)

    def stop(signum: int, frame: object) -> None:
        click.echo("interrupted: ending the running commands", err=True)
        lab.interrupt()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    return work, lab


def _progress(r: Result) -> None:
    mark = "ok " if not r.failures and not r.skipped else "SKIP" if r.skipped else "FAIL"
    click.echo(f"{mark} {r.title}: {r.passed}/{r.trials} in {r.seconds:.0f} s", err=True)


def _figures(
    seed: int, options: dict[str, int], started: float, results: list[Result]
) -> dict[str, Any]:
    """The results file: the run (seed, revision, date, machine, duration) and every result."""
    revision = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    )
    return {
        "seed": seed,
        "revision": revision.stdout.strip() if revision.returncode == 0 else "",
        "when": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),  # noqa: TID251 - the report's date
        "machine": f"{os.cpu_count()} cores, {platform.system()} {platform.machine()}",
        "seconds": round(time.perf_counter() - started, 1),
        "options": options,
        "results": [r.as_dict() for r in results],
    }


@main.command()
@click.option("--from", "source", default=str(ROOT / "chaos" / "results.json"), show_default=True)
@click.option("--docs", default=str(ROOT / "docs" / "operations.md"), show_default=True)
def render(source: str, docs: str) -> None:
    """Write the figures of a results file into the docs, between the chaos markers."""
    report.render_docs(report.load(Path(source)), Path(docs))


if __name__ == "__main__":
    main()
