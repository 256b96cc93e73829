"""``seed schema draft``: propose a mapping from a live catalog, every guess marked.

For each simulation table the best target table by name (snake/camel/Pascal case, singular or
plural, a small synonym table: ``likes`` ~ ``Swipe``, ``users`` ~ ``accounts``), then per column
the best target column by name and type (``user_id`` ~ ``userId`` ~ ``account_id``), value maps
where enum labels match case-insensitively or by synonym (``male`` ~ ``MALE``, ``PASS`` ~
``DISLIKE``), the id strategy from the target's id column (uuid -> uuid, text -> cuid, integers ->
keep), ``updatedAt``-style NOT NULL columns without a default filled from ``created_at``. Every
match that is not an exact name is marked ``# guess``; what has no counterpart is said.

Rendered as TOML or YAML (same content). Reads the catalog only; nothing here touches a database.
"""

from __future__ import annotations

import re
from typing import Any

from seed_assets import catalog
from seed_assets.target import names
from seed_assets.target.document import Draft, Entry, Section
from seed_assets.target.fits import enum_of, type_problem
from seed_assets.target.keys import fresh
from seed_assets.target.mapping import DEFAULT_BOOKKEEPING
from seed_assets.target.names import COLUMNS, TABLES, score, words
from seed_assets.target.sources import DOMAINS, SourceTable, source_tables

_UPDATED = re.compile(r"(^|_)(created|inserted|updated|modified|changed)(_at|_on)?$")


def draft(live: catalog.Catalog, origin: str = "the database") -> Draft:
    """The proposed mapping of every simulation table onto ``live``."""
    sources = source_tables()
    chosen = _pairs(list(sources), live)
    taken = {t for t, _ in chosen.values()}
    sections = [
        Section(
            ("target",),
            [
                Entry("schema", live.schema),
                Entry(
                    "bookkeeping_schema",
                    DEFAULT_BOOKKEEPING,
                    "the seeder's runs, manifest and marker",
                ),
                Entry("jobs", True, "false: leave out every derived table of jobs/"),
            ],
        )
    ]
    guesses = 0
    unmapped = [f"{t}: no simulation table fills it" for t in sorted(live.tables) if t not in taken]
    for name, source in sources.items():
        if name not in chosen:
            sections.append(
                Section(("tables", name), [Entry("skip", True, "no counterpart found")])
            )
            continue
        target, similar = chosen[name]
        note = "" if similar == 1.0 else f"guess: {name} ~ {target}"
        guesses += similar < 1.0
        table_sections, n, left = _table(source, live.tables[target], live, note)
        guesses += n
        unmapped += left
        sections += table_sections
    header = _header(live, origin, unmapped)
    return Draft(header, [Section((), [Entry("version", 1)]), *sections], guesses, unmapped)


def _pairs(sources: list[str], live: catalog.Catalog) -> dict[str, tuple[str, float]]:
    """{simulation table: (target table, score)}: the best matches first, each table once."""
    taken: set[str] = set()
    chosen: dict[str, tuple[str, float]] = {}
    pairs = sorted(
        (
            (score(s, t, TABLES), s, t)
            for s in sources
            for t in live.tables
            if score(s, t, TABLES) > 0
        ),
        key=lambda p: (-p[0], p[1], p[2]),
    )
    for similar, s, t in pairs:
        if s not in chosen and t not in taken:
            chosen[s] = (t, similar)
            taken.add(t)
    return chosen


def _header(live: catalog.Catalog, origin: str, unmapped: list[str]) -> list[str]:
    header = [
        f"seed-assets mapping, drafted by `seed schema draft` from {origin} "
        f"(schema {live.schema!r}).",
        "Lines marked `guess` match by synonym or similar name: read them. `?` lines are what",
        "could not be mapped. Check with `seed schema check`; the format is in docs/mapping.md.",
    ]
    spare = [u.split(":")[0] for u in unmapped if ": no simulation table" in u]
    if spare:
        header.append(f"Target tables no simulation table fills (left alone): {', '.join(spare)}")
    return header


def _table(
    source: SourceTable, have: catalog.Table, live: catalog.Catalog, note: str
) -> tuple[list[Section], int, list[str]]:
    """A table's sections (table and id, columns, fills, value maps), its guesses and what in
    it nothing fills."""
    head = [Entry("table", have.name, note)]
    path = ("tables", source.name)
    columns, values, used, guesses = _columns(source, have, live, head)
    fills, n, unmapped = _fills(source, have, used)
    written = used | {f.key for f in fills}
    rest = [c.name for c in have.columns if c.name not in written]
    comment = f"not written, left to the database: {', '.join(rest)}" if rest else ""
    sections = [Section(path, head, comment), Section((*path, "columns"), columns)]
    if fills:
        sections.append(Section((*path, "fill"), fills))
    return sections + values, guesses + n, unmapped


