"""Data pools (names, cities, templates) as plain files beside this module, loaded once."""

from __future__ import annotations

import csv
import json
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import polars as pl


def _text(name: str) -> str:
    return resources.files(__name__).joinpath(name).read_text(encoding="utf-8")


@cache
def lines(name: str) -> tuple[str, ...]:
    """A one-entry-per-line pool, e.g. ``lines("last_names.txt")``."""
    return tuple(line for line in _text(name).splitlines() if line.strip())


@cache
def series(name: str) -> pl.Series:
    """A line pool as a polars string Series, for vectorised ``gather``."""
    return pl.Series(name.removesuffix(".txt"), lines(name), dtype=pl.String)


def pick(pool: pl.Series, index: np.ndarray) -> pl.Series:
    """``pool[index]`` for an integer array, as a string Series."""
    return pool.gather(pl.Series(index, dtype=pl.Int64))


def grouped(pools: list[pl.Series]) -> tuple[pl.Series, np.ndarray, np.ndarray]:
    """Several pools in one Series, with each pool's (offset, size) for grouped picking."""
    sizes = np.array([len(p) for p in pools], dtype=np.int64)
    return pl.concat(pools), np.cumsum(sizes) - sizes, sizes


@cache
def table(name: str) -> pl.DataFrame:
    """A CSV pool with a header line."""
    rows = list(csv.DictReader(_text(name).splitlines()))
    return pl.DataFrame(rows).with_columns(pl.col(pl.String).str.strip_chars())


@cache
def json_pool(name: str) -> Any:
    return json.loads(_text(name))
