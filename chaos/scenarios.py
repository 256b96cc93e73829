"""The scenarios of issue 13, each a function of the lab, its references and a trial count.

Every scenario returns a :class:`Result`: trials, passed, and each failed trial with its
reasons. A trial passes when every check holds: the tables equal the reference partition by
partition (0 missing, 0 half-written, 0 doubled), `seed audit` exits 0, a refusal exits with the
documented code and one line and writes nothing, no output holds a secret, no embedded server is
left running without an owner.
"""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

from chaos.harness import (
    POPULATION,
    START,
    UP,
    Diff,
    Interrupted,
    Lab,
    Listener,
    Outcome,
    Snapshot,
    compare,
    embedded_snapshot,
    half_written_days,
    nothing_written,
    postmaster_pid,
    same,
    stop_orphan,
)

EXTEND2 = ["extend", "--days", "2"]
EXTEND1 = ["extend", "--days", "1"]
REPAIR = ["repair"]
EXIT_CONFIG, EXIT_DATABASE, EXIT_RUN, EXIT_GUARD, EXIT_GAPS = 2, 3, 4, 5, 6


@dataclasses.dataclass
class Result:
    name: str
    title: str
    trials: int = 0
    passed: int = 0
    failures: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    counts: Counter = dataclasses.field(default_factory=Counter)
    notes: list[str] = dataclasses.field(default_factory=list)
    seconds: float = 0.0
    skipped: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["counts"] = dict(self.counts)
        return out


class Trial:
    """Collects one trial's problems; passed when there are none."""

    def __init__(self, result: Result, lab: Lab, label: str) -> None:
        self.result, self.lab, self.label = result, lab, label
        self.problems: list[str] = []
        self.details: dict[str, Any] = {}

    def check(self, ok: bool, problem: str) -> bool:
        if not ok:
            self.problems.append(problem)
        return ok

    def seen(self, outcome: Outcome) -> Outcome:
        """Scan an outcome for secrets and tracebacks of refusals (every outcome goes here)."""
        leaks = self.lab.leaks(outcome)
        if leaks:
            self.result.counts["secrets"] += len(leaks)
            self.problems.append(f"a password in the output of {outcome.brief()}")
        return outcome

    def diff(self, ref: Snapshot, got: Snapshot) -> bool:
        d: Diff = compare(ref, got)
        self.result.counts["missing"] += len(d.missing)
        self.result.counts["half_written"] += len(d.half_written)
        self.result.counts["doubled"] += len(d.doubled)
        self.result.counts["differs"] += len(d.differs)
        self.result.counts["extra"] += len(d.extra) + len(d.manifest)
        days = half_written_days(got, ref)
        self.result.counts["half_written_days"] += len(days)
        if d:
            self.details["diff"] = d.summary()
            self.problems.append("tables differ from the reference")
        return not d

    def refused(
        self, outcome: Outcome, code: int, before: Snapshot, after: Snapshot, one_line: bool = True
    ) -> None:
        """A refusal: the code, one line (or, for a diff, no traceback), and nothing written."""
        self.check(outcome.code == code, f"expected exit {code}: {outcome.brief()}")
        if one_line:
            self.check(outcome.one_line(), f"not one line on stderr: {outcome.brief()}")
        else:
            self.check(
                bool(outcome.error_lines) and "Traceback" not in outcome.stderr,
                f"no message, or a traceback: {outcome.brief()}",
            )
        changes = nothing_written(before, after)
        if changes:
            self.result.counts["writes_after_refusal"] += 1
            self.problems.append(f"wrote after a refusal ({', '.join(changes)}): {outcome.brief()}")

    def done(self) -> bool:
        self.result.trials += 1
        if self.problems:
            self.result.failures.append(
                {"trial": self.label, "problems": self.problems[:8], **self.details}
            )
        else:
            self.result.passed += 1
        return not self.problems


@dataclasses.dataclass
class References:
    """Clean runs of the same seed, kept as template databases, with their snapshots."""

    up: str  # seed up: 300 users, 5 days
    ext1: str  # then seed extend --days 1
    ext2: str  # then seed extend --days 2
    damaged: str  # the 5-day seed with some partitions damaged
    snaps: dict[str, Snapshot]
    seconds: dict[str, float]
    export: Path  # `seed export` of the same seed (for `seed load`)


