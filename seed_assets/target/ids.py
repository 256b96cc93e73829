"""Target ids: the simulation's integer ids kept, or derived per run seed as a UUID, a
cuid-like text or a prefixed text."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

ID_STRATEGIES = ("keep", "uuid", "cuid", "prefixed")
ID_TEXT_LENGTH = 25  # a cuid-like id: "c" and 24 base-36 digits of the hash


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
