"""Deterministic timestamps: days and times of day as integer microseconds since the epoch (UTC).

No clock is ever read; every time is a function of a date in the configuration and random keys.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import polars as pl
from numpy.typing import ArrayLike, NDArray

from seed_assets.rng import Stream

US_PER_DAY = 86_400_000_000
US_PER_HOUR = 3_600_000_000
US_PER_MINUTE = 60_000_000
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()  # 719_163


def epoch_day(date: dt.date) -> int:
    """Days from 1970-01-01 to ``date``."""
    return date.toordinal() - _EPOCH_ORDINAL


def timestamps(micros: np.ndarray) -> pl.Series:
    """Microseconds since the epoch as a UTC timestamp column."""
    return pl.Series(micros, dtype=pl.Int64).cast(pl.Datetime("us", "UTC"))


def day_micros(days_since_epoch: ArrayLike) -> NDArray[np.int64]:
    return np.asarray(days_since_epoch, dtype=np.int64) * US_PER_DAY


def time_of_day_micros(
    hour_weights: Sequence[float], stream: Stream, *keys: ArrayLike
) -> NDArray[np.int64]:
    """A time within the day: the hour drawn from ``hour_weights``, the rest uniform."""
    hour = stream.choice(hour_weights, *keys, 0x686F7572)
    within = np.floor(stream.uniform(*keys, 0x6D696E) * US_PER_HOUR).astype(np.int64)
    return hour * US_PER_HOUR + within
