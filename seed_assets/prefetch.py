"""Identity partitions generated ahead of the asset steps that write them.

``seed up`` knows the population before Dagster is even imported. Importing it, starting the
database and making the instance take seconds in which the second core idles; meanwhile a
background thread generates, sorts and encodes identity shards (``encoded.encode_partition``), in
the order the steps will ask for them, holding at most ``budget_bytes`` that no step has taken
yet (checked before each batch, so one batch may go past it). Past that it waits, so on a large
population it keeps a fixed distance ahead of the writers and also fills the gaps between the
Dagster steps.

A step takes a ready shard instead of generating it, waits for one being generated, or generates
it itself when the thread has not reached it. The bytes are the same either way: generation is a
pure function of the parameters and the shard, and the manifest's digest is of those bytes.
The command that starts a prefetcher hands it to the steps (:class:`seed_assets.write.Generation`)
and stops it when they are done. Nothing here touches a database or Dagster.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

import polars as pl

from seed_assets import generators, partitions
from seed_assets.config import SeedParams
from seed_assets.encoded import Encoded, encode_partition
from seed_assets.partitions import Partition
from seed_assets.schema import table as schema_table

DEFAULT_BUDGET_BYTES = 256 * 2**20
BATCH_USERS = 100_000  # users generated per call
Key = tuple[str, int, int]  # (table, first user id, end user id)


class Prefetcher:
    """Encodes ``(table, shard)`` pairs of one parameter set on a daemon thread, in order."""

    def __init__(
        self,
        params: SeedParams,
        order: Iterable[str],
        budget_bytes: int = DEFAULT_BUDGET_BYTES,
    ) -> None:
        self.fingerprint = params.fingerprint()
        self._params = params
        batches = _batches(partitions.shard_partitions(params), BATCH_USERS)
        self._plan = [(table, batch) for table in order for batch in batches]
        self._budget = budget_bytes
        self._ready: dict[Key, Encoded] = {}
        self._owner: dict[Key, str] = {}  # who generates a shard: "thread" or "step"
        self._taken: set[Key] = set()
        self._held = 0  # bytes generated and not taken yet
        self._stopped = False
        self._failed: BaseException | None = None
        self._idle = False  # done, failed, or waiting for steps to take what it holds
        self._finished = False
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="seed-prefetch", daemon=True)

    def start(self) -> Prefetcher:
        self._thread.start()
        return self

    @classmethod
    def identity(cls, params: SeedParams, budget_bytes: int = DEFAULT_BUDGET_BYTES) -> Prefetcher:
        """A started prefetcher of ``params``'s identity tier, in the order the steps write it."""
        return cls(params, generators.IDENTITY_ORDER, budget_bytes).start()

    def join(self, timeout: float | None = None) -> None:
        """Wait until the thread has nothing more to generate (or is held by the budget)."""
        with self._cond:
            self._cond.wait_for(lambda: self._idle or self._stopped, timeout)

    def ready(self) -> int:
        """How many shards are generated and not taken yet."""
        with self._cond:
            return len(self._ready)

    def stop(self) -> None:
        """Generate nothing more and drop what no step has taken."""
        with self._cond:
            self._stopped = True
            self._ready.clear()
            self._held = 0
            self._cond.notify_all()

    def take(self, params: SeedParams, table: str, lo: int, hi: int) -> Encoded | None:
        """The encoded shard if this prefetcher has it or is making it (waits for it); None when
        the caller must generate it itself (other parameters, not reached yet, taken before)."""
        if params.fingerprint() != self.fingerprint:
            return None
        key = (table, lo, hi)
        with self._cond:
            owner = self._owner.setdefault(key, "step")  # unclaimed: the thread will skip it
            if owner == "step" or key in self._taken:
                return None
            while key not in self._ready and self._failed is None and not self._stopped:
                self._cond.wait()
            data = self._ready.pop(key, None)
            if data is not None:
                self._held -= data.nbytes
                self._taken.add(key)
                if not self._finished and self._held < self._budget:
                    self._idle = False  # the thread goes on
                self._cond.notify_all()
            return data

    def _run(self) -> None:
        try:
            for table, batch in self._plan:
                with self._cond:
                    while self._held >= self._budget and not self._stopped:
                        self._idle = True
                        self._cond.notify_all()
                        self._cond.wait()
                    self._idle = False
                    if self._stopped:
                        return
                    mine = [
                        p
                        for p in batch
                        if self._owner.setdefault(_key(table, p), "thread") == "thread"
                    ]
                if not mine:
                    continue
                # One call for the whole batch: few, long numpy and polars operations hold the
                # GIL for a small part of their time, so Dagster's import on the main thread
                # barely slows down. A range's rows are its shards' rows (a tested property).
                lo, hi = mine[0].ids()[0], mine[-1].ids()[1]
                whole = generators.IDENTITY[table](self._params, lo, hi)
                column = pl.col(schema_table(table).info["key"])
                for part in mine:
                    rows = whole.filter((column >= part.lo) & (column < part.hi))
                    data = encode_partition(table, part, rows)
                    with self._cond:
                        if self._stopped:
                            return
                        self._ready[_key(table, part)] = data
                        self._held += data.nbytes
                        self._cond.notify_all()
        except BaseException as exc:  # a step then generates the shard itself, and fails loudly
            with self._cond:
                self._failed = exc
        finally:
            with self._cond:
                self._idle = self._finished = True
                self._cond.notify_all()


def _key(table: str, part: Partition) -> Key:
    return table, *part.ids()


def _batches(shards: list[Partition], users: int) -> list[list[Partition]]:
    """Consecutive shards, about ``users`` users per batch."""
    out: list[list[Partition]] = []
    for part in shards:
        if out and part.ids()[1] - out[-1][0].ids()[0] <= users:
            out[-1].append(part)
        else:
            out.append([part])
    return out
