"""One repetition of one size: the CLI calls on databases A and B, the raw limit, the peer."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg
from psycopg import sql
from rich.console import Console

from bench import pg, rawload, seedcli
from bench.activity.sizes import ACTIVITY, DERIVED, RUN_SEED, START, TABLES, Size, day_key
from seed_assets import database, ddl, generators, guard, schema

CATALOG = [t.name for t in schema.CATALOG]
PROJECT = Path(__file__).resolve().parents[2]
PEER_TIMEOUT_S = 3600.0
Manifest = dict[tuple[str, str], tuple[int, str]]


@dataclasses.dataclass(frozen=True)
class PeerRun:
    """Wall seconds of the peer script's process and its per-table (rows, seconds)."""

    seconds: float
    tables: dict[str, tuple[int, float]]


@dataclasses.dataclass(frozen=True)
class DatabaseA:
    """``seed up`` of D days, the raw limit of its rows, days D+1 and D+2, audit, repair."""

    up: seedcli.CliRun
    counts: dict[str, int]  # rows per table after `seed up`
    derived: int  # rows of the derived tables after `seed up` plus after the appends (0)
    server: str
    raw: rawload.RawLimit
    appends: dict[int, seedcli.CliRun]  # day number -> the `seed extend --days 1` adding it
    added: dict[str, int]  # activity rows after the two appends minus after `seed up`
    manifest: Manifest
    audit: seedcli.CliRun
    repair: seedcli.CliRun


@dataclasses.dataclass(frozen=True)
class DatabaseB:
    """``seed up --days 1``, day 2 appended, and the series (when it ran)."""

    up: seedcli.CliRun
    appends: dict[int, seedcli.CliRun]  # day 2, and day 2D with the series
    bulk: dict[int, seedcli.CliRun]  # day reached -> the multi-day `seed extend` reaching it
    manifest: Manifest


@dataclasses.dataclass(frozen=True)
class Rep:
    a: DatabaseA
    b: DatabaseB
    peer: PeerRun | None

    def append(self, day: int) -> seedcli.CliRun | None:
        return self.a.appends.get(day) or self.b.appends.get(day)

    def day_rows(self, day: int) -> float:
        """Activity rows of appended day ``day``, per the manifest of the database that
        appended it."""
        manifest = self.a.manifest if day in self.a.appends else self.b.manifest
        return float(sum(manifest.get((t, day_key(day)), (0, ""))[0] for t in ACTIVITY))


class Runner:
    """Runs the CLI calls of one size and repetition, logging each to its own file."""

    def __init__(self, size: Size, rep: int, log_dir: Path, console: Console) -> None:
        self.size, self.rep, self.log_dir, self.console = size, rep, log_dir, console

    def cli(self, home: Path, step: str, *args: str) -> seedcli.CliRun:
        log = self.log_dir / f"{self.size.name}-rep{self.rep}-{step}.log"
        run = seedcli.run_cli(list(args), home, log)
        failed = "" if run.returncode == 0 else f" [red]FAILED (exit {run.returncode})[/]"
        self.console.print(
            f"  {step}: seed {' '.join(args)}: {run.seconds:.2f} s, "
            f"peak RSS {run.peak_rss_mb:,.0f} MB{failed}",
            highlight=False,
        )
        return run.checked()

    def up(self, home: Path, step: str, days: int) -> seedcli.CliRun:
        users, d = str(self.size.users), str(days)
        args = ("up", "--json", "--users", users, "--days", d, "--run-seed", RUN_SEED)
        return self.cli(home, step, *args, "--skip-jobs")

    def extend(self, home: Path, step: str, days: int) -> seedcli.CliRun:
        return self.cli(home, step, "extend", "--days", str(days), "--skip-jobs")


