"""An export's ``manifest.json``: what it holds, checked before anything is read or written.

The manifest names the format, the seed parameters with their fingerprint, the generator
version, and for every (table, partition) its row count, digest and files (paths relative to the
export directory). A half-written export is staged in ``DIR/.partial`` and only moved into place,
manifest last, once every file is written.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from pathlib import Path
from typing import Any

from seed_assets import GENERATOR_VERSION, partitions
from seed_assets.config import ENV, ConfigError, SeedParams
from seed_assets.file_formats import FORMATS
from seed_assets.load import Provenance
from seed_assets.partitions import Partition
from seed_assets.schema import ACTIVITY, CATALOG, DERIVED, IDENTITY
from seed_assets.schema import table as schema_table

MANIFEST = "manifest.json"
STAGING = ".partial"
MANIFEST_VERSION = 1
EXPORTABLE = [t.name for t in (*CATALOG, *IDENTITY, *ACTIVITY)]
_DIGEST = re.compile(r"^[0-9a-f]{32}$")


@dataclasses.dataclass(frozen=True)
class Entry:
    """One partition of one table in an export."""

    partition: str
    rows: int
    digest: str
    files: list[str]


@dataclasses.dataclass(frozen=True)
class Manifest:
    format: str
    params: SeedParams
    fingerprint: str
    days: int
    shard_rows: int
    tables: dict[str, list[Entry]]  # in load order: catalog, identity, activity

    def provenance(self) -> Provenance:
        return Provenance(self.params.run_seed, self.fingerprint, GENERATOR_VERSION)

    def partition(self, table: str, key: str) -> Partition:
        """The partition a manifest key names (ValueError if the key does not fit the table)."""
        return partitions.of_table(table, key, self.params)

    def to_json(self) -> dict[str, Any]:
        return {
            "manifest_version": MANIFEST_VERSION,
            "format": self.format,
            "generator_version": GENERATOR_VERSION,
            "params": {**self.params.public_dict(), "fingerprint": self.fingerprint},
            "days": self.days,
            "shard_rows": self.shard_rows,
            "tables": {t: [dataclasses.asdict(e) for e in es] for t, es in self.tables.items()},
        }

    def commit(self, out_dir: Path, previous: set[str]) -> None:
        """Move the staged files into ``out_dir``, drop the previous export's leftovers, and
        write the manifest last."""
        staging = out_dir / STAGING
        written: set[str] = set()
        for table, entries in self.tables.items():
            (out_dir / table).mkdir(exist_ok=True)
            for name in (n for e in entries for n in e.files):
                os.replace(staging / name, out_dir / name)
                written.add(name)
        for name in previous - written:
            (out_dir / name).unlink(missing_ok=True)
        for table in {n.split("/")[0] for n in previous}:
            folder = out_dir / table
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
        staged = staging / MANIFEST
        staged.write_text(json.dumps(self.to_json(), indent=1) + "\n")
        os.replace(staged, out_dir / MANIFEST)


def choose_tables(spec: str | None, days: int) -> list[str]:
    """The tables to export, in load order: all seeded ones by default (activity with days)."""
    if spec is None:
        return [t for t in EXPORTABLE if days or t not in {a.name for a in ACTIVITY}]
    names = {s.strip() for s in spec.split(",") if s.strip()}
    if not names:
        raise ConfigError("--tables names no table")
    if derived := sorted(names & {t.name for t in DERIVED}):
        raise ConfigError(
            f"derived tables are not exported ({', '.join(derived)}); "
            "`seed jobs` computes them after a load"
        )
    if unknown := sorted(names - set(EXPORTABLE)):
        raise ConfigError(f"unknown tables {unknown}; choose from {EXPORTABLE}")
    if not days and (activity := sorted(names & {a.name for a in ACTIVITY})):
        raise ConfigError(f"activity tables ({', '.join(activity)}) need --days of at least 1")
    return [t for t in EXPORTABLE if t in names]


def check_export(
    out_dir: Path, fmt: str, shard_rows: int, tables: str | None, days: int
) -> tuple[list[str], set[str]]:
    """Refuse bad options before anything is written: (the tables, the previous export's files)."""
    chosen = choose_tables(tables, days)
    if shard_rows < 1:
        raise ConfigError(f"shard rows must be at least 1, got {shard_rows:,}")
    return chosen, check_out_dir(out_dir, fmt)


def check_out_dir(out_dir: Path, fmt: str) -> set[str]:
    """Refuse an unknown format or a directory that holds anything but an export of ``fmt``;
    return the files of the previous export there (empty when there is none)."""
    if fmt not in FORMATS:
        raise ConfigError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    if out_dir.exists() and not out_dir.is_dir():
        raise ConfigError(f"{out_dir} is a file, not a directory")
    if not out_dir.exists() or not [p for p in out_dir.iterdir() if p.name != STAGING]:
        return set()
    try:
        old = json.loads((out_dir / MANIFEST).read_text())
        old_format, old_tables = old["format"], old["tables"]
    except (OSError, ValueError, KeyError, TypeError):
        raise ConfigError(
            f"{out_dir} is not empty and holds no seed export; choose a new or empty directory"
        ) from None
    if old_format != fmt:
        raise ConfigError(
            f"{out_dir} holds a {old_format} export; choose another directory for {fmt}"
        )
    return {
        name
        for table, entries in old_tables.items()
        if table in EXPORTABLE
        for entry in entries
        for name in entry.get("files", [])
        if _safe_name(table, name, fmt)
    }


def _safe_name(table: str, name: object, fmt: str) -> bool:
    """A file of the table's folder: ``<table>/<file>.<fmt>``, nothing outside the export."""
    if not isinstance(name, str):
        return False
    folder, _, file = name.partition("/")
    return folder == table and bool(file) and "/" not in file and file.endswith(f".{fmt}")


def read_manifest(src_dir: Path) -> Manifest:
    """Read and check an export's manifest, its parameters and that every file is there."""
    path = src_dir / MANIFEST
    if not src_dir.is_dir():
        raise ConfigError(f"{src_dir}: no such directory")
    if not path.is_file():
        raise ConfigError(f"{src_dir} holds no {MANIFEST}: it is not a seed export")
    try:
        raw = json.loads(path.read_text())
        return _parse(raw, src_dir)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        if isinstance(exc, ConfigError):
            raise
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError(f"{path} is not a valid export manifest ({first})") from None


def _parse(raw: dict[str, Any], src_dir: Path) -> Manifest:
    fmt = raw["format"]
    if fmt not in FORMATS:
        raise ValueError(f"format {fmt!r} is not one of {', '.join(FORMATS)}")
    if raw["generator_version"] != GENERATOR_VERSION:
        raise ConfigError(
            f"{src_dir} was exported by generator version {raw['generator_version']!r}, this "
            f"is version {GENERATOR_VERSION!r}; export it again"
        )
    recorded = dict(raw["params"])
    fingerprint = str(recorded.pop("fingerprint"))
    recorded["dev_password"] = os.environ.get(ENV["dev_password"])
    params = SeedParams.from_strings(recorded)
    if params.fingerprint() != fingerprint:
        raise ConfigError(
            f"{src_dir} was exported with another SEED_DEV_PASSWORD or other contents of "
            f"calibration profile {params.calibration!r}; set them as they were to load it"
        )
    if unknown := sorted(set(raw["tables"]) - set(EXPORTABLE)):
        raise ValueError(f"tables {unknown} cannot be loaded")
    manifest = Manifest(fmt, params, fingerprint, int(raw["days"]), int(raw["shard_rows"]), {})
    for table in (t for t in EXPORTABLE if t in raw["tables"]):
        entries = [Entry(**e) for e in raw["tables"][table]]
        for e in entries:
            manifest.partition(table, e.partition)  # raises if the key does not fit
            if not isinstance(e.rows, int) or e.rows < 0 or not _DIGEST.match(str(e.digest)):
                raise ValueError(f"{table}[{e.partition}] has a bad row count or digest")
            if not e.files or not all(_safe_name(table, n, fmt) for n in e.files):
                raise ValueError(f"{table}[{e.partition}] lists no files or files outside {table}/")
            if missing := [n for n in e.files if not (src_dir / n).is_file()]:
                raise ConfigError(f"{src_dir} is incomplete: {missing[0]} is missing")
        manifest.tables[table] = entries
    return manifest


def references_missing(tables: list[str]) -> list[str]:
    """Tables that ``tables`` refer to by foreign key but that are not among them."""
    referred = {fk.column.table.name for t in tables for fk in schema_table(t).foreign_keys}
    return sorted(referred - set(tables))
