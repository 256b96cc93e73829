"""Bad input: each case refused with its documented exit code and one line on stderr, no password
in any output, nothing written to the databases or the export directory."""

from __future__ import annotations

import dataclasses
import shutil
import threading
from pathlib import Path

from chaos.harness import POPULATION, Interrupted, Lab, Outcome, nothing_written
from chaos.scenarios.references import References
from chaos.scenarios.trial import (
    EXIT_CONFIG,
    EXIT_DATABASE,
    EXIT_GUARD,
    EXTEND1,
    REPAIR,
    Result,
    Trial,
)

MALFORMED = "postgresql://chaos_user:Chaos-S3cret@[::1/x"
MYSQL = "mysql://chaos_user:My-S3cret-Pw@localhost/chaos"
SECRETS = ["Chaos-S3cret", "My-S3cret-Pw", "Pct/S3cret", "Port-S3cret", "Sock-S3cret"]


@dataclasses.dataclass(frozen=True)
class Case:
    """One bad input. ``{seeded}`` in an argument is the seeded database's name, ``{out}`` the
    export directory; the target is the database of DATABASE_URL (empty, seeded or none)."""

    label: str
    args: list[str]
    target: str = "empty"
    code: int = EXIT_CONFIG
    env: dict[str, str] = dataclasses.field(default_factory=dict)

    def resolved(self, seeded: str, out_dir: Path) -> list[str]:
        return [a.format(seeded=seeded, out=out_dir) for a in self.args]


UP_BUT_USERS = ["up", *POPULATION[2:]]  # everything but --users, given per case
U300 = ["up", "--users", "300"]
BAD_VALUES: list[Case] = [
    *(
        Case(f"--users {v!r}", [*UP_BUT_USERS, "--users", v])
        for v in ["", "-5", "0", "99999999999", "abc", "1.5", " "]
    ),
    *(Case(f"--shard-size {v!r}", [*U300, "--shard-size", v]) for v in ["", "-1", "0", "abc"]),
    Case("--run-seed ''", [*U300, "--run-seed", ""]),
    *(Case(f"up --days {v!r}", [*U300, "--days", v]) for v in ["", "-1", "99999", "two"]),
    *(
        Case(f"--start-date {v!r}", [*U300, "--start-date", v])
        for v in ["20240101", "2024-13-01", "2024-02-30", "", "yesterday", "01/01/2024"]
    ),
    *(
        Case(f"--calibration {v!r}", [*U300, "--calibration", v])
        for v in ["nosuch", "", "../../etc/passwd"]
    ),
    Case("SEED_USERS=-1", ["up"], env={"SEED_USERS": "-1"}),
    Case("SEED_START_DATE=20240101", U300, env={"SEED_START_DATE": "20240101"}),
    *(
        Case(f"extend --days {v!r}", ["extend", "--days", v], "seeded")
        for v in ["", "0", "-1", "99999", "x"]
    ),
    *(
        Case(f"jobs --only {v!r}", ["jobs", "--only", v], "seeded")
        for v in ["", "nosuch", "match_scores,nosuch", ","]
    ),
]
BAD_COMMANDS: list[Case] = [
    Case(
        "reset --scope everything",
        ["reset", "--scope", "everything", "--confirm", "{seeded}"],
        "seeded",
    ),
    Case(
        "reset --confirm wrong",
        ["reset", "--scope", "activity", "--confirm", "wrong"],
        "seeded",
        EXIT_GUARD,
    ),
    Case("verify --calibration nosuch", ["verify", "--calibration", "nosuch"], "seeded"),
    Case("export --format xml", ["export", "--out", "{out}/x", "--format", "xml"], "none"),
    Case("export --shard-rows 0", ["export", "--out", "{out}/y", "--shard-rows", "0"], "none"),
    Case("export --out ''", ["export", "--out", ""], "none"),
    Case("load --from missing", ["load", "--from", "{out}/missing"]),
    Case("load --from ''", ["load", "--from", ""]),
    Case("explain user -1", ["explain", "user", "-1", "--users", "300"], "none"),
    Case("explain user 301 of 300", ["explain", "user", "301", "--users", "300"], "none"),
]
MALFORMED_URL_COMMANDS = [
    U300,
    EXTEND1,
    ["jobs"],
    ["audit"],
    ["init"],
    REPAIR,
    ["reset", "--scope", "all", "--confirm", "x"],
    ["verify"],
]
BAD_URLS: list[Case] = [
    *(
        Case(f"malformed URL: seed {args[0]}", args, "none", env={"DATABASE_URL": MALFORMED})
        for args in MALFORMED_URL_COMMANDS
    ),
    Case("mysql:// URL", U300, "none", env={"DATABASE_URL": MYSQL}),
    Case("mysql:// URL: audit", ["audit"], "none", env={"DATABASE_URL": MYSQL}),
    *(
        Case(label, ["audit"], "none", EXIT_DATABASE, env={"DATABASE_URL": url})
        for label, url in [
            ("unreachable port", "postgresql://chaos_user:Port-S3cret@127.0.0.1:1/chaos"),
            ("percent-encoded password", "postgresql://chaos_user:Pct%2FS3cret@127.0.0.1:1/chaos"),
            ("missing socket", "postgresql://chaos_user:Sock-S3cret@/chaos?host=/nonexistent-dir"),
            ("one-letter password", "postgresql://chaos_user:1@127.0.0.1:1/chaosdb"),
        ]
    ),
]
CASES = [*BAD_VALUES, *BAD_COMMANDS, *BAD_URLS]


def bad_input(lab: Lab, refs: References, workers: int = 2) -> Result:
    """Each bad input: the documented exit code, one line on stderr, no password in any output,
    nothing written."""
    result = Result("bad_input", "bad input refused")
    lab.secrets.update(SECRETS)
    dbs = {"empty": lab.create_db(), "seeded": lab.create_db(refs.up)}
    out_dir = lab.workdir / "bad-input"
    out_dir.mkdir(exist_ok=True)
    before = {target: lab.snapshot(db) for target, db in dbs.items()}
    outcomes = _run_all(lab, dbs, out_dir, workers)
    for case, outcome in zip(CASES, outcomes, strict=True):
        _check(Trial(result, lab, case.label), case, outcome)
    for target, db in dbs.items():
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


def _run_all(lab: Lab, dbs: dict[str, str], out_dir: Path, workers: int) -> list[Outcome]:
    """Every case, ``workers`` at a time, each with a home of its own; outcomes in case order."""
    outcomes: dict[int, Outcome] = {}
    lock = threading.Lock()
    queue = list(enumerate(CASES))

    def worker() -> None:
        while True:
            with lock:
                if not queue:
                    return
                index, case = queue.pop(0)
                case_home = lab.home()  # its own, in case a bad input is (wrongly) run
            env = lab.env(dbs.get(case.target), case_home, case.env)
            outcomes[index] = lab.run(case.resolved(dbs["seeded"], out_dir), env, timeout=120)
            lab.cleanup_home(case_home)

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if lab.stopping:
        raise Interrupted("interrupted")
    return [outcomes[i] for i in range(len(CASES))]


def _check(trial: Trial, case: Case, outcome: Outcome) -> None:
    out = trial.seen(outcome)
    trial.check(out.code == case.code, f"expected exit {[case.code]}: {out.brief()}")
    trial.check(out.one_line(), f"not one line on stderr: {out.brief()}")
    if case.label == "one-letter password":
        text = out.stderr.replace("chaos_user:***@", "")
        trial.check(
            "***" not in text and "127.0.0.1" in text and "chaosdb" in text,
            f"redaction mangles other text: {out.brief()}",
        )
    trial.done()
