"""What every table of the schema is declared with: the metadata (stable constraint names), the
timestamp type, a table's ``info`` and the deferred foreign keys (see :mod:`seed_assets.schema`)."""

from __future__ import annotations

import sqlalchemy as sa

# Stable constraint names, so DDL can tell what exists and add only what is missing.
metadata = sa.MetaData(
    naming_convention={
        "ix": "%(table_name)s_%(column_0_N_name)s_idx",
        "uq": "%(table_name)s_%(column_0_N_name)s_key",
        "fk": "%(table_name)s_%(column_0_N_name)s_fkey",
        "pk": "%(table_name)s_pkey",
    }
)

TZ = sa.DateTime(timezone=True)


def table_info(
    tier: str,
    grain: str,
    *,
    key: str | None = None,
    depends_on: tuple[str, ...] = (),
    reads_every_partition: tuple[str, ...] = (),
    references: dict[str, str] | None = None,
) -> dict[str, object]:
    """A table's ``info`` (see :mod:`seed_assets.schema`)."""
    info: dict[str, object] = {"tier": tier, "grain": grain}
    if key:
        info["key"] = key
    if tier not in ("catalog", "ops"):
        info["depends_on"] = depends_on
    if reads_every_partition:
        info["reads_every_partition"] = reads_every_partition
    if references:
        info["references"] = references
    return info


def deferred_fk(target: str) -> sa.ForeignKey:
    return sa.ForeignKey(target, deferrable=True, initially="DEFERRED")


def user_fk(name: str = "user_id", **kw: object) -> sa.Column:
    return sa.Column(name, sa.BigInteger, deferred_fk("users.id"), nullable=False, **kw)  # type: ignore[arg-type]