def damage(lab: Lab, db: str) -> None:
    """Rows of a day, half a shard, a manifest row and a derived shard, gone."""
    lab.sql(
        db,
        "DELETE FROM likes WHERE day = '2024-01-03'",
        "DELETE FROM user_interests WHERE user_id BETWEEN 101 AND 150",
        "DELETE FROM seed_manifest WHERE table_name = 'messages' AND partition_key = '2024-01-02'",
        "DELETE FROM user_traits WHERE user_id <= 100",
    )


def prepare(lab: Lab) -> References:
    """The reference databases (every later trial database is a copy of one of them)."""
    seconds: dict[str, float] = {}

    def clean(name: str, args: list[str], template: str | None) -> str:
        db = lab.create_db(template)
        home = lab.home()
        out = lab.run(args, lab.env(db, home))
        lab.cleanup_home(home)
        if out.code != 0:
            raise RuntimeError(f"reference {name} failed: {out.brief()}")
        seconds[name] = out.seconds
        return db

    up = clean("up", UP, None)
    ext1 = clean("extend1", EXTEND1, up)
    ext2 = clean("extend2", EXTEND2, up)
    damaged = lab.create_db(up)
    damage(lab, damaged)
    repaired = clean("repair", REPAIR, damaged)
    snaps = {n: lab.snapshot(db) for n, db in [("up", up), ("ext1", ext1), ("ext2", ext2)]}
    snaps["damaged"] = lab.snapshot(damaged)
    snaps["repaired"] = lab.snapshot(repaired)
    lab.drop_db(repaired)
    export = lab.workdir / "export"
    home = lab.home()
    out = lab.run(
        ["export", "--out", str(export), *POPULATION, *START, "--days", "5"], lab.env(None, home)
    )
    lab.cleanup_home(home)
    if out.code != 0:
        raise RuntimeError(f"reference export failed: {out.brief()}")
    return References(up, ext1, ext2, damaged, snaps, seconds, export)


# -- kills -----------------------------------------------------------------------------------


def kills(lab: Lab, refs: References, command: str, trials: int) -> Result:
    """SIGKILL of `seed up|extend|repair` at a uniformly random moment, then the same command
    again: every partition as in the reference, and `seed audit` clean."""
    args, template, pre_name, ref_name = {
        "up": (UP, None, None, "up"),
        "extend": (EXTEND2, refs.up, "up", "ext2"),
        "repair": (REPAIR, refs.damaged, "damaged", "up"),
    }[command]
    # the reference's own clean repair must reach the reference
    ok = command != "repair" or same(refs.snaps["repaired"], refs.snaps["up"])
    result = Result(
        f"kill_{command}",
        f"kill -9 of `seed {' '.join(args[:3]) if command == 'extend' else command}`, rerun",
    )
    if not ok:
        result.notes.append("a clean `seed repair` does not give the reference")
    duration = refs.seconds[{"up": "up", "extend": "extend2", "repair": "repair"}[command]]
    ref = refs.snaps[ref_name]
    pre = refs.snaps[pre_name] if pre_name else None
    for i in range(trials):
        trial = Trial(result, lab, f"{command} #{i + 1}")
        db = lab.create_db(template)
        home = lab.home()
        env = lab.env(db, home)
        moment = lab.rng.uniform(0.0, duration)
        first = trial.seen(lab.run(args, env, kill_after=moment))
        trial.details["kill_at_s"] = round(moment, 2)
        trial.details["killed"] = first.killed
        if not first.killed:  # the reference run was slower: later moments from this run's length
            result.counts["finished_before_the_kill"] += 1
            duration = min(duration, first.seconds)
        mid = lab.snapshot(db)
        state = (
            "reference"
            if same(mid, ref)
            else "before"
            # (for `up`: no row in any seeded table; empty tables are not a half-written seed)
            if (pre is not None and same(mid, pre))
            or (pre is None and not any(mid.tables.values()))
            else "half-written"
        )
        trial.details["after_kill"] = state
        result.counts[f"kill_left_{state.replace('-', '_')}"] += 1
        audit = trial.seen(lab.run(["audit"], env))
        if state == "half-written":
            trial.check(audit.code != 0, f"`seed audit` exits {audit.code} on a half-written state")
        if not first.killed:
            trial.check(first.code == 0, f"unkilled run failed: {first.brief()}")
        rerun = first.killed and not (
            command == "extend" and state == "reference" and audit.code == 0
        )
        if rerun:
            again = trial.seen(lab.run(args, env))
            trial.check(again.code == 0, f"the rerun failed: {again.brief()}")
        trial.diff(ref, lab.snapshot(db))
        final = trial.seen(lab.run(["audit"], env))
        trial.check(final.code == 0, f"final audit: {final.brief()}")
        trial.done()
        lab.drop_db(db)
        lab.cleanup_home(home)
    return result


