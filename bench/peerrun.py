"""The peer seed script (``bench/peer.py``) run as a measured subprocess on a fresh server.

Each run gets a fresh embedded PostgreSQL with the project's development settings (the server kind
``seed up`` uses), migrated the way an app's migrations would leave it before a seed script runs:
the whole schema with its indexes and foreign keys (``ddl.ensure_schema``), the interest catalog,
and the likes day partitions. That preparation is not timed; the script's process is, from
interpreter start to exit, and the script reports each table's own seconds.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg

from bench import pg
from bench.machine import PROJECT
from bench.tiers import Step
from seed_assets import database, ddl, generators, guard

PEER_TABLES = ("users", "profiles", "profile_media", "user_interests", "likes")
TIMEOUT_S = 3600.0


@dataclasses.dataclass(frozen=True)
class PeerRun:
    """Wall seconds of the script's process, its per-table rows and seconds, and the wall of
    the whole measurement (server start, preparation, script, server stop)."""

    seconds: float
    tables: dict[str, Step]
    log: Path
    total_s: float = 0.0

    @property
    def rows(self) -> int:
        return sum(step.rows for step in self.tables.values())


def prepare(conn: psycopg.Connection, url: str, start: dt.date, days: int) -> None:
    """Migrate an empty database as the app would: schema, catalog, likes day partitions."""
    guard.ensure_writable(conn, url, "bench peer")
    ddl.ensure_schema(conn)
    for name, make in generators.CATALOG.items():
        frame = make()
        cols = ", ".join(f'"{c}"' for c in frame.columns)
        marks = ", ".join(["%s"] * frame.width)
        with conn.cursor() as cur:
            cur.executemany(
                f'INSERT INTO "{name}" ({cols}) VALUES ({marks})',  # type: ignore[arg-type]
                frame.rows(),
            )
    for d in range(days):
        lo = start + dt.timedelta(days=d)
        conn.execute(
            f'CREATE TABLE "likes_p{lo:%Y%m%d}" PARTITION OF likes '  # type: ignore[arg-type]
            f"FOR VALUES FROM ('{lo}') TO ('{lo + dt.timedelta(days=1)}')"
        )


def run_script(url: str, users: int, days: int, likes: int, start: dt.date, log: Path) -> PeerRun:
    """``python -m bench.peer`` against ``url``, timed; its output goes to ``log``."""
    out = log.with_suffix(".json")
    argv = [
        sys.executable,
        "-m",
        "bench.peer",
        f"--url={url}",
        f"--users={users}",
        f"--days={days}",
        f"--likes={likes}",
        f"--start-date={start}",
        f"--json={out}",
    ]
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as sink:
        started = time.perf_counter()
        done = subprocess.run(
            argv, cwd=PROJECT, env=env, stdout=sink, stderr=subprocess.STDOUT, timeout=TIMEOUT_S
        )
        seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"the peer seed script exited with {done.returncode}; see {log}")
    result = json.loads(out.read_text())
    tables = {t: Step(int(v["rows"]), float(v["seconds"])) for t, v in result["tables"].items()}
    return PeerRun(seconds, tables, log)


def measure(pgdata: Path, users: int, days: int, likes: int, start: dt.date, log: Path) -> PeerRun:
    """A fresh server in ``pgdata``, prepared, then the script; the server is stopped after."""
    started = time.perf_counter()
    with pg.attached_server(pgdata) as url:
        with database.connection(url, autocommit=True) as conn:
            prepare(conn, url, start, days)
        run = run_script(url, users, days, likes, start, log)
    return dataclasses.replace(run, total_s=time.perf_counter() - started)
