"""Match scores and compatibility: the app's ranking, with the simulation's own scoring code.

``seed_assets.scoring.compatibility`` is the function the activity simulation's likes are driven
by; these jobs rebuild its inputs from the tables, so a job's score for a pair is exactly the one
the simulation used.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from jobs.users import searchable_users
from seed_assets import calibration
from seed_assets.rng import Rng
from seed_assets.scoring import Features, compatibility, components

GENDERS = ("male", "female", "nonbinary")
SEEKING = ("male", "female", "everyone")
CANDIDATES_SAMPLED = 50
TOP = 20


def features(
    profiles: pl.DataFrame,
    interests: pl.DataFrame,
    quiz: pl.DataFrame,
    n_options: pl.DataFrame,
    as_of: dt.date,
) -> tuple[pl.DataFrame, Features]:
    """Scoring features of every profile (row i = the i-th profile by user id).

    ``quiz``: user_id, question_id, answer; ``n_options``: question_id, n (options per question).
    """
    snap = searchable_users(
        profiles, pl.DataFrame({"user_id": []}, schema={"user_id": pl.Int64}), interests, as_of
    )
    people = profiles.sort("user_id").join(snap.select("user_id", "age"), on="user_id")
    index = pl.DataFrame({"user_id": people["user_id"], "row": np.arange(people.height)})
    mask = np.zeros(people.height, dtype=np.uint32)
    rows = interests.join(index, on="user_id")
    np.bitwise_or.at(
        mask,
        rows["row"].to_numpy(),
        np.uint32(1) << rows["subject_id"].to_numpy().astype(np.uint32),
    )
    questions = n_options.sort("question_id")
    qpos = {q: i for i, q in enumerate(questions["question_id"].to_list())}
    answers = np.full((people.height, len(qpos)), -1, dtype=np.int16)
    scaled = quiz.join(index, on="user_id").join(questions, on="question_id")
    answers[scaled["row"].to_numpy(), [qpos[q] for q in scaled["question_id"].to_list()]] = np.rint(
        scaled["answer"].to_numpy() * 100 / (scaled["n"].to_numpy() - 1)
    ).astype(np.int16)
    intent = people["intent"].replace_strict(list(calibration.INTENTS), list(range(5))).to_numpy()
    return people, Features(
        age=people["age"].to_numpy().astype(np.int64),
        intent=intent.astype(np.int64),
        interests=mask,
        quiz=answers,
        traits=people.select("sociability", "selectivity", "engagement").to_numpy(),
        latitude=people["latitude"].to_numpy(),
        longitude=people["longitude"].to_numpy(),
    )


def candidate_sample(people: pl.DataFrame, lo: int, hi: int, run_seed: str) -> pl.DataFrame:
    """(row, candidate row) pairs for users ``lo <= id < hi``: for each gender a user wants, up to
    CANDIDATES_SAMPLED keyed draws from that gender in their city, kept when the candidate wants
    the user's gender too. Never materialises the city's full cross product."""
    base = people.with_row_index("row").select(
        pl.col("row").cast(pl.Int64), "user_id", "city", "gender", "interested_in"
    )
    pool = base.with_columns(pl.int_range(pl.len()).over("city", "gender").alias("slot"))
    sizes = pool.group_by("city", "gender").agg(pl.len().alias("size"))
    seekers = (
        base.filter(pl.col("user_id").is_between(lo, hi - 1))
        .with_columns(
            pl.when(pl.col("interested_in") == "everyone")
            .then(pl.lit(list(GENDERS)))
            .otherwise(pl.concat_list(pl.col("interested_in")))
            .alias("wants")
        )
        .explode("wants")
        .join(sizes, left_on=["city", "wants"], right_on=["city", "gender"])
        .with_columns(pl.int_ranges(0, CANDIDATES_SAMPLED).alias("draw"))
        .explode("draw")
    )
    u = seekers["user_id"].to_numpy()
    draw = seekers["draw"].to_numpy()
    slot = Rng(run_seed).stream("match-candidates").integers(0, seekers["size"].to_numpy(), u, draw)
    cand = pool.rename({c: f"c_{c}" for c in pool.columns})
    pairs = seekers.with_columns(pl.Series("slot", slot)).join(
        cand, left_on=["city", "wants", "slot"], right_on=["c_city", "c_gender", "c_slot"]
    )
    accepts = (pl.col("c_interested_in") == "everyone") | (
        pl.col("c_interested_in") == pl.col("gender")
    )
    return (
        pairs.filter(accepts & (pl.col("row") != pl.col("c_row")))
        .select("row", pl.col("c_row").alias("cand"))
        .unique(maintain_order=True)
    )


def match_scores(
    people: pl.DataFrame, feats: Features, lo: int, hi: int, run_seed: str
) -> pl.DataFrame:
    """For users ``lo <= id < hi``: their TOP candidates by compatibility among a keyed sample of
    compatible users in their city."""
    pairs = candidate_sample(people, lo, hi, run_seed)
    ids = people["user_id"].to_numpy()
    r, c = pairs["row"].to_numpy().astype(np.int64), pairs["cand"].to_numpy().astype(np.int64)
    scored = pl.DataFrame(
        {"user_id": ids[r], "candidate_id": ids[c], "score": compatibility(feats, r, c)},
        schema={"user_id": pl.Int64, "candidate_id": pl.Int64, "score": pl.Float64},
    )
    rank = pl.col("score").rank("ordinal", descending=True).over("user_id").cast(pl.Int16)
    return (
        scored.sort("user_id", "candidate_id")
        .with_columns(rank.alias("rank"))
        .filter(pl.col("rank") <= TOP)
        .select("user_id", "candidate_id", "rank", "score")
        .sort("user_id", "rank")
    )


def rows_of(people: pl.DataFrame, user_ids: pl.Series) -> np.ndarray:
    """Positions in ``people`` (sorted by user id) of the given user ids."""
    return np.searchsorted(people["user_id"].to_numpy(), user_ids.to_numpy()).astype(np.int64)


def compatibility_rows(people: pl.DataFrame, feats: Features, pairs: pl.DataFrame) -> pl.DataFrame:
    """Score components for (user_a_id, user_b_id) pairs: the total, the quiz and the traits."""
    a, b = rows_of(people, pairs["user_a_id"]), rows_of(people, pairs["user_b_id"])
    parts = components(feats, a, b)
    return pl.DataFrame(
        {
            "user_a_id": pairs["user_a_id"],
            "user_b_id": pairs["user_b_id"],
            "score": compatibility(feats, a, b),
            "quiz_score": pl.Series(parts["quiz"]).fill_nan(None),
            "trait_score": parts["traits"],
        }
    )
