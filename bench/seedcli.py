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
import math
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bench.pg import stop_strays
from bench.rss import TreeRssSampler

DEFAULT_TIMEOUT_S = 3600.0


@dataclasses.dataclass(frozen=True)
class CliRun:
    """Wall seconds and peak summed RSS (CLI + descendants + its PostgreSQL) of one invocation."""

    seconds: float
    returncode: int
    peak_rss_mb: float
    saw_server: bool  # whether the sampler ever found the CLI's postmaster
    log: Path
    summary: dict[str, Any] | None = None  # the CLI's --json summary, when it was asked for

    def checked(self) -> CliRun:
        """This run, or a RuntimeError naming its log when it exited non-zero."""
        if self.returncode != 0:
            raise RuntimeError(f"a seed command exited with {self.returncode}; see {self.log}")
        return self


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
        seconds=seconds,
        returncode=returncode,
        peak_rss_mb=sampler.peak_mb,
        saw_server=sampler.saw_server,
        log=log,
        summary=json.loads(summary_path.read_text()) if as_json and returncode == 0 else None,
    )


def split(summary: dict[str, Any] | None, wall_s: float) -> dict[str, float]:
    """Where the wall of one ``seed up --json`` went, from its summary (NaNs without one).

    ``generate_s``: generation on the asset steps' threads; ``load_s``: load transactions on the
    writers' connections (they overlap generation, so the two may add up to more than
    ``steps_s``, the asset steps' walls); ``index_s``: indexes, foreign keys and ANALYZE after
    the bare load; ``orchestration_s``: the rest (interpreter start, imports, the embedded
    server's start and stop, Dagster's runs and event log).
    """
    if not summary:
        return dict.fromkeys(
            ("generate_s", "load_s", "steps_s", "index_s", "orchestration_s"), math.nan
        )
    steps: dict[str, tuple[float, float]] = {}
    for name, t in summary["tables"].items():
        # A step's tables report its wall and generation until each was done: the last one's
        # are the step's.
        step = t.get("step") or name
        seen = steps.get(step, (0.0, 0.0))
        steps[step] = (max(seen[0], t["seconds"]), max(seen[1], t["generate_seconds"]))
    steps_s = sum(s for s, _ in steps.values())
    index_s = sum(summary["phases"].values())
    return {
        "generate_s": sum(g for _, g in steps.values()),
        "load_s": sum(t["write_seconds"] for t in summary["tables"].values()),
        "steps_s": steps_s,
        "index_s": index_s,
        "orchestration_s": wall_s - steps_s - index_s,
    }
