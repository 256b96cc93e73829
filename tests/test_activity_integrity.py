"""Referential and temporal integrity of the activity tier, checked in SQL on a seeded database.

One database per module: 1,000 users and 30 days of activity materialised through Dagster.
Each check selects the offending rows, so a failure shows a few of them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import dagster as dg
import psycopg
import pytest
from psycopg import sql

from seed_assets import calibration, database, encoded, orchestrate, partitions
from seed_assets.config import SeedParams
from seed_assets.generators.activity import TABLES
from seed_assets.progress import Progress
from tests.conftest import fresh_database

# Named accounts ride along: every invariant below must hold for their guaranteed activity too.
NAMED = ("qa.one@example.com", "qa.two@example.com")
PARAMS = SeedParams(
    run_seed="act",
    users=1_000,
    shard_size=500,
    start_date=dt.date(2024, 1, 1),
    end_date=dt.date(2024, 2, 1),
    named_accounts=NAMED,
)
DAYS = 30
FIRST, LAST = PARAMS.start_date, PARAMS.start_date + dt.timedelta(days=DAYS - 1)
WINDOW_DAYS = int(calibration.load(PARAMS.calibration)["activity"]["conversation_window_days"])

# (table, user column, timestamp column) of every user reference in the activity tables.
USER_REFS = [
    ("posts", "user_id", "created_at"),
    ("likes", "liker_id", "created_at"),
    ("likes", "likee_id", "created_at"),
    ("matches", "user_a_id", "created_at"),
    ("matches", "user_b_id", "created_at"),
    ("conversations", "started_by", "created_at"),
    ("messages", "sender_id", "created_at"),
    ("messages", "recipient_id", "created_at"),
    ("feed_seen", "user_id", "seen_at"),
]
TIME_COLUMN = {t: ("seen_at" if t == "feed_seen" else "created_at") for t in TABLES}


@pytest.fixture(scope="module")
def seeded_url(server_url: str) -> Iterator[str]:
    with fresh_database(server_url, "t_integrity") as url:
        res = orchestrate.resources(PARAMS, url, bulk=False, progress=Progress())
        with dg.DagsterInstance.ephemeral() as instance:
            orchestrate.run_tiers(
                PARAMS,
                res,
                instance,
                ["params", "catalog", "identity", "activity"],
                (FIRST.isoformat(), LAST.isoformat()),
            )
        yield url


@pytest.fixture(scope="module")
def db(seeded_url: str) -> Iterator[psycopg.Connection]:
    with database.connection(seeded_url, autocommit=True) as c:
        yield c


def offenders(db: psycopg.Connection, query: str, params: list[object] | None = None) -> list:
    """The first rows of a query that selects violations (empty when the invariant holds)."""
    return db.execute(f"{query} LIMIT 5", params).fetchall()  # type: ignore[arg-type]


def scalar(db: psycopg.Connection, query: str, params: list[object] | None = None) -> int:
    row = db.execute(query, params).fetchone()  # type: ignore[arg-type]
    assert row is not None
    return int(row[0])


def test_every_table_has_rows_on_every_day(db: psycopg.Connection) -> None:
    for table in TABLES:
        days = scalar(db, f'SELECT count(DISTINCT day) FROM "{table}"')
        assert days == DAYS, f"{table}: rows on {days} of {DAYS} days"
    assert scalar(db, "SELECT count(*) FROM users") == PARAMS.users


# --- likes and matches ----------------------------------------------------------------------------


def test_every_match_is_two_likes_and_forms_on_the_later_one(db: psycopg.Connection) -> None:
    bad = offenders(
        db,
        """
        SELECT m.id, m.day, m.user_a_id, m.user_b_id, ab.day, ba.day, m.created_at,
               greatest(ab.created_at, ba.created_at)
        FROM matches m
        LEFT JOIN likes ab ON ab.liker_id = m.user_a_id AND ab.likee_id = m.user_b_id
                          AND ab.action = 'LIKE'
        LEFT JOIN likes ba ON ba.liker_id = m.user_b_id AND ba.likee_id = m.user_a_id
                          AND ba.action = 'LIKE'
        WHERE m.user_a_id >= m.user_b_id
           OR ab.id IS NULL OR ba.id IS NULL
           OR ab.day > m.day OR ba.day > m.day
           OR greatest(ab.day, ba.day) <> m.day
           OR greatest(ab.created_at, ba.created_at) <> m.created_at
        """,
    )
    assert bad == []
    assert scalar(db, "SELECT count(*) FROM matches") > 500


def test_every_mutual_like_is_exactly_one_match(db: psycopg.Connection) -> None:
    assert (
        offenders(
            db,
            "SELECT user_a_id, user_b_id, count(*) FROM matches GROUP BY 1, 2 HAVING count(*) > 1",
        )
        == []
    )
    mutual = offenders(
        db,
        """
        SELECT ab.liker_id, ab.likee_id
        FROM likes ab
        JOIN likes ba ON ba.liker_id = ab.likee_id AND ba.likee_id = ab.liker_id
                     AND ba.action = 'LIKE'
        WHERE ab.action = 'LIKE' AND ab.liker_id < ab.likee_id
          AND NOT EXISTS (SELECT 1 FROM matches m
                          WHERE m.user_a_id = ab.liker_id AND m.user_b_id = ab.likee_id)
        """,
    )
    assert mutual == []


def test_a_pair_is_swiped_at_most_once_per_direction_and_never_oneself(
    db: psycopg.Connection,
) -> None:
    twice = offenders(
        db,
        "SELECT liker_id, likee_id, array_agg(day) FROM likes GROUP BY 1, 2 HAVING count(*) > 1",
    )
    assert twice == []
    assert offenders(db, "SELECT id, day, liker_id FROM likes WHERE liker_id = likee_id") == []
    assert offenders(db, "SELECT id FROM likes WHERE action NOT IN ('LIKE', 'PASS')") == []


# --- conversations and messages -------------------------------------------------------------------


def test_conversations_belong_to_matches_within_the_window(db: psycopg.Connection) -> None:
    bad = offenders(
        db,
        """
        SELECT c.id, c.day, c.match_id, c.started_by, c.created_at, m.id, m.created_at
        FROM conversations c
        LEFT JOIN matches m ON m.id = c.match_id
        WHERE m.id IS NULL
           OR c.created_at <= m.created_at
           OR c.created_at >= m.created_at + make_interval(days => %s)
           OR c.started_by NOT IN (m.user_a_id, m.user_b_id)
        """,
        [WINDOW_DAYS],
    )
    assert bad == []
    assert offenders(db, "SELECT match_id FROM conversations GROUP BY 1 HAVING count(*) > 1") == []
    assert scalar(db, "SELECT count(*) FROM conversations") > 300


def test_messages_are_between_the_two_matched_users_after_the_match(
    db: psycopg.Connection,
) -> None:
    bad = offenders(
        db,
        """
        SELECT x.id, x.day, x.conversation_id, x.sender_id, x.recipient_id, x.created_at,
               c.id, m.user_a_id, m.user_b_id, m.created_at
        FROM messages x
        LEFT JOIN conversations c ON c.id = x.conversation_id
        LEFT JOIN matches m ON m.id = c.match_id
        WHERE c.id IS NULL OR m.id IS NULL
           OR x.sender_id = x.recipient_id
           OR x.sender_id NOT IN (m.user_a_id, m.user_b_id)
           OR x.recipient_id NOT IN (m.user_a_id, m.user_b_id)
           OR x.created_at <= m.created_at
           OR x.created_at < c.created_at
           OR x.created_at >= m.created_at + make_interval(days => %s)
        """,
        [WINDOW_DAYS],
    )
    assert bad == []


def test_message_kinds_and_openers(db: psycopg.Connection) -> None:
    kinds = {r[0] for r in db.execute("SELECT DISTINCT kind FROM messages").fetchall()}
    assert kinds <= {"text", "image", "gif", "voice"}
    assert "text" in kinds and len(kinds) >= 3
    openers = """
        SELECT DISTINCT ON (x.conversation_id) x.conversation_id, x.id, x.kind, x.body,
               x.sender_id, x.created_at
        FROM messages x ORDER BY x.conversation_id, x.created_at, x.id
    """
    bad = offenders(
        db,
        f"SELECT * FROM ({openers}) o WHERE strpos(o.body, '{{') > 0 "
        "OR strpos(o.body, '}') > 0 OR o.body = '' OR o.kind <> 'text'",
    )
    assert bad == []
    # The opener is the conversation's first message: same time, sent by the starter.
    mismatched = offenders(
        db,
        f"""
        SELECT c.id, c.started_by, c.created_at, o.sender_id, o.created_at
        FROM conversations c LEFT JOIN ({openers}) o ON o.conversation_id = c.id
        WHERE o.id IS NULL OR o.sender_id <> c.started_by OR o.created_at <> c.created_at
        """,
    )
    assert mismatched == []


# --- time: signups and day partitions -------------------------------------------------------------


@pytest.mark.parametrize(("table", "user_col", "time_col"), USER_REFS)
def test_nobody_acts_or_is_acted_on_before_signing_up(
    db: psycopg.Connection, table: str, user_col: str, time_col: str
) -> None:
    bad = offenders(
        db,
        f"""
        SELECT t.day, t."{user_col}", t."{time_col}", u.created_at
        FROM "{table}" t JOIN users u ON u.id = t."{user_col}"
        WHERE t."{time_col}" <= u.created_at
        ORDER BY t.day, t."{user_col}"
        """,
    )
    assert bad == [], f"{table}.{time_col} not after the signup of {user_col}"


def test_users_who_sign_up_during_the_period_have_no_earlier_activity(
    db: psycopg.Connection,
) -> None:
    events = " UNION ALL ".join(
        f'SELECT "{u}" AS user_id, "{t_col}" AS at, \'{t}.{u}\' AS what FROM "{t}"'
        for t, u, t_col in USER_REFS
    )
    late = "SELECT id, created_at FROM users WHERE created_at >= %s"
    start = dt.datetime.combine(FIRST, dt.time(), tzinfo=dt.UTC)
    newcomers = scalar(db, f"SELECT count(*) FROM ({late}) n", [start])
    active = scalar(
        db,
        f"SELECT count(DISTINCT e.user_id) FROM ({events}) e JOIN ({late}) n ON n.id = e.user_id",
        [start],
    )
    assert newcomers > 50 and active > 20  # the check below is not vacuous
    bad = offenders(
        db,
        f"""
        SELECT e.what, e.user_id, e.at, n.created_at
        FROM ({events}) e JOIN ({late}) n ON n.id = e.user_id
        WHERE e.at < n.created_at
        """,
        [start],
    )
    assert bad == []


@pytest.mark.parametrize("table", TABLES)
def test_every_timestamp_lies_in_its_partition_day(db: psycopg.Connection, table: str) -> None:
    col = TIME_COLUMN[table]
    bad = offenders(
        db,
        f"""SELECT day, "{col}" FROM "{table}"
            WHERE ("{col}" AT TIME ZONE 'UTC')::date <> day OR day < %s OR day > %s""",
        [FIRST, LAST],
    )
    assert bad == []


# --- references -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("table", "user_col", "time_col"), USER_REFS)
def test_every_user_reference_exists(
    db: psycopg.Connection, table: str, user_col: str, time_col: str
) -> None:
    bad = offenders(
        db,
        f'SELECT t."{user_col}" FROM "{table}" t '
        f'WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = t."{user_col}")',
    )
    assert bad == []


def test_feeds_show_existing_posts_of_others_after_they_were_written(
    db: psycopg.Connection,
) -> None:
    missing = offenders(
        db,
        "SELECT f.day, f.user_id, f.post_id FROM feed_seen f "
        "WHERE NOT EXISTS (SELECT 1 FROM posts p WHERE p.id = f.post_id)",
    )
    assert missing == []
    bad = offenders(
        db,
        """
        SELECT f.day, f.user_id, f.post_id, p.user_id, p.created_at, f.seen_at
        FROM feed_seen f JOIN posts p ON p.id = f.post_id
        WHERE p.user_id = f.user_id OR f.seen_at <= p.created_at
        """,
    )
    assert bad == []


# --- the manifest ---------------------------------------------------------------------------------


def test_manifest_matches_every_stored_day(db: psycopg.Connection) -> None:
    rows = db.execute(
        "SELECT table_name, partition_key, row_count, digest FROM seed_manifest "
        "WHERE table_name = ANY(%s)",
        [list(TABLES)],
    ).fetchall()
    keys = [(t, k) for t, k, _, _ in rows]
    dates = [FIRST + dt.timedelta(days=d) for d in range(DAYS)]
    assert sorted(keys) == sorted((t, d.isoformat()) for t in TABLES for d in dates)
    counts = {
        (t, d.isoformat()): n
        for t in TABLES
        for d, n in db.execute(
            sql.SQL("SELECT day, count(*) FROM {} GROUP BY day").format(sql.Identifier(t))
        ).fetchall()
    }
    for table, key, row_count, digest in rows:
        assert row_count == counts.get((table, key), 0), (table, key)
        part = partitions.day_partition(dt.date.fromisoformat(key))
        assert encoded.partition_digest(db, table, part) == (row_count, digest), (table, key)


def test_named_accounts_get_their_minimums_on_the_first_day(db: psycopg.Connection) -> None:
    need = calibration.load(PARAMS.calibration)["named_accounts"]
    for email in NAMED:
        me = scalar(db, "SELECT id FROM users WHERE email = %s", [email])
        signed_up = "SELECT created_at FROM users WHERE id = %s"
        row = db.execute(signed_up, [me]).fetchone()
        assert row is not None and row[0].date() < FIRST
        on_day_0 = [FIRST, me]
        likes = "SELECT count(*) FROM likes WHERE day = %s AND likee_id = %s AND action = 'LIKE'"
        assert scalar(db, likes, on_day_0) >= need["likes_received"]
        matched = "SELECT count(*) FROM matches WHERE day = %s AND %s IN (user_a_id, user_b_id)"
        assert scalar(db, matched, on_day_0) >= need["matches"]
        talks = (
            "SELECT c.id, count(x.id) FROM conversations c JOIN matches m ON m.id = c.match_id "
            "JOIN messages x ON x.conversation_id = c.id AND x.day = %s "
            "WHERE c.day = %s AND %s IN (m.user_a_id, m.user_b_id) GROUP BY c.id"
        )
        chats = db.execute(talks, [FIRST, FIRST, me]).fetchall()
        assert len(chats) >= need["matches"]
        assert all(n >= need["messages_per_conversation"] for _, n in chats), chats
        feed = "SELECT count(*) FROM feed_seen WHERE day = %s AND user_id = %s"
        assert scalar(db, feed, on_day_0) >= need["feed_posts"]
