"""Posts and feeds of one day.

Posting follows the same activity curve as swiping (signup burst, churn, weekday rhythm) times a
heavy-tailed personal rate, so a minority of users write most posts. Each user who opens the app
sees a window of the day's posts from their market, at a keyed offset.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
from numpy.typing import ArrayLike, NDArray

from seed_assets import calibration, pools
from seed_assets.config import SeedParams
from seed_assets.generators.activity import named
from seed_assets.generators.activity.budget import budget
from seed_assets.generators.activity.chat import day_date, entity_id
from seed_assets.generators.activity.decks import markets
from seed_assets.generators.clock import US_PER_DAY, US_PER_MINUTE, epoch_day, time_of_day_micros
from seed_assets.generators.population import population, since_signup_us
from seed_assets.rng import Rng, Stream


def poisson(stream: Stream, lam: np.ndarray, *keys: ArrayLike, cap: int = 30) -> np.ndarray:
    """Poisson counts by inversion of a keyed uniform (no stateful sampler)."""
    u = stream.uniform(*keys)
    k = np.zeros(len(lam), dtype=np.int64)
    term = np.exp(-lam)
    cdf = term.copy()
    for i in range(1, cap + 1):
        more = u > cdf
        if not more.any():
            break
        k += more
        term = term * lam / i
        cdf = cdf + term
    return k


def random_interest(params: SeedParams, users: np.ndarray, *keys: np.ndarray) -> pl.Series:
    """One of each user's interests (lower-case), chosen by key."""
    pop = population(params)
    mask = pop.features.interests[users]
    bits = np.array([(mask >> np.uint32(i)) & np.uint32(1) for i in range(32)]).T.astype(bool)
    count = bits.sum(axis=1)
    pick = Rng(params.run_seed).stream("pick-interest").integers(0, np.maximum(count, 1), *keys)
    nth = np.cumsum(bits, axis=1) == (pick + 1)[:, None]
    subject = np.argmax(bits & nth, axis=1)
    return pools.pick(pop.interest_names, subject)


def posts(params: SeedParams, day: int) -> pl.DataFrame:
    act = calibration.load(params.calibration)["activity"]
    ident = calibration.load(params.calibration)["identity"]
    pop = population(params)
    p = pop.people
    s = Rng(params.run_seed).stream("posts")
    users = np.arange(pop.n, dtype=np.int64)
    weekly = act["posts_per_week_median"] * np.exp(act["posts_per_week_sigma"] * s.normal(p.ids, 1))
    lam = weekly / 7.0 * budget(params).activity(users, day)
    lam = np.where(pop.signup_day < day + 1, lam, 0.0)
    count = poisson(s, lam, p.ids, day, 2)
    author = np.repeat(users, count)
    nth = np.arange(len(author)) - np.repeat(np.cumsum(count) - count, count)
    key = (p.ids[author], np.full(len(author), day), nth)
    at = time_of_day_micros(ident["hour_weights"], s, *key, 3)
    since = since_signup_us(pop, author, day)
    at = np.maximum(at, since + 1)
    templates = pools.series("post_templates.txt")
    cities = pools.table("cities.csv")["name"]
    body = pl.DataFrame(
        {
            "t": pools.pick(templates, s.integers(0, len(templates), *key, 4)),
            "i": random_interest(params, author, *key),
            "c": pools.pick(cities, p.city[author]),
        }
    ).select(
        pl.col("t")
        .str.replace("{interest}", pl.col("i"), literal=True)
        .str.replace("{city}", pl.col("c"), literal=True)
    )
    order = np.lexsort((nth, author))
    day_us = (epoch_day(params.start_date) + day) * US_PER_DAY
    return pl.DataFrame(
        {
            "id": entity_id(day, params, np.arange(len(author))),
            "day": pl.repeat(day_date(params, day), len(author), eager=True, dtype=pl.Date),
            "user_id": p.ids[author][order],
            "kind": pools.pick(
                pl.Series(["text", "photo"]),
                s.bernoulli(act["photo_post_share"], *key, 5)[order].astype(np.int64),
            ),
            "body": body.to_series()[order],
            "created_at": pl.Series(day_us + at[order]).cast(pl.Datetime("us", "UTC")),
        }
    )


def feed_seen(params: SeedParams, day: int, day_posts: pl.DataFrame) -> pl.DataFrame:
    act = calibration.load(params.calibration)["activity"]
    ident = calibration.load(params.calibration)["identity"]
    ids = population(params).people.ids
    s = Rng(params.run_seed).stream("feed")
    author = day_posts["user_id"].to_numpy() - 1
    viewer, nth, post = _feed(params, act, s, day, author)
    created_all = day_posts["created_at"].cast(pl.Int64).to_numpy()
    created = created_all[post]
    day_us = (epoch_day(params.start_date) + day) * US_PER_DAY
    look = day_us + time_of_day_micros(ident["hour_weights"], s, ids[viewer], day, nth)
    seen_at = np.maximum(look, created + US_PER_MINUTE)
    keep = (author[post] != viewer) & (seen_at < day_us + US_PER_DAY)
    frame = _seen(ids[viewer][keep], day_posts["id"].to_numpy()[post][keep], seen_at[keep])
    if day == 0 and params.named_accounts:  # the named accounts' guaranteed feed
        who, what, when = named.feed_posts(
            params, day_posts["id"].to_numpy(), author, created_all, day_us
        )
        frame = pl.concat([frame, _seen(ids[who], what, when)]).unique(
            ["user_id", "post_id"], keep="first", maintain_order=True
        )
    return frame.with_columns(pl.lit(day_date(params, day), dtype=pl.Date).alias("day"))


def _feed(
    params: SeedParams, act: dict[str, Any], s: Stream, day: int, author: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Who opens the feed on ``day`` and the posts they are shown (``feed_size`` at most, from
    their market's posts of the day, from a random offset): per shown post, the viewer's index,
    its rank in the viewer's feed and the post's row."""
    pop = population(params)
    p = pop.people
    users = np.arange(pop.n, dtype=np.int64)
    activity = budget(params).activity(users, day)
    opened = s.uniform(p.ids, day, 1) < np.clip(act["feed_open_rate"] * activity, 0.0, 1.0)
    opened &= pop.signup_day < day
    viewers = users[opened]
    market = markets(params)[p.city]
    post_market = market[author]
    order = np.argsort(post_market, kind="stable")
    per_market = np.bincount(post_market, minlength=int(market.max()) + 1)
    first = np.cumsum(per_market) - per_market
    available = per_market[market[viewers]]
    shown = np.minimum(available, int(act["feed_size"]))
    viewer = np.repeat(viewers, shown)
    nth = np.arange(len(viewer)) - np.repeat(np.cumsum(shown) - shown, shown)
    offset = s.integers(0, np.maximum(available, 1), p.ids[viewers], day, 2)
    slot = (np.repeat(offset, shown) + nth) % np.maximum(np.repeat(available, shown), 1)
    return viewer, nth, order[first[market[viewer]] + slot]


def _seen(user_id: ArrayLike, post_id: ArrayLike, seen_at: NDArray[np.int64]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "user_id": user_id,
            "post_id": post_id,
            "seen_at": pl.Series(seen_at).cast(pl.Datetime("us", "UTC")),
        }
    )
