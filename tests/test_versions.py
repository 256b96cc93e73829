"""Code versions follow the code and data the rows depend on; the fingerprint follows the
calibration profile's contents."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

import seed_assets
from seed_assets import calibration, orchestrate, versions
from seed_assets.config import SeedParams
from seed_assets.progress import Progress
from seed_assets.schema import metadata

DERIVED_TABLES = {t.name for t in metadata.sorted_tables if t.info.get("tier") == "derived"}


def _copy(tmp_path: Path) -> Path:
    """The files both versions read, copied elsewhere (another checkout path, new mtimes)."""
    root = tmp_path / "elsewhere"
    for name in versions.source_files(versions.ROOT, versions.DERIVED_FILES):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(versions.ROOT / name, root / name)
    return root


def _digests(root: Path) -> tuple[str, str]:
    return (
        versions.version(root, versions.SEEDED_FILES),
        versions.version(root, versions.DERIVED_FILES),
    )


def test_versions_are_prefixed_digests_of_the_files() -> None:
    assert seed_assets.GENERATOR_VERSION == versions.SEEDED
    assert versions.SEEDED != versions.DERIVED
    for version in (versions.SEEDED, versions.DERIVED):
        prefix, digest = version.split("+")
        assert prefix == versions.PREFIX and len(digest) == 16
        int(digest, 16)
    files = versions.source_files(versions.ROOT, versions.DERIVED_FILES)
    assert "seed_assets/generators/identity.py" in files
    assert "seed_assets/calibration/spec.toml" in files
    assert "seed_assets/pools/cities.csv" in files
    assert "jobs/matching.py" in files
    assert not [f for f in files if "__pycache__" in f or f.endswith(".pyc")]
    seeded = versions.source_files(versions.ROOT, versions.SEEDED_FILES)
    assert not [f for f in seeded if f.startswith("jobs/")]


@pytest.mark.parametrize("hash_seed", ["0", "4242"])
def test_versions_are_the_same_in_another_process(hash_seed: str) -> None:
    code = "from seed_assets import versions; print(versions.SEEDED, versions.DERIVED)"
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == [versions.SEEDED, versions.DERIVED]


def test_digest_does_not_depend_on_the_path_times_or_line_endings(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    assert _digests(root) == (versions.SEEDED, versions.DERIVED)
    rng = root / "seed_assets/rng.py"
    os.utime(rng, (0, 0))
    rng.write_bytes(rng.read_bytes().replace(b"\n", b"\r\n"))
    (root / "seed_assets/generators/__pycache__").mkdir(exist_ok=True)
    (root / "seed_assets/generators/__pycache__/identity.cpython-311.pyc").write_bytes(b"\0")
    (root / "seed_assets/pools/.DS_Store").write_bytes(b"\0")
    assert _digests(root) == (versions.SEEDED, versions.DERIVED)


@pytest.mark.parametrize(
    ("path", "seeded_changes"),
    [
        ("seed_assets/generators/identity.py", True),
        ("seed_assets/generators/activity/swipes.py", True),
        ("seed_assets/calibration/spec.toml", True),
        ("seed_assets/pools/first_names_female.txt", True),
        ("seed_assets/scoring.py", True),
        ("jobs/users.py", False),  # a job: only the derived tables' version
    ],
)
def test_a_changed_byte_changes_the_version(
    tmp_path: Path, path: str, seeded_changes: bool
) -> None:
    root = _copy(tmp_path)
    with (root / path).open("ab") as handle:
        handle.write(b"\n")
    seeded, derived = _digests(root)
    assert derived != versions.DERIVED
    assert (seeded != versions.SEEDED) is seeded_changes


def test_a_new_generator_file_changes_the_version(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    (root / "seed_assets/generators/activity/extra.py").write_text("X = 1\n")
    seeded, derived = _digests(root)
    assert seeded != versions.SEEDED and derived != versions.DERIVED


def test_every_table_asset_declares_its_tiers_code_version() -> None:
    from seed_assets.definitions import build_definitions

    defs = build_definitions(SeedParams(users=1_000, shard_size=250))
    found: dict[str, str | None] = {}
    for asset in defs.assets or []:
        assert isinstance(asset, dg.AssetsDefinition)
        for key, version in asset.code_versions_by_key.items():
            found[key.to_user_string()] = version
    assert found.pop("seed_params") == versions.SEEDED
    assert set(found) >= DERIVED_TABLES
    for name, version in found.items():
        expected = versions.DERIVED if name in DERIVED_TABLES else versions.SEEDED
        assert version == expected == versions.code_version(name), name


def test_tables_written_together_share_one_version() -> None:
    assert versions.tables_version(["likes", "matches"]) == versions.SEEDED
    assert versions.tables_version(["user_traits"]) == versions.DERIVED
    with pytest.raises(ValueError, match="different code versions"):
        versions.tables_version(["likes", "user_traits"])


def test_fingerprint_follows_the_calibration_profiles_contents(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    params = SeedParams(users=1_000)
    before = params.fingerprint()
    spec = calibration.load("spec")
    edited = {**spec, "archetypes": {**spec["archetypes"]}}
    first = next(iter(edited["archetypes"]))
    edited["archetypes"][first] = {**spec["archetypes"][first], "_edited": 1}
    monkeypatch.setattr(calibration, "load", lambda name: edited if name == "spec" else {})
    assert params.fingerprint() != before  # same name, other contents
    monkeypatch.setattr(calibration, "load", lambda name: spec)
    assert params.fingerprint() == before  # the same contents again


def test_dagster_marks_exactly_the_tables_whose_code_changed_stale(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dagster._core.definitions.data_version import StaleStatus
    from dagster._utils.test.data_versions import get_stale_status_resolver

    from seed_assets.definitions import build_all_assets

    params = SeedParams(run_seed="versions", users=200, shard_size=100)
    res = orchestrate.resources(params, db_url, bulk=False, progress=Progress())
    with dg.DagsterInstance.ephemeral() as instance:
        orchestrate.run_tiers(params, res, instance, ["params", "catalog", "identity"])
        assets = build_all_assets(params)
        dg.materialize(assets, instance=instance, resources=res, selection=["quiz_stats"])

        def status() -> dict[str, StaleStatus]:
            now = build_all_assets(params)
            resolver = get_stale_status_resolver(instance, now)
            return {
                "interest_subjects": resolver.get_status(dg.AssetKey("interest_subjects")),
                "users": resolver.get_status(dg.AssetKey("users"), "s0001"),
                "quiz_stats": resolver.get_status(dg.AssetKey("quiz_stats")),
            }

        assert set(status().values()) == {StaleStatus.FRESH}
        monkeypatch.setattr(versions, "DERIVED", "1+a-job-changed")  # a change to jobs/
        assert status() == {
            "interest_subjects": StaleStatus.FRESH,
            "users": StaleStatus.FRESH,
            "quiz_stats": StaleStatus.STALE,
        }
        monkeypatch.setattr(versions, "SEEDED", "1+a-generator-changed")  # and to a generator
        assert set(status().values()) == {StaleStatus.STALE}
