"""``seed audit``: what the database should hold versus what it holds, read-only.

For every table and partition the recorded runs expect (``runs.expectation``): the manifest row
(written in the partition's own transaction, with the generator's row count and digest) against
the rows the table holds, and the manifest's provenance against the current parameters. With
``deep``, also each partition's digest read back from the table, and the catalog, identity and
activity partitions regenerated from the generators (no writes) and compared with the manifest.
References (foreign keys, and the references the schema does not enforce) and the minimum
requirements (``minimums.py``) are checked too. Every gap names the partitions that a rewrite
restores, so ``seed repair`` can re-materialise exactly those.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable
from concurrent.futures import ThreadPoolExecutor

import psycopg
from psycopg import sql
from psycopg.sql import Identifier

from seed_assets import (
    database,
    ddl,
    load,
    minimums,
    partitions,
    references,
    regenerate,
    runs,
    versions,
)
from seed_assets.config import SeedParams
from seed_assets.progress import Progress
from seed_assets.schema import ACTIVITY, CATALOG, DERIVED, IDENTITY, metadata
from seed_assets.schema import table as schema_table

SEEDED = [t.name for t in (*CATALOG, *IDENTITY, *ACTIVITY, *DERIVED)]


@dataclasses.dataclass(frozen=True)
class Gap:
    """One thing that is not as it should be. ``partitions`` (may be empty) rewrite it."""

    table: str
    kind: str  # missing, rows, stale, digest, generator, extra, reference, minimum, drift
    detail: str
    partitions: tuple[str, ...] = ()

    @property
    def repairable(self) -> bool:
        return bool(self.partitions)


@dataclasses.dataclass
class TableAudit:
    table: str
    expected: int = 0  # partitions expected
    present: int = 0  # partitions whose rows match their manifest row
    rows: int = 0
    gaps: list[Gap] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class Report:
    params: SeedParams | None
    tables: dict[str, TableAudit]
    gaps: list[Gap]
    in_progress: list[str] = dataclasses.field(default_factory=list)  # runs still writing

    @property
    def ok(self) -> bool:
        return not self.gaps


def read_only(conn: psycopg.Connection) -> None:
    """Every later statement on ``conn`` runs in a read-only transaction."""
    conn.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")


def expected_keys(
    conn: psycopg.Connection, table: str, exp: runs.Expectation, manifest: dict[str, tuple]
) -> list[str]:
    """The partitions of ``table`` the recorded runs (and, for derived tables, the manifest)
    say exist."""
    params, info = exp.params, schema_table(table).info
    if params is None:
        return []
    if info["tier"] == "derived" and not manifest:
        return []  # never computed here: nothing expected
    if info["grain"] == "all":
        return [partitions.ALL]
    if info["grain"] == "shard":
        return partitions.shard_keys(params)
    # Whatever was written (e.g. from the UI) must still be there, and every day a run claimed
    # (finished or not), except the days a run in progress is writing.
    return sorted((set(exp.claimed_days()) | set(manifest)) - exp.live_days)


def actual_counts(conn: psycopg.Connection, table: str, params: SeedParams) -> dict[str, int]:
    """Rows per partition key as stored (one grouped scan)."""
    info = schema_table(table).info
    if info["grain"] == "all":
        row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(Identifier(table))).fetchone()
        return {partitions.ALL: int(row[0])} if row and row[0] else {}
    key = info["key"]
    if info["grain"] == "shard":
        by_shard = f'SELECT {partitions.shard_index_sql(key)}, count(*) FROM "{table}" GROUP BY 1'
        rows = conn.execute(by_shard, [params.shard_size]).fetchall()  # type: ignore[arg-type]
        return {partitions.shard_key(int(k)): int(n) for k, n in rows}
    query = sql.SQL("SELECT {}, count(*) FROM {} GROUP BY 1")
    rows = conn.execute(query.format(Identifier(key), Identifier(table))).fetchall()
    return {k.isoformat(): int(n) for k, n in rows}


def manifest_rows(conn: psycopg.Connection) -> dict[str, dict[str, tuple]]:
    """{table: {partition: (row_count, digest, params_fingerprint, code_version)}}."""
    out: dict[str, dict[str, tuple]] = {}
    if not ddl.tables_exist(conn, "seed_manifest"):
        return out
    for table, key, *rest in conn.execute(
        "SELECT table_name, partition_key, row_count, digest, params_fingerprint, code_version "
        "FROM seed_manifest"
    ).fetchall():
        out.setdefault(table, {})[key] = tuple(rest)
    return out


def _stored_digest(conn: psycopg.Connection, table: str, key: str, params: SeedParams) -> str:
    return load.partition_digest(conn, table, partitions.of_table(table, key, params))[1]


def audit_table(
    conn: psycopg.Connection,
    table: str,
    exp: runs.Expectation,
    manifest: dict[str, tuple],
    deep: bool = False,
    regenerated: regenerate.Expected | None = None,
) -> TableAudit:
    """One table's gaps. ``deep``: also read every partition's digest back; ``regenerated``: the
    generators' (rows, digest) to compare with the manifest."""
    result = TableAudit(table)
    if not ddl.tables_exist(conn, table):
        keys = expected_keys(conn, table, exp, manifest)
        if keys:
            result.gaps.append(Gap(table, "missing", "the table does not exist", tuple(keys)))
        result.expected = len(keys)
        return result
    params = exp.params
    if params is None:
        return result
    keys = expected_keys(conn, table, exp, manifest)
    actual = actual_counts(conn, table, params)
    if exp.in_progress and schema_table(table).info["grain"] == "day":
        actual = {k: n for k, n in actual.items() if k not in exp.live_days}  # being written
    result.expected, result.rows = len(keys), sum(actual.values())
    bad: dict[str, list[str]] = {}
    current = params.fingerprint(), versions.code_version(table)
    for key in keys:
        recorded, count = manifest.get(key), actual.get(key, 0)
        gap = _partition_gap(conn, table, key, params, current, deep, regenerated, recorded, count)
        if gap is None:
            result.present += 1
        else:
            bad.setdefault(gap[0], []).append(gap[1])
    extra = sorted(set(actual) - set(keys))
    if extra:
        result.gaps.append(
            Gap(table, "extra", f"rows outside the expected partitions: {_few(extra)}")
        )
    for kind, items in bad.items():
        repair = tuple(item.split(":")[0] for item in items)
        result.gaps.append(Gap(table, kind, f"{_PARTITION_GAPS[kind]}: {_few(items)}", repair))
    return result


