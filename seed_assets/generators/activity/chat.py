"""Conversations and messages: each match's chat is a pure function of the match.

A share of matches gets a conversation (more for sociable pairs); the starter is the more sociable
side (men start more often); the other replies or not; lengths are long-tailed (lognormal) and the
gaps between messages bursty (lognormal minutes). A chat lasts at most ``conversation_window_days``
after its match, so a day's messages need only the matches of that many earlier days — each itself
a pure function of the keys.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from seed_assets import calibration
from seed_assets.config import SeedParams
from seed_assets.generators.activity import named
from seed_assets.generators.activity.swipes import day_swipes
from seed_assets.generators.clock import US_PER_DAY, US_PER_MINUTE, epoch_day
from seed_assets.generators.population import population
from seed_assets.memo import NO_MEMO, Memo
from seed_assets.rng import Rng, Stream
from seed_assets.scoring import compatibility

I64 = NDArray[np.int64]
KINDS = ("text", "image", "gif", "voice")


@dataclasses.dataclass(frozen=True, eq=False)
class DayMatches:
    a: I64  # user indexes, a < b
    b: I64
    at_us: I64  # absolute microseconds since the start date
    match_id: I64


@dataclasses.dataclass(frozen=True, eq=False)
class Chats:
    """Every message of the given matches: one row per message, sorted by (conversation, seq)."""

    conversation: I64  # match id
    seq: I64
    sender: I64
    recipient: I64
    kind: I64  # index into KINDS
    at_us: I64  # absolute microseconds since the start date
    started_by: I64  # per message: the conversation's starter
    match_day: I64


def day_date(params: SeedParams, day: int) -> dt.date:
    return params.start_date + dt.timedelta(days=day)


def entity_id(day: int, params: SeedParams, rank: I64) -> I64:
    """Deterministic ids: the calendar day in the high 32 bits, a rank within the day below."""
    ordinal = epoch_day(params.start_date) + day
    return (np.int64(ordinal) << np.int64(32)) + rank.astype(np.int64)


@lru_cache(maxsize=12)
def matches_on(params: SeedParams, day: int, memo: Memo = NO_MEMO) -> DayMatches:
    return memo.get("matches", DayMatches, params, day, lambda: _matches_on(params, day, memo))


def _matches_on(params: SeedParams, day: int, memo: Memo) -> DayMatches:
    swipes = day_swipes(params, day, memo)
    m = swipes.match
    a = np.minimum(swipes.swiper[m], swipes.target[m])
    b = np.maximum(swipes.swiper[m], swipes.target[m])
    order = np.lexsort((b, a))
    at = day * US_PER_DAY + swipes.at_us[m][order]
    return DayMatches(a[order], b[order], at, entity_id(day, params, np.arange(len(a))))


# The chat stream's draws, by what they decide (the numbers are part of the output: keep them).
TALKS = 1  # whether a match gets a conversation
A_STARTS = 2  # which side starts it
REPLIES = 3  # whether the other side replies
LENGTH = 4  # how many messages beyond the first two
ONE_MORE = 5  # an unanswered starter's second message
FIRST_DELAY = 6  # the first message's delay after the match
GAP = 7  # the gap before each later message
SWITCH = 8  # whether the sender changes (else a double text)
KIND = 9  # the message's kind after the first


@dataclasses.dataclass(frozen=True, eq=False)
class _Plan:
    """Per match: who starts, who answers, whether they reply, how many messages."""

    starter: I64
    other: I64
    replied: NDArray[np.bool_]
    count: I64
    forced: NDArray[np.bool_] | None  # matches of a named account (None: none configured)


def chats(params: SeedParams, m: DayMatches, match_day: int) -> Chats:
    act = calibration.load(params.calibration)["activity"]
    s = Rng(params.run_seed).stream("chat")
    plan = _plan(params, act, s, m)
    key, count = m.match_id, plan.count
    conv = np.repeat(np.arange(len(key)), count)
    first = np.repeat(np.cumsum(count) - count, count)  # index of each chat's first message
    ckey, cseq = key[conv], np.arange(len(conv)) - first
    at = m.at_us[conv] + _elapsed(act, s, plan, conv, ckey, cseq, first)
    starter_turn = _starter_turns(act, s, plan, ckey, cseq, first)
    sender = np.where(starter_turn, plan.starter[conv], plan.other[conv])
    recipient = np.where(starter_turn, plan.other[conv], plan.starter[conv])
    weights = [act["message_kinds"][k] for k in KINDS]
    kind = np.where(cseq == 0, 0, s.choice(weights, ckey, cseq, KIND))
    keep = at < m.at_us[conv] + int(act["conversation_window_days"]) * US_PER_DAY
    return Chats(
        conversation=ckey[keep],
        seq=cseq[keep],
        sender=sender[keep],
        recipient=recipient[keep],
        kind=kind[keep],
        at_us=at[keep],
        started_by=plan.starter[conv][keep],
        match_day=np.full(int(keep.sum()), match_day, dtype=np.int64),
    )


def _plan(params: SeedParams, act: dict[str, Any], s: Stream, m: DayMatches) -> _Plan:
    """Which matches talk, who starts, whether the other replies, and the chats' lengths."""
    pop = population(params)
    p = pop.people
    key = m.match_id
    soc_a, soc_b = p.traits[m.a, 0], p.traits[m.b, 0]
    talk = s.bernoulli(
        act["conversation_base"] + act["conversation_sociability"] * ((soc_a + soc_b) / 2 - 0.5),
        key,
        TALKS,
    )
    male = (p.gender == 0).astype(float)
    a_starts = s.uniform(key, A_STARTS) < 1 / (
        1
        + np.exp(
            -(
                act["starter_sociability"] * (soc_a - soc_b)
                + act["starter_male"] * (male[m.a] - male[m.b])
            )
        )
    )
    starter = np.where(a_starts, m.a, m.b)
    other = np.where(a_starts, m.b, m.a)
    compat = compatibility(pop.features, m.a, m.b)
    reply_p = (
        act["reply_base"]
        + act["reply_sociability"] * (p.traits[other, 0] - 0.5)
        + act["reply_compat"] * (compat - 0.5)
    )
    replied = s.bernoulli(reply_p, key, REPLIES)
    extra = np.floor(
        act["messages_extra_median"] * np.exp(act["messages_extra_sigma"] * s.normal(key, LENGTH))
    )
    count = np.where(
        replied, 2 + extra.astype(np.int64), 1 + s.bernoulli(act["one_more_share"], key, ONE_MORE)
    )
    count = np.where(talk, count, 0)
    forced = _named_matches(params, m)
    if forced is not None:  # every match of a named account talks, at length, the same day
        least = int(
            calibration.load(params.calibration)["named_accounts"]["messages_per_conversation"]
        )
        count = np.where(forced, np.maximum(count, least), count)
        replied |= forced
    return _Plan(starter, other, replied, count, forced)


