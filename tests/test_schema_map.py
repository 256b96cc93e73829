"""Seeding your own schema, first slice: the mapping format, `seed schema draft` and `seed schema
check`, on the two example apps' migrations applied to real, fresh databases."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import yaml
from click.testing import CliRunner, Result
from psycopg import sql

from seed_assets import catalog, database, ddl, schema
from seed_assets.cli import main
from seed_assets.target import check, expressions, ids, mapping, reading
from tests.conftest import fresh_database

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
PRISMA = EXAMPLES / "prisma-dating"
RAILS = EXAMPLES / "rails-social"
MIGRATIONS = {
    "prisma": [PRISMA / "migrations/20260101000000_init/migration.sql"],
    "rails": [RAILS / "db/structure.sql"],
}
APP_ROWS = {  # a row "the app" created: the commands must leave it alone
    "prisma": """INSERT INTO "User" VALUES ('app_user', 'app@example.com', 'x', now(), now())""",
    "rails": "INSERT INTO accounts (email, encrypted_password, created_at, updated_at) "
    "VALUES ('app@example.com', 'x', now(), now())",
}


def _apply(url: str, app: str) -> None:
    with database.connection(url, autocommit=True) as conn:
        for path in MIGRATIONS[app]:
            conn.execute(path.read_text())  # type: ignore[arg-type]
        conn.execute(APP_ROWS[app])  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def templates(server_url: str) -> Iterator[dict[str, str]]:
    """Each example app's database, migrated, with one app row (copied per test)."""
    with (
        fresh_database(server_url, "t_prisma") as prisma,
        fresh_database(server_url, "t_rails") as rails,
    ):
        _apply(prisma, "prisma")
        _apply(rails, "rails")
        yield {"prisma": prisma, "rails": rails}


@pytest.fixture
def app_db(server_url: str, templates: dict[str, str], request: pytest.FixtureRequest) -> Any:
    """``app_db("prisma")``: a fresh copy of that example's database (its URL)."""
    stack: list[Any] = []

    def make(app: str) -> str:
        ctx = fresh_database(server_url, f"t_{app}", template=templates[app])
        stack.append(ctx)
        return ctx.__enter__()

    yield make
    for ctx in reversed(stack):
        ctx.__exit__(None, None, None)


def snapshot(url: str) -> tuple[Any, ...]:
    """Everything a write would change: the schemas, the catalog of every schema, the row count
    of every table."""
    with database.connection(url, autocommit=True) as conn:
        schemas = [
            r[0]
            for r in conn.execute(
                "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' ORDER BY 1"
            ).fetchall()
        ]
        catalogs = {s: catalog.read(conn, s) for s in schemas if s != "information_schema"}
        counts = {(s, t): _count(conn, s, t) for s, cat in catalogs.items() for t in cat.tables}
    return schemas, catalogs, counts


def _count(conn: psycopg.Connection, schema: str, table: str) -> int:
    query = sql.SQL("SELECT count(*) FROM {}.{}").format(
        sql.Identifier(schema), sql.Identifier(table)
    )
    row = conn.execute(query).fetchone()
    return int(row[0]) if row else 0


def cli(args: list[str], url: str) -> Result:
    env = {"DATABASE_URL": url, "COLUMNS": "200", "SEED_VERBOSE": "0"}
    return CliRunner().invoke(main, args, env=env, catch_exceptions=False)


# --- the expression language and the ids, without a database -------------------------------------

COLUMNS = {
    "id": ("bigint", False),
    "birthdate": ("date", False),
    "created_at": ("timestamp with time zone", False),
    "bio": ("text", True),
}


