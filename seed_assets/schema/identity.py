"""Tier 1, identity: partitioned by user shard (a range of user ids)."""

from __future__ import annotations

import sqlalchemy as sa

from seed_assets.schema.base import TZ, deferred_fk, metadata, table_info, user_fk

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("email", sa.Text, nullable=False, comment="seed_ prefix, reserved domain"),
    sa.Column("password_hash", sa.Text, nullable=False, comment="bcrypt of the dev password"),
    sa.Column("created_at", TZ, nullable=False, comment="signup time"),
    sa.Index("users_email_key", "email", unique=True),
    info=table_info("identity", "shard", key="id"),
    comment="Accounts. Ids are sequential by shard.",
)

profiles = sa.Table(
    "profiles",
    metadata,
    sa.Column(
        "user_id", sa.BigInteger, deferred_fk("users.id"), primary_key=True, autoincrement=False
    ),
    sa.Column("first_name", sa.Text, nullable=False),
    sa.Column("last_name", sa.Text, nullable=False),
    sa.Column("birthdate", sa.Date, nullable=False),
    sa.Column("gender", sa.Text, nullable=False, comment="male, female, nonbinary"),
    sa.Column("interested_in", sa.Text, nullable=False, comment="male, female, everyone"),
    sa.Column("intent", sa.Text, nullable=False, comment="long_term, short_term, casual, ..."),
    sa.Column("city", sa.Text, nullable=False),
    sa.Column("latitude", sa.Double, nullable=False),
    sa.Column("longitude", sa.Double, nullable=False),
    sa.Column("bio", sa.Text, comment="null for deliberately incomplete profiles"),
    sa.Column("job_title", sa.Text),
    sa.Column("height_cm", sa.SmallInteger),
    sa.Column("archetype", sa.Text, nullable=False, comment="one of six personality archetypes"),
    sa.Column("sociability", sa.Double, nullable=False, comment="0..1, drives messaging"),
    sa.Column("selectivity", sa.Double, nullable=False, comment="0..1, drives pickiness"),
    sa.Column("engagement", sa.Double, nullable=False, comment="0..1, drives activity level"),
    sa.Index("profiles_city_gender_idx", "city", "gender"),
    info=table_info("identity", "shard", key="user_id", depends_on=("users",)),
    comment="Public profile and the personality that drives the user's simulated behaviour.",
)

profile_media = sa.Table(
    "profile_media",
    metadata,
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False, comment="user_id*8+pos"),
    user_fk(),
    sa.Column("position", sa.SmallInteger, nullable=False, comment="0 is the primary photo"),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("created_at", TZ, nullable=False),
    sa.Index("profile_media_user_idx", "user_id"),
    info=table_info("identity", "shard", key="user_id", depends_on=("users",)),
    comment="Profile photos, 3-5 per user, deterministic URLs.",
)

user_interests = sa.Table(
    "user_interests",
    metadata,
    sa.Column("user_id", sa.BigInteger, deferred_fk("users.id"), primary_key=True),
    sa.Column("subject_id", sa.SmallInteger, deferred_fk("interest_subjects.id"), primary_key=True),
    sa.Column("created_at", TZ, nullable=False),
    sa.Index("user_interests_subject_idx", "subject_id"),
    info=table_info("identity", "shard", key="user_id", depends_on=("users", "interest_subjects")),
    comment="The 3-8 interests each user picked.",
)

interest_dirty = sa.Table(
    "interest_dirty",
    metadata,
    sa.Column(
        "user_id", sa.BigInteger, deferred_fk("users.id"), primary_key=True, autoincrement=False
    ),
    sa.Column("marked_at", TZ, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    info=table_info("identity", "shard", key="user_id", depends_on=("user_interests",)),
    comment="Users whose interests changed since the interest jobs last ran (a work queue).",
)

quiz_results = sa.Table(
    "quiz_results",
    metadata,
    sa.Column("user_id", sa.BigInteger, deferred_fk("users.id"), primary_key=True),
    sa.Column("question_id", sa.SmallInteger, deferred_fk("quiz_questions.id"), primary_key=True),
    sa.Column("answer", sa.SmallInteger, nullable=False, comment="index into the options"),
    sa.Column("answered_at", TZ, nullable=False),
    info=table_info("identity", "shard", key="user_id", depends_on=("users", "quiz_questions")),
    comment="Quiz answers of the users who completed the quiz, driven by personality.",
)
