"""`seed explain user ID` (one user regenerated, no database) and `seed verify` (read-only)."""

from __future__ import annotations

import json
import math
from typing import Any

import click
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from seed_assets import database, runs
from seed_assets import explain as explain_mod
from seed_assets import verify as verify_mod
from seed_assets.cli.common import (
    EXIT_VERIFY,
    fail,
    guarded,
    main,
)
from seed_assets.cli.options import parse_days, seed_options, seed_params
from seed_assets.config import ConfigError, SeedParams, parse_int

out = Console(highlight=False, emoji=False)


@main.group()
def explain() -> None:
    """Regenerate part of a seed without a database and print it."""


@explain.command("user")
@click.argument("user_id", metavar="ID")
@seed_options(days_default="30")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (JSON).")
@guarded
def user(user_id: str, days: str, as_json: bool, **options: Any) -> None:
    """One user and everything they did, regenerated from the seed options alone.

    Prints the rows `seed up` with the same options writes for user ID: identity, personality,
    photos, interests, quiz answers, and per day their swipes (given and received), matches,
    conversations, messages, posts and how many posts their feed showed them.
    """
    params = seed_params(**options)
    uid = parse_int("user id", user_id)
    explain_mod.check_user(params, uid)
    result = explain_mod.explain(params, uid, parse_days(days, allow_zero=True))
    if as_json:
        click.echo(json.dumps(explain_mod.to_json(result), indent=2, ensure_ascii=False))
    else:
        _print_explanation(result)


def _print_explanation(e: explain_mod.Explanation) -> None:
    profile = e.identity["profiles"].row(0, named=True)
    account = e.identity["users"].row(0, named=True)
    p = e.person
    out.print(
        f"[bold]user {e.user_id}[/]: {escape(profile['first_name'])} "
        f"{escape(profile['last_name'])}, {p['age']}, {profile['gender']} seeking "
        f"{profile['interested_in']}, {escape(profile['city'])} "
        f"(run seed {e.params.run_seed!r}, {e.params.users:,} users)"
    )
    facts = Table(show_header=False, box=None, padding=(0, 2))
    rows = [
        ("email", account["email"]),
        ("signed up", f"{account['created_at']:%Y-%m-%d %H:%M} UTC"),
        ("birthdate", str(profile["birthdate"])),
        ("intent", profile["intent"]),
        ("bio", profile["bio"] or "(none: incomplete profile)"),
        ("job", profile["job_title"] or "-"),
        ("height", f"{profile['height_cm']} cm" if profile["height_cm"] else "-"),
        (
            "personality",
            f"{p['archetype']}: sociability {p['sociability']:.2f}, selectivity "
            f"{p['selectivity']:.2f}, engagement {p['engagement']:.2f}",
        ),
        (
            "desirability",
            f"{p['desirability']:+.2f} (latent; above {p['desirability_percentile']:.0%} of users)",
        ),
        ("photos", "\n".join(e.identity["profile_media"]["url"])),
        ("interests", ", ".join(e.interests())),
    ]
    rows += [("quiz", "(not taken)")] if not e.quiz() else []
    rows += [(f"quiz {i}", f"{q['question']} -> {q['answer']}") for i, q in enumerate(e.quiz(), 1)]
    for name, value in rows:
        facts.add_row(name, escape(str(value)))
    out.print(facts)
    if not e.days:
        return
    out.print(_days_table(e))
    for day in e.days:
        lines = _day_lines(e.user_id, day)
        if lines:
            out.print(f"\n[bold]{day.date}[/]")
            for line in lines:
                out.print(f"  {line}", soft_wrap=True)


def _days_table(e: explain_mod.Explanation) -> Table:
    table = _table(f"activity of user {e.user_id}")
    table.add_column("day", no_wrap=True)
    for header in ("posts", "given L/P", "got L/P", "matches", "chats", "msgs out/in", "feed"):
        table.add_column(header, justify="right", no_wrap=True)
    for day in e.days:
        s = day.summary(e.user_id)
        table.add_row(
            str(day.date),
            str(s["posts"]),
            f"{s['likes_given']}/{s['passes_given']}",
            f"{s['likes_received']}/{s['passes_received']}",
            str(s["matches"]),
            str(s["conversations"]),
            f"{s['messages_sent']}/{s['messages_received']}",
            str(s["feed_seen"]),
        )
    return table


