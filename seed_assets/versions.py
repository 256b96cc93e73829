"""Code versions: content digests of the source and data files each tier's rows depend on.

A table's code version is recorded with every partition in ``seed_manifest`` and is its asset's
Dagster ``code_version``, so a change to the code or data that shape a table marks exactly the
tables it can change as stale (in the UI and in ``seed audit``), with no version to bump by hand:

- seeded tables (catalog, identity, activity): the generators, ``rng.py``, ``scoring.py``,
  ``schema/``, the calibration profiles and the name pools;
- derived tables: all of that and the jobs (``jobs/*.py``): a change to a job marks only the
  derived tables stale.

The digest is BLAKE2b over the files' paths relative to the project (sorted, ``/``-separated)
and their bytes with line endings normalised to ``\\n``: it does not depend on the checkout's
location, file times, the platform or ``PYTHONHASHSEED``. A version reads ``1+<16 hex digits>``;
the prefix is bumped by hand only for a change the files cannot show (none so far).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from pathlib import Path

PREFIX = "1"
ROOT = Path(__file__).resolve().parent.parent  # holds seed_assets/ and jobs/ (also installed)
SUFFIXES = (".py", ".toml", ".txt", ".csv", ".json")

SEEDED_FILES = (
    "seed_assets/generators/**/*",
    "seed_assets/rng.py",
    "seed_assets/scoring.py",
    "seed_assets/schema/*",
    "seed_assets/calibration/*",
    "seed_assets/pools/**/*",
)
DERIVED_FILES = (*SEEDED_FILES, "jobs/*.py")


def source_files(root: Path, patterns: Iterable[str]) -> list[str]:
    """The files ``patterns`` match under ``root``: sorted relative POSIX paths, sources and data
    only (no ``__pycache__``, no editor or OS leftovers)."""
    found = {
        path.relative_to(root).as_posix()
        for pattern in patterns
        for path in root.glob(pattern)
        if path.is_file() and path.suffix in SUFFIXES and "__pycache__" not in path.parts
    }
    return sorted(found)


def content_digest(root: Path, patterns: Iterable[str]) -> str:
    """BLAKE2b (8 bytes, hex) of the matched files' relative paths and normalised bytes."""
    digest = hashlib.blake2b(digest_size=8)
    for name in source_files(root, patterns):
        data = (root / name).read_bytes().replace(b"\r\n", b"\n")
        for part in (name.encode(), data):
            digest.update(len(part).to_bytes(8, "big"))
            digest.update(part)
    return digest.hexdigest()


def version(root: Path, patterns: Iterable[str]) -> str:
    return f"{PREFIX}+{content_digest(root, patterns)}"


SEEDED = version(ROOT, SEEDED_FILES)
DERIVED = version(ROOT, DERIVED_FILES)


def code_version(table: str) -> str:
    """The code version of ``table``'s rows (its tier's)."""
    from seed_assets.schema import table as schema_table  # SQLAlchemy: only when asked

    return DERIVED if schema_table(table).info.get("tier") == "derived" else SEEDED


def tables_version(tables: Sequence[str]) -> str:
    """The one code version of tables written together (they must share it)."""
    found = {code_version(t) for t in tables}
    if len(found) != 1:
        raise ValueError(f"tables {list(tables)} have different code versions: {sorted(found)}")
    return found.pop()
