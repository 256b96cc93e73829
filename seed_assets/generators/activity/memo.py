"""An on-disk memo of the activity tier's per-day intermediates (opt-in, for the write path).

A day's rows need a bounded window of earlier days' matches, their chats and first likes (the
likes its users review). All are pure functions of (parameters, day), so once computed they are
kept as ``.npz`` files, keyed by the parameters' fingerprint and a digest of this package's code
and data: appending day 31 then walks only day 31's decks, as appending day 2 does. The rows are
the same with or without the memo (``tests/test_activity_determinism.py``); a code or data change
gives a new key, so a stale entry is never read. ``SEED_MEMO=off`` disables it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import tempfile
from collections.abc import Callable
from functools import cache, wraps
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from seed_assets.config import SeedParams

T = TypeVar("T")
_PACKAGE = Path(__file__).resolve().parents[2]  # seed_assets/
_state: dict[str, Path | None] = {"directory": None}
# Its own switch (SEED_CACHE is the cluster template's directory, seed_assets/pgtemplate.py).
MEMO_ENV = "SEED_MEMO"


def enable(directory: Path | None) -> None:
    """Keep memo files under ``directory`` (None, or ``SEED_MEMO=off``: keep nothing)."""
    off = os.environ.get(MEMO_ENV, "").strip().lower() in ("off", "0", "false", "no")
    _state["directory"] = None if off else directory


@cache
def code_digest() -> str:
    """A digest of every source and data file of the package: any change makes a new key."""
    digest = hashlib.blake2b(digest_size=10)
    for path in sorted(_PACKAGE.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".toml", ".txt", ".csv", ".json"):
            digest.update(str(path.relative_to(_PACKAGE)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _path(kind: str, params: SeedParams, day: int) -> Path | None:
    directory = _state["directory"]
    if directory is None:
        return None
    return directory / f"{params.fingerprint()}-{code_digest()}" / f"{kind}-{day}.npz"


def memoized(kind: str, cls: type[T]) -> Callable[[Callable[[SeedParams, int], T]], Any]:
    """Decorate ``f(params, day) -> cls`` (a dataclass of numpy arrays) with the disk memo."""

    def decorate(fn: Callable[[SeedParams, int], T]) -> Callable[[SeedParams, int], T]:
        @wraps(fn)
        def wrapper(params: SeedParams, day: int) -> T:
            path = _path(kind, params, day)
            if path is not None and path.exists():
                with np.load(path) as stored:
                    return cls(**{name: stored[name] for name in stored.files})
            value = fn(params, day)
            if path is not None:
                _save(path, {f.name: getattr(value, f.name) for f in dataclasses.fields(value)})  # type: ignore[arg-type]
            return value

        return wrapper

    return decorate


def _save(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write atomically: concurrent writers of the same entry write the same bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as handle:
        np.savez(handle, **arrays)  # type: ignore[arg-type]
    os.replace(handle.name, path)
