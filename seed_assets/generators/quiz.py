"""A user's quiz answers (identity tier): who took the quiz and what they answered, for the
``quiz_results`` table and the activity tier's compatibility."""

from __future__ import annotations

import numpy as np
import polars as pl

from seed_assets import calibration
from seed_assets.config import SeedParams
from seed_assets.generators import catalog
from seed_assets.generators.clock import US_PER_MINUTE, timestamps
from seed_assets.generators.people import People, archetypes, people
from seed_assets.rng import Rng


def quiz_answers(params: SeedParams, p: People) -> tuple[np.ndarray, np.ndarray]:
    """(who took the quiz, answers as an (n, questions) matrix): personality-driven, pure."""
    arch = calibration.load(params.calibration)["archetypes"]
    s = Rng(params.run_seed).stream("quiz")
    completion = np.array([arch[a]["quiz_completion"] for a in archetypes(params)])[p.archetype]
    took = s.bernoulli(completion, p.ids, 1)
    questions = catalog.quiz_questions_frame()
    qid = questions["id"].to_numpy().astype(np.int64)
    n_opts = questions["options"].list.len().to_numpy().astype(np.int64)
    trait_col = np.array([calibration.TRAITS.index(d) for d in questions["dimension"]])
    latent = p.traits[:, trait_col] * (n_opts - 1) + 0.8 * s.normal(p.ids[:, None], qid, 2)
    return took, np.clip(np.rint(latent), 0, n_opts - 1).astype(np.int64)


def quiz_results(params: SeedParams, lo: int, hi: int) -> pl.DataFrame:
    ident = calibration.load(params.calibration)["identity"]
    p = people(params, lo, hi)
    s = Rng(params.run_seed).stream("quiz")
    took, answers = quiz_answers(params, p)
    qid = catalog.quiz_questions_frame()["id"].to_numpy().astype(np.int64)
    row, q = np.nonzero(np.broadcast_to(took[:, None], answers.shape))
    uid = p.ids[row]
    delay = (
        np.floor(s.uniform(uid, 3) * ident["onboarding_minutes"] * US_PER_MINUTE)
        + q * US_PER_MINUTE
    )
    return pl.DataFrame(
        {
            "user_id": uid,
            "question_id": qid[q],
            "answer": answers[row, q],
            "answered_at": timestamps(p.signup_us[row] + delay.astype(np.int64)),
        }
    )
