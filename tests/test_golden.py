"""Golden digests: the bytes of every table of one fixed seed, recorded in ``golden/digests.json``.

Refactors must leave every seeded and derived table byte-identical. A deliberate change of a
generator's output updates the file: ``SEED_UPDATE_GOLDEN=1 pytest tests/test_golden.py``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import dagster as dg

from seed_assets import database, orchestrate
from seed_assets.config import SeedParams
from seed_assets.progress import Progress
from seed_assets.schema import ACTIVITY, CATALOG, DERIVED, IDENTITY
from tests.conftest import row_count, table_digest

GOLDEN = Path(__file__).parent / "golden" / "digests.json"
START = dt.date(2024, 3, 1)
DAYS = 4
PARAMS = SeedParams(
    run_seed="golden",
    users=600,
    shard_size=200,
    start_date=START,
    end_date=START + dt.timedelta(days=DAYS),
)
GROUPS = ["params", "catalog", "identity", "activity", "derived"]
TABLES = [t.name for t in (*CATALOG, *IDENTITY, *ACTIVITY, *DERIVED)]


def test_every_table_matches_its_golden_digest(db_url: str) -> None:
    resources = orchestrate.resources(PARAMS, db_url, bulk=False, progress=Progress())
    days = (START.isoformat(), (START + dt.timedelta(days=DAYS - 1)).isoformat())
    with dg.DagsterInstance.ephemeral() as instance:
        orchestrate.run_tiers(PARAMS, resources, instance, GROUPS, days)
    with database.connection(db_url, autocommit=True) as conn:
        found = {t: {"rows": row_count(conn, t), "digest": table_digest(conn, t)} for t in TABLES}
    if os.environ.get("SEED_UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(json.dumps(found, indent=2, sort_keys=True) + "\n")
    recorded = json.loads(GOLDEN.read_text())
    assert all(found[t]["rows"] > 0 for t in TABLES), "every table holds rows"
    assert found == recorded