_PARTITION_GAPS = {
    "missing": "partitions never written (no manifest row)",
    "rows": "row count differs from the manifest",
    "stale": "written with other parameters or another code version",
    "digest": "content differs from the manifest's digest",
    "generator": "the generators now produce other rows than the manifest records",
}


def _partition_gap(
    conn: psycopg.Connection,
    table: str,
    key: str,
    params: SeedParams,
    current: tuple[str, str],
    deep: bool,
    regenerated: regenerate.Expected | None,
    recorded: tuple | None,
    count: int,
) -> tuple[str, str] | None:
    """What is wrong with one expected partition (its kind and how it is listed), or None: its
    manifest row (``recorded``), its ``count`` of rows and, ``current``, the fingerprint and code
    version it should have been written with."""
    if recorded is None:
        return "missing", key
    rows, digest, written_with, version = recorded
    if count != rows:
        return "rows", f"{key}: {count:,} of {rows:,}"
    if (written_with, version) != current:
        return "stale", key
    if deep and _stored_digest(conn, table, key, params) != digest:
        return "digest", key
    if regenerated and regenerated.get((table, key), (rows, digest)) != (rows, digest):
        return "generator", key
    return None


def _few(items: Iterable[str], n: int = 5) -> str:
    items = list(items)
    more = f" and {len(items) - n} more" if len(items) > n else ""
    return ", ".join(items[:n]) + more


def tables_in(metadata_tables: Iterable[str]) -> list[str]:
    order = [t.name for t in metadata.sorted_tables]
    return sorted(metadata_tables, key=order.index)


