"""Schema drift: every write command compares the live schema with the expected one before it
writes anything and refuses (exit 2) with the diff; `seed audit` reports it as a gap.

One small database is seeded once per module and copied for each test; each drift case is
applied to its own copy with real DDL on a real PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import psycopg
import pytest
from click.testing import CliRunner, Result

from seed_assets import audit, catalog, database, ddl, drift, expected, guard, orchestrate
from seed_assets.cli import main
from seed_assets.config import SeedParams
from seed_assets.definitions import build_all_assets
from seed_assets.progress import Progress
from seed_assets.schema import ACTIVITY, CATALOG, DERIVED, IDENTITY, metadata
from tests.conftest import fresh_database, row_count
from tests.test_cli import run

SEEDED = [t.name for t in (*CATALOG, *IDENTITY, *ACTIVITY, *DERIVED)]
SEED = ["--users", "300", "--shard-size", "150", "--run-seed", "drift"]
UP = ["up", *SEED, "--days", "3"]


@pytest.fixture(scope="module")
def template(server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """300 users in two shards, 3 days of activity and the derived tables, seeded once."""
    home = tmp_path_factory.mktemp("drift")
    with fresh_database(server_url, "t_drift_template") as url:
        done = run(UP, _env(home, url))
        assert done.returncode == 0, done.stderr
        yield url


def _env(home: Path, url: str) -> dict[str, str]:
    return {
        "SEED_HOME": str(home / "seed"),
        "DAGSTER_HOME": str(home / "dagster"),
        "DATABASE_URL": url,
        "COLUMNS": "200",
    }


@pytest.fixture
def seeded(server_url: str, template: str) -> Iterator[str]:
    with fresh_database(server_url, "t_drift", template=template) as url:
        yield url


def cli(args: list[str], url: str, home: Path) -> Result:
    """A `seed` command in this process (the refusals come before any Dagster run)."""
    return CliRunner().invoke(main, args, env=_env(home, url), catch_exceptions=False)


def state(url: str) -> dict[str, object]:
    """What a write would change: rows per table, the manifest, the runs, the marker, the
    tables (a new day partition is a table too)."""
    with database.connection(url, autocommit=True) as conn:
        counts = {t: row_count(conn, t) for t in SEEDED if ddl.tables_exist(conn, t)}
        manifest = conn.execute(
            "SELECT count(*), max(written_at), md5(string_agg(digest, '' ORDER BY table_name, "
            "partition_key)) FROM seed_manifest"
        ).fetchone()
        runs_ = conn.execute("SELECT count(*), max(started_at) FROM seed_runs").fetchone()
        marker = conn.execute("SELECT * FROM seed_marker").fetchall()
        relations = conn.execute(
            "SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class "
            "WHERE relnamespace = current_schema()::regnamespace"
        ).fetchone()
    return {
        "counts": counts,
        "manifest": manifest,
        "runs": runs_,
        "marker": marker,
        "relations": relations,
    }


def test_a_fresh_schema_bare_or_keyed_has_no_differences(conn: psycopg.Connection) -> None:
    ddl.ensure_schema(conn, bare=True)  # a bulk load's tables: no primary keys yet
    assert drift.differences(conn) == []
    ddl.ensure_schema(conn)
    assert drift.differences(conn) == []
    live = catalog.read(conn)
    assert set(live.tables) == set(metadata.tables)
    # Every expected type is spelled as format_type prints it.
    for name, want in expected.expected_tables().items():
        assert [(c.name, c.type) for c in want.columns] == [
            (c.name, c.type) for c in live.tables[name].columns
        ]
    assert live.tables["likes"].partitioned
    assert live.tables["likes"].primary_key is not None
    assert live.tables["likes"].primary_key.columns == ("id", "day")
    fk = next(f for f in live.tables["likes"].foreign_keys if f.columns == ("liker_id",))
    assert (fk.ref_table, fk.ref_columns, fk.deferrable, fk.deferred) == (
        "users",
        ("id",),
        True,
        True,
    )
    assert live.tables["seed_runs"].column("started_at") == catalog.Column(
        "started_at", "timestamp with time zone", True, "now()"
    )


def test_the_catalog_reads_enums_identity_and_generated_columns(conn: psycopg.Connection) -> None:
    conn.execute("CREATE TYPE mood AS ENUM ('calm', 'busy')")
    conn.execute(
        "CREATE TABLE app_things (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
        "m mood NOT NULL, code varchar(4) UNIQUE, n integer, twice integer "
        "GENERATED ALWAYS AS (n * 2) STORED)"
    )
    table = catalog.read(conn).tables["app_things"]
    assert catalog.read(conn).enums == {"mood": ("calm", "busy")}
    assert [(c.name, c.type, c.not_null, c.identity, c.generated) for c in table.columns] == [
        ("id", "bigint", True, "always", False),
        ("m", "mood", True, "", False),
        ("code", "character varying(4)", False, "", False),
        ("n", "integer", False, "", False),
        ("twice", "integer", False, "", True),
    ]
    assert {(k.columns, k.primary) for k in table.keys} == {(("id",), True), (("code",), False)}
    assert [c.name for c in table.columns if not c.filled_without_value] == ["m"]


def test_expected_types_render_as_format_type() -> None:
    assert expected.normalise_type("VARCHAR(4)") == "character varying(4)"
    assert expected.normalise_type("TIMESTAMP") == "timestamp without time zone"
    assert expected.normalise_type("TIMESTAMP WITH TIME ZONE") == "timestamp with time zone"
    assert expected.normalise_type("NUMERIC(10, 2)") == "numeric(10,2)"
    assert expected.normalise_type("SMALLINT[]") == "smallint[]"
    assert guard.schema_fingerprint() == expected.fingerprint()


# (case, DDL, the diff line's start, the audit's gap kind)
CASES = [
    (
        "drop column",
        ["ALTER TABLE likes DROP COLUMN action"],
        "likes.action: missing (expected text NOT NULL); fix: ALTER TABLE",
        "drift",
    ),
    (
        "new NOT NULL column without default",
        [
            "ALTER TABLE likes ADD COLUMN source text NOT NULL DEFAULT 'app'",
            "ALTER TABLE likes ALTER COLUMN source DROP DEFAULT",
        ],
        "likes.source: extra column text NOT NULL without a default",
        "drift",
    ),
    (
        "bigint to integer",
        ["ALTER TABLE matches ALTER COLUMN user_a_id TYPE integer"],
        "matches.user_a_id: type integer, expected bigint; fix: ALTER TABLE",
        "drift",
    ),
    (
        "timestamptz to timestamp",
        ["ALTER TABLE messages ALTER COLUMN created_at TYPE timestamp"],
        "messages.created_at: type timestamp without time zone, expected timestamp with time zone",
        "drift",
    ),
    (
        "text to varchar(4)",
        ["ALTER TABLE likes ALTER COLUMN action TYPE varchar(4)"],
        "likes.action: type character varying(4), expected text",
        "drift",
    ),
    (
        "DROP NOT NULL",
        ["ALTER TABLE posts ALTER COLUMN body DROP NOT NULL"],
        "posts.body: nullable, expected NOT NULL; fix: ALTER TABLE",
        "drift",
    ),
    (
        "SET NOT NULL",
        [
            "UPDATE profiles SET bio = coalesce(bio, '')",
            "ALTER TABLE profiles ALTER COLUMN bio SET NOT NULL",
        ],
        "profiles.bio: NOT NULL, expected nullable (the generators write NULLs here); "
        'fix: ALTER TABLE "profiles" ALTER COLUMN "bio" DROP NOT NULL',
        "drift",
    ),
    (
        "bookkeeping column dropped",
        ["ALTER TABLE seed_runs DROP COLUMN versions"],
        'seed_runs.versions: missing (expected jsonb NOT NULL); fix: ALTER TABLE "seed_runs" ADD '
        'COLUMN "versions" jsonb NOT NULL (on an empty table)',
        "drift",
    ),
    (
        "dropped table",
        ["DROP TABLE messages"],
        "messages: table missing, although seed_manifest records 3 partitions of it; "
        "fix: run `seed repair`",
        "missing",
    ),
]


@pytest.mark.parametrize(("case", "ddl_", "line", "kind"), CASES, ids=[c[0] for c in CASES])
def test_drift_is_refused_before_writing_and_audited(
    case: str, ddl_: list[str], line: str, kind: str, seeded: str, tmp_path: Path
) -> None:
    with database.connection(seeded, autocommit=True) as conn:
        for statement in ddl_:
            conn.execute(statement)  # type: ignore[arg-type]
    before = state(seeded)
    table = line.split(".")[0].split(":")[0]
    for args in (["extend", "--days", "1"], UP):
        refused = cli(args, seeded, tmp_path)
        assert refused.exit_code == 2, refused.output
        lines = refused.stderr.strip().splitlines()
        assert "the database's schema differs from what seed-assets writes" in lines[0]
        assert "nothing was written" in lines[0]
        assert any(line in x for x in lines[1:]), refused.stderr
        assert "Traceback" not in refused.output
    assert state(seeded) == before  # nothing written: rows, manifest, runs, marker, tables

    for deep in ([], ["--deep"]):  # --deep reads every partition back: not a drifted table
        found = cli(["audit", "--json", *deep], seeded, tmp_path)
        assert found.exit_code == 6, found.output
        gaps = json.loads(found.stdout)["gaps"]
        assert (table, kind) in {(g["table"], g["kind"]) for g in gaps}, gaps
        if kind == "drift":
            assert any(line in g["detail"] for g in gaps if g["kind"] == "drift")
    assert state(seeded) == before


def test_repair_refuses_drift_but_recreates_a_dropped_table(seeded: str, tmp_path: Path) -> None:
    with database.connection(seeded, autocommit=True) as conn:
        conn.execute("ALTER TABLE likes ALTER COLUMN action TYPE varchar(4)")
        conn.execute("DROP TABLE feed_seen")
    before = state(seeded)
    refused = cli(["repair"], seeded, tmp_path)
    assert refused.exit_code == 2, refused.output
    assert "likes.action: type character varying(4)" in refused.stderr
    assert "feed_seen" not in refused.stderr  # a missing table is a gap repair fills
    assert state(seeded) == before
    with database.connection(seeded, autocommit=True) as conn:
        conn.execute("ALTER TABLE likes ALTER COLUMN action TYPE text")
    done = run(["repair"], _env(tmp_path, seeded))
    assert done.returncode == 0, done.stdout + done.stderr
    assert audit.run(seeded).ok


def test_a_seeded_database_has_no_drift_and_the_marker_names_its_schema(
    seeded: str, tmp_path: Path
) -> None:
    with database.connection(seeded, autocommit=True) as conn:
        assert drift.differences(conn) == []
        marker = guard.read_marker(conn)
        assert marker is not None and marker.schema_fingerprint == expected.fingerprint()
        conn.execute("UPDATE seed_marker SET schema_fingerprint = 'older'")
        drift.check(conn, "test")  # no difference: the marker is brought up to date
        marker = guard.read_marker(conn)
        assert marker is not None and marker.schema_fingerprint == expected.fingerprint()
    assert audit.run(seeded).ok


def test_the_real_command_prints_the_diff_and_exits_2(seeded: str, tmp_path: Path) -> None:
    with database.connection(seeded, autocommit=True) as conn:
        conn.execute("ALTER TABLE likes DROP COLUMN action")
    before = state(seeded)
    done = run(["extend", "--days", "1"], _env(tmp_path, seeded))
    assert done.returncode == 2, done.stdout + done.stderr
    assert "likes.action: missing (expected text NOT NULL)" in done.stderr
    assert "Traceback" not in done.stderr
    assert state(seeded) == before


def test_a_run_from_the_ui_is_refused_before_its_first_write(seeded: str) -> None:
    """An asset materialised outside the CLI (the UI, a schedule, a script) checks too."""
    with database.connection(seeded, autocommit=True) as conn:
        conn.execute("ALTER TABLE posts ALTER COLUMN body DROP NOT NULL")
    before = state(seeded)
    params = SeedParams(run_seed="drift", users=300, shard_size=150)
    assets = build_all_assets(params)
    resources = orchestrate.resources(params, seeded, bulk=False, progress=Progress())
    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize(
            assets,
            instance=instance,
            resources=resources,
            selection=["interest_subjects"],
            raise_on_error=False,
        )
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert "posts.body: nullable, expected NOT NULL" in str(failure.step_failure_data.error)
    assert state(seeded) == before


def test_every_write_command_refuses_drift(seeded: str, tmp_path: Path) -> None:
    export = tmp_path / "export"
    done = cli(["export", "--out", str(export), *SEED], seeded, tmp_path)
    assert done.exit_code == 0, done.output
    with database.connection(seeded, autocommit=True) as conn:
        conn.execute("ALTER TABLE users ALTER COLUMN email TYPE varchar(200)")
    before = state(seeded)
    commands = [
        ["extend", "--days", "1"],
        UP,
        ["jobs"],
        ["jobs", "--only", "quiz_stats"],
        ["repair"],
        ["load", "--from", str(export)],
    ]
    for args in commands:
        refused = cli(args, seeded, tmp_path)
        assert refused.exit_code == 2, (args, refused.output)
        assert "users.email: type character varying(200), expected text" in refused.stderr
    assert state(seeded) == before
