"""The pipelined writer: partitions written on background connections (``load.write_partition``,
one transaction each) while the caller generates the next ones."""

from __future__ import annotations

import queue
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager

import polars as pl
import psycopg

from seed_assets import database
from seed_assets.encoded import Encoded, encode_partition
from seed_assets.load import Provenance, WriteResult, write_partition
from seed_assets.partitions import Partition


@contextmanager
def pipelined_writer(
    url: str,
    provenance: Provenance,
    connections: int = 2,
    on_done: Callable[[WriteResult], None] | None = None,
    depth: int = 12,
    bulk: bool = False,
) -> Iterator[Writer]:
    """Write partitions on background connections while the caller generates the next ones.

    PostgreSQL's backends insert while this process encodes: even on two cores that overlap is
    worth 1.2-1.5x (DESIGN.md §4). At most ``depth`` frames wait in memory: enough for two
    simulated days of every activity table, so generation rarely waits for the writers.
    """
    pool = queue.SimpleQueue[psycopg.Connection]()
    opened = [database.connect(url) for _ in range(connections)]
    for conn in opened:
        pool.put(conn)
    threads = ThreadPoolExecutor(max_workers=connections, thread_name_prefix="seed-writer")
    writer = Writer(pool, threads, provenance, depth, on_done, bulk)
    try:
        yield writer
        writer.drain()
    finally:
        threads.shutdown(wait=True, cancel_futures=True)
        for conn in opened:
            conn.close()


class Writer:
    """Submits (table, partition, rows) writes to the pipelined writer's connections."""

    def __init__(
        self,
        connections: queue.SimpleQueue[psycopg.Connection],
        threads: ThreadPoolExecutor,
        prov: Provenance,
        depth: int,
        on_done: Callable[[WriteResult], None] | None,
        bulk: bool,
    ) -> None:
        self._connections, self._threads, self._prov = connections, threads, prov
        self._depth, self._on_done, self._bulk = depth, on_done, bulk
        self._pending: list[Future[WriteResult]] = []
        self.results: list[WriteResult] = []

    def _write(self, table_name: str, part: Partition, rows: pl.DataFrame | Encoded) -> WriteResult:
        # Encoded before a connection is taken: the other writer's connection stays busy.
        if not isinstance(rows, Encoded):
            rows = encode_partition(table_name, part, rows)
        conn = self._connections.get()
        try:
            result = write_partition(conn, table_name, part, rows, self._prov, self._bulk)
        finally:
            self._connections.put(conn)
        if self._on_done:
            self._on_done(result)
        return result

    def submit(self, table_name: str, part: Partition, rows: pl.DataFrame | Encoded) -> None:
        while len(self._pending) >= self._depth:
            self.results.append(self._pending.pop(0).result())
        self._pending.append(self._threads.submit(self._write, table_name, part, rows))

    def drain(self) -> list[WriteResult]:
        while self._pending:
            self.results.append(self._pending.pop(0).result())
        return self.results
