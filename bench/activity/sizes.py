"""The workloads of ``activity``: population sizes, their targets, and day numbering."""

from __future__ import annotations

import dataclasses
import datetime as dt

from seed_assets import schema
from seed_assets.config import SeedParams

RUN_SEED = "bench"
IDENTITY = [t.name for t in schema.IDENTITY]
ACTIVITY = [t.name for t in schema.ACTIVITY]
DERIVED = [t.name for t in schema.DERIVED]  # measured on their own (`python -m bench derived`)
TABLES = [*IDENTITY, *ACTIVITY]
START = SeedParams(run_seed=RUN_SEED).start_date


@dataclasses.dataclass(frozen=True)
class Size:
    """A population and history, with the targets judged on it (None: not judged)."""

    name: str
    users: int
    days: int
    up_target_s: float | None = None
    rss_target_gb: float | None = None
    append_ratio_target: float | None = None
    append_target_s: float | None = None  # appending one day (day D+1), whole CLI call
    audit_target_s: float | None = None
    raw_ratio_target: float | None = None  # end to end / raw load (with indexes and FKs)

    @property
    def label(self) -> str:
        return f"{self.name} — {self.users:,} users × {self.days} days"


SIZES: dict[str, Size] = {
    s.name: s
    for s in (
        Size("S", 1_000, 30, up_target_s=10.0),
        Size(
            "M",
            100_000,
            30,
            up_target_s=120.0,
            rss_target_gb=3.0,
            append_ratio_target=1.5,
            append_target_s=5.0,
            audit_target_s=15.0,
            raw_ratio_target=2.0,
        ),
        Size("L", 1_000_000, 7),
    )
}
DEFAULT_SIZES = "S,M"
DEFAULT_PEER = "S"  # the peer seeds M in tens of minutes: only on demand


def day_key(day: int) -> str:
    """The ISO partition key of day ``day`` (day 1 is the start date)."""
    return (START + dt.timedelta(days=day - 1)).isoformat()


def day_number(key: str) -> int:
    return (dt.date.fromisoformat(key) - START).days + 1
