"""The peer: a seed script as such scripts are usually written, to compare seed-assets with.

``python -m bench.peer --url URL --users N --days D --likes L [--json PATH]`` fills the app's
users, profiles, profile_media, user_interests and likes tables of an already migrated database
(``bench.activity.measure.prepare``: every index and foreign key in place, the likes day
partitions created, the interest catalog loaded): each row is made in Python with Faker and
``random`` (seeded), and rows are sent with SQLAlchemy Core ``conn.execute(table.insert(),
rows)`` (executemany) in batches of 1,000, one commit per batch. It is neither a strawman (one
bcrypt hash for everyone, as seed-assets does; a set of pairs instead of a query per swipe) nor
tuned (no COPY, no dropped indexes, no vectorisation). Each table's seconds (generation and
inserts) go to ``--json``.
"""

from __future__ import annotations

import datetime as dt
import json
import random  # noqa: TID251  # the peer is a typical seed script, not a seed-assets generator
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import bcrypt
import click
import sqlalchemy as sa
from faker import Faker

from seed_assets.schema import likes, profile_media, profiles, user_interests, users

BATCH = 1_000
PASSWORD = b"password123"
GENDERS = ("male", "female", "nonbinary")
INTERESTED_IN = ("male", "female", "everyone")
INTENTS = ("long_term", "short_term", "casual", "friendship", "figuring_out")
ARCHETYPES = ("adventurer", "homebody", "socialite", "intellectual", "creative", "athlete")
LIKE_SHARE = 0.4  # share of swipes that are LIKEs (the rest PASS)
TABLES = ("users", "profiles", "profile_media", "user_interests", "likes")

Row = dict[str, Any]


def insert(conn: sa.Connection, table: sa.Table, rows: Iterable[Row]) -> int:
    """executemany in batches of BATCH rows, committing after each; return the rows sent."""
    batch: list[Row] = []
    sent = 0
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            conn.execute(table.insert(), batch)
            conn.commit()
            sent += len(batch)
            batch = []
    if batch:
        conn.execute(table.insert(), batch)
        conn.commit()
        sent += len(batch)
    return sent


def make_users(fake: Faker, n: int, start: dt.datetime) -> Iterator[Row]:
    password_hash = bcrypt.hashpw(PASSWORD, bcrypt.gensalt(rounds=10)).decode()  # once
    for user_id in range(1, n + 1):
        yield {
            "id": user_id,
            "email": fake.unique.email(),
            "password_hash": password_hash,
            "created_at": fake.date_time_between_dates(
                start - dt.timedelta(days=730), start, tzinfo=dt.UTC
            ),
        }


def make_profiles(fake: Faker, rng: random.Random, n: int) -> Iterator[Row]:
    for user_id in range(1, n + 1):
        gender = rng.choice(GENDERS)
        first = {"male": fake.first_name_male, "female": fake.first_name_female}.get(
            gender, fake.first_name_nonbinary
        )()
        lat, lng, city, _, _ = fake.local_latlng(country_code="US")  # type: ignore[misc]
        complete = rng.random() < 0.9
        yield {
            "user_id": user_id,
            "first_name": first,
            "last_name": fake.last_name(),
            "birthdate": fake.date_between_dates(dt.date(1964, 1, 1), dt.date(2005, 12, 31)),
            "gender": gender,
            "interested_in": rng.choice(INTERESTED_IN),
            "intent": rng.choice(INTENTS),
            "city": city,
            "latitude": float(lat),
            "longitude": float(lng),
            "bio": fake.paragraph(nb_sentences=2) if complete else None,
            "job_title": fake.job() if complete else None,
            "height_cm": round(rng.gauss(171, 9)),
            "archetype": rng.choice(ARCHETYPES),
            "sociability": rng.random(),
            "selectivity": rng.random(),
            "engagement": rng.random(),
        }


def make_media(fake: Faker, rng: random.Random, n: int, start: dt.datetime) -> Iterator[Row]:
    media_id = 0
    for user_id in range(1, n + 1):
        for position in range(rng.randint(3, 5)):
            media_id += 1
            yield {
                "id": media_id,
                "user_id": user_id,
                "position": position,
                "url": fake.image_url(),
                "created_at": fake.date_time_between_dates(
                    start - dt.timedelta(days=730), start, tzinfo=dt.UTC
                ),
            }


