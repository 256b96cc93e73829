"""The tiny expression language of a mapping's ``fill``: parsed, typed, never ``eval``'d.

An expression is a literal (``'text'``, ``"text"``, ``42``, ``1.5``, ``true``, ``false``,
``null``), a column reference (a bare name: a generated column of the same simulation table), or
a call of one of :data:`FUNCTIONS` with expressions as arguments::

    created_at                         the column's value
    age(birthdate, start_date())       whole years from the birthdate to the run's start date
    pattern('tok_{id}')                text with {column} replaced by the column's value
    hash(id)                           32 hex characters: BLAKE2b of the run seed and the values
    concat(first_name, ' ', last_name) the values as text, joined
    lower(email), upper(kind)          the text in lower or upper case
    coalesce(bio, '')                  the first value that is not null
    start_date(), run_seed()           the run's parameters

Every expression has a type (PostgreSQL's spelling, as ``format_type`` prints it), a
nullability, and the set of columns its value is one-to-one with (``unique_over``), which
``check`` uses for the target's unique keys: a column, ``pattern``/``concat`` of one column and
constants, ``hash`` of anything. There is no clock: a value depends only on the
generated row and the run's parameters.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping


class ExpressionError(ValueError):
    """The expression does not parse, names an unknown function or column, or mixes types."""


@dataclasses.dataclass(frozen=True)
class Literal:
    value: str | int | float | bool | None


@dataclasses.dataclass(frozen=True)
class Ref:
    column: str


@dataclasses.dataclass(frozen=True)
class Call:
    function: str
    args: tuple[Expr, ...]


Expr = Literal | Ref | Call


@dataclasses.dataclass(frozen=True)
class Typed:
    """What an expression yields: its type, whether it can be null, the columns it is one-to-one
    with (empty: no uniqueness can be claimed) and the columns it reads."""

    type: str
    nullable: bool
    unique_over: frozenset[str]
    reads: frozenset[str]


# name: (min args, max args or None); the types are worked out in :func:`typed`.
FUNCTIONS: dict[str, tuple[int, int | None]] = {
    "age": (2, 2),
    "pattern": (1, 1),
    "hash": (1, None),
    "concat": (1, None),
    "lower": (1, 1),
    "upper": (1, 1),
    "coalesce": (2, None),
    "start_date": (0, 0),
    "run_seed": (0, 0),
}

_TOKEN = re.compile(
    r"\s*(?:(?P<num>-?\d+(?:\.\d+)?)|(?P<str>'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<punct>[(),]))"
)
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_TEXT = "text"
_DATES = ("date", "timestamp with time zone", "timestamp without time zone")


def parse(text: str) -> Expr:
    """The expression ``text`` as a tree; :class:`ExpressionError` if it does not parse."""
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = text.strip()
    if not text:
        raise ExpressionError("empty expression")
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise ExpressionError(f"unexpected {text[pos:].strip()[:12]!r} at position {pos}")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        pos = match.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    expr, rest = _expr(tokens, 0)
    if rest != len(tokens):
        raise ExpressionError(f"unexpected {tokens[rest][1]!r} after a complete expression")
    return expr


def _expr(tokens: list[tuple[str, str]], i: int) -> tuple[Expr, int]:
    if i >= len(tokens):
        raise ExpressionError("the expression ends too early")
    kind, value = tokens[i]
    if kind == "num":
        return Literal(float(value) if "." in value else int(value)), i + 1
    if kind == "str":
        body = value[1:-1]
        return Literal(re.sub(r"\\(.)", r"\1", body)), i + 1
    if kind != "name":
        raise ExpressionError(f"unexpected {value!r}")
    if i + 1 < len(tokens) and tokens[i + 1] == ("punct", "("):
        return _arguments(tokens, value, i + 2)
    words: dict[str, Literal] = {
        "true": Literal(True),
        "false": Literal(False),
        "null": Literal(None),
    }
    return words.get(value.lower(), Ref(value)), i + 1


def _arguments(tokens: list[tuple[str, str]], name: str, j: int) -> tuple[Call, int]:
    """The call of ``name`` whose arguments start at token ``j`` (after its '(')."""
    args: list[Expr] = []
    if j < len(tokens) and tokens[j] == ("punct", ")"):
        return _call(name, args), j + 1
    while True:
        arg, j = _expr(tokens, j)
        args.append(arg)
        if j >= len(tokens):
            raise ExpressionError(f"{name}(: missing ')'")
        if tokens[j] == ("punct", ")"):
            return _call(name, args), j + 1
        if tokens[j] != ("punct", ","):
            raise ExpressionError(f"{name}(: expected ',' or ')', got {tokens[j][1]!r}")
        j += 1


def _call(name: str, args: list[Expr]) -> Call:
    if name not in FUNCTIONS:
        raise ExpressionError(f"unknown function {name}() (known: {', '.join(sorted(FUNCTIONS))})")
    low, high = FUNCTIONS[name]
    if len(args) < low or (high is not None and len(args) > high):
        wanted = str(low) if low == high else f"{low} or more" if high is None else f"{low}-{high}"
        raise ExpressionError(f"{name}() takes {wanted} argument(s), got {len(args)}")
    return Call(name, tuple(args))


def _one_column(columns: frozenset[str]) -> frozenset[str]:
    """Text made of one column's values and constants is one-to-one with it; of several, not
    necessarily ('1' '23' and '12' '3' give the same text)."""
    return columns if len(columns) == 1 else frozenset()


_NONE: frozenset[str] = frozenset()


def typed(expr: Expr, columns: Mapping[str, tuple[str, bool]]) -> Typed:
    """The type of ``expr`` over a table whose generated ``columns`` are {name: (type,
    nullable)}; :class:`ExpressionError` for an unknown column or a wrong argument type."""
    if isinstance(expr, Literal):
        return _literal(expr.value)
    if isinstance(expr, Ref):
        if expr.column not in columns:
            raise ExpressionError(
                f"unknown column {expr.column!r} (the table generates {', '.join(columns)})"
            )
        type_, nullable = columns[expr.column]
        one = frozenset([expr.column])
        return Typed(type_, nullable, one, one)
    args = [typed(a, columns) for a in expr.args]
    return _function(expr, args, columns)


def _literal(v: str | int | float | bool | None) -> Typed:
    if v is None:
        return Typed("null", True, _NONE, _NONE)
    if isinstance(v, bool):
        return Typed("boolean", False, _NONE, _NONE)
    if isinstance(v, int):
        return Typed("integer" if -(2**31) <= v < 2**31 else "bigint", False, _NONE, _NONE)
    if isinstance(v, float):
        return Typed("double precision", False, _NONE, _NONE)
    return Typed(_TEXT, False, _NONE, _NONE)


def _function(expr: Call, args: list[Typed], columns: Mapping[str, tuple[str, bool]]) -> Typed:
    """The type of a call whose arguments are ``args``."""
    name = expr.function
    reads = frozenset().union(*(a.reads for a in args)) if args else _NONE
    if name == "start_date":
        return Typed("date", False, _NONE, _NONE)
    if name == "run_seed":
        return Typed(_TEXT, False, _NONE, _NONE)
    if name == "age":
        return _age(args, reads)
    if name == "pattern":
        return _pattern(expr.args[0], columns)
    if name == "hash":  # 128 bits: one-to-one with everything it hashes
        return Typed(_TEXT, False, frozenset().union(*(a.unique_over for a in args)), reads)
    if name == "concat":
        over = frozenset().union(*(a.unique_over for a in args))
        return Typed(_TEXT, any(a.nullable for a in args), _one_column(over), reads)
    if name in ("lower", "upper"):
        if args[0].type not in (_TEXT, "null") and not args[0].type.startswith("character"):
            raise ExpressionError(f"{name}() takes text, got {args[0].type}")
        return Typed(_TEXT, args[0].nullable, _NONE, reads)
    return _coalesce(args, reads)


def _age(args: list[Typed], reads: frozenset[str]) -> Typed:
    for arg in args:
        if arg.type not in _DATES:
            raise ExpressionError(f"age() takes dates or timestamps, got {arg.type}")
    return Typed("smallint", any(a.nullable for a in args), _NONE, reads)


def _coalesce(args: list[Typed], reads: frozenset[str]) -> Typed:
    """One type, null only when every argument can be."""
    kinds = {a.type for a in args if a.type != "null"}
    if len(kinds) > 1:
        raise ExpressionError(f"coalesce() mixes types: {', '.join(sorted(kinds))}")
    return Typed(kinds.pop() if kinds else "null", all(a.nullable for a in args), _NONE, reads)


def _pattern(template: Expr, columns: Mapping[str, tuple[str, bool]]) -> Typed:
    if not isinstance(template, Literal) or not isinstance(template.value, str):
        raise ExpressionError("pattern() takes a quoted text such as 'tok_{id}'")
    names = _PLACEHOLDER.findall(template.value)
    for column in names:
        if column not in columns:
            raise ExpressionError(
                f"pattern(): unknown column {{{column}}} (the table generates {', '.join(columns)})"
            )
    used = frozenset(names)
    nullable = any(columns[c][1] for c in names)
    return Typed(_TEXT, nullable, _one_column(used), used)
