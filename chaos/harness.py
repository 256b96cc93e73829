"""The lab: a PostgreSQL server, fresh databases and homes, `seed` subprocesses, snapshots.

A snapshot is, for every seeded table and partition (shard = user id range, day = the day column,
whole table = ``all``), the row count and an md5 of the rows in primary-key order, plus the
``seed_manifest`` rows, the ``seed_runs`` rows and the list of relations: enough to tell a
partition that is missing, half-written, doubled or different from the reference's, and to tell
whether a refused command wrote anything at all.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import random  # noqa: TID251 - test tooling: seeded kill moments, never in generated data
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg

from seed_assets.schema import ACTIVITY, CATALOG, DERIVED, IDENTITY
from seed_assets.schema import table as schema_table

SEED = str(Path(sys.executable).with_name("seed"))
RUN_SEED = "chaos"
SHARD_SIZE = 100
POPULATION = ["--users", "300", "--shard-size", str(SHARD_SIZE), "--run-seed", RUN_SEED]
START = ["--start-date", "2024-01-01"]
UP = ["up", *POPULATION, *START, "--days", "5"]
# Every trial's DATABASE_URL carries this password (the suite's server trusts local
# connections, so any password is accepted), and every seeded user gets the dev password:
# neither may appear in any output.
TRIAL_PASSWORD = "Trial-S3cret-q7"
DEV_PASSWORD = "Dev-S3cret-Chaos9"
SEEDED = [t.name for t in (*CATALOG, *IDENTITY, *ACTIVITY, *DERIVED)]
ACTIVITY_TABLES = [t.name for t in ACTIVITY]


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


@dataclasses.dataclass
class Snapshot:
    tables: dict[str, dict[str, tuple[int, str]]]
    manifest: dict[str, tuple[int, str, str]]  # "table/partition" -> (rows, digest, written_at)
    runs: list[tuple]
    relations: list[str]

    def counts(self) -> dict[str, dict[str, int]]:
        return {t: {p: v[0] for p, v in parts.items()} for t, parts in self.tables.items()}


@dataclasses.dataclass
class Diff:
    """A trial's tables against the reference's, partition by partition."""

    missing: list[str] = dataclasses.field(default_factory=list)
    half_written: list[str] = dataclasses.field(default_factory=list)
    doubled: list[str] = dataclasses.field(default_factory=list)
    differs: list[str] = dataclasses.field(default_factory=list)
    extra: list[str] = dataclasses.field(default_factory=list)
    manifest: list[str] = dataclasses.field(default_factory=list)

    def __bool__(self) -> bool:
        return any(dataclasses.astuple(self))

    def summary(self) -> dict[str, Any]:
        return {k: {"n": len(v), "first": v[:6]} for k, v in dataclasses.asdict(self).items() if v}


def compare(ref: Snapshot, got: Snapshot) -> Diff:
    diff = Diff()
    for table, parts in ref.tables.items():
        have = got.tables.get(table, {})
        for key, (n, digest) in parts.items():
            where = f"{table}/{key}"
            if key not in have or have[key][0] == 0:
                diff.missing.append(where)
            elif have[key][0] < n:
                diff.half_written.append(f"{where} ({have[key][0]} of {n} rows)")
            elif have[key][0] > n:
                diff.doubled.append(f"{where} ({have[key][0]} rows, reference {n})")
            elif have[key][1] != digest:
                diff.differs.append(where)
        diff.extra += [f"{table}/{k}" for k in sorted(set(have) - set(parts))]
    diff.extra += [t for t in got.tables if t not in ref.tables and got.tables[t]]
    ref_m = {k: v[:2] for k, v in ref.manifest.items()}
    got_m = {k: v[:2] for k, v in got.manifest.items()}
    diff.manifest += [f"{k}: {got_m.get(k)} != {v}" for k, v in ref_m.items() if got_m.get(k) != v]
    diff.manifest += [f"{k}: not in the reference" for k in sorted(set(got_m) - set(ref_m))]
    return diff


def same(a: Snapshot, b: Snapshot) -> bool:
    return not compare(a, b) and not compare(b, a)


def half_written_days(got: Snapshot, ref: Snapshot) -> list[str]:
    """Days the reference has in every activity table but the trial only in some."""
    out = []
    days = set.intersection(*(set(ref.tables.get(t, {})) for t in ACTIVITY_TABLES))
    for day in sorted(days):
        present = [t for t in ACTIVITY_TABLES if got.tables.get(t, {}).get(day, (0,))[0]]
        if present and len(present) < len(ACTIVITY_TABLES):
            out.append(day)
    return out


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
        base = self.workdir / f"out{self._n:05d}"
        out, err = base.with_suffix(".out"), base.with_suffix(".err")
        with out.open("wb") as o, err.open("wb") as e:
            proc = subprocess.Popen(
                [SEED, *args],
                env=env,
                stdout=o,
                stderr=e,
                stdin=subprocess.DEVNULL,
                cwd=cwd or self.workdir,
                start_new_session=True,
            )
        self.running.add(proc)
        return Running(args, proc, out, err, time.perf_counter())

    def finish(
        self, run: Running, timeout: float = 600, kill_after: float | None = None
    ) -> Outcome:
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
        self.running.discard(run.proc)
        if self.stopping:
            raise Interrupted("interrupted")
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


def take_snapshot(conn: psycopg.Connection) -> Snapshot:
    present = {
        r[0]
        for r in conn.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition"
        ).fetchall()
    }
    tables: dict[str, dict[str, tuple[int, str]]] = {}
    for name in SEEDED:
        if name not in present:
            continue
        info = schema_table(name).info
        pk = ", ".join(f'x."{c.name}"' for c in schema_table(name).primary_key.columns)
        if info["grain"] == "all":
            part = "'all'"
        elif info["grain"] == "shard":
            part = f"'s' || lpad(((x.\"{info['key']}\" - 1) / {SHARD_SIZE})::text, 4, '0')"
        else:
            part = f'x."{info["key"]}"::text'
        rows = conn.execute(
            f"SELECT {part}, count(*), md5(string_agg(x::text, E'\\n' ORDER BY {pk})) "  # type: ignore[arg-type]
            f'FROM "{name}" x GROUP BY 1'
        ).fetchall()
        tables[name] = {str(k): (int(n), str(d)) for k, n, d in rows}
    manifest: dict[str, tuple[int, str, str]] = {}
    if "seed_manifest" in present:
        for t, k, n, d, w in conn.execute(
            "SELECT table_name, partition_key, row_count, digest, written_at::text "
            "FROM seed_manifest"
        ).fetchall():
            manifest[f"{t}/{k}"] = (int(n), str(d), str(w))
    runs: list[tuple] = []
    if "seed_runs" in present:
        runs = [tuple(map(str, r)) for r in conn.execute("SELECT * FROM seed_runs").fetchall()]
        runs.sort()
    relations = sorted(
        f"{r[0]}.{r[1]}:{r[2]}"
        for r in conn.execute(
            "SELECT n.nspname, c.relname, c.relkind FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')"
        ).fetchall()
    )
    return Snapshot(tables, manifest, runs, relations)


def nothing_written(before: Snapshot, after: Snapshot) -> list[str]:
    """What changed between two snapshots (empty: nothing was written)."""
    changes = []
    if before.tables != after.tables:
        changed = [
            t
            for t in set(before.tables) | set(after.tables)
            if before.tables.get(t) != after.tables.get(t)
        ]
        changes.append(f"rows of {sorted(changed)[:6]}")
    if before.manifest != after.manifest:
        changes.append("seed_manifest")
    if before.runs != after.runs:
        changes.append(f"seed_runs ({len(before.runs)} -> {len(after.runs)} rows)")
    if before.relations != after.relations:
        new = sorted(set(after.relations) - set(before.relations))
        changes.append(f"relations (+{len(new)}: {new[:4]})")
    return changes


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


def embedded_snapshot(home: Path, env: dict[str, str]) -> Snapshot:
    """Start a home's embedded server in a child process, snapshot its database, stop it."""
    code = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from seed_assets import database\n"
        "from chaos.harness import take_snapshot, snapshot_json\n"
        "url = database.embedded_url(Path(sys.argv[1]))\n"
        "with database.connection(url, autocommit=True) as conn:\n"
        "    print(snapshot_json(take_snapshot(conn)))\n"
    )
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "-c", code, str(home / "seed" / "pgdata")],
        env={**env, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"snapshot of {home}: {done.stderr.strip().splitlines()[-1:]}")
    data = json.loads(done.stdout.strip().splitlines()[-1])
    return Snapshot(
        {t: {k: tuple(v) for k, v in p.items()} for t, p in data["tables"].items()},  # type: ignore[misc]
        {k: tuple(v) for k, v in data["manifest"].items()},  # type: ignore[misc]
        [tuple(r) for r in data["runs"]],
        data["relations"],
    )


def snapshot_json(snap: Snapshot) -> str:
    return json.dumps(dataclasses.asdict(snap))


def first(items: Iterable[str], n: int = 4) -> list[str]:
    return list(items)[:n]
