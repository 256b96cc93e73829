"""Identity generators: deterministic, shard-independent, schema-conformant frames."""

from __future__ import annotations

import itertools

import bcrypt
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seed_assets.config import SeedParams
from seed_assets.encoded import canonical, primary_key
from seed_assets.frames import conform, polars_schema
from seed_assets.generators import CATALOG, IDENTITY
from seed_assets.generators.interests import interest_choice
from seed_assets.generators.people import people
from seed_assets.schema import table as schema_table
from tests.conftest import extent

POP = 600
PARAMS = SeedParams(run_seed="gen-test", users=POP, shard_size=POP)
TABLES = sorted(IDENTITY)
CHILD_TABLES = [t for t in TABLES if t != "users"]


def _user_column(table: str) -> str:
    return "id" if table == "users" else "user_id"


def _clear_caches() -> None:
    people.cache_clear()
    interest_choice.cache_clear()


@pytest.fixture(scope="module")
def whole() -> dict[str, pl.DataFrame]:
    """Every table for users [1, POP], generated in one call, canonical."""
    return {t: canonical(t, IDENTITY[t](PARAMS, 1, POP + 1)) for t in TABLES}


def test_identity_covers_the_schema_tables() -> None:
    assert set(IDENTITY) == {
        "users",
        "profiles",
        "profile_media",
        "user_interests",
        "interest_dirty",
        "quiz_results",
    }
    for name in IDENTITY:
        assert schema_table(name).info["grain"] == "shard"


@pytest.mark.parametrize("table", TABLES)
def test_same_params_give_identical_frames(table: str) -> None:
    gen = IDENTITY[table]
    first = gen(PARAMS, 1, 301)
    again = gen(PARAMS, 1, 301)  # served from the lru caches
    _clear_caches()
    fresh = gen(SeedParams(run_seed="gen-test", users=POP, shard_size=POP), 1, 301)
    assert first.height > 0
    assert first.equals(again)
    assert first.equals(fresh)


@pytest.mark.parametrize("table", TABLES)
def test_other_run_seed_gives_different_frames(table: str) -> None:
    gen = IDENTITY[table]
    a = gen(PARAMS, 1, 201)
    b = gen(PARAMS.replace(run_seed="gen-test-2"), 1, 201)
    assert not a.equals(b)
    # Not only the row set: the values other than the user ids change too.
    assert not a.drop(_user_column(table)).equals(b.drop(_user_column(table)))


@pytest.mark.parametrize("table", TABLES)
def test_population_size_and_shard_size_do_not_change_a_users_rows(table: str) -> None:
    # A user's rows depend on the run seed and their id only, not on users / shard_size.
    gen = IDENTITY[table]
    small = SeedParams(run_seed="gen-test", users=150, shard_size=50)
    a = canonical(table, gen(PARAMS, 101, 151))
    b = canonical(table, gen(small, 101, 151))
    assert a.equals(b)


@settings(max_examples=25, deadline=None)
@given(
    cuts=st.lists(st.integers(min_value=2, max_value=POP), max_size=6, unique=True),
    clear_between=st.booleans(),
)
def test_shards_concatenate_to_the_whole(
    whole: dict[str, pl.DataFrame], cuts: list[int], clear_between: bool
) -> None:
    bounds = [1, *sorted(cuts), POP + 1]
    ranges = list(itertools.pairwise(bounds))
    for table in TABLES:
        parts = []
        for lo, hi in ranges:
            if clear_between:
                _clear_caches()
            parts.append(IDENTITY[table](PARAMS, lo, hi))
        stitched = canonical(table, pl.concat(parts))
        assert stitched.equals(whole[table]), (table, ranges)


def test_single_user_shards(whole: dict[str, pl.DataFrame]) -> None:
    for table in TABLES:
        for uid in (1, 2, 317, POP):
            alone = canonical(table, IDENTITY[table](PARAMS, uid, uid + 1))
            col = _user_column(table)
            expected = whole[table].filter(pl.col(col) == uid)
            assert alone.equals(expected), (table, uid)


