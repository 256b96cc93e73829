"""What a command gives the generators of the steps it runs, explicitly: identity shards made
ahead of the steps (a :class:`~seed_assets.prefetch.Prefetcher`) and the disk memo of earlier
days (:class:`~seed_assets.memo.Memo`). Neither changes a byte: without them the steps generate
everything themselves."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from seed_assets import generators
from seed_assets.config import SeedParams
from seed_assets.encoded import Encoded
from seed_assets.generators.activity import simulate_day
from seed_assets.memo import NO_MEMO, Memo
from seed_assets.prefetch import Prefetcher


@dataclass(frozen=True)
class Generation:
    prefetcher: Prefetcher | None = None
    memo: Memo = NO_MEMO

    def identity(self, params: SeedParams, table: str, lo: int, hi: int) -> pl.DataFrame | Encoded:
        """The users ``[lo, hi)`` of an identity table: prefetched, or generated now."""
        made = self.prefetcher.take(params, table, lo, hi) if self.prefetcher else None
        return made if made is not None else generators.IDENTITY[table](params, lo, hi)

    def day(self, params: SeedParams, day: int) -> dict[str, pl.DataFrame]:
        """Every activity table's rows for ``day``, with the memo of earlier days."""
        return simulate_day(params, day, self.memo)
