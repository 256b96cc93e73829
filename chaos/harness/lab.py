"""The :class:`Lab`: databases on the suite's server, homes, and the `seed` runs of scenarios."""

from __future__ import annotations

import contextlib
import os
import random  # noqa: TID251 - test tooling: seeded kill moments, never in generated data
import shutil
import signal
import subprocess
import time
import uuid
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg

from chaos.harness.commands import Interrupted, Outcome, Running, collect, spawn, wait
from chaos.harness.servers import stop_orphan
from chaos.harness.snapshots import Snapshot, take_snapshot

# Every trial's DATABASE_URL carries this password (the suite's server trusts local
# connections, so any password is accepted), and every seeded user gets the dev password:
# neither may appear in any output.
TRIAL_PASSWORD = "Trial-S3cret-q7"
DEV_PASSWORD = "Dev-S3cret-Chaos9"


class Lab:
    """Databases, homes and `seed` runs for the scenarios, and every output they printed."""

    def __init__(self, server_url: str, workdir: Path, seed: int, cache: Path) -> None:
        self.workdir = workdir
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.cache = cache
        self.rng = random.Random(seed)
        self.secrets: set[str] = {DEV_PASSWORD}
        self.outputs = 0
        self._n = 0
        self.stopping = False  # set on Ctrl-C: no new command starts
        self.running: set[subprocess.Popen] = set()
        parts = urlsplit(server_url)
        self._parts = parts
        if parts.password:
            self.secrets.add(parts.password)
            self.password = parts.password
        else:
            self.password = TRIAL_PASSWORD
            if not self._accepts(self.url("postgres")):
                self.password = ""
        if self.password:
            self.secrets.add(self.password)
        self.admin = self.url("postgres")

    # -- databases -------------------------------------------------------------------------

    def url(self, database: str, password: str | None = None) -> str:
        p = self._parts
        user = p.username or "postgres"
        pw = self.password if password is None else password
        host = p.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        netloc = f"{quote(user)}:{quote(pw, safe='')}@{host}" if pw else f"{quote(user)}@{host}"
        if p.port:
            netloc += f":{p.port}"
        return urlunsplit(p._replace(netloc=netloc, path=f"/{database}"))

    @staticmethod
    def _accepts(url: str) -> bool:
        try:
            with psycopg.connect(url, connect_timeout=5):
                return True
        except psycopg.Error:
            return False

    def connect(self, url: str) -> psycopg.Connection:
        return psycopg.connect(url, autocommit=True, options="-c TimeZone=UTC -c DateStyle=ISO")

    def create_db(self, template: str | None = None, name: str | None = None) -> str:
        name = name or f"chaos_{uuid.uuid4().hex[:10]}"
        copy = f' TEMPLATE "{template}"' if template else ""
        with self.connect(self.admin) as admin:
            for attempt in range(20):  # a template is briefly busy after a command exits
                try:
                    admin.execute(f'CREATE DATABASE "{name}"{copy}')  # type: ignore[arg-type]
                    break
                except psycopg.errors.ObjectInUse:
                    if attempt == 19:
                        raise
                    time.sleep(0.25)
        return name

    def drop_db(self, name: str) -> None:
        with self.connect(self.admin) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]

    def sql(self, db: str, *statements: str) -> None:
        with self.connect(self.url(db)) as conn:
            for statement in statements:
                conn.execute(statement)  # type: ignore[arg-type]

    def snapshot(self, db: str | None = None, url: str | None = None) -> Snapshot:
        with self.connect(url or self.url(db or "postgres")) as conn:
            return take_snapshot(conn)

    # -- homes and runs --------------------------------------------------------------------

    def home(self) -> Path:
        self._n += 1
        path = self.workdir / f"home{self._n:04d}"
        path.mkdir(parents=True)
        return path

    def env(
        self, db: str | None, home: Path, extra: dict[str, str] | None = None
    ) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("SEED_", "DAGSTER_", "PG")) and k != "DATABASE_URL"
        }
        env.update(
            SEED_HOME=str(home / "seed"),
            DAGSTER_HOME=str(home / "dagster"),
            SEED_CACHE=str(self.cache),
            SEED_DEV_PASSWORD=DEV_PASSWORD,
        )
        if db is not None:
            env["DATABASE_URL"] = self.url(db)
        env.update(extra or {})
        return env

    def start(self, args: list[str], env: dict[str, str], cwd: Path | None = None) -> Running:
        if self.stopping:
            raise Interrupted("interrupted")
        self._n += 1
        run = spawn(args, env, self.workdir / f"out{self._n:05d}", cwd or self.workdir)
        self.running.add(run.proc)
        return run

    def finish(
        self, run: Running, timeout: float = 600, kill_after: float | None = None
    ) -> Outcome:
        killed_at = wait(run, timeout, kill_after)
        self.running.discard(run.proc)
        if self.stopping:
            raise Interrupted("interrupted")
        outcome = collect(run, killed_at)
        self.outputs += 1
        return outcome

    def run(
        self,
        args: list[str],
        env: dict[str, str],
        kill_after: float | None = None,
        timeout: float = 600,
    ) -> Outcome:
        return self.finish(self.start(args, env), timeout=timeout, kill_after=kill_after)

    def interrupt(self) -> None:
        """Ctrl-C: start nothing more, and end the `seed` commands running (their groups)."""
        self.stopping = True
        for proc in list(self.running):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)

    def leaks(self, outcome: Outcome) -> list[str]:
        """The secrets an outcome printed (passwords of one character are checked otherwise)."""
        text = outcome.stdout + outcome.stderr
        found = []
        for secret in self.secrets:
            if len(secret) > 1 and (secret in text or quote(secret, safe="") in text):
                found.append(secret)
        return found

    def cleanup_home(self, home: Path) -> None:
        stop_orphan(home)
        shutil.rmtree(home, ignore_errors=True)
