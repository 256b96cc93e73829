"""The code location loads and shows the graph the design describes."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest
import yaml

from seed_assets.config import SeedParams
from seed_assets.definitions import build_definitions

IDENTITY = {
    "users",
    "profiles",
    "profile_media",
    "user_interests",
    "interest_dirty",
    "quiz_results",
}
CATALOG = {"interest_subjects", "quiz_questions"}
ACTIVITY = {"posts", "likes", "matches", "conversations", "messages", "feed_seen"}
DERIVED = {
    "match_scores",
    "compatibility",
    "interest_relationships",
    "searchable_users",
    "user_traits",
    "quiz_stats",
    "trending",
}


@pytest.fixture(scope="module")
def graph() -> dg.AssetGraph:
    defs = build_definitions(SeedParams(users=1_000, shard_size=250))
    return defs.resolve_asset_graph()


def test_module_level_definitions_load(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEED_USERS", "1200")
    monkeypatch.setenv("SEED_SHARD_SIZE", "500")
    defs = build_definitions()
    dg.Definitions.validate_loadable(defs)
    users = defs.resolve_asset_graph().get(dg.AssetKey("users"))
    assert users.partitions_def is not None
    assert users.partitions_def.get_partition_keys() == ["s0000", "s0001", "s0002"]


def test_asset_keys_and_groups(graph) -> None:
    groups = {k.to_user_string(): graph.get(k).group_name for k in graph.get_all_asset_keys()}
    assert groups == {
        "seed_params": "params",
        **dict.fromkeys(CATALOG, "catalog"),
        **dict.fromkeys(IDENTITY, "identity"),
        **dict.fromkeys(ACTIVITY, "activity"),
        **dict.fromkeys(DERIVED, "derived"),
    }


def test_identity_is_partitioned_by_shard_with_single_run_backfills(graph) -> None:
    for name in IDENTITY:
        node = graph.get(dg.AssetKey(name))
        assert node.partitions_def.get_partition_keys() == ["s0000", "s0001", "s0002", "s0003"]
        assert node.backfill_policy == dg.BackfillPolicy.single_run()
    for name in (*CATALOG, "seed_params"):
        assert graph.get(dg.AssetKey(name)).partitions_def is None


def test_seed_params_is_a_direct_parent_of_every_seeded_asset(graph) -> None:
    for key in graph.get_all_asset_keys():
        if key.to_user_string() != "seed_params":
            assert dg.AssetKey("seed_params") in graph.get(key).parent_keys


def test_descriptions_come_from_the_schema(graph) -> None:
    for key in graph.get_all_asset_keys():
        assert graph.get(key).description, key
    assert "3-5 per user" in (graph.get(dg.AssetKey("profile_media")).description or "")


def test_workspace_yaml_points_at_the_definitions() -> None:
    root = Path(__file__).resolve().parents[1]
    workspace = yaml.safe_load((root / "workspace.yaml").read_text())
    modules = [entry["python_module"] for entry in workspace["load_from"]]
    module = modules[0] if isinstance(modules[0], str) else modules[0]["module_name"]
    assert module == "seed_assets.definitions"
