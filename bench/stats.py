"""Medians and rates: every reported figure is a median over repetitions of one invocation."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence


def median(values: Iterable[float]) -> float:
    """The median of the finite values (NaN when there are none)."""
    finite = [v for v in values if not math.isnan(v)]
    return statistics.median(finite) if finite else math.nan


def medians(rows: Sequence[Mapping[str, float]], keys: Iterable[str]) -> dict[str, float]:
    """Column-wise medians of per-repetition figures.

    Ratios are taken per repetition first (both sides measured in the same repetition) and then
    their median is reported, never a ratio of two medians.
    """
    return {key: median(row[key] for row in rows) for key in keys}


def rate(count: float, seconds: float) -> float:
    """Items per second; NaN for a non-positive duration."""
    return count / seconds if seconds > 0 else math.nan


def ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator > 0 else math.nan
