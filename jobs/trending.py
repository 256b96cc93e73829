"""What was trending on a day: the most-seen posts and the most-posted-about interests."""

from __future__ import annotations

import polars as pl

TOP_POSTS = 20
TOP_INTERESTS = 10


def trending(
    posts: pl.DataFrame, views: pl.DataFrame, subjects: pl.DataFrame, day: object
) -> pl.DataFrame:
    """``posts``: id, body; ``views``: post_id, views (feed impressions that day);
    ``subjects``: id, name."""
    top_posts = (
        posts.join(views, left_on="id", right_on="post_id", how="inner")
        .sort(["views", "id"], descending=[True, False])
        .head(TOP_POSTS)
        .select(
            pl.lit("post").alias("kind"),
            pl.col("id").alias("item_id"),
            pl.col("views").cast(pl.Float64).alias("score"),
        )
    )
    lowered = posts.select(pl.col("body").str.to_lowercase())
    mentions = subjects.select(
        pl.col("id").cast(pl.Int64).alias("item_id"),
        pl.col("name").str.to_lowercase().alias("name"),
    ).with_columns(
        pl.col("name")
        .map_elements(
            lambda n: int(lowered["body"].str.contains(n, literal=True).sum()),
            return_dtype=pl.Int64,
        )
        .alias("mentions")
    )
    top_interests = (
        mentions.filter(pl.col("mentions") > 0)
        .sort(["mentions", "item_id"], descending=[True, False])
        .head(TOP_INTERESTS)
        .select(
            pl.lit("interest").alias("kind"),
            "item_id",
            pl.col("mentions").cast(pl.Float64).alias("score"),
        )
    )
    out = pl.concat([top_posts, top_interests])
    return out.with_columns(
        pl.lit(day).cast(pl.Date).alias("day"),
        pl.int_range(1, pl.len() + 1).over("kind").cast(pl.Int16).alias("rank"),
    )
