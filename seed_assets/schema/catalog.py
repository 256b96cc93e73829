"""Tier 0, the catalog: fixed tables, one partition each."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from seed_assets.schema.base import metadata, table_info

interest_subjects = sa.Table(
    "interest_subjects",
    metadata,
    sa.Column("id", sa.SmallInteger, primary_key=True, autoincrement=False),
    sa.Column("name", sa.Text, nullable=False, unique=True),
    sa.Column("category", sa.Text, nullable=False, comment="outdoors, food_drink, culture, ..."),
    info=table_info("catalog", "all"),
    comment="The interests a user can pick (fixed catalog).",
)

quiz_questions = sa.Table(
    "quiz_questions",
    metadata,
    sa.Column("id", sa.SmallInteger, primary_key=True, autoincrement=False),
    sa.Column("prompt", sa.Text, nullable=False),
    sa.Column(
        "dimension", sa.Text, nullable=False, comment="personality trait the answer reflects"
    ),
    sa.Column("options", pg.ARRAY(sa.Text), nullable=False, comment="ordered low to high"),
    info=table_info("catalog", "all"),
    comment="The personality quiz (fixed catalog).",
)
