"""A bulk load's finish: the primary keys, indexes, foreign keys and statistics of tables loaded
bare (``ddl.ensure_schema(bare=True)``), built in bulk on a few connections, after the load
(``finish_bulk_load``) or table by table while the rest still loads (``BulkFinisher``)."""

from __future__ import annotations

import threading
from collections.abc import Collection
from concurrent.futures import Future, ThreadPoolExecutor
from graphlib import TopologicalSorter

import psycopg
import sqlalchemy as sa

from seed_assets.ddl import (
    add_then_validate,
    analyze_sql,
    execute,
    existing_constraints,
    foreign_key_sql,
    foreign_keys,
    index_sql,
    primary_key_statements,
)
from seed_assets.partitions import is_day_partitioned
from seed_assets.schema import metadata


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
        present = existing_constraints(conn)
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
            keys[table.name] += index_sql(table)
    for name in tables_to_analyze:
        keys[name].append(analyze_sql(name, only))
    largest = sorted(chosen, key=lambda t: -int(sizes.get(t) or 0))
    _pooled(url, [keys[t] for t in largest if keys[t]], workers)

    added = [fk for fk in foreign_keys() if fk.table.name in chosen and fk.name not in present]
    checks: dict[str, list[str]] = {name: [] for name in chosen}
    with database.connection(url, autocommit=True) as conn:
        for fk in added:
            if is_day_partitioned(fk.table.name):  # (PostgreSQL has no NOT VALID for those)
                checks[fk.table.name].append(foreign_key_sql(fk))
            else:
                add, validate = add_then_validate(fk)
                execute(conn, add)
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
            present = existing_constraints(conn)
            statements = primary_key_statements(present, [name])
            statements += [*index_sql(metadata.tables[name]), analyze_sql(name, only)]
            for statement in statements:
                execute(conn, statement)
            # Its foreign keys too, where what they refer to is finished already: validated now,
            # they are not left for the end. (The others wait for ``finish_bulk_load``.)
            for fk in self._ready_foreign_keys(name, present):
                for statement in add_then_validate(fk):
                    execute(conn, statement)

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
                    execute(conn, statement)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        for future in [pool.submit(worker) for _ in range(min(workers, len(jobs)))]:
            future.result()
