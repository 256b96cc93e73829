"""``seed schema check``: does a mapping fit the live database? Every problem as a diff line.

One mechanism with ``drift.py``: the mapping gives the expected tables (target names, the
columns it writes) and :func:`drift.compare` finds the unknown tables (``missing_table``),
unknown columns (``missing``) and NOT NULL columns nothing fills (``extra``); the checks only a
mapping needs come after: types too narrow for the values, enum labels, id strategies, unique
keys the generated rows could violate, foreign keys, duplicate target columns, expressions.
The native mapping is compared exactly as ``seed up`` compares it (``drift.expected_tables``).
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from typing import Any

from seed_assets import catalog, drift
from seed_assets.drift import Difference, ExpectedColumn, ExpectedTable
from seed_assets.target import expressions
from seed_assets.target.mapping import DOMAINS, Mapping, SourceTable, TableMap, id_length
from seed_assets.target.mapping import source_tables as _source_tables


class MappingMismatch(drift.SchemaDrift):
    """The mapping does not fit the live database; the message is the diff (exit 2)."""

    def __init__(self, origin: str, differences: list[Difference]) -> None:
        self.differences = differences
        n = len(differences)
        header = (
            f"schema check: {origin} does not fit the database ({n} problem"
            f"{'s' if n != 1 else ''}); nothing was written"
        )
        lines = [header, *(f"  {d.line()}" for d in differences)]
        super(drift.SchemaDrift, self).__init__("\n".join(lines))


@dataclasses.dataclass(frozen=True)
class Result:
    differences: list[Difference]
    notes: list[str]  # what is left out, and the target tables no simulation table fills
    tables: int  # target tables written
    columns: int  # target columns written


_INTS = {"smallint": 1, "integer": 2, "bigint": 3}
_FRESH = re.compile(r"nextval\(|gen_random_uuid\(|uuid_generate_|cuid|now\(\)", re.I)
_VARCHAR = re.compile(r"character(?: varying)?\((\d+)\)")


def check(mapping: Mapping, live: catalog.Catalog) -> Result:
    """Every problem of ``mapping`` against ``live`` (one schema's catalog)."""
    sources = _source_tables()
    why: dict[str, list[str]] = {}
    for t in mapping.tables:
        if t.target is None:
            why.setdefault(t.left_out, []).append(t.source)
    notes = [f"left out ({reason}): {', '.join(names)}" for reason, names in why.items()]
    filled = {t.target for t in mapping.mapped}
    spare = sorted(name for name in live.tables if name not in filled)
    if spare and not mapping.native:
        notes.append(f"target tables no simulation table fills (left alone): {', '.join(spare)}")
    if mapping.native:
        expected = drift.expected_tables([t.source for t in mapping.mapped])
        found = drift.compare(expected, live)
        columns = sum(len(t.columns) for t in expected.values())
        return Result(found, notes, len(expected), columns)
    found: list[Difference] = []
    by_target = Counter(t.target for t in mapping.mapped)
    for t in mapping.mapped:
        assert t.target is not None
        if by_target[t.target] > 1:
            others = [o.source for o in mapping.mapped if o.target == t.target]
            found.append(
                Difference(
                    t.target,
                    None,
                    "duplicate_table",
                    f"{' and '.join(others)} are all mapped to it",
                    f"map {t.source} to a table of its own, or skip = true",
                )
            )
            by_target[t.target] = 0  # said once
    columns = 0
    identities: list[str] = []
    for t in mapping.mapped:
        problems = _table(t, sources[t.source], mapping, live)
        found += problems
        columns += len(t.columns) + len(t.fill)
        have = live.tables.get(t.target or "")
        got = have.column(t.target_of("id") or "") if have and sources[t.source].has_id else None
        if got is not None and got.identity and t.id == "keep":
            identities.append(f"{t.target}.{got.name}")
    if identities:
        notes.append(
            'identity columns that get the simulation\'s integer ids (id = "keep"): their '
            "sequences must be moved past the seeded ids, or the app's next insert collides: "
            + ", ".join(identities)
        )
    return Result(found, notes, len(mapping.mapped), columns)


def _table(
    t: TableMap, source: SourceTable, mapping: Mapping, live: catalog.Catalog
) -> list[Difference]:
    assert t.target is not None
    have = live.tables.get(t.target)
    where = f"tables.{t.source}"
    written = [to for _, to in t.columns] + [f.column for f in t.fill]
    # The shape, through drift's comparison: the columns the mapping writes must exist; the ones
    # it does not write must fill themselves.
    expected = ExpectedTable(
        t.target,
        tuple(
            ExpectedColumn(name, _live_type(have, name), _live_not_null(have, name))
            for name in dict.fromkeys(written)
        ),
        dropped_by_reset=False,
    )
    out = []
    for d in drift.compare([expected], live):
        out.append(_reworded(d, t, where, sorted(live.tables), have))
    if have is None:
        return out
    for name, n in Counter(written).items():
        if n > 1:
            by = [f"columns.{s}" for s, to in t.columns if to == name]
            by += [f"fill.{f.column}" for f in t.fill if f.column == name]
            out.append(
                Difference(
                    t.target,
                    name,
                    "duplicate_column",
                    f"written {n} times ({', '.join(f'{where}.{b}' for b in by)})",
                    "keep one of them",
                )
            )
    for col, pairs in t.values:
        c = source.column(col)
        domain = DOMAINS.get((t.source, col)) or (
            (True, False) if c and c.type == "boolean" else ()
        )
        unknown = [k for k, _ in pairs if domain and k not in domain]
        if unknown:
            out.append(
                Difference(
                    t.target,
                    t.target_of(col),
                    "value_map",
                    f"tables.{t.source}.values.{col} maps {', '.join(repr(k) for k in unknown)}, "
                    f"which the simulation never writes (it writes "
                    f"{', '.join(str(v) for v in domain)})",
                    "map the values it writes (the spelling matters)",
                )
            )
    # What each written column's values are: {target column: Value}.
    values: dict[str, _Value] = {}
    for col, to in t.columns:
        values[to] = _source_value(t, source, col, mapping)
    generated = {c.name: (c.type, c.nullable) for c in source.columns}
    for f in t.fill:
        try:
            typed = expressions.typed(expressions.parse(f.expression), generated)
        except expressions.ExpressionError as exc:
            out.append(
                Difference(
                    t.target,
                    f.column,
                    "expression",
                    f"{where}.fill.{f.column} = {f.expression!r}: {exc}",
                    "fix the expression (docs/mapping.md lists the functions)",
                )
            )
            continue
        parsed = expressions.parse(f.expression)
        is_hash = isinstance(parsed, expressions.Call) and parsed.function == "hash"
        values[f.column] = _Value(
            typed.type,
            typed.nullable,
            None,
            f"{where}.fill.{f.column}",
            unique_over=typed.unique_over,
            hex_id=is_hash,
        )
    for name, value in values.items():
        got = have.column(name)
        if got is not None and got.generated:
            out.append(
                Difference(
                    t.target,
                    name,
                    "generated",
                    f"a generated column: it cannot be written (from {value.origin})",
                    "leave it out (PostgreSQL computes it)",
                )
            )
        elif got is not None:
            out += _fits(t.target, got, value, live.enums)
    out += _unique_keys(t, source, have, values)
    out += _foreign_keys(t, source, have, mapping)
    return out


@dataclasses.dataclass(frozen=True)
class _Value:
    type: str  # what the mapping writes: a source type, "uuid", or "text" for text ids
    nullable: bool
    labels: tuple[Any, ...] | None  # the values, when they are a known set
    origin: str  # where in the mapping it comes from
    unique_over: frozenset[str] = frozenset()
    id_strategy: str = ""  # an id (own or referenced) derived with this strategy
    id_text_length: int = 0
    references: str | None = None  # the simulation table whose ids it holds
    hex_id: bool = False  # hash(): 32 hex digits, which a uuid column accepts


def _source_value(t: TableMap, source: SourceTable, col: str, mapping: Mapping) -> _Value:
    c = source.column(col)
    assert c is not None
    where = f"tables.{t.source}.columns.{col}"
    one = frozenset([col])
    owner = t if col == "id" and source.has_id else None
    if c.references and c.references != t.source:
        owner = mapping.table(c.references)
    elif c.references == t.source:
        owner = t
    if owner is not None and owner.id != "keep":
        text = owner.id != "uuid"
        return _Value(
            "text" if text else "uuid",
            c.nullable,
            None,
            where,
            one,
            owner.id,
            id_length(owner.id, owner.id_prefix) if text else 0,
            owner.source,
        )
    labels: tuple[Any, ...] | None = DOMAINS.get((t.source, col))
    vmap = t.value_map(col)
    if vmap is not None:
        domain = labels if labels is not None else tuple(vmap)
        labels = tuple(dict.fromkeys(vmap.get(v, v) for v in domain))
        kinds = {type(v) for v in labels}
        type_ = (
            "boolean"
            if kinds == {bool}
            else _int_type(labels)
            if kinds == {int}
            else "double precision"
            if kinds <= {int, float}
            else "text"
        )
        return _Value(type_, c.nullable, labels, f"tables.{t.source}.values.{col}", frozenset())
    strategy = owner.id if owner is not None else ""
    held = owner.source if owner is not None else None
    return _Value(c.type, c.nullable, labels, where, one, strategy, 0, held)


def _int_type(values: tuple[Any, ...]) -> str:
    widest = max(abs(int(v)) for v in values)
    return "smallint" if widest < 2**15 else "integer" if widest < 2**31 else "bigint"


def _live_not_null(have: catalog.Table | None, name: str) -> bool:
    got = have.column(name) if have else None
    return bool(got and got.not_null)


def _live_type(have: catalog.Table | None, name: str) -> str:
    got = have.column(name) if have else None
    return got.type if got else "unknown"


def _reworded(
    d: Difference, t: TableMap, where: str, tables: list[str], have: catalog.Table | None
) -> Difference:
    if d.kind == "missing_table":
        known = ", ".join(tables) or "none"
        return dataclasses.replace(
            d,
            kind="unknown_table",
            detail=f"no such table (mapped from {where}.table)",
            fix=f"name an existing table in {where}.table ({known}), or skip = true",
        )
    if d.kind == "missing":
        by = [f"{where}.columns.{s}" for s, to in t.columns if to == d.column]
        by += [f"{where}.fill.{f.column}" for f in t.fill if f.column == d.column]
        return dataclasses.replace(
            d,
            kind="unknown_column",
            detail=f"no such column (mapped from {', '.join(by)})",
            fix="name an existing column, or false to leave the source column out",
        )
    if d.kind == "extra":
        return dataclasses.replace(
            d,
            kind="not_null",
            detail=f"NOT NULL column {_live_type(have, d.column or '')} NOT NULL without a "
            "default: the mapping neither maps a source column to it nor fills it",
            fix=f'map a column to it in {where}.columns, or {where}.fill.{d.column} = "<expr>", '
            "or give it a default",
        )
    return d


def _enum(type_: str, enums: Any) -> tuple[str, bool] | None:
    """(enum name, is an array) when ``type_`` is one of the schema's enums."""
    array = type_.endswith("[]")
    base = type_[:-2] if array else type_
    name = base.split(".")[-1].strip('"')
    return (name, array) if name in enums else None


def _fits(table: str, got: catalog.Column, value: _Value, enums: Any) -> list[Difference]:
    """Whether the target column ``got`` can hold ``value``: the problems."""

    def diff(kind: str, detail: str, fix: str) -> list[Difference]:
        return [Difference(table, got.name, kind, f"{detail} (from {value.origin})", fix)]

    target = got.type
    out: list[Difference] = []
    if value.nullable and got.not_null:
        out += diff(
            "nullable_source",
            f"NOT NULL, but the simulation writes NULLs into it ({value.type})",
            f"fill it with coalesce(...) instead, or DROP NOT NULL on {table}.{got.name}",
        )
    if value.id_strategy:
        return out + _fits_id(table, got, value, diff)
    enum = _enum(target, enums)
    if enum is not None:
        labels = enums[enum[0]]
        if value.labels is None:
            return out + diff(
                "type",
                f"enum {enum[0]} ({', '.join(labels)}), but the values are free {value.type}",
                "map it from a column with a fixed set of values, or use a value map",
            )
        missing = [v for v in value.labels if str(v) not in labels]
        if missing:
            shown = ", ".join(repr(v) for v in missing)
            out += diff(
                "enum_value",
                f"enum {enum[0]} has no label {shown} (it has {', '.join(labels)})",
                f"map the value(s) in {value.origin.replace('.columns.', '.values.')}, "
                f'or ALTER TYPE "{enum[0]}" ADD VALUE',
            )
        return out
    if value.labels is not None and value.type == "text":
        match = _VARCHAR.fullmatch(target)
        longest = max((str(v) for v in value.labels), key=len, default="")
        if match and len(longest) > int(match.group(1)):
            return out + diff(
                "type",
                f"{target} is too narrow for {longest!r} ({len(longest)} characters)",
                f'ALTER TABLE "{table}" ALTER COLUMN "{got.name}" TYPE text, or map the values '
                "to shorter ones",
            )
        if match or target in ("text", "character varying"):
            return out
    problem = _type_problem(value.type, target, hex_id=value.hex_id)
    if problem:
        out += diff(
            "type",
            problem,
            f'ALTER TABLE "{table}" ALTER COLUMN "{got.name}" TYPE {value.type}, or fill it '
            "with an expression of a fitting type",
        )
    return out


def _fits_id(table: str, got: catalog.Column, value: _Value, diff: Any) -> list[Difference]:
    target, strategy = got.type, value.id_strategy
    owner = f"the {strategy} ids of {value.references or 'its table'}"
    if strategy == "keep":
        if target in _INTS or target == "numeric":
            if _INTS.get(target, 4) < _INTS.get(value.type, 3):
                return diff(
                    "type",
                    f"{target} is too narrow for {value.type} ids",
                    f'ALTER TABLE "{table}" ALTER COLUMN "{got.name}" TYPE {value.type}',
                )
            return []
        better = "uuid" if target == "uuid" else "cuid"
        return diff(
            "id_type",
            f'{target}, but it would hold integer ids (id = "keep")',
            f'tables.{value.references}.id = "{better}"',
        )
    if strategy == "uuid":
        if target == "uuid" or target in ("text", "character varying"):
            return []
        match = _VARCHAR.fullmatch(target)
        if match and int(match.group(1)) >= 36:
            return []
    else:
        match = _VARCHAR.fullmatch(target)
        if target in ("text", "character varying"):
            return []
        if match:
            if int(match.group(1)) >= value.id_text_length:
                return []
            return diff(
                "type",
                f"{target} is too narrow for {owner} ({value.id_text_length} characters)",
                f'ALTER TABLE "{table}" ALTER COLUMN "{got.name}" TYPE text',
            )
    better = "keep" if target in _INTS else "uuid" if target == "uuid" else "cuid"
    return diff(
        "id_type",
        f"{target} cannot hold {owner} (id strategies other than keep need a text or uuid column)",
        f'tables.{value.references}.id = "{better}"',
    )


def _type_problem(source: str, target: str, *, hex_id: bool = False) -> str | None:
    """Why a value of type ``source`` does not fit a column of type ``target`` (None: it fits)."""
    if source == target or source == "null":
        return None
    if source.endswith("[]") or target.endswith("[]"):
        if target in ("jsonb", "json"):
            return None
        if source.endswith("[]") and target.endswith("[]"):
            inner = _type_problem(source[:-2], target[:-2])
            return f"array: {inner}" if inner else None
        return f"{target} cannot hold {source} values"
    if target in ("text", "character varying"):
        return None
    if source in _INTS:
        if target in _INTS:
            if _INTS[target] < _INTS[source]:
                return f"{target} is too narrow for {source} values"
            return None
        if target in ("numeric", "double precision", "real"):
            return None
    if source in ("double precision", "real") and target in ("double precision", "numeric"):
        return None
    if source == "double precision" and target == "real":
        return "real is too narrow for double precision values (precision lost)"
    if source == "date" and (target == "date" or target.startswith("timestamp")):
        return None
    if source.startswith("timestamp") and target.startswith("timestamp"):
        return None
    if source.startswith("timestamp") and target == "date":
        return f"date is too narrow for {source} values (the time of day is lost)"
    if source == "text":
        match = _VARCHAR.fullmatch(target)
        if match:
            if int(match.group(1)) >= 255:
                return None
            return f"{target} is too narrow for generated text, which has no length bound"
        if target == "uuid" and hex_id:
            return None
    return f"{target} cannot hold {source} values"


def _fresh(col: catalog.Column) -> bool:
    """The database gives each row a new value (identity, a sequence, a random uuid)."""
    return bool(col.identity) or bool(col.default and _FRESH.search(col.default))


def _left_null(col: catalog.Column) -> bool:
    """Nothing writes it and the database leaves it NULL."""
    return not col.not_null and col.default is None and not col.identity and not col.generated


def _unique_keys(
    t: TableMap, source: SourceTable, have: catalog.Table, values: dict[str, _Value]
) -> list[Difference]:
    out = []
    guaranteed = [set(u) for u in source.unique]
    for key in have.keys:
        over: set[str] = set()
        fresh = False
        for name in key.columns:
            value = values.get(name)
            if value is None:
                col = have.column(name)
                fresh = fresh or (col is not None and _fresh(col))
                # Left NULL: rows are distinct there (unless NULLS NOT DISTINCT).
                fresh = fresh or (col is not None and _left_null(col) and key.nulls_distinct)
                continue
            over |= value.unique_over
        if fresh or any(u <= over for u in guaranteed):
            continue
        where = f" WHERE {key.predicate}" if key.predicate else ""
        unique = "; ".join(f"({', '.join(u)})" for u in dict.fromkeys(source.unique))
        out.append(
            Difference(
                t.target or "",
                None,
                "unique",
                f"{'primary key' if key.primary else 'unique key'} {key.name} "
                f"({', '.join(key.columns)}){where} could "
                f"be violated: {t.source} is unique only over {unique}",
                f"map those columns into it (or a fill such as pattern('...{{id}}') or "
                f"hash(...)), or drop {key.name}",
            )
        )
    return out


def _foreign_keys(
    t: TableMap, source: SourceTable, have: catalog.Table, mapping: Mapping
) -> list[Difference]:
    out = []
    mapped = {to: s for s, to in t.columns}
    fills = {f.column for f in t.fill}
    targets = {m.target: m.source for m in mapping.mapped}
    for fk in have.foreign_keys:
        for name in fk.columns:
            if name in fills:
                continue
            col = mapped.get(name)
            if col is None:
                continue  # not written: NULL or the default
            c = source.column(col)
            holds = c.references if c else None
            if col == "id" and source.has_id:
                holds = t.source
            filler = targets.get(fk.ref_table)
            if holds is not None and holds == filler:
                continue
            if filler is None:
                detail = (
                    f"foreign key {fk.name} references {fk.ref_table}, which no simulation "
                    "table is mapped to"
                )
            else:
                detail = f"foreign key {fk.name} references {fk.ref_table} ({filler}'s rows)"
            held = (
                f"ids of {holds}, mapped to {mapping.table(holds).target}"
                if holds
                else f"{col} values, not ids"
            )
            out.append(
                Difference(
                    t.target or "",
                    name,
                    "foreign_key",
                    f"{detail}, but it would hold {held} (tables.{t.source}.columns.{col})",
                    f"map the table of {holds or 'those rows'} to {fk.ref_table}, or map another "
                    "column here, or leave it out",
                )
            )
    return out
