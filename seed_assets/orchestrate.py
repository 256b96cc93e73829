"""Run the seed graph in-process through Dagster, as the CLI does (same assets as the UI).

Each tier is one Dagster run over its whole partition range (the assets' single-run backfill
policy), recorded in the Dagster instance under ``DAGSTER_HOME`` (:mod:`seed_assets.instance`) so
the UI shows the CLI's runs.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Collection, Sequence

import dagster as dg

from seed_assets import database
from seed_assets.config import SeedParams
from seed_assets.definitions import build_definitions
from seed_assets.defs.partitions import range_tags
from seed_assets.defs.resources import PostgresResource, SeedConfig
from seed_assets.errors import RunFailed
from seed_assets.memo import Memo
from seed_assets.progress import Progress
from seed_assets.write import Generation


@dataclasses.dataclass
class TableTiming:
    """One table's rows and the seconds of the asset step that wrote them.

    ``generate_seconds`` is the step's generation (on the step's thread) and ``write_seconds``
    this table's load transactions (on background connections, overlapping generation). Tables
    written by one step (the activity tier) share its ``step``, ``seconds`` and
    ``generate_seconds``.
    """

    table: str
    rows: int
    seconds: float
    step: str = ""
    generate_seconds: float = 0.0
    write_seconds: float = 0.0


def resources(
    params: SeedParams,
    url: str,
    *,
    bulk: bool,
    progress: Progress,
    generation: Generation | None = None,
) -> dict[str, object]:
    """What the steps are given: the parameters, the database, the write listener, and what the
    generators may use (default: the memo of earlier days under ``SEED_HOME/cache``, unless
    ``SEED_MEMO`` is off)."""
    from_env = os.environ.get("DATABASE_URL")
    db = (
        # The URL may hold a password: Dagster records the variable's name, never its value.
        PostgresResource(url=dg.EnvVar("DATABASE_URL"), bulk_load=bulk)
        if from_env and database.normalise_url(from_env) == url
        else PostgresResource(url=url, bulk_load=bulk)  # embedded (a socket, no password), tests
    )
    values = {k: v for k, v in params.public_dict().items() if v is not None}
    return {
        "seed_config": SeedConfig(**values, dev_password=params.dev_password),
        "database": db,
        "progress": progress,
        "generation": generation or Generation(memo=Memo.from_env(database.seed_home() / "cache")),
    }


def run_tiers(
    params: SeedParams,
    resources_: dict[str, object],
    instance: dg.DagsterInstance,
    groups: Sequence[str],
    days: tuple[str, str] | None = None,
    command: str = "seed",
    exclude: Collection[str] = (),
) -> list[TableTiming]:
    """Materialise the asset groups in order. Within a group: its unpartitioned assets, then its
    shard-partitioned ones over every shard, then its day-partitioned ones over ``days`` — each
    one run over the whole range. Consecutive unpartitioned steps share one run."""
    defs = build_definitions(params)
    assets = [a for a in defs.assets or [] if isinstance(a, dg.AssetsDefinition)]
    timings: list[TableTiming] = []
    waiting: list[dg.AssetKey] = []

    def run(keys: list[dg.AssetKey], tags: dict[str, str]) -> None:
        nonlocal timings
        if keys:
            timings += _run(assets, keys, resources_, instance, tags, command)

    for group in groups:
        members = [a for a in assets if _group(a) == group]
        keys = {id(a): [k for k in a.keys if k.to_user_string() not in exclude] for a in members}
        waiting += [k for a in members if a.partitions_def is None for k in keys[id(a)]]
        for kind in (dg.StaticPartitionsDefinition, dg.DailyPartitionsDefinition):
            chosen = [a for a in members if isinstance(a.partitions_def, kind) and keys[id(a)]]
            if not chosen:
                continue
            if kind is dg.DailyPartitionsDefinition:
                if days is None:
                    continue
                first, last = days
            else:
                all_keys = chosen[0].partitions_def.get_partition_keys()  # type: ignore[union-attr]
                first, last = all_keys[0], all_keys[-1]
            # The unpartitioned assets waiting upstream run first in the same run (one run less).
            selected = [*waiting, *(k for a in chosen for k in keys[id(a)])]
            waiting = []
            run(selected, range_tags(first, last))
    run(waiting, {})
    return timings


def _group(asset: dg.AssetsDefinition) -> str:
    return next(iter(asset.group_names_by_key.values()))


def _run(
    assets: list[dg.AssetsDefinition],
    selection: list[dg.AssetKey],
    resources_: dict[str, object],
    instance: dg.DagsterInstance,
    tags: dict[str, str],
    command: str = "seed",
) -> list[TableTiming]:
    result = dg.materialize(
        assets,
        instance=instance,
        resources=resources_,
        selection=selection,
        # The CLI draws its own progress; Dagster's event log still records everything.
        run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}},
        tags={**tags, "seed/command": command},
        raise_on_error=False,
    )
    if not result.success:
        raise RunFailed(_failure_message(result))
    timings = []
    for event in result.get_asset_materialization_events():
        meta = {k: v.value for k, v in event.materialization.metadata.items()}
        if "rows" in meta:
            timings.append(
                TableTiming(
                    event.materialization.asset_key.to_user_string(),
                    int(meta["rows"]),  # type: ignore[arg-type]
                    float(meta["seconds"]),  # type: ignore[arg-type]
                    event.step_key or "",
                    float(meta.get("generate_seconds", 0.0)),  # type: ignore[arg-type]
                    float(meta.get("write_seconds", 0.0)),  # type: ignore[arg-type]
                )
            )
    # A ranged run reports one materialisation per partition with the same totals: keep one.
    unique = {t.table: t for t in timings}
    return list(unique.values())


def _failure_message(result: dg.ExecuteInProcessResult) -> str:
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data.error:
            error = event.step_failure_data.error
            while error.cause and "dagster" in (error.cls_name or "").lower():
                error = error.cause
            return f"{event.step_key}: {error.message.strip().splitlines()[0]}"
    return "the run failed"


def elapsed(since: float) -> float:
    return time.perf_counter() - since


def run_partitions(
    params: SeedParams,
    resources_: dict[str, object],
    instance: dg.DagsterInstance,
    plan: dict[str, list[str]],
    command: str = "seed repair",
) -> list[TableTiming]:
    """Materialise exactly the given partitions of the given tables (``{table: keys}``), tier by
    tier: one run per contiguous range of keys, shared by the tables that need the same range."""
    defs = build_definitions(params)
    assets = [a for a in defs.assets or [] if isinstance(a, dg.AssetsDefinition)]
    by_key = {k.to_user_string(): a for a in assets for k in a.keys}
    timings: list[TableTiming] = []
    for group in ("catalog", "identity", "activity", "derived"):
        runs_: dict[tuple[str, str] | None, list[dg.AssetKey]] = {}
        for table, keys in plan.items():
            asset = by_key[table]
            if _group(asset) != group:
                continue
            if asset.partitions_def is None:
                runs_.setdefault(None, []).append(dg.AssetKey(table))
                continue
            every = asset.partitions_def.get_partition_keys()
            for span in contiguous(every, keys):
                runs_.setdefault(span, []).append(dg.AssetKey(table))
        for span, selection in runs_.items():
            tags = range_tags(*span) if span else {}
            timings += _run(assets, selection, resources_, instance, tags, command)
    return timings


def contiguous(every: Sequence[str], keys: Collection[str]) -> list[tuple[str, str]]:
    """``keys`` as (first, last) ranges of consecutive keys of ``every``."""
    index = {k: i for i, k in enumerate(every)}
    unknown = set(keys) - set(index)
    if unknown:
        raise RunFailed(f"partitions {sorted(unknown)[:3]} are not offered by the code location")
    spans: list[tuple[str, str]] = []
    for i in sorted(index[k] for k in keys):
        if spans and index[spans[-1][1]] == i - 1:
            spans[-1] = (spans[-1][0], every[i])
        else:
            spans.append((every[i], every[i]))
    return spans
