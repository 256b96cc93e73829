"""Compatibility between two users: one implementation, used by the simulation and by jobs/.

Every function takes feature arrays (:class:`Features`) and index arrays of pairs, and is
vectorised over the pairs. Scores lie in [0, 1]; the total is symmetric in the two users.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from numpy.typing import NDArray

# Weights of the components of the total score (they sum to 1).
WEIGHTS = {
    "interests": 0.3,
    "intent": 0.2,
    "age": 0.15,
    "quiz": 0.15,
    "traits": 0.1,
    "distance": 0.1,
}
# Intent compatibility (long_term, short_term, casual, friendship, figuring_out), symmetric.
INTENT_MATRIX = np.array(
    [
        [1.0, 0.4, 0.1, 0.3, 0.6],
        [0.4, 1.0, 0.7, 0.3, 0.6],
        [0.1, 0.7, 1.0, 0.3, 0.5],
        [0.3, 0.3, 0.3, 1.0, 0.5],
        [0.6, 0.6, 0.5, 0.5, 1.0],
    ]
)
AGE_SCALE_YEARS = 7.0
DISTANCE_SCALE_KM = 25.0


@dataclasses.dataclass(frozen=True, eq=False)
class Features:
    """What scoring needs to know about each user, as arrays indexed by position (not user id)."""

    age: NDArray[np.int64]
    intent: NDArray[np.int64]
    interests: NDArray[np.uint32]  # bit mask of interest subject ids
    quiz: NDArray[np.int16]  # (n, questions) answers scaled to 0..100, -1 when not taken
    traits: NDArray[np.float64]  # (n, 3)
    latitude: NDArray[np.float64]
    longitude: NDArray[np.float64]


def _popcount(x: NDArray[np.uint32]) -> NDArray[np.int64]:
    return np.bitwise_count(x).astype(np.int64)


def interest_similarity(
    f: Features, a: NDArray[np.int64], b: NDArray[np.int64]
) -> NDArray[np.float64]:
    """Jaccard similarity of the two interest sets (0 when both are empty)."""
    shared = _popcount(f.interests[a] & f.interests[b])
    union = _popcount(f.interests[a] | f.interests[b])
    return np.where(union > 0, shared / np.maximum(union, 1), 0.0)


def quiz_similarity(f: Features, a: NDArray[np.int64], b: NDArray[np.int64]) -> NDArray[np.float64]:
    """1 - mean absolute answer distance; NaN where either user skipped the quiz."""
    qa, qb = f.quiz[a], f.quiz[b]
    both = (qa[:, 0] >= 0) & (qb[:, 0] >= 0)
    distance = np.abs(qa - qb).sum(axis=1, dtype=np.int64)
    sim = 1.0 - distance / (100.0 * qa.shape[1])
    return np.where(both, sim, np.nan)


def trait_similarity(
    f: Features, a: NDArray[np.int64], b: NDArray[np.int64]
) -> NDArray[np.float64]:
    return 1.0 - np.abs(f.traits[a] - f.traits[b]).mean(axis=1)


def distance_km(f: Features, a: NDArray[np.int64], b: NDArray[np.int64]) -> NDArray[np.float64]:
    """Great-circle distance (haversine)."""
    lat1, lat2 = np.radians(f.latitude[a]), np.radians(f.latitude[b])
    dlat = lat2 - lat1
    dlon = np.radians(f.longitude[b] - f.longitude[a])
    h = np.sin(dlat / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin(dlon / 2) ** 2
    return 2 * 6371.0 * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def components(
    f: Features, a: NDArray[np.int64], b: NDArray[np.int64]
) -> dict[str, NDArray[np.float64]]:
    """Each component of compatibility in [0, 1] (quiz is NaN where unknown)."""
    return {
        "interests": interest_similarity(f, a, b),
        "intent": INTENT_MATRIX[f.intent[a], f.intent[b]],
        "age": np.exp(-np.abs(f.age[a] - f.age[b]) / AGE_SCALE_YEARS),
        "quiz": quiz_similarity(f, a, b),
        "traits": trait_similarity(f, a, b),
        "distance": np.exp(-distance_km(f, a, b) / DISTANCE_SCALE_KM),
    }


def compatibility(f: Features, a: NDArray[np.int64], b: NDArray[np.int64]) -> NDArray[np.float64]:
    """The total score in [0, 1]: a weighted mean of the components; an unknown quiz component is
    left out and the remaining weights are renormalised."""
    parts = components(f, a, b)
    total = np.zeros(len(a))
    weight = np.zeros(len(a))
    for name, w in WEIGHTS.items():
        value = parts[name]
        known = ~np.isnan(value)
        total += np.where(known, w * np.nan_to_num(value), 0.0)
        weight += np.where(known, w, 0.0)
    return total / weight