def run(url: str, deep: bool = False, progress: Progress | None = None, workers: int = 2) -> Report:
    """Audit every seeded table (on ``workers`` read-only connections), then the references and
    the minimum requirements."""
    progress = progress or Progress()
    with database.connection(url, autocommit=True) as conn:
        read_only(conn)
        drifted = drift_gaps(conn)  # first: the rest reads columns a drifted table may lack
        if any(table not in SEEDED for table in drifted):  # the bookkeeping tables themselves
            return Report(None, {}, [g for found in drifted.values() for g in found])
        exp = runs.expectation(conn)
        manifest = manifest_rows(conn)
        keys = {t: expected_keys(conn, t, exp, manifest.get(t, {})) for t in SEEDED}
    regenerated = None
    if deep and exp.params is not None:
        regenerated = regenerate.expected(exp.params, keys, progress)

    def one(table: str) -> TableAudit:
        with database.connection(url, autocommit=True) as conn:
            read_only(conn)
            if table in drifted:  # its rows are not as the writers wrote them: drift only
                result = TableAudit(table, len(keys[table]), gaps=drifted[table])
            else:
                result = audit_table(conn, table, exp, manifest.get(table, {}), deep, regenerated)
        progress.advance("audit", result.rows)
        return result

    progress.start("audit", len(SEEDED))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        tables = {t.table: t for t in pool.map(one, SEEDED)}
    progress.finish("audit")
    gaps = [g for t in tables.values() for g in t.gaps]
    with database.connection(url, autocommit=True) as conn:
        read_only(conn)
        gaps += reference_gaps(conn, skip=set(drifted))
        if exp.params is not None and not drifted:  # (the minimums read the drifted tables)
            days = exp.activity_days
            first = (
                exp.params.start_date.isoformat()
                if days and days[0] <= exp.params.start_date
                else None
            )
            gaps += [
                Gap(s.table, "minimum", s.detail, s.partitions)
                for s in minimums.check(conn, exp.params, first)
            ]
    return settle(Report(exp.params, tables, gaps), exp)


def drift_gaps(conn: psycopg.Connection) -> dict[str, list[Gap]]:
    """{table: a ``drift`` gap per difference between its live schema and the expected one}
    (``drift.differences``; a missing table is a ``missing`` gap instead). Not repairable: the
    detail names the fix."""
    from seed_assets import drift

    found: dict[str, list[Gap]] = {}
    for d in drift.differences(conn, missing_ok=True):
        found.setdefault(d.table, []).append(Gap(d.table, "drift", d.line()))
    return found


def reference_gaps(conn: psycopg.Connection, skip: Collection[str] = ()) -> list[Gap]:
    """The references between tables, but those of the tables in ``skip`` (drifted)."""
    validated = references.validated_constraints(conn)
    gaps = []
    for ref in references.references():
        if ref.table in skip or ref.target in skip:
            continue
        present = ddl.tables_exist(conn, ref.table, ref.target)
        if present and (problem := references.check(conn, ref, validated)):
            gaps.append(Gap(ref.table, "reference", problem))
    return gaps


def repair_plan(report: Report) -> dict[str, list[str]]:
    """{table: partition keys to rewrite}, in the order the tiers are seeded."""
    plan: dict[str, set[str]] = {}
    for gap in report.gaps:
        if gap.partitions:
            plan.setdefault(gap.table, set()).update(gap.partitions)
    return {t: sorted(plan[t]) for t in tables_in(plan)}


def settle(report: Report, exp: runs.Expectation) -> Report:
    """The runs' own gaps: a ``seed`` run left ``running`` by a process that is gone is
    ``interrupted`` (its unwritten partitions are ``missing`` gaps); while a run is in progress
    it is reported as such and what it may be half-way through is not a gap: references and
    minimums, and after a `seed up`/`seed load`/`seed repair`/`seed reset` in progress, all."""
    for claim in exp.unfinished:
        if claim.status == "running":
            report.gaps.append(
                Gap(
                    "seed_runs",
                    "interrupted",
                    f"{claim.describe()} is recorded as running but its process is gone; the "
                    "partitions it left unwritten are listed as missing (`seed repair` "
                    "restores them; `seed extend` resumes an interrupted extend)",
                )
            )
    if exp.in_progress:
        report.in_progress = [claim.describe() for claim in exp.in_progress]
        whole = any(c.command not in ("seed extend", "seed jobs") for c in exp.in_progress)
        report.gaps = [
            g for g in report.gaps if not whole and g.kind not in ("reference", "minimum")
        ]
    return report
