"""The identity tables of a 10,000-user population match the spec'd distributions."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from seed_assets import calibration, pools, verify
from seed_assets.config import SeedParams
from seed_assets.generators import CATALOG, IDENTITY
from seed_assets.generators.people import people
from tests.conftest import extent

N = 10_000
PARAMS = SeedParams(run_seed="dist", users=N, shard_size=N)
START = dt.datetime.combine(PARAMS.start_date, dt.time(), tzinfo=dt.UTC)
TARGETS = verify.targets(PARAMS)  # the profile's target metrics: name -> (lo, hi), inclusive


@pytest.fixture(scope="module")
def t() -> dict[str, pl.DataFrame]:
    return {name: gen(PARAMS, 1, N + 1) for name, gen in IDENTITY.items()}


@pytest.fixture(scope="module")
def questions() -> pl.DataFrame:
    return CATALOG["quiz_questions"]().with_columns(
        pl.col("id").cast(pl.Int64).alias("question_id"),
        pl.col("options").list.len().alias("n_options"),
    )


def _per_user(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.group_by("user_id").agg(pl.len().alias("n"))


def test_population_size(t: dict[str, pl.DataFrame]) -> None:
    assert t["users"].height == N
    assert t["profiles"].height == N
    assert t["interest_dirty"].height == N
    assert sorted(t["users"]["id"].to_list()) == list(range(1, N + 1))


def test_profile_media_three_to_five_per_user(t: dict[str, pl.DataFrame]) -> None:
    media = t["profile_media"]
    per_user = media.group_by("user_id").agg(
        pl.len().alias("n"),
        pl.col("position").sort().alias("positions"),
        pl.col("id").n_unique().alias("ids"),
    )
    assert per_user.height == N
    assert per_user["n"].min() == 3
    assert per_user["n"].max() == 5
    assert set(per_user["n"].unique().to_list()) == {3, 4, 5}
    for n, positions in zip(per_user["n"], per_user["positions"], strict=True):
        assert positions.to_list() == list(range(n))
    assert (per_user["ids"] == per_user["n"]).all()
    assert media["id"].n_unique() == media.height


def test_user_interests_three_to_eight(t: dict[str, pl.DataFrame]) -> None:
    interests = t["user_interests"]
    per_user = _per_user(interests)
    assert per_user.height == N  # everyone picked some
    mean, fewest, most = verify.frame_per_user(interests, N)  # as `seed verify` measures them
    for name, value in (("per_user", mean), ("fewest", fewest), ("most", most)):
        lo, hi = TARGETS[f"interests_{name}"]
        assert lo <= value <= hi, name
    catalog = CATALOG["interest_subjects"]()
    assert catalog.height == 25
    assert set(interests["subject_id"].unique().to_list()) <= set(catalog["id"].to_list())
    assert interests.select("user_id", "subject_id").is_duplicated().sum() == 0
    # Every subject is picked by someone in a population this size.
    assert interests["subject_id"].n_unique() == 25


def test_quiz_completion_and_answers(t: dict[str, pl.DataFrame], questions: pl.DataFrame) -> None:
    quiz = t["quiz_results"]
    per_user = _per_user(quiz)
    lo, hi = TARGETS["quiz_completion"]
    assert lo <= verify.frame_quiz_completion(quiz, N) <= hi
    assert questions.height == 10
    assert (per_user["n"] == 10).all()  # completers answer every question
    assert quiz.select("user_id", "question_id").is_duplicated().sum() == 0
    joined = quiz.join(questions.select("question_id", "n_options"), on="question_id")
    assert joined.height == quiz.height
    assert (joined["answer"] >= 0).all()
    assert (joined["answer"] < joined["n_options"]).all()
    # Every option of every question gets used by someone.
    used = joined.group_by("question_id").agg(pl.col("answer").n_unique(), pl.first("n_options"))
    assert (used["answer"] == used["n_options"]).all()


def test_archetypes_and_traits(t: dict[str, pl.DataFrame]) -> None:
    profiles = t["profiles"]
    expected = set(calibration.archetype_names(calibration.load("spec")))
    assert len(expected) == 6
    shares = profiles["archetype"].value_counts(normalize=True)
    assert set(shares["archetype"].to_list()) == expected
    assert (shares["proportion"] > 0.05).all()
    for trait in calibration.TRAITS:
        least, most = extent(profiles[trait])
        assert least >= 0.0
        assert most <= 1.0
    means = profiles.group_by("archetype").agg(pl.col("sociability").mean())
    by_name = dict(zip(means["archetype"], means["sociability"], strict=True))
    assert by_name["social_butterfly"] > by_name["shy_introvert"]
    assert by_name["social_butterfly"] - by_name["shy_introvert"] > 0.4


def test_quiz_answers_follow_sociability(
    t: dict[str, pl.DataFrame], questions: pl.DataFrame
) -> None:
    social_q = questions.filter(pl.col("dimension") == "sociability")
    assert social_q.height >= 1
    joined = (
        t["quiz_results"]
        .join(social_q.select("question_id", "n_options"), on="question_id")
        .join(t["profiles"].select("user_id", "sociability"), on="user_id")
        .with_columns((pl.col("answer") / (pl.col("n_options") - 1)).alias("scaled"))
    )
    assert joined.height > 0
    r = np.corrcoef(joined["scaled"].to_numpy(), joined["sociability"].to_numpy())[0, 1]
    assert r > 0.3
    for (qid,), part in joined.group_by("question_id"):
        r_q = np.corrcoef(part["answer"].to_numpy(), part["sociability"].to_numpy())[0, 1]
        assert r_q > 0.3, qid


def test_ages(t: dict[str, pl.DataFrame]) -> None:
    start = PARAMS.start_date
    birth = t["profiles"]["birthdate"]
    ages = np.array(
        [
            start.year - b.year - ((start.month, start.day) < (b.month, b.day))
            for b in birth.to_list()
        ]
    )
    assert ages.min() >= 18
    assert ages.max() <= 65
    assert ages.mean() > np.median(ages)  # right-skewed
    assert 25 <= np.median(ages) <= 34


def _calendar_ages(birthdates: np.ndarray, on: dt.date) -> np.ndarray:
    """Completed years on ``on`` for birthdates given as days since 1970-01-01."""
    b = np.datetime64("1970-01-01") + birthdates.astype("timedelta64[D]")
    year = b.astype("datetime64[Y]").astype(np.int64) + 1970
    month = b.astype("datetime64[M]").astype(np.int64) % 12 + 1
    day = (b - b.astype("datetime64[M]")).astype(np.int64) + 1
    before_birthday = (on.month < month) | ((on.month == month) & (on.day < day))
    return on.year - year - before_birthday.astype(np.int64)


def test_profile_birthdates_are_the_latent_ones(t: dict[str, pl.DataFrame]) -> None:
    p = people(PARAMS, 1, N + 1)
    days = t["profiles"]["birthdate"].cast(pl.Int32).to_numpy()
    np.testing.assert_array_equal(days, p.birthdate)


def test_birthdate_gives_the_latent_age(t: dict[str, pl.DataFrame]) -> None:
    # The birthdate is derived from the latent age (which also drives intents); a user's age on
    # the start date, read from the birthdate, must be that age.
    p = people(PARAMS, 1, N + 1)
    ages = _calendar_ages(p.birthdate, PARAMS.start_date)
    wrong = np.nonzero(ages != p.age)[0]
    assert len(wrong) == 0, [
        (int(p.ids[i]), int(p.age[i]), str(np.datetime64("1970-01-01") + int(p.birthdate[i])))
        for i in wrong[:5]
    ]


def test_ages_within_bounds_in_a_large_population() -> None:
    # age_min..age_max must hold for every user, not only in the 10,000-user sample.
    params = SeedParams(run_seed="dist", users=1_000_000, shard_size=1_000_000)
    try:
        p = people(params, 1, 1_000_001)
        ages = _calendar_ages(p.birthdate, params.start_date)
        ident = calibration.load("spec")["identity"]
        assert ages.min() >= ident["age_min"]
        too_old = p.ids[ages > ident["age_max"]]
        assert too_old.size == 0, f"users older than {ident['age_max']}: {too_old.tolist()}"
    finally:
        people.cache_clear()  # do not keep a million users in the cache


def test_gender_shares(t: dict[str, pl.DataFrame]) -> None:
    shares = dict(t["profiles"]["gender"].value_counts(normalize=True).iter_rows())
    assert set(shares) == {"male", "female", "nonbinary"}
    assert abs(shares["male"] - 0.48) <= 0.03
    assert abs(shares["female"] - 0.48) <= 0.03
    assert abs(shares["nonbinary"] - 0.04) <= 0.03
    assert set(t["profiles"]["interested_in"].unique()) == {"male", "female", "everyone"}


def test_name_and_city_variety(t: dict[str, pl.DataFrame]) -> None:
    profiles = t["profiles"]
    for gender in ("male", "female"):
        names = profiles.filter(pl.col("gender") == gender)["first_name"]
        assert names.n_unique() > 100, gender
    assert profiles["city"].n_unique() > 20
    assert set(profiles["city"].unique()) <= set(pools.table("cities.csv")["name"])
    assert profiles["last_name"].n_unique() > 100


def test_incomplete_profiles_and_bios(t: dict[str, pl.DataFrame]) -> None:
    profiles = t["profiles"]
    incomplete = profiles["bio"].null_count() / N
    assert 0.08 <= incomplete <= 0.16
    bios = profiles["bio"].drop_nulls()
    assert bios.len() > 0
    assert not bios.str.contains("{", literal=True).any()
    assert not bios.str.contains("}", literal=True).any()
    assert (bios.str.len_chars() > 20).all()
    # Incomplete profiles also lack the optional fields.
    sparse = profiles.filter(pl.col("bio").is_null())
    assert sparse["job_title"].null_count() == sparse.height
    assert sparse["height_cm"].null_count() == sparse.height


def test_bios_mention_the_users_city(t: dict[str, pl.DataFrame]) -> None:
    # Templates with a {city} placeholder get the user's own city.
    profiles = t["profiles"].filter(pl.col("bio").is_not_null())
    templates = pools.lines("bio_templates.txt")
    with_city = sum("{city}" in x for x in templates) / len(templates)
    mentions = (
        profiles.select(pl.col("bio").str.contains(pl.col("city"), literal=True)).to_series().mean()
    )
    assert isinstance(mentions, float)
    assert abs(mentions - with_city) < 0.05


def test_bios_mention_one_of_the_users_interests(t: dict[str, pl.DataFrame]) -> None:
    subjects = CATALOG["interest_subjects"]().select(
        pl.col("id").cast(pl.Int64).alias("subject_id"), pl.col("name").str.to_lowercase()
    )
    picked = (
        t["user_interests"].join(subjects, on="subject_id").group_by("user_id").agg(pl.col("name"))
    )
    bios = t["profiles"].filter(pl.col("bio").is_not_null()).join(picked, on="user_id")
    assert bios.height == t["profiles"]["bio"].drop_nulls().len()
    for bio, names in zip(bios["bio"], bios["name"], strict=True):
        assert any(name in bio for name in names), (bio, names)


def test_emails(t: dict[str, pl.DataFrame]) -> None:
    emails = t["users"]["email"]
    assert emails.str.starts_with("seed_").all()
    assert emails.str.ends_with("@example.com").all()
    assert emails.n_unique() == N
    assert (emails.str.count_matches("@", literal=True) == 1).all()
    assert not emails.str.contains(r"\s").any()
    assert (emails == emails.str.to_lowercase()).all()


def test_signup_times(t: dict[str, pl.DataFrame]) -> None:
    created = t["users"]["created_at"]
    during = (created >= START).mean()
    assert isinstance(during, float)
    assert 0.10 <= during <= 0.20
    first, last = extent(created)
    assert first >= START - dt.timedelta(days=366)
    assert last < START + dt.timedelta(days=61)


@pytest.mark.parametrize(
    ("table", "column"),
    [
        ("profile_media", "created_at"),
        ("user_interests", "created_at"),
        ("quiz_results", "answered_at"),
        ("interest_dirty", "marked_at"),
    ],
)
def test_child_timestamps_follow_signup(
    t: dict[str, pl.DataFrame], table: str, column: str
) -> None:
    users = t["users"].select(pl.col("id").alias("user_id"), "created_at")
    joined = t[table].select("user_id", pl.col(column).alias("ts")).join(users, on="user_id")
    assert joined.height == t[table].height
    assert (joined["created_at"] <= joined["ts"]).all()
    # ... and within the onboarding window (45 minutes + up to 10 one-minute quiz steps).
    lag = joined["ts"] - joined["created_at"]
    assert extent(lag)[1] <= dt.timedelta(minutes=60)


def test_media_in_position_order(t: dict[str, pl.DataFrame]) -> None:
    media = t["profile_media"].sort("user_id", "position")
    ordered = media.group_by("user_id").agg(
        (pl.col("created_at").diff().drop_nulls() >= pl.duration(microseconds=0)).all()
    )
    assert ordered["created_at"].all()
