"""Hostile input and infrastructure failures: every bad input is one line on stderr, a documented
exit code and nothing written; the guard has no holes; no password is ever shown.

Most cases run the click group in-process (``CliRunner``: fast); a few run the real console
script. Every case targets one empty database (``DATABASE_URL``, with a password the trusting test
server ignores) and a SEED_HOME without a data directory, and checks both stay so.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from click.testing import CliRunner, Result

from seed_assets import database, guard
from seed_assets.cli import main
from tests.conftest import fresh_database
from tests.test_cli import run

PASSWORD = "s3cretpw-7e1f"


def with_password(url: str, password: str = PASSWORD) -> str:
    """The same database with a password in the URL (the test server trusts local users)."""
    parts = urlsplit(url)
    user, _, host = parts.netloc.rpartition("@")
    user = (user or "postgres").split(":")[0]
    return urlunsplit(parts._replace(netloc=f"{user}:{password}@{host}"))


@pytest.fixture(scope="module")
def empty_url(server_url: str) -> Iterator[str]:
    """One empty database for every case of the table (each checks it stays empty)."""
    with fresh_database(server_url, "t_bad") as url:
        yield url


def objects(url: str) -> list[tuple[str, str]]:
    """Every relation and type of the database outside the system schemas."""
    with database.connection(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n "
            "ON n.oid = c.relnamespace WHERE n.nspname NOT LIKE 'pg\\_%' "
            "AND n.nspname <> 'information_schema' UNION ALL "
            "SELECT n.nspname, t.typname FROM pg_type t JOIN pg_namespace n "
            "ON n.oid = t.typnamespace WHERE n.nspname NOT LIKE 'pg\\_%' "
            "AND n.nspname <> 'information_schema' ORDER BY 1, 2"
        ).fetchall()
    return [(str(a), str(b)) for a, b in rows]


def settle(url: str) -> None:
    """Wait until the previous command's lock session on ``url``'s database has ended: a closed
    connection's backend exits (and drops its session locks) a moment after the client."""
    name = urlsplit(url).path.lstrip("/")
    deadline = time.monotonic() + 10
    with database.connection(url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s "
                "AND application_name LIKE 'seed %%' AND pid <> pg_backend_pid()",
                [name],
            ).fetchone()
            if row and row[0] == 0:
                return
            time.sleep(0.02)


def invoke(args: list[str], env: dict[str, str]) -> Result:
    """The `seed` group in this process, with exactly ``env`` as its SEED_*/DATABASE_URL."""
    clean = {k: None for k in os.environ if k.startswith("SEED_") and k != "SEED_CACHE"}
    clean["DATABASE_URL"] = None
    clean["PGPASSWORD"] = None
    return CliRunner().invoke(main, args, env={**clean, **env}, catch_exceptions=False)


def assert_one_line(code: int, stdout: str, stderr: str, expected: int, secret: str) -> None:
    lines = stderr.strip().splitlines()
    assert code == expected, (code, stderr)
    assert len(lines) == 1 and lines[0].startswith("error: "), stderr
    assert "Traceback" not in stderr
    assert secret not in stdout + stderr


