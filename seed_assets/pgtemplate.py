"""A ready-made embedded cluster, copied into a new data directory instead of running ``initdb``.

``initdb`` takes one to two seconds on a small machine, and Dagster's storage schema, which every
new server gets on its first ``seed up``, half a second more. Both come out the same every time
for a given PostgreSQL build, Dagster version and set of development settings. So the first
embedded server that ``seed up`` makes on a machine keeps a copy of its cluster — after
``initdb``, the development settings and the preparation the caller asks for (Dagster's storage),
stopped cleanly, before anything is seeded — and later new data directories start as a copy of
it (a tenth of a second).

The copy holds no seeded data and no Dagster runs, only empty schemas. It lives in the user cache
(``SEED_CACHE``, default ``~/.cache/seed-assets``), one directory per key of those inputs, so an
upgrade of either package makes a new one; ``SEED_CACHE=none`` turns the cache off (any other
value must be an absolute path). Concurrent builders each build their own and the first to rename
it into place wins; commands on one SEED_HOME take turns anyway
(:func:`seed_assets.embedded.start`).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from seed_assets.config import ConfigError

CACHE_ENV = "SEED_CACHE"
FORMAT = 1  # bump when what a template holds changes
# Files of a stopped cluster that belong to the server that made it, not to the cluster.
RUNTIME_FILES = ("log", ".handle_pids.json", "postmaster.pid", "postmaster.opts")


def cache_dir() -> Path | None:
    """Where templates are kept, or None when ``SEED_CACHE=none``. Any other value must be an
    absolute path (or ``~/...``): a word such as ``false`` or ``off`` is refused
    (:class:`ConfigError`) rather than taken for a directory of that name in the current one."""
    value = os.environ.get(CACHE_ENV, "").strip()
    if not value:
        import platformdirs  # imported here: only this path needs it

        return platformdirs.user_cache_path("seed-assets")
    if value.lower() == "none":
        return None
    path = Path(value).expanduser()
    if not path.is_absolute():
        raise ConfigError(
            f"{CACHE_ENV} must be an absolute directory (the cluster template's) or `none`, "
            f"got {value!r}; the memo of earlier days is switched off with SEED_MEMO=off"
        )
    return path.resolve()


def key(postgres_bin: Path, settings: dict[str, str]) -> str:
    """What a template depends on: the PostgreSQL build, Dagster's storage schema version and
    the development settings (cheap to compute: nothing is imported)."""
    binary = (postgres_bin / "postgres").stat()
    parts = {
        "format": FORMAT,
        "postgres": [str(postgres_bin), binary.st_size, binary.st_mtime_ns],
        "dagster": [_version_file(name) for name in ("dagster", "dagster_postgres")],
        "settings": sorted(settings.items()),
    }
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:16]


def _version_file(package: str) -> str:
    spec = importlib.util.find_spec(package)  # finds, does not import
    if spec is None or not spec.submodule_search_locations:
        return "absent"
    path = Path(next(iter(spec.submodule_search_locations))) / "version.py"
    return path.read_text() if path.exists() else "unknown"


def install(template: Path, pgdata: Path) -> None:
    """Copy ``template`` to ``pgdata`` (absent or an empty directory), owners and modes kept."""
    if pgdata.exists():
        pgdata.rmdir()  # empty: a data directory with files is never overwritten
    try:
        _copy(template, pgdata)
    except (OSError, subprocess.SubprocessError):
        shutil.rmtree(pgdata, ignore_errors=True)  # never half a cluster
        raise


def keep(pgdata: Path, template: Path) -> bool:
    """Copy a stopped, unseeded cluster to ``template``; False if another process was first."""
    template.parent.mkdir(parents=True, exist_ok=True)
    staging = template.with_name(f".{template.name}.{os.getpid()}.tmp")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        _copy(pgdata, staging, skip=RUNTIME_FILES)
        staging.rename(template)  # fails if another process renamed its copy into place first
    except (OSError, subprocess.SubprocessError):
        shutil.rmtree(staging, ignore_errors=True)
        return False
    return True


def _copy(src: Path, dst: Path, skip: tuple[str, ...] = ()) -> None:
    """Copy a cluster with owners and modes kept (as root the files belong to the unprivileged
    user the server runs as). ``cp -a`` where there is one: in one call, where a Python copy
    of a thousand files waits for the interpreter lock at every file while the import of Dagster
    and the shard generation hold it."""
    cp = shutil.which("cp") if os.name == "posix" else None
    if cp:
        subprocess.run([cp, "-a", str(src), str(dst)], check=True, capture_output=True)
        for name in skip:
            path = dst / name
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)
        return
    shutil.copytree(src, dst, symlinks=True, ignore=lambda _, names: set(names) & set(skip))


def provide(
    pgdata: Path,
    postgres_bin: Path,
    settings: dict[str, str],
    build: Callable[[Path], None] | None,
) -> str:
    """Fill a new ``pgdata`` from the cached template if there is one; else, given ``build``
    (which must leave a stopped, prepared cluster in the directory it is given), build it in
    ``pgdata`` and keep a copy. Returns what happened: "copied", "built" or "none"."""
    root = cache_dir()
    if root is None:
        return "none"
    template = root / f"pgdata-{key(postgres_bin, settings)}"
    if (template / "PG_VERSION").exists():
        install(template, pgdata)
        return "copied"
    if build is None:
        return "none"
    build(pgdata)
    keep(pgdata, template)
    return "built"
