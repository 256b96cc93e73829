"""The scenarios of issue 13, each a function of the lab, its references and a trial count.

Every scenario returns a :class:`Result`: trials, passed, and each failed trial with its
reasons. A trial passes when every check holds: the tables equal the reference partition by
partition (0 missing, 0 half-written, 0 doubled), `seed audit` exits 0, a refusal exits with the
documented code and one line and writes nothing, no output holds a secret, no embedded server is
left running without an owner.
"""

from chaos.scenarios.backend import killed_backend
from chaos.scenarios.concurrency import concurrent_extends, concurrent_ups, repair_beside_extend
from chaos.scenarios.disk import full_disk
from chaos.scenarios.inputs import bad_input
from chaos.scenarios.kill import killed_embedded, kills
from chaos.scenarios.production_guard import guard
from chaos.scenarios.references import References, prepare
from chaos.scenarios.schema_drift import drift
from chaos.scenarios.suite import run_all
from chaos.scenarios.trial import Result, Trial

__all__ = [
    "References",
    "Result",
    "Trial",
    "bad_input",
    "concurrent_extends",
    "concurrent_ups",
    "drift",
    "full_disk",
    "guard",
    "killed_backend",
    "killed_embedded",
    "kills",
    "prepare",
    "repair_beside_extend",
    "run_all",
]
