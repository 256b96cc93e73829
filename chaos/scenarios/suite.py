"""Every scenario in order, each crash of one a failure of that scenario, not of the run."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable

import psycopg

from chaos.harness import Lab
from chaos.scenarios.backend import killed_backend
from chaos.scenarios.concurrency import concurrent_extends, concurrent_ups, repair_beside_extend
from chaos.scenarios.disk import full_disk
from chaos.scenarios.inputs import bad_input
from chaos.scenarios.kill import killed_embedded, kills
from chaos.scenarios.production_guard import guard
from chaos.scenarios.references import prepare
from chaos.scenarios.schema_drift import drift
from chaos.scenarios.trial import Result


def run_all(
    lab: Lab,
    kill_trials: int,
    concurrent_trials: int,
    up_pairs: int,
    other_trials: int,
    commands_per_name: int | None = None,
    only: set[str] | None = None,
    progress: Callable[[Result], None] | None = None,
) -> list[Result]:
    """Every scenario in order (``only``: a subset by name)."""
    started = time.perf_counter()
    refs = prepare(lab)
    prepared = time.perf_counter() - started
    plan: list[tuple[str, Callable[[], Result]]] = [
        ("kill_up", lambda: kills(lab, refs, "up", kill_trials)),
        ("kill_extend", lambda: kills(lab, refs, "extend", kill_trials)),
        ("kill_repair", lambda: kills(lab, refs, "repair", kill_trials)),
        ("kill_embedded", lambda: killed_embedded(lab, refs, other_trials)),
        ("concurrent_extend", lambda: concurrent_extends(lab, refs, concurrent_trials)),
        ("concurrent_up", lambda: concurrent_ups(lab, refs, up_pairs)),
        ("repair_beside_extend", lambda: repair_beside_extend(lab, refs, other_trials)),
        ("drift", lambda: drift(lab, refs)),
        ("guard", lambda: guard(lab, refs, commands_per_name)),
        ("bad_input", lambda: bad_input(lab, refs)),
        ("killed_backend", lambda: killed_backend(lab, refs, other_trials)),
        ("full_disk", lambda: full_disk(lab, 1)),
    ]
    results = []
    for name, fn in plan:
        if only and name not in only:
            continue
        t0 = time.perf_counter()
        try:
            result = fn()
        except (RuntimeError, OSError, psycopg.Error, subprocess.SubprocessError) as exc:
            result = Result(name, name)
            result.failures.append({"trial": "scenario", "problems": [f"crashed: {exc!r}"[:500]]})
        result.seconds = round(time.perf_counter() - t0, 1)
        results.append(result)
        if progress:
            progress(result)
    if results:
        results[0].notes.append(f"references prepared in {prepared:.1f} s")
    for name in (refs.up, refs.ext1, refs.ext2, refs.damaged):
        lab.drop_db(name)
    return results
