"""The mapping: how the simulation's tables land in a database, read from TOML or YAML.

The simulation's tables and columns (``schema.py``) are the *source*; the database's are the
*target*. Per source table a mapping gives the target table (or ``skip``), which source columns
go to which target columns (a column not given is left out: the database default applies),
value maps, the id strategy, and target columns filled from an expression (``expressions.py``).
The format, with every option, is in docs/mapping.md. :func:`native` is ``schema.py`` itself,
the mapping used when there is no mapping file.

Parsing checks the file's shape (known keys, simulation tables and columns, strategies) and
raises :class:`MappingError` with one line, ``file:tables.users.columns.email: what is wrong``.
Whether the mapping fits a live database is ``check.py``'s job. No Dagster, no database here.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import tomllib
import uuid
from collections.abc import Mapping as MappingABC
from pathlib import Path
from typing import Any

from seed_assets.config import ConfigError

ID_STRATEGIES = ("keep", "uuid", "cuid", "prefixed")
ID_TEXT_LENGTH = 25  # a cuid-like id: "c" and 24 base-36 digits of the hash
DEFAULT_BOOKKEEPING = "seed_assets"
DEFAULT_FILES = ("seed-map.toml", "seed-map.yaml", "seed-map.yml")

# The values the generators write into the text columns that hold a fixed set of labels (value
# maps map these; a varchar must hold the longest).
DOMAINS: dict[tuple[str, str], tuple[str, ...]] = {
    ("profiles", "gender"): ("male", "female", "nonbinary"),
    ("profiles", "interested_in"): ("male", "female", "everyone"),
    ("profiles", "intent"): ("long_term", "short_term", "casual", "friendship", "figuring_out"),
    ("posts", "kind"): ("text", "photo"),
    ("likes", "action"): ("LIKE", "PASS"),
    ("messages", "kind"): ("text", "image", "gif", "voice"),
    ("searchable_users", "gender"): ("male", "female", "nonbinary"),
    ("searchable_users", "interested_in"): ("male", "female", "everyone"),
    ("searchable_users", "intent"): (
        "long_term",
        "short_term",
        "casual",
        "friendship",
        "figuring_out",
    ),
    ("user_traits", "activity_level"): ("dormant", "low", "medium", "high"),
    ("trending", "kind"): ("interest", "post"),
}

# What the simulation guarantees unique beyond primary keys and unique indexes (schema.py says
# so in the tables' comments): a swipe pair at most once ever, one match per pair, one
# conversation per match.
INVARIANTS: dict[str, tuple[tuple[str, ...], ...]] = {
    "likes": (("liker_id", "likee_id"),),
    "matches": (("user_a_id", "user_b_id"),),
    "conversations": (("match_id",),),
}


class MappingError(ConfigError):
    """The mapping file is malformed (exit 2); the message is one line."""


@dataclasses.dataclass(frozen=True)
class SourceColumn:
    name: str
    type: str  # format_type spelling of schema.py's type
    nullable: bool
    references: str | None = None  # the simulation table whose id it holds (FK or logical)


@dataclasses.dataclass(frozen=True)
class SourceTable:
    name: str
    tier: str
    columns: tuple[SourceColumn, ...]
    primary_key: tuple[str, ...]
    unique: tuple[tuple[str, ...], ...]  # the primary key, unique indexes and INVARIANTS
    has_id: bool  # an ``id`` column of its own (an id strategy applies to it)

    def column(self, name: str) -> SourceColumn | None:
        return next((c for c in self.columns if c.name == name), None)


def source_tables() -> dict[str, SourceTable]:
    """The simulation's tables (every tier but ops) as a mapping sees them, in schema order."""
    import sqlalchemy as sa

    from seed_assets import drift, schema

    out: dict[str, SourceTable] = {}
    for t in (*schema.CATALOG, *schema.IDENTITY, *schema.ACTIVITY, *schema.DERIVED):
        logical = {c: target for c, target, _ in schema.logical_references(t)}
        columns = []
        for c in t.columns:
            ref = next((fk.column.table.name for fk in c.foreign_keys), logical.get(c.name))
            nullable = bool(c.nullable)
            columns.append(SourceColumn(c.name, drift.format_type(c.type), nullable, ref))
        key = tuple(c.name for c in t.primary_key.columns)
        unique = [key] + [tuple(c.name for c in ix.columns) for ix in t.indexes if ix.unique]
        unique += [
            tuple(c.name for c in u.columns)
            for u in t.constraints
            if isinstance(u, sa.UniqueConstraint)
        ]
        unique += list(INVARIANTS.get(t.name, ()))
        if "id" in t.columns and key != ("id",):
            unique.append(("id",))  # logical ids are unique across partitions (references use them)
        out[t.name] = SourceTable(
            t.name, str(t.info["tier"]), tuple(columns), key, tuple(unique), "id" in t.columns
        )
    return out


