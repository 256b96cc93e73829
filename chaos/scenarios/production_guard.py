"""The guard: every write command refused with exit 5 and nothing written on a database that is
not the seed's, in a production environment, or on a non-local host (before any connection)."""

from __future__ import annotations

from collections.abc import Callable

from chaos.harness import UP, Lab, Listener
from chaos.scenarios.references import References
from chaos.scenarios.trial import EXIT_GUARD, EXTEND1, REPAIR, Result, Trial

# (label, what to create in the database, extra environment, environment of the seed marker)
GuardCase = tuple[str, Callable[[str], None] | None, dict[str, str], str | None]

PRODUCTION_NAMES = ["prod1", "production2", "prodeu", "live2"]


def _write_commands(db: str, refs: References) -> list[list[str]]:
    return [
        UP,
        EXTEND1,
        ["jobs"],
        REPAIR,
        ["reset", "--scope", "activity", "--confirm", db],
        ["load", "--from", str(refs.export)],
        ["init", "--confirm", db],
    ]


def _refuse_all(
    lab: Lab,
    trial: Trial,
    db: str,
    commands: list[list[str]],
    env: dict[str, str],
    skip_init: bool = False,
) -> None:
    before = lab.snapshot(db)
    for args in commands:
        if skip_init and args[0] == "init":
            continue
        out = trial.seen(lab.run(args, env))
        trial.refused(out, EXIT_GUARD, before, after := lab.snapshot(db))
        before = after


def _cases(lab: Lab) -> list[GuardCase]:
    cases: list[GuardCase] = [
        (
            "tables only in schema app",
            lambda db: lab.sql(
                db,
                "CREATE SCHEMA app",
                "CREATE TABLE app.accounts (id bigint PRIMARY KEY)",
                "INSERT INTO app.accounts VALUES (1), (2)",
            ),
            {},
            None,
        ),
        ("only a sequence", lambda db: lab.sql(db, "CREATE SEQUENCE orders_seq"), {}, None),
    ]
    for name in PRODUCTION_NAMES:
        cases.append((f"SEED_ENVIRONMENT={name}", None, {"SEED_ENVIRONMENT": name}, None))
        cases.append((f"marker {name}", None, {}, name))
    return cases


def guard(lab: Lab, refs: References, commands_per_name: int | None = None) -> Result:
    """Every guard case refused with exit 5 and nothing written: tables only in another schema,
    only a sequence, production names as SEED_ENVIRONMENT and as the marker, a non-local host
    (a listener on 127.0.0.2 counts the connections: none)."""
    result = Result("guard", "the guard refuses")
    for case in _cases(lab):
        _guard_case(lab, refs, Trial(result, lab, case[0]), case, commands_per_name)
    _non_local_host(lab, refs, result)
    return result


def _guard_case(
    lab: Lab, refs: References, trial: Trial, case: GuardCase, commands_per_name: int | None
) -> None:
    _, setup, extra, marker = case
    db = lab.create_db(refs.up if marker else None)
    if setup:
        setup(db)
    if marker:
        lab.sql(db, f"UPDATE seed_marker SET environment = '{marker}'")
    home = lab.home()
    commands = _write_commands(db, refs)
    if commands_per_name and (marker or extra):
        commands = [c for c in commands if c[0] in ("up", "extend", "init")][:commands_per_name]
    if extra:  # an empty database: `init` on it is refused for the environment
        _refuse_all(lab, trial, db, commands, lab.env(db, home, extra))
    else:
        # `init --confirm` is the documented way to adopt a foreign database: not a refusal
        _refuse_all(lab, trial, db, commands, lab.env(db, home), skip_init=not marker)
        if not marker:
            out = trial.seen(lab.run(["init"], lab.env(db, home)))
            trial.refused(out, EXIT_GUARD, lab.snapshot(db), lab.snapshot(db))
    trial.done()
    lab.drop_db(db)
    lab.cleanup_home(home)


def _non_local_host(lab: Lab, refs: References, result: Result) -> None:
    """A non-local host, for every command: refused before any connection."""
    try:
        listener = Listener("127.0.0.2")
    except OSError as exc:
        result.notes.append(f"non-local host skipped: cannot listen on 127.0.0.2 ({exc})")
        return
    try:
        home = lab.home()
        url = f"postgresql://chaos_user:{lab.password or 'x'}@{listener.host}:{listener.port}/chaos"
        # every command, the read-only ones too (documented: checked before every connection)
        for args in [*_write_commands("chaos", refs), ["audit"], ["verify"]]:
            trial = Trial(result, lab, f"host 127.0.0.2: seed {args[0]}")
            before = listener.count
            env = lab.env(None, home, {"DATABASE_URL": url})
            out = trial.seen(lab.run(args, env))
            trial.check(out.code == EXIT_GUARD, f"expected exit 5: {out.brief()}")
            trial.check(out.one_line(), f"not one line: {out.brief()}")
            opened = listener.count - before
            result.counts["connections"] += opened
            trial.check(opened == 0, f"{opened} connection(s) to 127.0.0.2 before refusing")
            trial.done()
        lab.cleanup_home(home)
    finally:
        listener.close()