def _elapsed(
    act: dict[str, Any], s: Stream, plan: _Plan, conv: I64, ckey: I64, cseq: I64, first: I64
) -> I64:
    """Each message's microseconds after its match: a lognormal delay, then bursty gaps."""
    delay_first = (
        np.exp(
            np.log(act["first_delay_minutes"])
            + act["first_delay_sigma"] * s.normal(ckey, FIRST_DELAY)
        )
        * US_PER_MINUTE
    )
    gap = np.exp(
        np.log(act["message_gap_minutes_median"])
        + act["message_gap_sigma"] * s.normal(ckey, cseq, GAP)
    )
    gap = np.where(cseq == 0, delay_first, gap * US_PER_MINUTE).astype(np.int64)
    if plan.forced is not None:
        gap = np.where(
            plan.forced[conv], np.minimum(gap, int(act["named_gap_minutes"]) * US_PER_MINUTE), gap
        )
    elapsed = np.cumsum(gap)
    return elapsed - np.concatenate([[0], elapsed])[first]


def _starter_turns(
    act: dict[str, Any], s: Stream, plan: _Plan, ckey: I64, cseq: I64, first: I64
) -> NDArray[np.bool_]:
    """Whether each message is the starter's: the first is; the first reply comes from the other
    side; after that the sender usually changes (sometimes a double text)."""
    replied = np.repeat(plan.replied, plan.count)
    switch = (cseq > 0) & (s.uniform(ckey, cseq, SWITCH) < act["switch_share"])
    switch = (switch | (cseq == 1)) & replied
    switches = np.cumsum(switch)
    return (switches - np.concatenate([[0], switches])[first]) % 2 == 0


def _named_matches(params: SeedParams, m: DayMatches) -> NDArray[np.bool_] | None:
    """Which matches involve a named account (None when there are none configured)."""
    n = named.named(params)
    return None if n is None else n.is_named[m.a] | n.is_named[m.b]


@lru_cache(maxsize=8)  # consecutive days share all but one day of their window
def day_chats(params: SeedParams, match_day: int, memo: Memo = NO_MEMO) -> Chats:
    """Every message of the chats of the matches made on ``match_day``."""

    def compute() -> Chats:
        return chats(params, matches_on(params, match_day, memo), match_day)

    return memo.get("chats", Chats, params, match_day, compute)


def chats_touching(params: SeedParams, day: int, memo: Memo = NO_MEMO) -> Chats:
    """All messages of matches whose chats can reach ``day`` (the window of earlier matches)."""
    act = calibration.load(params.calibration)["activity"]
    parts = [
        day_chats(params, d, memo)
        for d in range(max(0, day - int(act["conversation_window_days"])), day + 1)
    ]
    return Chats(
        *(np.concatenate([getattr(c, f.name) for c in parts]) for f in dataclasses.fields(Chats))
    )
