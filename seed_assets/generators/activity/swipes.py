"""Swipes (likes and passes) and matches of one day, pure functions of (params, day).

For a pair (u, v) each user's deck reaches the other on a computable day D_u(v), D_v(u). The
earlier one swipes first (ties: the lower id). If the first swipe is a LIKE, the other answers on
the earlier of their own deck day and the day they review the likes they received (a keyed delay);
otherwise they answer when their deck gets there. So every pair is swiped at most once per
direction, and a match forms on the day of the later of two likes — all decided from the two
users' keys, without reading any other day's rows. Days before the start date are never played.
"""

from __future__ import annotations

import dataclasses
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from seed_assets import calibration
from seed_assets.config import SeedParams
from seed_assets.generators.activity import named
from seed_assets.generators.activity.budget import NEVER, budget
from seed_assets.generators.activity.decks import decks
from seed_assets.generators.clock import US_PER_DAY, US_PER_MINUTE, time_of_day_micros
from seed_assets.generators.population import population, since_signup_us
from seed_assets.memo import NO_MEMO, Memo
from seed_assets.rng import Rng
from seed_assets.scoring import compatibility

I64 = NDArray[np.int64]
B = NDArray[np.bool_]


@dataclasses.dataclass(frozen=True, eq=False)
class DaySwipes:
    """The swipes made on one day (user indexes, 0-based)."""

    swiper: I64
    target: I64
    like: B
    first: B  # the pair's first swipe (the other has not swiped them yet)
    match: B  # a LIKE answering a LIKE: the pair matches today
    at_us: I64  # microseconds within the day

    def take(self, keep: B) -> DaySwipes:
        return DaySwipes(*(getattr(self, f.name)[keep] for f in dataclasses.fields(self)))

    @staticmethod
    def concat(parts: list[DaySwipes]) -> DaySwipes:
        return DaySwipes(
            *(
                np.concatenate([getattr(p, f.name) for p in parts])
                for f in dataclasses.fields(DaySwipes)
            )
        )


def decide(params: SeedParams, u: I64, v: I64, review: bool) -> B:
    """Does u like v? Compatibility, v's desirability, u's selectivity and gender, and a boost
    when u is reviewing a like v sent."""
    act = calibration.load(params.calibration)["activity"]
    pop = population(params)
    p = pop.people
    gender = np.array([act["like_gender"][g] for g in ("male", "female", "nonbinary")])
    logit = (
        act["like_base"]
        + gender[p.gender[u]]
        + act["like_compat"] * (compatibility(pop.features, u, v) - 0.5)
        + act["like_desirability"] * p.desirability[v]
        - act["like_selectivity"] * (p.traits[u, 1] - 0.5)
        + (act["like_review"] if review else 0.0)
    )
    s = Rng(params.run_seed).stream("decide")
    return s.uniform(p.ids[u], p.ids[v], int(review)) < 1.0 / (1.0 + np.exp(-logit))


def review_delay(params: SeedParams, reviewer: I64, liker: I64) -> I64:
    """Days after a received like until the reviewer answers it (NEVER for non-reviewers)."""
    act = calibration.load(params.calibration)["activity"]
    p = population(params).people
    s = Rng(params.run_seed).stream("review")
    reviews = s.bernoulli(
        act["review_share_base"] + 0.4 * (p.traits[reviewer, 2] - 0.5), p.ids[reviewer]
    )
    delay = 1 + s.integers(0, act["review_delay_max"], p.ids[reviewer], p.ids[liker])
    return np.where(reviews, delay, NEVER)


def deck_day(params: SeedParams, u: I64, v: I64) -> I64:
    """The day u's deck reaches v, or NEVER (before the start, past the horizon, or before v
    signed up — u cannot be shown someone who does not exist yet)."""
    d = budget(params).day_of(u, decks(params).position(u, v))
    signed_up = population(params).signup_day[v] < d
    return np.where((d >= 0) & signed_up, d, NEVER)


def swipe_time(params: SeedParams, u: I64, v: I64, day: int) -> I64:
    """Microseconds within ``day`` of u's swipe on v: evening-heavy, never before u's signup."""
    ident = calibration.load(params.calibration)["identity"]
    p = population(params).people
    s = Rng(params.run_seed).stream("swipe-time")
    t = time_of_day_micros(ident["hour_weights"], s, p.ids[u], p.ids[v])
    since = since_signup_us(population(params), u, day)
    bump = 1 + np.floor((US_PER_DAY - 2 - since) * s.uniform(p.ids[u], p.ids[v], 1))
    return np.where(t <= since, since + bump.astype(np.int64), t)