@pytest.mark.parametrize(
    ("text", "type_", "nullable", "unique_over"),
    [
        ("created_at", "timestamp with time zone", False, {"created_at"}),
        ("age(birthdate, start_date())", "smallint", False, set()),
        ("pattern('tok_{id}')", "text", False, {"id"}),
        ("hash(id)", "text", False, {"id"}),
        ("hash(id, created_at)", "text", False, {"id", "created_at"}),
        ("pattern('{id}{created_at}')", "text", False, set()),
        ("concat('u', id)", "text", False, {"id"}),
        ("coalesce(bio, '')", "text", False, set()),
        ("'constant'", "text", False, set()),
        ("42", "integer", False, set()),
        ("null", "null", True, set()),
    ],
)
def test_expressions_are_typed(text: str, type_: str, nullable: bool, unique_over: set) -> None:
    typed = expressions.typed(expressions.parse(text), COLUMNS)
    assert (typed.type, typed.nullable, set(typed.unique_over)) == (type_, nullable, unique_over)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("age(birthdate)", "age() takes 2 argument(s), got 1"),
        ("now()", "unknown function now()"),
        ("created", "unknown column 'created'"),
        ("pattern('x_{nope}')", "unknown column {nope}"),
        ("age(bio, start_date())", "age() takes dates or timestamps, got text"),
        ("lower(id", "missing ')'"),
        ("__import__('os')", "unknown function __import__()"),
        ("1 + 1", "unexpected '+"),
        ("coalesce(bio, 1)", "coalesce() mixes types"),
    ],
)
def test_expression_errors(text: str, error: str) -> None:
    with pytest.raises(expressions.ExpressionError, match=None) as caught:
        expressions.typed(expressions.parse(text), COLUMNS)
    assert error in str(caught.value)


def test_derived_ids_are_deterministic_wide_and_disjoint_per_run_seed() -> None:
    for strategy in ("uuid", "cuid", "prefixed"):
        a = [ids.derive_id(strategy, "s1", "users", i, "usr_") for i in range(2000)]
        again = [ids.derive_id(strategy, "s1", "users", i, "usr_") for i in range(2000)]
        other = {ids.derive_id(strategy, "s2", "users", i, "usr_") for i in range(2000)}
        assert a == again and len(set(a)) == 2000 and not set(a) & other
    assert uuid.UUID(ids.derive_id("uuid", "s", "users", 1)).version == 8
    cuid = ids.derive_id("cuid", "s", "users", 1)
    assert len(cuid) == ids.id_length("cuid") == 25 and cuid.startswith("c")
    assert ids.derive_id("prefixed", "s", "users", 1, "usr_").startswith("usr_")
    assert ids.derive_id("keep", "s", "users", 7) == 7
    # A foreign key derives the same id as the row it references.
    assert ids.derive_id("cuid", "s", "users", 5) == ids.derive_id("cuid", "s", "users", 5)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("[tables.nope]\ntable = 'x'", "seed-map.toml:tables.nope: no such simulation table"),
        ("[tables.users]\ntable = 'u'\nid = 'random'", "tables.users.id: unknown id strategy"),
        ("[tables.users]\ntable = 'u'\nid = 'prefixed'", "tables.users.id_prefix: id = "),
        ("[tables.profiles]\ntable = 'p'\nid = 'uuid'", "profiles has no id of its own"),
        ("[tables.users]\ntable = 'u'\ncolums = {}", "tables.users.colums: unknown key"),
        ("[tables.users]\ntable = 'u'\ncolumns = {nope = 'x'}", "generates no column 'nope'"),
        ("[tables.users]\nskip = 'yes'", "tables.users.skip: must be true or false"),
        ("[tables.users]\ntable = 'u'\nvalues = {email = {a = 'b'}}", "which is not mapped"),
        ("version = 2", "seed-map.toml:version: unknown version 2"),
        ("[tables", "seed-map.toml: not valid TOML"),
    ],
)
def test_malformed_mapping_files_are_one_line_errors(text: str, error: str) -> None:
    with pytest.raises(mapping.MappingError) as caught:
        reading.loads(text)
    assert error in str(caught.value) and "\n" not in str(caught.value)


def test_skipping_a_table_leaves_out_its_dependents() -> None:
    m = reading.loads(
        "[tables.users]\nskip = true\n[tables.profiles]\ntable = 'p'\n"
        "[tables.interest_subjects]\ntable = 'i'\n[tables.searchable_users]\ntable = 's'\n"
        "[target]\njobs = false"
    )
    assert m.table("profiles").target is None
    assert m.table("profiles").left_out == "it references users, which is left out"
    assert m.table("interest_subjects").target == "i"
    assert m.table("searchable_users").left_out == "target.jobs = false"
    assert m.table("likes").left_out == "not in the mapping"


