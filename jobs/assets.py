"""The derived tier as Dagster assets: read inputs from PostgreSQL, call the pure job, write.

Each asset has the grain of its table (all, user shard, or day) and rewrites only the partitions
it is asked for, through the same write path as the seeded tables.
"""

import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

import dagster as dg
import polars as pl
import psycopg

from jobs import matching, stats, trending, users
from seed_assets import database, partitions
from seed_assets.config import SeedParams
from seed_assets.defs.partitions import SINGLE_RUN, daily_partitions, shard_partitions
from seed_assets.defs.resources import PostgresResource, SeedConfig
from seed_assets.frames import polars_schema
from seed_assets.partitions import Partition
from seed_assets.progress import Progress
from seed_assets.read import query_frame
from seed_assets.schema import depends_on, metadata, reads_every_partition
from seed_assets.schema import table as schema_table
from seed_assets.steps import table_asset_args, write_partitions
from seed_assets.write import Work

ALL = dg.AllPartitionMapping()
N_OPTIONS = "SELECT id AS question_id, cardinality(options) AS n FROM quiz_questions"
_IN_SHARD = partitions.range_sql("user_id")  # a shard's users, bound to [lo, hi]


def _deps(name: str) -> list[str | dg.AssetDep]:
    """The table's upstream tables (``Table.info``): those read whole over every partition."""
    t = schema_table(name)
    every = reads_every_partition(t)
    return [dg.AssetDep(n, partition_mapping=ALL) if n in every else n for n in depends_on(t)]


def _read_dtype(column: str) -> pl.DataType:
    """A column's dtype as jobs read it: the schema's, the same in every table that has the
    column, with integers as CSV reads them back (Int64)."""
    (dtype,) = {
        pl.Int64() if dtype.is_integer() else dtype
        for t in metadata.sorted_tables
        for name, dtype in polars_schema(t.name).items()
        if name == column
    }
    return dtype


# Types of the columns jobs join on, for reads that may come back empty (CSV then carries no
# types): the tables' columns as the schema has them, and the counts the queries compute.
_JOINED = ("id", "user_id", "liker_id", "conversation_id", "sender_id", "recipient_id", "post_id")
TYPES: dict[str, pl.DataType] = {
    **{c: _read_dtype(c) for c in (*_JOINED, "created_at", "action", "body")},
    "n": pl.Int64(),
    "views": pl.Int64(),
}


