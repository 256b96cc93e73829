"""Asset checks: ``seed audit`` and ``seed verify`` in the UI, runnable without materialising.

Two multi-asset checks, each computing once for every check selected:

- ``audit`` on every seeded table: its partitions against the manifest, its references and its
  minimum requirements (``seed_assets/audit.py``).
- ``calibration`` on the tables the calibration targets measure (``seed_assets/verify.py``).

Both only read. The ``audit`` job (``schedules.py``) runs them all.
"""

from collections.abc import Iterator

import dagster as dg
import psycopg

from seed_assets import audit, database, minimums, replay, table_audit, verify
from seed_assets.defs.resources import PostgresResource, SeedConfig

AUDIT = "audit"
CALIBRATION = "calibration"
METRIC_TABLES = tuple(dict.fromkeys(verify.METRIC_TABLES.values()))  # the tables measured


def _selected(context: dg.AssetCheckExecutionContext, name: str) -> list[str]:
    keys = context.selected_asset_check_keys
    return [k.asset_key.to_user_string() for k in keys if k.name == name]


@dg.multi_asset_check(
    specs=[
        dg.AssetCheckSpec(
            AUDIT,
            asset=table,
            description="Partitions, row counts and provenance against the manifest; "
            "references; minimum requirements (as `seed audit`).",
        )
        for table in audit.SEEDED
    ],
    can_subset=True,
)
def audit_checks(
    context: dg.AssetCheckExecutionContext, database: PostgresResource
) -> Iterator[dg.AssetCheckResult]:
    """`seed audit`, one result per table."""
    url = database.resolved_url()
    tables = _selected(context, AUDIT)
    with _reading(url) as conn:
        exp = replay.expectation(conn)
        manifest = table_audit.manifest_rows(conn)
        results = {t: table_audit.audit_table(conn, t, exp, manifest.get(t, {})) for t in tables}
        gaps = audit.reference_gaps(conn)
        if exp.params is not None:
            first = exp.params.start_date.isoformat() if exp.activity_days else None
            gaps += [
                table_audit.Gap(s.table, "minimum", s.detail, s.partitions)
                for s in minimums.check(conn, exp.params, first)
            ]
    for table in tables:
        found = results[table].gaps + [g for g in gaps if g.table == table]
        yield dg.AssetCheckResult(
            asset_key=table,
            check_name=AUDIT,
            passed=not found,
            metadata={
                "partitions_expected": results[table].expected,
                "partitions_as_recorded": results[table].present,
                "rows": results[table].rows,
                "gaps": "\n".join(f"{g.kind}: {g.detail}" for g in found) or "none",
                "partitions_to_repair": sum(len(g.partitions) for g in found),
            },
        )


@dg.multi_asset_check(
    specs=[
        dg.AssetCheckSpec(
            CALIBRATION,
            asset=table,
            description="The calibration profile's target metrics measured on this table "
            "(as `seed verify`).",
        )
        for table in METRIC_TABLES
    ],
    can_subset=True,
)
def calibration_checks(
    context: dg.AssetCheckExecutionContext, seed_config: SeedConfig, database: PostgresResource
) -> Iterator[dg.AssetCheckResult]:
    """`seed verify`, one result per measured table."""
    url = database.resolved_url()
    with _reading(url) as conn:
        params = replay.expectation(conn).params or seed_config.params()
        measured = verify.metrics(conn, params)
    for table in _selected(context, CALIBRATION):
        mine = [m for m in measured if m.table == table]
        yield dg.AssetCheckResult(
            asset_key=table,
            check_name=CALIBRATION,
            passed=all(m.ok for m in mine),
            severity=dg.AssetCheckSeverity.WARN,
            metadata={
                m.name: dg.MetadataValue.text(
                    f"{m.value:.3f} in [{m.lo:g}, {m.hi:g}]: {'ok' if m.ok else 'OUT'} {m.detail}"
                )
                for m in mine
            },
        )


def _reading(url: str) -> psycopg.Connection:
    """A read-only connection (closed by ``with``)."""
    conn = database.connect(url, autocommit=True)
    audit.read_only(conn)
    return conn


CHECKS = [audit_checks, calibration_checks]
