"""The spray pump's flow at full output, per vehicle (for SPRAY_PUMP_RATE).

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("vehicle") as batch:
        batch.add_column(sa.Column("pump_max_l_min", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("vehicle") as batch:
        batch.drop_column("pump_max_l_min")
