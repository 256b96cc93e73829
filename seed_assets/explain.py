"""One user and everything they did, regenerated without a database (``seed explain user ID``).

Every row is a pure function of the parameters and its keys, so a user's identity rows come from
the identity generators of their shard and their activity from ``simulate_day`` of each day,
filtered to the rows that involve them: exactly the rows ``seed up`` writes for that user.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Iterator
from typing import Any

import polars as pl

from seed_assets import generators
from seed_assets.config import ConfigError, SeedParams
from seed_assets.generators import catalog
from seed_assets.generators.activity import TABLES, simulate_day
from seed_assets.generators.people import archetypes, people
from seed_assets.partitions import shard_of
from seed_assets.schema import table
from seed_assets.units import work_units

# The columns that name a user in each activity table (conversations go by their match).
USER_COLUMNS = {
    "posts": ("user_id",),
    "likes": ("liker_id", "likee_id"),
    "matches": ("user_a_id", "user_b_id"),
    "messages": ("sender_id", "recipient_id"),
    "feed_seen": ("user_id",),
}
HIDDEN = {"users": ("password_hash",)}  # never shown


@dataclasses.dataclass(frozen=True)
class Day:
    """The rows of one simulated day that involve the user, per activity table."""

    date: dt.date
    tables: dict[str, pl.DataFrame]

    def summary(self, user_id: int) -> dict[str, int]:
        likes, messages = self.tables["likes"], self.tables["messages"]
        given, received = likes.filter(liker_id=user_id), likes.filter(likee_id=user_id)
        return {
            "posts": self.tables["posts"].height,
            "likes_given": given.filter(action="LIKE").height,
            "passes_given": given.filter(action="PASS").height,
            "likes_received": received.filter(action="LIKE").height,
            "passes_received": received.filter(action="PASS").height,
            "matches": self.tables["matches"].height,
            "conversations": self.tables["conversations"].height,
            "messages_sent": messages.filter(sender_id=user_id).height,
            "messages_received": messages.filter(recipient_id=user_id).height,
            "feed_seen": self.tables["feed_seen"].height,
        }


@dataclasses.dataclass(frozen=True)
class Explanation:
    params: SeedParams
    user_id: int
    person: dict[str, Any]  # the latent model: archetype, traits, desirability, age, signup
    identity: dict[str, pl.DataFrame]  # identity table -> the user's rows
    days: list[Day]

    def interests(self) -> list[str]:
        chosen = self.identity["user_interests"].select("subject_id")
        names = catalog.interest_subjects_frame().rename({"id": "subject_id"})
        return chosen.join(names, on="subject_id", how="left")["name"].to_list()

    def quiz(self) -> list[dict[str, Any]]:
        questions = catalog.quiz_questions_frame().rename({"id": "question_id"})
        rows = self.identity["quiz_results"].join(questions, on="question_id", how="left")
        return [
            {"question": r["prompt"], "answer": r["options"][r["answer"]]}
            for r in rows.sort("question_id").iter_rows(named=True)
        ]


def check_user(params: SeedParams, user_id: int) -> None:
    if not 1 <= user_id <= params.users:
        raise ConfigError(f"user id {user_id} is outside 1..{params.users:,}")


def identity(params: SeedParams, user_id: int) -> dict[str, pl.DataFrame]:
    """The user's rows of every identity table, generated for their shard and filtered."""
    check_user(params, user_id)
    (unit,) = work_units(params, list(generators.IDENTITY), shards=[shard_of(params, user_id)])
    out = {}
    for name, rows in unit.make().items():
        assert isinstance(rows, pl.DataFrame)  # generated here, not prefetched
        key = table(name).info["key"]
        out[name] = rows.filter(pl.col(key) == user_id).drop(HIDDEN.get(name, ()))
    return out


def person(params: SeedParams, user_id: int) -> dict[str, Any]:
    """The latent attributes behind the rows (from the population model)."""
    check_user(params, user_id)
    p = people(params, user_id, user_id + 1)
    signup = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=int(p.signup_us[0]))
    desirability = float(p.desirability[0])
    return {
        "archetype": archetypes(params)[int(p.archetype[0])],
        "sociability": float(p.traits[0, 0]),
        "selectivity": float(p.traits[0, 1]),
        "engagement": float(p.traits[0, 2]),
        "desirability": desirability,
        # desirability is standard normal: its percentile in the population is Phi(d).
        "desirability_percentile": 0.5 * (1 + math.erf(desirability / math.sqrt(2))),
        "age": int(p.age[0]),
        "signup_at": signup,
        "complete_profile": bool(p.complete[0]),
    }


def activity(params: SeedParams, user_id: int, days: int) -> Iterator[Day]:
    """Day by day from the start date, the activity rows that involve the user."""
    check_user(params, user_id)
    match_ids: set[int] = set()  # a conversation is on or after its match's day
    for d in range(days):
        rows = simulate_day(params, d)
        mine = {
            name: rows[name].filter(pl.any_horizontal(pl.col(c) == user_id for c in cols))
            for name, cols in USER_COLUMNS.items()
        }
        match_ids.update(mine["matches"]["id"].to_list())
        conversations = rows["conversations"]
        mine["conversations"] = conversations.filter(pl.col("match_id").is_in(list(match_ids)))
        yield Day(params.start_date + dt.timedelta(days=d), {t: mine[t] for t in TABLES})


def explain(params: SeedParams, user_id: int, days: int) -> Explanation:
    """Everything about ``user_id`` over ``days`` days of activity."""
    check_user(params, user_id)
    return Explanation(
        params=params,
        user_id=user_id,
        person=person(params, user_id),
        identity=identity(params, user_id),
        days=list(activity(params, user_id, days)),
    )


def to_json(e: Explanation) -> dict[str, Any]:
    """A JSON-ready rendering (dates and times as ISO 8601 strings); stable for fixed inputs."""
    return _jsonable(
        {
            "user_id": e.user_id,
            "params": {k: v for k, v in e.params.public_dict().items() if k != "end_date"},
            "person": e.person,
            "identity": {name: rows.to_dicts() for name, rows in e.identity.items()},
            "interests": e.interests(),
            "quiz": e.quiz(),
            "days": [
                {
                    "date": day.date,
                    "summary": day.summary(e.user_id),
                    **{name: rows.to_dicts() for name, rows in day.tables.items()},
                }
                for day in e.days
            ],
        }
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date):  # datetimes too
        return value.isoformat()
    return value
