"""A scenario's :class:`Result` and one :class:`Trial`'s checks, and the commands and exit codes
the scenarios share."""

from __future__ import annotations

import dataclasses
from collections import Counter
from typing import Any

from chaos.harness import Diff, Lab, Outcome, Snapshot, compare, half_written_days, nothing_written

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
