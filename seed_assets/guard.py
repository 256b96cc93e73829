"""The guard: nothing destructive touches a database that seed-assets did not set up.

A database is ours when it holds the one-row ``seed_marker`` table (written by ``seed init``, or
implicitly by the first write into an empty database). Every write path calls
:func:`ensure_writable` first; it refuses, before anything is written, when

- the host is neither local (a Unix socket, ``localhost``, ``127.0.0.1``, ``::1``) nor listed in
  ``SEED_ALLOWED_HOSTS`` (comma-separated host names);
- the marker, or ``SEED_ENVIRONMENT``, names a production environment (a name that starts with
  ``prod``, ``prd`` or ``live``: ``prod``, ``production2``, ``prodeu``, ``live-eu``);
- the database holds tables, views, sequences or types in any schema but no marker (someone
  else's database).

The host is checked by :func:`seed_assets.database.connect` before every connection, so no
command reaches a host that is not allowed.
"""

from __future__ import annotations

import dataclasses
import os
import re
import uuid
from importlib import metadata as importlib_metadata
from typing import Final

import psycopg
from psycopg.conninfo import conninfo_to_dict

from seed_assets import GENERATOR_VERSION
from seed_assets.config import ConfigError

ENVIRONMENT_ENV = "SEED_ENVIRONMENT"
ALLOWED_HOSTS_ENV = "SEED_ALLOWED_HOSTS"
DEFAULT_ENVIRONMENT = "development"
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", ""}
# A production name: one that starts with a production word (prod, production, prd, live).
_PRODUCTION = re.compile(r"^(prod|prd|live)", re.IGNORECASE)
_ENVIRONMENT = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,39}$")


class Refused(RuntimeError):
    """The guard refused a write; the message is one line naming the reason and the way out."""


@dataclasses.dataclass(frozen=True)
class Marker:
    install_id: str
    environment: str
    tool_version: str
    schema_fingerprint: str


def tool_version() -> str:
    try:
        package = importlib_metadata.version("seed-assets")
    except importlib_metadata.PackageNotFoundError:
        package = "unknown"
    return f"seed-assets {package}, generator {GENERATOR_VERSION}"


def schema_fingerprint() -> str:
    """A digest of the schema seed-assets expects (``drift.fingerprint``: every table's columns,
    types, NOT NULL, defaults and primary key). The marker records it when it is written, and a
    write command whose schema check passed brings it up to date; the check itself compares the
    live catalog (``drift.check``), which says what differs, where a fingerprint could only say
    that something does."""
    from seed_assets import drift

    return drift.fingerprint()


def is_production(environment: str) -> bool:
    return bool(_PRODUCTION.match(environment.strip()))


def hosts(url: str) -> list[str]:
    """The hosts a URL or conninfo string connects to: its ``hostaddr`` addresses, else its host
    names (a Unix socket directory counts as local; none at all is the default socket)."""
    try:
        params = conninfo_to_dict(url)
    except psycopg.Error:
        raise Refused("the database URL cannot be parsed, so its host cannot be checked") from None
    found: list[str] = []
    for key in ("host", "hostaddr"):
        found += [h.strip() for h in str(params.get(key) or "").split(",") if h.strip()]
    return found or [""]


def check_host(url: str) -> None:
    allowed = {h.strip() for h in os.environ.get(ALLOWED_HOSTS_ENV, "").split(",") if h.strip()}
    for host in hosts(url):
        if host.startswith("/") or host in LOCAL_HOSTS or host in allowed:
            continue
        raise Refused(
            f"host {host!r} is not local and not in {ALLOWED_HOSTS_ENV}; "
            "add it there if this database is meant to be seeded"
        )


def database_name(conn: psycopg.Connection) -> str:
    row = conn.execute("SELECT current_database()").fetchone()
    return str(row[0]) if row else "?"


