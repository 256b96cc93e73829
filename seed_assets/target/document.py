"""A drafted mapping as a document: sections of entries with their comments, rendered as
TOML or YAML (same content); an entry without a value is a ``?`` line to fill in."""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any


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
