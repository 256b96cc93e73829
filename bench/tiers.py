"""What each seeded table's asset step took, as the ``seed`` CLI recorded it in Dagster.

``seed up`` runs every tier as Dagster runs whose event log lives in the ``dagster`` database of
the same embedded server. Each table's materialisation carries ``rows`` and ``seconds`` metadata
(``seed_assets/defs/writing.py``): the wall of its asset step, generation and loads together. An
identity table is its own step; the six activity tables share one step (one simulation per day),
so each of them reports that whole step's seconds.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from bench.pg import with_database
from seed_assets import database


@dataclasses.dataclass(frozen=True)
class Step:
    """One table's rows, the seconds of the step that made them, and of their loads alone
    (``write_seconds``: the table's load transactions, NaN when not reported)."""

    rows: int
    seconds: float
    write_seconds: float = math.nan


def asset_steps(url: str) -> dict[str, Step]:
    """Table -> Step for every materialisation with ``rows`` and ``seconds`` in the server's
    Dagster event log (the latest per table; empty when there is no ``dagster`` database)."""
    import dagster as dg

    with database.connection(url, autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = 'dagster'").fetchone()
    if not found:
        return {}
    with database.connection(with_database(url, "dagster"), autocommit=True) as conn:
        events = conn.execute(
            "SELECT event FROM event_logs WHERE dagster_event_type = 'ASSET_MATERIALIZATION' "
            "ORDER BY id"
        ).fetchall()
    out: dict[str, Step] = {}
    for (event,) in events:
        entry = dg.deserialize_value(event, dg.EventLogEntry)
        mat = entry.asset_materialization
        if mat is None or not {"rows", "seconds"} <= mat.metadata.keys():
            continue
        meta = {k: v.value for k, v in mat.metadata.items()}
        out[mat.asset_key.to_user_string()] = Step(
            int(meta["rows"]),  # type: ignore[arg-type]
            float(meta["seconds"]),  # type: ignore[arg-type]
            float(meta.get("write_seconds", math.nan)),  # type: ignore[arg-type]
        )
    return out


@dataclasses.dataclass(frozen=True)
class Split:
    """Where the wall of one ``seed up --json`` went.

    ``generate_s``: generation on the asset steps' threads; ``load_s``: load transactions on the
    writers' background connections (they overlap generation, so the two may add up to more than
    ``steps_s``); ``steps_s``: the asset steps' walls; ``index_s``: indexes, foreign keys and
    ANALYZE after a bare load; ``orchestration_s``: everything else — interpreter start, imports,
    the embedded server's start and stop, Dagster's runs and event log.
    """

    generate_s: float
    load_s: float
    steps_s: float
    index_s: float
    orchestration_s: float


def split(summary: dict[str, Any] | None, wall_s: float) -> Split:
    """The split of a CLI call's wall from its ``--json`` summary (NaNs without one)."""
    if not summary:
        return Split(*(math.nan,) * 5)
    steps: dict[str, tuple[float, float]] = {}
    for name, t in summary["tables"].items():
        # A step's tables report its wall and generation until each was done: the last one's
        # are the step's.
        key = t.get("step") or name
        seen = steps.get(key, (0.0, 0.0))
        steps[key] = (
            max(seen[0], float(t["seconds"])),
            max(seen[1], float(t["generate_seconds"])),
        )
    steps_s = sum(s for s, _ in steps.values())
    index_s = sum(float(s) for s in summary["phases"].values())
    return Split(
        generate_s=sum(g for _, g in steps.values()),
        load_s=sum(float(t["write_seconds"]) for t in summary["tables"].values()),
        steps_s=steps_s,
        index_s=index_s,
        orchestration_s=wall_s - steps_s - index_s,
    )