def test_yaml_and_toml_give_the_same_mapping() -> None:
    toml_text = (PRISMA / "seed-map.toml").read_text()
    import tomllib

    as_yaml = yaml.safe_dump(tomllib.loads(toml_text), sort_keys=False)
    a = reading.loads(toml_text, "a")
    b = reading.loads(as_yaml, "a", yaml=True)
    assert a == b


# --- draft ----------------------------------------------------------------------------------------


def test_draft_on_the_prisma_app_proposes_the_matches_and_writes_nothing(
    app_db: Any, tmp_path: Path
) -> None:
    url = app_db("prisma")
    before = snapshot(url)
    out = tmp_path / "seed-map.toml"
    result = cli(["schema", "draft", "--out", str(out)], url)
    assert result.exit_code == 0, result.output
    assert "schema draft: wrote" in result.stdout
    after = snapshot(url)
    assert after == before
    assert "seed_assets" not in after[0]  # no bookkeeping schema, no seed_* table
    assert not [t for cat in after[1].values() for t in cat.tables if t.startswith("seed_")]
    text = out.read_text()
    m = reading.load(out)
    users, likes, profiles = m.table("users"), m.table("likes"), m.table("profiles")
    assert (users.target, users.id) == ("User", "cuid")
    assert users.target_of("password_hash") == "passwordHash"
    assert users.fill == (mapping.Fill("updatedAt", "created_at"),)
    assert (likes.target, likes.target_of("liker_id"), likes.target_of("likee_id")) == (
        "Swipe",
        "fromUserId",
        "toUserId",
    )
    assert m.table("profile_media").target == "Photo"
    assert profiles.value_map("gender") == {
        "male": "MALE",
        "female": "FEMALE",
        "nonbinary": "NON_BINARY",
    }
    assert profiles.value_map("interested_in") == {
        "male": "MEN",
        "female": "WOMEN",
        "everyone": "EVERYONE",
    }
    assert m.table("messages").target_of("body") == "content"
    assert m.table("feed_seen").target is None
    assert 'table = "Swipe"  # guess: likes ~ Swipe' in text
    assert "left alone): Report" in text
    assert "recipient_id = false  # no counterpart: left out" in text
    # The draft as it stands checks clean; the refusal to overwrite it is bad input.
    assert cli(["schema", "check", "--mapping", str(out)], url).exit_code == 0
    assert "[tables.profiles]  # not written, left to the database: tags" in text
    again = cli(["schema", "draft", "--out", str(out)], url)
    assert again.exit_code == 2 and "give --force" in again.stderr
    wrong = cli(["schema", "draft", "--out", str(tmp_path / "map.txt")], url)
    assert wrong.exit_code == 2 and "must end in .toml, .yaml or .yml" in wrong.stderr
    nowhere = cli(["schema", "draft", "--out", "-", "--schema", "nope"], url)
    assert nowhere.exit_code == 2 and "schema 'nope' does not exist" in nowhere.stderr
    assert snapshot(url) == before


def test_draft_on_the_rails_app_as_yaml(app_db: Any, tmp_path: Path) -> None:
    url = app_db("rails")
    before = snapshot(url)
    out = tmp_path / "seed-map.yaml"
    result = cli(["schema", "draft", "--out", str(out)], url)
    assert result.exit_code == 0, result.output
    assert snapshot(url) == before
    data = yaml.safe_load(out.read_text())
    tables = data["tables"]
    assert tables["users"]["table"] == "accounts" and tables["users"]["id"] == "keep"
    assert tables["profiles"]["table"] == "member_profiles"
    assert tables["profiles"]["columns"]["user_id"] == "account_id"
    assert tables["profiles"]["columns"]["birthdate"] == "date_of_birth"
    assert tables["profiles"]["fill"]["age"] == "age(birthdate, start_date())"
    assert tables["profiles"]["values"]["gender"] == {"male": 0, "female": 1, "nonbinary": 2}
    assert tables["likes"]["table"] == "swipes"
    assert tables["likes"]["values"]["action"] == {"LIKE": True, "PASS": False}
    assert tables["user_interests"]["table"] == "account_interests"
    assert tables["messages"] == {"skip": True}
    assert "# guess: an integer enum (Rails)" in out.read_text()
    assert cli(["schema", "check", "--mapping", str(out)], url).exit_code == 0


