"""The write path against a real PostgreSQL: idempotence, atomicity, locking, the manifest."""

from __future__ import annotations

import threading

import polars as pl
import psycopg
import pytest

from seed_assets import bulk_finish, database, ddl
from seed_assets.encoded import partition_digest
from seed_assets.generators import CATALOG, IDENTITY
from seed_assets.load import Provenance, write_partition
from seed_assets.partitions import Partition, shard_partition, whole_table
from seed_assets.schema import metadata
from tests.conftest import SMALL, row_count, table_digest

PROV = Provenance(SMALL.run_seed, SMALL.fingerprint(), "test")


@pytest.fixture
def schema(conn: psycopg.Connection) -> psycopg.Connection:
    ddl.ensure_schema(conn)
    for name, make in CATALOG.items():
        write_partition(conn, name, whole_table(), make(), PROV)
    return conn


def _ids(part: Partition) -> tuple[int, int]:
    """A shard partition's user ids ``[lo, hi)``."""
    assert isinstance(part.lo, int) and isinstance(part.hi, int)
    return part.lo, part.hi


def _write_users(conn: psycopg.Connection, key: str) -> None:
    part = shard_partition(SMALL, key)
    write_partition(conn, "users", part, IDENTITY["users"](SMALL, *_ids(part)), PROV)


def _manifest(conn: psycopg.Connection, table: str, key: str) -> tuple[int, str] | None:
    row = conn.execute(
        "SELECT row_count, digest FROM seed_manifest WHERE table_name = %s AND partition_key = %s",
        [table, key],
    ).fetchone()
    return (int(row[0]), str(row[1])) if row else None


def test_twice_equals_once_and_manifest_matches_table(schema: psycopg.Connection) -> None:
    _write_users(schema, "s0001")
    once = (
        row_count(schema, "users"),
        table_digest(schema, "users"),
        _manifest(schema, "users", "s0001"),
    )
    _write_users(schema, "s0001")
    twice = (
        row_count(schema, "users"),
        table_digest(schema, "users"),
        _manifest(schema, "users", "s0001"),
    )
    assert once == twice
    assert once[0] == 250
    assert partition_digest(schema, "users", shard_partition(SMALL, "s0001")) == once[2]


def test_rewrite_replaces_only_its_partition(schema: psycopg.Connection) -> None:
    for key in ("s0000", "s0001"):
        _write_users(schema, key)
    schema.execute("UPDATE users SET email = 'tampered@example.com' WHERE id = 1")
    schema.execute("DELETE FROM users WHERE id = 300")
    _write_users(schema, "s0001")  # repairs 300, leaves shard s0000's tampering alone
    assert row_count(schema, "users") == 500
    emails = dict(schema.execute("SELECT id, email FROM users WHERE id IN (1, 300)").fetchall())
    assert emails[1] == "tampered@example.com"
    assert emails[300].startswith("seed_300.")
    stored = partition_digest(schema, "users", shard_partition(SMALL, "s0000"))
    assert stored != _manifest(schema, "users", "s0000")  # the tampering is visible


def test_failed_write_leaves_the_old_partition(schema: psycopg.Connection) -> None:
    _write_users(schema, "s0002")
    before = (table_digest(schema, "users"), _manifest(schema, "users", "s0002"))
    part = shard_partition(SMALL, "s0002")
    bad = IDENTITY["users"](SMALL, *_ids(part)).with_columns(
        pl.when(pl.col("id") == _ids(part)[1] - 1)
        .then(pl.lit(None))
        .otherwise(pl.col("email"))
        .alias("email")
    )  # a NOT NULL violation in the very last row, after the DELETE ran
    with pytest.raises(psycopg.errors.NotNullViolation):
        write_partition(schema, "users", part, bad, PROV)
    assert (table_digest(schema, "users"), _manifest(schema, "users", "s0002")) == before


def test_rows_outside_the_partition_bounds_are_refused(schema: psycopg.Connection) -> None:
    part = shard_partition(SMALL, "s0000")
    frame = IDENTITY["users"](SMALL, 1, 260)  # ten rows belong to the next shard
    with pytest.raises(RuntimeError, match="bounds"):
        write_partition(schema, "users", part, frame, PROV)
    assert row_count(schema, "users") == 0


def test_concurrent_writers_of_one_partition_serialise(
    schema: psycopg.Connection, db_url: str
) -> None:
    part = shard_partition(SMALL, "s0003")
    frame = IDENTITY["users"](SMALL, *_ids(part))
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            with database.connection(db_url) as c:
                write_partition(c, "users", part, frame, PROV)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert row_count(schema, "users") == 250


def test_catalog_partition_is_the_whole_table(schema: psycopg.Connection) -> None:
    assert row_count(schema, "interest_subjects") == 25
    write_partition(
        schema, "interest_subjects", Partition("all"), CATALOG["interest_subjects"](), PROV
    )
    assert row_count(schema, "interest_subjects") == 25


def _primary_keys(conn: psycopg.Connection) -> set[str]:
    rows = conn.execute(
        "SELECT conrelid::regclass::text FROM pg_constraint "
        "WHERE contype = 'p' AND connamespace = current_schema()::regnamespace "
        "AND conparentid = 0"
    ).fetchall()
    return {r[0] for r in rows}


def test_a_bulk_load_builds_the_deferred_keys_at_the_end(
    conn: psycopg.Connection, db_url: str
) -> None:
    """Bare identity tables have no primary key while they load; a partition written twice in
    bulk mode (the second time its manifest row exists) still holds its rows once; the finish
    builds every key, index and foreign key the schema declares."""
    ddl.ensure_schema(conn, bare=True)
    assert "users" not in _primary_keys(conn) and "likes" not in _primary_keys(conn)
    assert {"interest_subjects", "seed_manifest", "match_scores"} <= _primary_keys(conn)
    for name, make in CATALOG.items():
        write_partition(conn, name, whole_table(), make(), PROV, bulk=True)
    for _ in range(2):
        for key in ("s0000", "s0001"):
            part = shard_partition(SMALL, key)
            frame = IDENTITY["users"](SMALL, *_ids(part))
            write_partition(conn, "users", part, frame, PROV, bulk=True)
    assert row_count(conn, "users") == 500
    bulk_finish.finish_bulk_load(db_url, ["users"])
    with database.connection(db_url, autocommit=True) as other:
        keyed = _primary_keys(other)
        left = ddl.ensure_schema(other)  # nothing is missing any more (indexes: IF NOT EXISTS)
    assert {t.name for t in metadata.sorted_tables} == keyed
    assert [s for s in left if "IF NOT EXISTS" not in s] == []


def test_a_seeded_run_restores_keys_an_interrupted_bulk_load_left_out(
    conn: psycopg.Connection,
) -> None:
    ddl.ensure_schema(conn, bare=True)
    part = shard_partition(SMALL, "s0000")
    for name, make in CATALOG.items():
        write_partition(conn, name, whole_table(), make(), PROV, bulk=True)
    write_partition(conn, "users", part, IDENTITY["users"](SMALL, *_ids(part)), PROV, bulk=True)
    # The load stops here; the next run finds rows, so it is not a bulk load: the schema is
    # completed first, keys included.
    assert not ddl.is_empty(conn)
    added = ddl.ensure_schema(conn)
    assert any("users_pkey" in s for s in added)
    assert "users" in _primary_keys(conn)
