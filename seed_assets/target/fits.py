"""Whether a target column can hold what a mapping writes into it: NULLs, ids of a strategy,
enum labels, text lengths and types (a value narrower than or equal to the column fits)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from seed_assets import catalog
from seed_assets.drift import Difference
from seed_assets.target.values import Value

INTS = {"smallint": 1, "integer": 2, "bigint": 3}
_TEXT = ("text", "character varying")
_VARCHAR = re.compile(r"character(?: varying)?\((\d+)\)")

_Diff = Callable[[str, str, str], list[Difference]]


def enum_of(type_: str, enums: Any) -> tuple[str, bool] | None:
    """(enum name, is an array) when ``type_`` is one of the schema's enums."""
    array = type_.endswith("[]")
    base = type_[:-2] if array else type_
    name = base.split(".")[-1].strip('"')
    return (name, array) if name in enums else None


def fits(table: str, got: catalog.Column, value: Value, enums: Any) -> list[Difference]:
    """Whether the target column ``got`` can hold ``value``: the problems."""

    def diff(kind: str, detail: str, fix: str) -> list[Difference]:
        return [Difference(table, got.name, kind, f"{detail} (from {value.origin})", fix)]

    out: list[Difference] = []
    if value.nullable and got.not_null:
        out += diff(
            "nullable_source",
            f"NOT NULL, but the simulation writes NULLs into it ({value.type})",
            f"fill it with coalesce(...) instead, or DROP NOT NULL on {table}.{got.name}",
        )
    if value.id_strategy:
        return out + _fits_id(table, got, value, diff)
    enum = enum_of(got.type, enums)
    if enum is not None:
        return out + _fits_enum(enum[0], enums[enum[0]], value, diff)
    return out + _fits_type(table, got, value, diff)


def _fits_enum(name: str, labels: Any, value: Value, diff: _Diff) -> list[Difference]:
    if value.labels is None:
        return diff(
            "type",
            f"enum {name} ({', '.join(labels)}), but the values are free {value.type}",
            "map it from a column with a fixed set of values, or use a value map",
        )
    missing = [v for v in value.labels if str(v) not in labels]
    if not missing:
        return []
    shown = ", ".join(repr(v) for v in missing)
    return diff(
        "enum_value",
        f"enum {name} has no label {shown} (it has {', '.join(labels)})",
        f"map the value(s) in {value.origin.replace('.columns.', '.values.')}, "
        f'or ALTER TYPE "{name}" ADD VALUE',
    )


def _fits_type(table: str, got: catalog.Column, value: Value, diff: _Diff) -> list[Difference]:
    target = got.type
    if value.labels is not None and value.type == "text":
        match = _VARCHAR.fullmatch(target)
        longest = max((str(v) for v in value.labels), key=len, default="")
        if match and len(longest) > int(match.group(1)):
            return diff(
                "type",
                f"{target} is too narrow for {longest!r} ({len(longest)} characters)",
                f'ALTER TABLE "{table}" ALTER COLUMN "{got.name}" TYPE text, or map the values '
                "to shorter ones",
            )
        if match or target in _TEXT:
            return []
    problem = type_problem(value.type, target, hex_id=value.hex_id)
    if not problem:
        return []
    return diff(
        "type",
        problem,
        f'ALTER TABLE "{table}" ALTER COLUMN "{got.name}" TYPE {value.type}, or fill it '
        "with an expression of a fitting type",
    )


def _fits_id(table: str, got: catalog.Column, value: Value, diff: _Diff) -> list[Difference]:
    target, strategy = got.type, value.id_strategy
    owner = f"the {strategy} ids of {value.references or 'its table'}"
    if strategy == "keep":
        if target in INTS or target == "numeric":
            if INTS.get(target, 4) < INTS.get(value.type, 3):
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
    match = _VARCHAR.fullmatch(target)
    if target in _TEXT or (strategy == "uuid" and target == "uuid"):
        return []
    if match and strategy == "uuid" and int(match.group(1)) >= 36:
        return []
    if match and strategy != "uuid":
        if int(match.group(1)) >= value.id_text_length:
            return []
        return diff(
            "type",
            f"{target} is too narrow for {owner} ({value.id_text_length} characters)",
            f'ALTER TABLE "{table}" ALTER COLUMN "{got.name}" TYPE text',
        )
    better = "keep" if target in INTS else "uuid" if target == "uuid" else "cuid"
    return diff(
        "id_type",
        f"{target} cannot hold {owner} (id strategies other than keep need a text or uuid column)",
        f'tables.{value.references}.id = "{better}"',
    )


def type_problem(source: str, target: str, *, hex_id: bool = False) -> str | None:
    """Why a value of type ``source`` does not fit a column of type ``target`` (None: it fits)."""
    if source == target or source == "null":
        return None
    if source.endswith("[]") or target.endswith("[]"):
        if target in ("jsonb", "json"):
            return None
        if source.endswith("[]") and target.endswith("[]"):
            inner = type_problem(source[:-2], target[:-2])
            return f"array: {inner}" if inner else None
        return f"{target} cannot hold {source} values"
    if target in _TEXT or _widens(source, target, hex_id=hex_id):
        return None
    return _narrows(source, target) or f"{target} cannot hold {source} values"


def _widens(source: str, target: str, *, hex_id: bool) -> bool:
    """A scalar ``source`` value fits a ``target`` column that is not plain text."""
    if source in INTS:
        wider = target in INTS and INTS[target] >= INTS[source]
        return wider or target in ("numeric", "double precision", "real")
    match = _VARCHAR.fullmatch(target)
    return (
        (source in ("double precision", "real") and target in ("double precision", "numeric"))
        or (source == "date" and (target == "date" or target.startswith("timestamp")))
        or (source.startswith("timestamp") and target.startswith("timestamp"))
        or (source == "text" and match is not None and int(match.group(1)) >= 255)
        or (source == "text" and target == "uuid" and hex_id)
    )


def _narrows(source: str, target: str) -> str | None:
    """Why a ``target`` column of the same kind as ``source`` is too narrow for it (None: it is
    of another kind)."""
    if source in INTS and target in INTS:
        return f"{target} is too narrow for {source} values"
    if source == "double precision" and target == "real":
        return "real is too narrow for double precision values (precision lost)"
    if source.startswith("timestamp") and target == "date":
        return f"date is too narrow for {source} values (the time of day is lost)"
    if source == "text" and _VARCHAR.fullmatch(target):
        return f"{target} is too narrow for generated text, which has no length bound"
    return None
