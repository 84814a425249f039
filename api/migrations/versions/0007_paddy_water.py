"""Paddy water: paddies, the device registry, readings (each once), gate commands,
overrides and the audit log.

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _utc(name: str, *, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "paddy",
        sa.Column("id", sa.String(length=200), primary_key=True),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("farm", sa.String(length=200), nullable=False),
        sa.Column("field_id", sa.String(length=200), nullable=True),
        sa.Column("area_m2", sa.Float(), nullable=False),
        sa.Column("levee_height_cm", sa.Float(), nullable=False),
        sa.Column("outlet_crest_cm", sa.Float(), nullable=False),
        sa.Column("inlet_flow_m3_h", sa.Float(), nullable=False),
        sa.Column("outlet_flow_m3_h", sa.Float(), nullable=False),
        sa.Column("daily_water_limit_m3", sa.Float(), nullable=True),
        sa.Column("safe_margin_cm", sa.Float(), nullable=False),
        sa.Column("transplanted_on", sa.String(length=10), nullable=True),
        sa.Column("variety", sa.String(length=100), nullable=True),
        sa.Column("calendar", sa.JSON(), nullable=True),
        sa.Column("mode", sa.String(length=20), nullable=False),
        sa.Column("control_state", sa.JSON(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        _utc("created_at"),
        _utc("updated_at"),
        sa.CheckConstraint("area_m2 > 0", name="paddy_area"),
        sa.CheckConstraint(
            "outlet_crest_cm > 0 AND outlet_crest_cm < levee_height_cm", name="paddy_crest"
        ),
        sa.CheckConstraint("inlet_flow_m3_h >= 0 AND outlet_flow_m3_h >= 0", name="paddy_flows"),
        sa.CheckConstraint("mode IN ('auto', 'safe', 'override', 'paddy_dam')", name="paddy_mode"),
        sa.ForeignKeyConstraint(["field_id"], ["field.id"], ondelete="SET NULL"),
    )
    op.create_index("ix_paddy_owner", "paddy", ["owner"])
    op.create_index("ix_paddy_field_id", "paddy", ["field_id"])

    op.create_table(
        "water_device",
        sa.Column("id", sa.String(length=200), primary_key=True),
        sa.Column("farm", sa.String(length=200), nullable=False),
        sa.Column("paddy_id", sa.String(length=200), nullable=True),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=True),
        sa.Column("calibration", sa.JSON(), nullable=False),
        sa.Column("battery_pct", sa.Float(), nullable=True),
        _utc("last_seen_at", nullable=True),
        _utc("created_at"),
        _utc("updated_at"),
        sa.CheckConstraint("kind IN ('sensor', 'gate')", name="water_device_kind"),
        sa.CheckConstraint(
            "(kind = 'gate' AND role IN ('inlet', 'outlet')) OR (kind = 'sensor' AND role IS NULL)",
            name="water_device_role",
        ),
        sa.ForeignKeyConstraint(["paddy_id"], ["paddy.id"], ondelete="SET NULL"),
    )
    op.create_index("ix_water_device_paddy_id", "water_device", ["paddy_id"])

    op.create_table(
        "water_reading",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("device_id", sa.String(length=200), nullable=False),
        sa.Column("paddy_id", sa.String(length=200), nullable=True),
        sa.Column("metric", sa.String(length=30), nullable=False),
        sa.Column("raw_value", sa.Float(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        _utc("device_time"),
        _utc("received_at"),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.UniqueConstraint("device_id", "metric", "device_time", name="water_reading_once"),
    )
    op.create_index("ix_water_reading_paddy_id", "water_reading", ["paddy_id"])

    op.create_table(
        "gate_command",
        sa.Column("command_id", sa.String(length=200), primary_key=True),
        sa.Column("paddy_id", sa.String(length=200), nullable=False),
        sa.Column("device_id", sa.String(length=200), nullable=True),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("opening_pct", sa.Float(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        _utc("issued_at"),
        _utc("acked_at", nullable=True),
        sa.Column("ack_ok", sa.Boolean(), nullable=True),
        sa.Column("ack_detail", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(["paddy_id"], ["paddy.id"], ondelete="CASCADE"),
    )
    op.create_index("ix_gate_command_paddy_id", "gate_command", ["paddy_id"])

    op.create_table(
        "water_override",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("paddy_id", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        _utc("until"),
        sa.Column("by", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        _utc("created_at"),
        _utc("cancelled_at", nullable=True),
        sa.ForeignKeyConstraint(["paddy_id"], ["paddy.id"], ondelete="CASCADE"),
    )
    op.create_index("ix_water_override_paddy_id", "water_override", ["paddy_id"])

    op.create_table(
        "water_event",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("paddy_id", sa.String(length=200), nullable=False),
        _utc("at"),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("by", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.String(length=1000), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
    )
    op.create_index("ix_water_event_paddy_id", "water_event", ["paddy_id"])
    op.create_index("ix_water_event_at", "water_event", ["at"])


def downgrade() -> None:
    op.drop_index("ix_water_event_at", table_name="water_event")
    op.drop_index("ix_water_event_paddy_id", table_name="water_event")
    op.drop_table("water_event")
    op.drop_index("ix_water_override_paddy_id", table_name="water_override")
    op.drop_table("water_override")
    op.drop_index("ix_gate_command_paddy_id", table_name="gate_command")
    op.drop_table("gate_command")
    op.drop_index("ix_water_reading_paddy_id", table_name="water_reading")
    op.drop_table("water_reading")
    op.drop_index("ix_water_device_paddy_id", table_name="water_device")
    op.drop_table("water_device")
    op.drop_index("ix_paddy_field_id", table_name="paddy")
    op.drop_index("ix_paddy_owner", table_name="paddy")
    op.drop_table("paddy")