# --- check ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("app", "summary"),
    [("prisma", "(7 tables, 43 columns mapped"), ("rails", "(8 tables, 50 columns mapped")],
)
def test_the_shipped_mappings_check_clean(app: str, summary: str, app_db: Any) -> None:
    url = app_db(app)
    shipped = (PRISMA if app == "prisma" else RAILS) / "seed-map.toml"
    result = cli(["schema", "check", "--mapping", str(shipped)], url)
    assert result.exit_code == 0, result.output
    assert f"schema check: clean {summary}" in result.stdout


def test_the_native_schema_is_the_default_mapping(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with database.connection(db_url, autocommit=True) as conn:
        ddl.ensure_schema(conn)
        live = catalog.read(conn)
    monkeypatch.chdir(tmp_path)  # no seed-map.toml here: the native schema is checked
    result = cli(["schema", "check"], db_url)
    assert result.exit_code == 0, result.output
    tables = len(mapping.native().mapped)
    assert f"schema check: clean ({tables} tables" in result.stdout
    assert "native schema" in result.stdout
    # The general path (the mapping's own checks) agrees with drift's comparison.
    generic = dataclasses.replace(mapping.native(), native=False)
    assert check.check(generic, live).differences == []
    # Drafted from the native schema, the mapping is the native one, without a guess.
    drafted = cli(["schema", "draft", "--out", "native.toml"], db_url)
    ops = len(schema.OPS)  # seed-assets' own bookkeeping: no simulation table fills them
    assert f"({tables} tables mapped, 0 guesses, {ops} unmapped)" in drafted.stdout, drafted.output
    assert reading.load(tmp_path / "native.toml").tables == mapping.native().tables
    assert cli(["schema", "check", "--mapping", "native.toml"], db_url).exit_code == 0
    # A drifted native schema is refused the way `seed up` refuses it.
    with database.connection(db_url, autocommit=True) as conn:
        conn.execute("ALTER TABLE likes ALTER COLUMN action TYPE varchar(4)")
    refused = cli(["schema", "check"], db_url)
    assert refused.exit_code == 2
    assert "likes.action: type character varying(4), expected text" in refused.stderr


def _drop_section(text: str, header: str) -> str:
    """``text`` without the TOML table ``header`` and its keys."""
    lines, out, skipping = text.splitlines(), [], False
    for line in lines:
        if line.startswith("["):
            skipping = line.split("#")[0].strip() == header
        if not skipping:
            out.append(line)
    return "\n".join(out) + "\n"


def _replace(old: str, new: str) -> Any:
    def edit(text: str) -> str:
        assert old in text, old
        return text.replace(old, new, 1)

    return edit


BAD = [
    # (id, app, SQL run on the app first, edit of the shipped mapping, the line expected)
    (
        "unknown table",
        "prisma",
        "",
        _replace('table = "Match"', 'table = "Matches"'),
        "Matches: no such table (mapped from tables.matches.table); fix: name an existing table",
    ),
    (
        "unknown column",
        "prisma",
        "",
        _replace('body = "content"', 'body = "text"'),
        "Message.text: no such column (mapped from tables.messages.columns.body)",
    ),
    (
        "NOT NULL without source or default",
        "prisma",
        "",
        _replace('updatedAt = "created_at"  # @updatedAt', "# updatedAt"),
        "User.updatedAt: NOT NULL column timestamp(3) without time zone NOT NULL without a "
        "default: the mapping neither maps a source column to it nor fills it",
    ),
    (
        "enum label into a too narrow varchar",
        "prisma",
        'ALTER TABLE "Profile" ADD COLUMN "goal" varchar(10)',
        _replace("intent = false  # no column for it: left out", 'intent = "goal"'),
        "Profile.goal: character varying(10) is too narrow for 'figuring_out' (12 characters)",
    ),
    (
        "bigint ids into integer",
        "rails",
        "ALTER TABLE matches ALTER COLUMN id TYPE integer",
        lambda text: text,
        "matches.id: integer is too narrow for bigint ids",
    ),
    (
        "free text into an enum",
        "prisma",
        'ALTER TABLE "Profile" ADD COLUMN "home" "Gender"',
        _replace('city = "city"', 'city = "home"'),
        "Profile.home: enum Gender (MALE, FEMALE, NON_BINARY), but the values are free text",
    ),
    (
        "enum label missing",
        "prisma",
        "",
        lambda text: _drop_section(text, "[tables.profiles.values.interested_in]"),
        "Profile.seeking: enum Seeking has no label 'male', 'female', 'everyone' (it has MEN, "
        "WOMEN, EVERYONE)",
    ),
    (
        "unique key the rows could violate",
        "prisma",
        'CREATE UNIQUE INDEX "Photo_userId_key" ON "Photo"("userId")',
        lambda text: text,
        "Photo: unique key Photo_userId_key (userId) could be violated: profile_media is "
        "unique only over (id)",
    ),
    (
        "foreign key into a table nothing fills",
        "prisma",
        'CREATE TABLE "Member" (LIKE "User" INCLUDING ALL)',
        _replace('table = "User"', 'table = "Member"'),
        "Profile.userId: foreign key Profile_userId_fkey references User, which no simulation "
        "table is mapped to, but it would hold ids of users, mapped to Member",
    ),
    (
        "duplicate target column",
        "prisma",
        "",
        _replace('job_title = "jobTitle"', 'job_title = "bio"'),
        "Profile.bio: written 2 times (tables.profiles.columns.bio, "
        "tables.profiles.columns.job_title)",
    ),
    (
        "expression error",
        "prisma",
        "",
        _replace('updatedAt = "start_date()"', 'updatedAt = "age(birthdate)"'),
        "Profile.updatedAt: tables.profiles.fill.updatedAt = 'age(birthdate)': age() takes 2 "
        "argument(s), got 1",
    ),
    (
        "id strategy on a non-text column",
        "rails",
        "",
        _replace('table = "accounts"\nid = "keep"', 'table = "accounts"\nid = "uuid"'),
        "accounts.id: bigint cannot hold the uuid ids of users",
    ),
    (
        "a value map key the simulation never writes",
        "prisma",
        "",
        _replace('nonbinary = "NON_BINARY"', 'non_binary = "NON_BINARY"'),
        "Profile.gender: tables.profiles.values.gender maps 'non_binary', which the simulation "
        "never writes (it writes male, female, nonbinary)",
    ),
    (
        "a generated column written",
        "rails",
        "ALTER TABLE posts DROP COLUMN body, "
        "ADD COLUMN body text GENERATED ALWAYS AS ('post ' || id) STORED",
        lambda text: text,
        "posts.body: a generated column: it cannot be written (from tables.posts.columns.body)",
    ),
    (
        "NULLs into a NOT NULL column",
        "prisma",
        'ALTER TABLE "Profile" ALTER COLUMN "bio" SET NOT NULL',
        lambda text: text,
        "Profile.bio: NOT NULL, but the simulation writes NULLs into it",
    ),
]


@pytest.mark.parametrize(
    ("app", "setup", "edit", "line"), [b[1:] for b in BAD], ids=[b[0] for b in BAD]
)
def test_a_bad_mapping_is_refused_with_its_line(
    app: str, setup: str, edit: Any, line: str, app_db: Any, tmp_path: Path
) -> None:
    url = app_db(app)
    if setup:
        with database.connection(url, autocommit=True) as conn:
            conn.execute(setup)  # type: ignore[arg-type]
    shipped = ((PRISMA if app == "prisma" else RAILS) / "seed-map.toml").read_text()
    bad = tmp_path / "seed-map.toml"
    bad.write_text(edit(shipped))
    before = snapshot(url)
    result = cli(["schema", "check", "--mapping", str(bad)], url)
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"error: schema check: {bad} does not fit the database")
    assert lines[0].endswith("nothing was written")
    assert any(line in x and "; fix: " in x for x in lines[1:]), result.stderr
    assert snapshot(url) == before


