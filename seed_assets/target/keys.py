"""Keys a mapping's rows could break: unique keys the generated rows are not unique over,
foreign keys whose column would hold something other than the referenced table's ids."""

from __future__ import annotations

import re

from seed_assets import catalog
from seed_assets.drift import Difference
from seed_assets.target.mapping import Mapping, TableMap
from seed_assets.target.sources import SourceTable
from seed_assets.target.values import Value

_FRESH = re.compile(r"nextval\(|gen_random_uuid\(|uuid_generate_|cuid|now\(\)", re.I)


def fresh(col: catalog.Column) -> bool:
    """The database gives each row a new value (identity, a sequence, a random uuid)."""
    return bool(col.identity) or bool(col.default and _FRESH.search(col.default))


def _left_null(col: catalog.Column) -> bool:
    """Nothing writes it and the database leaves it NULL."""
    return not col.not_null and col.default is None and not col.identity and not col.generated


def unique_keys(
    t: TableMap, source: SourceTable, have: catalog.Table, values: dict[str, Value]
) -> list[Difference]:
    out = []
    guaranteed = [set(u) for u in source.unique]
    for key in have.keys:
        over: set[str] = set()
        renewed = False
        for name in key.columns:
            value = values.get(name)
            if value is None:
                col = have.column(name)
                renewed = renewed or (col is not None and fresh(col))
                # Left NULL: rows are distinct there (unless NULLS NOT DISTINCT).
                renewed = renewed or (col is not None and _left_null(col) and key.nulls_distinct)
                continue
            over |= value.unique_over
        if renewed or any(u <= over for u in guaranteed):
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


def foreign_keys(
    t: TableMap, source: SourceTable, have: catalog.Table, mapping: Mapping
) -> list[Difference]:
    """The foreign keys of ``have`` whose mapped column would not hold the referenced rows' ids."""
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
