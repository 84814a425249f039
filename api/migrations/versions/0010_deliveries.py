"""Drone delivery: depots, drop points, delivery vehicles, deliveries and their events.

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STATES = (
    "requested", "accepted", "scheduled", "loading", "in_flight", "arrived", "released",
    "confirmed", "vehicle_returned", "failed", "cancelled", "returned_to_pharmacy",
)  # fmt: skip
_KINDS = ("garden", "community_centre", "clinic", "pharmacy", "other")


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _utc(name: str, *, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "depot",
        sa.Column("id", sa.String(length=64), primary_key=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("lat_deg", sa.Float(), nullable=False),
        sa.Column("lon_deg", sa.Float(), nullable=False),
        sa.Column("battery_swap_s", sa.Float(), nullable=True),
        _utc("created_at"),
        sa.CheckConstraint("battery_swap_s IS NULL OR battery_swap_s > 0", name="depot_swap"),
    )
    op.create_table(
        "drop_point",
        sa.Column("id", sa.String(length=64), primary_key=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("lat_deg", sa.Float(), nullable=False),
        sa.Column("lon_deg", sa.Float(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("releases", sa.JSON(), nullable=False),
        sa.Column("clear_radius_m", sa.Float(), nullable=False),
        sa.Column("approach_from_deg", sa.Float(), nullable=True),
        sa.Column("resident_id", sa.String(length=200), nullable=True),
        sa.Column("reach", sa.JSON(), nullable=False),
        sa.Column("permissions", sa.JSON(), nullable=False),
        _utc("created_at"),
        sa.CheckConstraint(_in("kind", _KINDS), name="drop_point_kind"),
        sa.CheckConstraint("clear_radius_m > 0", name="drop_point_clear"),
        sa.CheckConstraint(
            "approach_from_deg IS NULL OR (approach_from_deg >= 0 AND approach_from_deg < 360)",
            name="drop_point_approach",
        ),
    )
    op.create_index("ix_drop_point_resident_id", "drop_point", ["resident_id"])
    op.create_table(
        "delivery_vehicle",
        sa.Column("registration", sa.String(length=40), primary_key=True),
        sa.Column("depot_id", sa.String(length=64), nullable=False),
        sa.Column("box_l_cm", sa.Float(), nullable=False),
        sa.Column("box_w_cm", sa.Float(), nullable=False),
        sa.Column("box_h_cm", sa.Float(), nullable=False),
        sa.Column("empty_kg", sa.Float(), nullable=False),
        sa.Column("endurance_min", sa.Float(), nullable=False),
        sa.Column("speed_m_s", sa.Float(), nullable=False),
        sa.Column("cruise_altitude_m", sa.Float(), nullable=False),
        sa.Column("insulated", sa.Boolean(), nullable=False),
        sa.Column("charge_min", sa.Float(), nullable=False),
        sa.Column("releases", sa.JSON(), nullable=False),
        _utc("created_at"),
        sa.CheckConstraint(
            "box_l_cm > 0 AND box_w_cm > 0 AND box_h_cm > 0 AND empty_kg > 0 AND "
            "endurance_min > 0 AND speed_m_s > 0 AND cruise_altitude_m > 0 AND "
            "cruise_altitude_m <= 150 AND charge_min > 0",
            name="delivery_vehicle_figures",
        ),
        sa.ForeignKeyConstraint(["registration"], ["vehicle.registration"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["depot_id"], ["depot.id"], ondelete="RESTRICT"),
    )
    op.create_index("ix_delivery_vehicle_depot_id", "delivery_vehicle", ["depot_id"])
    op.create_table(
        "delivery",
        sa.Column("id", sa.String(length=36), primary_key=True),
        sa.Column("pharmacy_id", sa.String(length=200), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("drop_point_id", sa.String(length=64), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("recipient", sa.JSON(), nullable=False),
        sa.Column("resident_id", sa.String(length=200), nullable=True),
        _utc("window_start", nullable=True),
        _utc("window_end", nullable=True),
        sa.Column("payer", sa.String(length=20), nullable=False),
        sa.Column("temperature", sa.String(length=20), nullable=False),
        sa.Column("weight_kg", sa.Float(), nullable=False),
        sa.Column("state", sa.String(length=30), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("trip", sa.JSON(), nullable=True),
        sa.Column("code_hash", sa.String(length=64), nullable=True),
        _utc("confirm_by", nullable=True),
        _utc("escalated_at", nullable=True),
        _utc("released_at", nullable=True),
        sa.Column("release_lat_deg", sa.Float(), nullable=True),
        sa.Column("release_lon_deg", sa.Float(), nullable=True),
        _utc("landed_at", nullable=True),
        sa.Column("fee_yen", sa.Integer(), nullable=True),
        sa.Column("charge_key", sa.String(length=200), nullable=True),
        sa.Column("charge_status", sa.String(length=30), nullable=True),
        _utc("created_at"),
        _utc("updated_at"),
        sa.UniqueConstraint("pharmacy_id", "idempotency_key", name="delivery_idempotency"),
        sa.CheckConstraint(_in("state", _STATES), name="delivery_state"),
        sa.CheckConstraint(_in("payer", ("pharmacy", "resident")), name="delivery_payer"),
        sa.CheckConstraint(
            _in("temperature", ("ambient", "cool", "frozen")), name="delivery_temperature_class"
        ),
        sa.CheckConstraint("weight_kg > 0 AND version >= 1", name="delivery_figures"),
        sa.CheckConstraint("fee_yen IS NULL OR fee_yen >= 0", name="delivery_fee"),
        sa.ForeignKeyConstraint(["drop_point_id"], ["drop_point.id"], ondelete="RESTRICT"),
    )
    for column in ("pharmacy_id", "drop_point_id", "resident_id", "state", "created_at"):
        op.create_index(f"ix_delivery_{column}", "delivery", [column])
    op.create_table(
        "delivery_event",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("delivery_id", sa.String(length=36), nullable=False),
        _utc("at"),
        sa.Column("from_state", sa.String(length=30), nullable=True),
        sa.Column("to_state", sa.String(length=30), nullable=False),
        sa.Column("by", sa.String(length=200), nullable=False),
        sa.Column("note", sa.String(length=1000), nullable=False),
        sa.ForeignKeyConstraint(["delivery_id"], ["delivery.id"], ondelete="CASCADE"),
    )
    op.create_index("ix_delivery_event_delivery_id", "delivery_event", ["delivery_id"])
    op.create_table(
        "delivery_temperature",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("delivery_id", sa.String(length=36), nullable=False),
        _utc("at"),
        sa.Column("temperature_c", sa.Float(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["delivery_id"], ["delivery.id"], ondelete="CASCADE"),
    )
    op.create_index("ix_delivery_temperature_delivery_id", "delivery_temperature", ["delivery_id"])


def downgrade() -> None:
    op.drop_index("ix_delivery_temperature_delivery_id", table_name="delivery_temperature")
    op.drop_table("delivery_temperature")
    op.drop_index("ix_delivery_event_delivery_id", table_name="delivery_event")
    op.drop_table("delivery_event")
    for column in ("pharmacy_id", "drop_point_id", "resident_id", "state", "created_at"):
        op.drop_index(f"ix_delivery_{column}", table_name="delivery")
    op.drop_table("delivery")
    op.drop_index("ix_delivery_vehicle_depot_id", table_name="delivery_vehicle")
    op.drop_table("delivery_vehicle")
    op.drop_index("ix_drop_point_resident_id", table_name="drop_point")
    op.drop_table("drop_point")
    op.drop_table("depot")
