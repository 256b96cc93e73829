"""The `seed` command: the seed graph in-process, on an embedded PostgreSQL or DATABASE_URL."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import wraps
from typing import Any

import click
from rich.console import Console

from seed_assets import GENERATOR_VERSION, database, ddl, runs
from seed_assets.config import ENV, ConfigError, SeedParams
from seed_assets.report import RichProgress, timings_table

# Exit codes: distinct per kind of refusal, so scripts can tell them apart.
EXIT_CONFIG = 2
EXIT_DATABASE = 3
EXIT_RUN = 4

err = Console(stderr=True)


def _fail(code: int, message: str) -> None:
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    sys.exit(code)


def _guarded(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn known errors into one redacted line and a distinct exit code."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from seed_assets.orchestrate import RunFailed

        try:
            return fn(*args, **kwargs)
        except ConfigError as exc:
            _fail(EXIT_CONFIG, str(exc))
        except database.DatabaseError as exc:
            _fail(EXIT_DATABASE, database.redact(str(exc), os.environ.get("DATABASE_URL")))
        except RunFailed as exc:
            _fail(EXIT_RUN, database.redact(str(exc), os.environ.get("DATABASE_URL")))

    return wrapper


def _params(**options: Any) -> SeedParams:
    """Options override the SEED_* environment, which overrides the defaults."""
    base = SeedParams.from_env().public_dict()
    merged = {**base, **{k: v for k, v in options.items() if v is not None}}
    merged["dev_password"] = os.environ.get(ENV["dev_password"]) or None
    return SeedParams.from_strings(merged)


def _dagster_instance() -> Any:
    from seed_assets import orchestrate  # dagster is slow to import: only when running

    return orchestrate.dagster_instance()


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(GENERATOR_VERSION, prog_name="seed-assets (generator version)")
def main() -> None:
    """Deterministic synthetic data for a dating/social app, seeded into PostgreSQL.

    The target database is DATABASE_URL, or else an embedded PostgreSQL kept in ./.seed
    (SEED_HOME). Every option can also be given as a SEED_* environment variable.
    """


@main.command()
@click.option("--users", "--count", "users", type=str, help="Population size [SEED_USERS; 10000].")
@click.option("--run-seed", type=str, help="Seed of all randomness [SEED_RUN_SEED; demo].")
@click.option("--shard-size", type=str, help="Users per identity partition [10000].")
@click.option("--start-date", type=str, help="First simulated day, YYYY-MM-DD [2024-01-01].")
@click.option("--calibration", type=str, help="Calibration profile [spec].")
@_guarded
def up(**options: Any) -> None:
    """Seed the catalog and every identity shard, then print rows per table.

    Runs the same Dagster assets as the UI, in this process. On an empty database the tables are
    loaded bare and indexes and foreign keys are built once at the end. The development password
    every user gets is SEED_DEV_PASSWORD (default password123).
    """
    params = _params(**options)
    started = time.perf_counter()
    # Importing Dagster and opening its instance take seconds: do it while the database starts.
    background = ThreadPoolExecutor(max_workers=1)
    instance_future = background.submit(_dagster_instance)
    url = database.resolve_url()
    with database.connection(url, autocommit=True) as conn:
        bulk = ddl.is_empty(conn)
        ddl.ensure_schema(conn, bare=bulk)
        run_id = f"cli-{uuid.uuid4()}"
        runs.start(conn, run_id, "seed up", params)
    err.print(
        f"seeding {params.users:,} users (run seed {params.run_seed!r}, {params.shard_count} "
        f"shard(s)) into {database.redact(url)}",
        highlight=False,
    )
    from seed_assets import orchestrate

    instance = instance_future.result()
    background.shutdown()
    with RichProgress(err) as progress:
        resources = orchestrate.resources(params, url, bulk=bulk, progress=progress)
        try:
            timings = orchestrate.run_tiers(
                params, resources, instance, ["params", "catalog", "identity"]
            )
        except Exception:
            with database.connection(url, autocommit=True) as conn:
                runs.finish(conn, run_id, "failure", {})
            raise
    extra: list[tuple[str, float]] = []
    if bulk:
        t0 = time.perf_counter()
        ddl.finish_bulk_load(url)
        extra.append(("indexes, foreign keys, ANALYZE", time.perf_counter() - t0))
    with database.connection(url, autocommit=True) as conn:
        runs.finish(conn, run_id, "success", {t.table: t.rows for t in timings})
    Console().print(timings_table(timings, extra, time.perf_counter() - started))


@main.command()
@click.option("--port", default=3000, show_default=True, help="Port for the web UI.")
@_guarded
def ui(port: int) -> None:
    """Start the Dagster UI (webserver and daemon) on the same database and instance."""
    from seed_assets import orchestrate

    url = database.resolve_url()
    orchestrate.dagster_instance()  # sets DAGSTER_HOME and writes its dagster.yaml
    env = {**os.environ, "DATABASE_URL": os.environ.get("DATABASE_URL") or url}
    cmd = [sys.executable, "-m", "dagster", "dev", "-m", "seed_assets.definitions", "-p", str(port)]
    err.print(f"Dagster UI on http://127.0.0.1:{port} (Ctrl-C to stop)")
    sys.exit(subprocess.call(cmd, env=env))
