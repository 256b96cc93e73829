"""Schema creation, idempotent, with a bulk-load mode for empty databases.

``ensure_schema`` creates whatever is missing: tables, then (unless ``bare``) primary keys,
indexes and foreign keys. A first load into an empty database runs ``ensure_schema(bare=True)``
(the identity and activity tables without even their primary keys), loads, then
``finish_bulk_load`` (or ``BulkFinisher``, table by table as they are written): building keys and
indexes and validating foreign keys once, in bulk, is much faster than maintaining them row by row
(DESIGN.md §4).
"""

from __future__ import annotations

import threading
from collections.abc import Collection
from concurrent.futures import Future, ThreadPoolExecutor
from graphlib import TopologicalSorter
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


def _execute(conn: psycopg.Connection, statement: str) -> None:
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
        present = _existing_constraints(conn) | {
            _pkey(t) for t in metadata.tables.values() if t.name not in tables
        }
        statements += primary_key_statements(present) + index_statements()
        statements += foreign_key_statements(conn)
    for statement in statements:
        _execute(conn, statement)
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
    _execute(conn, create_table_sql(table))


def index_statements() -> list[str]:
    return [statement for table in metadata.sorted_tables for statement in _index_sql(table)]


def foreign_key_statements(conn: psycopg.Connection) -> list[str]:
    present = _existing_constraints(conn)
    return [_sql(AddConstraint(fk)) for fk in _foreign_keys() if fk.name not in present]


def finish_bulk_load(
    url: str,
    tables_to_analyze: list[str],
    workers: int = 2,
    tables: Collection[str] | None = None,
) -> None:
    """After a bare load: primary keys, indexes, foreign keys and statistics of ``tables``
    (default: every table), table by table on ``workers`` connections at once, largest first.

    First each table's primary key, indexes and ANALYZE. Then the foreign keys are added
    ``NOT VALID`` (catalog only, instant) and each table validates its own: validation locks the
    referenced table only against writes, so tables that all refer to ``users`` validate side by
    side, while ``ADD FOREIGN KEY`` would serialise on it. (A partitioned table cannot take a
    ``NOT VALID`` key: its keys are added, validated, in its own job.) A table's work runs on one
    connection, so no two connections wait on each other's locks.
    """
    from seed_assets import database

    chosen = {t.name for t in metadata.sorted_tables if tables is None or t.name in tables}
    with database.connection(url, autocommit=True) as conn:
        only = conn.info.server_version >= 180000
        present = _existing_constraints(conn)
        sizes = dict(
            conn.execute(  # type: ignore[arg-type]
                "SELECT relname, pg_total_relation_size(oid) FROM pg_class "
                "WHERE relnamespace = current_schema()::regnamespace AND relkind IN ('r', 'p')"
            ).fetchall()
        )
    keys: dict[str, list[str]] = {name: [] for name in chosen}
    for table in metadata.sorted_tables:
        if table.name in chosen:
            keys[table.name] += primary_key_statements(present, [table.name])
            keys[table.name] += _index_sql(table)
    for name in tables_to_analyze:
        keys[name].append(_analyze_sql(name, only))
    largest = sorted(chosen, key=lambda t: -int(sizes.get(t) or 0))
    _pooled(url, [keys[t] for t in largest if keys[t]], workers)

    added = [fk for fk in _foreign_keys() if fk.table.name in chosen and fk.name not in present]
    checks: dict[str, list[str]] = {name: [] for name in chosen}
    with database.connection(url, autocommit=True) as conn:
        for fk in added:
            if is_day_partitioned(fk.table.name):  # (PostgreSQL has no NOT VALID for those)
                checks[fk.table.name].append(_sql(AddConstraint(fk)))
            else:
                add, validate = _add_then_validate(fk)
                _execute(conn, add)
                checks[fk.table.name].append(validate)
    _pooled(url, [checks[t] for t in largest if checks[t]], workers)


