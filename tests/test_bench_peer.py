"""The benchmark's peer seed script: it swipes as told and fills the migrated schema."""

from __future__ import annotations

import datetime as dt
import random  # noqa: TID251  # the peer's own randomness, as the script uses it

import psycopg
from faker import Faker

from bench import peer
from bench.activity.measure import prepare

START = dt.date(2024, 1, 1)


def test_likes_never_repeat_a_pair_and_hit_the_asked_rate() -> None:
    users, days, per_user_day = 40, 6, 2.4
    start = dt.datetime.combine(START, dt.time(), tzinfo=dt.UTC)
    rows = list(peer.make_likes(Faker(), random.Random(3), users, start, days, per_user_day))
    pairs = [(r["liker_id"], r["likee_id"]) for r in rows]
    assert all(a != b for a, b in pairs)
    assert len(set(pairs)) == len(pairs)
    assert [r["id"] for r in rows] == list(range(1, len(rows) + 1))
    assert abs(len(rows) - users * days * per_user_day) <= 0.1 * users * days * per_user_day
    for r in rows:
        assert r["day"] <= r["created_at"].date() <= r["day"] + dt.timedelta(days=1)


def test_the_peer_fills_the_full_schema(conn: psycopg.Connection, db_url: str) -> None:
    prepare(conn, db_url, START, days=3)
    result = peer.seed(peer.sqlalchemy_url(db_url), 30, START, 3, likes_n=150, seed_value=1)
    counts = {
        t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]  # type: ignore[index]
        for t in peer.TABLES
    }
    assert counts == {t: int(v["rows"]) for t, v in result["tables"].items()}
    assert counts["users"] == counts["profiles"] == 30
    assert 90 <= counts["profile_media"] <= 150
    assert 90 <= counts["user_interests"] <= 240
    assert 120 <= counts["likes"] <= 180
