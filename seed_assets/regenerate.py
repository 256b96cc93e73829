"""What the generators produce, without a database: (rows, digest) per partition.

``seed audit --deep`` compares it with the manifest, so a code change that alters rows without
a new generator version is found. Each simulated day is computed once for all its tables.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import polars as pl

from seed_assets import encoded, generators
from seed_assets.config import SeedParams
from seed_assets.progress import Progress
from seed_assets.schema import ACTIVITY
from seed_assets.units import Unit, work_units

Expected = dict[tuple[str, str], tuple[int, str]]


def expected(
    params: SeedParams, keys: Mapping[str, Sequence[str]], progress: Progress | None = None
) -> Expected:
    """{(table, partition key): (rows, digest)} for the catalog, identity and activity keys
    given (derived tables are computed from the database, not generated: they are skipped)."""
    progress = progress or Progress()
    out: Expected = {}
    activity = {t.name for t in ACTIVITY}
    days = sorted({k for t, ks in keys.items() if t in activity for k in ks})
    shards = [(t, k) for t, ks in keys.items() if t in generators.IDENTITY for k in ks]
    progress.start("regenerate", len(days) + len(shards) + 1)
    for unit in work_units(params, [t for t in generators.CATALOG if t in keys]):
        out |= _digests(unit, keys)[0]
    progress.advance("regenerate", 0)
    for table, key in shards:
        digests, rows = _digests(work_units(params, [table], shards=[key])[0], keys)
        out |= digests
        progress.advance("regenerate", rows)
    dates = [dt.date.fromisoformat(key) for key in days]
    for unit in work_units(params, [t.name for t in ACTIVITY], days=dates):
        digests, rows = _digests(unit, keys)
        out |= digests
        progress.advance("regenerate", rows)
    progress.finish("regenerate")
    return out


def _digests(unit: Unit, keys: Mapping[str, Sequence[str]]) -> tuple[Expected, int]:
    """(rows, digest) of each of the unit's tables whose partition ``keys`` names, and the rows
    generated."""
    out: Expected = {}
    generated = 0
    for table, frame in unit.make().items():
        assert isinstance(frame, pl.DataFrame)  # generated here, not prefetched
        generated += frame.height
        if unit.part.key in keys.get(table, ()):
            out[(table, unit.part.key)] = frame.height, encoded.frame_digest(table, frame)
    return out, generated