class BulkFinisher:
    """Finishes a bulk load's tables while the rest still loads, as a task graph.

    Each written table (``table_written``) is a task: its primary key, indexes and ANALYZE, and
    the foreign keys whose referenced table is finished already, built on a background connection
    (two at most) while the next tables are generated and loaded: on two cores the generation
    leaves a backend idle much of the time. ``expect`` adds the phase's last task, the rest of the
    finish (``finish_bulk_load`` over its scope: the foreign keys), which a
    ``graphlib.TopologicalSorter`` starts once every expected table is finished, while Dagster
    still records the run. ``complete`` waits for the tasks and does (or checks) the rest.
    """

    _REST = ""  # the graph's node for the rest of the finish (no table has an empty name)

    def __init__(self, url: str) -> None:
        self._url = url
        # Two: the identity tier's tables are written by one step and finish close together.
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="seed-finisher")
        self._lock = threading.RLock()  # (a task finished already calls back at once)
        self._jobs: dict[str, Future[None]] = {}  # the tables' tasks, started when written
        self._graph: TopologicalSorter[str] | None = None  # the phase's tables, then the rest
        self._expected: set[str] = set()
        self._handed: set[str] = set()  # ready in the graph, not yet marked done
        self._scope: Collection[str] | None = None
        self._rest: Future[None] | None = None

    def expect(self, tables: Collection[str], scope: Collection[str] | None) -> None:
        """The tables the next phase writes. Once each of them (and any table still finishing)
        is finished, the rest of the finish (``finish_bulk_load`` over ``scope``) starts at once,
        in the background; ``complete`` then waits for it."""
        with self._lock:
            graph = TopologicalSorter({self._REST: {*tables, *self._jobs}}) if tables else None
            if graph is not None:
                graph.prepare()
            self._graph, self._expected, self._scope = graph, set(tables), scope
            self._handed, self._rest = set(), None
            self._advance()

    def table_written(self, name: str) -> None:
        with self._lock:
            if name in metadata.tables and name not in self._jobs:
                job = self._pool.submit(self._finish_table, name)
                self._jobs[name] = job
                job.add_done_callback(lambda job: self._finished(name, job))
                self._advance()

    def _finished(self, name: str, job: Future[None]) -> None:
        with self._lock:
            if job.exception() is None and self._graph and name in self._handed:
                self._handed.discard(name)
                self._graph.done(name)
                self._advance()

    def _advance(self) -> None:
        """Marks the graph's finished tables done and starts the rest when it is ready (called
        holding the lock)."""
        graph = self._graph
        while graph is not None and graph.is_active():
            ready = graph.get_ready()
            self._handed.update(ready)
            if self._REST in ready:
                self._rest = self._pool.submit(self._finish_rest, [], self._scope)
                return
            finished = [n for n in self._handed if n in self._jobs and self._jobs[n].done()]
            finished = [n for n in finished if self._jobs[n].exception() is None]
            if not finished:
                return
            for name in finished:
                self._handed.discard(name)
                graph.done(name)

    def _finish_table(self, name: str) -> None:
        from seed_assets import database

        with database.connection(self._url, autocommit=True) as conn:
            _build_session(conn)
            only = conn.info.server_version >= 180000
            present = _existing_constraints(conn)
            statements = primary_key_statements(present, [name])
            statements += [*_index_sql(metadata.tables[name]), _analyze_sql(name, only)]
            for statement in statements:
                _execute(conn, statement)
            # Its foreign keys too, where what they refer to is finished already: validated now,
            # they are not left for the end. (The others wait for ``finish_bulk_load``.)
            for fk in self._ready_foreign_keys(name, present):
                for statement in _add_then_validate(fk):
                    _execute(conn, statement)

    def _ready_foreign_keys(self, name: str, present: set[str]) -> list[sa.ForeignKeyConstraint]:
        """``name``'s foreign keys not yet there whose referenced table is complete: finished by
        this finisher, or not written in this phase and keyed."""
        if is_day_partitioned(name):  # (added validated, at the end)
            return []
        with self._lock:
            jobs, expected = dict(self._jobs), set(self._expected)
        ready = []
        for fk in sorted(metadata.tables[name].foreign_key_constraints, key=lambda c: str(c.name)):
            ref = fk.referred_table.name
            job = jobs.get(ref)
            done = job is not None and job.done() if ref in jobs else ref not in expected
            if fk.name not in present and ref != name and done and f"{ref}_pkey" in present:
                ready.append(fk)
        return ready

    def complete(self, tables_to_analyze: list[str], tables: Collection[str] | None = None) -> None:
        """Wait for the tables finished so far, then finish the rest (``finish_bulk_load``;
        started early if every expected table was finished, and then only checked here)."""
        with self._lock:
            rest, self._rest = self._rest, None
            self._graph, self._expected, self._handed = None, set(), set()
        if rest is not None:
            rest.result()
        self._finish_rest(tables_to_analyze, tables)

    def _finish_rest(self, tables_to_analyze: list[str], tables: Collection[str] | None) -> None:
        with self._lock:
            jobs = dict(self._jobs)
        for job in jobs.values():
            job.result()
        rest = [t for t in tables_to_analyze if t not in jobs]
        finish_bulk_load(self._url, rest, tables=tables)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def _index_sql(table: sa.Table) -> list[str]:
    return [
        _sql(CreateIndex(index, if_not_exists=True))
        for index in sorted(table.indexes, key=lambda i: str(i.name))
    ]