def test_caches_with_interleaved_params_do_not_leak(whole: dict[str, pl.DataFrame]) -> None:
    other = PARAMS.replace(run_seed="gen-other")
    for table in TABLES:
        IDENTITY[table](other, 1, POP + 1)
        mixed = canonical(table, IDENTITY[table](PARAMS, 1, POP + 1))
        assert mixed.equals(whole[table]), table


@pytest.mark.parametrize("table", TABLES)
def test_frames_conform_to_the_schema(table: str) -> None:
    raw = IDENTITY[table](PARAMS, 1, 201)
    conformed = conform(table, raw)
    assert conformed.schema == polars_schema(table)
    assert conformed.height == raw.height
    # Conforming never loses values (casts are exact).
    for name in conformed.columns:
        assert conformed[name].null_count() == raw[name].null_count(), name
    for column in schema_table(table).columns:
        if not column.nullable:
            assert conformed[column.name].null_count() == 0, column.name


@pytest.mark.parametrize("table", TABLES)
def test_primary_keys_unique(table: str, whole: dict[str, pl.DataFrame]) -> None:
    pk = primary_key(table)
    frame = whole[table]
    assert frame.height > 0
    assert frame.select(pk).is_duplicated().sum() == 0
    # canonical sorted by the key
    assert frame.equals(frame.sort(pk))


@pytest.mark.parametrize("table", TABLES)
@pytest.mark.parametrize(("lo", "hi"), [(1, 2), (57, 133), (400, 601)])
def test_user_ids_lie_in_the_shard(table: str, lo: int, hi: int) -> None:
    frame = IDENTITY[table](PARAMS, lo, hi)
    ids = frame[_user_column(table)]
    least, most = extent(ids)
    assert least >= lo
    assert most < hi
    if table in ("users", "profiles", "interest_dirty", "profile_media", "user_interests"):
        # Every user of the shard has rows in these tables.
        assert sorted(ids.unique().to_list()) == list(range(lo, hi))
    if table in ("users", "profiles", "interest_dirty"):
        assert frame.height == hi - lo


def test_password_hash_is_one_real_bcrypt_hash() -> None:
    params = PARAMS.replace(dev_password="correct horse")
    a = IDENTITY["users"](params, 1, 101)
    b = IDENTITY["users"](params, 101, 301)
    _clear_caches()
    c = IDENTITY["users"](params, 1, 101)
    hashes = set(a["password_hash"]) | set(b["password_hash"]) | set(c["password_hash"])
    assert len(hashes) == 1
    (h,) = hashes
    assert h.startswith("$2b$10$")
    assert len(h) == 60
    assert bcrypt.checkpw(b"correct horse", h.encode())
    assert not bcrypt.checkpw(b"password123", h.encode())
    # Another run seed gets another salt; the password still verifies.
    other = IDENTITY["users"](params.replace(run_seed="gen-salt"), 1, 3)["password_hash"][0]
    assert other != h
    assert bcrypt.checkpw(b"correct horse", other.encode())
    # The default password verifies against the default hash.
    default = IDENTITY["users"](PARAMS, 1, 3)["password_hash"][0]
    assert bcrypt.checkpw(PARAMS.dev_password.encode(), default.encode())


def test_users_have_distinct_emails_and_catalog_subjects(whole: dict[str, pl.DataFrame]) -> None:
    emails = whole["users"]["email"]
    assert emails.n_unique() == emails.len()
    subjects = set(CATALOG["interest_subjects"]()["id"].to_list())
    assert set(whole["user_interests"]["subject_id"].to_list()) <= subjects
    questions = set(CATALOG["quiz_questions"]()["id"].to_list())
    assert set(whole["quiz_results"]["question_id"].to_list()) <= questions


def test_profile_media_ids_encode_user_and_position(whole: dict[str, pl.DataFrame]) -> None:
    media = whole["profile_media"]
    expected = media["user_id"] * 8 + media["position"].cast(pl.Int64)
    assert (media["id"] == expected).all()
    assert extent(media["position"])[1] < 8
    assert media["url"].n_unique() == media.height