def test_the_catalog_reads_partial_unique_indexes_and_on_delete_actions(
    app_db: Any, tmp_path: Path
) -> None:
    url = app_db("prisma")
    with database.connection(url, autocommit=True) as conn:
        conn.execute(
            'CREATE UNIQUE INDEX "Photo_primary_key" ON "Photo"("userId") WHERE position = 0'
        )
        conn.execute('ALTER TABLE "Message" ADD COLUMN "clientRef" text UNIQUE')
        conn.execute(
            'ALTER TABLE "Message" ADD COLUMN "dedupe" text, '
            'ADD CONSTRAINT "Message_dedupe_key" UNIQUE NULLS NOT DISTINCT ("dedupe")'
        )
        live = catalog.read(conn)
    photo = {k.name: k for k in live.tables["Photo"].keys}
    assert photo["Photo_primary_key"].predicate == '("position" = 0)'
    assert photo["Photo_pkey"].predicate is None
    message = {k.name: k for k in live.tables["Message"].keys}
    assert message["Message_dedupe_key"].nulls_distinct is False
    assert message["Message_clientRef_key"].nulls_distinct is True
    fks = {fk.name: fk.on_delete for fk in live.tables["Swipe"].foreign_keys}
    assert fks == {"Swipe_fromUserId_fkey": "cascade", "Swipe_toUserId_fkey": "cascade"}
    # A partial unique key is checked like a whole one; a column left NULL satisfies a unique
    # key unless it is NULLS NOT DISTINCT.
    result = cli(["schema", "check", "--mapping", str(PRISMA / "seed-map.toml")], url)
    assert result.exit_code == 2
    problems = [x.split("; fix:")[0].strip() for x in result.stderr.splitlines()[1:]]
    assert problems == [
        'Photo: unique key Photo_primary_key (userId) WHERE ("position" = 0) could be violated: '
        "profile_media is unique only over (id)",
        "Message: unique key Message_dedupe_key (dedupe) could be violated: messages is unique "
        "only over (id, day); (id)",
    ]


