"""Reading a mapping file (TOML, or YAML for ``.yaml``/``.yml``; docs/mapping.md).

Parsing checks the file's shape (known keys, simulation tables and columns, strategies) and
raises :class:`MappingError` with one line, ``file:tables.users.columns.email: what is wrong``.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from collections.abc import Mapping as MappingABC
from pathlib import Path
from typing import Any

from seed_assets.target.ids import ID_STRATEGIES
from seed_assets.target.mapping import DEFAULT_BOOKKEEPING, Fill, Mapping, MappingError, TableMap
from seed_assets.target.sources import SourceTable, source_tables

DEFAULT_FILES = ("seed-map.toml", "seed-map.yaml", "seed-map.yml")
_TOP = {"version", "target", "tables"}
_TARGET = {"schema", "bookkeeping_schema", "jobs"}
_TABLE = {"table", "skip", "id", "id_prefix", "columns", "values", "fill"}
_PREFIX = re.compile(r"[A-Za-z0-9_-]{1,16}")


def default_file(directory: Path | None = None) -> Path | None:
    """``seed-map.toml`` (or ``.yaml``/``.yml``) in ``directory`` (default: the current one)."""
    base = directory or Path.cwd()
    return next((base / n for n in DEFAULT_FILES if (base / n).is_file()), None)


def load(path: Path) -> Mapping:
    """The mapping in ``path`` (TOML, or YAML for ``.yaml``/``.yml``)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise MappingError(f"{path}: cannot read the mapping: {exc.strerror or exc}") from None
    return loads(text, str(path), yaml=path.suffix.lower() in (".yaml", ".yml"))


def loads(text: str, origin: str = "seed-map.toml", *, yaml: bool = False) -> Mapping:
    """The mapping in ``text``; ``origin`` names it in errors."""
    if yaml:
        import yaml as pyyaml

        try:
            data = pyyaml.safe_load(text)
        except pyyaml.YAMLError as exc:
            first = str(exc).strip().splitlines()[0]
            raise MappingError(f"{origin}: not valid YAML: {first}") from None
    else:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise MappingError(f"{origin}: not valid TOML: {exc}") from None
    return parse(data if data is not None else {}, origin)


def parse(data: Any, origin: str) -> Mapping:
    """The mapping in the parsed document ``data``."""

    def bad(where: str, what: str) -> MappingError:
        return MappingError(f"{origin}:{where}: {what}" if where else f"{origin}: {what}")

    doc = _table_of(data, "", bad)
    _known(doc, _TOP, "", bad)
    if doc.get("version", 1) != 1:
        raise bad("version", f"unknown version {doc['version']!r} (this seed-assets reads 1)")
    schema, bookkeeping, jobs = _target(doc, bad)
    sources = source_tables()
    given = _table_of(doc.get("tables", {}), "tables", bad)
    for name in given:
        if name not in sources:
            raise bad(
                f"tables.{name}",
                f"no such simulation table (they are: {', '.join(sources)})",
            )
    tables: dict[str, TableMap] = {}
    for name, source in sources.items():
        where = f"tables.{name}"
        if name not in given:
            unused = "target.jobs = false" if not jobs and source.tier == "derived" else ""
            tables[name] = TableMap(name, None, left_out=unused or "not in the mapping")
            continue
        tables[name] = _table_map(source, _table_of(given[name], where, bad), where, bad)
    _leave_out_dependents(tables, sources, jobs)
    return Mapping(
        origin,
        tuple(tables.values()),
        schema=schema,
        bookkeeping_schema=bookkeeping or DEFAULT_BOOKKEEPING,
        jobs=jobs,
    )


def _target(doc: dict[str, Any], bad: Any) -> tuple[str | None, str | None, bool]:
    """The ``[target]`` section: (schema, bookkeeping schema, jobs)."""
    target = _table_of(doc.get("target", {}), "target", bad)
    _known(target, _TARGET, "target", bad)
    schema = _name(target.get("schema"), "target.schema", bad)
    bookkeeping = _name(target.get("bookkeeping_schema"), "target.bookkeeping_schema", bad)
    jobs = target.get("jobs", True)
    if not isinstance(jobs, bool):
        raise bad("target.jobs", f"must be true or false, got {jobs!r}")
    return schema, bookkeeping, jobs


def _leave_out_dependents(
    tables: dict[str, TableMap], sources: dict[str, SourceTable], jobs: bool
) -> None:
    """Left out with what they depend on: a skipped table's dependents, and jobs = false."""
    for name, source in sources.items():
        t = tables[name]
        if t.target is None:
            continue
        if not jobs and source.tier == "derived":
            tables[name] = dataclasses.replace(t, target=None, left_out="target.jobs = false")
            continue
        for column in source.columns:
            ref = column.references
            if ref and ref != name and tables[ref].target is None:
                why = f"it references {ref}, which is left out"
                tables[name] = dataclasses.replace(t, target=None, left_out=why)
                break


