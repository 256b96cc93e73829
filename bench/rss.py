"""Peak resident memory of a process tree plus the PostgreSQL server it starts (Linux).

The embedded PostgreSQL is started through ``pg_ctl start``, which daemonises the postmaster: once
``pg_ctl`` exits the server is no longer a descendant of the process that asked for it. So the
sampler follows two kinds of roots: the measured process, and every ``postgres`` process whose
command line names the repetition's data directory (the postmaster, ``-D <pgdata>``); each with
all its descendants (backends, checkpointer, I/O workers, ...). Every tick sums their RSS.

Summed RSS counts shared memory (PostgreSQL's ``shared_buffers``, shared libraries) once per
process that has touched it, so it is an upper bound of the memory the tree really occupies.

Cost matters on a two-core machine: building the tree with psutil (``process_iter`` or
``children(recursive=True)`` per root) costs 6-10 ms of CPU per tick, a fifth of a core at 20
ticks a second. So each tick reads every ``/proc/<pid>/stat`` once for the parent pids, then
``/proc/<pid>/statm`` of the tree's processes (exactly what psutil's ``memory_info().rss``
reads; ~2 ms a tick in all), and uses psutil only to confirm a postmaster's command line: the
pid in ``<pgdata>/postmaster.pid`` every tick, and a ``process_iter`` scan for ``postgres``
processes about once a second. The sampling thread runs at nice 19, so on a saturated machine
it waits for an idle core rather than taking one from the measured processes (its ticks may
then come late; the count of samples is reported).
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from pathlib import Path
from types import TracebackType

import psutil

DEFAULT_INTERVAL_S = 0.05
FULL_SCAN_S = 1.0
PAGE = os.sysconf("SC_PAGE_SIZE")


def parents() -> dict[int, int]:
    """pid -> parent pid of every process, from one read of each /proc/<pid>/stat."""
    out: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                data = f.read()
        except OSError:
            continue  # exited since the listing
        out[int(entry)] = int(data[data.rfind(b")") + 2 :].split()[1])  # "comm" may hold spaces
    return out


def rss(pid: int) -> int:
    """Resident bytes of one process from /proc/<pid>/statm, as psutil's ``memory_info().rss``.

    (The RSS field of /proc/<pid>/stat is a cheaper, approximate counter: ~1% lower.)
    """
    try:
        with open(f"/proc/{pid}/statm", "rb") as f:
            return int(f.read().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0  # exited since the listing


class TreeRssSampler:
    """Sample the summed RSS of ``root_pid``'s tree and ``pgdata``'s server every ``interval``.

    Use as a context manager around the wait for the process. Results: ``peak_bytes`` (the
    largest sum seen), ``samples``, ``max_processes`` (largest set summed in one tick),
    ``saw_server`` (whether a postmaster of ``pgdata`` was ever found) and ``cpu_seconds`` (CPU
    time the sampling thread itself used, i.e. the overhead it added to a loaded machine).
    """

    def __init__(
        self, root_pid: int, pgdata: Path | None = None, interval: float = DEFAULT_INTERVAL_S
    ) -> None:
        self.root_pid = root_pid
        self.pgdata = pgdata.resolve() if pgdata else None
        self.interval = interval
        self.peak_bytes = 0
        self.samples = 0
        self.max_processes = 0
        self.saw_server = False
        self.cpu_seconds = 0.0
        self._scanned_at = -FULL_SCAN_S
        self._scanned: set[int] = set()
        self._error: BaseException | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="bench-rss", daemon=True)

    def __enter__(self) -> TreeRssSampler:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join()
        if self._error is not None and exc is None:
            raise RuntimeError("the RSS sampler failed") from self._error

    @property
    def peak_mb(self) -> float:
        return self.peak_bytes / 1_048_576

    def _loop(self) -> None:
        # The lowest scheduling priority for this thread (Linux nice is per thread): on a busy
        # two-core machine the sampler takes a core only when the measured tree leaves one idle,
        # instead of competing with it at equal priority.
        with contextlib.suppress(OSError, AttributeError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
        started = time.thread_time()
        try:
            while not self._stop.is_set():
                tick = time.perf_counter()
                self.sample()
                self._stop.wait(max(0.0, self.interval - (time.perf_counter() - tick)))
        except BaseException as exc:  # reported by __exit__: never a silently partial peak
            self._error = exc
        self.cpu_seconds = time.thread_time() - started

    def _servers(self) -> set[int]:
        """Pids of running ``postgres`` processes with our data dir on their command line."""
        if self.pgdata is None:
            return set()
        target = str(self.pgdata)
        candidates: set[int] = set()
        with contextlib.suppress(OSError, ValueError):  # not started yet, or stopped
            pid = int((self.pgdata / "postmaster.pid").read_text().split("\n", 1)[0])
            if pid > 0:  # initdb's standalone backends write their pid negated
                candidates.add(pid)
        now = time.perf_counter()
        if now - self._scanned_at >= FULL_SCAN_S:
            self._scanned_at = now
            self._scanned = {
                p.pid
                for p in psutil.process_iter(["name", "cmdline"])
                if p.info["name"] == "postgres" and target in (p.info["cmdline"] or ())
            }
        candidates |= self._scanned
        confirmed = set()
        for pid in candidates:
            try:
                proc = psutil.Process(pid)
                if proc.name() == "postgres" and target in proc.cmdline():
                    confirmed.add(pid)
            except psutil.Error:
                continue
        return confirmed

    def sample(self) -> int:
        """Sum the RSS of the current tree once; update the peak; return the sum."""
        table = parents()
        servers = self._servers()
        self.saw_server = self.saw_server or bool(servers)
        children: dict[int, list[int]] = {}
        for pid, ppid in table.items():
            children.setdefault(ppid, []).append(pid)
        tree: set[int] = set()
        stack = [pid for pid in {self.root_pid, *servers} if pid in table]
        while stack:
            pid = stack.pop()
            if pid not in tree:
                tree.add(pid)
                stack.extend(children.get(pid, ()))
        total = sum(rss(pid) for pid in tree)
        self.samples += 1
        self.max_processes = max(self.max_processes, len(tree))
        self.peak_bytes = max(self.peak_bytes, total)
        return total
