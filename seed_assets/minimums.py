"""Minimum requirements per entity, read-only (the calibration profile's ``[minimums]`` and
``[named_accounts]``): every user has enough photos and interests, a share of matches has a
conversation, every named account has its likes, matches, conversations and feed."""

from __future__ import annotations

import dataclasses

import psycopg
from psycopg import sql

from seed_assets import calibration, ddl, partitions
from seed_assets.config import SeedParams


@dataclasses.dataclass(frozen=True)
class Shortfall:
    table: str
    detail: str
    partitions: tuple[str, ...]  # rewriting these restores it (empty: a rewrite would not)


def per_user(
    conn: psycopg.Connection, params: SeedParams, table: str, least: int
) -> Shortfall | None:
    """Users with fewer than ``least`` rows in ``table`` (their shards restore them)."""
    if not ddl.tables_exist(conn, "users", table):
        return None
    short = sql.SQL(
        "SELECT count(*), (array_agg(u.id ORDER BY u.id))[1:5], "
        "array_agg(DISTINCT (u.id - 1) / %s) "
        "FROM users u LEFT JOIN (SELECT user_id, count(*) AS n FROM {} GROUP BY 1) t "
        "ON t.user_id = u.id WHERE coalesce(t.n, 0) < %s"
    ).format(sql.Identifier(table))
    row = conn.execute(short, [params.shard_size, least]).fetchone()
    if not row or not row[0]:
        return None
    shards = tuple(partitions.shard_key(int(i)) for i in sorted(row[2]))
    sample = ", ".join(map(str, row[1]))
    return Shortfall(table, f"{row[0]:,} users have fewer than {least} (e.g. {sample})", shards)


def conversation_share(conn: psycopg.Connection, least: float) -> Shortfall | None:
    if not ddl.tables_exist(conn, "matches", "conversations"):
        return None
    row = conn.execute(
        "SELECT (SELECT count(*) FROM matches), (SELECT count(*) FROM conversations)"
    ).fetchone()
    matches, conversations = (int(row[0]), int(row[1])) if row else (0, 0)
    if not matches or conversations / matches >= least:
        return None
    share = conversations / matches
    return Shortfall(
        "conversations", f"{share:.1%} of matches have a conversation, < {least:.0%}", ()
    )


NAMED_SQL = """
WITH me AS (SELECT id FROM users WHERE email = %(email)s)
SELECT
  (SELECT count(*) FROM me),
  (SELECT count(*) FROM likes WHERE likee_id IN (SELECT id FROM me) AND action = 'LIKE'),
  (SELECT count(*) FROM matches WHERE user_a_id IN (SELECT id FROM me)
                                   OR user_b_id IN (SELECT id FROM me)),
  (SELECT count(*) FROM conversations c JOIN matches m ON m.id = c.match_id
    WHERE m.user_a_id IN (SELECT id FROM me) OR m.user_b_id IN (SELECT id FROM me)),
  (SELECT count(*) FROM messages WHERE sender_id IN (SELECT id FROM me)
                                    OR recipient_id IN (SELECT id FROM me)),
  (SELECT count(*) FROM feed_seen WHERE user_id IN (SELECT id FROM me))
"""


def named_accounts(
    conn: psycopg.Connection, params: SeedParams, activity_first_day: str | None
) -> list[Shortfall]:
    """Each named account's minimums; they land on the start date, so that day restores them."""
    if not params.named_accounts or not ddl.tables_exist(
        conn, "users", "likes", "matches", "conversations", "messages", "feed_seen"
    ):
        return []
    need = calibration.load(params.calibration)["named_accounts"]
    day = (activity_first_day,) if activity_first_day else ()
    out = []
    for email in params.named_accounts:
        row = conn.execute(NAMED_SQL, {"email": email}).fetchone()  # type: ignore[arg-type]
        present, likes, matches, conversations, messages, feed = row or (0,) * 6
        if not present:
            out.append(Shortfall("users", f"named account {email} does not exist", ()))
            continue
        if activity_first_day is None:
            continue  # no activity seeded: nothing is owed yet
        wanted = {
            "likes": (likes, need["likes_received"], "likes received"),
            "matches": (matches, need["matches"], "matches"),
            "conversations": (conversations, need["matches"], "conversations"),
            "messages": (
                messages,
                need["matches"] * need["messages_per_conversation"],
                "messages",
            ),
            "feed_seen": (feed, need["feed_posts"], "posts in the feed"),
        }
        for table, (have, least, what) in wanted.items():
            if have < least:
                out.append(Shortfall(table, f"named account {email}: {have} {what} < {least}", day))
    return out


def check(
    conn: psycopg.Connection, params: SeedParams, activity_first_day: str | None
) -> list[Shortfall]:
    least = calibration.load(params.calibration)["minimums"]
    found = [
        per_user(conn, params, "profile_media", int(least["photos_per_user"])),
        per_user(conn, params, "user_interests", int(least["interests_per_user"])),
        conversation_share(conn, float(least["conversation_share"]))
        if activity_first_day
        else None,
    ]
    return [s for s in found if s] + named_accounts(conn, params, activity_first_day)