def killed_embedded(lab: Lab, refs: References, trials: int) -> Result:
    """kill -9 of `seed up` on the embedded server: the next command stops the server when it
    finds it running with no live owner, and the rerun gives the reference."""
    result = Result("kill_embedded", "kill -9 of `seed up` (embedded server), next command")
    duration = refs.seconds["up"] + 2.0  # the embedded start
    for i in range(trials):
        trial = Trial(result, lab, f"embedded #{i + 1}")
        home = lab.home()
        env = lab.env(None, home)
        moment = lab.rng.uniform(0.5, duration)
        first = trial.seen(lab.run(UP, env, kill_after=moment))
        trial.details["kill_at_s"] = round(moment, 2)
        later = trial.seen(lab.run(["audit"], env))
        trial.details["audit_after_kill"] = later.code
        orphan = postmaster_pid(home)
        if orphan is not None:
            result.counts["orphans"] += 1
            trial.problems.append(
                f"the embedded server (pid {orphan}) left running by `seed audit`"
            )
            stop_orphan(home)
        if first.killed:
            again = trial.seen(lab.run(UP, env))
            trial.check(again.code == 0, f"the rerun failed: {again.brief()}")
        if postmaster_pid(home) is not None:
            result.counts["orphans"] += 1
            trial.problems.append("the embedded server left running after the rerun")
            stop_orphan(home)
        trial.diff(refs.snaps["up"], embedded_snapshot(home, env))
        stop_orphan(home)
        trial.done()
        lab.cleanup_home(home)
    return result


# -- concurrency -----------------------------------------------------------------------------


def _together(lab: Lab, commands: list[tuple[list[str], dict[str, str]]]) -> list[Outcome]:
    runs = [lab.start(args, env) for args, env in commands]
    return [lab.finish(run) for run in runs]


def concurrent_extends(lab: Lab, refs: References, trials: int) -> Result:
    """Two `seed extend --days 1` at once on a 5-day seed: 7 days equal to the reference, or the
    second refuses with exit 5 and one line (then 6 days equal to the reference)."""
    result = Result("concurrent_extend", "two `seed extend --days 1` at once")
    for i in range(trials):
        trial = Trial(result, lab, f"extend pair #{i + 1}")
        db = lab.create_db(refs.up)
        shared = i % 2 == 0  # alternately one SEED_HOME for both, or one each
        homes = [lab.home()] if shared else [lab.home(), lab.home()]
        envs = [lab.env(db, homes[0]), lab.env(db, homes[-1])]
        trial.details["homes"] = "one" if shared else "two"
        a, b = (trial.seen(o) for o in _together(lab, [(EXTEND1, envs[0]), (EXTEND1, envs[1])]))
        codes = sorted([a.code, b.code], key=lambda c: -1 if c is None else c)
        trial.details["exits"] = [a.code, b.code]
        if codes == [0, 0]:
            trial.diff(refs.snaps["ext2"], lab.snapshot(db))
        elif codes == [0, EXIT_GUARD]:
            refused = a if a.code == EXIT_GUARD else b
            trial.check(refused.one_line(), f"refusal not one line: {refused.brief()}")
            trial.diff(refs.snaps["ext1"], lab.snapshot(db))
        else:
            trial.problems.append(f"exits {codes}: {a.brief()} / {b.brief()}")
            trial.diff(refs.snaps["ext2"], lab.snapshot(db))
        audit = trial.seen(lab.run(["audit"], envs[0]))
        trial.check(audit.code == 0, f"audit: {audit.brief()}")
        trial.done()
        lab.drop_db(db)
        for home in homes:
            lab.cleanup_home(home)
    return result