def database_a(runner: Runner) -> DatabaseA:
    """``seed up``, the raw limit, days D+1 and D+2 appended, audit, one day repaired."""
    d = runner.size.days
    with pg.fresh_home("bench-activity-") as home:
        pgdata = home / "seed" / "pgdata"
        up = runner.up(home, "up", d)
        with pg.attached_server(pgdata) as url:
            counts = pg.count_rows(url, TABLES)
            derived = sum(pg.count_rows(url, DERIVED).values())
            server = pg.server_version(url)
            # The limit: exactly the rows `seed up` made, before anything is appended.
            raw = rawload.raw_limit(url, [*CATALOG, *TABLES], home / "raw")
        runner.console.print(
            f"  raw limit: COPY {raw.timing.load_s:.2f} s + indexes/FKs/ANALYZE "
            f"{raw.constraints_s:.2f} s, {raw.timing.rows:,} rows",
            highlight=False,
        )
        appends = {day: runner.extend(home, f"append-day{day}", 1) for day in (d + 1, d + 2)}
        with pg.attached_server(pgdata) as url:
            after = pg.count_rows(url, ACTIVITY)
            derived += sum(pg.count_rows(url, DERIVED).values())
            manifest = pg.manifest(url, ACTIVITY)
        audit = runner.cli(home, "audit", "audit")
        with pg.attached_server(pgdata) as url, database.connection(url, autocommit=True) as conn:
            # a fifth of one day's likes deleted, for `seed repair` to rewrite
            conn.execute("DELETE FROM likes WHERE day = %s AND id %% 5 = 0", [day_key(d // 2)])
        repair = runner.cli(home, "repair-one-day", "repair")
    added = {t: after[t] - counts[t] for t in ACTIVITY}
    return DatabaseA(up, counts, derived, server, raw, appends, added, manifest, audit, repair)


def database_b(runner: Runner, series: bool) -> DatabaseB:
    """``seed up --days 1``, day 2 appended, and with ``series`` the extends to day D, to day
    2D-1 and day 2D appended alone."""
    d = runner.size.days
    with pg.fresh_home("bench-activity-") as home:
        up1 = runner.up(home, "up-1day", 1)
        appends = {2: runner.extend(home, "append-day2", 1)}
        bulk: dict[int, seedcli.CliRun] = {}
        if series:  # sizes have D >= 4
            bulk[d] = runner.extend(home, f"extend-to-day{d}", d - 2)
            bulk[2 * d - 1] = runner.extend(home, f"extend-to-day{2 * d - 1}", d - 1)
            appends[2 * d] = runner.extend(home, f"append-day{2 * d}", 1)
        with pg.attached_server(home / "seed" / "pgdata") as url:
            manifest = pg.manifest(url, ACTIVITY)
    return DatabaseB(up1, appends, bulk, manifest)


def prepare(conn: psycopg.Connection, url: str, start: dt.date, days: int) -> None:
    """Migrate an empty database as an app would before the peer script runs: the schema with
    its indexes and foreign keys, the interest catalog, the likes day partitions."""
    guard.ensure_writable(conn, url, "bench peer")
    ddl.ensure_schema(conn)
    for name, make in generators.CATALOG.items():
        frame = make()
        query = sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
            sql.Identifier(name),
            sql.SQL(", ").join(map(sql.Identifier, frame.columns)),
            sql.SQL(", ").join(sql.Placeholder() * frame.width),
        )
        with conn.cursor() as cur:
            cur.executemany(query, frame.rows())
    for d in range(days):
        lo = start + dt.timedelta(days=d)
        conn.execute(
            sql.SQL("CREATE TABLE {} PARTITION OF likes FOR VALUES FROM ({}) TO ({})").format(
                sql.Identifier(f"likes_p{lo:%Y%m%d}"),
                sql.Literal(lo),
                sql.Literal(lo + dt.timedelta(days=1)),
            )
        )


def measure_peer(runner: Runner, likes: int) -> PeerRun:
    """The peer script (``python -m bench.peer``) on a fresh server migrated by :func:`prepare`
    (untimed); its process is timed from start to exit."""
    size = runner.size
    log = runner.log_dir / f"{size.name}-rep{runner.rep}-peer.log"
    out = log.with_suffix(".json")
    argv = [sys.executable, "-m", "bench.peer", f"--users={size.users}", f"--days={size.days}"]
    argv += [f"--likes={likes}", f"--start-date={START}", f"--json={out}"]
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    with (
        pg.fresh_home("bench-activity-") as home,
        pg.attached_server(home / "seed" / "pgdata") as url,
    ):
        with database.connection(url, autocommit=True) as conn:
            prepare(conn, url, START, size.days)
        with log.open("wb") as sink:
            t0 = time.perf_counter()
            done = subprocess.run(
                [*argv, f"--url={url}"],
                cwd=PROJECT,
                env=env,
                stdout=sink,
                stderr=subprocess.STDOUT,
                timeout=PEER_TIMEOUT_S,
            )
            seconds = time.perf_counter() - t0
    if done.returncode != 0:
        raise RuntimeError(f"the peer seed script exited with {done.returncode}; see {log}")
    reported = json.loads(out.read_text())["tables"]
    tables = {t: (int(v["rows"]), float(v["seconds"])) for t, v in reported.items()}
    runner.console.print(f"  peer: python -m bench.peer: {seconds:.2f} s", highlight=False)
    return PeerRun(seconds, tables)


def one_rep(runner: Runner, series: bool, with_peer: bool) -> Rep:
    """Databases A and B of one repetition, then the peer when asked."""
    a = database_a(runner)
    b = database_b(runner, series)
    return Rep(a, b, measure_peer(runner, a.counts["likes"]) if with_peer else None)
