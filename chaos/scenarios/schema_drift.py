"""Schema drift: every write command refused with exit 2 and nothing written."""

from __future__ import annotations

from chaos.harness import UP, Lab
from chaos.scenarios.references import References
from chaos.scenarios.trial import EXIT_CONFIG, EXIT_GAPS, EXTEND1, REPAIR, Result, Trial

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
