"""The files of an export: Parquet, or CSV that PostgreSQL's ``COPY ... (FORMAT csv, HEADER)``
reads as it is.

Both hold a table's columns in schema order and dtypes. CSV follows PostgreSQL's conventions: an
unquoted empty field is NULL, ``""`` is the empty string, timestamps are ISO 8601 with their UTC
offset, and array columns are array literals (``{"a","b"}``), so the files load with ``psql \\copy``
too. Writing is deterministic: the same frame gives the same bytes.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from seed_assets.frames import polars_schema

FORMATS = ("parquet", "csv")


def write_frame(frame: pl.DataFrame, path: Path, fmt: str) -> int:
    """Write ``frame`` (already canonical) to ``path``; return the file's size in bytes."""
    if fmt == "parquet":
        frame.write_parquet(path, compression="zstd", statistics=True)
    else:
        frame.with_columns(
            _array_literal(name, dtype)
            for name, dtype in frame.schema.items()
            if isinstance(dtype, pl.List)
        ).write_csv(path)
    return path.stat().st_size


def read_frame(table_name: str, path: Path, fmt: str) -> pl.DataFrame:
    """Read one file back into the table's columns and dtypes."""
    schema = polars_schema(table_name)
    if fmt == "parquet":
        return pl.read_parquet(path, columns=list(schema.names()))
    text = {n: pl.String() if isinstance(d, pl.List) else d for n, d in schema.items()}
    frame = pl.read_csv(path, schema_overrides=text, infer_schema=False)
    if frame.columns != list(schema.names()):
        raise ValueError(f"columns {frame.columns} are not the table's {list(schema.names())}")
    return frame.with_columns(
        _parse_array(name, dtype) for name, dtype in schema.items() if isinstance(dtype, pl.List)
    )


def write_files(
    frame: pl.DataFrame, folder: Path, table: str, key: str, fmt: str, shard_rows: int
) -> tuple[list[str], int]:
    """A canonical partition as ``<table>/<key>.<fmt>``, or as numbered files
    ``<table>/<key>-0000.<fmt>``, ... of at most ``shard_rows`` rows each, under ``folder``;
    return their names (relative to ``folder``) and total size in bytes."""
    (folder / table).mkdir(exist_ok=True)
    pieces = max(1, -(-frame.height // shard_rows))
    names = [f"{key}.{fmt}"] if pieces == 1 else [f"{key}-{i:04d}.{fmt}" for i in range(pieces)]
    size = 0
    for i, name in enumerate(names):
        size += write_frame(frame.slice(i * shard_rows, shard_rows), folder / table / name, fmt)
    return [f"{table}/{name}" for name in names], size


def read_files(table_name: str, paths: list[Path], fmt: str) -> pl.DataFrame:
    """A partition's files, in order, as one frame."""
    frames = [read_frame(table_name, path, fmt) for path in paths]
    return pl.concat(frames) if len(frames) > 1 else frames[0]


def _array_literal(name: str, dtype: pl.List) -> pl.Expr:
    """A list column as PostgreSQL array literals: strings quoted and escaped, NULL bare."""
    element = pl.element()
    if dtype.inner == pl.String:
        escaped = element.str.replace_all(r"([\\\"])", r"\$1")
        element = pl.concat_str(pl.lit('"'), escaped, pl.lit('"'))
    else:
        element = element.cast(pl.String)
    element = pl.when(pl.element().is_null()).then(pl.lit("NULL")).otherwise(element)
    joined = pl.col(name).list.eval(element).list.join(",")
    return pl.concat_str(pl.lit("{"), joined, pl.lit("}")).alias(name)


def _parse_array(name: str, dtype: pl.List) -> pl.Expr:
    """The inverse of :func:`_array_literal` (one-dimensional arrays)."""
    col = pl.col(name)
    if dtype.inner == pl.String:
        quoted = pl.element().str.slice(1, pl.element().str.len_chars() - 2)
        element = (
            pl.when(pl.element() == "NULL")
            .then(pl.lit(None, pl.String))
            .otherwise(quoted.str.replace_all(r"\\(.)", "$1"))
        )
        items = col.str.extract_all(r"\"(?:[^\"\\]|\\.)*\"|NULL").list.eval(element)
    else:
        items = col.str.extract_all(r"-?\d+|NULL").list.eval(
            pl.when(pl.element() == "NULL").then(None).otherwise(pl.element())
        )
    return items.cast(dtype).alias(name)
