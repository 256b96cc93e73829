"""Commands at once: two extends, two ups on a new home, a repair beside an extend."""

from __future__ import annotations

from pathlib import Path

from chaos.harness import UP, Lab, Outcome, embedded_snapshot, postmaster_pid, stop_orphan
from chaos.scenarios.references import References
from chaos.scenarios.trial import EXIT_GUARD, EXTEND1, EXTEND2, REPAIR, Result, Trial


def _together(lab: Lab, commands: list[tuple[list[str], dict[str, str]]]) -> list[Outcome]:
    runs = [lab.start(args, env) for args, env in commands]
    return [lab.finish(run) for run in runs]


def _audit_and_close(
    trial: Trial, lab: Lab, db: str, env: dict[str, str], homes: list[Path]
) -> None:
    """The trial's last check (`seed audit` exits 0), then its database and homes are removed."""
    audit = trial.seen(lab.run(["audit"], env))
    trial.check(audit.code == 0, f"audit: {audit.brief()}")
    trial.done()
    lab.drop_db(db)
    for home in homes:
        lab.cleanup_home(home)


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
        _audit_and_close(trial, lab, db, envs[0], homes)
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
    _audit_and_close(trial, lab, db, env, [home])
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
        _audit_and_close(trial, lab, db, envs[0], homes)
    return result