def _analyze_sql(table: str, only: bool) -> str:
    """On PostgreSQL 18+ a day-partitioned table gets ``ANALYZE ONLY`` (the parent's statistics,
    which autovacuum never gathers); its freshly loaded partitions are autovacuum's to analyze."""
    return f'ANALYZE ONLY "{table}"' if only and is_day_partitioned(table) else f'ANALYZE "{table}"'


def _foreign_keys() -> list[sa.ForeignKeyConstraint]:
    return [
        fk
        for table in metadata.sorted_tables
        for fk in sorted(table.foreign_key_constraints, key=lambda c: str(c.name))
    ]


def _add_then_validate(fk: sa.ForeignKeyConstraint) -> tuple[str, str]:
    """A foreign key added ``NOT VALID`` (the catalog only, instant), then its check of the rows
    (which locks the referenced table only against writes)."""
    add = _sql(AddConstraint(fk)) + " NOT VALID"
    return add, f'ALTER TABLE "{fk.table.name}" VALIDATE CONSTRAINT "{fk.name}"'


def _build_session(conn: psycopg.Connection) -> None:
    """A connection that builds keys and indexes: memory for the sort, and no parallel workers
    (two such connections already run side by side; on two cores PostgreSQL's workers for one
    build only add processes and a merge: about 0.4 core-seconds at 100,000 users)."""
    conn.execute("SET maintenance_work_mem = '256MB'")
    conn.execute("SET max_parallel_maintenance_workers = 0")


def _pooled(url: str, jobs: list[list[str]], workers: int) -> None:
    """Run each job's statements in order on one connection; ``workers`` jobs at a time, taken
    in the given order."""
    from seed_assets import database  # ddl stays importable without a connection layer

    pending = iter(jobs)
    lock = threading.Lock()

    def worker() -> None:
        with database.connection(url, autocommit=True) as conn:
            _build_session(conn)
            while True:
                with lock:
                    statements = next(pending, None)
                if statements is None:
                    return
                for statement in statements:
                    _execute(conn, statement)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        for future in [pool.submit(worker) for _ in range(min(workers, len(jobs)))]:
            future.result()


def drop_all(conn: psycopg.Connection) -> None:
    """Drop every table of the schema (used by tests and ``seed reset --scope all``)."""
    for table in reversed(metadata.sorted_tables):
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {} CASCADE").format(sql.Identifier(table.name)))
