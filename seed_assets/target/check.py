"""``seed schema check``: does a mapping fit the live database? Every problem as a diff line.

One mechanism with ``drift.py``: the mapping gives the expected tables (target names, the
columns it writes) and :func:`drift.compare` finds the unknown tables (``missing_table``),
unknown columns (``missing``) and NOT NULL columns nothing fills (``extra``); the checks only a
mapping needs come after: duplicate target columns, value map keys and expressions
(``values.py``, what is written into each column), types too narrow for the values, enum labels
and id strategies (``fits.py``), unique keys the generated rows could violate and foreign keys
(``keys.py``). The native mapping is compared exactly as ``seed up`` compares it
(``expected.expected_tables``).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from typing import Any

from seed_assets import catalog, drift
from seed_assets.drift import Difference
from seed_assets.expected import ExpectedColumn, ExpectedTable, expected_tables
from seed_assets.target import fits, keys, values
from seed_assets.target.mapping import Mapping, TableMap
from seed_assets.target.sources import SourceTable
from seed_assets.target.sources import source_tables as _source_tables


class MappingMismatch(drift.SchemaDrift):
    """The mapping (from ``origin``) does not fit the live database; the message is the diff
    (exit 2)."""

    @staticmethod
    def header(action: str, n: int) -> str:
        return (
            f"schema check: {action} does not fit the database ({n} problem"
            f"{'s' if n != 1 else ''}); nothing was written"
        )


@dataclasses.dataclass(frozen=True)
class Result:
    differences: list[Difference]
    notes: list[str]  # what is left out, and the target tables no simulation table fills
    tables: int  # target tables written
    columns: int  # target columns written


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
        expected = expected_tables([t.source for t in mapping.mapped])
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
    out = _shape(t, where, written, live)
    if have is None:
        return out
    out += _duplicates(t, where, written)
    out += values.unknown_labels(t, source)
    by_column, problems = values.written(t, source, mapping, where)
    out += problems
    out += _columns(t.target, have, by_column, live.enums)
    out += keys.unique_keys(t, source, have, by_column)
    out += keys.foreign_keys(t, source, have, mapping)
    return out


def _shape(t: TableMap, where: str, written: list[str], live: catalog.Catalog) -> list[Difference]:
    """The shape, through drift's comparison: the columns the mapping writes must exist; the
    ones it does not write must fill themselves."""
    assert t.target is not None
    have = live.tables.get(t.target)
    expected = ExpectedTable(
        t.target,
        tuple(
            ExpectedColumn(name, _live_type(have, name), _live_not_null(have, name))
            for name in dict.fromkeys(written)
        ),
        dropped_by_reset=False,
    )
    return [
        _reworded(d, t, where, sorted(live.tables), have) for d in drift.compare([expected], live)
    ]


def _duplicates(t: TableMap, where: str, written: list[str]) -> list[Difference]:
    """Target columns written more than once."""
    out = []
    for name, n in Counter(written).items():
        if n > 1:
            by = [f"columns.{s}" for s, to in t.columns if to == name]
            by += [f"fill.{f.column}" for f in t.fill if f.column == name]
            out.append(
                Difference(
                    t.target or "",
                    name,
                    "duplicate_column",
                    f"written {n} times ({', '.join(f'{where}.{b}' for b in by)})",
                    "keep one of them",
                )
            )
    return out


def _columns(
    table: str, have: catalog.Table, by_column: dict[str, values.Value], enums: Any
) -> list[Difference]:
    """Whether each written column can be written and holds its values."""
    out: list[Difference] = []
    for name, value in by_column.items():
        got = have.column(name)
        if got is not None and got.generated:
            out.append(
                Difference(
                    table,
                    name,
                    "generated",
                    f"a generated column: it cannot be written (from {value.origin})",
                    "leave it out (PostgreSQL computes it)",
                )
            )
        elif got is not None:
            out += fits.fits(table, got, value, enums)
    return out


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
