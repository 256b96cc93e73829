"""The activity of 1,000 users over 30 days, with the `spec` calibration, shows the behaviour the
spec asks for. Measured on the pure generator (``simulate_day`` for days 0..29, no database), the
profile's target metrics with their definitions in ``seed_assets.verify`` (``frame_*``, the same
as `seed verify`'s SQL) and against the profile's ``[targets]`` ranges.

Each test prints its figure on one line (``pytest -s`` shows them).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from seed_assets import calibration, verify
from seed_assets.config import SeedParams
from seed_assets.generators.activity import TABLES, simulate_day
from seed_assets.generators.population import Population, population
from seed_assets.scoring import compatibility

PARAMS = SeedParams(
    run_seed="calib",
    users=1_000,
    shard_size=500,
    start_date=dt.date(2024, 1, 1),
    end_date=dt.date(2024, 3, 1),
)
DAYS = 30
WINDOW_DAYS = int(calibration.load(PARAMS.calibration)["activity"]["conversation_window_days"])
TARGETS = verify.targets(PARAMS)  # name -> (lo, hi), inclusive

Tables = dict[str, pl.DataFrame]


def report(name: str, value: float, detail: str = "") -> None:
    shown = f"{value:.3f}" if isinstance(value, float) else str(value)
    print(f"\n[calibration] {name} = {shown}{f'  ({detail})' if detail else ''}")


def top_share(counts: np.ndarray, fraction: float) -> float:
    """Share of the total held by the top ``fraction`` of the (positive) counts."""
    ordered = np.sort(counts[counts > 0])[::-1]
    k = int(np.ceil(fraction * len(ordered)))
    return float(ordered[:k].sum() / ordered.sum())


@pytest.fixture(scope="module")
def t() -> Tables:
    days = [simulate_day(PARAMS, d) for d in range(DAYS)]
    return {name: pl.concat([d[name] for d in days]) for name in TABLES}


@pytest.fixture(scope="module")
def chats(t: Tables) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(conversations of the period's matches, every message of them). Messages are followed
    for the chat window past the last day, so late conversations are not cut short."""
    tail = [simulate_day(PARAMS, d)["messages"] for d in range(DAYS, DAYS + WINDOW_DAYS)]
    conversations = t["conversations"]
    messages = pl.concat([t["messages"], *tail]).filter(
        pl.col("conversation_id").is_in(conversations["id"].implode())
    )
    return conversations, messages


@pytest.fixture(scope="module")
def pop() -> Population:
    return population(PARAMS)


def in_range(name: str, value: float) -> bool:
    lo, hi = TARGETS[name]
    return lo <= value <= hi


def test_match_rate(t: Tables) -> None:
    rate = verify.frame_match_rate(t["likes"], t["matches"])
    report("match rate (matches / LIKE swipes)", rate, f"{t['matches'].height} matches")
    assert in_range("match_rate", rate)


def test_message_response_rate(chats: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    conversations, messages = chats
    rate = verify.frame_response_rate(conversations, messages)
    report(
        "message response rate (conversations answered / conversations)",
        rate,
        f"of {conversations.height}",
    )
    assert in_range("response_rate", rate)


def test_posts_per_active_user_week_and_heavy_tail(t: Tables) -> None:
    mean = verify.frame_posts_per_week(t["posts"], t["likes"], PARAMS.start_date)
    report("posts per active user-week", mean, f"{DAYS // 7} complete weeks")
    per_user = t["posts"].group_by("user_id").len()["len"].to_numpy()
    share = top_share(per_user, 0.10)
    report("share of posts by the top 10% of posters", share, f"{len(per_user)} posters")
    assert in_range("posts_per_active_user_week", mean)
    assert share > 0.30


def test_messages_per_match_long_tailed(
    t: Tables, chats: tuple[pl.DataFrame, pl.DataFrame]
) -> None:
    _, messages = chats
    per_match = verify.frame_messages_per_match(messages, t["matches"])
    lengths = messages.group_by("conversation_id").len()["len"].to_numpy()
    mean, longest = float(lengths.mean()), int(lengths.max())
    report("messages per match", per_match, f"{messages.height} messages")
    report(
        "longest conversation / mean conversation length",
        longest / mean,
        f"longest {longest}, mean {mean:.2f}",
    )
    assert in_range("messages_per_match", per_match)
    assert longest > 3 * mean
    # A long tail, not a cap: the longest few conversations are not all the same length.
    assert len(set(np.sort(lengths)[-5:].tolist())) > 1


def test_men_like_a_larger_share_than_women(t: Tables, pop: Population) -> None:
    likes = t["likes"]
    gender = pop.people.gender[likes["liker_id"].to_numpy() - 1]
    like = (likes["action"] == "LIKE").to_numpy()
    men, women = float(like[gender == 0].mean()), float(like[gender == 1].mean())
    report("LIKE share of swipes, men / women", men / women, f"men {men:.3f}, women {women:.3f}")
    assert men >= 2 * women


def test_liked_targets_are_more_desirable_and_more_compatible(t: Tables, pop: Population) -> None:
    likes = t["likes"]
    swiper = likes["liker_id"].to_numpy() - 1
    target = likes["likee_id"].to_numpy() - 1
    like = (likes["action"] == "LIKE").to_numpy()
    desirability = pop.people.desirability[target]
    compat = compatibility(pop.features, swiper, target)
    d_like, d_pass = float(desirability[like].mean()), float(desirability[~like].mean())
    c_like, c_pass = float(compat[like].mean()), float(compat[~like].mean())
    report("desirability liked - passed", d_like - d_pass, f"{d_like:.3f} vs {d_pass:.3f}")
    report("compatibility liked - passed", c_like - c_pass, f"{c_like:.3f} vs {c_pass:.3f}")
    assert d_like > d_pass
    assert c_like > c_pass


def test_likes_peak_in_the_evening(t: Tables) -> None:
    hours = (
        t["likes"]
        .filter(pl.col("action") == "LIKE")["created_at"]
        .dt.convert_time_zone("UTC")
        .dt.hour()
        .to_numpy()
    )
    counts = np.bincount(hours, minlength=24)
    peak = int(np.argmax(counts))
    report("peak hour of likes (UTC)", peak, f"{counts[peak]} of {counts.sum()} likes")
    assert 18 <= peak <= 23


def test_swiping_is_heavy_tailed(t: Tables) -> None:
    per_user = t["likes"].group_by("liker_id").len()["len"].to_numpy()
    share = top_share(per_user, 0.20)
    report("share of swipes by the top 20% of swipers", share, f"{len(per_user)} swipers")
    assert share > 0.50


def test_identity_figures_of_the_population(pop: Population) -> None:
    took = pop.features.quiz[:, 0] >= 0
    interests = np.bitwise_count(pop.features.interests).astype(np.int64)
    completion, mean = float(took.mean()), float(interests.mean())
    report("quiz completion", completion)
    report("interests per user", mean, f"min {interests.min()}, max {interests.max()}")
    assert pop.n == PARAMS.users
    assert in_range("quiz_completion", completion)
    assert in_range("interests_fewest", interests.min())
    assert in_range("interests_most", interests.max())
    assert in_range("interests_per_user", mean)
