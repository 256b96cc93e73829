"""``seed reset``: the scopes of the original scripts, as one guarded transaction.

- ``all``: every seeded table is dropped (the next ``seed up`` is a fast first load again);
  the marker and the ``seed_runs`` history stay.
- ``activity``: the activity tables are emptied (their day partitions dropped) and with them the
  derived tables computed from activity (``user_traits``, ``trending``); identity stays.
- ``derived``: the derived tables are emptied.

Manifest rows of whatever is removed are deleted in the same transaction.
"""

from __future__ import annotations

import uuid

import psycopg
from psycopg import sql
from psycopg.sql import Identifier

from seed_assets import ddl, guard, runs
from seed_assets.config import ConfigError
from seed_assets.load import lock_key
from seed_assets.schema import ACTIVITY, CATALOG, DERIVED, IDENTITY, reads_activity, seed_manifest

FROM_ACTIVITY = tuple(t.name for t in DERIVED if reads_activity(t))  # user_traits, trending
SCOPES: dict[str, tuple[str, ...]] = {
    "all": tuple(t.name for t in (*CATALOG, *IDENTITY, *ACTIVITY, *DERIVED)),
    "activity": tuple(t.name for t in ACTIVITY) + FROM_ACTIVITY,
    "derived": tuple(t.name for t in DERIVED),
}


def check_confirmation(conn: psycopg.Connection, confirm: str | None) -> str:
    """The database name, if ``confirm`` repeats it; otherwise refuse."""
    name = guard.database_name(conn)
    if confirm != name:
        shown = "missing" if confirm is None else f"{confirm!r}"
        raise guard.Refused(f"reset needs --confirm {name} (the database's name); got {shown}")
    return name


def day_partitions(conn: psycopg.Connection, parent: str) -> list[str]:
    rows = conn.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = to_regclass(%s) ORDER BY 1",
        [parent],
    ).fetchall()
    return [r[0] for r in rows]


def reset(conn: psycopg.Connection, url: str, scope: str, confirm: str | None) -> dict[str, int]:
    """Remove ``scope``'s tables' rows (one transaction); return rows removed per table."""
    if scope not in SCOPES:
        raise ConfigError(f"scope must be one of {', '.join(SCOPES)}, got {scope!r}")
    check_confirmation(conn, confirm)
    guard.ensure_writable(conn, url, f"seed reset --scope {scope}", adopt_empty=False)
    tables = [t for t in SCOPES[scope] if ddl.tables_exist(conn, t)]
    removed: dict[str, int] = {}
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", [lock_key("seed reset", scope)])
        for name in tables:
            row = conn.execute(
                sql.SQL("SELECT count(*) FROM {}").format(Identifier(name))
            ).fetchone()
            removed[name] = int(row[0]) if row else 0
        if scope == "all":
            for name in tables:
                conn.execute(sql.SQL("DROP TABLE IF EXISTS {} CASCADE").format(Identifier(name)))
        else:
            children = [c for name in tables for c in day_partitions(conn, name)]
            for child in children:
                conn.execute(sql.SQL("DROP TABLE {}").format(Identifier(child)))
            if tables:  # none of the scope's tables exist: nothing to remove is not an error
                listed = sql.SQL(", ").join(map(Identifier, tables))
                conn.execute(sql.SQL("TRUNCATE {}").format(listed))
        if ddl.tables_exist(conn, seed_manifest.name):
            conn.execute("DELETE FROM seed_manifest WHERE table_name = ANY(%s)", [list(tables)])
        if ddl.tables_exist(conn, "seed_runs"):
            runs.record_reset(conn, f"reset-{uuid.uuid4()}", scope, removed)
    return removed
