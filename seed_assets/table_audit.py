"""One table's audit: the partitions the recorded runs expect (``replay.expectation``) against the
rows the table holds and its manifest rows (row count, digest, parameters and code version);
with ``deep``, also each partition's digest read back and the generators' rows regenerated.
Every gap names the partitions that a rewrite restores.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

import psycopg
from psycopg import sql
from psycopg.sql import Identifier

from seed_assets import ddl, encoded, partitions, regenerate, replay, versions
from seed_assets.config import SeedParams
from seed_assets.schema import table as schema_table


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


def expected_keys(
    conn: psycopg.Connection, table: str, exp: replay.Expectation, manifest: dict[str, tuple]
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
    return encoded.partition_digest(conn, table, partitions.of_table(table, key, params))[1]


def audit_table(
    conn: psycopg.Connection,
    table: str,
    exp: replay.Expectation,
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
