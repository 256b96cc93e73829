"""Referential integrity, read-only: declared foreign keys and the references the schema leaves
unenforced (across day partitions, or on derived tables written without per-row triggers)."""

from __future__ import annotations

import dataclasses

import psycopg
from psycopg import sql

from seed_assets.schema import logical_references, metadata


@dataclasses.dataclass(frozen=True)
class Reference:
    table: str
    column: str
    target: str
    target_column: str
    enforced_by: str | None  # the constraint's name, when PostgreSQL enforces it


def references() -> list[Reference]:
    """The declared foreign keys, then the logical references of ``Table.info`` (a conversation's
    match may be on an earlier day; derived tables are rewritten in bulk without foreign keys)."""
    declared = [
        Reference(t.name, fk.parent.name, fk.column.table.name, fk.column.name, fk.constraint.name)  # type: ignore[arg-type]
        for t in metadata.sorted_tables
        for fk in sorted(t.foreign_keys, key=lambda f: f.parent.name)
    ]
    logical = [
        Reference(t.name, *ref, None)
        for t in metadata.tables.values()
        for ref in logical_references(t)
    ]
    return declared + logical


def validated_constraints(conn: psycopg.Connection) -> set[str]:
    rows = conn.execute(
        "SELECT conname FROM pg_constraint WHERE contype = 'f' AND convalidated "
        "AND connamespace = current_schema()::regnamespace"
    ).fetchall()
    return {r[0] for r in rows}


def orphans(conn: psycopg.Connection, ref: Reference) -> tuple[int, list[int]]:
    """(rows of ``ref.table`` whose reference finds nothing, a few of their values)."""
    query = sql.SQL(
        "SELECT count(*), (array_agg(DISTINCT c.{column}))[1:5] FROM {table} c "
        "WHERE NOT EXISTS (SELECT 1 FROM {target} p WHERE p.{target_column} = c.{column})"
    ).format(
        column=sql.Identifier(ref.column),
        table=sql.Identifier(ref.table),
        target=sql.Identifier(ref.target),
        target_column=sql.Identifier(ref.target_column),
    )
    row = conn.execute(query).fetchone()
    return (int(row[0]), list(row[1] or [])) if row else (0, [])


def check(conn: psycopg.Connection, ref: Reference, validated: set[str]) -> str | None:
    """None when the reference holds; else a one-line description of the orphans."""
    if ref.enforced_by and ref.enforced_by in validated:
        return None  # PostgreSQL guarantees it
    count, sample = orphans(conn, ref)
    if not count:
        return None
    return (
        f"{count:,} rows of {ref.table}.{ref.column} find no {ref.target}.{ref.target_column} "
        f"(e.g. {', '.join(map(str, sample))})"
    )
