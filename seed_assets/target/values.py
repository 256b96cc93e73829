"""What a mapping writes into each target column of a table, for ``check.py`` to fit.

A mapped source column writes the simulation's values (or an id derived with a strategy, or the
labels of a value map); a fill writes its expression's type. Value map keys the simulation never
writes are a problem of their own.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from seed_assets.drift import Difference
from seed_assets.target import expressions
from seed_assets.target.ids import id_length
from seed_assets.target.mapping import Mapping, TableMap
from seed_assets.target.sources import DOMAINS, SourceTable


@dataclasses.dataclass(frozen=True)
class Value:
    type: str  # what the mapping writes: a source type, "uuid", or "text" for text ids
    nullable: bool
    labels: tuple[Any, ...] | None  # the values, when they are a known set
    origin: str  # where in the mapping it comes from
    unique_over: frozenset[str] = frozenset()
    id_strategy: str = ""  # an id (own or referenced) derived with this strategy
    id_text_length: int = 0
    references: str | None = None  # the simulation table whose ids it holds
    hex_id: bool = False  # hash(): 32 hex digits, which a uuid column accepts


def written(
    t: TableMap, source: SourceTable, mapping: Mapping, where: str
) -> tuple[dict[str, Value], list[Difference]]:
    """Each written target column's value ({target column: Value}) and the fills that do not
    parse or type-check."""
    values: dict[str, Value] = {}
    out: list[Difference] = []
    for col, to in t.columns:
        values[to] = source_value(t, source, col, mapping)
    generated = {c.name: (c.type, c.nullable) for c in source.columns}
    for f in t.fill:
        try:
            typed = expressions.typed(expressions.parse(f.expression), generated)
        except expressions.ExpressionError as exc:
            out.append(
                Difference(
                    t.target or "",
                    f.column,
                    "expression",
                    f"{where}.fill.{f.column} = {f.expression!r}: {exc}",
                    "fix the expression (docs/mapping.md lists the functions)",
                )
            )
            continue
        parsed = expressions.parse(f.expression)
        is_hash = isinstance(parsed, expressions.Call) and parsed.function == "hash"
        values[f.column] = Value(
            typed.type,
            typed.nullable,
            None,
            f"{where}.fill.{f.column}",
            unique_over=typed.unique_over,
            hex_id=is_hash,
        )
    return values, out


def unknown_labels(t: TableMap, source: SourceTable) -> list[Difference]:
    """Value map keys the simulation never writes (a typo would otherwise map nothing)."""
    out = []
    for col, pairs in t.values:
        c = source.column(col)
        domain = DOMAINS.get((t.source, col)) or (
            (True, False) if c and c.type == "boolean" else ()
        )
        unknown = [k for k, _ in pairs if domain and k not in domain]
        if unknown:
            out.append(
                Difference(
                    t.target or "",
                    t.target_of(col),
                    "value_map",
                    f"tables.{t.source}.values.{col} maps {', '.join(repr(k) for k in unknown)}, "
                    f"which the simulation never writes (it writes "
                    f"{', '.join(str(v) for v in domain)})",
                    "map the values it writes (the spelling matters)",
                )
            )
    return out


def source_value(t: TableMap, source: SourceTable, col: str, mapping: Mapping) -> Value:
    """What mapping the source column ``col`` writes: its ids, its value map's labels or its
    values as generated."""
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
        return Value(
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
        return Value(_label_type(labels), c.nullable, labels, f"tables.{t.source}.values.{col}")
    strategy = owner.id if owner is not None else ""
    held = owner.source if owner is not None else None
    return Value(c.type, c.nullable, labels, where, one, strategy, 0, held)


def _label_type(labels: tuple[Any, ...]) -> str:
    """The type of a value map's labels: boolean, the narrowest integer, float or text."""
    kinds = {type(v) for v in labels}
    if kinds == {bool}:
        return "boolean"
    if kinds == {int}:
        widest = max(abs(int(v)) for v in labels)
        return "smallint" if widest < 2**15 else "integer" if widest < 2**31 else "bigint"
    return "double precision" if kinds <= {int, float} else "text"
