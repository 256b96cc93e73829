"""Polars schemas and COPY column order, derived from ``schema/`` (never written twice)."""

from __future__ import annotations

from functools import cache

import polars as pl
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from seed_assets.schema import table as _table

_SIMPLE: dict[type, pl.DataType] = {
    sa.BigInteger: pl.Int64(),
    sa.SmallInteger: pl.Int16(),
    sa.Integer: pl.Int32(),
    sa.Double: pl.Float64(),
    sa.Boolean: pl.Boolean(),
    sa.Date: pl.Date(),
    sa.Text: pl.String(),
    pg.JSONB: pl.String(),
}


def polars_dtype(column_type: sa.types.TypeEngine) -> pl.DataType:
    """The polars dtype a generator must produce for a column type."""
    if isinstance(column_type, sa.DateTime):
        return pl.Datetime("us", "UTC") if column_type.timezone else pl.Datetime("us")
    if isinstance(column_type, pg.ARRAY):
        return pl.List(polars_dtype(column_type.item_type))
    for sa_type, dtype in _SIMPLE.items():
        if type(column_type) is sa_type:
            return dtype
    raise TypeError(f"no polars dtype for {column_type!r}")


@cache
def polars_schema(table_name: str) -> pl.Schema:
    """Column names and dtypes of a table, in COPY order."""
    return pl.Schema({c.name: polars_dtype(c.type) for c in _table(table_name).columns})


def columns(table_name: str) -> list[str]:
    return list(polars_schema(table_name).names())


def conform(table_name: str, frame: pl.DataFrame) -> pl.DataFrame:
    """Select and cast a generator's frame to the table's exact columns and dtypes.

    Raises if a column is missing (a generator bug), so no table is ever loaded half-filled.
    """
    schema = polars_schema(table_name)
    missing = [name for name in schema.names() if name not in frame.columns]
    if missing:
        raise ValueError(f"{table_name}: generator did not produce columns {missing}")
    return frame.select(pl.col(name).cast(dtype, strict=True) for name, dtype in schema.items())


def column_metadata(table_name: str) -> list[dict[str, str]]:
    """(name, type, description) per column, for Dagster's column schema metadata."""
    return [
        {"name": c.name, "type": str(c.type), "description": c.comment or ""}
        for c in _table(table_name).columns
    ]
