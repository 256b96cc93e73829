"""What a recorded result ran on: machine, code version, time and command line."""

from __future__ import annotations

import dataclasses
import os
import shlex
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import psutil

PROJECT = Path(__file__).resolve().parent.parent


@dataclasses.dataclass(frozen=True)
class Machine:
    cpus: int
    cpu_model: str
    memory_gib: float

    def describe(self) -> str:
        return f"{self.cpus} CPUs (nproc), {self.cpu_model}, {self.memory_gib:.1f} GiB RAM"


def machine() -> Machine:
    """nproc (CPUs this process may run on), the CPU model and the total memory."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cpus = os.cpu_count() or 0
    return Machine(cpus, cpu_model(), psutil.virtual_memory().total / 2**30)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def git_commit() -> str:
    """``git rev-parse --short HEAD`` of the project, or "unknown"."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=PROJECT,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() or "unknown"


def utc_now() -> datetime:
    """When a result was recorded (benchmarks may read the clock; generators never do)."""
    return datetime.now(UTC)  # noqa: TID251


def command_line() -> str:
    """The invocation as typed from the project directory: ``<python> -m bench <args>``."""
    python = Path(sys.executable)
    try:
        shown = str(python.relative_to(Path.cwd()))
    except ValueError:
        shown = str(python)
    return (
        f"cd {shlex.quote(str(Path.cwd()))} && {shlex.join([shown, '-m', 'bench', *sys.argv[1:]])}"
    )


SOURCE_DIRS = ("seed_assets", "jobs")


def source_stamp(dirs: tuple[str, ...] = SOURCE_DIRS) -> dict[str, int]:
    """Modification time (ns) of every ``*.py`` of the project's code, relative path -> mtime.

    Taken before and after a benchmark to tell whether the code it measured changed under it
    (each ``seed`` subprocess imports whatever is on disk when it starts).
    """
    out: dict[str, int] = {}
    for name in dirs:
        for path in sorted((PROJECT / name).rglob("*.py")):
            try:
                out[str(path.relative_to(PROJECT))] = path.stat().st_mtime_ns
            except OSError:
                continue
    return out


def source_changes(before: dict[str, int], after: dict[str, int]) -> list[str]:
    """Files added, removed or modified between two :func:`source_stamp` s, with UTC times."""
    out = []
    for path in sorted(before.keys() | after.keys()):
        if path not in after:
            out.append(f"{path} (removed)")
        elif before.get(path) != after[path]:
            when = datetime.fromtimestamp(after[path] / 1e9, UTC)
            out.append(f"{path} ({'added' if path not in before else 'modified'} {when:%H:%M:%S})")
    return out
