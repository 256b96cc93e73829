"""Tier 3, derived: computed from the seeded tables by ``jobs/``."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from seed_assets.schema.base import deferred_fk, metadata, table_info

match_scores = sa.Table(
    "match_scores",
    metadata,
    # No foreign keys on the two large derived caches: a trigger per row would dominate their
    # rewrite; they are recomputed from users by construction and checked by the tests.
    sa.Column("user_id", sa.BigInteger, primary_key=True),
    sa.Column("candidate_id", sa.BigInteger, primary_key=True),
    sa.Column("rank", sa.SmallInteger, nullable=False, comment="1 is the best candidate"),
    sa.Column("score", sa.Double, nullable=False, comment="0..1 from scoring.py"),
    info=table_info(
        "derived",
        "shard",
        key="user_id",
        depends_on=("profiles", "user_interests", "quiz_results"),
        reads_every_partition=("profiles", "user_interests", "quiz_results"),
        references={"user_id": "users.id", "candidate_id": "users.id"},
    ),
    comment="Each user's ranked candidates (age preference, distance, interests, intent, quiz).",
)

compatibility = sa.Table(
    "compatibility",
    metadata,
    sa.Column("user_a_id", sa.BigInteger, primary_key=True, comment="the user whose candidate"),
    sa.Column("user_b_id", sa.BigInteger, primary_key=True, comment="a candidate shown to them"),
    sa.Column("score", sa.Double, nullable=False),
    sa.Column("quiz_score", sa.Double, comment="null when either skipped the quiz"),
    sa.Column("trait_score", sa.Double, nullable=False),
    info=table_info(
        "derived",
        "shard",
        key="user_a_id",
        depends_on=("match_scores", "quiz_results"),
        reads_every_partition=("quiz_results",),
        references={"user_a_id": "users.id", "user_b_id": "users.id"},
    ),
    comment="Pairwise compatibility for the pairs the app would show (each user's match scores).",
)

interest_relationships = sa.Table(
    "interest_relationships",
    metadata,
    sa.Column(
        "subject_a_id", sa.SmallInteger, deferred_fk("interest_subjects.id"), primary_key=True
    ),
    sa.Column(
        "subject_b_id", sa.SmallInteger, deferred_fk("interest_subjects.id"), primary_key=True
    ),
    sa.Column("co_users", sa.Integer, nullable=False, comment="users who picked both"),
    sa.Column("lift", sa.Double, nullable=False, comment="P(a and b) / (P(a) P(b))"),
    info=table_info(
        "derived",
        "all",
        depends_on=("user_interests", "interest_subjects"),
        reads_every_partition=("user_interests",),
    ),
    comment="Co-occurrence of interests across users.",
)

searchable_users = sa.Table(
    "searchable_users",
    metadata,
    sa.Column(
        "user_id", sa.BigInteger, deferred_fk("users.id"), primary_key=True, autoincrement=False
    ),
    sa.Column("display_name", sa.Text, nullable=False),
    sa.Column("age", sa.SmallInteger, nullable=False),
    sa.Column("gender", sa.Text, nullable=False),
    sa.Column("interested_in", sa.Text, nullable=False),
    sa.Column("intent", sa.Text, nullable=False),
    sa.Column("city", sa.Text, nullable=False),
    sa.Column("latitude", sa.Double, nullable=False),
    sa.Column("longitude", sa.Double, nullable=False),
    sa.Column("interest_ids", pg.ARRAY(sa.SmallInteger), nullable=False),
    sa.Column("photo_count", sa.SmallInteger, nullable=False),
    sa.Column("has_bio", sa.Boolean, nullable=False),
    info=table_info(
        "derived",
        "shard",
        key="user_id",
        depends_on=("profiles", "profile_media", "user_interests"),
    ),
    comment="Denormalised search snapshot per user.",
)

user_traits = sa.Table(
    "user_traits",
    metadata,
    sa.Column(
        "user_id", sa.BigInteger, deferred_fk("users.id"), primary_key=True, autoincrement=False
    ),
    sa.Column("likes_given", sa.Integer, nullable=False),
    sa.Column("passes_given", sa.Integer, nullable=False),
    sa.Column("like_ratio", sa.Double, comment="null before the first swipe"),
    sa.Column("response_rate", sa.Double, comment="null before the first message received"),
    sa.Column("activity_level", sa.Text, nullable=False, comment="dormant, low, medium, high"),
    info=table_info(
        "derived",
        "shard",
        key="user_id",
        depends_on=("users", "likes", "messages"),
        reads_every_partition=("likes", "messages"),
    ),
    comment="Behavioural traits computed from activity.",
)

quiz_stats = sa.Table(
    "quiz_stats",
    metadata,
    sa.Column("question_id", sa.SmallInteger, deferred_fk("quiz_questions.id"), primary_key=True),
    sa.Column("answer", sa.SmallInteger, primary_key=True),
    sa.Column("responses", sa.Integer, nullable=False),
    sa.Column("share", sa.Double, nullable=False),
    info=table_info(
        "derived",
        "all",
        depends_on=("quiz_results", "quiz_questions"),
        reads_every_partition=("quiz_results",),
    ),
    comment="Answer distribution per quiz question.",
)

trending = sa.Table(
    "trending",
    metadata,
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("kind", sa.Text, primary_key=True, comment="interest or post"),
    sa.Column("rank", sa.SmallInteger, primary_key=True),
    sa.Column("item_id", sa.BigInteger, nullable=False),
    sa.Column("score", sa.Double, nullable=False),
    info=table_info(
        "derived", "day", key="day", depends_on=("posts", "feed_seen", "interest_subjects")
    ),
    comment="Posts and interests trending per day.",
)
