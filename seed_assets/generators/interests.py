"""A user's interests (identity tier): each user's picks from the catalog, shared by the
``user_interests`` and ``interest_dirty`` tables, the profiles' bios and the activity tier."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import polars as pl

from seed_assets import calibration, pools
from seed_assets.config import SeedParams
from seed_assets.generators import catalog
from seed_assets.generators.clock import US_PER_MINUTE, timestamps
from seed_assets.generators.people import People, archetypes, people
from seed_assets.rng import Rng


@lru_cache(maxsize=16)  # shared by profiles (bios) and user_interests of one shard
def interest_choice(params: SeedParams, p: People) -> tuple[np.ndarray, np.ndarray]:
    """Each user's interests as (user index, subject id) in preference order (Gumbel top-k)."""
    ident = calibration.load(params.calibration)["identity"]
    arch = calibration.load(params.calibration)["archetypes"]
    subjects = catalog.interest_subjects_frame()
    subject_ids = subjects["id"].to_numpy().astype(np.int64)
    rng = Rng(params.run_seed)
    # Popularity: a seeded Zipf-like ranking of the catalog, shared by everyone.
    rank = np.argsort(np.argsort(rng.stream("interest-popularity").u64(subject_ids)))
    base = 1.0 / np.sqrt(1.0 + rank)
    cats = subjects["category"].to_numpy()
    affinity = np.array(
        [
            [arch[a].get("interest_affinity", {}).get(c, 1.0) for c in cats]
            for a in archetypes(params)
        ]
    )
    s = rng.stream("interests")
    score = np.log(base * affinity[p.archetype]) + s.gumbel(p.ids[:, None], subject_ids[None, :])
    order = np.argsort(-score, axis=1, kind="stable")
    spread = ident["interests_max"] - ident["interests_min"]
    count = ident["interests_min"] + sum(
        s.bernoulli(ident["interests_p"], p.ids, 100 + k).astype(np.int64) for k in range(spread)
    )
    taken = np.arange(len(subject_ids))[None, :] < count[:, None]
    rows, cols = np.nonzero(taken)
    return rows, subject_ids[order[rows, cols]]


def top_interest_names(params: SeedParams, p: People) -> pl.Series:
    """Each user's favourite interest, lower-cased for use inside a sentence."""
    rows, subject = interest_choice(params, p)
    first = np.zeros(len(p), dtype=np.int64)
    first[rows[::-1]] = subject[::-1]  # the first pick of each row wins
    subjects = catalog.interest_subjects_frame()
    by_id = pl.Series([""] * (int(subjects["id"].max()) + 1))  # type: ignore[arg-type]
    by_id = by_id.scatter(subjects["id"].cast(pl.Int64), subjects["name"].str.to_lowercase())
    return pools.pick(by_id, first)


def user_interests(params: SeedParams, lo: int, hi: int) -> pl.DataFrame:
    ident = calibration.load(params.calibration)["identity"]
    p = people(params, lo, hi)
    rows, subject = interest_choice(params, p)
    s = Rng(params.run_seed).stream("interest-times")
    delay = np.floor(s.uniform(p.ids[rows], subject) * ident["onboarding_minutes"] * US_PER_MINUTE)
    return pl.DataFrame(
        {
            "user_id": p.ids[rows],
            "subject_id": subject,
            "created_at": timestamps(p.signup_us[rows] + delay.astype(np.int64)),
        }
    ).sort("user_id", "subject_id")


def interest_dirty(params: SeedParams, lo: int, hi: int) -> pl.DataFrame:
    ident = calibration.load(params.calibration)["identity"]
    p = people(params, lo, hi)
    return pl.DataFrame(
        {
            "user_id": p.ids,
            "marked_at": timestamps(p.signup_us + ident["onboarding_minutes"] * US_PER_MINUTE),
            "reason": "signup",
        }
    )
