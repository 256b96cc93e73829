"""Tier 2, activity: PostgreSQL range partitions by day."""

from __future__ import annotations

import sqlalchemy as sa

from seed_assets.schema.base import TZ, deferred_fk, metadata, table_info, user_fk


def _activity(
    name: str,
    comment: str,
    *columns: sa.Column | sa.Index,
    depends_on: tuple[str, ...] = (),
    references: dict[str, str] | None = None,
) -> sa.Table:
    return sa.Table(
        name,
        metadata,
        *columns,
        info=table_info("activity", "day", key="day", depends_on=depends_on, references=references),
        comment=comment,
        postgresql_partition_by="RANGE (day)",
    )


posts = _activity(
    "posts",
    "Feed posts; active users post 1-3 times a week, heavy-tailed.",
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("day", sa.Date, primary_key=True),
    user_fk(),
    sa.Column("kind", sa.Text, nullable=False, comment="text or photo"),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("created_at", TZ, nullable=False),
)

likes = _activity(
    "likes",
    "Swipes (LIKE or PASS). A (liker, likee) pair appears at most once, ever.",
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("day", sa.Date, primary_key=True),
    user_fk("liker_id"),
    user_fk("likee_id"),
    sa.Column("action", sa.Text, nullable=False, comment="LIKE or PASS"),
    sa.Column("created_at", TZ, nullable=False),
)

matches = _activity(
    "matches",
    "Mutual likes, on the day of the later like.",
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("day", sa.Date, primary_key=True),
    user_fk("user_a_id"),
    user_fk("user_b_id"),
    sa.Column("created_at", TZ, nullable=False),
    depends_on=("likes",),
)

conversations = _activity(
    "conversations",
    "One conversation per match that someone wrote to.",
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("match_id", sa.BigInteger, nullable=False),
    user_fk("started_by"),
    sa.Column("created_at", TZ, nullable=False),
    depends_on=("matches",),
    references={"match_id": "matches.id"},
)

messages = _activity(
    "messages",
    "Chat messages; lengths per conversation are long-tailed.",
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("conversation_id", sa.BigInteger, nullable=False),
    user_fk("sender_id"),
    user_fk("recipient_id"),
    sa.Column("kind", sa.Text, nullable=False, comment="text, image, gif, voice"),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("created_at", TZ, nullable=False),
    depends_on=("conversations",),
    references={"conversation_id": "conversations.id"},
)

feed_seen = _activity(
    "feed_seen",
    "Which posts each user was shown in their feed.",
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("user_id", sa.BigInteger, deferred_fk("users.id"), primary_key=True),
    sa.Column("post_id", sa.BigInteger, primary_key=True),
    sa.Column("seen_at", TZ, nullable=False),
    depends_on=("posts",),
    references={"post_id": "posts.id"},
)
