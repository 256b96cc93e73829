"""The whole population at once: what the activity simulation needs to know about everyone.

Activity depends on every identity shard (who can meet whom), so it works on arrays indexed by
``user id - 1``. Everything here is a pure function of the parameters, cached per parameters.
"""

from __future__ import annotations

import dataclasses
from functools import lru_cache

import numpy as np
import polars as pl
from numpy.typing import NDArray

from seed_assets import pools
from seed_assets.config import SeedParams
from seed_assets.generators import catalog, identity, interests, quiz
from seed_assets.generators.clock import US_PER_DAY, epoch_day
from seed_assets.generators.people import People, people
from seed_assets.scoring import Features


@dataclasses.dataclass(frozen=True, eq=False)
class Population:
    people: People
    features: Features
    signup_day: NDArray[np.float64]  # days since the start date (negative: signed up before)
    signup_us: NDArray[np.int64]  # exact microseconds since the start date
    first_name: pl.Series
    interest_names: pl.Series  # indexed by subject id, lower-case

    @property
    def n(self) -> int:
        return len(self.people)


@lru_cache(maxsize=2)
def population(params: SeedParams) -> Population:
    p = people(params, 1, params.users + 1)
    rows, subjects = interests.interest_choice(params, p)
    mask = np.zeros(len(p), dtype=np.uint32)
    np.bitwise_or.at(mask, rows, (np.uint32(1) << subjects.astype(np.uint32)))
    took, answers = quiz.quiz_answers(params, p)
    n_opts = catalog.quiz_questions_frame()["options"].list.len().to_numpy()
    scaled = np.where(took[:, None], np.rint(answers * 100 / (n_opts - 1)), -1).astype(np.int16)
    profiles = identity.profiles(params, 1, params.users + 1)
    start_us = epoch_day(params.start_date) * US_PER_DAY
    names = catalog.interest_subjects_frame()
    by_id = pl.Series([""] * (int(names["id"].max()) + 1))  # type: ignore[arg-type]
    by_id = by_id.scatter(names["id"].cast(pl.Int64), names["name"].str.to_lowercase())
    return Population(
        people=p,
        features=Features(
            age=p.age,
            intent=p.intent,
            interests=mask,
            quiz=scaled,
            traits=p.traits,
            latitude=profiles["latitude"].to_numpy(),
            longitude=profiles["longitude"].to_numpy(),
        ),
        signup_day=(p.signup_us - start_us) / US_PER_DAY,
        signup_us=p.signup_us - start_us,
        first_name=profiles["first_name"],
        interest_names=by_id,
    )


def city_names() -> pl.Series:
    return pools.table("cities.csv")["name"]


def since_signup_us(pop: Population, users: NDArray[np.int64], day: int) -> NDArray[np.int64]:
    """Microseconds into ``day`` at which each user signed up (0 if before the day, capped at
    the last microsecond) — exact integers, so "after signup" never rounds onto it."""
    return np.clip(pop.signup_us[users] - day * US_PER_DAY, 0, US_PER_DAY - 2)
