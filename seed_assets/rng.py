"""Counter-based randomness: the only source of random numbers in seed-assets.

Every random value is a pure function of ``(run seed, namespace, *keys)``: the keys are entity ids,
day numbers, indexes. Nothing is stateful, so any value can be recomputed alone (one user, one day)
and the result never depends on the order in which things are generated.

The hash is SplitMix64's finaliser applied to a running combination of the keys, vectorised over
numpy ``uint64`` arrays (wrap-around multiplication is the intended arithmetic). Strings (the run
seed, namespaces) are turned into integers with BLAKE2b, which is stable across processes and
versions, unlike Python's ``hash()`` or polars' ``Expr.hash``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike, NDArray

U64 = NDArray[np.uint64]
F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_TO_UNIT = 1.0 / float(1 << 53)


@lru_cache(maxsize=4096)
def text_key(text: str) -> int:
    """A stable 64-bit integer for a string (BLAKE2b, first 8 bytes, little-endian)."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")


def mix64(x: U64) -> U64:
    """SplitMix64 finaliser: a bijection on uint64 with full avalanche."""
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * _M1
        x = (x ^ (x >> np.uint64(27))) * _M2
    return x ^ (x >> np.uint64(31))


def _as_u64(values: ArrayLike) -> U64:
    arr = np.asarray(values)
    if arr.dtype == np.uint64:
        return arr
    return (
        arr.astype(np.int64, copy=False).view(np.uint64)
        if arr.dtype.kind == "i"
        else (arr.astype(np.uint64))
    )


class Stream:
    """Random values for one namespace of one run seed, addressed by integer keys.

    Keys broadcast like numpy arrays: ``stream.uniform(user_ids, 3)`` gives one value per user.
    """

    __slots__ = ("_base",)

    def __init__(self, base: int) -> None:
        self._base = np.uint64(base)

    def u64(self, *keys: ArrayLike) -> U64:
        """Raw 64-bit hashes of the keys."""
        h = np.asarray(self._base, dtype=np.uint64)
        with np.errstate(over="ignore"):
            for key in keys:
                h = mix64(h + _as_u64(key) * _GOLDEN + _GOLDEN)
        return np.asarray(mix64(h), dtype=np.uint64)

    def uniform(self, *keys: ArrayLike) -> F64:
        """Uniform floats in [0, 1) with 53 bits of precision."""
        return (self.u64(*keys) >> np.uint64(11)).astype(np.float64) * _TO_UNIT

    def integers(self, low: ArrayLike, high: ArrayLike, *keys: ArrayLike) -> I64:
        """Integers uniform in [low, high) (``high`` exclusive; broadcasts)."""
        lo = np.asarray(low, dtype=np.int64)
        span = np.asarray(high, dtype=np.int64) - lo
        return lo + np.floor(self.uniform(*keys) * span).astype(np.int64)

    def bernoulli(self, p: ArrayLike, *keys: ArrayLike) -> NDArray[np.bool_]:
        """True with probability ``p`` (broadcasts)."""
        return self.uniform(*keys) < np.asarray(p, dtype=np.float64)

    def normal(self, *keys: ArrayLike) -> F64:
        """Standard normal values (Box-Muller on two independent uniforms)."""
        u1 = self.uniform(*keys, 0x6E6F726D)
        u2 = self.uniform(*keys, 0x616C5F32)
        return np.sqrt(-2.0 * np.log1p(-u1)) * np.cos(2.0 * np.pi * u2)

    def gumbel(self, *keys: ArrayLike) -> F64:
        """Standard Gumbel values, for weighted sampling without replacement (Gumbel top-k)."""
        u = self.uniform(*keys)
        return -np.log(-np.log1p(-u) + 1e-300)

    def choice(self, weights: Sequence[float] | F64, *keys: ArrayLike) -> I64:
        """Indexes into ``weights``, drawn with those (unnormalised) weights."""
        cdf = np.cumsum(np.asarray(weights, dtype=np.float64))
        u = self.uniform(*keys) * cdf[-1]
        return np.minimum(np.searchsorted(cdf, u, side="right"), len(cdf) - 1).astype(np.int64)

    def choice_rows(self, weights: F64, *keys: ArrayLike) -> I64:
        """One index per row of a (rows x options) weight matrix, drawn with that row's weights."""
        cdf = np.cumsum(np.asarray(weights, dtype=np.float64), axis=1)
        u = self.uniform(*keys) * cdf[:, -1]
        return np.minimum((cdf <= u[:, None]).sum(axis=1), cdf.shape[1] - 1).astype(np.int64)


class Rng:
    """The randomness of one run seed; hand out one :class:`Stream` per namespace."""

    __slots__ = ("_seed_key", "seed")

    def __init__(self, seed: str) -> None:
        self.seed = seed
        self._seed_key = text_key(f"run-seed:{seed}")

    def stream(self, namespace: str) -> Stream:
        key = np.asarray(self._seed_key ^ text_key(f"ns:{namespace}"), dtype=np.uint64)
        return Stream(int(mix64(key)))

    def hex_token(self, namespace: str, *keys: int, length: int = 16) -> str:
        """A stable hexadecimal token (for URLs and salts)."""
        stream = self.stream(namespace)
        words = [int(stream.u64(*keys))]
        words += [int(stream.u64(*keys, i)) for i in range(1, -(-length // 16))]
        return "".join(f"{w:016x}" for w in words)[:length]
