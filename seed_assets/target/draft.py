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

import dataclasses
import json
import re
from typing import Any

from seed_assets import catalog
from seed_assets.target.fits import enum_of, type_problem
from seed_assets.target.keys import fresh
from seed_assets.target.mapping import DEFAULT_BOOKKEEPING, DOMAINS, SourceTable, source_tables

_TABLES: dict[str, tuple[str, ...]] = {
    "users": ("account", "member", "person"),
    "profiles": ("member_profile", "user_profile", "account_profile"),
    "profile_media": ("photo", "picture", "image", "media", "profile_photo", "user_photo"),
    "interest_subjects": ("interest", "tag", "hobby"),
    "user_interests": ("account_interest", "member_interest", "profile_interest"),
    "quiz_questions": ("question",),
    "quiz_results": ("quiz_answer", "answer"),
    "likes": ("swipe", "reaction", "vote"),
    "matches": ("connection", "pair"),
    "conversations": ("chat", "thread"),
    "messages": ("chat_message",),
    "feed_seen": ("feed_view", "impression", "post_view"),
    "match_scores": ("recommendation",),
    "trending": ("trend",),
}
_COLUMNS: dict[str, tuple[str, ...]] = {
    "password_hash": ("encrypted_password", "password_digest", "password"),
    "birthdate": ("birth_date", "date_of_birth", "dob", "birthday"),
    "interested_in": ("seeking", "looking_for", "preference"),
    "intent": ("relationship_goal", "goal", "relationship_intent"),
    "bio": ("about", "about_me", "description"),
    "job_title": ("job", "occupation"),
    "height_cm": ("height",),
    "position": ("sort_order", "order", "index"),
    "url": ("image_url", "photo_url", "src"),
    "liker_id": ("from_user_id", "swiper_id", "actor_id"),
    "likee_id": ("to_user_id", "swipee_id", "target_user_id", "target_id"),
    "action": ("direction", "liked", "is_like", "type"),
    "user_a_id": ("user1_id", "user_one_id", "first_user_id"),
    "user_b_id": ("user2_id", "user_two_id", "second_user_id"),
    "started_by": ("started_by_id", "initiator_id", "created_by_id"),
    "conversation_id": ("thread_id", "chat_id"),
    "sender_id": ("author_id", "from_user_id"),
    "recipient_id": ("receiver_id", "to_user_id"),
    "body": ("content", "text"),
    "kind": ("type",),
    "created_at": ("inserted_at", "created", "created_on"),
    "subject_id": ("interest_id", "tag_id"),
    "answered_at": ("created_at",),
}
_LABELS: dict[str, tuple[str, ...]] = {
    "male": ("m", "man", "men"),
    "female": ("f", "woman", "women"),
    "nonbinary": ("non_binary", "other", "nb"),
    "everyone": ("any", "all", "both"),
    "like": ("right", "yes", "true"),
    "pass": ("dislike", "left", "no", "nope", "false"),
    "image": ("photo",),
    "voice": ("audio",),
    "long_term": ("relationship", "serious"),
}
_PEOPLE = re.compile(r"(^|_)(account|member|person)(?=_|$)")
_UPDATED = re.compile(r"(^|_)(created|inserted|updated|modified|changed)(_at|_on)?$")


def words(name: str) -> str:
    """``name`` as lower snake case with each word singular: ``userId`` -> ``user_id``,
    ``Swipes`` -> ``swipe``, ``member_profiles`` -> ``member_profile``."""
    snake = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    snake = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", snake).lower()
    parts = [p for p in re.split(r"[^a-z0-9]+", snake) if p]
    return "_".join(_singular(p) for p in parts)


def _singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
        return word[:-1]
    return word


def _people(key: str) -> str:
    return _PEOPLE.sub(r"\1user", key)


def _score(source: str, target: str, synonyms: dict[str, tuple[str, ...]]) -> float:
    """1 for the same name (case and number aside), less for a guess, 0 for no match."""
    s, t = words(source), words(target)
    if s == t:
        return 1.0
    if _people(s) == _people(t):
        return 0.9
    if t in synonyms.get(source, ()) or _people(t) in synonyms.get(source, ()):
        return 0.8
    return 0.0


@dataclasses.dataclass
class Entry:
    key: str
    value: Any
    comment: str = ""


@dataclasses.dataclass
class Section:
    path: tuple[str, ...]
    entries: list[Entry]
    comment: str = ""


@dataclasses.dataclass
class Draft:
    header: list[str]
    sections: list[Section]
    guesses: int
    unmapped: list[str]  # target tables and columns nothing fills, said in comments

    def toml(self) -> str:
        lines = [f"# {h}" if h else "#" for h in self.header]
        for section in self.sections:
            if section.path:
                lines.append("")
                head = "[" + ".".join(_key(p) for p in section.path) + "]"
                lines.append(head + (f"  # {section.comment}" if section.comment else ""))
            for e in section.entries:
                if e.value is None:
                    lines.append(f"# {_key(e.key)} = ?  # {e.comment}")
                else:
                    note = f"  # {e.comment}" if e.comment else ""
                    lines.append(f"{_key(e.key)} = {_value(e.value)}{note}")
        return "\n".join(lines) + "\n"

    def yaml(self) -> str:
        lines = [f"# {h}" if h else "#" for h in self.header]
        opened: tuple[str, ...] = ()
        for section in self.sections:
            for i in range(len(section.path)):
                if opened[: i + 1] != section.path[: i + 1]:
                    note = f"  # {section.comment}" if i == len(section.path) - 1 else ""
                    lines.append("  " * i + f"{_key(section.path[i], yaml=True)}:{note}")
            opened = section.path
            indent = "  " * len(section.path)
            for e in section.entries:
                key = _key(e.key, yaml=True)
                if e.value is None:
                    lines.append(f"{indent}# {key}: ?  # {e.comment}")
                else:
                    note = f"  # {e.comment}" if e.comment else ""
                    lines.append(f"{indent}{key}: {_value(e.value)}{note}")
        return "\n".join(lines) + "\n"


