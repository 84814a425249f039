"""Heavy-rain warnings by area (田んぼダム); the control tick's index on readings.

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "water_warning",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("area", sa.String(length=200), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("ends_at >= starts_at", name="water_warning_span"),
    )
    op.create_index("ix_water_warning_area", "water_warning", ["area"])
    op.create_index("ix_water_warning_ends_at", "water_warning", ["ends_at"])
    op.create_index(
        "ix_water_reading_metric_received_at", "water_reading", ["metric", "received_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_water_reading_metric_received_at", table_name="water_reading")
    op.drop_index("ix_water_warning_ends_at", table_name="water_warning")
    op.drop_index("ix_water_warning_area", table_name="water_warning")
    op.drop_table("water_warning")
