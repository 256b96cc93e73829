"""Schema creation, idempotent, with a bulk-load mode for empty databases.

``ensure_schema`` creates whatever is missing: tables, then (unless ``bare``) primary keys,
indexes and foreign keys. A first load into an empty database runs ``ensure_schema(bare=True)``
(the identity and activity tables without even their primary keys), loads, then
``bulk_finish.finish_bulk_load`` (or ``bulk_finish.BulkFinisher``, table by table as they are
written) with the statements made here: building keys and indexes and validating foreign keys
once, in bulk, is much faster than maintaining them row by row (DESIGN.md §4).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import LiteralString, cast

import psycopg
import sqlalchemy as sa
from psycopg import sql
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.schema import AddConstraint, CreateIndex, CreateTable

from seed_assets.partitions import is_day_partitioned
from seed_assets.schema import metadata

_DIALECT = pg.dialect()  # type: ignore[no-untyped-call]


def _sql(element: sa.schema.ExecutableDDLElement) -> str:
    return str(element.compile(dialect=_DIALECT))


def execute(conn: psycopg.Connection, statement: str) -> None:
    """Run a statement made here from the schema (SQLAlchemy's DDL, or names from the schema's
    metadata quoted): nothing in it comes from outside, so it is passed as the literal SQL the
    driver's types ask for."""
    conn.execute(cast(LiteralString, statement))


def existing_tables(conn: psycopg.Connection) -> set[str]:
    rows = conn.execute(
        "SELECT relname FROM pg_class WHERE relnamespace = current_schema()::regnamespace "
        "AND relkind IN ('r', 'p')"
    ).fetchall()
    return {r[0] for r in rows}


def existing_constraints(conn: psycopg.Connection) -> set[str]:
    rows = conn.execute(
        "SELECT conname FROM pg_constraint WHERE connamespace = current_schema()::regnamespace"
    ).fetchall()
    return {r[0] for r in rows}


def tables_exist(conn: psycopg.Connection, *names: str) -> bool:
    """True when every named table exists in the current schema."""
    row = conn.execute(
        "SELECT bool_and(to_regclass(quote_ident(n)) IS NOT NULL) FROM unnest(%s::text[]) AS n",
        [list(names)],
    ).fetchone()
    return bool(row and row[0])


def is_empty(conn: psycopg.Connection) -> bool:
    """True when no seeded table exists or holds a row (a first, bulk load is safe)."""
    bookkeeping = {"seed_marker", "seed_runs"}  # written before the first partition
    present = existing_tables(conn) & {t.name for t in metadata.sorted_tables} - bookkeeping
    for name in present:
        exists = sql.SQL("SELECT EXISTS (SELECT 1 FROM {})").format(sql.Identifier(name))
        if conn.execute(exists).fetchone() == (True,):
            return False
    return True


# On an empty database (a bulk load) these tiers' tables are created without their primary keys:
# a B-tree maintained row by row costs more than the COPY itself, one built at the end a fraction
# of it. The catalog, derived and ops tables keep theirs (they are small, or written with
# ON CONFLICT).
DEFERRED_KEYS = frozenset({"identity", "activity"})


def keys_deferred(table_name: str) -> bool:
    return metadata.tables[table_name].info.get("tier") in DEFERRED_KEYS


def ensure_schema(conn: psycopg.Connection, *, bare: bool = False) -> list[str]:
    """Create missing tables (``bare``: the identity and activity ones without their primary
    keys), then (unless ``bare``) missing primary keys, indexes and foreign keys; return the
    DDL."""
    tables = existing_tables(conn)
    statements = []
    for table in metadata.sorted_tables:
        if table.name not in tables:
            statements.append(create_table_sql(table))
            if bare and keys_deferred(table.name):
                statements.append(f'ALTER TABLE "{table.name}" DROP CONSTRAINT "{_pkey(table)}"')
    if not bare:
        present = existing_constraints(conn) | {
            _pkey(t) for t in metadata.tables.values() if t.name not in tables
        }
        statements += primary_key_statements(present) + index_statements()
        statements += foreign_key_statements(conn)
    for statement in statements:
        execute(conn, statement)
    return statements


def _pkey(table: sa.Table) -> str:
    return f"{table.name}_pkey"  # the naming convention's


def primary_key_statements(present: set[str], tables: Collection[str] | None = None) -> list[str]:
    """ADD PRIMARY KEY for the tables (default: all) whose key is not among ``present``."""
    # Written out: SQLAlchemy's AddConstraint would also drop the key from later CREATE TABLEs.
    statements = []
    for table in metadata.sorted_tables:
        if (tables is None or table.name in tables) and _pkey(table) not in present:
            columns = ", ".join(f'"{c.name}"' for c in table.primary_key.columns)
            add = f'ADD CONSTRAINT "{_pkey(table)}" PRIMARY KEY ({columns})'
            statements.append(f'ALTER TABLE "{table.name}" {add}')
    return statements


def create_table_sql(table: sa.Table) -> str:
    """CREATE TABLE IF NOT EXISTS, without foreign keys (they are added separately)."""
    return _sql(CreateTable(table, include_foreign_key_constraints=[], if_not_exists=True))


def create_table(conn: psycopg.Connection, table: sa.Table) -> None:
    """Create ``table`` if it does not exist (``create_table_sql``)."""
    execute(conn, create_table_sql(table))


def index_statements() -> list[str]:
    return [statement for table in metadata.sorted_tables for statement in index_sql(table)]


def foreign_key_statements(conn: psycopg.Connection) -> list[str]:
    present = existing_constraints(conn)
    return [foreign_key_sql(fk) for fk in foreign_keys() if fk.name not in present]


def foreign_key_sql(fk: sa.ForeignKeyConstraint) -> str:
    """ADD the foreign key, checking the rows as it is added."""
    return _sql(AddConstraint(fk))


def index_sql(table: sa.Table) -> list[str]:
    return [
        _sql(CreateIndex(index, if_not_exists=True))
        for index in sorted(table.indexes, key=lambda i: str(i.name))
    ]


def analyze_sql(table: str, only: bool) -> str:
    """On PostgreSQL 18+ a day-partitioned table gets ``ANALYZE ONLY`` (the parent's statistics,
    which autovacuum never gathers); its freshly loaded partitions are autovacuum's to analyze."""
    return f'ANALYZE ONLY "{table}"' if only and is_day_partitioned(table) else f'ANALYZE "{table}"'


def foreign_keys() -> list[sa.ForeignKeyConstraint]:
    return [
        fk
        for table in metadata.sorted_tables
        for fk in sorted(table.foreign_key_constraints, key=lambda c: str(c.name))
    ]


def add_then_validate(fk: sa.ForeignKeyConstraint) -> tuple[str, str]:
    """A foreign key added ``NOT VALID`` (the catalog only, instant), then its check of the rows
    (which locks the referenced table only against writes)."""
    add = foreign_key_sql(fk) + " NOT VALID"
    return add, f'ALTER TABLE "{fk.table.name}" VALIDATE CONSTRAINT "{fk.name}"'


def drop_all(conn: psycopg.Connection) -> None:
    """Drop every table of the schema (used by tests and ``seed reset --scope all``)."""
    for table in reversed(metadata.sorted_tables):
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {} CASCADE").format(sql.Identifier(table.name)))
