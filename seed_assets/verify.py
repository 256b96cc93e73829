"""The calibration profile's target metrics, measured on a seeded database (read-only SQL).

:func:`metrics` computes every metric of the profile's ``[targets]`` table from the database.
Each metric names the table (asset) it belongs to. A metric that needs activity the database does
not hold is not applicable: its value is NaN and it counts as ok. :func:`frame_metrics` computes
the same metrics from the tables' rows as frames (the pure generators' output, no database): the
calibration tests measure the generators with it, and ``tests/test_verify.py`` checks that the SQL
and the frames give equal values.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import numpy as np
import polars as pl
import psycopg

from seed_assets import calibration, database
from seed_assets.config import ConfigError, SeedParams

NAN = float("nan")
NO_ACTIVITY = "no activity seeded"
PER_USER = (("interests", "user_interests"), ("photos", "profile_media"))  # rows per user
# The table (asset) each target metric belongs to.
METRIC_TABLES: dict[str, str] = {
    "match_rate": "matches",
    "response_rate": "messages",
    "posts_per_active_user_week": "posts",
    "messages_per_match": "messages",
    "quiz_completion": "quiz_results",
    **{f"{n}_{k}": t for n, t in PER_USER for k in ("per_user", "fewest", "most")},
}


@dataclasses.dataclass(frozen=True)
class Metric:
    """One measured figure against its target range ``[lo, hi]`` (inclusive)."""

    name: str
    table: str  # the asset the metric belongs to
    value: float  # NaN: not applicable (``detail`` says why)
    lo: float
    hi: float
    detail: str

    @property
    def ok(self) -> bool:
        return math.isnan(self.value) or self.lo <= self.value <= self.hi


def targets(params: SeedParams) -> dict[str, tuple[float, float]]:
    """The ``[targets]`` table of the params' calibration profile: name -> (lo, hi)."""
    profile = calibration.load(params.calibration)
    if "targets" not in profile:
        raise ConfigError(f"calibration profile {params.calibration!r} has no [targets] table")
    return {name: (float(lo), float(hi)) for name, (lo, hi) in profile["targets"].items()}


@contextmanager
def read_only(url: str) -> Iterator[psycopg.Connection]:
    """A connection whose every transaction is read-only (writes fail in PostgreSQL itself)."""
    with database.connection(url, autocommit=True) as conn:
        conn.execute("SET default_transaction_read_only = on")
        yield conn


def metrics(conn: psycopg.Connection, params: SeedParams) -> list[Metric]:
    """Every target metric of the profile, measured on the database behind ``conn``."""
    goal = targets(params)
    measured: list[tuple[str, float, str]] = [
        ("match_rate", *_match_rate(conn)),
        ("response_rate", *_response_rate(conn)),
        ("posts_per_active_user_week", *_posts_per_week(conn, params.start_date)),
        ("messages_per_match", *_messages_per_match(conn)),
        ("quiz_completion", *_quiz_completion(conn)),
    ]
    for name, table in PER_USER:
        mean, fewest, most, users = _per_user(conn, table)
        detail = f"{users:,} users" if users else "no users seeded"
        measured += [
            (f"{name}_per_user", mean, f"{detail}, min {fewest:g}, max {most:g}"),
            (f"{name}_fewest", fewest, detail),
            (f"{name}_most", most, detail),
        ]
    unknown = sorted(set(goal) - {m[0] for m in measured})
    if unknown:
        raise ConfigError(f"calibration profile {params.calibration!r}: unknown targets {unknown}")
    return [
        Metric(name, METRIC_TABLES[name], value, *goal[name], detail)
        for name, value, detail in measured
        if name in goal
    ]


def _one(conn: psycopg.Connection, sql: str, args: object = None) -> tuple:
    row = conn.execute(sql, args).fetchone()  # type: ignore[arg-type]
    assert row is not None
    return tuple(row)


def _ratio(numerator: int, denominator: int, between: str, after: str) -> tuple[float, str]:
    if not denominator:
        return NAN, NO_ACTIVITY
    return numerator / denominator, f"{numerator:,} {between} {denominator:,} {after}"


def _match_rate(conn: psycopg.Connection) -> tuple[float, str]:
    matches, likes = _one(
        conn,
        "SELECT (SELECT count(*) FROM matches), (SELECT count(*) FROM likes WHERE action = 'LIKE')",
    )
    return _ratio(matches, likes, "matches /", "LIKE swipes")


def _response_rate(conn: psycopg.Connection) -> tuple[float, str]:
    """Conversations with a message from someone other than the starter / conversations."""
    answered, conversations = _one(
        conn,
        "SELECT (SELECT count(DISTINCT m.conversation_id) FROM messages m "
        "        JOIN conversations c ON c.id = m.conversation_id "
        "        WHERE m.sender_id <> c.started_by), "
        "(SELECT count(*) FROM conversations)",
    )
    return _ratio(answered, conversations, "of", "conversations answered")


def _messages_per_match(conn: psycopg.Connection) -> tuple[float, str]:
    messages, matches = _one(
        conn, "SELECT (SELECT count(*) FROM messages), (SELECT count(*) FROM matches)"
    )
    return _ratio(messages, matches, "messages /", "matches")


