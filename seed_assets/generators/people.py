"""The latent attributes of users: pure functions of (run seed, calibration, user id).

:func:`people` computes, for a range of user ids, everything the identity tables and the activity
simulation need to know about a person — gender, age, city, archetype, traits, desirability,
signup time — as numpy arrays. A user's attributes depend only on their id, so a user can be
regenerated alone (``people(params, uid, uid + 1)``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from functools import cache, lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from seed_assets import calibration, pools
from seed_assets.config import SeedParams
from seed_assets.generators.clock import day_micros, time_of_day_micros
from seed_assets.rng import Rng, Stream

I64 = NDArray[np.int64]
GENDERS = np.array(["male", "female", "nonbinary"], dtype=object)
SEEKING = np.array(["male", "female", "everyone"], dtype=object)
INTENTS = np.array(calibration.INTENTS, dtype=object)


@dataclasses.dataclass(frozen=True, eq=False)  # hashed by identity: a cache key, never compared
class People:
    """Column arrays for users ``ids`` (all the same length)."""

    ids: NDArray[np.int64]
    gender: NDArray[np.int64]  # index into GENDERS
    seeking: NDArray[np.int64]  # index into SEEKING
    age: NDArray[np.int64]
    birthdate: NDArray[np.int64]  # days since 1970-01-01
    city: NDArray[np.int64]  # row of pools.table("cities.csv")
    archetype: NDArray[np.int64]  # index into the profile's archetypes
    traits: NDArray[np.float64]  # (n, 3): sociability, selectivity, engagement
    intent: NDArray[np.int64]  # index into INTENTS
    desirability: NDArray[np.float64]  # latent, standard normal
    signup_us: NDArray[np.int64]  # microseconds since the epoch (UTC)
    complete: NDArray[np.bool_]  # False for deliberately sparse profiles

    def __len__(self) -> int:
        return len(self.ids)


@cache
def _archetype_table(name: str) -> tuple[list[str], NDArray[np.float64], dict[str, Any]]:
    profile = calibration.load(name)
    arch = profile["archetypes"]
    names = list(arch)
    weights = np.array([arch[a]["weight"] for a in names], dtype=np.float64)
    return names, weights, arch


@cache
def _birthday_windows(ref: dt.date, max_age: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Per age a: the first possible birthday (days since epoch) of someone aged a on ``ref``,
    and how many days the window spans (calendar years, leap days included)."""

    def years_before(years: int) -> dt.date:
        try:
            return ref.replace(year=ref.year - years)
        except ValueError:  # 29 February in a common year
            return ref.replace(year=ref.year - years, day=28)

    epoch = dt.date(1970, 1, 1)
    first = np.zeros(max_age + 1, dtype=np.int64)
    span = np.ones(max_age + 1, dtype=np.int64)
    for age in range(max_age + 1):
        lo = years_before(age + 1) + dt.timedelta(days=1)
        hi = years_before(age)
        first[age], span[age] = (lo - epoch).days, (hi - lo).days + 1
    return first, span


def archetypes(params: SeedParams) -> list[str]:
    return _archetype_table(params.calibration)[0]


@lru_cache(maxsize=16)  # the identity tables of one shard share it; bounded, never required
def people(params: SeedParams, lo: int, hi: int) -> People:
    """The latent attributes of users ``lo <= id < hi``."""
    ident = calibration.load(params.calibration)["identity"]
    names, arch_weights, arch = _archetype_table(params.calibration)
    ids = np.arange(lo, hi, dtype=np.int64)
    s = Rng(params.run_seed).stream("people")

    shares = ident["gender_shares"]
    gender = s.choice([shares[g] for g in GENDERS], ids, 1)
    seeking_w = np.array(
        [[ident["interested_in"][g].get(t, 0.0) for t in SEEKING] for g in GENDERS]
    )
    seeking = s.choice_rows(seeking_w[gender], ids, 2)
    age, birthdate = _ages(ident, s, ids, params.start_date)
    cities = pools.table("cities.csv")
    city = s.choice(cities["weight"].cast(float).to_numpy(), ids, 5)
    archetype = s.choice(arch_weights, ids, 6)
    traits, intent = _traits_and_intent(s, ids, [arch[a] for a in names], archetype, age)
    return People(
        ids=ids,
        gender=gender,
        seeking=seeking,
        age=age,
        birthdate=birthdate,
        city=city,
        archetype=archetype,
        traits=traits,
        intent=intent,
        desirability=s.normal(ids, 12),
        signup_us=_signup_us(ident, s, ids, params.start_date),
        complete=~s.bernoulli(ident["incomplete_share"], ids, 13),
    )


def _ages(ident: dict[str, Any], s: Stream, ids: I64, start: dt.date) -> tuple[I64, I64]:
    """Ages (a long tail above the minimum) and birthdates that give those ages at ``start``."""
    excess = ident["age_excess_median"] * np.exp(ident["age_excess_sigma"] * s.normal(ids, 3))
    age = np.minimum(ident["age_min"] + np.floor(excess).astype(np.int64), ident["age_max"])
    first, span = _birthday_windows(start, ident["age_max"])
    birthdate = first[age] + np.floor(s.uniform(ids, 4) * span[age]).astype(np.int64)
    return age, birthdate


def _traits_and_intent(
    s: Stream, ids: I64, archetypes: list[dict[str, Any]], archetype: I64, age: I64
) -> tuple[NDArray[np.float64], I64]:
    """Traits around the archetype's means, and an intent drawn with the archetype's weights
    (long-term more likely with age)."""
    means = np.array([[a["traits"][t] for t in calibration.TRAITS] for a in archetypes])
    noise = np.stack([s.normal(ids, 7, k) for k in range(3)], axis=1)
    traits = np.clip(means[archetype] + 0.12 * noise, 0.0, 1.0)
    intent_w = np.array([a["intents"] for a in archetypes], dtype=np.float64)[archetype]
    intent_w[:, 0] *= np.clip(1.0 + (age - 30) / 25.0, 0.3, 2.5)  # older: more long-term
    return traits, s.choice_rows(intent_w, ids, 8)


def _signup_us(ident: dict[str, Any], s: Stream, ids: I64, start: dt.date) -> I64:
    """Sign-up times: a share during the seeded days, the others before the start."""
    ref_day = (start - dt.date(1970, 1, 1)).days
    during = s.bernoulli(ident["signup_during_share"], ids, 9)
    u = s.uniform(ids, 10)
    offset_days = np.where(
        during,
        np.floor(u * ident["signup_during_days"]),
        -1 - np.floor(u * u * ident["signup_lookback_days"]),  # denser close to the start
    ).astype(np.int64)
    return day_micros(ref_day + offset_days) + time_of_day_micros(ident["hour_weights"], s, ids, 11)
