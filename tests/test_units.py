"""The partitions of the generated tables and their generators, written once (units.py), and the
partition arithmetic (partitions.py) that the assets, the export, the audit and explain share."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import polars as pl
import psycopg
import pytest

from seed_assets import generators, partitions
from seed_assets.defs.partitions import daily_partitions, shard_partitions
from seed_assets.defs.schedules import DAYS_TAG, days_tag, tagged_days
from seed_assets.generators.activity import TABLES as ACTIVITY
from seed_assets.generators.activity import simulate_day
from seed_assets.units import identity_rows, work_units
from tests.conftest import SMALL

GENERATED = [*generators.CATALOG, *generators.IDENTITY, *ACTIVITY]


def test_units_cover_the_partitions_the_assets_declare() -> None:
    params = SMALL.replace(end_date=SMALL.start_date + dt.timedelta(days=3))
    days = [params.start_date + dt.timedelta(days=d) for d in range(3)]
    units = work_units(params, GENERATED, days=days)
    whole = [u for u in units if u.part.key == partitions.ALL]
    assert sorted(t for u in whole for t in u.tables) == sorted(generators.CATALOG)
    shards = [u for u in units if u.part.key.startswith("s")]
    assert [u.part.key for u in shards] == shard_partitions(params).get_partition_keys()
    assert all(u.tables == list(generators.IDENTITY) for u in shards)
    day_keys = [u.part.key for u in units if u.tables == list(ACTIVITY)]
    assert day_keys == daily_partitions(params).get_partition_keys()
    assert len(units) == len(whole) + len(shards) + len(day_keys)
    only = work_units(params, ["likes", "users"], shards=["s0001"], days=days[:1])
    assert [(u.part.key, u.tables) for u in only] == [
        ("s0001", ["users"]),
        (days[0].isoformat(), ["likes"]),
    ]


def test_a_unit_makes_what_the_generators_make() -> None:
    (shard,) = work_units(SMALL, list(generators.IDENTITY), shards=["s0002"])
    frames = shard.make()
    assert list(frames) == list(generators.IDENTITY)
    for table, frame in frames.items():
        assert isinstance(frame, pl.DataFrame)
        assert frame.equals(generators.IDENTITY[table](SMALL, 501, 751))
        rows = identity_rows(SMALL, table, shard.part)
        assert isinstance(rows, pl.DataFrame) and rows.equals(frame)
    (day,) = work_units(SMALL, ["messages"], days=[SMALL.start_date + dt.timedelta(days=1)])
    messages = day.make()["messages"]
    assert isinstance(messages, pl.DataFrame)
    assert messages.equals(simulate_day(SMALL, 1)["messages"])


def test_a_manifest_key_names_its_tables_partition() -> None:
    assert partitions.of_table("users", "s0001", SMALL) == partitions.Partition("s0001", 251, 501)
    day = dt.date(2024, 1, 2)
    assert partitions.of_table("likes", "2024-01-02", SMALL) == partitions.day_partition(day)
    assert partitions.of_table("interest_subjects", "all", SMALL) == partitions.whole_table()
    with pytest.raises(ValueError, match="one partition"):
        partitions.of_table("interest_subjects", "s0000", SMALL)
    with pytest.raises(ValueError, match="outside the population"):
        partitions.of_table("users", "s0004", SMALL)


def test_the_end_date_covers_the_last_day() -> None:
    last = SMALL.start_date + dt.timedelta(days=4)
    assert partitions.through(SMALL, last).end_date == last + dt.timedelta(days=1)
    later = SMALL.replace(end_date=last + dt.timedelta(days=9))
    assert partitions.through(later, last) == later


def test_a_users_shard_is_the_same_in_python_and_sql(conn: psycopg.Connection) -> None:
    ids = [1, 250, 251, 500, 999, 1000]
    sql = f"SELECT {partitions.shard_index_sql('id')} FROM unnest(%s::bigint[]) AS u(id)"
    in_sql = [partitions.shard_key(i) for (i,) in conn.execute(sql, [SMALL.shard_size, ids])]  # type: ignore[arg-type]
    assert in_sql == [partitions.shard_of(SMALL, i) for i in ids]
    assert in_sql == ["s0000", "s0000", "s0001", "s0001", "s0003", "s0003"]
    for user_id, key in zip(ids, in_sql, strict=True):
        lo, hi = partitions.shard_ids(SMALL, key)
        assert lo <= user_id < hi


def test_partition_arithmetic_stands_below_the_write_path() -> None:
    """partitions.py imports neither the write path nor a database; units.py no Dagster."""
    code = "import sys, seed_assets.partitions; print(' '.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(out.stdout.split())
    assert "seed_assets.partitions" in loaded
    assert not loaded & {"seed_assets.load", "seed_assets.write", "seed_assets.database", "psycopg"}
    code = "import sys, seed_assets.units; print(' '.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "seed_assets.units" in out.stdout.split()
    assert not any(m.split(".")[0] == "dagster" for m in out.stdout.split())


def test_a_reseed_runs_days_tag_reads_back() -> None:
    first, last = dt.date(2024, 1, 1), dt.date(2024, 1, 9)
    assert tagged_days({DAYS_TAG: days_tag(first, last)}) == (first, last)
    assert tagged_days({DAYS_TAG: days_tag(first, None)}) is None
    assert tagged_days({}) is None
