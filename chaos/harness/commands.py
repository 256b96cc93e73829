"""The `seed` arguments of the suite, and one `seed` subprocess: started, waited for or killed."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

SEED = str(Path(sys.executable).with_name("seed"))
RUN_SEED = "chaos"
SHARD_SIZE = 100
POPULATION = ["--users", "300", "--shard-size", str(SHARD_SIZE), "--run-seed", RUN_SEED]
START = ["--start-date", "2024-01-01"]
UP = ["up", *POPULATION, *START, "--days", "5"]


class Interrupted(BaseException):
    """Ctrl-C: the run stops (a BaseException, so no scenario takes it for a failure)."""


@dataclasses.dataclass
class Outcome:
    """One `seed` subprocess: how it ended and what it printed."""

    args: list[str]
    code: int | None
    stdout: str
    stderr: str
    seconds: float
    killed: bool = False
    killed_at: float | None = None

    @property
    def error_lines(self) -> list[str]:
        """stderr from its first ``error:`` line on (progress and announcements come before)."""
        lines = [line for line in self.stderr.splitlines() if line.strip()]
        for i, line in enumerate(lines):
            if line.lstrip().startswith("error:"):
                return lines[i:]
        return lines

    def one_line(self) -> bool:
        """One error line on stderr (after whatever progress came before), no traceback."""
        return len(self.error_lines) == 1 and "Traceback" not in self.stdout + self.stderr

    def brief(self) -> str:
        tail = " | ".join(self.error_lines[-3:])[:400]
        text = f"seed {' '.join(self.args)[:120]} -> {self.code} ({self.seconds:.1f} s): {tail}"
        if self.code in (6, 7):  # the gaps (or metrics) are on stdout
            lines = [" ".join(line.split()) for line in self.stdout.splitlines() if line.strip()]
            text += " || stdout: " + " | ".join(lines[-12:])[:1200]
        return text


@dataclasses.dataclass
class Running:
    args: list[str]
    proc: subprocess.Popen
    out: Path
    err: Path
    started: float


def spawn(args: list[str], env: dict[str, str], base: Path, cwd: Path) -> Running:
    """Start `seed` in its own session, its output into ``base``.out and ``base``.err."""
    out, err = base.with_suffix(".out"), base.with_suffix(".err")
    with out.open("wb") as o, err.open("wb") as e:
        proc = subprocess.Popen(
            [SEED, *args],
            env=env,
            stdout=o,
            stderr=e,
            stdin=subprocess.DEVNULL,
            cwd=cwd,
            start_new_session=True,
        )
    return Running(args, proc, out, err, time.perf_counter())


def wait(run: Running, timeout: float, kill_after: float | None) -> float | None:
    """Wait for a run (kill -9 of it ``kill_after`` seconds in); when it was killed, or None."""
    killed_at = None
    if kill_after is not None:
        try:
            run.proc.wait(timeout=max(0.0, kill_after - (time.perf_counter() - run.started)))
        except subprocess.TimeoutExpired:
            killed_at = time.perf_counter() - run.started
            os.kill(run.proc.pid, signal.SIGKILL)  # kill -9 of the `seed` process alone
    try:
        run.proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(run.proc.pid, signal.SIGKILL)
        run.proc.wait()
    if killed_at is not None:  # what it started in its own process group (not postgres)
        time.sleep(0.2)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(run.proc.pid, signal.SIGKILL)
    return killed_at


def collect(run: Running, killed_at: float | None) -> Outcome:
    """The outcome of a finished run; its output files are removed."""
    seconds = time.perf_counter() - run.started
    outcome = Outcome(
        run.args,
        None if killed_at is not None else run.proc.returncode,
        run.out.read_text(errors="replace"),
        run.err.read_text(errors="replace"),
        seconds,
        killed=killed_at is not None,
        killed_at=killed_at,
    )
    run.out.unlink()
    run.err.unlink()
    return outcome
