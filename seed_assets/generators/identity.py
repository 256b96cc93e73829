"""Identity tables for a range of user ids: pure (params, lo, hi) -> polars frame functions.

Here the users, their profiles and photos; a user's interests are in ``interests.py``, their quiz
answers in ``quiz.py``."""

from __future__ import annotations

import base64
import hashlib
from functools import cache, lru_cache

import bcrypt
import numpy as np
import polars as pl

from seed_assets import calibration, pools
from seed_assets.config import SeedParams
from seed_assets.generators.clock import US_PER_DAY, US_PER_MINUTE, epoch_day, timestamps
from seed_assets.generators.interests import top_interest_names
from seed_assets.generators.people import GENDERS, INTENTS, SEEKING, People, archetypes, people
from seed_assets.rng import Rng

EMAIL_PREFIX = "seed_"
EMAIL_DOMAIN = "example.com"  # reserved (RFC 2606): mail to it goes nowhere
_BCRYPT_B64 = str.maketrans(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
    "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
)


@cache
def password_hash(run_seed: str, password: str, rounds: int = 10) -> str:
    """One real bcrypt hash per run, with a salt derived from the run seed (so it is stable)."""
    raw = hashlib.blake2b(f"salt:{run_seed}".encode(), digest_size=16).digest()
    salt = base64.b64encode(raw).decode().rstrip("=").translate(_BCRYPT_B64)
    return bcrypt.hashpw(password.encode(), f"$2b${rounds:02d}${salt}".encode()).decode()


def _names(params: SeedParams, p: People) -> tuple[pl.Series, pl.Series]:
    ident = calibration.load(params.calibration)["identity"]
    s = Rng(params.run_seed).stream("names")
    kinds = ("male", "female", "neutral")
    weights = np.array([[ident["first_name_pool"][g].get(k, 0.0) for k in kinds] for g in GENDERS])
    which = s.choice_rows(weights[p.gender], p.ids, 1)
    flat, offset, size = pools.grouped([pools.series(f"first_names_{k}.txt") for k in kinds])
    first = pools.pick(flat, offset[which] + s.integers(0, size[which], p.ids, 2))
    last_pool = pools.series("last_names.txt")
    return first, pools.pick(last_pool, s.integers(0, len(last_pool), p.ids, 3))


@lru_cache(maxsize=4)
def named_ids(params: SeedParams) -> np.ndarray:
    """User ids of the named accounts: the i-th is the i-th user (by id) who signed up before the
    start date, so it can be active from the first simulated day."""
    k = len(params.named_accounts)
    if not k:
        return np.zeros(0, dtype=np.int64)
    start_us = epoch_day(params.start_date) * US_PER_DAY
    span = 4 * k + 64
    while True:  # a prefix of the population almost always suffices; grow it if not
        p = people(params, 1, min(span, params.users) + 1)
        found = p.ids[p.signup_us < start_us][:k]
        if len(found) == k or span >= params.users:
            return found.astype(np.int64)
        span *= 4


def users(params: SeedParams, lo: int, hi: int) -> pl.DataFrame:
    p = people(params, lo, hi)
    first, last = _names(params, p)
    email = (
        pl.DataFrame({"i": p.ids, "f": first, "l": last})
        .select(
            pl.format(
                f"{EMAIL_PREFIX}{{}}.{{}}.{{}}@{EMAIL_DOMAIN}", "i", "f", "l"
            ).str.to_lowercase()
        )
        .to_series()
    )
    if params.named_accounts:
        ids = named_ids(params)
        at = np.searchsorted(p.ids, ids)
        mine = (at < len(p.ids)) & (p.ids[np.minimum(at, len(p.ids) - 1)] == ids)
        names = pl.Series(params.named_accounts[: len(ids)])
        email = email.scatter(at[mine], names.filter(pl.Series(mine)))
    return pl.DataFrame(
        {
            "id": p.ids,
            "email": email,
            "password_hash": password_hash(params.run_seed, params.dev_password),
            "created_at": timestamps(p.signup_us),
        }
    )


