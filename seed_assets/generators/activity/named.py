"""Named accounts: configured emails (QA testers' accounts in staging) with guaranteed activity.

The i-th named account is the i-th user, in id order, who signed up before the start date; its
email is the configured one. On the start date (day 0) it receives ``likes_received`` likes from
the far end of its own deck (people the simulation would show it, but late), likes back the first
``matches`` of them, talks with every one of those matches (at least ``messages_per_conversation``
messages, the same afternoon) and is shown ``feed_posts`` posts. The simulation never plays these
pairs itself (their organic swipes are dropped), so no pair is swiped twice. Everything is a pure
function of the parameters: rewriting day 0 restores it.
"""

from __future__ import annotations

import dataclasses
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from seed_assets import calibration
from seed_assets.config import SeedParams
from seed_assets.generators import identity
from seed_assets.generators.activity.decks import decks
from seed_assets.generators.clock import US_PER_DAY, US_PER_MINUTE
from seed_assets.generators.population import population
from seed_assets.rng import Rng

I64 = NDArray[np.int64]
_HOUR_US = 3_600 * 1_000_000


@dataclasses.dataclass(frozen=True, eq=False)
class Named:
    accounts: I64  # user indexes of the named accounts, in the configured order
    liker: I64  # per received like: who likes
    likee: I64  # per received like: the named account
    matched: NDArray[np.bool_]  # the named account likes back
    pair_keys: I64  # sorted min(u, v) * n + max(u, v) of every named pair
    is_named: NDArray[np.bool_]  # per user index


def account_indexes(params: SeedParams) -> I64:
    """The user indexes that carry the named accounts' emails."""
    return identity.named_ids(params) - 1


@lru_cache(maxsize=2)
def named(params: SeedParams) -> Named | None:
    if not params.named_accounts:
        return None
    need = calibration.load(params.calibration)["named_accounts"]
    pop, dk = population(params), decks(params)
    accounts = account_indexes(params)
    is_named = np.zeros(pop.n, dtype=bool)
    is_named[accounts] = True
    likers, likees, matched = [], [], []
    for a in accounts:
        size = int(dk.size[a])
        want = int(need["likes_received"])
        back = np.arange(size - 1, max(size - 1 - 8 * want, -1), -1, dtype=np.int64)
        found = dk.candidate(np.full(len(back), a), back) if size else back
        ok = (found != a) & (pop.signup_day[found] < 0) & ~is_named[found]
        _, first = np.unique(found[ok], return_index=True)
        chosen = found[ok][np.sort(first)][:want]
        likers.append(chosen)
        likees.append(np.full(len(chosen), a, dtype=np.int64))
        matched.append(np.arange(len(chosen)) < int(need["matches"]))
    liker = np.concatenate(likers) if likers else np.zeros(0, np.int64)
    likee = np.concatenate(likees) if likees else np.zeros(0, np.int64)
    keys = np.sort(np.minimum(liker, likee) * pop.n + np.maximum(liker, likee))
    return Named(accounts, liker, likee, np.concatenate(matched), keys, is_named)


def is_named_pair(params: SeedParams, u: I64, v: I64) -> NDArray[np.bool_]:
    """Which (u, v) pairs belong to the named accounts' guaranteed activity."""
    n = named(params)
    if n is None or not len(n.pair_keys):
        return np.zeros(len(u), dtype=bool)
    keys = np.minimum(u, v) * population(params).n + np.maximum(u, v)
    at = np.clip(np.searchsorted(n.pair_keys, keys), 0, len(n.pair_keys) - 1)
    return n.pair_keys[at] == keys


def swipes(params: SeedParams) -> tuple[I64, I64, NDArray[np.bool_], NDArray[np.bool_], I64]:
    """Day 0's guaranteed swipes: (swiper, target, first, match, microseconds in the day).

    Every swipe is a LIKE: the likes received in the early afternoon, the likes back minutes
    later (each such answer is a match)."""
    n = named(params)
    if n is None:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty.astype(bool), empty.astype(bool), empty
    ids = population(params).people.ids
    s = Rng(params.run_seed).stream("named")
    at = 12 * _HOUR_US + s.integers(0, 4 * _HOUR_US, ids[n.liker], ids[n.likee], 1)
    back = at + s.integers(US_PER_MINUTE, 45 * US_PER_MINUTE, ids[n.liker], ids[n.likee], 2)
    m = n.matched
    swiper = np.concatenate([n.liker, n.likee[m]])
    target = np.concatenate([n.likee, n.liker[m]])
    first = np.concatenate([np.ones(len(n.liker), bool), np.zeros(int(m.sum()), bool)])
    match = ~first
    return swiper, target, first, match, np.concatenate([at, back[m]])


def feed_posts(
    params: SeedParams, post_ids: I64, authors: I64, created_us: I64, day_start_us: int
) -> tuple[I64, I64, I64]:
    """Day 0's guaranteed feed: (viewer user index, post id, seen_at µs) per shown post."""
    n = named(params)
    if n is None:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    want = int(calibration.load(params.calibration)["named_accounts"]["feed_posts"])
    ids = population(params).people.ids
    s = Rng(params.run_seed).stream("named-feed")
    viewers, posts, seen = [], [], []
    late = day_start_us + US_PER_DAY - 2 * US_PER_MINUTE
    for a in n.accounts:
        ok = np.nonzero((authors != a) & (created_us < late))[0]
        order = ok[np.argsort(s.uniform(ids[a], post_ids[ok], 1), kind="stable")][:want]
        viewers.append(np.full(len(order), a, dtype=np.int64))
        posts.append(post_ids[order])
        seen.append(created_us[order] + US_PER_MINUTE)
    return np.concatenate(viewers), np.concatenate(posts), np.concatenate(seen)
