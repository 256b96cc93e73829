"""Every table, written down once (SQLAlchemy Core).

DDL, the COPY column order, polars dtypes (``frames.py``) and Dagster column metadata all derive
from these definitions. ``Table.info`` says how a table is partitioned:

- ``grain``: ``"all"`` (catalog, one partition), ``"shard"`` (identity: a range of user ids in
  ``key``), ``"day"`` (activity: PostgreSQL range partitions on the ``day`` column).
- ``tier``: the asset group (catalog, identity, activity, derived, ops).
- ``depends_on``: the tables its rows are computed from (its asset's upstream tables; an activity
  table also depends on every identity shard, which its asset adds). ``reads_every_partition``:
  those of them a partition reads whole (every upstream partition, not only its own).
- ``references``: logical references PostgreSQL does not enforce, ``{column: "table.column"}``
  (a conversation's match may be on an earlier day; the derived caches have no foreign keys).

:func:`reads_activity` and :func:`logical_references` read these; nothing else lists them.

Foreign keys are ``DEFERRABLE INITIALLY DEFERRED``: a partition rewrite deletes and re-inserts the
same deterministic ids inside one transaction, and the references are checked at commit.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

# Stable constraint names, so DDL can tell what exists and add only what is missing.
metadata = sa.MetaData(
    naming_convention={
        "ix": "%(table_name)s_%(column_0_N_name)s_idx",
        "uq": "%(table_name)s_%(column_0_N_name)s_key",
        "fk": "%(table_name)s_%(column_0_N_name)s_fkey",
        "pk": "%(table_name)s_pkey",
    }
)

TZ = sa.DateTime(timezone=True)


def _info(
    tier: str,
    grain: str,
    *,
    key: str | None = None,
    depends_on: tuple[str, ...] = (),
    reads_every_partition: tuple[str, ...] = (),
    references: dict[str, str] | None = None,
) -> dict[str, object]:
    """A table's ``info`` (see the module's docstring)."""
    info: dict[str, object] = {"tier": tier, "grain": grain}
    if key:
        info["key"] = key
    if tier not in ("catalog", "ops"):
        info["depends_on"] = depends_on
    if reads_every_partition:
        info["reads_every_partition"] = reads_every_partition
    if references:
        info["references"] = references
    return info


def _fk(target: str) -> sa.ForeignKey:
    return sa.ForeignKey(target, deferrable=True, initially="DEFERRED")


def _user_fk(name: str = "user_id", **kw: object) -> sa.Column:
    return sa.Column(name, sa.BigInteger, _fk("users.id"), nullable=False, **kw)  # type: ignore[arg-type]


# --- tier 0: catalog ------------------------------------------------------------------------------

interest_subjects = sa.Table(
    "interest_subjects",
    metadata,
    sa.Column("id", sa.SmallInteger, primary_key=True, autoincrement=False),
    sa.Column("name", sa.Text, nullable=False, unique=True),
    sa.Column("category", sa.Text, nullable=False, comment="outdoors, food_drink, culture, ..."),
    info=_info("catalog", "all"),
    comment="The interests a user can pick (fixed catalog).",
)

quiz_questions = sa.Table(
    "quiz_questions",
    metadata,
    sa.Column("id", sa.SmallInteger, primary_key=True, autoincrement=False),
    sa.Column("prompt", sa.Text, nullable=False),
    sa.Column(
        "dimension", sa.Text, nullable=False, comment="personality trait the answer reflects"
    ),
    sa.Column("options", pg.ARRAY(sa.Text), nullable=False, comment="ordered low to high"),
    info=_info("catalog", "all"),
    comment="The personality quiz (fixed catalog).",
)

# --- tier 1: identity (partitioned by user shard) -------------------------------------------------

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("email", sa.Text, nullable=False, comment="seed_ prefix, reserved domain"),
    sa.Column("password_hash", sa.Text, nullable=False, comment="bcrypt of the dev password"),
    sa.Column("created_at", TZ, nullable=False, comment="signup time"),
    sa.Index("users_email_key", "email", unique=True),
    info=_info("identity", "shard", key="id"),
    comment="Accounts. Ids are sequential by shard.",
)

profiles = sa.Table(
    "profiles",
    metadata,
    sa.Column("user_id", sa.BigInteger, _fk("users.id"), primary_key=True, autoincrement=False),
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
    info=_info("identity", "shard", key="user_id", depends_on=("users",)),
    comment="Public profile and the personality that drives the user's simulated behaviour.",
)

profile_media = sa.Table(
    "profile_media",
    metadata,
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False, comment="user_id*8+pos"),
    _user_fk(),
    sa.Column("position", sa.SmallInteger, nullable=False, comment="0 is the primary photo"),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("created_at", TZ, nullable=False),
    sa.Index("profile_media_user_idx", "user_id"),
    info=_info("identity", "shard", key="user_id", depends_on=("users",)),
    comment="Profile photos, 3-5 per user, deterministic URLs.",
)

user_interests = sa.Table(
    "user_interests",
    metadata,
    sa.Column("user_id", sa.BigInteger, _fk("users.id"), primary_key=True),
    sa.Column("subject_id", sa.SmallInteger, _fk("interest_subjects.id"), primary_key=True),
    sa.Column("created_at", TZ, nullable=False),
    sa.Index("user_interests_subject_idx", "subject_id"),
    info=_info("identity", "shard", key="user_id", depends_on=("users", "interest_subjects")),
    comment="The 3-8 interests each user picked.",
)

interest_dirty = sa.Table(
    "interest_dirty",
    metadata,
    sa.Column("user_id", sa.BigInteger, _fk("users.id"), primary_key=True, autoincrement=False),
    sa.Column("marked_at", TZ, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    info=_info("identity", "shard", key="user_id", depends_on=("user_interests",)),
    comment="Users whose interests changed since the interest jobs last ran (a work queue).",
)

quiz_results = sa.Table(
    "quiz_results",
    metadata,
    sa.Column("user_id", sa.BigInteger, _fk("users.id"), primary_key=True),
    sa.Column("question_id", sa.SmallInteger, _fk("quiz_questions.id"), primary_key=True),
    sa.Column("answer", sa.SmallInteger, nullable=False, comment="index into the options"),
    sa.Column("answered_at", TZ, nullable=False),
    info=_info("identity", "shard", key="user_id", depends_on=("users", "quiz_questions")),
    comment="Quiz answers of the users who completed the quiz, driven by personality.",
)

# --- tier 2: activity (PostgreSQL range partitions by day) ---------------------------------------


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
        info=_info("activity", "day", key="day", depends_on=depends_on, references=references),
        comment=comment,
        postgresql_partition_by="RANGE (day)",
    )


posts = _activity(
    "posts",
    "Feed posts; active users post 1-3 times a week, heavy-tailed.",
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("day", sa.Date, primary_key=True),
    _user_fk(),
    sa.Column("kind", sa.Text, nullable=False, comment="text or photo"),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("created_at", TZ, nullable=False),
)

likes = _activity(
    "likes",
    "Swipes (LIKE or PASS). A (liker, likee) pair appears at most once, ever.",
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("day", sa.Date, primary_key=True),
    _user_fk("liker_id"),
    _user_fk("likee_id"),
    sa.Column("action", sa.Text, nullable=False, comment="LIKE or PASS"),
    sa.Column("created_at", TZ, nullable=False),
)

matches = _activity(
    "matches",
    "Mutual likes, on the day of the later like.",
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("day", sa.Date, primary_key=True),
    _user_fk("user_a_id"),
    _user_fk("user_b_id"),
    sa.Column("created_at", TZ, nullable=False),
    depends_on=("likes",),
)

conversations = _activity(
    "conversations",
    "One conversation per match that someone wrote to.",
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("match_id", sa.BigInteger, nullable=False),
    _user_fk("started_by"),
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
    _user_fk("sender_id"),
    _user_fk("recipient_id"),
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
    sa.Column("user_id", sa.BigInteger, _fk("users.id"), primary_key=True),
    sa.Column("post_id", sa.BigInteger, primary_key=True),
    sa.Column("seen_at", TZ, nullable=False),
    depends_on=("posts",),
    references={"post_id": "posts.id"},
)

# --- tier 3: derived (computed by jobs/) ----------------------------------------------------------

match_scores = sa.Table(
    "match_scores",
    metadata,
    # No foreign keys on the two large derived caches: a trigger per row would dominate their
    # rewrite; they are recomputed from users by construction and checked by the tests.
    sa.Column("user_id", sa.BigInteger, primary_key=True),
    sa.Column("candidate_id", sa.BigInteger, primary_key=True),
    sa.Column("rank", sa.SmallInteger, nullable=False, comment="1 is the best candidate"),
    sa.Column("score", sa.Double, nullable=False, comment="0..1 from scoring.py"),
    info=_info(
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
    info=_info(
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
    sa.Column("subject_a_id", sa.SmallInteger, _fk("interest_subjects.id"), primary_key=True),
    sa.Column("subject_b_id", sa.SmallInteger, _fk("interest_subjects.id"), primary_key=True),
    sa.Column("co_users", sa.Integer, nullable=False, comment="users who picked both"),
    sa.Column("lift", sa.Double, nullable=False, comment="P(a and b) / (P(a) P(b))"),
    info=_info(
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
    sa.Column("user_id", sa.BigInteger, _fk("users.id"), primary_key=True, autoincrement=False),
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
    info=_info(
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
    sa.Column("user_id", sa.BigInteger, _fk("users.id"), primary_key=True, autoincrement=False),
    sa.Column("likes_given", sa.Integer, nullable=False),
    sa.Column("passes_given", sa.Integer, nullable=False),
    sa.Column("like_ratio", sa.Double, comment="null before the first swipe"),
    sa.Column("response_rate", sa.Double, comment="null before the first message received"),
    sa.Column("activity_level", sa.Text, nullable=False, comment="dormant, low, medium, high"),
    info=_info(
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
    sa.Column("question_id", sa.SmallInteger, _fk("quiz_questions.id"), primary_key=True),
    sa.Column("answer", sa.SmallInteger, primary_key=True),
    sa.Column("responses", sa.Integer, nullable=False),
    sa.Column("share", sa.Double, nullable=False),
    info=_info(
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
    info=_info("derived", "day", key="day", depends_on=("posts", "feed_seen", "interest_subjects")),
    comment="Posts and interests trending per day.",
)

# --- ops ------------------------------------------------------------------------------------------

seed_runs = sa.Table(
    "seed_runs",
    metadata,
    sa.Column("run_id", sa.Text, primary_key=True, comment="Dagster run id or CLI run id"),
    sa.Column("command", sa.Text, nullable=False, comment="what started it: seed up, ui, ..."),
    sa.Column("run_seed", sa.Text, nullable=False),
    sa.Column("params", pg.JSONB, nullable=False, comment="SeedParams without the password"),
    sa.Column("versions", pg.JSONB, nullable=False, comment="generator, dagster, postgres"),
    sa.Column("row_counts", pg.JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    sa.Column("status", sa.Text, nullable=False, comment="running, success, failure"),
    sa.Column("started_at", TZ, nullable=False, server_default=sa.func.now()),
    sa.Column("finished_at", TZ),
    info=_info("ops", "none"),
    comment="One row per seeding run.",
)

seed_manifest = sa.Table(
    "seed_manifest",
    metadata,
    sa.Column("table_name", sa.Text, primary_key=True),
    sa.Column("partition_key", sa.Text, primary_key=True),
    sa.Column("row_count", sa.BigInteger, nullable=False),
    sa.Column("digest", sa.Text, nullable=False, comment="order-independent digest of the rows"),
    sa.Column("run_seed", sa.Text, nullable=False),
    sa.Column("params_fingerprint", sa.Text, nullable=False),
    sa.Column("code_version", sa.Text, nullable=False),
    sa.Column("written_at", TZ, nullable=False, server_default=sa.func.now()),
    info=_info("ops", "none"),
    comment="One row per (table, partition) written: what is there and where it came from.",
)

seed_marker = sa.Table(
    "seed_marker",
    metadata,
    sa.Column("id", sa.SmallInteger, sa.CheckConstraint("id = 1"), primary_key=True),
    sa.Column("install_id", sa.Text, nullable=False, comment="random id of this installation"),
    sa.Column("environment", sa.Text, nullable=False, comment="development, staging, test, ..."),
    sa.Column("tool_version", sa.Text, nullable=False, comment="seed-assets and generator version"),
    sa.Column("schema_fingerprint", sa.Text, nullable=False, comment="digest of the DDL"),
    sa.Column("created_at", TZ, nullable=False, server_default=sa.func.now()),
    info=_info("ops", "none"),
    comment="One row: this database was set up by seed-assets for a non-production use. "
    "Destructive commands refuse to run without it.",
)

CATALOG = (interest_subjects, quiz_questions)
IDENTITY = (users, profiles, profile_media, user_interests, interest_dirty, quiz_results)
ACTIVITY = (posts, likes, matches, conversations, messages, feed_seen)
DERIVED = (
    match_scores,
    compatibility,
    interest_relationships,
    searchable_users,
    user_traits,
    quiz_stats,
    trending,
)
OPS = (seed_runs, seed_manifest, seed_marker)


def table(name: str) -> sa.Table:
    return metadata.tables[name]


def depends_on(t: sa.Table) -> tuple[str, ...]:
    """The tables ``t``'s rows are computed from (``info["depends_on"]``)."""
    return t.info.get("depends_on", ())


def reads_every_partition(t: sa.Table) -> tuple[str, ...]:
    """The upstream tables a partition of ``t`` reads whole."""
    return t.info.get("reads_every_partition", ())


def reads_activity(t: sa.Table) -> bool:
    """Whether ``t`` is computed from activity (an emptied activity tier empties it too)."""
    return t.info["tier"] != "activity" and any(
        table(n).info["tier"] == "activity" for n in depends_on(t)
    )


def logical_references(t: sa.Table) -> list[tuple[str, str, str]]:
    """``t``'s references PostgreSQL does not enforce: (column, target table, target column)."""
    refs: dict[str, str] = t.info.get("references", {})
    out = []
    for column, target in refs.items():
        target_table, target_column = target.split(".")
        out.append((column, target_table, target_column))
    return out