@lru_cache(maxsize=12)  # a day's messages need the swipes of a short window of days
def deck_swipes(params: SeedParams, day: int) -> DaySwipes:
    """The swipes users make on ``day`` by walking their decks."""
    bud, dk, pop = budget(params), decks(params), population(params)
    users = np.arange(pop.n, dtype=np.int64)
    lo = np.minimum(bud.walked(users, np.full(pop.n, day - 1)), dk.size)
    hi = np.minimum(bud.walked(users, np.full(pop.n, day)), dk.size)
    count = hi - lo
    u = np.repeat(users, count)
    pos = np.repeat(lo, count) + np.arange(len(u)) - np.repeat(np.cumsum(count) - count, count)
    v = dk.candidate(u, pos) if len(u) else u
    alive = (v != u) & (pop.signup_day[v] < day)
    if params.named_accounts:  # the named accounts' guaranteed pairs are not played organically
        alive &= ~named.is_named_pair(params, u, v)
    u, v = u[alive], v[alive]

    other = deck_day(params, v, u)
    first = (day < other) | ((day == other) & (u < v))
    # Every value below is keyed by the pair, so evaluating it only where it matters (the
    # answers, the same-day answers) gives the same rows for less work.
    answers = np.nonzero(~first)[0]
    other_liked = np.zeros(len(u), dtype=bool)
    other_liked[answers] = decide(params, v[answers], u[answers], review=False)
    liked_first = np.nonzero(other_liked)[0]
    reviewed_before = np.zeros(len(u), dtype=bool)
    delay = review_delay(params, u[liked_first], v[liked_first])
    reviewed_before[liked_first] = other[liked_first] + delay < day
    keep = np.nonzero(~reviewed_before)[0]
    u, v, first, other_liked, other = u[keep], v[keep], first[keep], other_liked[keep], other[keep]
    like = decide(params, u, v, review=False)
    at = swipe_time(params, u, v, day)
    same = np.nonzero(~first & (other == day))[0]
    earlier = swipe_time(params, v[same], u[same], day) + US_PER_MINUTE
    at[same] = np.maximum(at[same], earlier)
    at = np.minimum(at, US_PER_DAY - 1)
    return DaySwipes(u, v, like, first, other_liked & like, at)


@dataclasses.dataclass(frozen=True, eq=False)
class FirstLikes:
    """The LIKEs of one day's deck walks that open a pair (the likes others may review)."""

    liker: I64
    target: I64


@lru_cache(maxsize=4)
def first_likes(params: SeedParams, day: int, memo: Memo = NO_MEMO) -> FirstLikes:
    return memo.get("first-likes", FirstLikes, params, day, lambda: _first_likes(params, day))


def _first_likes(params: SeedParams, day: int) -> FirstLikes:
    earlier = deck_swipes(params, day)
    liked = earlier.first & earlier.like
    return FirstLikes(earlier.swiper[liked], earlier.target[liked])


def review_swipes(params: SeedParams, day: int, memo: Memo = NO_MEMO) -> DaySwipes:
    """Answers given on ``day`` to likes received on earlier days, before the deck got there."""
    act = calibration.load(params.calibration)["activity"]
    parts = []
    for back in range(1, int(act["review_delay_max"]) + 1):
        if day - back < 0:
            continue
        earlier = first_likes(params, day - back, memo)
        liker, reviewer = earlier.liker, earlier.target
        due = review_delay(params, reviewer, liker) == back
        liker, reviewer = liker[due], reviewer[due]
        before_deck = day < deck_day(params, reviewer, liker)
        liker, reviewer = liker[before_deck], reviewer[before_deck]
        like = decide(params, reviewer, liker, review=True)
        n = len(reviewer)
        parts.append(
            DaySwipes(
                reviewer,
                liker,
                like,
                np.zeros(n, bool),
                like,
                swipe_time(params, reviewer, liker, day),
            )
        )
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return DaySwipes(
            empty, empty, empty.astype(bool), empty.astype(bool), empty.astype(bool), empty
        )
    return DaySwipes.concat(parts)


@lru_cache(maxsize=8)
def day_swipes(params: SeedParams, day: int, memo: Memo = NO_MEMO) -> DaySwipes:
    """Every swipe made on ``day`` (deck walks and reviews)."""
    if day < 0:
        return review_swipes(params, -1)  # empty
    parts = [deck_swipes(params, day), review_swipes(params, day, memo)]
    if day == 0 and params.named_accounts:
        swiper, target, first, match, at = named.swipes(params)
        parts.append(DaySwipes(swiper, target, np.ones(len(swiper), bool), first, match, at))
    return DaySwipes.concat(parts)