def profiles(params: SeedParams, lo: int, hi: int) -> pl.DataFrame:
    ident = calibration.load(params.calibration)["identity"]
    p = people(params, lo, hi)
    s = Rng(params.run_seed).stream("profiles")
    first, last = _names(params, p)
    cities = pools.table("cities.csv")
    jitter = 0.06 * np.stack([s.normal(p.ids, 1), s.normal(p.ids, 2)])
    jobs = pools.series("job_titles.txt")
    city_names = pools.pick(cities["name"], p.city)
    height_mean = np.where(p.gender == 0, 178.0, np.where(p.gender == 1, 164.0, 171.0))
    return pl.DataFrame(
        {
            "user_id": p.ids,
            "first_name": first,
            "last_name": last,
            "birthdate": pl.Series(p.birthdate, dtype=pl.Int32).cast(pl.Date),
            "gender": pools.pick(pl.Series(GENDERS), p.gender),
            "interested_in": pools.pick(pl.Series(SEEKING), p.seeking),
            "intent": pools.pick(pl.Series(INTENTS), p.intent),
            "city": city_names,
            "latitude": cities["latitude"].cast(float).to_numpy()[p.city] + jitter[0],
            "longitude": cities["longitude"].cast(float).to_numpy()[p.city] + jitter[1],
            "bio": _bios(params, p, city_names),
            "job_title": pools.pick(jobs, s.integers(0, len(jobs), p.ids, 4)).set(
                pl.Series(~p.complete | s.bernoulli(ident["job_missing_share"], p.ids, 3)), None
            ),
            "height_cm": pl.Series(
                np.round(height_mean + 7.0 * s.normal(p.ids, 5)).astype(np.int64)
            ).set(
                pl.Series(~p.complete | s.bernoulli(ident["height_missing_share"], p.ids, 6)), None
            ),
            "archetype": pools.pick(pl.Series(archetypes(params)), p.archetype),
            "sociability": p.traits[:, 0],
            "selectivity": p.traits[:, 1],
            "engagement": p.traits[:, 2],
        }
    )


def _bios(params: SeedParams, p: People, city: pl.Series) -> pl.Series:
    """Templates filled with the user's first interest, city and an archetype 'vibe' phrase."""
    s = Rng(params.run_seed).stream("bios")
    templates = pools.series("bio_templates.txt")
    vibes = pools.table("vibes.csv")
    flat, offset, size = pools.grouped(
        [vibes.filter(pl.col("archetype") == a)["phrase"] for a in archetypes(params)]
    )
    a = p.archetype
    frame = pl.DataFrame(
        {
            "t": pools.pick(templates, s.integers(0, len(templates), p.ids, 2)),
            "interest": top_interest_names(params, p),
            "city": city,
            "vibe": pools.pick(flat, offset[a] + s.integers(0, size[a], p.ids, 1)),
        }
    )
    bio = frame.select(
        pl.col("t")
        .str.replace("{interest}", pl.col("interest"), literal=True)
        .str.replace("{city}", pl.col("city"), literal=True)
        .str.replace("{vibe}", pl.col("vibe"), literal=True)
    ).to_series()
    return bio.set(pl.Series(~p.complete), None).alias("bio")


def profile_media(params: SeedParams, lo: int, hi: int) -> pl.DataFrame:
    ident = calibration.load(params.calibration)["identity"]
    p = people(params, lo, hi)
    rng = Rng(params.run_seed)
    s = rng.stream("media")
    count = s.integers(ident["media_min"], ident["media_max"] + 1, p.ids)
    rows = np.repeat(np.arange(len(p)), count)
    position = np.arange(len(rows)) - np.repeat(np.cumsum(count) - count, count)
    uid = p.ids[rows]
    token = rng.hex_token("media-url", length=8)
    urls = (
        pl.DataFrame({"u": uid, "k": position})
        .select(pl.format(f"https://picsum.photos/seed/{token}-{{}}-{{}}/600/800", "u", "k"))
        .to_series()
    )
    delay = np.floor((position + s.uniform(uid, position, 1)) * 3 * US_PER_MINUTE)  # in order
    return pl.DataFrame(
        {
            "id": uid * 8 + position,
            "user_id": uid,
            "position": position,
            "url": urls,
            "created_at": timestamps(p.signup_us[rows] + delay.astype(np.int64)),
        }
    )
