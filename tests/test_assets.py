"""Materialising through Dagster: determinism, shard-order independence, idempotence."""

from __future__ import annotations

import dagster as dg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seed_assets import database, orchestrate
from seed_assets.config import SeedParams
from seed_assets.definitions import build_all_assets
from seed_assets.progress import Progress
from seed_assets.schema import CATALOG, IDENTITY
from tests.conftest import SMALL, fresh_database, row_count, table_digest

TABLES = [t.name for t in (*CATALOG, *IDENTITY)]
GROUPS = ["params", "catalog", "identity"]
UNPARTITIONED = ["seed_params", "interest_subjects", "quiz_questions"]


def _resources(params: SeedParams, url: str) -> dict[str, object]:
    return orchestrate.resources(params, url, bulk=False, progress=Progress())


def seed(params: SeedParams, url: str) -> None:
    with dg.DagsterInstance.ephemeral() as instance:
        orchestrate.run_tiers(params, _resources(params, url), instance, GROUPS)


def digests(url: str) -> dict[str, str]:
    with database.connection(url, autocommit=True) as c:
        return {t: table_digest(c, t) for t in TABLES}


def materialize_shards(params: SeedParams, url: str, keys: list[str]) -> None:
    assets = build_all_assets(params)
    resources = _resources(params, url)
    identity = [dg.AssetKey(t.name) for t in IDENTITY]
    with dg.DagsterInstance.ephemeral() as instance:
        dg.materialize(assets, instance=instance, resources=resources, selection=UNPARTITIONED)
        for key in keys:
            dg.materialize(
                assets,
                instance=instance,
                resources=resources,
                selection=identity,
                partition_key=key,
            )


def test_same_seed_gives_byte_identical_tables_and_another_seed_does_not(
    db_url: str, server_url: str
) -> None:
    seed(SMALL, db_url)
    first = digests(db_url)
    seed(SMALL, db_url)  # re-materialising everything equals doing it once
    assert digests(db_url) == first
    with database.connection(db_url, autocommit=True) as c:
        assert row_count(c, "users") == SMALL.users
        manifest = c.execute("SELECT count(*) FROM seed_manifest").fetchone()
    assert manifest == (2 + 6 * SMALL.shard_count,)

    other = SMALL.replace(run_seed="another")
    seed(other, db_url)
    changed = digests(db_url)
    assert changed["users"] != first["users"] and changed["profiles"] != first["profiles"]
    assert changed["interest_subjects"] == first["interest_subjects"]  # the catalog is fixed


@settings(
    max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(order=st.permutations(["s0000", "s0001", "s0002", "s0003"]))
def test_shard_order_does_not_matter(order: list[str], server_url: str) -> None:
    with fresh_database(server_url) as in_order, fresh_database(server_url) as shuffled:
        materialize_shards(SMALL, in_order, sorted(order))
        materialize_shards(SMALL, shuffled, order)
        assert digests(in_order) == digests(shuffled)


def test_a_single_shard_does_not_depend_on_the_others(db_url: str, server_url: str) -> None:
    materialize_shards(SMALL, db_url, ["s0002"])
    with database.connection(db_url, autocommit=True) as c:
        alone = c.execute(
            "SELECT md5(string_agg(p::text, '' ORDER BY user_id)) FROM profiles p"
        ).fetchone()
        assert row_count(c, "profiles") == 250
    seed(SMALL, db_url)
    with database.connection(db_url, autocommit=True) as c:
        within = c.execute(
            "SELECT md5(string_agg(p::text, '' ORDER BY user_id)) FROM profiles p "
            "WHERE user_id BETWEEN 501 AND 750"
        ).fetchone()
    assert alone == within


def test_seed_params_data_version_is_the_fingerprint(db_url: str) -> None:
    assets = build_all_assets(SMALL)
    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize(
            [a for a in assets if dg.AssetKey("seed_params") in a.keys],
            resources=_resources(SMALL, db_url),
            instance=instance,
        )
    event = result.asset_materializations_for_node("seed_params")[0]
    assert event.tags is not None
    assert event.tags["dagster/data_version"] == SMALL.fingerprint()
    assert SMALL.replace(run_seed="x").fingerprint() != SMALL.fingerprint()


def test_population_mismatch_fails_clearly(db_url: str) -> None:
    assets = build_all_assets(SMALL)
    resources = _resources(SMALL.replace(users=5_000), db_url)
    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize(
            assets,
            resources=resources,
            selection=["users"],
            partition_key="s0000",
            raise_on_error=False,
            instance=instance,
        )
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert "reload the code location" in str(failure.step_failure_data.error)
