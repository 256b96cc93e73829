"""The bulk finisher's task graph: each written table finished in the background, the rest of
the finish started once every expected table is, and ``complete`` leaving the schema whole."""

from __future__ import annotations

import time

import psycopg

from seed_assets import bulk_finish, ddl
from seed_assets.schema import CATALOG, IDENTITY


def _constraints(conn: psycopg.Connection, kind: str) -> set[str]:
    rows = conn.execute(
        "SELECT conname FROM pg_constraint WHERE contype = %s AND connamespace = "
        "current_schema()::regnamespace",
        (kind,),
    ).fetchall()
    return {r[0] for r in rows}


def _identity_foreign_keys() -> set[str]:
    return {str(fk.name) for t in IDENTITY for fk in t.foreign_key_constraints}


def _wait_for(conn: psycopg.Connection, names: set[str], seconds: float = 60.0) -> set[str]:
    deadline = time.perf_counter() + seconds
    while not names <= (found := _constraints(conn, "f")) and time.perf_counter() < deadline:
        time.sleep(0.05)
    return found


def test_the_rest_starts_once_every_expected_table_is_finished(
    conn: psycopg.Connection, db_url: str
) -> None:
    ddl.ensure_schema(conn, bare=True)
    tables = [t.name for t in (*CATALOG, *IDENTITY)]
    fks = _identity_foreign_keys()
    assert fks and not fks & _constraints(conn, "f")
    finisher = bulk_finish.BulkFinisher(db_url)
    try:
        finisher.expect(tables, tables)
        for name in tables[:-1]:
            finisher.table_written(name)
        time.sleep(0.5)
        # quiz_results is not finished: its own foreign keys (to users, quiz_questions) wait.
        last = {str(fk.name) for fk in IDENTITY[-1].foreign_key_constraints}
        assert last and not last & _constraints(conn, "f")
        finisher.table_written(tables[-1])
        # Without ``complete``: the last table written starts the rest of the finish.
        assert fks <= _wait_for(conn, fks)
        finisher.complete(tables, tables=tables)
    finally:
        finisher.close()
    assert {f"{t}_pkey" for t in tables} <= _constraints(conn, "p")
    assert fks <= _constraints(conn, "f")


def test_complete_finishes_what_was_never_written(conn: psycopg.Connection, db_url: str) -> None:
    ddl.ensure_schema(conn, bare=True)
    tables = [t.name for t in (*CATALOG, *IDENTITY)]
    finisher = bulk_finish.BulkFinisher(db_url)
    try:
        finisher.expect(tables, tables)
        finisher.table_written(tables[0])  # the phase stopped after its first table
        finisher.complete(tables, tables=tables)
    finally:
        finisher.close()
    assert {f"{t}_pkey" for t in tables} <= _constraints(conn, "p")
    assert _identity_foreign_keys() <= _constraints(conn, "f")