def read_marker(conn: psycopg.Connection) -> Marker | None:
    row = conn.execute("SELECT to_regclass('seed_marker') IS NOT NULL").fetchone()
    if not row or not row[0]:
        return None
    found = conn.execute(
        "SELECT install_id, environment, tool_version, schema_fingerprint FROM seed_marker"
    ).fetchone()
    return Marker(*found) if found else None


# Schemas every database has: the catalogs, TOAST and temporary schemas (all named pg_*).
_USER_SCHEMA: Final = "n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'"
_HAS_OBJECTS: Final = f"""
SELECT EXISTS (
    SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE {_USER_SCHEMA} AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
) OR EXISTS (
    SELECT 1 FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
    LEFT JOIN pg_class c ON c.oid = t.typrelid
    WHERE {_USER_SCHEMA}
      AND (t.typtype IN ('e', 'd', 'r', 'm', 'b') OR (t.typtype = 'c' AND c.relkind = 'c'))
      AND t.typelem = 0
)
"""


def has_tables(conn: psycopg.Connection) -> bool:
    """Whether the database holds anything of someone's: a table, view, sequence or foreign table
    in any schema but the system ones, or a type (enum, domain, range, composite) of its own."""
    row = conn.execute(_HAS_OBJECTS).fetchone()
    return bool(row and row[0])


def environment_from_env() -> str:
    return os.environ.get(ENVIRONMENT_ENV) or DEFAULT_ENVIRONMENT


def check_environment() -> None:
    """Refuse when ``SEED_ENVIRONMENT`` names a production environment (before any connection,
    and before an embedded server's cluster is made)."""
    _check_environment(environment_from_env(), ENVIRONMENT_ENV)


def _check_environment(environment: str, where: str) -> None:
    if is_production(environment):
        raise Refused(f"{where} names a production environment ({environment!r}); refusing")


def init(conn: psycopg.Connection, url: str, environment: str | None = None) -> Marker:
    """Write the marker (idempotent: an existing marker is kept and returned)."""
    check_host(url)
    environment = environment or environment_from_env()
    if not _ENVIRONMENT.fullmatch(environment):
        raise ConfigError(
            f"environment name {environment!r} must be a short word (letters, digits)"
        )
    _check_environment(environment, "the environment")
    if (existing := read_marker(conn)) is not None:
        _check_environment(existing.environment, "this database's seed marker")
        return existing
    from seed_assets import ddl
    from seed_assets.schema import seed_marker

    marker = Marker(uuid.uuid4().hex, environment, tool_version(), schema_fingerprint())
    # One transaction: a process killed here leaves no marker table without its row (which would
    # make the database look like someone else's: tables, no marker).
    with conn.transaction():
        ddl.create_table(conn, seed_marker)
        conn.execute(
            "INSERT INTO seed_marker (id, install_id, environment, tool_version, "
            "schema_fingerprint) VALUES (1, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING",
            [marker.install_id, marker.environment, marker.tool_version, marker.schema_fingerprint],
        )
    return read_marker(conn) or marker


def ensure_writable(
    conn: psycopg.Connection, url: str, action: str, *, adopt_empty: bool = True
) -> Marker:
    """Refuse ``action`` unless this database is ours and not production. Call before anything
    is written. With ``adopt_empty``, an empty database is made ours (the marker is written)."""
    check_host(url)
    _check_environment(environment_from_env(), ENVIRONMENT_ENV)
    marker = read_marker(conn)
    if marker is None:
        name = database_name(conn)
        if has_tables(conn):
            raise Refused(
                f"{action}: database {name!r} holds tables or other objects but no seed-assets "
                f"marker; if it is meant for seeding, run `seed init --confirm {name}` first"
            )
        if not adopt_empty:
            raise Refused(
                f"{action}: database {name!r} is empty and has no seed-assets marker "
                "(nothing is seeded here: `seed up` seeds it)"
            )
        return init(conn, url)
    _check_environment(marker.environment, "this database's seed marker")
    return marker