def concurrent_ups(lab: Lab, refs: References, trials: int) -> Result:
    """Two `seed up` at once on a new SEED_HOME: with the embedded server, and with
    DATABASE_URL. Both succeed (or one refuses with exit 5), and the tables are the reference's."""
    result = Result("concurrent_up", "two `seed up` at once on a new home")
    for i in range(trials):
        for mode in ("embedded", "DATABASE_URL"):
            trial = Trial(result, lab, f"{mode} #{i + 1}")
            home = lab.home()
            db = lab.create_db() if mode == "DATABASE_URL" else None
            env = lab.env(db, home)
            a, b = (trial.seen(o) for o in _together(lab, [(UP, env), (UP, env)]))
            trial.details["exits"] = [a.code, b.code]
            codes = sorted([-1 if c is None else c for c in (a.code, b.code)])
            ok = codes in ([0, 0], [0, EXIT_GUARD])
            trial.check(ok, f"exits {codes}: {a.brief()} / {b.brief()}")
            if codes == [0, EXIT_GUARD]:
                refused = a if a.code == EXIT_GUARD else b
                trial.check(refused.one_line(), f"refusal not one line: {refused.brief()}")
            audit = trial.seen(lab.run(["audit"], env))
            trial.check(audit.code == 0, f"audit: {audit.brief()}")
            if mode == "embedded":
                if postmaster_pid(home) is not None:
                    result.counts["orphans"] += 1
                    trial.problems.append("the embedded server left running")
                    stop_orphan(home)
                try:
                    trial.diff(refs.snaps["up"], embedded_snapshot(home, env))
                except RuntimeError as exc:
                    trial.problems.append(str(exc))
                stop_orphan(home)
            else:
                assert db is not None
                trial.diff(refs.snaps["up"], lab.snapshot(db))
                lab.drop_db(db)
            trial.done()
            lab.cleanup_home(home)
    return result


def repair_beside_extend(lab: Lab, refs: References, trials: int) -> Result:
    """`seed repair` and `seed extend --days 2` at once on a damaged 5-day seed: neither reports
    a gap that is not real; a command refused with exit 5 is run again; 7 days as the reference."""
    result = Result("repair_beside_extend", "`seed repair` beside `seed extend`")
    # One after the other first (extend, then repair): the order the race can take, without it.
    trial = Trial(result, lab, "extend, then repair")
    db = lab.create_db(refs.damaged)
    home = lab.home()
    env = lab.env(db, home)
    for args in (EXTEND2, REPAIR):
        out = trial.seen(lab.run(args, env))
        trial.check(out.code == 0, out.brief())
    trial.diff(refs.snaps["ext2"], lab.snapshot(db))
    audit = trial.seen(lab.run(["audit"], env))
    trial.check(audit.code == 0, f"audit: {audit.brief()}")
    trial.done()
    lab.drop_db(db)
    lab.cleanup_home(home)
    for i in range(trials):
        trial = Trial(result, lab, f"repair+extend #{i + 1}")
        db = lab.create_db(refs.damaged)
        homes = [lab.home(), lab.home()]
        envs = [lab.env(db, h) for h in homes]
        outs = [trial.seen(o) for o in _together(lab, [(REPAIR, envs[0]), (EXTEND2, envs[1])])]
        trial.details["exits"] = [o.code for o in outs]
        for out, args, env in zip(outs, (REPAIR, EXTEND2), envs, strict=True):
            if out.code == EXIT_GUARD:
                trial.check(out.one_line(), f"refusal not one line: {out.brief()}")
                again = trial.seen(lab.run(args, env))
                trial.check(again.code == 0, f"run again: {again.brief()}")
            else:
                trial.check(out.code == 0, f"{out.brief()}")
        trial.diff(refs.snaps["ext2"], lab.snapshot(db))
        audit = trial.seen(lab.run(["audit"], envs[0]))
        trial.check(audit.code == 0, f"audit: {audit.brief()}")
        trial.done()
        lab.drop_db(db)
        for home in homes:
            lab.cleanup_home(home)
    return result


# -- drift -----------------------------------------------------------------------------------

DRIFTS = {
    "drop likes.action": ["ALTER TABLE likes DROP COLUMN action"],
    "add likes.note NOT NULL": [
        "ALTER TABLE likes ADD COLUMN note text NOT NULL DEFAULT ''",
        "ALTER TABLE likes ALTER COLUMN note DROP DEFAULT",
    ],
    "likes.liker_id bigint->integer": ["ALTER TABLE likes ALTER COLUMN liker_id TYPE integer"],
    "likes.created_at timestamptz->timestamp": [
        "ALTER TABLE likes ALTER COLUMN created_at TYPE timestamp"
    ],
    "likes.action text->varchar(4)": ["ALTER TABLE likes ALTER COLUMN action TYPE varchar(4)"],
}


