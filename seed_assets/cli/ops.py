"""`seed init`, `seed reset`, `seed audit`, `seed repair`: operating a seeded database."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sys

import click
from rich.console import Console
from rich.table import Table

from seed_assets import audit, command_lock, database, guard, partitions, replay, runs
from seed_assets.cli.common import EXIT_GAPS, err, guarded, main
from seed_assets.config import SeedParams
from seed_assets.report import RichProgress
from seed_assets.schema import ACTIVITY, DERIVED, reads_activity
from seed_assets.schema import table as schema_table


@main.command()
@click.option("--environment", type=str, help="Environment name [SEED_ENVIRONMENT; development].")
@click.option("--confirm", type=str, help="The database's name: needed if it already has tables.")
@guarded
def init(environment: str | None, confirm: str | None) -> None:
    """Mark the database as set up by seed-assets for a non-production use.

    `seed up` does this by itself on an empty database. Destructive commands (reset, partition
    rewrites, the scheduled reseed) refuse to touch a database without the marker, one whose
    marker names a production environment, or one on a host that is not local and not in
    SEED_ALLOWED_HOSTS.
    """
    url = database.resolve_url()
    guard.check_host(url)  # before connecting (database.connect checks it too)
    with command_lock.held(url, "seed init"), database.connection(url, autocommit=True) as conn:
        name = guard.database_name(conn)
        if guard.read_marker(conn) is None and guard.has_tables(conn) and confirm != name:
            raise guard.Refused(
                f"database {name!r} already has tables; run `seed init --confirm {name}` "
                "if it is meant for seeding"
            )
        marker = guard.init(conn, url, environment)
    err.print(
        f"{database.redact(url)}: seed-assets database, environment {marker.environment!r}, "
        f"install {marker.install_id[:12]}, {marker.tool_version}",
        highlight=False,
    )


@main.command()
@click.option(
    "--scope",
    type=click.Choice(["all", "activity", "derived"]),
    required=True,
    help="all: every seeded table; activity: activity and the tables derived from it "
    "(identity stays); derived: the derived tables.",
)
@click.option("--confirm", type=str, help="The database's name, repeated: required.")
@guarded
def reset(scope: str, confirm: str | None) -> None:
    """Remove seeded rows, in one transaction (the seeds/000 reset scopes).

    Refuses unless --confirm repeats the database's name and the database carries the
    seed-assets marker (see `seed init`). Waits while another write command runs on this
    database (SEED_LOCK_TIMEOUT, default 600 s).
    """
    from seed_assets.reset import reset as do_reset

    url = database.resolve_url()
    guard.check_host(url)  # before connecting anywhere
    with command_lock.held(url, "seed reset"), database.connection(url, autocommit=True) as conn:
        removed = do_reset(conn, url, scope, confirm)
    table = Table("table", "rows removed", title=f"seed reset --scope {scope}")
    for name, rows in removed.items():
        table.add_row(name, f"{rows:,}")
    Console().print(table)


def _audit(deep: bool) -> tuple[str, audit.Report]:
    url = database.resolve_url()
    with RichProgress(err) as progress:
        report = audit.run(url, deep=deep, progress=progress)
    return url, report


def _show(report: audit.Report, as_json: bool) -> None:
    out = Console()
    if as_json:
        payload = {
            "ok": report.ok,
            "tables": [
                dataclasses.asdict(t) | {"gaps": len(t.gaps)} for t in report.tables.values()
            ],
            "gaps": [dataclasses.asdict(g) for g in report.gaps],
            "in_progress": report.in_progress,
        }
        out.print_json(json.dumps(payload))
        return
    summary = Table("table", "partitions", "as recorded", "rows", "gaps", title="seed audit")
    for t in report.tables.values():
        mark = "[green]0[/]" if not t.gaps else f"[red]{len(t.gaps)}[/]"
        summary.add_row(t.table, f"{t.expected:,}", f"{t.present:,}", f"{t.rows:,}", mark)
    out.print(summary)
    for run in report.in_progress:
        out.print(f"[yellow]in progress[/]: {run} is writing; audit again when it has finished")
    if report.ok:
        out.print("[green]no gaps[/]: every partition, reference and minimum holds")
        return
    gaps = Table("table", "kind", "detail", "repair rewrites", title="gaps")
    for g in report.gaps:
        fix = f"{len(g.partitions)} partitions" if g.partitions else "-"
        gaps.add_row(g.table, g.kind, g.detail, fix)
    out.print(gaps)


@main.command(name="audit")
@click.option(
    "--deep",
    is_flag=True,
    help="Also read back every partition's digest and "
    "regenerate the seeded partitions to compare with the manifest (slower).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@guarded
def audit_command(deep: bool, as_json: bool) -> None:
    """Compare the database with what its recorded runs should have produced; read-only.

    Checks the live schema against the one seed-assets writes (drift: columns, exact types,
    NOT NULL, defaults), every table and partition (row counts and provenance against the
    manifest; with --deep, digests and the generators' output), foreign keys and unenforced
    references, and the minimum requirements of the calibration profile (photos, interests,
    conversations, named accounts). Exit 0 when everything holds, 6 with a table of gaps
    otherwise.
    """
    _, report = _audit(deep)
    _show(report, as_json)
    if not report.ok:
        sys.exit(EXIT_GAPS)


@main.command()
@click.option("--deep", is_flag=True, help="Audit with --deep first.")
@click.option("--dry-run", is_flag=True, help="Show what would be rewritten; write nothing.")
@guarded
def repair(deep: bool, dry_run: bool) -> None:
    """Re-materialise only the partitions the audit finds gaps in, then audit again.

    Runs the same Dagster assets as `seed up`, for those partitions only. A second repair finds
    nothing and writes nothing. Exit 0 when the database is whole afterwards, 6 otherwise.
    Waits while another write command runs on this database (SEED_LOCK_TIMEOUT, default 600 s).
    """
    url = database.resolve_url()
    guard.check_host(url)
    # Another write command finishes first: its partitions are not gaps, and nothing is written
    # twice.
    with command_lock.held(url, "seed repair"):
        _repair(url, deep, dry_run)


def _repair(url: str, deep: bool, dry_run: bool) -> None:
    with database.connection(url, autocommit=True) as conn:
        guard.ensure_writable(conn, url, "seed repair", adopt_empty=False)
        from seed_assets import drift

        # A missing table is a gap repair fills (it recreates the table); other drift is not.
        drift.check(conn, "seed repair", missing_ok=True)
    _, report = _audit(deep)
    plan = _with_derived(audit.repair_plan(report), report)
    if not plan or dry_run:
        _show(report, as_json=False)
        for table, keys in plan.items():
            err.print(f"would rewrite {table}: {len(keys)} partitions ({', '.join(keys[:4])}...)")
        sys.exit(0 if report.ok else EXIT_GAPS)
    assert report.params is not None  # a plan exists only for a seeded database
    params = _covering(report.params, url)
    from seed_assets import orchestrate
    from seed_assets.instance import dagster_instance

    instance = dagster_instance(url)
    run_id = command_lock.new_run_id()
    days = sorted(dt.date.fromisoformat(key) for t in _DAYS for key in plan.get(t, []))
    with database.connection(url, autocommit=True) as conn:
        # The days it rewrites are claimed as a seed extend's are (an interrupted one's included).
        runs.start(conn, run_id, "seed repair", params, (days[0], days[-1]) if days else None)
    err.print(
        f"seed repair: rewriting {sum(map(len, plan.values()))} partitions of {len(plan)} tables"
    )
    with RichProgress(err) as progress:
        resources = orchestrate.resources(params, url, bulk=False, progress=progress)
        timings = orchestrate.run_partitions(params, resources, instance, plan)
    with database.connection(url, autocommit=True) as conn:
        runs.finish(conn, run_id, "success", {t.table: t.rows for t in timings})
    _, after = _audit(deep)
    _show(after, as_json=False)
    if not after.ok:
        sys.exit(EXIT_GAPS)


_DAYS = {t.name for t in ACTIVITY}


def _with_derived(plan: dict[str, list[str]], report: audit.Report) -> dict[str, list[str]]:
    """``plan`` plus the derived partitions computed from the identity or activity partitions it
    rewrites (when computed here at all), those of the derived tables that read activity: every
    shard of a shard table (`user_traits`), the rewritten days of a day table (`trending`). They
    may have been computed from the damaged rows (e.g. by a `seed extend` after the damage)."""
    tiers = {schema_table(t).info["tier"] for t in plan}
    if report.params is None or not tiers & {"identity", "activity"}:
        return plan
    out = {t: set(keys) for t, keys in plan.items()}
    days = {k for t in _DAYS for k in plan.get(t, [])}
    for t in DERIVED:
        if not reads_activity(t) or not (
            report.tables.get(t.name) and report.tables[t.name].expected
        ):
            continue
        if t.info["grain"] == "shard":
            out[t.name] = set(partitions.shard_keys(report.params))
        elif t.info["grain"] == "day" and days:
            out[t.name] = out.get(t.name, set()) | days
    return {t: sorted(out[t]) for t in audit.tables_in(out)}


def _covering(params: SeedParams, url: str) -> SeedParams:
    """The parameters with an end date past the last day seeded (so its partitions exist)."""
    with database.connection(url, autocommit=True) as conn:
        days = replay.expectation(conn).activity_days
        last = replay.last_activity_day(conn)
    ends = [d for d in (days[1] if days else None, last) if d]
    return partitions.through(params, max(ends)) if ends else params
