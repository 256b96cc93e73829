"""Candidate decks: who each user can be shown, and in which order — O(N), never O(N^2).

Users are grouped into buckets by (market, gender, seeking). A market is a city, or for small
populations a band of neighbouring cities (so a 1,000-user seed still has decks worth swiping).
A user's deck is the concatenation of the buckets in their market whose gender they seek and who
seek their gender, so decks are
symmetric: v is in u's deck exactly when u is in v's. Each user walks their deck in a keyed affine
permutation ``(a*k + b) mod M`` (``a`` coprime with ``M``): position k of the walk is a pure
function of k, and the inverse ("at which position does u meet v?") is O(1).
"""

from __future__ import annotations

import dataclasses
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from seed_assets import calibration, pools
from seed_assets.config import SeedParams
from seed_assets.generators.population import population
from seed_assets.rng import Rng

I64 = NDArray[np.int64]
_GENDERS, _SEEKING = 3, 3  # male, female, nonbinary / male, female, everyone
_EVERYONE = 2
_SEGMENTS = 6


@dataclasses.dataclass(frozen=True, eq=False)
class Decks:
    order: I64  # user indexes sorted by bucket
    rank: I64  # position of each user in ``order``
    bucket: I64  # bucket of each user
    bucket_start: I64  # first position of each bucket in ``order``
    seg_bucket: I64  # (n, 6): the buckets of each user's deck, -1 when unused
    seg_offset: I64  # (n, 6): where each segment starts within the deck
    size: I64  # deck size M per user
    a: I64
    b: I64
    a_inv: I64

    def candidate(self, u: I64, position: I64) -> I64:
        """The user index at ``position`` of u's walk (positions must be < size[u])."""
        idx = (self.a[u] * position + self.b[u]) % self.size[u]
        seg = _segment_of(self.seg_offset[u], self.seg_bucket[u], idx)
        within = idx - self.seg_offset[u, seg]
        return self.order[self.bucket_start[self.seg_bucket[u, seg]] + within]

    def position(self, u: I64, v: I64) -> I64:
        """The position of v in u's walk (v must be in u's deck)."""
        seg = np.argmax(self.seg_bucket[u] == self.bucket[v][:, None], axis=1)
        idx = self.seg_offset[u, seg] + self.rank[v] - self.bucket_start[self.bucket[v]]
        return (self.a_inv[u] * ((idx - self.b[u]) % self.size[u])) % self.size[u]


def _segment_of(offsets: I64, buckets: I64, idx: I64) -> I64:
    """The last used segment that starts at or before ``idx`` (slots may be unused: -1)."""
    started = (idx[:, None] >= offsets) & (buckets >= 0)
    return np.where(started, np.arange(offsets.shape[1]), -1).max(axis=1)


def _targets(seeking: I64) -> NDArray[np.bool_]:
    """(n, genders): which genders each user wants to see."""
    out = np.zeros((len(seeking), _GENDERS), dtype=bool)
    out[seeking == _EVERYONE] = True
    single = seeking != _EVERYONE
    out[np.nonzero(single)[0], seeking[single]] = True
    return out


def markets(params: SeedParams) -> I64:
    """Market of each city: cities sorted west to east, cut into as many contiguous bands as the
    population fills (``market_users`` per market), at most one per city."""
    act = calibration.load(params.calibration)["activity"]
    longitude = pools.table("cities.csv")["longitude"].cast(float).to_numpy()
    count = int(np.clip(round(params.users / act["market_users"]), 1, len(longitude)))
    band = np.empty(len(longitude), dtype=np.int64)
    band[np.argsort(longitude, kind="stable")] = np.arange(len(longitude)) * count // len(longitude)
    return band


@lru_cache(maxsize=2)
def decks(params: SeedParams) -> Decks:
    pop = population(params)
    p = pop.people
    n = pop.n
    market = markets(params)[p.city]
    bucket = (market * _GENDERS + p.gender) * _SEEKING + p.seeking
    order = np.argsort(bucket, kind="stable")
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    n_buckets = int(market.max() + 1) * _GENDERS * _SEEKING
    counts = np.bincount(bucket, minlength=n_buckets)
    bucket_start = np.cumsum(counts) - counts

    seg_bucket = np.full((n, _SEGMENTS), -1, dtype=np.int64)
    seg_len = np.zeros((n, _SEGMENTS), dtype=np.int64)
    targets = _targets(p.seeking)
    has_exact = p.gender != _EVERYONE  # nobody seeks "nonbinary" exactly, only "everyone"
    slot = 0
    for g in range(_GENDERS):
        # Buckets of gender g that accept u: those seeking u's gender, and those seeking everyone.
        for seeks, ok in ((p.gender, has_exact), (np.full(n, _EVERYONE), True)):
            valid = targets[:, g] & ok
            b = (market * _GENDERS + g) * _SEEKING + seeks
            seg_bucket[valid, slot] = b[valid]
            seg_len[valid, slot] = counts[b[valid]]
            slot += 1
    seg_offset = np.cumsum(seg_len, axis=1) - seg_len
    size = seg_len.sum(axis=1)

    s = Rng(params.run_seed).stream("deck-walk")
    ids = p.ids
    safe = np.maximum(size, 1)
    a = 1 + s.integers(0, safe, ids, 1)
    for _ in range(64):  # the next coprime value is always close
        bad = np.gcd(a, safe) != 1
        if not bad.any():
            break
        a = np.where(bad, a + 1, a)
    a %= safe
    a = np.where(a == 0, 1, a)
    b = s.integers(0, safe, ids, 2)
    a_inv = np.array(
        [pow(int(x), -1, int(m)) if m > 1 else 0 for x, m in zip(a, safe, strict=True)], np.int64
    )
    return Decks(order, rank, bucket, bucket_start, seg_bucket, seg_offset, size, a, b, a_inv)
