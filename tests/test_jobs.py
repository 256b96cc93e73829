"""The derived tier: scoring maths, pure jobs, and tables consistent with their inputs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any, LiteralString

import dagster as dg
import numpy as np
import polars as pl
import psycopg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jobs import matching, stats
from seed_assets import (
    database,
    encoded,
    orchestrate,
    partitions,
    replay,
    table_audit,
    versions,
)
from seed_assets.config import SeedParams
from seed_assets.progress import Progress
from seed_assets.read import query_frame
from seed_assets.scoring import Features, compatibility
from tests.conftest import fresh_database, table_digest

PARAMS = SeedParams(
    run_seed="jobs", users=600, shard_size=200, start_date=dt.date(2024, 5, 1),
    end_date=dt.date(2024, 6, 1),
)  # fmt: skip
DAYS = ("2024-05-01", "2024-05-10")
DERIVED = [
    "match_scores", "compatibility", "interest_relationships", "searchable_users",
    "user_traits", "quiz_stats", "trending",
]  # fmt: skip


# --- scoring maths --------------------------------------------------------------------------------


@st.composite
def populations(draw: st.DrawFn) -> Features:
    n = draw(st.integers(2, 12))
    ints = st.integers(0, 2**25 - 1)
    quiz = [draw(st.lists(st.integers(0, 100), min_size=10, max_size=10)) for _ in range(n)]
    skipped = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    return Features(
        age=np.array(draw(st.lists(st.integers(18, 65), min_size=n, max_size=n))),
        intent=np.array(draw(st.lists(st.integers(0, 4), min_size=n, max_size=n))),
        interests=np.array(draw(st.lists(ints, min_size=n, max_size=n)), dtype=np.uint32),
        quiz=np.where(np.array(skipped)[:, None], -1, np.array(quiz)).astype(np.int16),
        traits=np.array([[draw(st.floats(0, 1)) for _ in range(3)] for _ in range(n)]),
        latitude=np.array(draw(st.lists(st.floats(25, 48), min_size=n, max_size=n))),
        longitude=np.array(draw(st.lists(st.floats(-122, -70), min_size=n, max_size=n))),
    )


def _pairs(f: Features) -> tuple[np.ndarray, np.ndarray]:
    n = len(f.age)
    a, b = np.meshgrid(np.arange(n), np.arange(n))
    return a.ravel(), b.ravel()


@settings(max_examples=60, deadline=None)
@given(populations())
def test_scores_are_bounded_symmetric_and_deterministic(f: Features) -> None:
    a, b = _pairs(f)
    score = compatibility(f, a, b)
    assert np.all((score >= 0) & (score <= 1))
    assert np.allclose(score, compatibility(f, b, a))
    assert np.array_equal(score, compatibility(f, a, b))


@settings(max_examples=60, deadline=None)
@given(populations(), st.integers(0, 24))
def test_a_new_shared_interest_never_lowers_the_score(f: Features, bit: int) -> None:
    flag = np.uint32(1 << bit)
    if np.any(f.interests[:2] & flag):
        return  # only a subject neither user has can become shared
    a, b = np.array([0]), np.array([1])
    before = compatibility(f, a, b)[0]
    more = f.interests.copy()
    more[:2] |= flag
    after = compatibility(Features(**{**f.__dict__, "interests": more}), a, b)[0]
    assert after >= before - 1e-12


# --- pure jobs ------------------------------------------------------------------------------------


def test_quiz_stats_counts_every_option() -> None:
    results = pl.DataFrame({"question_id": [1, 1, 1, 2], "answer": [0, 0, 2, 1]})
    out = stats.quiz_stats(results, pl.DataFrame({"question_id": [1, 2], "n": [3, 2]}))
    assert out.select("question_id", "answer", "responses").rows() == [
        (1, 0, 2), (1, 1, 0), (1, 2, 1), (2, 0, 0), (2, 1, 1),
    ]  # fmt: skip
    assert out.filter(pl.col("question_id") == 1)["share"].sum() == pytest.approx(1.0)


def test_interest_relationships_lift() -> None:
    picks = pl.DataFrame({"user_id": [1, 1, 2, 2, 3], "subject_id": [1, 2, 1, 2, 3]})
    out = stats.interest_relationships(picks)
    assert out.rows() == [(1, 2, 2, pytest.approx(1.5))]  # 2 of 3 users; P(1)=P(2)=2/3


# --- on a seeded database -------------------------------------------------------------------------


def _seed(url: str, groups: list[str]) -> None:
    res = orchestrate.resources(PARAMS, url, bulk=False, progress=Progress())
    with dg.DagsterInstance.ephemeral() as instance:
        orchestrate.run_tiers(PARAMS, res, instance, groups, DAYS)


@pytest.fixture(scope="module")
def db(server_url: str) -> Iterator[psycopg.Connection]:
    with fresh_database(server_url, "t_jobs") as url:
        _seed(url, ["params", "catalog", "identity", "activity", "derived"])
        with database.connection(url, autocommit=True) as conn:
            yield conn


def _scalar(db: psycopg.Connection, sql: LiteralString) -> Any:
    row = db.execute(sql).fetchone()
    assert row is not None
    return row[0]


def test_searchable_users_match_their_profiles(db: psycopg.Connection) -> None:
    assert _scalar(db, "SELECT count(*) FROM searchable_users") == PARAMS.users
    mismatches = """
        SELECT count(*) FROM searchable_users s JOIN profiles p USING (user_id)
        WHERE s.city <> p.city OR s.gender <> p.gender OR s.has_bio <> (p.bio IS NOT NULL)
           OR s.display_name <> p.first_name || ' ' || left(p.last_name, 1) || '.'
           OR s.photo_count <> (SELECT count(*) FROM profile_media m WHERE m.user_id = s.user_id)
           OR s.interest_ids <> ARRAY(SELECT subject_id FROM user_interests i
                                      WHERE i.user_id = s.user_id ORDER BY subject_id)
           OR s.age <> date_part('year', age(DATE '2024-05-01', p.birthdate))
    """
    assert _scalar(db, mismatches) == 0


def test_quiz_stats_totals_equal_the_results(db: psycopg.Connection) -> None:
    diff = """
        SELECT count(*) FROM quiz_stats s FULL JOIN (
            SELECT question_id, answer, count(*) AS n FROM quiz_results GROUP BY 1, 2) r
        USING (question_id, answer) WHERE coalesce(s.responses, -1) <> coalesce(r.n, 0)
    """
    assert _scalar(db, diff) == 0


def test_interest_relationships_equal_a_direct_count(db: psycopg.Connection) -> None:
    diff = """
        SELECT count(*) FROM interest_relationships r FULL JOIN (
            SELECT a.subject_id AS subject_a_id, b.subject_id AS subject_b_id, count(*) AS n
            FROM user_interests a JOIN user_interests b
              ON a.user_id = b.user_id AND a.subject_id < b.subject_id GROUP BY 1, 2) d
        USING (subject_a_id, subject_b_id) WHERE r.co_users IS DISTINCT FROM d.n
    """
    assert _scalar(db, diff) == 0


def test_user_traits_count_the_swipes(db: psycopg.Connection) -> None:
    diff = """
        SELECT count(*) FROM user_traits t LEFT JOIN (
            SELECT liker_id, count(*) FILTER (WHERE action = 'LIKE') AS l,
                   count(*) FILTER (WHERE action = 'PASS') AS p FROM likes GROUP BY 1) s
        ON s.liker_id = t.user_id
        WHERE t.likes_given <> coalesce(s.l, 0) OR t.passes_given <> coalesce(s.p, 0)
    """
    assert _scalar(db, diff) == 0
    assert _scalar(db, "SELECT count(*) FROM user_traits") == PARAMS.users


def test_match_scores_are_ranked_compatible_candidates(db: psycopg.Connection) -> None:
    assert _scalar(db, "SELECT count(*) FROM match_scores") > 0
    bad_rank = """
        SELECT count(*) FROM (SELECT user_id, score, rank,
            rank() OVER (PARTITION BY user_id ORDER BY score DESC) AS r FROM match_scores) x
        WHERE (rank = 1) AND r <> 1
    """
    assert _scalar(db, bad_rank) == 0
    wrong = """
        SELECT count(*) FROM match_scores m JOIN profiles a ON a.user_id = m.user_id
        JOIN profiles b ON b.user_id = m.candidate_id
        WHERE a.city <> b.city OR m.user_id = m.candidate_id
           OR NOT (a.interested_in IN ('everyone', b.gender))
           OR NOT (b.interested_in IN ('everyone', a.gender))
    """
    assert _scalar(db, wrong) == 0
    assert _scalar(db, "SELECT count(*) FROM compatibility") == _scalar(
        db, "SELECT count(*) FROM match_scores"
    )


def test_liked_pairs_are_more_compatible_than_passed_pairs(db: psycopg.Connection) -> None:
    people, feats = matching.features(
        query_frame(db, "SELECT * FROM profiles ORDER BY user_id"),
        query_frame(db, "SELECT user_id, subject_id FROM user_interests"),
        query_frame(db, "SELECT user_id, question_id, answer FROM quiz_results"),
        query_frame(db, "SELECT id AS question_id, cardinality(options) AS n FROM quiz_questions"),
        PARAMS.start_date,
    )
    swipes = query_frame(db, "SELECT liker_id, likee_id, action FROM likes")
    row = {u: i for i, u in enumerate(people["user_id"].to_list())}
    a = np.array([row[u] for u in swipes["liker_id"].to_list()])
    b = np.array([row[u] for u in swipes["likee_id"].to_list()])
    score = compatibility(feats, a, b)
    liked = (swipes["action"] == "LIKE").to_numpy()
    assert score[liked].mean() > score[~liked].mean()


def test_trending_ranks_each_day(db: psycopg.Connection) -> None:
    assert _scalar(db, "SELECT count(DISTINCT day) FROM trending") == 10
    gaps = """
        SELECT count(*) FROM (SELECT day, kind, count(*) AS n, max(rank) AS m FROM trending
                              GROUP BY 1, 2) x WHERE n <> m
    """
    assert _scalar(db, gaps) == 0


def test_incremental_equals_full_recompute(db: psycopg.Connection, server_url: str) -> None:
    """Derived partitions materialised one at a time, in another order, equal one full run."""
    full = {t: table_digest(db, t) for t in DERIVED}
    with fresh_database(server_url, "t_jobs_inc") as url:
        _seed(url, ["params", "catalog", "identity", "activity"])
        from seed_assets.definitions import build_all_assets

        assets = build_all_assets(PARAMS)
        res = orchestrate.resources(PARAMS, url, bulk=False, progress=Progress())
        sharded = ["match_scores", "searchable_users", "user_traits"]
        with dg.DagsterInstance.ephemeral() as instance:
            run = lambda sel, **kw: dg.materialize(  # noqa: E731
                assets,
                instance=instance,
                resources=res,
                selection=sel,
                **kw,
            )
            run(["quiz_stats", "interest_relationships"])
            for key in ("s0002", "s0000", "s0001"):
                run(sharded, partition_key=key)
            for key in ("s0001", "s0002", "s0000"):
                run(["compatibility"], partition_key=key)
            for day in ("2024-05-07", "2024-05-01", "2024-05-04"):
                run(["trending"], partition_key=day)
            run(
                ["trending"],
                tags={"dagster/asset_partition_range_start": DAYS[0],
                      "dagster/asset_partition_range_end": DAYS[1]},
            )  # fmt: skip
        with database.connection(url, autocommit=True) as conn:
            assert {t: table_digest(conn, t) for t in DERIVED} == full


def test_jobs_score_with_the_simulations_own_inputs(db: psycopg.Connection) -> None:
    """Rebuilt from the tables, the scoring features are exactly those the simulation used, so
    the compatibility job computes the very scores that drove the likes."""
    from seed_assets.generators.population import population

    _, feats = matching.features(
        query_frame(db, "SELECT * FROM profiles ORDER BY user_id"),
        query_frame(db, "SELECT user_id, subject_id FROM user_interests"),
        query_frame(db, "SELECT user_id, question_id, answer FROM quiz_results"),
        query_frame(db, "SELECT id AS question_id, cardinality(options) AS n FROM quiz_questions"),
        PARAMS.start_date,
    )
    simulated = population(PARAMS).features
    for name in ("age", "intent", "interests", "quiz", "traits", "latitude", "longitude"):
        assert np.array_equal(getattr(feats, name), getattr(simulated, name)), name


TRAITS_DIFF = """
    SELECT count(*) FROM user_traits t LEFT JOIN (
        SELECT liker_id, count(*) FILTER (WHERE action = 'LIKE') AS l,
               count(*) FILTER (WHERE action = 'PASS') AS p FROM likes GROUP BY 1) s
    ON s.liker_id = t.user_id
    WHERE t.likes_given <> coalesce(s.l, 0) OR t.passes_given <> coalesce(s.p, 0)
