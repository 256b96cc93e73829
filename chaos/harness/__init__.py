"""The lab: a PostgreSQL server, fresh databases and homes, `seed` subprocesses, snapshots.

A snapshot is, for every seeded table and partition (shard = user id range, day = the day column,
whole table = ``all``), the row count and an md5 of the rows in primary-key order, plus the
``seed_manifest`` rows, the ``seed_runs`` rows and the list of relations: enough to tell a
partition that is missing, half-written, doubled or different from the reference's, and to tell
whether a refused command wrote anything at all.

``commands``: the `seed` arguments and one subprocess's outcome; ``servers``: embedded servers
left running and a connection-counting listener; ``snapshots``: snapshots and their diffs;
``lab``: the :class:`Lab` that ties them together.
"""

from chaos.harness.commands import POPULATION, START, UP, Interrupted, Outcome, Running
from chaos.harness.lab import Lab
from chaos.harness.servers import Listener, postmaster_pid, stop_orphan
from chaos.harness.snapshots import (
    Diff,
    Snapshot,
    compare,
    embedded_snapshot,
    half_written_days,
    nothing_written,
    same,
    take_snapshot,
)

__all__ = [
    "POPULATION",
    "START",
    "UP",
    "Diff",
    "Interrupted",
    "Lab",
    "Listener",
    "Outcome",
    "Running",
    "Snapshot",
    "compare",
    "embedded_snapshot",
    "half_written_days",
    "nothing_written",
    "postmaster_pid",
    "same",
    "stop_orphan",
    "take_snapshot",
]
