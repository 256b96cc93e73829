"""The parameters of a seed, validated once, with a stable fingerprint.

This is the plain-Python core of the configuration; the Dagster resource (``defs/resources.py``)
and the CLI both build a :class:`SeedParams` and never pass raw values further in. The defaults
are written once, as :class:`SeedParams`'s fields (:data:`DEFAULTS`): the resource's fields and
the CLI's help read them, and ``tests/test_config.py`` checks the README's options table.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
import re
from collections.abc import Mapping
from typing import Any

MAX_USERS = 50_000_000
MAX_SHARD_SIZE = 1_000_000
MIN_DATE = dt.date(2000, 1, 1)
MAX_DATE = dt.date(2100, 1, 1)
_SEED_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")

# Environment variables that configure a seed (the CLI and the Dagster resource read the same).
ENV = {
    "run_seed": "SEED_RUN_SEED",
    "users": "SEED_USERS",
    "shard_size": "SEED_SHARD_SIZE",
    "start_date": "SEED_START_DATE",
    "end_date": "SEED_END_DATE",
    "calibration": "SEED_CALIBRATION",
    "dev_password": "SEED_DEV_PASSWORD",
    "named_accounts": "SEED_NAMED_ACCOUNTS",
}
INT_FIELDS = ("users", "shard_size")  # the parameters that are whole numbers
MAX_NAMED_ACCOUNTS = 100
_EMAIL_RE = re.compile(r"^[a-z0-9._%+-]{1,64}@[a-z0-9-]+(\.[a-z0-9-]+)+$")


class ConfigError(ValueError):
    """A configuration value is invalid; the message is one line meant for the user."""


@dataclasses.dataclass(frozen=True)
class SeedParams:
    """Everything that determines the generated rows (besides the code version)."""

    run_seed: str = "demo"
    users: int = 10_000
    shard_size: int = 10_000
    start_date: dt.date = dt.date(2024, 1, 1)
    end_date: dt.date | None = None
    calibration: str = "spec"
    dev_password: str = dataclasses.field(default="password123", repr=False)
    # Accounts (e.g. QA testers' emails) that get deterministic minimums of activity.
    named_accounts: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not _SEED_RE.fullmatch(self.run_seed):
            raise ConfigError(
                f"run seed {self.run_seed!r} must be 1-64 characters of letters, digits, . _ : -"
            )
        if not 1 <= self.users <= MAX_USERS:
            raise ConfigError(f"users must be between 1 and {MAX_USERS:,}, got {self.users:,}")
        if not 1 <= self.shard_size <= MAX_SHARD_SIZE:
            raise ConfigError(
                f"shard size must be between 1 and {MAX_SHARD_SIZE:,}, got {self.shard_size:,}"
            )
        if self.shard_count > 10_000:
            raise ConfigError(
                f"{self.users:,} users in shards of {self.shard_size:,} makes {self.shard_count:,} "
                "shards; use a larger shard size (at most 10,000 shards)"
            )
        if not MIN_DATE <= self.start_date < MAX_DATE:
            raise ConfigError(f"start date {self.start_date} is outside {MIN_DATE}..{MAX_DATE}")
        if self.end_date is not None and not self.start_date < self.end_date <= MAX_DATE:
            raise ConfigError(
                f"end date {self.end_date} must be after start date {self.start_date}"
            )
        from seed_assets import calibration  # lazy: calibration imports ConfigError from here

        calibration.load(self.calibration)
        if not self.dev_password:
            raise ConfigError("the development password must not be empty")
        self._check_named_accounts()

    def _check_named_accounts(self) -> None:
        named = self.named_accounts
        if len(named) > min(MAX_NAMED_ACCOUNTS, self.users // 10):
            raise ConfigError(
                f"{len(named)} named accounts for {self.users:,} users: at most "
                f"{MAX_NAMED_ACCOUNTS} and at most a tenth of the population"
            )
        for email in named:
            if not _EMAIL_RE.fullmatch(email):
                raise ConfigError(f"named account {email!r} is not a lower-case email address")
        if len(set(named)) != len(named):
            raise ConfigError("named accounts must not repeat")

    @property
    def shard_count(self) -> int:
        return -(-self.users // self.shard_size)

    def fingerprint(self) -> str:
        """A stable digest of every parameter that shapes the rows: the password (hashed) and the
        calibration profile's contents (its parsed values, not only its name: editing a profile
        changes the fingerprint). The code is versioned beside it, per table
        (:mod:`seed_assets.versions`, the manifest's ``code_version``), so a change of code
        marks partitions stale without making the recorded parameters another run's."""
        from seed_assets import calibration  # lazy: calibration imports ConfigError from here

        payload = self.public_dict()
        payload.pop("end_date")  # it bounds the partitions offered, not the rows generated
        if not self.named_accounts:
            payload.pop("named_accounts")  # fingerprints from before named accounts still hold
        payload["dev_password_digest"] = hashlib.sha256(self.dev_password.encode()).hexdigest()
        profile = json.dumps(calibration.load(self.calibration), sort_keys=True, default=str)
        payload["calibration_digest"] = hashlib.sha256(profile.encode()).hexdigest()
        blob = json.dumps(payload, sort_keys=True).encode()
        return hashlib.blake2b(blob, digest_size=12).hexdigest()

    def public_dict(self) -> dict[str, Any]:
        """The parameters as JSON-ready values, without the password."""
        out = dataclasses.asdict(self)
        out.pop("dev_password")
        out["start_date"] = self.start_date.isoformat()
        out["end_date"] = self.end_date.isoformat() if self.end_date else None
        out["named_accounts"] = ",".join(self.named_accounts) or None
        return out

    def replace(self, **changes: Any) -> SeedParams:
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SeedParams:
        """Read the ``SEED_*`` environment variables; unset ones keep their defaults."""
        env = os.environ if environ is None else environ
        raw = {field: env[var] for field, var in ENV.items() if env.get(var)}
        return cls.from_strings(raw)

    @classmethod
    def from_strings(cls, raw: Mapping[str, str | int | None]) -> SeedParams:
        """Build from loosely typed values (environment, launchpad), with one-line errors."""
        values: dict[str, Any] = {}
        for name, value in raw.items():
            if value is None or value == "":
                continue
            if name in INT_FIELDS:
                values[name] = parse_int(name.replace("_", " "), value)
            elif name in ("start_date", "end_date"):
                values[name] = parse_date(name.replace("_", " "), str(value))
            elif name == "named_accounts":
                items = value.split(",") if isinstance(value, str) else value
                values[name] = tuple(e.strip().lower() for e in items if e.strip())  # type: ignore[union-attr]
            else:
                values[name] = str(value)
        return cls(**values)


# Each parameter's default (SeedParams's fields), for the resource's fields and the CLI's help.
DEFAULTS: dict[str, Any] = {f.name: f.default for f in dataclasses.fields(SeedParams)}


def parse_int(what: str, value: str | int) -> int:
    if isinstance(value, int):
        return value
    try:
        return int(value.replace("_", "").replace(",", ""))
    except ValueError:
        raise ConfigError(f"{what} must be a whole number, got {value!r}") from None


_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_date(what: str, value: str) -> dt.date:
    """Exactly YYYY-MM-DD (Python would also take 20240101 or 2024-W01-1)."""
    try:
        if not _DATE_RE.fullmatch(value.strip()):
            raise ValueError(value)
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise ConfigError(f"{what} must be a date as YYYY-MM-DD, got {value!r}") from None
