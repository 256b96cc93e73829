"""Catalog-wide aggregates: quiz answer distributions and interest co-occurrence (pure polars)."""

from __future__ import annotations

import polars as pl


def quiz_stats(quiz_results: pl.DataFrame, n_options: pl.DataFrame) -> pl.DataFrame:
    """Responses per (question, answer option), zero-filled, with the share within the question.

    ``quiz_results``: question_id, answer. ``n_options``: question_id, n (options it offers).
    """
    options = n_options.select(
        "question_id", pl.int_ranges(0, pl.col("n")).alias("answer")
    ).explode("answer")
    counts = quiz_results.group_by("question_id", "answer").agg(pl.len().alias("responses"))
    out = options.with_columns(
        pl.col("answer").cast(pl.Int16), pl.col("question_id").cast(pl.Int16)
    )
    out = out.join(
        counts.with_columns(pl.col("answer").cast(pl.Int16), pl.col("question_id").cast(pl.Int16)),
        on=["question_id", "answer"],
        how="left",
    ).with_columns(pl.col("responses").fill_null(0).cast(pl.Int32))
    total = pl.col("responses").sum().over("question_id")
    return out.with_columns(
        pl.when(total > 0).then(pl.col("responses") / total).otherwise(0.0).alias("share")
    ).sort("question_id", "answer")


def interest_relationships(user_interests: pl.DataFrame) -> pl.DataFrame:
    """Co-occurrence of every pair of interests (a < b) with lift = P(a and b) / (P(a) P(b)),
    over the users who picked at least one interest."""
    users = user_interests["user_id"].n_unique()
    single = user_interests.group_by("subject_id").agg(pl.len().alias("n"))
    left = user_interests.rename({"subject_id": "subject_a_id"})
    right = user_interests.rename({"subject_id": "subject_b_id"})
    pairs = (
        left.join(right, on="user_id")
        .filter(pl.col("subject_a_id") < pl.col("subject_b_id"))
        .group_by("subject_a_id", "subject_b_id")
        .agg(pl.len().alias("co_users"))
    )
    na = single.rename({"subject_id": "subject_a_id", "n": "na"})
    nb = single.rename({"subject_id": "subject_b_id", "n": "nb"})
    return (
        pairs.join(na, on="subject_a_id")
        .join(nb, on="subject_b_id")
        .with_columns(
            (pl.col("co_users") * users / (pl.col("na") * pl.col("nb"))).alias("lift"),
            pl.col("co_users").cast(pl.Int32),
        )
        .select("subject_a_id", "subject_b_id", "co_users", "lift")
        .sort("subject_a_id", "subject_b_id")
    )
