"""The real ``seed`` console script as a measured subprocess, in an isolated home.

What is measured is the whole subprocess as a user runs it: interpreter start, imports (Dagster),
``initdb`` and start of the embedded PostgreSQL, the seeding itself, and the server's shutdown at
exit. Its output is kept in a log file and never parsed; a call given ``--json`` writes its
summary (rows and seconds per table and phase) to stdout, which is kept apart and read.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bench.machine import PROJECT
from bench.pg import stop_strays
from bench.rss import TreeRssSampler
from bench.stats import median

DEFAULT_TIMEOUT_S = 3600.0


@dataclasses.dataclass(frozen=True)
class CliRun:
    """Wall seconds and peak summed RSS (CLI + descendants + its PostgreSQL) of one invocation."""

    argv: list[str]
    seconds: float
    returncode: int
    peak_rss_mb: float
    samples: int
    max_processes: int
    saw_server: bool
    sampler_cpu_s: float
    log: Path
    summary: dict[str, Any] | None = None  # the CLI's --json summary, when it was asked for


def seed_executable() -> str:
    """The ``seed`` script next to the running interpreter (the project's venv), else on PATH."""
    beside = Path(sys.executable).with_name("seed")
    if beside.exists():
        return str(beside)
    found = shutil.which("seed")
    if not found:
        raise FileNotFoundError("no `seed` console script next to the interpreter or on PATH")
    return found


def isolated_env(home: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The current environment minus DATABASE_URL and every SEED_* variable, with fresh homes.

    SEED_HOME=<home>/seed (so the CLI starts its own embedded server in <home>/seed/pgdata) and
    DAGSTER_HOME=<home>/dagster. Stray SEED_* settings (shard size, calibration, ...) would
    make the CLI seed something other than what the benchmark generates in-process. SEED_CACHE
    (where the cluster template is kept) is passed on: it changes no data.
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if k != "DATABASE_URL" and (not k.startswith("SEED_") or k == "SEED_CACHE")
    }
    env["SEED_HOME"] = str(home / "seed")
    env["DAGSTER_HOME"] = str(home / "dagster")
    env.update(extra or {})
    return env


def run_cli(
    args: Sequence[str],
    home: Path,
    log: Path,
    timeout: float = DEFAULT_TIMEOUT_S,
) -> CliRun:
    """Run ``seed <args>`` in ``home`` (cwd and homes), timing it and sampling its memory.

    The embedded server's data dir is ``<home>/seed/pgdata``; the server stops when the CLI
    exits. On timeout the CLI is killed (by its pid) and so is any server it left.
    """
    home = home.resolve()
    pgdata = home / "seed" / "pgdata"
    argv = [seed_executable(), *args]
    log.parent.mkdir(parents=True, exist_ok=True)
    summary_path = log.with_suffix(".json")
    as_json = "--json" in args
    with (
        log.open("wb") as out,
        summary_path.open("wb") if as_json else contextlib.nullcontext(out) as stdout,
    ):
        out.write(f"$ {' '.join(argv)}\n".encode())
        out.flush()
        started = time.perf_counter()
        proc = subprocess.Popen(
            argv,
            cwd=home,
            env=isolated_env(home, {"COLUMNS": "120"}),  # readable logs; rich only
            stdout=stdout,
            stderr=out if as_json else subprocess.STDOUT,
        )
        with TreeRssSampler(proc.pid, pgdata) as sampler:
            try:
                returncode = proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                stop_strays(pgdata)
                raise
            seconds = time.perf_counter() - started
    return CliRun(
        argv=argv,
        seconds=seconds,
        returncode=returncode,
        peak_rss_mb=sampler.peak_mb,
        samples=sampler.samples,
        max_processes=sampler.max_processes,
        saw_server=sampler.saw_server,
        sampler_cpu_s=sampler.cpu_seconds,
        log=log,
        summary=_summary(summary_path) if as_json and returncode == 0 else None,
    )


def _summary(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def rss_notes(runs: Sequence[CliRun]) -> list[str]:
    """How the peak RSS figures were sampled, and a warning if a server was never seen."""
    samples = median(r.samples for r in runs)
    overhead = median(r.sampler_cpu_s for r in runs)
    out = [
        f"peak RSS: CLI + descendants + its postmaster and backends, sampled every 50 ms "
        f"(median {samples:.0f} samples, up to {max(r.max_processes for r in runs)} processes "
        f"at once; the sampler itself used a median {overhead:.2f} s of CPU per run)."
    ]
    if not all(r.saw_server for r in runs):
        out.append("WARNING: the embedded postmaster was not found in every repetition.")
    return out


def shown(path: Path) -> Path:
    """``path`` relative to the project when it is inside it."""
    try:
        return path.relative_to(PROJECT)
    except ValueError:
        return path
