"""The mapping: how the simulation's tables land in a database.

The simulation's tables and columns (``schema/``, as ``sources.py`` reads them) are the
*source*; the database's are the *target*. Per source table a mapping gives the target table (or
``skip``), which source columns go to which target columns (a column not given is left out: the
database default applies), value maps, the id strategy (``ids.py``), and target columns filled
from an expression (``expressions.py``). The format, with every option, is in docs/mapping.md;
``reading.py`` reads it from TOML or YAML. :func:`native` is ``schema/`` itself, the mapping
used when there is no mapping file. Whether a mapping fits a live database is ``check.py``'s job.
No Dagster, no database here.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from seed_assets.config import ConfigError
from seed_assets.target.sources import source_tables

DEFAULT_BOOKKEEPING = "seed_assets"


class MappingError(ConfigError):
    """The mapping file is malformed (exit 2); the message is one line."""


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
    """``schema/`` as a mapping: every table and column under its own name, integer ids kept,
    the bookkeeping beside the tables. Seeding with it is seeding without a mapping file."""
    tables = tuple(
        TableMap(s.name, s.name, tuple((c.name, c.name) for c in s.columns))
        for s in source_tables().values()
    )
    return Mapping("native", tables, native=True)
