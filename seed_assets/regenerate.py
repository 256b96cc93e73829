"""What the generators produce, without a database: (rows, digest) per partition.

``seed audit --deep`` compares it with the manifest, so a code change that alters rows without
a new generator version is found. Each simulated day is computed once for all its tables.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from seed_assets import generators, load, partitions
from seed_assets.config import SeedParams
from seed_assets.progress import Progress
from seed_assets.schema import ACTIVITY

Expected = dict[tuple[str, str], tuple[int, str]]


def expected(
    params: SeedParams, keys: Mapping[str, Sequence[str]], progress: Progress | None = None
) -> Expected:
    """{(table, partition key): (rows, digest)} for the catalog, identity and activity keys
    given (derived tables are computed from the database, not generated: they are skipped)."""
    from seed_assets.generators.activity import day_number, simulate_day

    progress = progress or Progress()
    out: Expected = {}
    activity = {t.name for t in ACTIVITY}
    days = sorted({k for t, ks in keys.items() if t in activity for k in ks})
    shards = [(t, k) for t, ks in keys.items() if t in generators.IDENTITY for k in ks]
    progress.start("regenerate", len(days) + len(shards) + 1)
    for table, make in generators.CATALOG.items():
        if table in keys:
            frame = make()
            out[(table, partitions.ALL)] = frame.height, load.frame_digest(table, frame)
    progress.advance("regenerate", 0)
    for table, key in shards:
        lo, hi = partitions.shard_ids(params, key)
        frame = generators.IDENTITY[table](params, lo, hi)
        out[(table, key)] = frame.height, load.frame_digest(table, frame)
        progress.advance("regenerate", frame.height)
    for key in days:
        frames = simulate_day(params, day_number(params, dt.date.fromisoformat(key)))
        for table, frame in frames.items():
            if key in keys.get(table, ()):
                out[(table, key)] = frame.height, load.frame_digest(table, frame)
        progress.advance("regenerate", sum(f.height for f in frames.values()))
    progress.finish("regenerate")
    return out