MALFORMED = f"postgresql://chaos_user:{PASSWORD}@[::1/x"
NOT_POSTGRES = f"mysql://root:{PASSWORD}@localhost/app"
CASES: list[tuple[list[str], dict[str, str], int]] = [
    # seed up: population, seed, dates, days, profile, shards, named accounts
    (["up", "--users", ""], {}, 2),
    (["up", "--users", "-5"], {}, 2),
    (["up", "--users", "0"], {}, 2),
    (["up", "--users", "50000001"], {}, 2),
    (["up", "--users", "many"], {}, 2),
    (["up", "--users", "1.5"], {}, 2),
    (["up", "--count", " "], {}, 2),
    (["up", "--run-seed", ""], {}, 2),
    (["up", "--run-seed", "has space"], {}, 2),
    (["up", "--start-date", "20240101"], {}, 2),
    (["up", "--start-date", "2024-02-30"], {}, 2),
    (["up", "--start-date", "2024-1-1"], {}, 2),
    (["up", "--start-date", "2024-W01-1"], {}, 2),
    (["up", "--start-date", ""], {}, 2),
    (["up", "--days", "-1"], {}, 2),
    (["up", "--days", "99999"], {}, 2),
    (["up", "--days", "soon"], {}, 2),
    (["up", "--days", ""], {}, 2),
    (["up", "--calibration", "nope"], {}, 2),
    (["up", "--calibration", ""], {}, 2),
    (["up", "--shard-size", "0"], {}, 2),
    (["up", "--users", "1000000", "--shard-size", "1"], {}, 2),
    (["up", "--named-accounts", "Not An Email"], {}, 2),
    (["up", "--bogus"], {}, 2),
    (["up"], {"SEED_USERS": "abc"}, 2),
    (["up"], {"SEED_START_DATE": "20240101"}, 2),
    (["up", "--users", "10"], {"DATABASE_URL": MALFORMED}, 2),
    (["up", "--users", "10"], {"DATABASE_URL": NOT_POSTGRES}, 2),
    (["up", "--users", "10"], {"SEED_ENVIRONMENT": "prod1"}, 5),
    (["up", "--users", "10"], {"SEED_ENVIRONMENT": "production2"}, 5),
    # seed extend, seed jobs
    (["extend", "--days", ""], {}, 2),
    (["extend", "--days", "0"], {}, 2),
    (["extend"], {}, 2),
    (["extend", "--days", "1"], {}, 5),  # not marked as ours: the guard, before anything else
    (["extend", "--days", "1"], {"DATABASE_URL": MALFORMED}, 2),
    (["extend", "--days", "1"], {"SEED_ENVIRONMENT": "live2"}, 5),
    (["jobs", "--only", ""], {}, 2),
    (["jobs", "--only", "nope"], {}, 2),
    (["jobs", "--only", ","], {}, 2),
    (["jobs"], {}, 5),
    (["jobs"], {"DATABASE_URL": NOT_POSTGRES}, 2),
    # seed repair, seed reset
    (["repair"], {}, 5),
    (["repair", "--bogus"], {}, 2),
    (["repair"], {"DATABASE_URL": f"postgresql://u:{PASSWORD}@127.0.0.1:99999/db"}, 2),
    (["reset", "--scope", "bad"], {}, 2),
    (["reset", "--scope", ""], {}, 2),
    (["reset", "--scope", "all"], {}, 5),
    (["reset", "--scope", "all", "--confirm", ""], {}, 2),
    (["reset", "--scope", "all", "--confirm", "app"], {"DATABASE_URL": MALFORMED}, 2),
    # seed load, seed export (no database)
    (["load", "--from", ""], {}, 2),
    (["load", "--from", "/nonexistent/export"], {}, 2),
    (["load"], {}, 2),
    (["export", "--out", ""], {}, 2),
    (["export", "--out", "{tmp}/x", "--format", "xml"], {}, 2),
    (["export", "--out", "{tmp}/x", "--shard-rows", "0"], {}, 2),
    (["export", "--out", "{tmp}/x", "--tables", "nope"], {}, 2),
    (["export", "--out", "{tmp}/x", "--users", "-1"], {}, 2),
    # seed init
    (["init", "--environment", ""], {}, 2),
    (["init", "--environment", "prod1"], {}, 5),
    (["init", "--environment", "prodeu"], {}, 5),
    (["init", "--environment", "bad name!"], {}, 2),
    (["init"], {"SEED_ENVIRONMENT": "live"}, 5),
    (["init"], {"DATABASE_URL": f"sqlite:///{PASSWORD}.db"}, 2),
    # seed audit, seed verify, seed explain
    (["audit", "--bogus"], {}, 2),
    (["audit"], {"DATABASE_URL": MALFORMED}, 2),
    (["audit"], {"DATABASE_URL": f"postgresql://bob:{PASSWORD}@db.invalid/app"}, 5),
    (["verify", "--calibration", ""], {}, 2),
    (["verify"], {}, 2),  # nothing seeded here
    (["verify"], {"DATABASE_URL": f"host=localhost password={PASSWORD}"}, 2),
    (["explain", "user", "abc"], {}, 2),
    (["explain", "user", ""], {}, 2),
    (["explain", "user", "-1"], {}, 2),
    (["explain", "user", "5", "--users", "3"], {}, 2),
    (["explain", "user", "1", "--days", "-2"], {}, 2),
    (["explain", "user", "1", "--run-seed", ""], {}, 2),
    (["explain", "bogus"], {}, 2),
    (["bogus"], {}, 2),
]


