"""Catalog tables: fixed reference data read from the pools (no randomness)."""

from __future__ import annotations

from functools import cache

import polars as pl

from seed_assets import pools


@cache
def interest_subjects_frame() -> pl.DataFrame:
    return pools.table("interest_subjects.csv").with_columns(pl.col("id").cast(pl.Int16))


@cache
def quiz_questions_frame() -> pl.DataFrame:
    rows = pools.json_pool("quiz_questions.json")
    return pl.DataFrame(
        rows,
        schema={
            "id": pl.Int16,
            "prompt": pl.String,
            "dimension": pl.String,
            "options": pl.List(pl.String),
        },
    )