def _typed(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.cast({c: t for c, t in TYPES.items() if c in frame.columns})


def _read(url: str, sql: str, params: Sequence[object] | None = None) -> pl.DataFrame:
    with database.connection(url) as conn:
        return _typed(query_frame(conn, sql, params))


def _read_together(url: str, *queries: str) -> list[pl.DataFrame]:
    """Several reads in one snapshot (one repeatable-read transaction): consistent with each
    other even while another process commits."""
    with database.connection(url) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        frames = [_typed(query_frame(conn, sql)) for sql in queries]
        conn.rollback()
    return frames


# The whole-population inputs below are read once per Dagster run (one scan each instead of one
# per shard; match_scores and compatibility share one read) and never reused by a later run: the
# run id keys the cache, so a run after days were appended in the same process (a script calling
# `materialize`, the UI's code server) reads the database as it is then. Within a run, every
# upstream partition a derived asset reads is committed before it starts (asset dependencies).


@lru_cache(maxsize=1)
def _population(url: str, run_id: str, as_of: dt.date) -> tuple[pl.DataFrame, object]:
    """Everyone's scoring features, read once per run."""
    del run_id
    profiles, interests, answers, options = _read_together(
        url,
        "SELECT * FROM profiles ORDER BY user_id",
        "SELECT user_id, subject_id FROM user_interests",
        "SELECT user_id, question_id, answer FROM quiz_results",
        N_OPTIONS,
    )
    return matching.features(profiles, interests, answers, options, as_of)


@lru_cache(maxsize=1)
def _activity(url: str, run_id: str) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """Swipe counts per user and every message, read once per run and sliced per shard
    (neither table is indexed by user)."""
    del run_id
    days, swipes, messages = _read_together(
        url,
        "SELECT count(DISTINCT day) AS n FROM likes",
        "SELECT liker_id, action, count(*) AS n FROM likes GROUP BY 1, 2",
        "SELECT conversation_id, sender_id, recipient_id, created_at FROM messages",
    )
    return swipes, messages, int(days["n"][0] or 0)


def _asset(
    name: str, partitions_def: dg.PartitionsDefinition | None = None
) -> Callable[[Callable[..., Any]], dg.AssetsDefinition]:
    """The decorator of a derived table's asset (its grain given by ``partitions_def``)."""
    extra: dict[str, Any] = {"partitions_def": partitions_def} if partitions_def else {}
    if partitions_def:
        extra["backfill_policy"] = SINGLE_RUN
    return dg.asset(
        name=name,
        group_name="derived",
        deps=["seed_params", *_deps(name)],  # the run seed and start date shape the jobs too
        **extra,
        **table_asset_args(name),
    )


@dataclasses.dataclass(frozen=True)
class Inputs:
    """Where a job reads from: the database of this run (whole-population reads are cached per
    run), with the run's parameters."""

    params: SeedParams
    url: str
    run_id: str


# A job reads its inputs and returns the table's rows for one partition: the whole table, a
# shard or a day (the table's grain).
Job = Callable[[Inputs, Partition], pl.DataFrame]


def _derived_asset(
    name: str, partitions_def: dg.PartitionsDefinition | None, job: Job
) -> dg.AssetsDefinition:
    @_asset(name, partitions_def)
    def _derived(
        context: dg.AssetExecutionContext,
        seed_config: SeedConfig,
        database: PostgresResource,
        progress: dg.ResourceParam[Progress],
    ) -> dg.MaterializeResult:
        at = Inputs(seed_config.params(), database.resolved_url(), context.run.run_id)
        keys = context.partition_keys if partitions_def else [partitions.ALL]
        parts = [partitions.of_table(name, key, at.params) for key in keys]
        work: list[Work] = [(part, lambda part=part: {name: job(at, part)}) for part in parts]
        return write_partitions([name], at.params, database, progress, work)[name]

    return _derived


def _quiz_stats(at: Inputs, _: Partition) -> pl.DataFrame:
    answers = _read(at.url, "SELECT question_id, answer FROM quiz_results")
    return stats.quiz_stats(answers, _read(at.url, N_OPTIONS))


def _interest_relationships(at: Inputs, _: Partition) -> pl.DataFrame:
    return stats.interest_relationships(
        _read(at.url, "SELECT user_id, subject_id FROM user_interests")
    )


def _snapshot(at: Inputs, shard: Partition) -> pl.DataFrame:
    url, rng = at.url, list(partitions.shard_ids(at.params, shard.key))
    return users.searchable_users(
        _read(url, f"SELECT * FROM profiles WHERE {_IN_SHARD}", rng),
        _read(url, f"SELECT user_id FROM profile_media WHERE {_IN_SHARD}", rng),
        _read(url, f"SELECT user_id, subject_id FROM user_interests WHERE {_IN_SHARD}", rng),
        at.params.start_date,
    )


def _traits(at: Inputs, shard: Partition) -> pl.DataFrame:
    lo, hi = partitions.shard_ids(at.params, shard.key)
    swipes, messages, days = _activity(at.url, at.run_id)
    received = messages.filter(pl.col("recipient_id").is_between(lo, hi - 1))
    talks = messages.filter(pl.col("conversation_id").is_in(received["conversation_id"].implode()))
    return users.user_traits(
        pl.DataFrame({"id": range(lo, hi)}, schema={"id": pl.Int64}),
        swipes.filter(pl.col("liker_id").is_between(lo, hi - 1)),
        talks,
        days,
    )


def _scores(at: Inputs, shard: Partition) -> pl.DataFrame:
    lo, hi = partitions.shard_ids(at.params, shard.key)
    people, feats = _population(at.url, at.run_id, at.params.start_date)
    return matching.match_scores(people, feats, lo, hi, at.params.run_seed)  # type: ignore[arg-type]


def _compatibility(at: Inputs, shard: Partition) -> pl.DataFrame:
    people, feats = _population(at.url, at.run_id, at.params.start_date)
    pairs = _read(
        at.url,
        "SELECT user_id AS user_a_id, candidate_id AS user_b_id FROM match_scores "
        f"WHERE {_IN_SHARD}",
        list(partitions.shard_ids(at.params, shard.key)),
    )
    return matching.compatibility_rows(people, feats, pairs)  # type: ignore[arg-type]


@lru_cache(maxsize=1)
def _subjects(url: str, run_id: str) -> pl.DataFrame:
    """The interest subjects, read once per run."""
    del run_id
    return _read(url, "SELECT id, name FROM interest_subjects")


def _trending(at: Inputs, day: Partition) -> pl.DataFrame:
    assert isinstance(day.lo, dt.date)
    posts = _read(at.url, "SELECT id, body FROM posts WHERE day = %s", [day.lo])
    views = _read(
        at.url,
        "SELECT post_id, count(*) AS views FROM feed_seen WHERE day = %s GROUP BY 1",
        [day.lo],
    )
    return trending.trending(posts, views, _subjects(at.url, at.run_id), day.lo)


def build_derived(params_at_load: SeedParams) -> list[dg.AssetsDefinition]:
    shards = shard_partitions(params_at_load)
    return [
        _derived_asset("quiz_stats", None, _quiz_stats),
        _derived_asset("interest_relationships", None, _interest_relationships),
        _derived_asset("searchable_users", shards, _snapshot),
        _derived_asset("user_traits", shards, _traits),
        _derived_asset("match_scores", shards, _scores),
        _derived_asset("compatibility", shards, _compatibility),
        _derived_asset("trending", daily_partitions(params_at_load), _trending),
    ]