def test_an_app_schema_other_than_public(db_url: str, tmp_path: Path) -> None:
    with database.connection(db_url, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA app")
        conn.execute("SET search_path = app")
        conn.execute(MIGRATIONS["rails"][0].read_text())  # type: ignore[arg-type]
    out = tmp_path / "seed-map.toml"
    drafted = cli(["schema", "draft", "--schema", "app", "--out", str(out)], db_url)
    assert drafted.exit_code == 0, drafted.output
    drafted_map = reading.load(out)
    assert drafted_map.schema == "app" and drafted_map.table("users").target == "accounts"
    assert cli(["schema", "check", "--mapping", str(out)], db_url).exit_code == 0
    # The shipped mapping names schema "public", which holds none of these tables.
    shipped = cli(["schema", "check", "--mapping", str(RAILS / "seed-map.toml")], db_url)
    assert shipped.exit_code == 2
    assert "accounts: no such table (mapped from tables.users.table)" in shipped.stderr
    missing = (RAILS / "seed-map.toml").read_text().replace('schema = "public"', 'schema = "ap"')
    (tmp_path / "typo.toml").write_text(missing)
    typo = cli(["schema", "check", "--mapping", str(tmp_path / "typo.toml")], db_url)
    assert typo.exit_code == 2 and "schema 'ap' does not exist" in typo.stderr


def test_a_host_the_guard_does_not_allow_is_refused_before_connecting(tmp_path: Path) -> None:
    url = "postgresql://seed@db.example.invalid:5432/app"
    for args in (["schema", "draft", "--out", "-"], ["schema", "check"]):
        result = cli(args, url)
        assert result.exit_code == 5, result.output
    assert not (tmp_path / "seed-map.toml").exists()


def test_check_reads_seed_map_toml_from_the_current_directory(
    app_db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = app_db("rails")
    (tmp_path / "seed-map.toml").write_text((RAILS / "seed-map.toml").read_text())
    monkeypatch.chdir(tmp_path)
    result = cli(["schema", "check"], url)
    assert result.exit_code == 0, result.output
    assert "seed-map.toml" in result.stdout
    assert "left out (not in the mapping): quiz_questions" in result.stdout
    assert "the app's next insert collides: interests.id, accounts.id, photos.id" in result.stdout
    missing = cli(["schema", "check", "--mapping", str(tmp_path / "nope.toml")], url)
    assert missing.exit_code == 2 and "cannot read the mapping" in missing.stderr