@pytest.mark.parametrize(("args", "extra", "code"), CASES, ids=[" ".join(c[0]) for c in CASES])
def test_bad_input_is_one_line_and_writes_nothing(
    args: list[str], extra: dict[str, str], code: int, empty_url: str, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    env = {
        "SEED_HOME": str(home / "seed"),
        "DAGSTER_HOME": str(home / "dagster"),
        "DATABASE_URL": with_password(empty_url),
        **extra,
    }
    result = invoke([a.replace("{tmp}", str(tmp_path)) for a in args], env)
    assert_one_line(result.exit_code, result.stdout, result.stderr, code, PASSWORD)
    assert not (home / "seed").exists()  # no embedded server, no data directory
    assert not (tmp_path / "x").exists()  # no export
    assert objects(empty_url) == []


def test_there_are_at_least_forty_bad_inputs() -> None:
    assert len(CASES) >= 40
    assert {c[0][0] for c in CASES} >= {
        "up",
        "extend",
        "jobs",
        "repair",
        "reset",
        "load",
        "export",
        "init",
        "audit",
        "verify",
        "explain",
    }


@pytest.mark.parametrize(
    ("args", "url", "code"),
    [
        (["up", "--users", "10"], MALFORMED, 2),  # was a 41-line traceback ending in the password
        (["extend", "--days", "1"], NOT_POSTGRES, 2),  # was exit 3
        (["up", "--users", ""], None, 2),  # was 10,000 users
        (["jobs", "--only", ""], None, 5),  # was every job (empty database: the guard first)
    ],
)
def test_bad_input_through_the_console_script(
    args: list[str], url: str | None, code: int, empty_url: str, tmp_path: Path
) -> None:
    env = {
        "SEED_HOME": str(tmp_path / "seed"),
        "DAGSTER_HOME": str(tmp_path / "dagster"),
        "DATABASE_URL": url or with_password(empty_url),
    }
    done = run(args, env)
    expected = 2 if args[-1] == "" else code
    assert_one_line(done.returncode, done.stdout, done.stderr, expected, PASSWORD)
    assert not (tmp_path / "seed").exists()
    assert objects(empty_url) == []


# The guard's holes: a database whose only objects are not tables of the current schema.
@pytest.mark.parametrize(
    "setup",
    [
        "CREATE SCHEMA app; CREATE TABLE app.accounts (id int PRIMARY KEY)",
        "CREATE SEQUENCE lone",
        "CREATE TYPE mood AS ENUM ('happy', 'sad')",
        "CREATE DOMAIN positive AS int CHECK (VALUE > 0)",
        "CREATE SCHEMA app; CREATE VIEW app.v AS SELECT 1 AS one",
        "CREATE SCHEMA app; CREATE SEQUENCE app.ids",
    ],
)
def test_the_guard_sees_every_schema_sequences_and_types(
    setup: str, db_url: str, tmp_path: Path
) -> None:
    with database.connection(db_url, autocommit=True) as conn:
        assert not guard.has_tables(conn)
        conn.execute(setup)  # type: ignore[arg-type]
        assert guard.has_tables(conn)
    before = objects(db_url)
    env = {
        "SEED_HOME": str(tmp_path / "seed"),
        "DAGSTER_HOME": str(tmp_path / "dagster"),
        "DATABASE_URL": db_url,
    }
    for args in (["up", "--users", "10", "--skip-jobs"], ["init"], ["extend", "--days", "1"]):
        settle(db_url)
        result = invoke(args, env)
        assert_one_line(result.exit_code, result.stdout, result.stderr, 5, PASSWORD)
        assert "marker" in result.stderr or "init --confirm" in result.stderr
    assert objects(db_url) == before  # no marker, no table


@pytest.mark.parametrize(
    "name", ["prod", "PROD", "prod1", "prodeu", "prod-eu", "production", "production2", "prd",
             "prd-us", "live", "live2", "Live_EU"]
)  # fmt: skip
def test_production_names_are_refused(name: str) -> None:
    assert guard.is_production(name)
    with pytest.raises(guard.Refused, match="production"):
        guard._check_environment(name, "SEED_ENVIRONMENT")


@pytest.mark.parametrize("name", ["development", "staging", "qa", "preprod", "dev-live", "test"])
def test_other_names_are_not_production(name: str) -> None:
    assert not guard.is_production(name)


def test_a_production_marker_is_refused(
    conn: psycopg.Connection, db_url: str, tmp_path: Path
) -> None:
    env = {
        "SEED_HOME": str(tmp_path / "s"),
        "DAGSTER_HOME": str(tmp_path / "d"),
        "DATABASE_URL": db_url,
    }
    assert invoke(["init"], env).exit_code == 0
    for marker in ("prod1", "production2", "prodeu", "live2"):
        conn.execute("UPDATE seed_marker SET environment = %s", [marker])
        before = objects(db_url)
        for args in (["up", "--users", "10", "--skip-jobs"], ["extend", "--days", "1"], ["init"]):
            settle(db_url)
            result = invoke(args, env)
            assert_one_line(result.exit_code, result.stdout, result.stderr, 5, PASSWORD)
            assert "production" in result.stderr
        assert objects(db_url) == before


class Listener:
    """A TCP listener on 127.0.0.2 (a loopback address the guard treats as foreign) that records
    every connection it accepts."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.2", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.05)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                peer, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.accepted += 1
            peer.close()

    def close(self) -> None:
        self.stop.set()
        self.thread.join()
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    try:
        found = Listener()
    except OSError as exc:  # pragma: no cover - a machine without 127.0.0.0/8 on loopback
        pytest.skip(f"cannot listen on 127.0.0.2: {exc}")
    yield found
    found.close()


def test_a_foreign_host_is_never_connected_to(listener: Listener, tmp_path: Path) -> None:
    url = f"postgresql://bob:{PASSWORD}@127.0.0.2:{listener.port}/app"
    export = tmp_path / "export"
    made = invoke(["export", "--out", str(export), "--users", "20", "--shard-size", "10"], {})
    assert made.exit_code == 0, made.stderr
    env = {
        "SEED_HOME": str(tmp_path / "s"),
        "DAGSTER_HOME": str(tmp_path / "d"),
        "DATABASE_URL": url,
    }
    commands = [
        ["up", "--users", "10", "--skip-jobs"],
        ["extend", "--days", "1"],
        ["jobs"],
        ["repair"],
        ["reset", "--scope", "all", "--confirm", "app"],
        ["load", "--from", str(export)],
        ["init"],
        ["audit"],
        ["verify"],
    ]
    for args in commands:
        result = invoke(args, env)
        assert_one_line(result.exit_code, result.stdout, result.stderr, 5, PASSWORD)
        assert "SEED_ALLOWED_HOSTS" in result.stderr, args
    # hostaddr decides where libpq connects, whatever host says
    hidden = f"postgresql://bob:{PASSWORD}@localhost/app?hostaddr=127.0.0.2&port={listener.port}"
    result = invoke(["audit"], {**env, "DATABASE_URL": hidden})
    assert_one_line(result.exit_code, result.stdout, result.stderr, 5, PASSWORD)
    time.sleep(0.2)  # anything on its way would have been accepted by now
    assert listener.accepted == 0
    # The listener works: allowed, the same command does connect (and fails: it is no server).
    allowed = invoke(["audit"], {**env, "SEED_ALLOWED_HOSTS": "127.0.0.2"})
    assert_one_line(allowed.exit_code, allowed.stdout, allowed.stderr, 3, PASSWORD)
    time.sleep(0.2)
    assert listener.accepted >= 1


@pytest.mark.parametrize(
    ("text", "url", "expected"),
    [
        (
            "cannot connect to postgresql://u:p@localhost/db: port 5432 is not open, please",
            "postgresql://u:p@localhost/db",
            "cannot connect to postgresql://u:***@localhost/db: port 5432 is not open, please",
        ),
        (
            "postgresql://chaos_user:s3cretpw@[::1/x",
            "postgresql://chaos_user:s3cretpw@[::1/x",
            "postgresql://chaos_user:***@[::1/x",
        ),
        ("at pw-s3cret@[::1/x: bad", "postgresql://chaos:pw-s3cret@[::1/x", "at ***@[::1/x: bad"),
        ("host=db password=hunter22 dbname=app", None, "host=db password=*** dbname=app"),
        ("host=db password='two words' dbname=app", None, "host=db password=*** dbname=app"),
        (
            "postgresql://u@db/app?sslmode=require&password=hunter22&x=1",
            None,
            "postgresql://u@db/app?sslmode=require&password=***&x=1",
        ),
        ("postgresql://u:p@ss@db/app", None, "postgresql://u:***@db/app"),
        ("postgresql://u:p%40ss@db/app", None, "postgresql://u:***@db/app"),
        ("a port, a postgres, a p", "postgresql://u:p@db/x", "a port, a postgres, a p"),
    ],
)  # fmt: skip
def test_redaction_is_structural(text: str, url: str | None, expected: str) -> None:
    assert database.redact(text, url) == expected


def test_redaction_of_the_environment_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGPASSWORD", "hunter22")
    assert database.redact("auth failed for hunter22 (hunter222 is another word)") == (
        "auth failed for *** (hunter222 is another word)"
    )
    monkeypatch.setenv("PGPASSWORD", "p")
    assert database.redact("password p for postgres") == "password p for postgres"


def test_a_one_letter_password_is_redacted_and_nothing_else(tmp_path: Path) -> None:
    env = {
        "SEED_HOME": str(tmp_path / "seed"),
        "DAGSTER_HOME": str(tmp_path / "dagster"),
        "DATABASE_URL": "postgresql://u:p@127.0.0.1:1/postgres",
    }
    result = invoke(["audit"], env)
    assert result.exit_code == 3, result.stderr
    assert "postgresql://u:***@127.0.0.1:1/postgres" in result.stderr
    assert "u:p@" not in result.stderr and "***ostgres" not in result.stderr


def test_reset_of_missing_tables_removes_nothing(db_url: str, tmp_path: Path) -> None:
    env = {
        "SEED_HOME": str(tmp_path / "s"),
        "DAGSTER_HOME": str(tmp_path / "d"),
        "DATABASE_URL": db_url,
    }
    assert invoke(["init"], env).exit_code == 0
    name = urlsplit(db_url).path.lstrip("/")
    before = objects(db_url)
    for scope in ("activity", "derived", "all"):
        settle(db_url)
        result = invoke(["reset", "--scope", scope, "--confirm", name], env)
        assert result.exit_code == 0, result.stderr
    assert objects(db_url) == before


def test_an_os_error_is_one_line_and_exit_4(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a directory")
    env = {"SEED_HOME": str(tmp_path / "file" / "seed"), "DAGSTER_HOME": str(tmp_path / "d")}
    done = run(["up", "--users", "10"], env)
    assert done.returncode == 4, done.stderr
    assert done.stderr.strip().splitlines() == [done.stderr.strip()]
    assert done.stderr.startswith("error: NotADirectoryError")
    verbose = invoke(["--verbose", "up", "--users", "10"], env)
    assert verbose.exit_code == 4
    assert "Traceback (most recent call last)" in verbose.stderr
    assert verbose.stderr.strip().splitlines()[-1] == done.stderr.strip()
    by_env = invoke(["up", "--users", "10"], {**env, "SEED_VERBOSE": "1"})
    assert by_env.exit_code == 4 and "Traceback" in by_env.stderr


def test_verbose_traceback_is_redacted(empty_url: str, tmp_path: Path) -> None:
    env = {
        "SEED_HOME": str(tmp_path / "seed"),
        "DAGSTER_HOME": str(tmp_path / "dagster"),
        "DATABASE_URL": MALFORMED,
    }
    result = invoke(["--verbose", "audit"], env)
    assert result.exit_code == 2
    assert "Traceback" in result.stderr and PASSWORD not in result.stdout + result.stderr


def _kill_first_copy(url: str, found: list[int], stop: threading.Event) -> None:
    """Terminate the first backend of ``url``'s database seen running a COPY."""
    name = urlsplit(url).path.lstrip("/")
    admin = database.connect(url, autocommit=True)
    with contextlib.closing(admin):
        while not stop.is_set() and not found:
            row = admin.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND state = 'active' "
                "AND query ILIKE 'COPY%%' AND pid <> pg_backend_pid() LIMIT 1",
                [name],
            ).fetchone()
            if row:
                admin.execute("SELECT pg_terminate_backend(%s)", [row[0]])
                found.append(int(row[0]))
            else:
                time.sleep(0.005)


