"""Currency ledger: every charge, refund and points grant, and the webhook events applied.

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "currency_entry",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("account", sa.String(length=200), nullable=False),
        sa.Column("amount_yen", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=True),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("refund_of", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("platform_id", sa.String(length=40), nullable=True),
        sa.Column("failure_status", sa.Integer(), nullable=True),
        sa.Column("failure_type", sa.String(length=200), nullable=True),
        sa.Column("failure_detail", sa.String(length=1000), nullable=True),
        sa.Column("origin", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("amount_yen >= 0 AND points >= 0", name="currency_entry_amounts"),
        sa.CheckConstraint("kind IN ('charge', 'refund', 'points')", name="currency_entry_kind"),
        sa.CheckConstraint(
            "status IN ('pending', 'succeeded', 'failed')", name="currency_entry_status"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key", name="currency_entry_idempotency_key"),
        sa.UniqueConstraint("platform_id", name="currency_entry_platform_id"),
    )
    with op.batch_alter_table("currency_entry", schema=None) as batch_op:
        batch_op.create_index("ix_currency_entry_account", ["account"], unique=False)
        batch_op.create_index("ix_currency_entry_reference", ["reference"], unique=False)
        batch_op.create_index("ix_currency_entry_status", ["status"], unique=False)

    op.create_table(
        "currency_webhook_event",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("transaction_id", sa.String(length=40), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("currency_webhook_event")
    with op.batch_alter_table("currency_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_currency_entry_status")
        batch_op.drop_index("ix_currency_entry_reference")
        batch_op.drop_index("ix_currency_entry_account")
    op.drop_table("currency_entry")
