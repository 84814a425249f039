"""Deliveries: a drone in the air can be ordered home with its parcel (a recall); a
notice says what else it is about (a delivery).

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("delivery") as batch:
        batch.add_column(sa.Column("recall_note", sa.String(length=600), nullable=True))
    with op.batch_alter_table("notification") as batch:
        batch.add_column(sa.Column("reference", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notification") as batch:
        batch.drop_column("reference")
    with op.batch_alter_table("delivery") as batch:
        batch.drop_column("recall_note")
