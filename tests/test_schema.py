"""Schema: every table of the spec, written once, created idempotently, bulk mode finalised."""

from __future__ import annotations

import psycopg

from seed_assets import ddl, frames
from seed_assets.schema import (
    ACTIVITY,
    CATALOG,
    DERIVED,
    IDENTITY,
    OPS,
    depends_on,
    logical_references,
    metadata,
    reads_activity,
    reads_every_partition,
)
from seed_assets.schema import table as schema_table

SPEC_TABLES = {
    "users", "profiles", "profile_media", "interest_subjects", "user_interests", "interest_dirty",
    "quiz_results", "posts", "likes", "matches", "conversations", "messages", "feed_seen",
    "match_scores", "compatibility", "interest_relationships", "searchable_users", "user_traits",
    "quiz_stats", "trending", "seed_runs", "seed_manifest",
}  # fmt: skip


def test_every_table_of_the_spec_is_declared() -> None:
    assert set(metadata.tables) >= SPEC_TABLES
    tiers = {t.name: t.info["tier"] for t in (*CATALOG, *IDENTITY, *ACTIVITY, *DERIVED, *OPS)}
    assert set(tiers) == set(metadata.tables)


def test_frames_derive_from_the_schema() -> None:
    for table in metadata.sorted_tables:
        assert frames.columns(table.name) == [c.name for c in table.columns]
        assert len(frames.column_metadata(table.name)) == len(table.columns)


def test_ensure_schema_is_idempotent(conn: psycopg.Connection) -> None:
    first = ddl.ensure_schema(conn)
    assert any(s.startswith("\nCREATE TABLE") or "CREATE TABLE" in s for s in first)
    second = ddl.ensure_schema(conn)
    assert not [s for s in second if "CREATE TABLE" in s or "ADD CONSTRAINT" in s]
    assert ddl.existing_tables(conn) >= SPEC_TABLES


def test_bare_then_full_adds_foreign_keys_and_indexes(conn: psycopg.Connection) -> None:
    ddl.ensure_schema(conn, bare=True)
    fk_count = "SELECT count(*) FROM pg_constraint WHERE contype = 'f'"
    assert conn.execute(fk_count).fetchone() == (0,)
    assert ddl.is_empty(conn)
    ddl.ensure_schema(conn)
    row = conn.execute(fk_count).fetchone()
    assert row is not None and row[0] > 20
    deferrable = conn.execute(
        "SELECT bool_and(condeferrable AND condeferred) FROM pg_constraint WHERE contype = 'f'"
    ).fetchone()
    assert deferrable == (True,)


def test_activity_tables_are_partitioned_by_day(conn: psycopg.Connection) -> None:
    ddl.ensure_schema(conn)
    rows = conn.execute(
        "SELECT c.relname FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid"
    ).fetchall()
    assert {r[0] for r in rows} == {t.name for t in ACTIVITY}


def test_table_info_names_tables_and_columns_that_exist() -> None:
    """``depends_on`` names earlier or same-tier tables (no cycle), ``reads_every_partition`` a
    subset of them, and each logical reference a column of the table and of its target that no
    foreign key already enforces."""
    rank = {"catalog": 0, "identity": 1, "activity": 2, "derived": 3}
    for t in (*IDENTITY, *ACTIVITY, *DERIVED):
        upstream = depends_on(t)
        assert t.name not in upstream
        for name in upstream:
            assert rank[schema_table(name).info["tier"]] <= rank[t.info["tier"]], (t.name, name)
        assert set(reads_every_partition(t)) <= set(upstream), t.name
        enforced = {fk.parent.name for fk in t.foreign_keys}
        for column, target, target_column in logical_references(t):
            assert column in t.columns and column not in enforced, (t.name, column)
            assert target_column in schema_table(target).columns, (t.name, target)
    for t in (*CATALOG, *OPS):
        assert not depends_on(t) and not logical_references(t)
    assert {t.name for t in DERIVED if reads_activity(t)} == {"user_traits", "trending"}
