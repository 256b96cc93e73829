"""Schema creation, idempotent, with a bulk-load mode for empty databases.

``ensure_schema`` creates whatever is missing: tables, then (unless ``bare``) indexes and foreign
keys. A first load into an empty database runs ``ensure_schema(bare=True)``, loads, then
``ensure_schema()`` + ``analyze()``: building indexes and validating foreign keys once, in bulk, is
an order of magnitude faster than maintaining them row by row (DESIGN.md §4).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import psycopg
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.schema import AddConstraint, CreateIndex, CreateTable

from seed_assets.schema import metadata

_DIALECT = pg.dialect()  # type: ignore[no-untyped-call]


def _sql(element: sa.schema.ExecutableDDLElement) -> str:
    return str(element.compile(dialect=_DIALECT))


def existing_tables(conn: psycopg.Connection) -> set[str]:
    rows = conn.execute(
        "SELECT relname FROM pg_class WHERE relnamespace = current_schema()::regnamespace "
        "AND relkind IN ('r', 'p')"
    ).fetchall()
    return {r[0] for r in rows}


def _existing_constraints(conn: psycopg.Connection) -> set[str]:
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
        exists = f'SELECT EXISTS (SELECT 1 FROM "{name}")'
        if conn.execute(exists).fetchone() == (True,):  # type: ignore[arg-type]
            return False
    return True


def ensure_schema(conn: psycopg.Connection, *, bare: bool = False) -> list[str]:
    """Create missing tables, then (unless ``bare``) indexes and foreign keys; return the DDL."""
    tables = existing_tables(conn)
    statements = [
        create_table_sql(table) for table in metadata.sorted_tables if table.name not in tables
    ]
    if not bare:
        statements += index_statements() + foreign_key_statements(conn)
    for statement in statements:
        conn.execute(statement)  # type: ignore[arg-type]
    return statements


def create_table_sql(table: sa.Table) -> str:
    """CREATE TABLE IF NOT EXISTS, without foreign keys (they are added separately)."""
    return _sql(CreateTable(table, include_foreign_key_constraints=[], if_not_exists=True))


def index_statements() -> list[str]:
    return [
        _sql(CreateIndex(index, if_not_exists=True))
        for table in metadata.sorted_tables
        for index in sorted(table.indexes, key=lambda i: str(i.name))
    ]


def foreign_key_statements(conn: psycopg.Connection) -> list[str]:
    present = _existing_constraints(conn)
    return [
        _sql(AddConstraint(fk))
        for table in metadata.sorted_tables
        for fk in sorted(table.foreign_key_constraints, key=lambda c: str(c.name))
        if fk.name not in present
    ]


def finish_bulk_load(url: str, tables_to_analyze: list[str], workers: int = 2) -> None:
    """After a bare load: build secondary indexes on ``workers`` connections at once (index builds
    on different tables do not block each other), add the foreign keys (each validated by one
    query, not per row; they serialise on the referenced table's lock), then ANALYZE the given
    tables."""
    from seed_assets import database

    indexes = index_statements()
    _parallel(url, [indexes[i::workers] for i in range(workers)])
    with database.connection(url, autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '256MB'")
        ensure_schema(conn)  # the foreign keys (and anything else still missing)
    analyze(url, tables_to_analyze, workers)


def analyze(url: str, tables: list[str], workers: int = 2) -> None:
    """ANALYZE the tables on ``workers`` connections at once.

    On PostgreSQL 18+ a day-partitioned table gets ``ANALYZE ONLY`` (the parent's statistics,
    which autovacuum never gathers); its freshly loaded partitions are autovacuum's to analyze.
    """
    from seed_assets import database

    with database.connection(url, autocommit=True) as conn:
        only = conn.info.server_version >= 180000
    partitioned = {
        t.name
        for t in metadata.sorted_tables
        if t.dialect_options["postgresql"].get("partition_by")
    }
    statements = [
        f'ANALYZE ONLY "{t}"' if only and t in partitioned else f'ANALYZE "{t}"' for t in tables
    ]
    _parallel(url, [statements[i::workers] for i in range(workers)])


def _parallel(url: str, batches: list[list[str]]) -> None:
    from seed_assets import database  # ddl stays importable without a connection layer

    def run(statements: list[str]) -> None:
        with database.connection(url, autocommit=True) as conn:
            conn.execute("SET maintenance_work_mem = '256MB'")
            for statement in statements:
                conn.execute(statement)  # type: ignore[arg-type]

    with ThreadPoolExecutor(max_workers=len(batches)) as pool:
        list(pool.map(run, batches))


def drop_all(conn: psycopg.Connection) -> None:
    """Drop every table of the schema (used by tests and ``seed reset --scope all``)."""
    for table in reversed(metadata.sorted_tables):
        conn.execute(f'DROP TABLE IF EXISTS "{table.name}" CASCADE')  # type: ignore[arg-type]
