"""Generate partitions and write them, one transaction per (table, partition), all on one
pipelined writer; a table is handed back as soon as its last partition is committed."""

from __future__ import annotations

import datetime as dt
import queue
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import polars as pl
import psycopg

from seed_assets import database, ddl, guard, runs, versions
from seed_assets.config import SeedParams
from seed_assets.encoded import Encoded
from seed_assets.load import Provenance, WriteResult
from seed_assets.partitions import Partition
from seed_assets.pipeline import Writer, pipelined_writer
from seed_assets.progress import Progress

# One unit of work: a partition and a function producing {table: frame} for it (or the frame
# already encoded).
Rows = pl.DataFrame | Encoded
Work = tuple[Partition, Callable[[], Mapping[str, Rows]]]
Unit = tuple[str, Partition, Rows]


@dataclass(frozen=True)
class Target:
    """Where and how a step writes. ``run``: (run id, command) of a run that records its own steps
    in ``seed_runs`` (None when the `seed` CLI records the run itself, or there is no run);
    ``check``: the schema comparison made before the first write."""

    url: str
    bulk: bool
    run: tuple[str, str] | None
    check: Callable[[psycopg.Connection, Sequence[str]], None]


@dataclass(frozen=True)
class TableWritten:
    """One table's partitions, committed. ``seconds`` and ``generate_seconds`` are the step's wall
    and generation until then; ``results`` hold its own transactions."""

    table: str
    results: list[WriteResult]
    seconds: float
    generate_seconds: float

    @property
    def rows(self) -> int:
        return sum(r.rows for r in self.results)


def provenance(params: SeedParams, tables: Sequence[str]) -> Provenance:
    """The manifest's provenance of ``tables`` written together (one tier: one code version)."""
    return Provenance(params.run_seed, params.fingerprint(), versions.tables_version(tables))


def write_partitions(
    tables: Sequence[str],
    params: SeedParams,
    target: Target,
    listener: Progress,
    work: Iterable[Work],
) -> dict[str, TableWritten]:
    """Generate each unit of work and write its frames, one transaction per (table, partition).

    Generation of the next unit overlaps the loads of the previous ones (pipelined writer).
    """
    items = list(work)

    def produce(_: Writer) -> Iterator[Unit]:
        for part, make_frames in items:
            frames = make_frames()
            for table in tables:
                yield table, part, frames[table]

    written = write(tables, params, target, listener, [p for p, _ in items], produce)
    return {w.table: w for w in written}


def write_tables(
    tables: Sequence[str],
    params: SeedParams,
    target: Target,
    listener: Progress,
    parts: Sequence[Partition],
    make: Callable[[str, Partition], Rows],
) -> Iterator[TableWritten]:
    """Several tables over the same partitions, table by table in the given order (dependencies
    first), every partition one transaction, all on one pipelined writer: a table's loads
    overlap the generation of the next. Without a bulk load the tables have their foreign keys,
    so a table's partitions are committed before the next table's are written."""

    def produce(writer: Writer) -> Iterator[Unit]:
        for table in tables:
            if not target.bulk:
                writer.drain()
            for part in parts:
                yield table, part, make(table, part)

    return write(tables, params, target, listener, parts, produce)


def write(
    tables: Sequence[str],
    params: SeedParams,
    target: Target,
    listener: Progress,
    parts: Sequence[Partition],
    produce: Callable[[Writer], Iterator[Unit]],
) -> Iterator[TableWritten]:
    """Write what ``produce`` generates, ``parts`` of each of ``tables``, on a pipelined writer;
    hand back each table as soon as its last partition is committed (and those of the tables
    before it in ``tables``), while the writers go on with the others: Dagster records one table
    while the next loads."""
    started = time.perf_counter()
    days = sorted(p.lo for p in parts if isinstance(p.lo, dt.date))
    span = (days[0], days[-1]) if days else None
    _prepare(tables, params, target, span)
    tally = _Tally(tables, len(parts), listener, started)
    prov = provenance(params, tables)
    with pipelined_writer(target.url, prov, on_done=tally.done, bulk=target.bulk) as writer:
        units = produce(writer)
        while True:
            t0 = time.perf_counter()
            unit = next(units, None)
            tally.generate_s += time.perf_counter() - t0
            if unit is None:
                break
            writer.submit(*unit)
            yield from tally.ready()
        writer.drain()
    if target.run:
        counts = {t: sum(r.rows for r in tally.by_table[t]) for t in tables}
        with database.connection(target.url, autocommit=True) as conn:
            runs.record_step(conn, *target.run, params, span, counts)
    if not parts:
        for table in tables:
            listener.finish(table)
    yield from tally.ready()


def _prepare(
    tables: Sequence[str],
    params: SeedParams,
    target: Target,
    span: tuple[dt.date, dt.date] | None,
) -> None:
    """Before the first write: the guard, the schema check, the tables, the run's step."""
    with database.connection(target.url, autocommit=True) as conn:
        guard.ensure_writable(conn, target.url, f"writing {', '.join(tables)}")
        target.check(conn, tables)
        ddl.ensure_schema(conn, bare=target.bulk)
        if target.run:
            runs.record_step(conn, *target.run, params, span, None)


class _Tally:
    """The committed partitions of each table, counted on the writers' threads; tables complete
    are handed out in the order given (Dagster wants dependencies first)."""

    def __init__(
        self, tables: Sequence[str], parts: int, listener: Progress, started: float
    ) -> None:
        self.started = started
        self.generate_s = 0.0
        self.by_table: dict[str, list[WriteResult]] = defaultdict(list)
        self._parts = parts
        self._listener = listener
        self._lock = threading.Lock()
        self._finished: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._complete: set[str] = set()
        self._pending = list(tables)
        for table in tables:
            listener.start(table, parts)

    def done(self, result: WriteResult) -> None:
        """One partition committed (on a writer's thread)."""
        self._listener.advance(result.table, result.rows)
        with self._lock:
            self.by_table[result.table].append(result)
            last = len(self.by_table[result.table]) == self._parts
        if last:
            self._listener.finish(result.table)  # its keys may be built now
            self._finished.put(result.table)

    def ready(self) -> Iterator[TableWritten]:
        while not self._finished.empty():
            self._complete.add(self._finished.get())
        while self._pending and (self._pending[0] in self._complete or not self._parts):
            table = self._pending.pop(0)
            seconds = time.perf_counter() - self.started
            yield TableWritten(table, self.by_table[table], seconds, self.generate_s)
