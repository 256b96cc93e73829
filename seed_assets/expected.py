"""What seed-assets expects of the database: the tables of ``schema/`` (the only place a
column is written down), their types rendered as PostgreSQL's ``format_type`` prints them, the
defaults the writers rely on and the primary keys; and a fingerprint of them, which the marker
records (``drift.check`` compares the live catalog with them).
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Collection, Mapping

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

_DIALECT = pg.dialect()  # type: ignore[no-untyped-call]


@dataclasses.dataclass(frozen=True)
class ExpectedColumn:
    name: str
    type: str  # as format_type() prints it
    not_null: bool
    default: str | None = None  # a default the writer relies on (pg_get_expr's spelling)


@dataclasses.dataclass(frozen=True)
class ExpectedTable:
    name: str
    columns: tuple[ExpectedColumn, ...]
    primary_key: tuple[str, ...] = ()
    primary_key_name: str | None = None
    dropped_by_reset: bool = True  # `seed reset --scope all` drops it (the next seed recreates it)


_TYPE_NAMES = {
    "varchar": "character varying",
    "char": "character",
    "serial": "integer",
    "bigserial": "bigint",
    "smallserial": "smallint",
    "float": "double precision",
    "decimal": "numeric",
    "int": "integer",
    "int4": "integer",
    "int8": "bigint",
    "int2": "smallint",
    "bool": "boolean",
    "timestamptz": "timestamp with time zone",
}


def format_type(type_: sa.types.TypeEngine) -> str:  # type: ignore[type-arg]
    """A SQLAlchemy type as PostgreSQL's ``format_type`` prints it (``BIGINT`` -> ``bigint``,
    ``VARCHAR(4)`` -> ``character varying(4)``, ``TEXT[]`` -> ``text[]``)."""
    return normalise_type(str(type_.compile(dialect=_DIALECT)))


def normalise_type(spelling: str) -> str:
    """A type's spelling in DDL (any case, aliases) as ``format_type`` prints it."""
    text = " ".join(spelling.lower().split())
    suffix = ""
    while text.endswith("[]"):
        text, suffix = text[:-2].rstrip(), suffix + "[]"
    match = re.fullmatch(r"([a-z ]+?)\s*(\([\d ,]+\))?( with(?:out)? time zone)?", text)
    if not match:
        return text + suffix
    base, args, zone = match.group(1), (match.group(2) or "").replace(" ", ""), match.group(3)
    if base in ("timestamp", "time"):
        return f"{base}{args}{zone or ' without time zone'}{suffix}"
    return _TYPE_NAMES.get(base, base) + args + suffix


def _default_sql(column: sa.Column) -> str | None:  # type: ignore[type-arg]
    default = column.server_default
    if default is None or not isinstance(default, sa.DefaultClause):
        return None
    arg = default.arg
    return arg if isinstance(arg, str) else str(arg.compile(dialect=_DIALECT))  # type: ignore[union-attr]


def expected_tables(names: Collection[str] | None = None) -> dict[str, ExpectedTable]:
    """The tables of ``schema/`` (all, or those in ``names``), as the writers expect them."""
    from seed_assets.schema import metadata

    out = {}
    for table in metadata.sorted_tables:
        if names is not None and table.name not in names:
            continue
        columns = tuple(
            ExpectedColumn(c.name, format_type(c.type), not c.nullable, _default_sql(c))
            for c in table.columns
        )
        key = tuple(c.name for c in table.primary_key.columns)
        seeded = table.info.get("tier") != "ops"
        out[table.name] = ExpectedTable(
            table.name, columns, key, f"{table.name}_pkey" if key else None, seeded
        )
    return out


def fingerprint(expected: Mapping[str, ExpectedTable] | None = None) -> str:
    """A digest of the expected tables (columns, types, NOT NULL, defaults, primary keys)."""
    tables = expected if expected is not None else expected_tables()
    lines = [
        f"{t.name}.{c.name} {c.type} {'NOT NULL' if c.not_null else 'NULL'} {c.default or ''}"
        for t in sorted(tables.values(), key=lambda t: t.name)
        for c in t.columns
    ] + [f"{t.name} PRIMARY KEY {','.join(t.primary_key)}" for t in tables.values()]
    return hashlib.blake2b("\n".join(sorted(lines)).encode(), digest_size=12).hexdigest()