def make_interests(
    fake: Faker, rng: random.Random, n: int, start: dt.datetime, subject_ids: list[int]
) -> Iterator[Row]:
    for user_id in range(1, n + 1):
        for subject_id in rng.sample(subject_ids, rng.randint(3, 8)):
            yield {
                "user_id": user_id,
                "subject_id": subject_id,
                "created_at": fake.date_time_between_dates(
                    start - dt.timedelta(days=730), start, tzinfo=dt.UTC
                ),
            }


def make_likes(
    fake: Faker, rng: random.Random, n: int, start: dt.datetime, days: int, per_user_day: float
) -> Iterator[Row]:
    """Every day, each user swipes ``per_user_day`` candidates on average (whole part, plus
    one with the fractional part's probability), never the same person twice."""
    user_ids = list(range(1, n + 1))
    seen: set[tuple[int, int]] = set()
    like_id = 0
    whole, fraction = int(per_user_day), per_user_day % 1
    for d in range(days):
        day_start = start + dt.timedelta(days=d)
        for liker in user_ids:
            wanted = whole + (rng.random() < fraction)
            taken = 0
            while taken < wanted and len(seen) < n * (n - 1):
                likee = rng.choice(user_ids)
                if likee == liker or (liker, likee) in seen:
                    continue
                seen.add((liker, likee))
                taken += 1
                like_id += 1
                yield {
                    "id": like_id,
                    "day": day_start.date(),
                    "liker_id": liker,
                    "likee_id": likee,
                    "action": "LIKE" if rng.random() < LIKE_SHARE else "PASS",
                    "created_at": fake.date_time_between_dates(
                        day_start, day_start + dt.timedelta(days=1), tzinfo=dt.UTC
                    ),
                }


def seed(
    url: str, users_n: int, start_date: dt.date, days: int, likes_n: int, seed_value: int
) -> dict[str, Any]:
    """Fill the five tables; return {"tables": {name: {"rows", "seconds"}}, "seconds"}."""
    start = dt.datetime.combine(start_date, dt.time(), tzinfo=dt.UTC)
    Faker.seed(seed_value)
    fake = Faker("en_US")
    rng = random.Random(seed_value)
    engine = sa.create_engine(url)
    timings: dict[str, dict[str, float]] = {}
    started = time.perf_counter()
    with engine.connect() as conn:
        subject_ids = list(conn.scalars(sa.text("SELECT id FROM interest_subjects ORDER BY id")))
        per_user_day = likes_n / (users_n * days) if days else 0.0
        steps: list[tuple[sa.Table, Callable[[], Iterator[Row]]]] = [
            (users, lambda: make_users(fake, users_n, start)),
            (profiles, lambda: make_profiles(fake, rng, users_n)),
            (profile_media, lambda: make_media(fake, rng, users_n, start)),
            (user_interests, lambda: make_interests(fake, rng, users_n, start, subject_ids)),
            (likes, lambda: make_likes(fake, rng, users_n, start, days, per_user_day)),
        ]
        for table, rows in steps:
            t0 = time.perf_counter()
            sent = insert(conn, table, rows())
            timings[table.name] = {"rows": sent, "seconds": time.perf_counter() - t0}
    engine.dispose()
    return {"tables": timings, "seconds": time.perf_counter() - started}


def sqlalchemy_url(url: str) -> str:
    """``postgresql://...`` as SQLAlchemy's psycopg 3 URL."""
    scheme, rest = url.split("://", 1)
    return f"postgresql+psycopg://{rest}" if scheme in ("postgresql", "postgres") else url


@click.command(help=__doc__)
@click.option("--url", required=True, help="the migrated database (postgresql://...)")
@click.option("--users", type=int, required=True)
@click.option("--days", type=int, required=True)
@click.option("--start-date", type=click.DateTime(["%Y-%m-%d"]), default="2024-01-01")
@click.option("--likes", type=int, required=True, help="swipes to aim for, in total")
@click.option("--seed", "seed_value", type=int, default=1)
@click.option("--json", "json_path", type=click.Path(path_type=Path), help="write the timings here")
def main(
    url: str,
    users: int,
    days: int,
    start_date: dt.datetime,
    likes: int,
    seed_value: int,
    json_path: Path | None,
) -> None:
    result = seed(sqlalchemy_url(url), users, start_date.date(), days, likes, seed_value)
    text = json.dumps(result, indent=2)
    if json_path:
        json_path.write_text(text)
    click.echo(text)


if __name__ == "__main__":
    main()