"""


def test_derived_tables_follow_days_appended_in_the_same_process(server_url: str) -> None:
    """Days appended and the jobs run again in one process (as `materialize` from a script or
    the UI's code server do): the derived tables are computed from the database as it is then,
    and the manifest records the digest of the rows actually written."""
    with fresh_database(server_url, "t_jobs_ext") as url:
        res = orchestrate.resources(PARAMS, url, bulk=False, progress=Progress())
        with dg.DagsterInstance.ephemeral() as instance:
            tiers = ["params", "catalog", "identity", "activity", "derived"]
            orchestrate.run_tiers(PARAMS, res, instance, tiers, ("2024-05-01", "2024-05-02"))
            with database.connection(url, autocommit=True) as conn:
                before = _scalar(conn, "SELECT sum(likes_given + passes_given) FROM user_traits")
            orchestrate.run_tiers(
                PARAMS, res, instance, ["activity", "derived"], ("2024-05-03", "2024-05-04")
            )
        with database.connection(url, autocommit=True) as conn:
            swipes = _scalar(conn, "SELECT count(*) FROM likes")
            counted = _scalar(conn, "SELECT sum(likes_given + passes_given) FROM user_traits")
            assert counted == swipes and swipes > before
            assert _scalar(conn, TRAITS_DIFF) == 0
            recorded = conn.execute(
                "SELECT partition_key, row_count, digest FROM seed_manifest "
                "WHERE table_name = 'user_traits' ORDER BY 1"
            ).fetchall()
            assert len(recorded) == 3
            for key, rows, digest in recorded:
                part = partitions.shard_partition(PARAMS, key)
                assert encoded.partition_digest(conn, "user_traits", part) == (rows, digest), key


def test_manifest_records_each_tiers_code_version(db: psycopg.Connection) -> None:
    """Seeded tables carry the generators' code version, derived ones the jobs' (which also
    covers the generators); the audit compares each table with its own."""
    recorded = dict(db.execute("SELECT DISTINCT table_name, code_version FROM seed_manifest"))
    assert set(DERIVED) <= set(recorded)
    for table, version in recorded.items():
        assert version == versions.code_version(table), table
        assert version == (versions.DERIVED if table in DERIVED else versions.SEEDED), table
    days = (dt.date.fromisoformat(DAYS[0]), dt.date.fromisoformat(DAYS[1]))
    exp = replay.Expectation(params=PARAMS, activity_days=days)
    manifest = table_audit.manifest_rows(db)
    assert not table_audit.audit_table(db, "user_traits", exp, manifest["user_traits"]).gaps
    key = "s0001"
    db.execute(
        "UPDATE seed_manifest SET code_version = %s "
        "WHERE table_name = 'user_traits' AND partition_key = %s",
        [versions.SEEDED, key],
    )
    try:
        manifest = table_audit.manifest_rows(db)
        gaps = table_audit.audit_table(db, "user_traits", exp, manifest["user_traits"]).gaps
        assert [(g.kind, g.partitions) for g in gaps] == [("stale", (key,))]
    finally:
        db.execute(
            "UPDATE seed_manifest SET code_version = %s "
            "WHERE table_name = 'user_traits' AND partition_key = %s",
            [versions.DERIVED, key],
        )
