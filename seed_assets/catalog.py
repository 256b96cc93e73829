"""What a live database looks like, read from ``pg_catalog`` into plain frozen dataclasses.

One schema at a time: its tables (ordinary and partitioned; a partitioned table's partitions are
not listed, they share its columns) with their columns as PostgreSQL prints them
(``format_type``: ``bigint``, ``timestamp with time zone``, ``character varying(4)``, ...), NOT
NULL, default expression, identity and generated columns; their primary and unique keys (unique
indexes count too, partial ones with their predicate; indexes over expressions are left out);
their foreign keys with their ON DELETE action; and the schema's enum types with their labels.

Nothing here knows what the database *should* look like: ``drift.py`` compares this with the
tables seed-assets writes. No Dagster, no writes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping
from typing import Any

import psycopg


@dataclasses.dataclass(frozen=True)
class Column:
    name: str
    type: str  # format_type(): "bigint", "text[]", "character varying(4)", an enum's name, ...
    not_null: bool
    default: str | None  # pg_get_expr() of the default: "now()", "'{}'::jsonb", ...
    identity: str = ""  # "", "always" or "by default"
    generated: bool = False  # GENERATED ALWAYS AS (...) STORED

    @property
    def filled_without_value(self) -> bool:
        """True when an INSERT or COPY that leaves the column out still gives it a value (or a
        NULL it accepts)."""
        filled = self.default is not None or bool(self.identity) or self.generated
        return filled or not self.not_null


@dataclasses.dataclass(frozen=True)
class Key:
    """A primary key, unique constraint or unique index over plain columns (an index over
    expressions is not listed); a partial one has its ``predicate``."""

    name: str
    columns: tuple[str, ...]
    primary: bool
    predicate: str | None = None  # pg_get_expr() of a partial index's WHERE
    nulls_distinct: bool = True  # False: NULLS NOT DISTINCT (PostgreSQL 15+)


@dataclasses.dataclass(frozen=True)
class ForeignKey:
    name: str
    columns: tuple[str, ...]
    ref_schema: str
    ref_table: str
    ref_columns: tuple[str, ...]
    deferrable: bool
    deferred: bool
    validated: bool
    on_delete: str = "no action"  # "cascade", "set null", "set default", "restrict"


@dataclasses.dataclass(frozen=True)
class Table:
    schema: str
    name: str
    columns: tuple[Column, ...]
    keys: tuple[Key, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    partitioned: bool = False

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    @property
    def primary_key(self) -> Key | None:
        return next((k for k in self.keys if k.primary), None)


@dataclasses.dataclass(frozen=True)
class Catalog:
    schema: str
    tables: Mapping[str, Table]
    enums: Mapping[str, tuple[str, ...]]  # enum type name: labels in sort order


_COLUMNS = """
SELECT c.relname, c.relkind = 'p', a.attname, format_type(a.atttypid, a.atttypmod),
       a.attnotnull, pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
WHERE n.nspname = %(schema)s AND c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND (%(names)s::text[] IS NULL OR c.relname = ANY(%(names)s::text[]))
ORDER BY c.relname, a.attnum
"""

_KEYS = """
SELECT t.relname, ic.relname, i.indisprimary,
       ARRAY(SELECT a.attname FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(num, pos)
             JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.num ORDER BY k.pos),
       pg_get_expr(i.indpred, i.indrelid),
       coalesce((to_jsonb(i) ->> 'indnullsnotdistinct')::boolean, false)
FROM pg_index i
JOIN pg_class t ON t.oid = i.indrelid
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE n.nspname = %(schema)s AND i.indisunique AND i.indexprs IS NULL
  AND NOT t.relispartition
  AND (%(names)s::text[] IS NULL OR t.relname = ANY(%(names)s::text[]))
