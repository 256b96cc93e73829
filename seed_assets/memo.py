"""An on-disk memo of the activity tier's per-day intermediates (for the write path).

A day's rows need a bounded window of earlier days' matches, their chats and first likes (the
likes its users review). All are pure functions of (parameters, day), so once computed they are
kept as ``.npz`` files, keyed by the parameters' fingerprint and a digest of the package's code
and data: appending day 31 then walks only day 31's decks, as appending day 2 does. The rows are
the same with or without the memo (``tests/test_activity_determinism.py``); a code or data change
gives a new key, so a stale entry is never read. Nothing prunes it: a new key leaves the old
files behind until ``SEED_HOME/cache`` is removed.

The generators are given a :class:`Memo` by whoever runs them (the activity asset gives
``SEED_HOME/cache``, or none with ``SEED_MEMO=off``); they default to :data:`NO_MEMO`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from seed_assets.config import SeedParams

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

T = TypeVar("T", bound="DataclassInstance")  # a dataclass of numpy arrays
_PACKAGE = Path(__file__).resolve().parent  # seed_assets/
# Its own switch (SEED_CACHE is the cluster template's directory, seed_assets/pgtemplate.py).
MEMO_ENV = "SEED_MEMO"


@dataclass(frozen=True)
class Memo:
    """Memo files under ``directory`` (None: keep nothing, compute every time)."""

    directory: Path | None = None

    @classmethod
    def from_env(cls, directory: Path, env: Mapping[str, str] = os.environ) -> Memo:
        """A memo under ``directory``, unless ``SEED_MEMO`` is off (then none)."""
        off = env.get(MEMO_ENV, "").strip().lower() in ("off", "0", "false", "no")
        return cls(None if off else directory)

    def get(
        self, kind: str, cls: type[T], params: SeedParams, day: int, compute: Callable[[], T]
    ) -> T:
        """``compute()``, a ``cls`` (a dataclass of numpy arrays), or its copy in the memo."""
        if self.directory is None:
            return compute()
        path = self.directory / f"{params.fingerprint()}-{code_digest()}" / f"{kind}-{day}.npz"
        if path.exists():
            with np.load(path) as stored:
                return cls(**{name: stored[name] for name in stored.files})
        value = compute()
        _save(path, {f.name: getattr(value, f.name) for f in dataclasses.fields(value)})
        return value


NO_MEMO = Memo()


@cache
def code_digest() -> str:
    """A digest of every source and data file of the package: any change makes a new key."""
    digest = hashlib.blake2b(digest_size=10)
    for path in sorted(_PACKAGE.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".toml", ".txt", ".csv", ".json"):
            digest.update(str(path.relative_to(_PACKAGE)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _save(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write atomically: concurrent writers of the same entry write the same bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as handle:
        np.savez(handle, **arrays)  # type: ignore[arg-type]  (the stubs take a key for allow_pickle)
    os.replace(handle.name, path)
