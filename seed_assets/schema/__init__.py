"""Every table, written down once (SQLAlchemy Core): one module per tier (``catalog``,
``identity``, ``activity``, ``derived``) and the bookkeeping tables (``ops``), declared with
``base``'s metadata; this package gathers them and says what a table's ``info`` means.

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

# isort: off
# In tier order: ``metadata.tables`` keeps the order in which the tables are declared.
from seed_assets.schema.base import TZ, metadata
from seed_assets.schema.catalog import interest_subjects, quiz_questions
from seed_assets.schema.identity import (
    interest_dirty,
    profile_media,
    profiles,
    quiz_results,
    user_interests,
    users,
)
from seed_assets.schema.activity import conversations, feed_seen, likes, matches, messages, posts
from seed_assets.schema.derived import (
    compatibility,
    interest_relationships,
    match_scores,
    quiz_stats,
    searchable_users,
    trending,
    user_traits,
)
from seed_assets.schema.ops import seed_manifest, seed_marker, seed_runs
# isort: on

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


__all__ = [
    "ACTIVITY",
    "CATALOG",
    "DERIVED",
    "IDENTITY",
    "OPS",
    "TZ",
    "compatibility",
    "conversations",
    "depends_on",
    "feed_seen",
    "interest_dirty",
    "interest_relationships",
    "interest_subjects",
    "likes",
    "logical_references",
    "match_scores",
    "matches",
    "messages",
    "metadata",
    "posts",
    "profile_media",
    "profiles",
    "quiz_questions",
    "quiz_results",
    "quiz_stats",
    "reads_activity",
    "reads_every_partition",
    "searchable_users",
    "seed_manifest",
    "seed_marker",
    "seed_runs",
    "table",
    "trending",
    "user_interests",
    "user_traits",
    "users",
]
