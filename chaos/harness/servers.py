"""Embedded servers a home left running, and a loopback listener that counts connections."""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from pathlib import Path


def postmaster_pid(home: Path) -> int | None:
    """The pid of a running embedded server of a home, if any."""
    pidfile = home / "seed" / "pgdata" / "postmaster.pid"
    try:
        pid = int(pidfile.read_text().splitlines()[0])
    except (OSError, ValueError, IndexError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return pid
    return pid if b"postgres" in cmdline else None


def stop_orphan(home: Path) -> int | None:
    """Stop (immediate shutdown) a home's embedded server left running; its pid, or None."""
    pid = postmaster_pid(home)
    if pid is None:
        return None
    try:
        os.kill(pid, signal.SIGQUIT)
    except ProcessLookupError:
        return pid
    for _ in range(100):
        if postmaster_pid(home) is None:
            break
        time.sleep(0.05)
    return pid


class Listener:
    """A TCP listener on a loopback address that only counts connections."""

    def __init__(self, host: str = "127.0.0.2") -> None:
        self.count = 0
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.host, self.port = host, self.sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.count += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()
