"""The writer's backend terminated mid-run: exit 4 with one line, and the rerun is clean."""

from __future__ import annotations

import subprocess
import time

from chaos.harness import UP, Lab
from chaos.scenarios.references import References
from chaos.scenarios.trial import EXIT_RUN, Result, Trial


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