def _posts_per_week(conn: psycopg.Connection, start: dt.date) -> tuple[float, str]:
    """Mean posts per active user-week over complete weeks from the start date; a user is active
    in a week with at least one post or swipe."""
    (last,) = _one(
        conn, "SELECT greatest((SELECT max(day) FROM likes), (SELECT max(day) FROM posts))"
    )
    if last is None:
        return NAN, NO_ACTIVITY
    weeks = ((last - start).days + 1) // 7
    if weeks < 1:
        return NAN, f"fewer than 7 days of activity seeded (to {last})"
    end = start + dt.timedelta(days=7 * weeks)
    window = "day >= %(start)s AND day < %(end)s"
    week = "(day - %(start)s::date) / 7"
    user_weeks, posts = _one(
        conn,
        f"WITH posted AS (SELECT user_id, {week} AS week, count(*) AS posts FROM posts "
        f"                WHERE {window} GROUP BY 1, 2), "
        f"swiped AS (SELECT DISTINCT liker_id AS user_id, {week} AS week FROM likes "
        f"           WHERE {window}), "
        "active AS (SELECT user_id, week FROM posted UNION SELECT user_id, week FROM swiped) "
        "SELECT count(*), coalesce(sum(p.posts), 0) FROM active a "
        "LEFT JOIN posted p USING (user_id, week)",
        {"start": start, "end": end},
    )
    if not user_weeks:
        return NAN, NO_ACTIVITY
    return int(posts) / user_weeks, f"{int(posts):,} posts / {user_weeks:,} active user-weeks"


def _quiz_completion(conn: psycopg.Connection) -> tuple[float, str]:
    took, users = _one(
        conn,
        "SELECT (SELECT count(DISTINCT user_id) FROM quiz_results), (SELECT count(*) FROM users)",
    )
    if not users:
        return NAN, "no users seeded"
    return took / users, f"{took:,} of {users:,} users"


def _per_user(conn: psycopg.Connection, table: str) -> tuple[float, float, float, int]:
    """(mean, fewest, most) rows of ``table`` per user, counting users without any, and users."""
    mean, fewest, most, users = _one(
        conn,
        "SELECT avg(n)::float8, min(n)::float8, max(n)::float8, count(*) FROM ("
        f"  SELECT u.id, count(t.user_id) AS n FROM users u LEFT JOIN {table} t "
        "  ON t.user_id = u.id GROUP BY u.id) per_user",
    )
    if not users:
        return NAN, NAN, NAN, 0
    return float(mean), float(fewest), float(most), int(users)


# --- The same metrics over frames (the generators' output) -----------------------------------


def frame_match_rate(likes: pl.DataFrame, matches: pl.DataFrame) -> float:
    return matches.height / int((likes["action"] == "LIKE").sum())


def frame_response_rate(conversations: pl.DataFrame, messages: pl.DataFrame) -> float:
    answered = (
        conversations.join(messages, left_on="id", right_on="conversation_id")
        .filter(pl.col("sender_id") != pl.col("started_by"))["id"]
        .n_unique()
    )
    return answered / conversations.height


def frame_messages_per_match(messages: pl.DataFrame, matches: pl.DataFrame) -> float:
    return messages.height / matches.height


def frame_posts_per_week(posts: pl.DataFrame, likes: pl.DataFrame, start: dt.date) -> float:
    """Posts / active user-weeks over the complete weeks from ``start`` to the last day seen."""
    last = pl.concat([posts["day"], likes["day"]]).max()
    assert isinstance(last, dt.date)
    weeks = (last.toordinal() - start.toordinal() + 1) // 7
    end = start + dt.timedelta(days=7 * weeks)
    week = ((pl.col("day") - pl.lit(start)).dt.total_days() // 7).alias("week")
    window = pl.col("day").is_between(start, end, closed="left")
    posted = posts.filter(window).select("user_id", week)
    swiped = likes.filter(window).select(pl.col("liker_id").alias("user_id"), week)
    return posted.height / pl.concat([posted, swiped]).unique().height


def frame_quiz_completion(quiz_results: pl.DataFrame, users: int) -> float:
    return quiz_results["user_id"].n_unique() / users


def frame_per_user(frame: pl.DataFrame, users: int) -> tuple[float, float, float]:
    """(mean, fewest, most) rows per user of ids 1..``users``, counting users without any."""
    counts = np.bincount(frame["user_id"].to_numpy(), minlength=users + 1)[1:]
    return float(counts.mean()), float(counts.min()), float(counts.max())


def frame_metrics(t: Mapping[str, pl.DataFrame], start: dt.date, users: int) -> dict[str, float]:
    """Every target metric from the seeded tables' rows ``t`` (users 1..``users``)."""
    out = {
        "match_rate": frame_match_rate(t["likes"], t["matches"]),
        "response_rate": frame_response_rate(t["conversations"], t["messages"]),
        "posts_per_active_user_week": frame_posts_per_week(t["posts"], t["likes"], start),
        "messages_per_match": frame_messages_per_match(t["messages"], t["matches"]),
        "quiz_completion": frame_quiz_completion(t["quiz_results"], users),
    }
    for name, table in PER_USER:
        mean, fewest, most = frame_per_user(t[table], users)
        out |= {f"{name}_per_user": mean, f"{name}_fewest": fewest, f"{name}_most": most}
    return out