def drift(lab: Lab, refs: References, commands: int | None = None) -> Result:
    """Every drift case: each write command (the first ``commands`` of them) exits 2 with
    nothing written; `seed audit` exits 6; `seed audit --deep` does not crash."""
    result = Result("drift", "schema drift refused")
    writes = [EXTEND1, UP, REPAIR, ["jobs"], ["load", "--from", str(refs.export)]][:commands]
    for case, statements in DRIFTS.items():
        trial = Trial(result, lab, case)
        db = lab.create_db(refs.up)
        lab.sql(db, *statements)
        home = lab.home()
        env = lab.env(db, home)
        before = lab.snapshot(db)
        for args in writes:
            out = trial.seen(lab.run(args, env))
            # the drift's diff: a header line, then one line per difference (documented)
            trial.refused(out, EXIT_CONFIG, before, after := lab.snapshot(db), one_line=False)
            trial.check("likes" in out.stderr, f"the diff does not name the table: {out.brief()}")
            before = after
        audit = trial.seen(lab.run(["audit"], env))
        trial.check(audit.code == EXIT_GAPS, f"audit: {audit.brief()}")
        trial.check("drift" in audit.stdout + audit.stderr, "audit does not name the drift")
        deep = trial.seen(lab.run(["audit", "--deep"], env))
        trial.check(
            deep.code == EXIT_GAPS and "Traceback" not in deep.stderr,
            f"audit --deep: {deep.brief()}",
        )
        trial.done()
        lab.drop_db(db)
        lab.cleanup_home(home)
    return result


# -- the guard -------------------------------------------------------------------------------

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


