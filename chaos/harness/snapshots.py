"""Snapshots of a database (row counts and digests per partition, the manifest, the runs, the
relations) and their comparisons: a trial against its reference, and before against after."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import psycopg

from chaos.harness.commands import SHARD_SIZE
from seed_assets.schema import ACTIVITY, CATALOG, DERIVED, IDENTITY
from seed_assets.schema import table as schema_table

SEEDED = [t.name for t in (*CATALOG, *IDENTITY, *ACTIVITY, *DERIVED)]
ACTIVITY_TABLES = [t.name for t in ACTIVITY]


@dataclasses.dataclass
class Snapshot:
    tables: dict[str, dict[str, tuple[int, str]]]
    manifest: dict[str, tuple[int, str, str]]  # "table/partition" -> (rows, digest, written_at)
    runs: list[tuple]
    relations: list[str]

    def counts(self) -> dict[str, dict[str, int]]:
        return {t: {p: v[0] for p, v in parts.items()} for t, parts in self.tables.items()}


@dataclasses.dataclass
class Diff:
    """A trial's tables against the reference's, partition by partition."""

    missing: list[str] = dataclasses.field(default_factory=list)
    half_written: list[str] = dataclasses.field(default_factory=list)
    doubled: list[str] = dataclasses.field(default_factory=list)
    differs: list[str] = dataclasses.field(default_factory=list)
    extra: list[str] = dataclasses.field(default_factory=list)
    manifest: list[str] = dataclasses.field(default_factory=list)

    def __bool__(self) -> bool:
        return any(dataclasses.astuple(self))

    def summary(self) -> dict[str, Any]:
        return {k: {"n": len(v), "first": v[:6]} for k, v in dataclasses.asdict(self).items() if v}


def compare(ref: Snapshot, got: Snapshot) -> Diff:
    diff = Diff()
    for table, parts in ref.tables.items():
        have = got.tables.get(table, {})
        for key, (n, digest) in parts.items():
            where = f"{table}/{key}"
            if key not in have or have[key][0] == 0:
                diff.missing.append(where)
            elif have[key][0] < n:
                diff.half_written.append(f"{where} ({have[key][0]} of {n} rows)")
            elif have[key][0] > n:
                diff.doubled.append(f"{where} ({have[key][0]} rows, reference {n})")
            elif have[key][1] != digest:
                diff.differs.append(where)
        diff.extra += [f"{table}/{k}" for k in sorted(set(have) - set(parts))]
    diff.extra += [t for t in got.tables if t not in ref.tables and got.tables[t]]
    ref_m = {k: v[:2] for k, v in ref.manifest.items()}
    got_m = {k: v[:2] for k, v in got.manifest.items()}
    diff.manifest += [f"{k}: {got_m.get(k)} != {v}" for k, v in ref_m.items() if got_m.get(k) != v]
    diff.manifest += [f"{k}: not in the reference" for k in sorted(set(got_m) - set(ref_m))]
    return diff


def same(a: Snapshot, b: Snapshot) -> bool:
    return not compare(a, b) and not compare(b, a)


def half_written_days(got: Snapshot, ref: Snapshot) -> list[str]:
    """Days the reference has in every activity table but the trial only in some."""
    out = []
    days = set.intersection(*(set(ref.tables.get(t, {})) for t in ACTIVITY_TABLES))
    for day in sorted(days):
        present = [t for t in ACTIVITY_TABLES if got.tables.get(t, {}).get(day, (0,))[0]]
        if present and len(present) < len(ACTIVITY_TABLES):
            out.append(day)
    return out


def take_snapshot(conn: psycopg.Connection) -> Snapshot:
    present = {
        r[0]
        for r in conn.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition"
        ).fetchall()
    }
    tables: dict[str, dict[str, tuple[int, str]]] = {}
    for name in SEEDED:
        if name not in present:
            continue
        info = schema_table(name).info
        pk = ", ".join(f'x."{c.name}"' for c in schema_table(name).primary_key.columns)
        if info["grain"] == "all":
            part = "'all'"
        elif info["grain"] == "shard":
            part = f"'s' || lpad(((x.\"{info['key']}\" - 1) / {SHARD_SIZE})::text, 4, '0')"
        else:
            part = f'x."{info["key"]}"::text'
        rows = conn.execute(
            f"SELECT {part}, count(*), md5(string_agg(x::text, E'\\n' ORDER BY {pk})) "  # type: ignore[arg-type]
            f'FROM "{name}" x GROUP BY 1'
        ).fetchall()
        tables[name] = {str(k): (int(n), str(d)) for k, n, d in rows}
    manifest: dict[str, tuple[int, str, str]] = {}
    if "seed_manifest" in present:
        for t, k, n, d, w in conn.execute(
            "SELECT table_name, partition_key, row_count, digest, written_at::text "
            "FROM seed_manifest"
        ).fetchall():
            manifest[f"{t}/{k}"] = (int(n), str(d), str(w))
    runs: list[tuple] = []
    if "seed_runs" in present:
        runs = [tuple(map(str, r)) for r in conn.execute("SELECT * FROM seed_runs").fetchall()]
        runs.sort()
    relations = sorted(
        f"{r[0]}.{r[1]}:{r[2]}"
        for r in conn.execute(
            "SELECT n.nspname, c.relname, c.relkind FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')"
        ).fetchall()
    )
    return Snapshot(tables, manifest, runs, relations)


def nothing_written(before: Snapshot, after: Snapshot) -> list[str]:
    """What changed between two snapshots (empty: nothing was written)."""
    changes = []
    if before.tables != after.tables:
        changed = [
            t
            for t in set(before.tables) | set(after.tables)
            if before.tables.get(t) != after.tables.get(t)
        ]
        changes.append(f"rows of {sorted(changed)[:6]}")
    if before.manifest != after.manifest:
        changes.append("seed_manifest")
    if before.runs != after.runs:
        changes.append(f"seed_runs ({len(before.runs)} -> {len(after.runs)} rows)")
    if before.relations != after.relations:
        new = sorted(set(after.relations) - set(before.relations))
        changes.append(f"relations (+{len(new)}: {new[:4]})")
    return changes


def embedded_snapshot(home: Path, env: dict[str, str]) -> Snapshot:
    """Start a home's embedded server in a child process, snapshot its database, stop it."""
    code = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from seed_assets import database\n"
        "from chaos.harness.snapshots import take_snapshot, snapshot_json\n"
        "url = database.embedded_url(Path(sys.argv[1]))\n"
        "with database.connection(url, autocommit=True) as conn:\n"
        "    print(snapshot_json(take_snapshot(conn)))\n"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", code, str(home / "seed" / "pgdata")],
        env={**env, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"snapshot of {home}: {done.stderr.strip().splitlines()[-1:]}")
    data = json.loads(done.stdout.strip().splitlines()[-1])
    return Snapshot(
        {t: {k: tuple(v) for k, v in p.items()} for t, p in data["tables"].items()},  # type: ignore[misc]
        {k: tuple(v) for k, v in data["manifest"].items()},  # type: ignore[misc]
        [tuple(r) for r in data["runs"]],
        data["relations"],
    )


def snapshot_json(snap: Snapshot) -> str:
    return json.dumps(dataclasses.asdict(snap))


def first(items: Iterable[str], n: int = 4) -> list[str]:
    return list(items)[:n]
