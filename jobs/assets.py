"""The derived tier as Dagster assets: read inputs from PostgreSQL, call the pure job, write.

Each asset has the grain of its table (all, user shard, or day) and rewrites only the partitions
it is asked for, through the same write path as the seeded tables.
"""

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
    return dg.asset(  # type: ignore[return-value]
        name=name,
        group_name="derived",
        deps=["seed_params", *_deps(name)],  # the run seed and start date shape the jobs too
        **extra,
        **table_asset_args(name),  # type: ignore[arg-type]
    )


# A job reads its inputs and returns the table's rows: for the whole table, or for a shard.
WholeJob = Callable[[str], pl.DataFrame]
ShardJob = Callable[[SeedParams, str, str, int, int], pl.DataFrame]  # params, url, run id, range


def _whole_asset(name: str, job: WholeJob) -> dg.AssetsDefinition:
    @_asset(name)
    def _derived(
        seed_config: SeedConfig, database: PostgresResource, progress: dg.ResourceParam[Progress]
    ) -> dg.MaterializeResult:
        params, url = seed_config.params(), database.resolved_url()
        work: list[Work] = [(partitions.whole_table(), lambda: {name: job(url)})]
        return write_partitions([name], params, database, progress, work)[name]

    return _derived


def _shard_asset(name: str, shards: dg.PartitionsDefinition, job: ShardJob) -> dg.AssetsDefinition:
    @_asset(name, shards)
    def _derived(
        context: dg.AssetExecutionContext,
        seed_config: SeedConfig,
        database: PostgresResource,
        progress: dg.ResourceParam[Progress],
    ) -> dg.MaterializeResult:
        params, url, run = seed_config.params(), database.resolved_url(), context.run.run_id
        work: list[Work] = []
        for key in context.partition_keys:
            part = partitions.shard_partition(params, key)
            lo, hi = int(part.lo), int(part.hi)  # type: ignore[arg-type]
            work.append((part, lambda lo=lo, hi=hi: {name: job(params, url, run, lo, hi)}))
        return write_partitions([name], params, database, progress, work)[name]

    return _derived


def _quiz_stats(url: str) -> pl.DataFrame:
    answers = _read(url, "SELECT question_id, answer FROM quiz_results")
    return stats.quiz_stats(answers, _read(url, N_OPTIONS))


def _interest_relationships(url: str) -> pl.DataFrame:
    return stats.interest_relationships(
        _read(url, "SELECT user_id, subject_id FROM user_interests")
    )


def _snapshot(params: SeedParams, url: str, run_id: str, lo: int, hi: int) -> pl.DataFrame:
    del run_id
    rng = [lo, hi]
    return users.searchable_users(
        _read(url, f"SELECT * FROM profiles WHERE {_IN_SHARD}", rng),
        _read(url, f"SELECT user_id FROM profile_media WHERE {_IN_SHARD}", rng),
        _read(url, f"SELECT user_id, subject_id FROM user_interests WHERE {_IN_SHARD}", rng),
        params.start_date,
    )


def _traits(params: SeedParams, url: str, run_id: str, lo: int, hi: int) -> pl.DataFrame:
    swipes, messages, days = _activity(url, run_id)
    received = messages.filter(pl.col("recipient_id").is_between(lo, hi - 1))
    talks = messages.filter(pl.col("conversation_id").is_in(received["conversation_id"].implode()))
    return users.user_traits(
        pl.DataFrame({"id": range(lo, hi)}, schema={"id": pl.Int64}),
        swipes.filter(pl.col("liker_id").is_between(lo, hi - 1)),
        talks,
        days,
    )


def _scores(params: SeedParams, url: str, run_id: str, lo: int, hi: int) -> pl.DataFrame:
    people, feats = _population(url, run_id, params.start_date)
    return matching.match_scores(people, feats, lo, hi, params.run_seed)  # type: ignore[arg-type]


def _compatibility(params: SeedParams, url: str, run_id: str, lo: int, hi: int) -> pl.DataFrame:
    people, feats = _population(url, run_id, params.start_date)
    pairs = _read(
        url,
        "SELECT user_id AS user_a_id, candidate_id AS user_b_id FROM match_scores "
        f"WHERE {_IN_SHARD}",
        [lo, hi],
    )
    return matching.compatibility_rows(people, feats, pairs)  # type: ignore[arg-type]


def _trending_day(url: str, subjects: pl.DataFrame, day: dt.date) -> dict[str, pl.DataFrame]:
    posts = _read(url, "SELECT id, body FROM posts WHERE day = %s", [day])
    views = _read(
        url, "SELECT post_id, count(*) AS views FROM feed_seen WHERE day = %s GROUP BY 1", [day]
    )
    return {"trending": trending.trending(posts, views, subjects, day)}


def _trending_asset(days: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    @_asset("trending", days)
    def _derived(
        context: dg.AssetExecutionContext,
        seed_config: SeedConfig,
        database: PostgresResource,
        progress: dg.ResourceParam[Progress],
    ) -> dg.MaterializeResult:
        params, url = seed_config.params(), database.resolved_url()
        subjects = _read(url, "SELECT id, name FROM interest_subjects")
        work: list[Work] = [
            (partitions.day_partition(d), lambda d=d: _trending_day(url, subjects, d))
            for d in map(dt.date.fromisoformat, context.partition_keys)
        ]
        return write_partitions(["trending"], params, database, progress, work)["trending"]

    return _derived


def build_derived(params_at_load: SeedParams) -> list[dg.AssetsDefinition]:
    shards = shard_partitions(params_at_load)
    return [
        _whole_asset("quiz_stats", _quiz_stats),
        _whole_asset("interest_relationships", _interest_relationships),
        _shard_asset("searchable_users", shards, _snapshot),
        _shard_asset("user_traits", shards, _traits),
        _shard_asset("match_scores", shards, _scores),
        _shard_asset("compatibility", shards, _compatibility),
        _trending_asset(daily_partitions(params_at_load)),
    ]
