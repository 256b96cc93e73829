"""The write path under every seeded asset, with no Dagster in it: generate partitions, write
them on a pipelined writer (:mod:`seed_assets.pipeline`), tell a write listener, hand back each
table once written. The Dagster steps (:mod:`seed_assets.steps`) turn what it hands back into
materializations."""

from seed_assets.write.generation import Generation
from seed_assets.write.tables import (
    Rows,
    TableWritten,
    Target,
    Work,
    provenance,
    write,
    write_partitions,
    write_tables,
)

__all__ = [
    "Generation",
    "Rows",
    "TableWritten",
    "Target",
    "Work",
    "provenance",
    "write",
    "write_partitions",
    "write_tables",
]