def guard(lab: Lab, refs: References, commands_per_name: int | None = None) -> Result:
    """Every guard case refused with exit 5 and nothing written: tables only in another schema,
    only a sequence, production names as SEED_ENVIRONMENT and as the marker, a non-local host
    (a listener on 127.0.0.2 counts the connections: none)."""
    result = Result("guard", "the guard refuses")
    cases: list[tuple[str, Callable[[str], None] | None, dict[str, str], str | None]] = [
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
    for label, setup, extra, marker in cases:
        trial = Trial(result, lab, label)
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
    # a non-local host, for every write command: refused before any connection
    try:
        listener = Listener("127.0.0.2")
    except OSError as exc:
        result.notes.append(f"non-local host skipped: cannot listen on 127.0.0.2 ({exc})")
        return result
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
    return result


# -- bad input -------------------------------------------------------------------------------

MALFORMED = "postgresql://chaos_user:Chaos-S3cret@[::1/x"
MYSQL = "mysql://chaos_user:My-S3cret-Pw@localhost/chaos"
SECRETS = ["Chaos-S3cret", "My-S3cret-Pw", "Pct/S3cret", "Port-S3cret", "Sock-S3cret"]


def bad_inputs(
    db_empty: str, db_seeded: str, out_dir: Path
) -> list[tuple[str, list[str], dict[str, str], str, int | set[int]]]:
    """(label, args, extra environment, target: empty|seeded|none, expected exit code)."""
    up = ["up", *POPULATION[2:]]  # everything but --users, given per case
    cases: list[tuple[str, list[str], dict[str, str], str, int | set[int]]] = []

    def add(
        label: str,
        args: list[str],
        target: str = "empty",
        code: int | set[int] = EXIT_CONFIG,
        env: dict[str, str] | None = None,
    ) -> None:
        cases.append((label, args, env or {}, target, code))

    for value in ["", "-5", "0", "99999999999", "abc", "1.5", " "]:
        add(f"--users {value!r}", [*up, "--users", value])
    for value in ["", "-1", "0", "abc"]:
        add(f"--shard-size {value!r}", ["up", "--users", "300", "--shard-size", value])
    add("--run-seed ''", ["up", "--users", "300", "--run-seed", ""])
    for value in ["", "-1", "99999", "two"]:
        add(f"up --days {value!r}", ["up", "--users", "300", "--days", value])
    for value in ["20240101", "2024-13-01", "2024-02-30", "", "yesterday", "01/01/2024"]:
        add(f"--start-date {value!r}", ["up", "--users", "300", "--start-date", value])
    for value in ["nosuch", "", "../../etc/passwd"]:
        add(f"--calibration {value!r}", ["up", "--users", "300", "--calibration", value])
    add("SEED_USERS=-1", ["up"], env={"SEED_USERS": "-1"})
    add("SEED_START_DATE=20240101", ["up", "--users", "300"], env={"SEED_START_DATE": "20240101"})
    for value in ["", "0", "-1", "99999", "x"]:
        add(f"extend --days {value!r}", ["extend", "--days", value], "seeded")
    for value in ["", "nosuch", "match_scores,nosuch", ","]:
        add(f"jobs --only {value!r}", ["jobs", "--only", value], "seeded")
    add(
        "reset --scope everything",
        ["reset", "--scope", "everything", "--confirm", db_seeded],
        "seeded",
    )
    add(
        "reset --confirm wrong",
        ["reset", "--scope", "activity", "--confirm", "wrong"],
        "seeded",
        EXIT_GUARD,
    )
    add("verify --calibration nosuch", ["verify", "--calibration", "nosuch"], "seeded")
    add("export --format xml", ["export", "--out", str(out_dir / "x"), "--format", "xml"], "none")
    add(
        "export --shard-rows 0",
        ["export", "--out", str(out_dir / "y"), "--shard-rows", "0"],
        "none",
    )
    add("export --out ''", ["export", "--out", ""], "none")
    add("load --from missing", ["load", "--from", str(out_dir / "missing")])
    add("load --from ''", ["load", "--from", ""])
    add("explain user -1", ["explain", "user", "-1", "--users", "300"], "none")
    add("explain user 301 of 300", ["explain", "user", "301", "--users", "300"], "none")
    for args in (
        ["up", "--users", "300"],
        EXTEND1,
        ["jobs"],
        ["audit"],
        ["init"],
        REPAIR,
        ["reset", "--scope", "all", "--confirm", "x"],
        ["verify"],
    ):
        add(f"malformed URL: seed {args[0]}", args, "none", env={"DATABASE_URL": MALFORMED})
    add("mysql:// URL", ["up", "--users", "300"], "none", env={"DATABASE_URL": MYSQL})
    add("mysql:// URL: audit", ["audit"], "none", env={"DATABASE_URL": MYSQL})
    add(
        "unreachable port",
        ["audit"],
        "none",
        EXIT_DATABASE,
        env={"DATABASE_URL": "postgresql://chaos_user:Port-S3cret@127.0.0.1:1/chaos"},
    )
    add(
        "percent-encoded password",
        ["audit"],
        "none",
        EXIT_DATABASE,
        env={"DATABASE_URL": "postgresql://chaos_user:Pct%2FS3cret@127.0.0.1:1/chaos"},
    )
    add(
        "missing socket",
        ["audit"],
        "none",
        EXIT_DATABASE,
        env={"DATABASE_URL": "postgresql://chaos_user:Sock-S3cret@/chaos?host=/nonexistent-dir"},
    )
    add(
        "one-letter password",
        ["audit"],
        "none",
        EXIT_DATABASE,
        env={"DATABASE_URL": "postgresql://chaos_user:1@127.0.0.1:1/chaosdb"},
    )
    return cases


def bad_input(lab: Lab, refs: References, workers: int = 2) -> Result:
    """Each bad input: the documented exit code, one line on stderr, no password in any output,
    nothing written."""
    result = Result("bad_input", "bad input refused")
    lab.secrets.update(SECRETS)
    empty = lab.create_db()
    seeded = lab.create_db(refs.up)
    out_dir = lab.workdir / "bad-input"
    out_dir.mkdir(exist_ok=True)
    before = {"empty": lab.snapshot(empty), "seeded": lab.snapshot(seeded)}
    cases = bad_inputs(empty, seeded, out_dir)
    outcomes: dict[int, Outcome] = {}
    lock = threading.Lock()
    queue = list(enumerate(cases))

    def worker() -> None:
        while True:
            with lock:
                if not queue:
                    return
                index, (_, args, extra, target, _) = queue.pop(0)
            db = {"empty": empty, "seeded": seeded}.get(target)
            with lock:
                case_home = lab.home()  # its own, in case a bad input is (wrongly) run
            outcomes[index] = lab.run(args, lab.env(db, case_home, extra), timeout=120)
            lab.cleanup_home(case_home)

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if lab.stopping:
        raise Interrupted("interrupted")
    for index, (label, _, _, _, code) in enumerate(cases):
        trial = Trial(result, lab, label)
        out = trial.seen(outcomes[index])
        codes = code if isinstance(code, set) else {code}
        trial.check(out.code in codes, f"expected exit {sorted(codes)}: {out.brief()}")
        trial.check(out.one_line(), f"not one line on stderr: {out.brief()}")
        if label == "one-letter password":
            text = out.stderr.replace("chaos_user:***@", "")
            trial.check(
                "***" not in text and "127.0.0.1" in text and "chaosdb" in text,
                f"redaction mangles other text: {out.brief()}",
            )
        trial.done()
    for target, db in (("empty", empty), ("seeded", seeded)):
        changes = nothing_written(before[target], lab.snapshot(db))
        if changes:
            result.counts["writes_after_refusal"] += 1
            result.failures.append({"trial": f"the {target} database", "problems": changes})
        lab.drop_db(db)
    stray = [p.name for p in out_dir.iterdir()]
    if stray:
        result.failures.append({"trial": "export directory", "problems": [f"written: {stray}"]})
    shutil.rmtree(out_dir, ignore_errors=True)
    return result


# -- infrastructure failures -----------------------------------------------------------------


def killed_backend(lab: Lab, refs: References, trials: int) -> Result:
    """pg_terminate_backend of the seed's writer connection mid-run: exit 4 with one line; the
    rerun gives the reference."""
    result = Result("killed_backend", "the writer's backend terminated")
    for i in range(trials):
        trial = Trial(result, lab, f"backend #{i + 1}")
        for _attempt in range(4):
            db = lab.create_db()
            home = lab.home()
            env = lab.env(db, home)
            run = lab.start(UP, env)
            victim = _terminate_writer(lab, db, run.proc)
            out = trial.seen(lab.finish(run))
            if victim is not None:
                break
            lab.drop_db(db)
            lab.cleanup_home(home)
        else:
            trial.problems.append("no writing backend caught in 4 runs")
            trial.done()
            continue
        trial.details["terminated"] = victim
        trial.check(out.code == EXIT_RUN, f"expected exit 4: {out.brief()}")
        trial.check(out.one_line(), f"not one line on stderr: {out.brief()}")
        again = trial.seen(lab.run(UP, env))
        trial.check(again.code == 0, f"the rerun: {again.brief()}")
        trial.diff(refs.snaps["up"], lab.snapshot(db))
        audit = trial.seen(lab.run(["audit"], env))
        trial.check(audit.code == 0, f"audit: {audit.brief()}")
        trial.done()
        lab.drop_db(db)
        lab.cleanup_home(home)
    return result


def _terminate_writer(lab: Lab, db: str, proc: subprocess.Popen) -> str | None:
    """Poll for a backend of ``db`` running COPY and terminate it; what it was running."""
    with lab.connect(lab.admin) as admin:
        while proc.poll() is None:
            row = admin.execute(
                "SELECT pid, left(query, 60) FROM pg_stat_activity WHERE datname = %s "
                "AND state = 'active' AND query ILIKE 'COPY%%' AND pid <> pg_backend_pid() LIMIT 1",
                [db],
            ).fetchone()
            if row:
                admin.execute("SELECT pg_terminate_backend(%s)", [row[0]])
                return str(row[1])
            time.sleep(0.005)
    return None


def full_disk(lab: Lab, trials: int, size_mb: int | None = None) -> Result:
    """An embedded server on a too-small tmpfs: exit 4 with one line; with more room, the rerun
    gives the reference of the same seed; no server left running."""
    result = Result("full_disk", "a too-small filesystem (tmpfs)")
    users = ["--users", "3000", "--shard-size", "500", "--run-seed", "chaos-disk"]
    args = ["up", *users, *START, "--days", "5"]
    ref_db = lab.create_db()
    home = lab.home()
    ref_out = lab.run(args, lab.env(ref_db, home))
    lab.cleanup_home(home)
    if ref_out.code != 0:
        result.notes.append(f"reference failed: {ref_out.brief()}")
        lab.drop_db(ref_db)
        return result
    ref = lab.snapshot(ref_db)
    lab.drop_db(ref_db)
    template = _template_mb(lab)
    size = size_mb or max(40, template + 12)
    result.notes.append(f"tmpfs of {size} MB (the cluster template: {template} MB)")
    for i in range(trials):
        trial = Trial(result, lab, f"tmpfs #{i + 1}")
        home = lab.home()
        mount = home / "seed"
        mount.mkdir()
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}m,mode=0777", "tmpfs", str(mount)],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            result.skipped = f"skipped: mount -t tmpfs not allowed ({done.stderr.strip()[:120]})"
            lab.cleanup_home(home)
            return result
        try:
            env = lab.env(None, home)
            out = trial.seen(lab.run(args, env))
            trial.details["first_exit"] = out.code
            trial.check(out.code == EXIT_RUN, f"expected exit 4: {out.brief()}")
            trial.check(out.one_line(), f"not one line on stderr: {out.brief()}")
            if postmaster_pid(home) is not None:
                result.counts["orphans"] += 1
                trial.problems.append("the embedded server left running after the failure")
                stop_orphan(home)
            subprocess.run(["mount", "-o", "remount,size=2g", str(mount)], check=True)
            again = trial.seen(lab.run(args, env))
            trial.check(again.code == 0, f"the rerun with room: {again.brief()}")
            audit = trial.seen(lab.run(["audit"], env))
            trial.check(audit.code == 0, f"audit: {audit.brief()}")
            if postmaster_pid(home) is not None:
                result.counts["orphans"] += 1
                trial.problems.append("the embedded server left running after the rerun")
            try:
                trial.diff(ref, embedded_snapshot(home, env))
            except RuntimeError as exc:
                trial.problems.append(str(exc))
        finally:
            stop_orphan(home)
            subprocess.run(["umount", str(mount)], check=False, capture_output=True)
            if mount.is_mount():
                subprocess.run(["umount", "-l", str(mount)], check=False)
        trial.done()
        lab.cleanup_home(home)
    return result


