"""kill -9 of `seed up|extend|repair` at a random moment, and of `seed up` on the embedded
server; then the same command again."""

from __future__ import annotations

from chaos.harness import (
    UP,
    Lab,
    Outcome,
    Snapshot,
    embedded_snapshot,
    postmaster_pid,
    same,
    stop_orphan,
)
from chaos.scenarios.references import References
from chaos.scenarios.trial import EXTEND2, REPAIR, Result, Trial

# command -> (its arguments, the reference run whose length bounds the kill moment, the snapshot
# of the state before it, the snapshot it must reach)
KILLED = {
    "up": (UP, "up", None, "up"),
    "extend": (EXTEND2, "extend2", "up", "ext2"),
    "repair": (REPAIR, "repair", "damaged", "up"),
}


def _template(refs: References, command: str) -> str | None:
    return {"up": None, "extend": refs.up, "repair": refs.damaged}[command]


def _state(mid: Snapshot, ref: Snapshot, pre: Snapshot | None) -> str:
    """What a kill left: the reference, the state before the command, or half-written."""
    if same(mid, ref):
        return "reference"
    # (for `up`: no row in any seeded table; empty tables are not a half-written seed)
    if (pre is not None and same(mid, pre)) or (pre is None and not any(mid.tables.values())):
        return "before"
    return "half-written"


def kills(lab: Lab, refs: References, command: str, trials: int) -> Result:
    """SIGKILL of `seed up|extend|repair` at a uniformly random moment, then the same command
    again: every partition as in the reference, and `seed audit` clean."""
    args, timed, pre_name, ref_name = KILLED[command]
    result = Result(
        f"kill_{command}",
        f"kill -9 of `seed {' '.join(args[:3]) if command == 'extend' else command}`, rerun",
    )
    # the reference's own clean repair must reach the reference
    if command == "repair" and not same(refs.snaps["repaired"], refs.snaps["up"]):
        result.notes.append("a clean `seed repair` does not give the reference")
    duration = refs.seconds[timed]
    ref = refs.snaps[ref_name]
    pre = refs.snaps[pre_name] if pre_name else None
    for i in range(trials):
        trial = Trial(result, lab, f"{command} #{i + 1}")
        db = lab.create_db(_template(refs, command))
        home = lab.home()
        env = lab.env(db, home)
        first = _kill(lab, trial, args, env, duration)
        if not first.killed:  # the reference run was slower: later moments from this run's length
            result.counts["finished_before_the_kill"] += 1
            duration = min(duration, first.seconds)
        state = _after_kill(lab, trial, db, ref, pre)
        _audit_and_rerun(lab, trial, command, first, env, state)
        trial.diff(ref, lab.snapshot(db))
        final = trial.seen(lab.run(["audit"], env))
        trial.check(final.code == 0, f"final audit: {final.brief()}")
        trial.done()
        lab.drop_db(db)
        lab.cleanup_home(home)
    return result


def _kill(lab: Lab, trial: Trial, args: list[str], env: dict[str, str], duration: float) -> Outcome:
    """The command, killed at a uniformly random moment of ``duration`` (unless done before)."""
    moment = lab.rng.uniform(0.0, duration)
    first = trial.seen(lab.run(args, env, kill_after=moment))
    trial.details["kill_at_s"] = round(moment, 2)
    trial.details["killed"] = first.killed
    return first


def _after_kill(lab: Lab, trial: Trial, db: str, ref: Snapshot, pre: Snapshot | None) -> str:
    state = _state(lab.snapshot(db), ref, pre)
    trial.details["after_kill"] = state
    trial.result.counts[f"kill_left_{state.replace('-', '_')}"] += 1
    return state


def _audit_and_rerun(
    lab: Lab, trial: Trial, command: str, first: Outcome, env: dict[str, str], state: str
) -> None:
    """`seed audit` after the kill (not clean on a half-written state), then the rerun."""
    audit = trial.seen(lab.run(["audit"], env))
    if state == "half-written":
        trial.check(audit.code != 0, f"`seed audit` exits {audit.code} on a half-written state")
    if not first.killed:
        trial.check(first.code == 0, f"unkilled run failed: {first.brief()}")
    rerun = first.killed and not (command == "extend" and state == "reference" and audit.code == 0)
    if rerun:
        again = trial.seen(lab.run(first.args, env))
        trial.check(again.code == 0, f"the rerun failed: {again.brief()}")


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
