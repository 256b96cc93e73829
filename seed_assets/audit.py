"""``seed audit``: what the database should hold versus what it holds, read-only.

For every table and partition the recorded runs expect (``replay.expectation``): the manifest row
(written in the partition's own transaction, with the generator's row count and digest) against
the rows the table holds, and the manifest's provenance against the current parameters
(one table's audit is ``table_audit.py``). With
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

from seed_assets import database, ddl, minimums, references, regenerate, replay
from seed_assets.config import SeedParams
from seed_assets.progress import Progress
from seed_assets.schema import ACTIVITY, CATALOG, DERIVED, IDENTITY, metadata
from seed_assets.table_audit import Gap, TableAudit, audit_table, expected_keys, manifest_rows

SEEDED = [t.name for t in (*CATALOG, *IDENTITY, *ACTIVITY, *DERIVED)]


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
        exp = replay.expectation(conn)
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


def settle(report: Report, exp: replay.Expectation) -> Report:
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
