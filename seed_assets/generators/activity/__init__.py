"""The activity tier: one simulated day at a time, each a pure function of (params, day).

``simulate_day`` returns every activity table's rows for one day. Days are numbered from the start
date (day 0). Nothing reads another day's rows: swipes are computed from deck walks, answers and
matches from the two users' keys, chats from a bounded window of earlier matches.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from seed_assets import pools
from seed_assets.config import SeedParams
from seed_assets.generators.activity import posts as posts_mod
from seed_assets.generators.activity.chat import (
    KINDS,
    chats_touching,
    day_date,
    entity_id,
    matches_on,
)
from seed_assets.generators.activity.swipes import day_swipes
from seed_assets.generators.clock import US_PER_DAY, epoch_day, timestamps
from seed_assets.generators.population import population
from seed_assets.memo import NO_MEMO, Memo
from seed_assets.rng import Rng
from seed_assets.schema import ACTIVITY

TABLES = tuple(t.name for t in ACTIVITY)  # the tables a simulated day returns, in schema order


ACTIONS = pl.Series(["PASS", "LIKE"])


def _dates(params: SeedParams, day: int, n: int) -> pl.Series:
    return pl.repeat(day_date(params, day), n, eager=True, dtype=pl.Date)


def _start_us(params: SeedParams) -> int:
    return epoch_day(params.start_date) * US_PER_DAY


def likes(params: SeedParams, day: int, memo: Memo = NO_MEMO) -> pl.DataFrame:
    ids = population(params).people.ids
    s = day_swipes(params, day, memo)
    order = np.lexsort((ids[s.target], ids[s.swiper]))
    return pl.DataFrame(
        {
            "id": entity_id(day, params, np.arange(len(order))),
            "day": _dates(params, day, len(order)),
            "liker_id": ids[s.swiper][order],
            "likee_id": ids[s.target][order],
            "action": pools.pick(ACTIONS, s.like[order].astype(np.int64)),
            "created_at": timestamps(_start_us(params) + day * US_PER_DAY + s.at_us[order]),
        }
    )


def matches(params: SeedParams, day: int, memo: Memo = NO_MEMO) -> pl.DataFrame:
    ids = population(params).people.ids
    m = matches_on(params, day, memo)
    return pl.DataFrame(
        {
            "id": m.match_id,
            "day": _dates(params, day, len(m.a)),
            "user_a_id": ids[m.a],
            "user_b_id": ids[m.b],
            "created_at": timestamps(_start_us(params) + m.at_us),
        }
    )


def chat_frames(
    params: SeedParams, day: int, memo: Memo = NO_MEMO
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(conversations started on ``day``, messages sent on ``day``)."""
    pop = population(params)
    ids = pop.people.ids
    c = chats_touching(params, day, memo)
    today = (c.at_us >= day * US_PER_DAY) & (c.at_us < (day + 1) * US_PER_DAY)
    opened = today & (c.seq == 0)
    conversations = pl.DataFrame(
        {
            "id": c.conversation[opened],
            "day": _dates(params, day, int(opened.sum())),
            "match_id": c.conversation[opened],
            "started_by": ids[c.started_by[opened]],
            "created_at": timestamps(_start_us(params) + c.at_us[opened]),
        }
    )
    sel = np.nonzero(today)[0]
    sel = sel[np.lexsort((c.seq[sel], c.conversation[sel]))]
    messages = pl.DataFrame(
        {
            "id": entity_id(day, params, np.arange(len(sel))),
            "day": _dates(params, day, len(sel)),
            "conversation_id": c.conversation[sel],
            "sender_id": ids[c.sender[sel]],
            "recipient_id": ids[c.recipient[sel]],
            "kind": pools.pick(pl.Series(KINDS), c.kind[sel]),
            "body": _bodies(params, c.conversation[sel], c.seq[sel], c.kind[sel], c.recipient[sel]),
            "created_at": timestamps(_start_us(params) + c.at_us[sel]),
        }
    )
    return conversations, messages


def _bodies(
    params: SeedParams, conv: np.ndarray, seq: np.ndarray, kind: np.ndarray, to: np.ndarray
) -> pl.Series:
    """Openers name the recipient and one of their interests; later texts are replies."""
    pop = population(params)
    s = Rng(params.run_seed).stream("message-body")
    openers, replies = pools.series("message_openers.txt"), pools.series("message_replies.txt")
    gifs = pools.series("message_gif_captions.txt")
    frame = pl.DataFrame(
        {
            "opener": pools.pick(openers, s.integers(0, len(openers), conv, 1)),
            "reply": pools.pick(replies, s.integers(0, len(replies), conv, seq, 2)),
            "gif": pools.pick(gifs, s.integers(0, len(gifs), conv, seq, 3)),
            "voice": s.integers(4, 90, conv, seq, 4),
            "name": pools.pick(pop.first_name, to),
            "interest": posts_mod.random_interest(params, to, conv),
            "seq": seq,
            "kind": kind,
        }
    )
    text = (
        pl.when(pl.col("seq") == 0)
        .then(
            pl.col("opener")
            .str.replace("{name}", pl.col("name"), literal=True)
            .str.replace("{interest}", pl.col("interest"), literal=True)
        )
        .otherwise(pl.col("reply"))
    )
    body = (
        pl.when(pl.col("kind") == KINDS.index("image"))
        .then(pl.lit("[photo]"))
        .when(pl.col("kind") == KINDS.index("gif"))
        .then(pl.format("[gif: {}]", pl.col("gif")))
        .when(pl.col("kind") == KINDS.index("voice"))
        .then(pl.format("[voice message 0:{}]", pl.col("voice").cast(pl.String).str.zfill(2)))
        .otherwise(text)
    )
    return frame.select(body.alias("body")).to_series()


def simulate_day(params: SeedParams, day: int, memo: Memo = NO_MEMO) -> dict[str, pl.DataFrame]:
    """Every activity table's rows for day ``day`` (0 = the start date). ``memo``: where earlier
    days' intermediates are kept, if anywhere (:mod:`seed_assets.memo`); the rows are the same."""
    day_posts = posts_mod.posts(params, day)
    conversations, messages = chat_frames(params, day, memo)
    return {
        "posts": day_posts,
        "likes": likes(params, day, memo),
        "matches": matches(params, day, memo),
        "conversations": conversations,
        "messages": messages,
        "feed_seen": posts_mod.feed_seen(params, day, day_posts),
    }


def day_number(params: SeedParams, date: dt.date) -> int:
    return (date - params.start_date).days