def _key(key: str, *, yaml: bool = False) -> str:
    bare = re.fullmatch(r"[A-Za-z0-9_-]+", key) and key.lower() not in (
        "true",
        "false",
        "null",
        "yes",
        "no",
        "on",
        "off",
    )
    return key if bare and not (yaml and key[0].isdigit()) else json.dumps(key)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(value, ensure_ascii=False)


def draft(live: catalog.Catalog, origin: str = "the database") -> Draft:
    """The proposed mapping of every simulation table onto ``live``."""
    sources = source_tables()
    taken: set[str] = set()
    chosen: dict[str, tuple[str, float]] = {}
    pairs = sorted(
        (
            (_score(s, t, _TABLES), s, t)
            for s in sources
            for t in live.tables
            if _score(s, t, _TABLES) > 0
        ),
        key=lambda p: (-p[0], p[1], p[2]),
    )
    for score, s, t in pairs:
        if s not in chosen and t not in taken:
            chosen[s] = (t, score)
            taken.add(t)
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
        target, score = chosen[name]
        note = "" if score == 1.0 else f"guess: {name} ~ {target}"
        guesses += score < 1.0
        table_sections, n, left = _table(source, live.tables[target], live, note)
        guesses += n
        unmapped += left
        sections += table_sections
    header = [
        f"seed-assets mapping, drafted by `seed schema draft` from {origin} "
        f"(schema {live.schema!r}).",
        "Lines marked `guess` match by synonym or similar name: read them. `?` lines are what",
        "could not be mapped. Check with `seed schema check`; the format is in docs/mapping.md.",
    ]
    spare = [u.split(":")[0] for u in unmapped if ": no simulation table" in u]
    if spare:
        header.append(f"Target tables no simulation table fills (left alone): {', '.join(spare)}")
    return Draft(header, [Section((), [Entry("version", 1)]), *sections], guesses, unmapped)


def _table(
    source: SourceTable, have: catalog.Table, live: catalog.Catalog, note: str
) -> tuple[list[Section], int, list[str]]:
    guesses = 0
    unmapped: list[str] = []
    head = [Entry("table", have.name, note)]
    used: set[str] = set()
    columns: list[Entry] = []
    values: list[Section] = []
    path = ("tables", source.name)
    for col in source.columns:
        best = max(
            (
                (_score(col.name, c.name, _COLUMNS) - (0.5 if _bad_type(col, c, live) else 0), c)
                for c in have.columns
                if c.name not in used
            ),
            key=lambda p: p[0],
            default=(0.0, None),
        )
        score, target = best
        if target is None or score <= 0:
            columns.append(Entry(col.name, False, "no counterpart: left out"))
            continue
        used.add(target.name)
        comment = "" if score >= 1.0 else f"guess: {col.name} ~ {target.name}"
        guesses += score < 1.0
        if col.name == "id" and source.has_id:
            strategy = _strategy(target)
            head.append(Entry("id", strategy, f"{have.name}.{target.name} is {target.type}"))
        columns.append(Entry(col.name, target.name, comment))
        vmap = _value_map(source.name, col.name, target, live)
        if vmap is not None:
            values.append(Section((*path, "values", col.name), vmap[0], vmap[1]))
            guesses += vmap[1].startswith("guess")
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
    written = used | {f.key for f in fills}
    rest = [c.name for c in have.columns if c.name not in written]
    comment = f"not written, left to the database: {', '.join(rest)}" if rest else ""
    sections = [Section(path, head, comment), Section((*path, "columns"), columns)]
    if fills:
        sections.append(Section((*path, "fill"), fills))
    return sections + values, guesses, unmapped


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


def _label(value: str, labels: tuple[str, ...]) -> tuple[str | None, bool]:
    """The enum label for ``value`` and whether it is a guess (a synonym)."""
    norm = words(value).replace("_", "")
    for label in labels:
        if words(label).replace("_", "") == norm:
            return label, False
    for label in labels:
        if words(label) in _LABELS.get(value.lower(), ()):
            return label, True
    return None, False


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
            label, synonym = _label(v, labels)
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
            yes = _label(v, ("true",))[0] is not None
            entries.append(Entry(v, yes))
        return entries, "guess: which values are true"
    if target.type in ("smallint", "integer", "bigint"):
        entries = [Entry(v, i) for i, v in enumerate(domain)]
        return entries, "guess: an integer enum (Rails); check the app's numbering"
    return None
