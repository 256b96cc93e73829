"""Schema drift: the live catalog (``catalog.py``) against the tables seed-assets writes.

The expected tables are ``expected.py``'s (``schema/``'s tables, their types as PostgreSQL's
``format_type`` prints them). :func:`compare` lists every difference that makes a write fail or
store something else than the generators produced:

- a column missing, or of another type (exact: ``integer`` is not ``bigint``,
  ``timestamp without time zone`` is not ``timestamp with time zone``, ``character varying(4)``
  is not ``text``);
- NOT NULL added or dropped;
- a default the tool relies on (it leaves the column out of its INSERTs) missing or changed;
- an extra column that a COPY of the expected columns would not fill (NOT NULL, no default, not
  identity or generated); other extra columns are the owner's business and are left alone;
- a primary key of the expected name over other columns (a missing one is not drift: a bulk
  load creates tables bare and builds their keys at the end, and ``ddl.ensure_schema`` adds the
  missing ones);
- a table missing that the manifest says holds seeded partitions (a missing table nothing was
  written to is simply created).

:func:`check` runs it before a write command writes anything and raises :class:`SchemaDrift` (a
``ConfigError``: exit 2) whose message is the diff, one header line then one line per
difference with its fix. ``seed audit`` reports the same differences as ``drift`` gaps.

No Dagster here: the same comparison serves any expected tables (e.g. a team's own schema).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable, Mapping

import psycopg

from seed_assets import catalog
from seed_assets.config import ConfigError
from seed_assets.expected import ExpectedColumn, ExpectedTable, expected_tables, fingerprint


@dataclasses.dataclass(frozen=True)
class Difference:
    table: str
    column: str | None
    kind: str  # missing_table, missing, type, not_null, nullable, default, extra, primary_key
    detail: str
    fix: str

    @property
    def where(self) -> str:
        return f"{self.table}.{self.column}" if self.column else self.table

    def line(self) -> str:
        return f"{self.where}: {self.detail}; fix: {self.fix}"


class SchemaDrift(ConfigError):
    """The live schema differs from the expected one; the message is the diff."""

    def __init__(self, action: str, differences: list[Difference]) -> None:
        self.differences = differences
        lines = [self.header(action, len(differences)), *(f"  {d.line()}" for d in differences)]
        super().__init__("\n".join(lines))

    @staticmethod
    def header(action: str, n: int) -> str:
        return (
            f"{action}: the database's schema differs from what seed-assets writes "
            f"({n} difference{'s' if n != 1 else ''}); nothing was written"
        )


# --- the comparison -------------------------------------------------------------------------------


def _spec(column: ExpectedColumn | catalog.Column) -> str:
    spec = column.type + (" NOT NULL" if column.not_null else "")
    return spec + (f" DEFAULT {column.default}" if column.default else "")


_RESET = "run `seed reset --scope all --confirm <database>` and seed again"
_REPAIR = "run `seed repair` (it creates the table and rewrites its partitions)"


def compare(
    expected: Iterable[ExpectedTable] | Mapping[str, ExpectedTable], live: catalog.Catalog
) -> list[Difference]:
    """Every difference between the expected tables and the live ones, table by table in the
    order given, each with the statement (or command) that fixes it."""
    tables = expected.values() if isinstance(expected, Mapping) else expected
    out: list[Difference] = []
    for want in tables:
        have = live.tables.get(want.name)
        if have is None:
            out.append(Difference(want.name, None, "missing_table", "table missing", _REPAIR))
            continue
        for col in want.columns:
            out += _column_differences(want, col, have.column(col.name))
        out += _extra_columns(want, have)
        out += _key_differences(want, have)
    return out


def _column_differences(
    want: ExpectedTable, col: ExpectedColumn, got: catalog.Column | None
) -> list[Difference]:
    """How the live column ``got`` differs from the expected ``col`` of table ``want``."""
    alter = f'ALTER TABLE "{want.name}"'
    or_reset = f", or {_RESET}" if want.dropped_by_reset else ""
    if got is None:
        return [
            Difference(
                want.name,
                col.name,
                "missing",
                f"missing (expected {_spec(col)})",
                f'{alter} ADD COLUMN "{col.name}" {_spec(col)} (on an empty table){or_reset}',
            )
        ]
    column = f'{alter} ALTER COLUMN "{col.name}"'
    found = [  # (differs, kind, what, fix); NOT NULL one way or the other, never both
        (
            got.type != col.type,
            "type",
            f"type {got.type}, expected {col.type}",
            f"{column} TYPE {col.type}{or_reset}",
        ),
        (
            col.not_null and not got.not_null,
            "nullable",
            "nullable, expected NOT NULL",
            f"{column} SET NOT NULL",
        ),
        (
            got.not_null and not col.not_null,
            "not_null",
            "NOT NULL, expected nullable (the generators write NULLs here)",
            f"{column} DROP NOT NULL",
        ),
        (
            col.default is not None and got.default != col.default,
            "default",
            f"default {got.default or 'none'}, expected {col.default} (inserts leave it out)",
            f"{column} SET DEFAULT {col.default}",
        ),
    ]
    return [Difference(want.name, col.name, *what) for differs, *what in found if differs]


def _extra_columns(want: ExpectedTable, have: catalog.Table) -> list[Difference]:
    """The live table's columns the writes would fail on: not expected, and no value without one."""
    known = {c.name for c in want.columns}
    return [
        Difference(
            want.name,
            got.name,
            "extra",
            f"extra column {_spec(got)} without a default: the writes leave it out and would fail",
            f'ALTER TABLE "{want.name}" DROP COLUMN "{got.name}" (or give it a default, or DROP '
            "NOT NULL)",
        )
        for got in have.columns
        if got.name not in known and not got.filled_without_value
    ]


