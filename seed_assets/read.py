"""Reading tables back into polars (for the derived jobs and the checks): COPY ... TO STDOUT."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import polars as pl
import psycopg


def query_frame(
    conn: psycopg.Connection,
    sql: str,
    params: Sequence[object] | None = None,
    schema: Mapping[str, pl.DataType] | None = None,
) -> pl.DataFrame:
    """The rows of ``sql`` as a polars frame (CSV through COPY: no Python per row)."""
    buffer = io.BytesIO()
    with (
        conn.cursor() as cur,
        cur.copy(
            f"COPY ({sql}) TO STDOUT (FORMAT csv, HEADER)",  # type: ignore[arg-type]
            params,
        ) as copy,
    ):
        for block in copy:
            buffer.write(block)
    buffer.seek(0)
    frame = pl.read_csv(buffer, schema_overrides=dict(schema or {}), try_parse_dates=True)
    # With no rows, CSV carries no types: every column reads as text unless ``schema`` says.
    return frame
