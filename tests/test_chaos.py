"""The chaos suite's reduced form (issue 13): a few trials of every scenario, through the same
code as `make chaos`, against real `seed` subprocesses and the suite's PostgreSQL server.

Each test asserts that its scenario had no failed trial: tables equal to a clean reference
partition by partition after kill -9 and a rerun, concurrent commands serialised, drift and the
guard refused with nothing written, bad input refused with one line and no secret printed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from chaos import scenarios
from chaos.harness import Lab
from chaos.scenarios import References, Result


@pytest.fixture(scope="module")
def lab(server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Lab:
    work = tmp_path_factory.mktemp("chaos")
    os.chmod(work, 0o755)
    return Lab(server_url, work, seed=13, cache=Path(os.environ["SEED_CACHE"]))


@pytest.fixture(scope="module")
def refs(lab: Lab) -> Iterator[References]:
    refs = scenarios.prepare(lab)
    yield refs
    for name in (refs.up, refs.ext1, refs.ext2, refs.damaged):
        lab.drop_db(name)


def clean(result: Result) -> None:
    assert result.trials > 0 or result.skipped, result.notes
    assert not result.failures, json.dumps(result.failures, indent=1, default=str)[:6000]


@pytest.mark.parametrize("command", ["up", "extend", "repair"])
def test_kill_and_rerun(lab: Lab, refs: References, command: str) -> None:
    clean(scenarios.kills(lab, refs, command, trials=2))


def test_kill_embedded_leaves_no_server(lab: Lab, refs: References) -> None:
    clean(scenarios.killed_embedded(lab, refs, trials=1))


def test_concurrent_extends(lab: Lab, refs: References) -> None:
    clean(scenarios.concurrent_extends(lab, refs, trials=2))


def test_concurrent_ups_on_a_new_home(lab: Lab, refs: References) -> None:
    clean(scenarios.concurrent_ups(lab, refs, trials=1))


def test_repair_beside_extend(lab: Lab, refs: References) -> None:
    clean(scenarios.repair_beside_extend(lab, refs, trials=1))


def test_drift_refused(lab: Lab, refs: References) -> None:
    clean(scenarios.drift(lab, refs, commands=3))  # extend, up, repair (make chaos: all five)


def test_guard_refuses(lab: Lab, refs: References) -> None:
    clean(scenarios.guard(lab, refs, commands_per_name=3))


def test_bad_input(lab: Lab, refs: References) -> None:
    result = scenarios.bad_input(lab, refs)
    assert result.trials >= 40
    assert result.counts["secrets"] == 0
    clean(result)


def test_killed_backend(lab: Lab, refs: References) -> None:
    clean(scenarios.killed_backend(lab, refs, trials=1))


def test_full_disk(lab: Lab) -> None:
    result = scenarios.full_disk(lab, trials=1)
    if result.skipped:
        pytest.skip(result.skipped)
    clean(result)