def _table_map(source: SourceTable, spec: dict[str, Any], where: str, bad: Any) -> TableMap:
    _known(spec, _TABLE, where, bad)
    skip = spec.get("skip", False)
    if not isinstance(skip, bool):
        raise bad(f"{where}.skip", f"must be true or false, got {skip!r}")
    if skip:
        return TableMap(source.name, None, left_out="skip = true")
    target = _name(spec.get("table"), f"{where}.table", bad)
    if target is None:
        raise bad(f"{where}.table", "missing: give the target table, or skip = true")
    strategy, prefix = _id(source, spec, where, bad)
    columns = _columns(source, spec, where, bad)
    values = _values(source, spec, where, bad, columns)
    fills = []
    for col, text in _table_of(spec.get("fill", {}), f"{where}.fill", bad).items():
        if not isinstance(text, str):
            raise bad(f"{where}.fill.{col}", f"must be an expression in quotes, got {text!r}")
        fills.append(Fill(col, text))
    return TableMap(
        source.name, target, tuple(columns), tuple(values), tuple(fills), strategy, prefix or ""
    )


def _id(source: SourceTable, spec: dict[str, Any], where: str, bad: Any) -> tuple[str, Any]:
    """The table's id strategy and id prefix."""
    strategy = spec.get("id", "keep")
    if strategy not in ID_STRATEGIES:
        raise bad(f"{where}.id", f"unknown id strategy {strategy!r} ({', '.join(ID_STRATEGIES)})")
    if strategy != "keep" and not source.has_id:
        raise bad(
            f"{where}.id",
            f"{source.name} has no id of its own (its key is {', '.join(source.primary_key)}): "
            "its references follow the referenced tables' strategies",
        )
    prefix = spec.get("id_prefix", "")
    if strategy == "prefixed" and not (isinstance(prefix, str) and _PREFIX.fullmatch(prefix)):
        raise bad(
            f"{where}.id_prefix",
            "id = \"prefixed\" needs id_prefix: 1-16 letters, digits, '_' or '-'",
        )
    if prefix and strategy != "prefixed":
        raise bad(f"{where}.id_prefix", 'only with id = "prefixed"')
    return strategy, prefix


def _columns(
    source: SourceTable, spec: dict[str, Any], where: str, bad: Any
) -> list[tuple[str, str]]:
    """(source column, target column) for each mapped column."""
    columns: list[tuple[str, str]] = []
    for col, to in _table_of(spec.get("columns", {}), f"{where}.columns", bad).items():
        here = f"{where}.columns.{col}"
        if source.column(col) is None:
            raise bad(here, f"{source.name} generates no column {col!r} ({_names(source)})")
        if to is False:
            continue  # left out: the database default applies
        name = _name(to, here, bad)
        if name is None:
            raise bad(here, "give the target column's name, or false to leave it out")
        columns.append((col, name))
    return columns


def _values(
    source: SourceTable, spec: dict[str, Any], where: str, bad: Any, columns: list[tuple[str, str]]
) -> list[tuple[str, tuple[tuple[Any, Any], ...]]]:
    """(source column, its value map's pairs) for each value map."""
    values = []
    for col, vmap in _table_of(spec.get("values", {}), f"{where}.values", bad).items():
        here = f"{where}.values.{col}"
        if source.column(col) is None:
            raise bad(here, f"{source.name} generates no column {col!r} ({_names(source)})")
        if not any(c == col for c, _ in columns):
            raise bad(here, f"a value map for {col!r}, which is not mapped to a column")
        pairs = _table_of(vmap, here, bad)
        for key, value in pairs.items():
            if not isinstance(value, str | int | float | bool):
                raise bad(f"{here}.{key}", f"must be a text, number or boolean, got {value!r}")
        values.append((col, tuple((_source_value(source, col, k), v) for k, v in pairs.items())))
    return values


def _source_value(source: SourceTable, column: str, key: str) -> Any:
    """A value map's key as the source value (keys are text in TOML: booleans as
    "true"/"false")."""
    col = source.column(column)
    if col is not None and col.type == "boolean" and key.lower() in ("true", "false"):
        return key.lower() == "true"
    return key


def _names(source: SourceTable) -> str:
    return ", ".join(c.name for c in source.columns)


def _table_of(value: Any, where: str, bad: Any) -> dict[str, Any]:
    if not isinstance(value, MappingABC):
        raise bad(where, f"must be a table of keys, got {type(value).__name__}")
    return {str(k): v for k, v in value.items()}


def _known(spec: dict[str, Any], allowed: set[str], where: str, bad: Any) -> None:
    for key in spec:
        if key not in allowed:
            raise bad(
                f"{where}.{key}" if where else key,
                f"unknown key (known: {', '.join(sorted(allowed))})",
            )


def _name(value: Any, where: str, bad: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or "\x00" in value:
        raise bad(where, f"must be a name, got {value!r}")
    return value
