"""Per-user derived tables: the search snapshot and behavioural traits (pure polars)."""

from __future__ import annotations

import datetime as dt

import polars as pl

ACTIVITY_LEVELS = ("dormant", "low", "medium", "high")


def searchable_users(
    profiles: pl.DataFrame,
    media: pl.DataFrame,
    interests: pl.DataFrame,
    as_of: dt.date,
) -> pl.DataFrame:
    """One denormalised row per profile: what the search index needs.

    ``profiles``: the profiles columns; ``media``: user_id per photo; ``interests``: user_id,
    subject_id; ``as_of``: the date ages are computed at.
    """
    photos = media.group_by("user_id").agg(pl.len().cast(pl.Int16).alias("photo_count"))
    chosen = (
        interests.sort("subject_id")
        .group_by("user_id")
        .agg(pl.col("subject_id").cast(pl.Int16).alias("interest_ids"))
    )
    born = pl.col("birthdate")
    had_birthday = (pl.lit(as_of.month) > born.dt.month()) | (
        (pl.lit(as_of.month) == born.dt.month()) & (pl.lit(as_of.day) >= born.dt.day())
    )
    age = pl.lit(as_of.year) - born.dt.year() - pl.when(had_birthday).then(0).otherwise(1)
    return (
        profiles.join(photos, on="user_id", how="left")
        .join(chosen, on="user_id", how="left")
        .select(
            "user_id",
            pl.format("{} {}.", "first_name", pl.col("last_name").str.slice(0, 1)).alias(
                "display_name"
            ),
            age.cast(pl.Int16).alias("age"),
            "gender",
            "interested_in",
            "intent",
            "city",
            "latitude",
            "longitude",
            pl.col("interest_ids").fill_null(pl.lit([], dtype=pl.List(pl.Int16))),
            pl.col("photo_count").fill_null(0),
            pl.col("bio").is_not_null().alias("has_bio"),
        )
        .sort("user_id")
    )


def user_traits(
    users: pl.DataFrame, swipes: pl.DataFrame, messages: pl.DataFrame, days: int
) -> pl.DataFrame:
    """Like ratio, response rate and activity level from what users did.

    ``users``: id. ``swipes``: liker_id, action, n (swipes of that kind). ``messages``:
    conversation_id, sender_id,
    recipient_id, created_at (every message of the users' conversations). ``days``: how many
    days of activity the inputs cover (for the activity level).
    """
    given = swipes.group_by("liker_id").agg(
        pl.col("n").filter(pl.col("action") == "LIKE").sum().cast(pl.Int32).alias("likes_given"),
        pl.col("n").filter(pl.col("action") == "PASS").sum().cast(pl.Int32).alias("passes_given"),
    )
    ordered = messages.sort("conversation_id", "created_at")
    first = ordered.group_by("conversation_id", maintain_order=True).agg(
        pl.col("sender_id").first().alias("opener"),
        pl.col("recipient_id").first().alias("recipient"),
        pl.col("sender_id").n_unique().alias("speakers"),
    )
    replies = first.group_by("recipient").agg(
        pl.len().alias("received"), (pl.col("speakers") > 1).sum().alias("answered")
    )
    per_day = (pl.col("likes_given") + pl.col("passes_given")) / max(days, 1)
    level = (
        pl.when(per_day == 0)
        .then(pl.lit(ACTIVITY_LEVELS[0]))
        .when(per_day < 2)
        .then(pl.lit(ACTIVITY_LEVELS[1]))
        .when(per_day < 8)
        .then(pl.lit(ACTIVITY_LEVELS[2]))
        .otherwise(pl.lit(ACTIVITY_LEVELS[3]))
    )
    swiped = pl.col("likes_given") + pl.col("passes_given")
    return (
        users.select(pl.col("id").alias("user_id"))
        .join(given.rename({"liker_id": "user_id"}), on="user_id", how="left")
        .join(replies.rename({"recipient": "user_id"}), on="user_id", how="left")
        .with_columns(pl.col("likes_given", "passes_given").fill_null(0))
        .select(
            "user_id",
            "likes_given",
            "passes_given",
            pl.when(swiped > 0).then(pl.col("likes_given") / swiped).alias("like_ratio"),
            (pl.col("answered") / pl.col("received")).alias("response_rate"),
            level.alias("activity_level"),
        )
        .sort("user_id")
    )
