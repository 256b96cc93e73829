"""An OS file lock for what concurrent commands on one SEED_HOME must do one at a time.

Creating, starting or joining the embedded server (:func:`seed_assets.embedded.start`) and
creating the Dagster instance's configuration and storage
(:func:`seed_assets.instance.dagster_instance`) each hold a lock file next to what they make:
a second command waits for the first to finish that step, then finds it done. The lock is
``flock(2)``: the kernel releases it when the process dies, so a command killed with SIGKILL never
leaves it held. Re-entering it in the process that holds it does not wait.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # not POSIX: commands are not serialised
    fcntl = None  # type: ignore[assignment]

_guard = threading.Lock()
_held: dict[str, tuple[threading.RLock, list[int]]] = {}  # path: (thread lock, [fd, depth])


@contextmanager
def held(path: Path) -> Iterator[None]:
    """Hold the exclusive lock on ``path`` (created if missing), waiting for any other holder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    name = str(path.resolve())
    with _guard:
        local, state = _held.setdefault(name, (threading.RLock(), [-1, 0]))
    with local:  # threads of this process wait here; the same thread re-enters
        if state[1] == 0:
            fd = os.open(name, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                if fcntl is not None:
                    fcntl.flock(fd, fcntl.LOCK_EX)
            except BaseException:
                os.close(fd)
                raise
            state[0] = fd
        state[1] += 1
        try:
            yield
        finally:
            state[1] -= 1
            if state[1] == 0:
                os.close(state[0])  # releases the lock, as the process's death would
                state[0] = -1
