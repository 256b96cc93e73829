"""The clean reference runs every trial is compared with, kept as template databases."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from chaos.harness import POPULATION, START, UP, Lab, Snapshot
from chaos.scenarios.trial import EXTEND1, EXTEND2, REPAIR


@dataclasses.dataclass
class References:
    """Clean runs of the same seed, kept as template databases, with their snapshots."""

    up: str  # seed up: 300 users, 5 days
    ext1: str  # then seed extend --days 1
    ext2: str  # then seed extend --days 2
    damaged: str  # the 5-day seed with some partitions damaged
    snaps: dict[str, Snapshot]
    seconds: dict[str, float]
    export: Path  # `seed export` of the same seed (for `seed load`)


def damage(lab: Lab, db: str) -> None:
    """Rows of a day, half a shard, a manifest row and a derived shard, gone."""
    lab.sql(
        db,
        "DELETE FROM likes WHERE day = '2024-01-03'",
        "DELETE FROM user_interests WHERE user_id BETWEEN 101 AND 150",
        "DELETE FROM seed_manifest WHERE table_name = 'messages' AND partition_key = '2024-01-02'",
        "DELETE FROM user_traits WHERE user_id <= 100",
    )


def prepare(lab: Lab) -> References:
    """The reference databases (every later trial database is a copy of one of them)."""
    seconds: dict[str, float] = {}

    def clean(name: str, args: list[str], template: str | None) -> str:
        db = lab.create_db(template)
        home = lab.home()
        out = lab.run(args, lab.env(db, home))
        lab.cleanup_home(home)
        if out.code != 0:
            raise RuntimeError(f"reference {name} failed: {out.brief()}")
        seconds[name] = out.seconds
        return db

    up = clean("up", UP, None)
    ext1 = clean("extend1", EXTEND1, up)
    ext2 = clean("extend2", EXTEND2, up)
    damaged = lab.create_db(up)
    damage(lab, damaged)
    repaired = clean("repair", REPAIR, damaged)
    snaps = {n: lab.snapshot(db) for n, db in [("up", up), ("ext1", ext1), ("ext2", ext2)]}
    snaps["damaged"] = lab.snapshot(damaged)
    snaps["repaired"] = lab.snapshot(repaired)
    lab.drop_db(repaired)
    export = lab.workdir / "export"
    home = lab.home()
    out = lab.run(
        ["export", "--out", str(export), *POPULATION, *START, "--days", "5"], lab.env(None, home)
    )
    lab.cleanup_home(home)
    if out.code != 0:
        raise RuntimeError(f"reference export failed: {out.brief()}")
    return References(up, ext1, ext2, damaged, snaps, seconds, export)