def test_a_backend_killed_mid_run_is_exit_4_and_one_line(db_url: str, tmp_path: Path) -> None:
    found: list[int] = []
    stop = threading.Event()
    killer = threading.Thread(target=_kill_first_copy, args=(db_url, found, stop))
    killer.start()
    try:
        env = {
            "SEED_HOME": str(tmp_path / "seed"),
            "DAGSTER_HOME": str(tmp_path / "dagster"),
            "DATABASE_URL": with_password(db_url),
        }
        done = run(["up", "--users", "20000", "--shard-size", "5000", "--skip-jobs"], env)
    finally:
        stop.set()
        killer.join()
    assert found, "no COPY was seen"
    assert done.returncode == 4, done.stderr
    errors = [line for line in done.stderr.splitlines() if "error" in line.lower()]
    assert len(errors) == 1 and done.stderr.strip().splitlines()[-1] == errors[0], done.stderr
    assert "Traceback" not in done.stderr and PASSWORD not in done.stdout + done.stderr


def test_a_database_lost_mid_run_is_not_an_unreachable_one(server_url: str) -> None:
    """Reaching a database again after it went away (a crash, a full disk) is a failure of the
    run (exit 4), not a database that cannot be reached (exit 3); a never-reached one is."""
    with fresh_database(server_url) as url:
        database.connect(url, autocommit=True).close()
    # fresh_database dropped it: this process had reached it, so it was lost
    with pytest.raises(database.DatabaseLost, match="mid-run"):
        database.connect(url, autocommit=True)
    never = urlunsplit(urlsplit(url)._replace(path="/never_created_here"))
    with pytest.raises(database.DatabaseError, match="cannot connect"):
        database.connect(never, autocommit=True)


