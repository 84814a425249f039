"""Missions and their schedule: missions, their history, vehicle bookings, notifications,
and APScheduler's job store.

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STATUSES = (
    "requested", "approved", "rejected", "scheduled", "held", "dispatched", "flying",
    "completed", "failed", "cancelled", "aborted", "expired",
)  # fmt: skip
"""Frozen here as they were at this revision (a new status needs a migration)."""


def _utc(name: str, *, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    statuses = ", ".join(f"'{s}'" for s in _STATUSES)
    op.create_table(
        "mission",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("field_ids", sa.JSON(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("place_lat", sa.Float(), nullable=False),
        sa.Column("place_lon", sa.Float(), nullable=False),
        _utc("window_start"),
        _utc("window_end"),
        sa.Column("sorties", sa.Integer(), nullable=False),
        sa.Column("flight_time_s", sa.Float(), nullable=False),
        sa.Column("area_ha", sa.Float(), nullable=False),
        sa.Column("volume_l", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=1000), nullable=True),
        sa.Column("vehicle", sa.String(length=40), nullable=True),
        _utc("slot_start", nullable=True),
        _utc("slot_end", nullable=True),
        _utc("busy_until", nullable=True),
        sa.Column("note", sa.String(length=2000), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        _utc("created_at"),
        _utc("updated_at"),
        sa.CheckConstraint(f"status IN ({statuses})", name="mission_status"),
        sa.CheckConstraint("kind IN ('spray', 'survey')", name="mission_kind"),
        sa.CheckConstraint("window_end > window_start", name="mission_window"),
        sa.CheckConstraint(
            "(slot_start IS NULL AND slot_end IS NULL AND busy_until IS NULL) OR "
            "(slot_end > slot_start AND busy_until >= slot_end)",
            name="mission_slot",
        ),
        sa.CheckConstraint(
            "sorties >= 1 AND flight_time_s > 0 AND version >= 1", name="mission_plan"
        ),
        sa.ForeignKeyConstraint(["vehicle"], ["vehicle.registration"], ondelete="RESTRICT"),
    )
    op.create_index("ix_mission_owner", "mission", ["owner"])
    op.create_index("ix_mission_status", "mission", ["status"])
    op.create_index("ix_mission_vehicle", "mission", ["vehicle"])

    op.create_table(
        "mission_status_change",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("mission_id", sa.Integer(), nullable=False),
        _utc("at"),
        sa.Column("by", sa.String(length=200), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.ForeignKeyConstraint(["mission_id"], ["mission.id"], ondelete="CASCADE"),
    )
    op.create_index("ix_mission_status_change_mission_id", "mission_status_change", ["mission_id"])

    op.create_table(
        "mission_booking",
        sa.Column("registration", sa.String(length=40), nullable=False),
        sa.Column("bucket_start_s", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("mission_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("registration", "bucket_start_s"),
        sa.ForeignKeyConstraint(["registration"], ["vehicle.registration"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["mission_id"], ["mission.id"], ondelete="CASCADE"),
    )
    op.create_index("ix_mission_booking_mission_id", "mission_booking", ["mission_id"])

    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("recipient", sa.String(length=200), nullable=False),
        sa.Column("mission_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("text_ja", sa.String(length=2000), nullable=False),
        sa.Column("text_en", sa.String(length=2000), nullable=False),
        _utc("created_at"),
        _utc("read_at", nullable=True),
        sa.ForeignKeyConstraint(["mission_id"], ["mission.id"], ondelete="CASCADE"),
    )
    op.create_index("ix_notification_recipient", "notification", ["recipient"])
    op.create_index("ix_notification_mission_id", "notification", ["mission_id"])

    # APScheduler 3's SQLAlchemyJobStore layout (it would create it itself; here it is
    # versioned with the rest, under our name).
    op.create_table(
        "scheduler_job",
        sa.Column("id", sa.Unicode(length=191), primary_key=True),
        sa.Column("next_run_time", sa.Float(precision=25), nullable=True),
        sa.Column("job_state", sa.LargeBinary(), nullable=False),
    )
    op.create_index("ix_scheduler_job_next_run_time", "scheduler_job", ["next_run_time"])


def downgrade() -> None:
    op.drop_index("ix_scheduler_job_next_run_time", table_name="scheduler_job")
    op.drop_table("scheduler_job")
    op.drop_index("ix_notification_mission_id", table_name="notification")
    op.drop_index("ix_notification_recipient", table_name="notification")
    op.drop_table("notification")
    op.drop_index("ix_mission_booking_mission_id", table_name="mission_booking")
    op.drop_table("mission_booking")
    op.drop_index("ix_mission_status_change_mission_id", table_name="mission_status_change")
    op.drop_table("mission_status_change")
    op.drop_index("ix_mission_vehicle", table_name="mission")
    op.drop_index("ix_mission_status", table_name="mission")
    op.drop_index("ix_mission_owner", table_name="mission")
    op.drop_table("mission")
