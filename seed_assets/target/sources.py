"""The simulation's tables as a mapping sees them: each table's columns (their types as
PostgreSQL spells them, nullability, the table whose ids they hold), its keys and what it is
unique over, and the fixed sets of labels some text columns hold."""

from __future__ import annotations

import dataclasses

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

# What the simulation guarantees unique beyond primary keys and unique indexes (schema/ says
# so in the tables' comments): a swipe pair at most once ever, one match per pair, one
# conversation per match.
INVARIANTS: dict[str, tuple[tuple[str, ...], ...]] = {
    "likes": (("liker_id", "likee_id"),),
    "matches": (("user_a_id", "user_b_id"),),
    "conversations": (("match_id",),),
}


@dataclasses.dataclass(frozen=True)
class SourceColumn:
    name: str
    type: str  # format_type spelling of schema/'s type
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

    from seed_assets import schema
    from seed_assets.expected import format_type

    out: dict[str, SourceTable] = {}
    for t in (*schema.CATALOG, *schema.IDENTITY, *schema.ACTIVITY, *schema.DERIVED):
        logical = {c: target for c, target, _ in schema.logical_references(t)}
        columns = []
        for c in t.columns:
            ref = next((fk.column.table.name for fk in c.foreign_keys), logical.get(c.name))
            nullable = bool(c.nullable)
            columns.append(SourceColumn(c.name, format_type(c.type), nullable, ref))
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