def _key_differences(want: ExpectedTable, have: catalog.Table) -> list[Difference]:
    """The live primary key, when it is over other columns than expected."""
    key = next((k for k in have.keys if k.name == want.primary_key_name), None)
    if key is None or not want.primary_key or key.columns == want.primary_key:
        return []
    return [
        Difference(
            want.name,
            None,
            "primary_key",
            f"{key.name} is over ({', '.join(key.columns)}), expected "
            f"({', '.join(want.primary_key)})",
            f'ALTER TABLE "{want.name}" DROP CONSTRAINT "{key.name}" (seed-assets adds it again)',
        )
    ]


# --- the check before a write ---------------------------------------------------------------------


def recorded_partitions(conn: psycopg.Connection) -> dict[str, int]:
    """{table: partitions seed_manifest records}; empty without a manifest."""
    row = conn.execute("SELECT to_regclass('seed_manifest') IS NOT NULL").fetchone()
    if not row or not row[0]:
        return {}
    rows = conn.execute("SELECT table_name, count(*) FROM seed_manifest GROUP BY 1").fetchall()
    return {str(t): int(n) for t, n in rows}


def differences(
    conn: psycopg.Connection,
    tables: Collection[str] | None = None,
    *,
    missing_ok: bool = False,
) -> list[Difference]:
    """The live schema against the expected tables (all, or ``tables``). A missing table is a
    difference only when seed_manifest records partitions of it (they are gone), unless
    ``missing_ok`` (``seed repair`` recreates it and rewrites them)."""
    expected = expected_tables(tables)
    live = catalog.read(conn, tables=list(expected))
    found = compare(expected, live)
    if not any(d.kind == "missing_table" for d in found):
        return found
    recorded = {} if missing_ok else recorded_partitions(conn)
    kept = []
    for d in found:
        if d.kind != "missing_table":
            kept.append(d)
        elif n := recorded.get(d.table, 0):
            parts = f"{n:,} partition{'s' if n != 1 else ''}"
            detail = f"table missing, although seed_manifest records {parts} of it"
            kept.append(dataclasses.replace(d, detail=detail))
    return kept


def check(
    conn: psycopg.Connection,
    action: str,
    tables: Collection[str] | None = None,
    *,
    missing_ok: bool = False,
) -> None:
    """Refuse ``action`` (``SchemaDrift``, exit 2) unless the live schema of ``tables`` (default:
    every table seed-assets writes) is as expected. Call before anything is written. When the
    schema holds, the marker's fingerprint is brought up to the expected schema's."""
    found = differences(conn, tables, missing_ok=missing_ok)
    if found:
        raise SchemaDrift(action, found)
    if tables is None:
        record_fingerprint(conn)


def record_fingerprint(conn: psycopg.Connection) -> None:
    """The marker's ``schema_fingerprint`` becomes the expected schema's (a no-op when it is)."""
    row = conn.execute("SELECT to_regclass('seed_marker') IS NOT NULL").fetchone()
    if row and row[0]:
        current = fingerprint()
        conn.execute(
            "UPDATE seed_marker SET schema_fingerprint = %s WHERE schema_fingerprint <> %s",
            [current, current],
        )
