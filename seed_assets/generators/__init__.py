"""Pure generators: (params, partition bounds) -> polars frame, one per seeded table.

No I/O, no environment and no Dagster here: the activity tier's on-disk memo of earlier days is
given to it by the caller (``seed_assets/memo.py``). ``IDENTITY`` maps each identity table to
its generator; every generator is a function of the run seed, the calibration profile and user
ids only.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from seed_assets.config import SeedParams
from seed_assets.generators import catalog, identity, interests, quiz
from seed_assets.schema import depends_on, table

ShardGenerator = Callable[[SeedParams, int, int], pl.DataFrame]

CATALOG: dict[str, Callable[[], pl.DataFrame]] = {
    "interest_subjects": catalog.interest_subjects_frame,
    "quiz_questions": catalog.quiz_questions_frame,
}

IDENTITY: dict[str, ShardGenerator] = {
    "users": identity.users,
    "profiles": identity.profiles,
    "profile_media": identity.profile_media,
    "user_interests": interests.user_interests,
    "interest_dirty": interests.interest_dirty,
    "quiz_results": quiz.quiz_results,
}


def _depth(name: str) -> int:
    """The identity table's dependency level (``Table.info["depends_on"]``): 0 for ``users``."""
    upstream = [t for t in depends_on(table(name)) if t in IDENTITY]
    return 1 + max((_depth(t) for t in upstream), default=-1)


# Rows per user, roughly (seeds/000 Phase A): within a dependency level the largest tables are
# written first, so their keys are built while the smaller ones load, not after the last.
_ROWS_PER_USER = {"quiz_results": 8.5, "user_interests": 5.5, "profile_media": 4.0}
# The order in which the identity step writes its tables (dependencies first, then the largest
# first); the prefetcher follows it.
IDENTITY_ORDER: list[str] = sorted(
    IDENTITY, key=lambda t: (_depth(t), -_ROWS_PER_USER.get(t, 1.0), t)
)