ORDER BY 1, 2
"""

_FOREIGN_KEYS = """
SELECT t.relname, con.conname,
       ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY AS k(num, pos)
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.num
             ORDER BY k.pos),
       rn.nspname, r.relname,
       ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY AS k(num, pos)
             JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.num
             ORDER BY k.pos),
       con.condeferrable, con.condeferred, con.convalidated, con.confdeltype
FROM pg_constraint con
JOIN pg_class t ON t.oid = con.conrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
JOIN pg_class r ON r.oid = con.confrelid
JOIN pg_namespace rn ON rn.oid = r.relnamespace
WHERE n.nspname = %(schema)s AND con.contype = 'f' AND con.conparentid = 0
  AND NOT t.relispartition
  AND (%(names)s::text[] IS NULL OR t.relname = ANY(%(names)s::text[]))
ORDER BY 1, 2
"""

_ENUMS = """
SELECT t.typname, array_agg(e.enumlabel ORDER BY e.enumsortorder)
FROM pg_type t
JOIN pg_enum e ON e.enumtypid = t.oid
JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE n.nspname = %(schema)s
GROUP BY t.typname
ORDER BY 1
"""

_IDENTITY = {"a": "always", "d": "by default"}
_ON_DELETE = {
    "a": "no action",
    "r": "restrict",
    "c": "cascade",
    "n": "set null",
    "d": "set default",
}


def current_schema(conn: psycopg.Connection) -> str:
    row = conn.execute("SELECT current_schema()").fetchone()
    if not row or row[0] is None:
        raise RuntimeError("no current schema: the search_path names no existing schema")
    return str(row[0])


def read(
    conn: psycopg.Connection, schema: str | None = None, tables: Collection[str] | None = None
) -> Catalog:
    """The tables (all, or those named in ``tables``) of ``schema`` (default: the current
    schema, where seed-assets creates its tables) and its enum types, in four catalog queries."""
    schema = schema or current_schema(conn)
    args = {"schema": schema, "names": sorted(tables) if tables is not None else None}
    columns: dict[str, list[Column]] = {}
    partitioned: dict[str, bool] = {}
    for table, is_partitioned, *col in conn.execute(_COLUMNS, args).fetchall():
        name, type_, not_null, default, identity, generated = col
        columns.setdefault(table, []).append(
            Column(name, type_, not_null, default, _IDENTITY.get(identity, ""), generated == "s")
        )
        partitioned[table] = is_partitioned
    keys, fks = _keys(conn, args), _foreign_keys(conn, args)
    enums = {name: tuple(labels) for name, labels in conn.execute(_ENUMS, args).fetchall()}
    return Catalog(
        schema,
        {
            name: Table(
                schema,
                name,
                tuple(cols),
                tuple(keys.get(name, ())),
                tuple(fks.get(name, ())),
                partitioned[name],
            )
            for name, cols in columns.items()
        },
        enums,
    )


def _keys(conn: psycopg.Connection, args: dict[str, Any]) -> dict[str, list[Key]]:
    """{table: its primary and unique keys}."""
    keys: dict[str, list[Key]] = {}
    for table, name, primary, cols, predicate, not_distinct in conn.execute(_KEYS, args).fetchall():
        keys.setdefault(table, []).append(
            Key(name, tuple(cols), primary, predicate, not not_distinct)
        )
    return keys


def _foreign_keys(conn: psycopg.Connection, args: dict[str, Any]) -> dict[str, list[ForeignKey]]:
    """{table: its foreign keys}."""
    fks: dict[str, list[ForeignKey]] = {}
    for row in conn.execute(_FOREIGN_KEYS, args).fetchall():
        table, name, cols, ref_schema, ref, ref_cols, deferrable, deferred, valid, action = row
        fks.setdefault(table, []).append(
            ForeignKey(
                name,
                tuple(cols),
                ref_schema,
                ref,
                tuple(ref_cols),
                deferrable,
                deferred,
                valid,
                _ON_DELETE[action],
            )
        )
    return fks