def _who(uid: int, other: int) -> str:
    return "you" if other == uid else f"#{other}"


def _day_lines(uid: int, day: explain_mod.Day) -> list[str]:
    """The day's events in time order, one line each (text escaped for rich markup)."""
    t = day.tables
    events: list[tuple[Any, str]] = []
    for r in t["posts"].iter_rows(named=True):
        events.append((r["created_at"], f"posted ({r['kind']}): {escape(r['body'])}"))
    for r in t["likes"].iter_rows(named=True):
        if r["liker_id"] == uid:
            events.append((r["created_at"], f"swiped {r['action']} on #{r['likee_id']}"))
        else:
            events.append((r["created_at"], f"#{r['liker_id']} swiped {r['action']} on you"))
    for r in t["matches"].iter_rows(named=True):
        other = r["user_b_id"] if r["user_a_id"] == uid else r["user_a_id"]
        events.append((r["created_at"], f"[green]matched with #{other}[/] (match {r['id']})"))
    for r in t["conversations"].iter_rows(named=True):
        who = _who(uid, r["started_by"])
        events.append((r["created_at"], f"conversation {r['id']} started by {who}"))
    for r in t["messages"].iter_rows(named=True):
        text = f"{_who(uid, r['sender_id'])} -> {_who(uid, r['recipient_id'])}: "
        events.append((r["created_at"], text + escape(r["body"])))
    events.sort(key=lambda event: event[0])
    return [f"{at:%H:%M}  {text}" for at, text in events]


@main.command()
@click.option("--calibration", type=str, help="Check this profile's targets [the seeded one].")
@guarded
def verify(calibration: str | None) -> None:
    """Measure the calibration targets on the seeded database (read-only); exit 7 if one fails.

    Match rate, message response rate, posts per active user-week, messages per match, quiz
    completion, interests and photos per user, each against the [targets] range of the
    calibration profile the database was seeded with. Metrics that need activity the database
    does not hold are shown as n/a.
    """
    url = database.resolve_url()
    with verify_mod.read_only(url) as conn:
        params = _seeded_params(conn)
        if calibration:
            params = params.replace(calibration=calibration)
        metrics = verify_mod.metrics(conn, params)
    out.print(_metrics_table(metrics, params))
    failed = [m.name for m in metrics if not m.ok]
    if failed:
        fail(EXIT_VERIFY, f"{len(failed)} outside the target range: {', '.join(failed)}")


def _seeded_params(conn: Any) -> SeedParams:
    """The parameters of the last successful `seed up`, else the SEED_* environment."""
    exists = conn.execute("SELECT to_regclass('users') IS NOT NULL").fetchone()
    if not exists or not exists[0]:
        raise ConfigError("nothing seeded here: this database has no users table")
    recorded = runs.last_params(conn)
    return recorded[0] if recorded else seed_params()


def _metrics_table(metrics: list[verify_mod.Metric], params: SeedParams) -> Table:
    table = _table(f"calibration profile {params.calibration!r}: targets")
    for header in ("metric", "value", "target", "ok"):
        table.add_column(header, justify="right" if header in ("value", "target") else "left")
        table.columns[-1].no_wrap = True
    table.add_column("detail")
    for m in metrics:
        na = math.isnan(m.value)
        status = "[dim]n/a[/]" if na else "[green]ok[/]" if m.ok else "[bold red]OUT[/]"
        table.add_row(
            m.name,
            "n/a" if na else f"{m.value:.3f}",
            f"{m.lo:g}-{m.hi:g}",
            status,
            escape(m.detail),
        )
    return table


def _table(title: str) -> Table:
    """The compact, left-titled table every section of these commands prints."""
    return Table(
        title=title, title_justify="left", box=box.SIMPLE, show_edge=False, collapse_padding=True
    )
