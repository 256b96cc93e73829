"""seed_assets.rng: randomness is a pure, stable function of (seed, namespace, keys)."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seed_assets.rng import Rng, mix64, text_key

_MASK = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15

int64s = st.integers(min_value=-(2**63), max_value=2**63 - 1)
key_arrays = st.lists(int64s, min_size=1, max_size=60)
seeds = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,20}", fullmatch=True)


# --- an independent pure-Python reference of the documented algorithm ---------------------------


def _blake_u64(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")


def _mix(x: int) -> int:
    x &= _MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


def _reference_u64(seed: str, namespace: str, *keys: int) -> int:
    base = _mix(_blake_u64(f"run-seed:{seed}") ^ _blake_u64(f"ns:{namespace}"))
    h = base
    for key in keys:
        h = _mix(h + (key & _MASK) * _GOLDEN + _GOLDEN)
    return _mix(h)


# --- determinism ----------------------------------------------------------------------------------


def test_same_seed_namespace_keys_give_identical_values_across_instances() -> None:
    ids = np.arange(1, 5_001, dtype=np.int64)
    a = Rng("alpha").stream("people")
    b = Rng("alpha").stream("people")
    np.testing.assert_array_equal(a.u64(ids, 3), b.u64(ids, 3))
    np.testing.assert_array_equal(a.uniform(ids, 7), b.uniform(ids, 7))
    np.testing.assert_array_equal(a.normal(ids), b.normal(ids))
    np.testing.assert_array_equal(a.integers(0, 100, ids), b.integers(0, 100, ids))
    np.testing.assert_array_equal(a.choice([1, 2, 3], ids), b.choice([1, 2, 3], ids))


@pytest.mark.parametrize(
    ("seed", "namespace", "keys"),
    [
        ("demo", "people", (1,)),
        ("demo", "people", (1, 2)),
        ("x", "ns", (0,)),
        ("demo", "quiz", (-1, 2**40, 7)),
        ("s", "n", ()),
    ],
)
def test_matches_pure_python_reference(seed: str, namespace: str, keys: tuple[int, ...]) -> None:
    got = int(Rng(seed).stream(namespace).u64(*keys))
    assert got == _reference_u64(seed, namespace, *keys)


@settings(max_examples=40, deadline=None)
@given(seed=seeds, namespace=st.text(min_size=1, max_size=12), keys=key_arrays)
def test_vectorised_matches_reference_elementwise(seed: str, namespace: str, keys: list) -> None:
    got = Rng(seed).stream(namespace).u64(np.array(keys, dtype=np.int64), 5)
    assert [int(v) for v in got] == [_reference_u64(seed, namespace, k, 5) for k in keys]


def test_different_seeds_namespaces_and_keys_differ() -> None:
    ids = np.arange(1, 10_001, dtype=np.int64)
    base = Rng("alpha").stream("people").u64(ids)
    variants = {
        "seed": Rng("beta").stream("people").u64(ids),
        "namespace": Rng("alpha").stream("peoplf").u64(ids),
        "extra key": Rng("alpha").stream("people").u64(ids, 0),
        "shifted keys": Rng("alpha").stream("people").u64(ids + 1),
    }
    for name, values in variants.items():
        # Independent 64-bit hashes essentially never collide.
        assert np.count_nonzero(values == base) == 0, name
    # Within one stream, distinct keys give distinct values (mix64 is a bijection).
    assert len(np.unique(base)) == len(ids)
    # The key order of a multi-key address matters.
    s = Rng("alpha").stream("people")
    assert int(s.u64(1, 2)) != int(s.u64(2, 1))


def test_mix64_is_a_bijection_on_a_sample() -> None:
    x = np.arange(0, 200_000, dtype=np.uint64)
    assert len(np.unique(mix64(x))) == len(x)


@settings(max_examples=40, deadline=None)
@given(data=st.data(), keys=key_arrays, seed=seeds)
def test_values_are_order_independent(data: st.DataObject, keys: list, seed: str) -> None:
    s = Rng(seed).stream("order")
    arr = np.array(keys, dtype=np.int64)
    batch_u64 = s.u64(arr, 3)
    batch_uniform = s.uniform(arr, 3)
    # One key at a time, as scalars.
    one_by_one = np.array([int(s.u64(int(k), 3)) for k in keys], dtype=np.uint64)
    np.testing.assert_array_equal(batch_u64, one_by_one)
    np.testing.assert_array_equal(
        batch_uniform, np.array([float(s.uniform(int(k), 3)) for k in keys])
    )
    # Any permutation of the keys permutes the values the same way.
    perm = np.array(data.draw(st.permutations(range(len(keys)))), dtype=np.int64)
    np.testing.assert_array_equal(s.u64(arr[perm], 3), batch_u64[perm])
    np.testing.assert_array_equal(s.normal(arr[perm]), s.normal(arr)[perm])
    np.testing.assert_array_equal(
        s.integers(-5, 17, arr[perm], 1), s.integers(-5, 17, arr, 1)[perm]
    )
    np.testing.assert_array_equal(
        s.choice([0.2, 0.5, 0.3], arr[perm]), s.choice([0.2, 0.5, 0.3], arr)[perm]
    )
    # Sub-arrays (shards) give the same values as the whole.
    cut = data.draw(st.integers(0, len(keys)))
    np.testing.assert_array_equal(
        np.concatenate([s.u64(arr[:cut], 3), s.u64(arr[cut:], 3)]), batch_u64
    )


def test_broadcasting_matches_explicit_grid() -> None:
    s = Rng("grid").stream("g")
    rows = np.arange(1, 41, dtype=np.int64)
    cols = np.arange(0, 7, dtype=np.int64)
    grid = s.uniform(rows[:, None], cols[None, :])
    assert grid.shape == (40, 7)
    for i, r in enumerate(rows):
        for j, c in enumerate(cols):
            assert grid[i, j] == float(s.uniform(int(r), int(c)))


# --- distributions --------------------------------------------------------------------------------


def test_uniform_range_and_mean() -> None:
    u = Rng("dist").stream("uniform").uniform(np.arange(100_000, dtype=np.int64))
    assert u.dtype == np.float64
    assert u.min() >= 0.0
    assert u.max() < 1.0
    assert abs(u.mean() - 0.5) < 0.01
    # Roughly flat: each tenth holds about 10%.
    counts = np.histogram(u, bins=10, range=(0.0, 1.0))[0] / len(u)
    assert np.all(np.abs(counts - 0.1) < 0.01)


@pytest.mark.parametrize(("lo", "hi"), [(0, 2), (-3, 4), (10, 30), (-(2**40), -(2**40) + 5)])
def test_integers_within_bounds_and_cover_all_values(lo: int, hi: int) -> None:
    v = Rng("dist").stream("ints").integers(lo, hi, np.arange(50_000, dtype=np.int64))
    assert v.dtype == np.int64
    assert v.min() >= lo
    assert v.max() < hi
    assert set(np.unique(v).tolist()) == set(range(lo, hi))


def test_integers_broadcast_per_row_bounds() -> None:
    ids = np.arange(30_000, dtype=np.int64)
    lo = ids % 5
    hi = lo + 1 + ids % 3
    v = Rng("dist").stream("ints-rows").integers(lo, hi, ids)
    assert np.all(v >= lo)
    assert np.all(v < hi)
    assert np.all(v[hi - lo == 1] == lo[hi - lo == 1])


def test_choice_frequencies_match_weights() -> None:
    weights = [1.0, 0.0, 2.0, 3.0, 4.0]
    picks = Rng("dist").stream("choice").choice(weights, np.arange(200_000, dtype=np.int64))
    assert picks.min() >= 0
    assert picks.max() <= 4
    shares = np.bincount(picks, minlength=5) / len(picks)
    expected = np.array(weights) / sum(weights)
    assert shares[1] == 0.0  # a zero-weight option is never chosen
    np.testing.assert_allclose(shares, expected, atol=0.005)


def test_choice_with_a_single_nonzero_weight_always_picks_it() -> None:
    ids = np.arange(10_000, dtype=np.int64)
    s = Rng("dist").stream("choice-one")
    assert np.all(s.choice([0.0, 0.0, 5.0], ids) == 2)
    assert np.all(s.choice([5.0, 0.0, 0.0], ids) == 0)
    assert np.all(s.choice([0.0, 1.0, 0.0], ids) == 1)


def test_choice_rows_respects_per_row_weights() -> None:
    n = 60_000
    ids = np.arange(n, dtype=np.int64)
    kind = ids % 4
    table = np.array(
        [
            [0.0, 1.0, 0.0],  # always option 1
            [0.0, 0.0, 3.0],  # always option 2
            [2.0, 0.0, 0.0],  # always option 0
            [1.0, 1.0, 2.0],  # 25/25/50
        ]
    )
    picks = Rng("dist").stream("rows").choice_rows(table[kind], ids)
    assert picks.shape == (n,)
    assert np.all(picks[kind == 0] == 1)
    assert np.all(picks[kind == 1] == 2)
    assert np.all(picks[kind == 2] == 0)
    mixed = picks[kind == 3]
    shares = np.bincount(mixed, minlength=3) / len(mixed)
    np.testing.assert_allclose(shares, [0.25, 0.25, 0.5], atol=0.015)


def test_choice_rows_agrees_with_choice_for_identical_rows() -> None:
    ids = np.arange(20_000, dtype=np.int64)
    weights = np.array([0.3, 0.0, 1.2, 0.5])
    s = Rng("dist").stream("same")
    np.testing.assert_array_equal(
        s.choice_rows(np.tile(weights, (len(ids), 1)), ids), s.choice(weights, ids)
    )


def test_normal_moments() -> None:
    z = Rng("dist").stream("normal").normal(np.arange(200_000, dtype=np.int64))
    assert np.all(np.isfinite(z))
    assert abs(z.mean()) < 0.01
    assert abs(z.std() - 1.0) < 0.01
    assert abs(np.mean(np.abs(z) < 1.0) - 0.6827) < 0.01


def test_bernoulli_rate() -> None:
    b = Rng("dist").stream("bern").bernoulli(0.3, np.arange(100_000, dtype=np.int64))
    assert b.dtype == np.bool_
    assert abs(b.mean() - 0.3) < 0.01


# --- string keys and tokens -----------------------------------------------------------------------


def test_text_key_is_blake2b_and_stable() -> None:
    # Literal values computed once: BLAKE2b-64 must never change, or every seed's data would.
    assert text_key("hello") == 9022087748821825191
    assert text_key("run-seed:demo") == 0x86571D3D1C12578F
    assert text_key("") == 13020603013274838756
    for text in ("hello", "run-seed:demo", "", "ns:people", "café ☕ 東京"):
        expected = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")
        assert text_key(text) == expected
    assert text_key("a") != text_key("b")


def test_hex_token_length_and_stability() -> None:
    rng = Rng("demo")
    token = rng.hex_token("media-url")
    assert token == "38c5ce70f10d77ff"  # computed once; it appears in every seeded photo URL
    assert len(token) == 16
    assert all(c in "0123456789abcdef" for c in token)
    assert Rng("demo").hex_token("media-url") == token
    assert rng.hex_token("media-url", length=8) == token[:8]
    for n in range(1, 17):
        assert len(rng.hex_token("x", 1, 2, length=n)) == n
    assert rng.hex_token("media-url", 1) != token
    assert Rng("demo2").hex_token("media-url") != token
    expected = f"{_reference_u64('demo', 'salt', 3, 4):016x}"
    assert rng.hex_token("salt", 3, 4) == expected


@pytest.mark.parametrize("length", [20, 32])
def test_hex_token_honours_lengths_above_16(length: int) -> None:
    # A token asked for with `length` characters must have that many (or the call must refuse).
    assert len(Rng("demo").hex_token("media-url", length=length)) == length