@pytest.mark.parametrize("command", [["up", "--users", "10"], ["extend", "--days", "1"], ["audit"]])
def test_a_production_environment_makes_no_embedded_server(
    command: list[str], tmp_path: Path
) -> None:
    """Without DATABASE_URL, SEED_ENVIRONMENT naming production is refused before a cluster is
    made or started in SEED_HOME."""
    env = {
        "SEED_HOME": str(tmp_path / "seed"),
        "DAGSTER_HOME": str(tmp_path / "dagster"),
        "SEED_ENVIRONMENT": "prodeu",
    }
    result = invoke(command, env)
    assert_one_line(result.exit_code, result.stdout, result.stderr, 5, PASSWORD)
    assert not (tmp_path / "seed" / "pgdata").exists()


def test_the_marker_is_written_whole_or_not_at_all(
    conn: psycopg.Connection, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process that dies between creating seed_marker and writing its row must not leave an
    empty marker table (the database would then look like someone else's)."""
    from seed_assets import ddl

    create = ddl.create_table

    def create_then_die(c: psycopg.Connection, table: object) -> None:
        create(c, table)  # type: ignore[arg-type]
        raise KeyboardInterrupt  # the process stops here

    monkeypatch.setattr(ddl, "create_table", create_then_die)
    with pytest.raises(KeyboardInterrupt):
        guard.init(conn, db_url)
    assert not guard.has_tables(conn)
    monkeypatch.setattr(ddl, "create_table", create)
    assert guard.ensure_writable(conn, db_url, "seed up").environment == "development"