def _columns(
    source: SourceTable, have: catalog.Table, live: catalog.Catalog, head: list[Entry]
) -> tuple[list[Entry], list[Section], set[str], int]:
    """Each source column's best target column (the id's strategy appended to ``head``), the
    value maps, the target columns used and the guesses."""
    guesses = 0
    used: set[str] = set()
    columns: list[Entry] = []
    values: list[Section] = []
    for col in source.columns:
        similar, target = max(
            (
                (score(col.name, c.name, COLUMNS) - (0.5 if _bad_type(col, c, live) else 0), c)
                for c in have.columns
                if c.name not in used
            ),
            key=lambda p: p[0],
            default=(0.0, None),
        )
        if target is None or similar <= 0:
            columns.append(Entry(col.name, False, "no counterpart: left out"))
            continue
        used.add(target.name)
        comment = "" if similar >= 1.0 else f"guess: {col.name} ~ {target.name}"
        guesses += similar < 1.0
        if col.name == "id" and source.has_id:
            strategy = _strategy(target)
            head.append(Entry("id", strategy, f"{have.name}.{target.name} is {target.type}"))
        columns.append(Entry(col.name, target.name, comment))
        vmap = _value_map(source.name, col.name, target, live)
        if vmap is not None:
            values.append(Section(("tables", source.name, "values", col.name), vmap[0], vmap[1]))
            guesses += vmap[1].startswith("guess")
    return columns, values, used, guesses


def _fills(
    source: SourceTable, have: catalog.Table, used: set[str]
) -> tuple[list[Entry], int, list[str]]:
    """Fills for the NOT NULL columns without a default nothing maps to, the guesses and the
    columns left without one."""
    guesses = 0
    unmapped: list[str] = []
    fills: list[Entry] = []
    timestamps = [c.name for c in source.columns if c.type.startswith("timestamp")]
    for c in have.columns:
        if c.name in used or (c.filled_without_value and words(c.name) != "age"):
            continue
        key = words(c.name)
        if _UPDATED.search(key) and timestamps:
            fills.append(Entry(c.name, timestamps[0], "NOT NULL without default"))
        elif _UPDATED.search(key):
            fills.append(Entry(c.name, "start_date()", "guess: no timestamp generated here"))
            guesses += 1
        elif key == "age" and source.column("birthdate"):
            fills.append(Entry(c.name, "age(birthdate, start_date())", "guess: age at start"))
            guesses += 1
        elif have.primary_key and have.primary_key.columns == (c.name,) and not fresh(c):
            over = ", ".join(source.primary_key)
            fills.append(Entry(c.name, f"hash({over})", "guess: a key of its own"))
            guesses += 1
        else:
            fills.append(Entry(c.name, None, f"{c.type} NOT NULL without default: fill it"))
            unmapped.append(f"{have.name}.{c.name}: NOT NULL without default, nothing fills it")
    return fills, guesses, unmapped


def _bad_type(col: Any, target: catalog.Column, live: catalog.Catalog) -> bool:
    if col.references or (col.name == "id"):
        return False  # ids: the strategy decides
    if enum_of(target.type, live.enums) or (col.type == "text" and target.type == "boolean"):
        return False  # a value map
    if col.type == "text" and target.type in ("integer", "smallint", "bigint"):
        return False  # maybe an integer enum (Rails)
    return type_problem(col.type, target.type) is not None and not target.type.startswith(
        "character"
    )


def _strategy(target: catalog.Column) -> str:
    if target.type == "uuid":
        return "uuid"
    if target.type in ("smallint", "integer", "bigint", "numeric"):
        return "keep"
    return "cuid"


def _value_map(
    table: str, column: str, target: catalog.Column, live: catalog.Catalog
) -> tuple[list[Entry], str] | None:
    domain = DOMAINS.get((table, column))
    if domain is None:
        return None
    enum = enum_of(target.type, live.enums)
    if enum is not None:
        labels = live.enums[enum[0]]
        entries, guess = [], False
        for v in domain:
            label, synonym = names.label(v, labels)
            if label is None:
                entries.append(
                    Entry(v, None, f"no label matches; {enum[0]} has {', '.join(labels)}")
                )
                guess = True
            else:
                entries.append(Entry(v, label, "guess" if synonym else ""))
                guess = guess or synonym
        if all(e.value == e.key for e in entries):
            return None
        return entries, ("guess: " if guess else "") + f"labels of enum {enum[0]}"
    if target.type == "boolean":
        entries = []
        for v in domain:
            yes = names.label(v, ("true",))[0] is not None
            entries.append(Entry(v, yes))
        return entries, "guess: which values are true"
    if target.type in ("smallint", "integer", "bigint"):
        entries = [Entry(v, i) for i, v in enumerate(domain)]
        return entries, "guess: an integer enum (Rails); check the app's numbering"
    return None
