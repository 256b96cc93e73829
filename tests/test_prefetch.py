"""seed_assets.prefetch: shards generated ahead of their steps are the very bytes a step would
write, whatever the order in which steps ask for them."""

from __future__ import annotations

import polars as pl
import pytest

from seed_assets import generators, partitions, prefetch
from seed_assets.encoded import Encoded, encode_partition
from seed_assets.write import Generation
from tests.conftest import SMALL


def _direct(table: str, key: str) -> Encoded:
    part = partitions.shard_partition(SMALL, key)
    frame = generators.IDENTITY[table](SMALL, *part.ids())
    return encode_partition(table, part, frame)


def _bounds(key: str) -> tuple[int, int]:
    return partitions.shard_partition(SMALL, key).ids()


@pytest.mark.parametrize("batch_users", [250, 1_000], ids=["shard-batches", "one-batch"])
def test_prefetched_shards_are_the_bytes_a_step_would_write(
    monkeypatch: pytest.MonkeyPatch, batch_users: int
) -> None:
    """Batches of shards are generated in one call and split: a range's rows are its shards'."""
    monkeypatch.setattr(prefetch, "BATCH_USERS", batch_users)
    fetcher = prefetch.Prefetcher(SMALL, generators.IDENTITY_ORDER).start()
    try:
        fetcher.join(timeout=120)
        assert fetcher.ready() == len(generators.IDENTITY) * len(partitions.shard_keys(SMALL))
        for table in generators.IDENTITY_ORDER:
            for key in partitions.shard_keys(SMALL):
                got = fetcher.take(SMALL, table, *_bounds(key))
                assert got is not None, (table, key)
                want = _direct(table, key)
                assert (got.table, got.partition, got.rows) == (
                    want.table,
                    want.partition,
                    want.rows,
                )
                assert got.digest == want.digest and b"".join(got.chunks) == b"".join(want.chunks)
        assert fetcher.ready() == 0
    finally:
        fetcher.stop()


def test_the_thread_holds_no_more_than_its_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    """The budget is checked before each batch: with one shard per batch and a budget smaller
    than a shard, it holds one shard until a step takes it."""
    monkeypatch.setattr(prefetch, "BATCH_USERS", 250)
    fetcher = prefetch.Prefetcher(SMALL, ["users"], budget_bytes=1).start()
    try:
        for key in partitions.shard_keys(SMALL):
            fetcher.join(timeout=60)  # it stops at the budget
            assert fetcher.ready() == 1
            assert fetcher.take(SMALL, "users", *_bounds(key)) is not None
    finally:
        fetcher.stop()


def test_a_shard_a_step_claimed_first_is_left_to_the_step() -> None:
    keys = partitions.shard_keys(SMALL)
    fetcher = prefetch.Prefetcher(SMALL, ["users"])
    first, last = _bounds(keys[0]), _bounds(keys[-1])
    assert fetcher.take(SMALL, "users", *last) is None  # not reached yet: the step generates it
    fetcher.start()
    try:
        fetcher.join(timeout=60)
        assert fetcher.ready() == len(keys) - 1
        assert fetcher.take(SMALL, "users", *first) is not None
        assert fetcher.take(SMALL, "users", *first) is None  # taken once; a retry generates
        assert fetcher.take(SMALL, "users", *last) is None  # still the step's
        other = SMALL.replace(run_seed="another")
        assert fetcher.take(other, "users", *_bounds(keys[1])) is None  # other parameters: never
    finally:
        fetcher.stop()


def test_the_identity_prefetcher_serves_only_its_parameters() -> None:
    key = partitions.shard_keys(SMALL)[0]
    lo, hi = _bounds(key)
    fetcher = prefetch.Prefetcher.identity(SMALL)
    fetcher.join(timeout=120)
    generation = Generation(prefetcher=fetcher)
    try:
        assert fetcher.take(SMALL.replace(run_seed="another"), "users", lo, hi) is None
        got = fetcher.take(SMALL, "users", lo, hi)
        assert got is not None and got.digest == _direct("users", key).digest
    finally:
        fetcher.stop()
    assert fetcher.take(SMALL, "users", lo, hi) is None  # stopped: steps generate
    # What a step is given generates it then, the same rows.
    made = generation.identity(SMALL, "users", lo, hi)
    assert isinstance(made, pl.DataFrame) and made.equals(
        generators.IDENTITY["users"](SMALL, lo, hi)
    )
