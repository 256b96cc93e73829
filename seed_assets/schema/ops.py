"""The bookkeeping tables: runs, the manifest of partitions written, the marker."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from seed_assets.schema.base import TZ, metadata, table_info

seed_runs = sa.Table(
    "seed_runs",
    metadata,
    sa.Column("run_id", sa.Text, primary_key=True, comment="Dagster run id or CLI run id"),
    sa.Column("command", sa.Text, nullable=False, comment="what started it: seed up, ui, ..."),
    sa.Column("run_seed", sa.Text, nullable=False),
    sa.Column("params", pg.JSONB, nullable=False, comment="SeedParams without the password"),
    sa.Column("versions", pg.JSONB, nullable=False, comment="generator, dagster, postgres"),
    sa.Column("row_counts", pg.JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    sa.Column("status", sa.Text, nullable=False, comment="running, success, failure"),
    sa.Column("started_at", TZ, nullable=False, server_default=sa.func.now()),
    sa.Column("finished_at", TZ),
    info=table_info("ops", "none"),
    comment="One row per seeding run.",
)

seed_manifest = sa.Table(
    "seed_manifest",
    metadata,
    sa.Column("table_name", sa.Text, primary_key=True),
    sa.Column("partition_key", sa.Text, primary_key=True),
    sa.Column("row_count", sa.BigInteger, nullable=False),
    sa.Column("digest", sa.Text, nullable=False, comment="order-independent digest of the rows"),
    sa.Column("run_seed", sa.Text, nullable=False),
    sa.Column("params_fingerprint", sa.Text, nullable=False),
    sa.Column("code_version", sa.Text, nullable=False),
    sa.Column("written_at", TZ, nullable=False, server_default=sa.func.now()),
    info=table_info("ops", "none"),
    comment="One row per (table, partition) written: what is there and where it came from.",
)

seed_marker = sa.Table(
    "seed_marker",
    metadata,
    sa.Column("id", sa.SmallInteger, sa.CheckConstraint("id = 1"), primary_key=True),
    sa.Column("install_id", sa.Text, nullable=False, comment="random id of this installation"),
    sa.Column("environment", sa.Text, nullable=False, comment="development, staging, test, ..."),
    sa.Column("tool_version", sa.Text, nullable=False, comment="seed-assets and generator version"),
    sa.Column("schema_fingerprint", sa.Text, nullable=False, comment="digest of the DDL"),
    sa.Column("created_at", TZ, nullable=False, server_default=sa.func.now()),
    info=table_info("ops", "none"),
    comment="One row: this database was set up by seed-assets for a non-production use. "
    "Destructive commands refuse to run without it.",
)