@dataclasses.dataclass(frozen=True)
class Fill:
    column: str  # the target column
    expression: str  # its text, parsed by check (expressions.py)


@dataclasses.dataclass(frozen=True)
class TableMap:
    source: str
    target: str | None  # None: left out (see ``left_out``)
    columns: tuple[tuple[str, str], ...] = ()  # (source column, target column)
    values: tuple[tuple[str, tuple[tuple[Any, Any], ...]], ...] = ()  # (source column, map)
    fill: tuple[Fill, ...] = ()
    id: str = "keep"
    id_prefix: str = ""
    left_out: str = ""  # why the table is left out: "skip = true", "users is left out", ...

    def target_of(self, column: str) -> str | None:
        return next((t for s, t in self.columns if s == column), None)

    def value_map(self, column: str) -> dict[Any, Any] | None:
        found = next((m for c, m in self.values if c == column), None)
        return dict(found) if found is not None else None


@dataclasses.dataclass(frozen=True)
class Mapping:
    origin: str  # the file it was read from, or "native"
    tables: tuple[TableMap, ...]  # every simulation table, in schema order
    schema: str | None = None  # the app's tables (None: the connection's current schema)
    bookkeeping_schema: str | None = None  # runs, manifest, marker (None: as today)
    jobs: bool = True  # False: the derived tables of jobs/ are left out
    native: bool = False

    def table(self, source: str) -> TableMap:
        return next(t for t in self.tables if t.source == source)

    @property
    def mapped(self) -> tuple[TableMap, ...]:
        return tuple(t for t in self.tables if t.target is not None)


def native() -> Mapping:
    """``schema.py`` as a mapping: every table and column under its own name, integer ids kept,
    the bookkeeping beside the tables. Seeding with it is seeding without a mapping file."""
    tables = tuple(
        TableMap(s.name, s.name, tuple((c.name, c.name) for c in s.columns))
        for s in source_tables().values()
    )
    return Mapping("native", tables, native=True)


# --- ids ------------------------------------------------------------------------------------------


def derive_id(strategy: str, run_seed: str, table: str, logical_id: int, prefix: str = "") -> Any:
    """The target id of simulation row ``logical_id`` of ``table``: the id itself (``keep``), or
    derived from the full 128-bit BLAKE2b hash of (run seed, table, id) — a UUID (version 8
    layout) or 24 base-36 digits after ``c`` (``cuid``) or after ``prefix`` (``prefixed``). Two
    run seeds give disjoint ids; a foreign key derives the same id from the referenced row."""
    if strategy == "keep":
        return logical_id
    # A key derivation, not a random draw: the full 128-bit hash, never a 64-bit stream value
    # (ids of a large table would collide), like rng.text_key's BLAKE2b.
    key = f"{run_seed}\x00{table}\x00{logical_id}".encode()
    raw = bytearray(hashlib.blake2b(key, digest_size=16).digest())
    if strategy == "uuid":
        raw[6] = (raw[6] & 0x0F) | 0x80
        raw[8] = (raw[8] & 0x3F) | 0x80
        return str(uuid.UUID(bytes=bytes(raw)))
    n, digits = int.from_bytes(raw, "big"), []
    for _ in range(ID_TEXT_LENGTH - 1):
        n, d = divmod(n, 36)
        digits.append("0123456789abcdefghijklmnopqrstuvwxyz"[d])
    return ("c" if strategy == "cuid" else prefix) + "".join(reversed(digits))


def id_length(strategy: str, prefix: str = "") -> int:
    """The characters of a text id of ``strategy``."""
    return ID_TEXT_LENGTH if strategy == "cuid" else len(prefix) + ID_TEXT_LENGTH - 1


# --- reading a file -------------------------------------------------------------------------------

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
    target = _table_of(doc.get("target", {}), "target", bad)
    _known(target, _TARGET, "target", bad)
    schema = _name(target.get("schema"), "target.schema", bad)
    bookkeeping = _name(target.get("bookkeeping_schema"), "target.bookkeeping_schema", bad)
    jobs = target.get("jobs", True)
    if not isinstance(jobs, bool):
        raise bad("target.jobs", f"must be true or false, got {jobs!r}")
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
    # Left out with what they depend on: a skipped table's dependents, and jobs = false.
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
    return Mapping(
        origin,
        tuple(tables.values()),
        schema=schema,
        bookkeeping_schema=bookkeeping or DEFAULT_BOOKKEEPING,
        jobs=jobs,
    )


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
    fills = []
    for col, text in _table_of(spec.get("fill", {}), f"{where}.fill", bad).items():
        if not isinstance(text, str):
            raise bad(f"{where}.fill.{col}", f"must be an expression in quotes, got {text!r}")
        fills.append(Fill(col, text))
    return TableMap(
        source.name, target, tuple(columns), tuple(values), tuple(fills), strategy, prefix or ""
    )


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