def _template_mb(lab: Lab) -> int:
    total = sum(p.stat().st_size for p in lab.cache.rglob("*") if p.is_file())
    return max(1, total // 2**20)


def run_all(
    lab: Lab,
    kill_trials: int,
    concurrent_trials: int,
    up_pairs: int,
    other_trials: int,
    commands_per_name: int | None = None,
    only: set[str] | None = None,
    progress: Callable[[Result], None] | None = None,
) -> list[Result]:
    """Every scenario in order (``only``: a subset by name)."""
    started = time.perf_counter()
    refs = prepare(lab)
    prepared = time.perf_counter() - started
    plan: list[tuple[str, Callable[[], Result]]] = [
        ("kill_up", lambda: kills(lab, refs, "up", kill_trials)),
        ("kill_extend", lambda: kills(lab, refs, "extend", kill_trials)),
        ("kill_repair", lambda: kills(lab, refs, "repair", kill_trials)),
        ("kill_embedded", lambda: killed_embedded(lab, refs, other_trials)),
        ("concurrent_extend", lambda: concurrent_extends(lab, refs, concurrent_trials)),
        ("concurrent_up", lambda: concurrent_ups(lab, refs, up_pairs)),
        ("repair_beside_extend", lambda: repair_beside_extend(lab, refs, other_trials)),
        ("drift", lambda: drift(lab, refs)),
        ("guard", lambda: guard(lab, refs, commands_per_name)),
        ("bad_input", lambda: bad_input(lab, refs)),
        ("killed_backend", lambda: killed_backend(lab, refs, other_trials)),
        ("full_disk", lambda: full_disk(lab, 1)),
    ]
    results = []
    for name, fn in plan:
        if only and name not in only:
            continue
        t0 = time.perf_counter()
        try:
            result = fn()
        except (RuntimeError, OSError, psycopg.Error, subprocess.SubprocessError) as exc:
            result = Result(name, name)
            result.failures.append({"trial": "scenario", "problems": [f"crashed: {exc!r}"[:500]]})
        result.seconds = round(time.perf_counter() - t0, 1)
        results.append(result)
        if progress:
            progress(result)
    if results:
        results[0].notes.append(f"references prepared in {prepared:.1f} s")
    for name in (refs.up, refs.ext1, refs.ext2, refs.damaged):
        lab.drop_db(name)
    return results
