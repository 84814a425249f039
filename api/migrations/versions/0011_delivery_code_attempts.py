"""Deliveries: wrong one-time codes are counted; a payload reading is kept once.

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("delivery") as batch:
        batch.add_column(
            sa.Column("code_attempts", sa.Integer(), nullable=False, server_default="0")
        )
        batch.drop_constraint("delivery_figures", type_="check")
        batch.create_check_constraint(
            "delivery_figures", "weight_kg > 0 AND version >= 1 AND code_attempts >= 0"
        )
    with op.batch_alter_table("delivery") as batch:
        batch.alter_column("code_attempts", server_default=None)
    with op.batch_alter_table("delivery_temperature") as batch:
        batch.create_unique_constraint("delivery_temperature_once", ["delivery_id", "source", "at"])


def downgrade() -> None:
    with op.batch_alter_table("delivery_temperature") as batch:
        batch.drop_constraint("delivery_temperature_once", type_="unique")
    with op.batch_alter_table("delivery") as batch:
        batch.drop_constraint("delivery_figures", type_="check")
        batch.create_check_constraint("delivery_figures", "weight_kg > 0 AND version >= 1")
        batch.drop_column("code_attempts")
