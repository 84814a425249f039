"""The paddy-water tables (SQLModel).

- ``paddy``: a paddy as the controller sees it (size, levee, gates, calendar edits), its
  owner, the controller's mode and saved state; ``version`` goes up at every change.
- ``water_device``: the device registry: which sensor or gate serves which paddy, with its
  calibration, battery and last-seen time.
- ``water_reading``: every reading once, keyed by (device, metric, device time): a QoS 1
  redelivery or a retried webhook is the same key and is not stored twice.
- ``gate_command``: every command sent to a gate and its acknowledgement.
- ``water_override``: a person's hand on a gate until it expires.
- ``water_warning``: heavy-rain warnings by area, during which paddies hold storm water.
- ``water_event``: the audit log: commands, acknowledgements, overrides, mode changes and
  alerts, one row each, never changed.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    Index,
    Integer,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

__all__ = [
    "DeviceRow",
    "EventRow",
    "GateCommandRow",
    "OverrideRow",
    "PaddyRow",
    "ReadingRow",
    "WarningRow",
]


def _utc_column(*, nullable: bool = False, index: bool = False) -> Any:
    return Column(DateTime(timezone=True), nullable=nullable, index=index)


class PaddyRow(SQLModel, table=True):
    """A controlled paddy."""

    __tablename__ = "paddy"
    __table_args__ = (
        CheckConstraint("area_m2 > 0", name="paddy_area"),
        CheckConstraint(
            "outlet_crest_cm > 0 AND outlet_crest_cm < levee_height_cm", name="paddy_crest"
        ),
        CheckConstraint("inlet_flow_m3_h >= 0 AND outlet_flow_m3_h >= 0", name="paddy_flows"),
        CheckConstraint("mode IN ('auto', 'safe', 'override', 'paddy_dam')", name="paddy_mode"),
    )

    id: str = Field(primary_key=True, max_length=200)
    owner: str = Field(index=True, max_length=200)
    farm: str = Field(max_length=200)
    field_id: str | None = Field(
        default=None, foreign_key="field.id", ondelete="SET NULL", index=True, max_length=200
    )
    area_m2: float
    levee_height_cm: float
    outlet_crest_cm: float
    inlet_flow_m3_h: float
    outlet_flow_m3_h: float
    daily_water_limit_m3: float | None = None
    safe_margin_cm: float
    transplanted_on: str | None = Field(default=None, max_length=10)
    """ISO date (YYYY-MM-DD), Japan time."""
    variety: str | None = Field(default=None, max_length=100)
    calendar: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    """The farmer's edits of the variety's water calendar (None: the preset as it is)."""
    mode: str = Field(default="auto", max_length=20)
    control_state: dict[str, Any] | None = Field(
        default=None, sa_column=Column(JSON, nullable=True)
    )
    """The controller's memory between ticks (gate positions, timers, alerts raised)."""
    version: int = 1
    created_at: datetime = Field(sa_column=_utc_column())
    updated_at: datetime = Field(sa_column=_utc_column())


class DeviceRow(SQLModel, table=True):
    """A sensor or gate and the paddy it serves."""

    __tablename__ = "water_device"
    __table_args__ = (
        CheckConstraint("kind IN ('sensor', 'gate')", name="water_device_kind"),
        CheckConstraint(
            "(kind = 'gate' AND role IN ('inlet', 'outlet')) OR (kind = 'sensor' AND role IS NULL)",
            name="water_device_role",
        ),
    )

    id: str = Field(primary_key=True, max_length=200)
    farm: str = Field(max_length=200)
    paddy_id: str | None = Field(
        default=None, foreign_key="paddy.id", ondelete="SET NULL", index=True, max_length=200
    )
    kind: str = Field(max_length=10)
    role: str | None = Field(default=None, max_length=10)
    calibration: dict[str, float] = Field(sa_column=Column(JSON, nullable=False))
    """Offsets added to the raw value, by metric (``{"water_level": -0.4}``)."""
    battery_pct: float | None = None
    last_seen_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    created_at: datetime = Field(sa_column=_utc_column())
    updated_at: datetime = Field(sa_column=_utc_column())


class ReadingRow(SQLModel, table=True):
    """One reading, once."""

    __tablename__ = "water_reading"
    __table_args__ = (
        UniqueConstraint("device_id", "metric", "device_time", name="water_reading_once"),
        # What every control tick asks: the newest levels (and rain) received since the last.
        Index("ix_water_reading_metric_received_at", "metric", "received_at"),
    )

    id: int | None = Field(
        default=None,
        sa_column=Column(
            BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
        ),
    )
    device_id: str = Field(max_length=200)
    paddy_id: str | None = Field(default=None, index=True, max_length=200)
    metric: str = Field(max_length=30)
    raw_value: float
    value: float
    """The raw value with the device's calibration offset at arrival."""
    device_time: datetime = Field(sa_column=_utc_column())
    received_at: datetime = Field(sa_column=_utc_column())
    source: str = Field(max_length=10)
    """``mqtt``, ``http`` or ``lorawan``."""


class GateCommandRow(SQLModel, table=True):
    """A command to a gate and, once it answers, its acknowledgement."""

    __tablename__ = "gate_command"

    command_id: str = Field(primary_key=True, max_length=200)
    paddy_id: str = Field(foreign_key="paddy.id", ondelete="CASCADE", index=True, max_length=200)
    device_id: str | None = Field(default=None, max_length=200)
    role: str = Field(max_length=10)
    action: str = Field(max_length=10)
    opening_pct: float
    reason: str = Field(max_length=500)
    issued_at: datetime = Field(sa_column=_utc_column())
    acked_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    ack_ok: bool | None = None
    ack_detail: str = Field(default="", max_length=500)


class OverrideRow(SQLModel, table=True):
    """A person's hand on a gate until ``until`` (or until cancelled)."""

    __tablename__ = "water_override"

    id: int | None = Field(default=None, primary_key=True)
    paddy_id: str = Field(foreign_key="paddy.id", ondelete="CASCADE", index=True, max_length=200)
    role: str = Field(max_length=10)
    action: str = Field(max_length=10)
    until: datetime = Field(sa_column=_utc_column())
    by: str = Field(max_length=200)
    reason: str = Field(default="", max_length=500)
    created_at: datetime = Field(sa_column=_utc_column())
    cancelled_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))


class EventRow(SQLModel, table=True):
    """One line of the audit log."""

    __tablename__ = "water_event"

    id: int | None = Field(default=None, primary_key=True)
    paddy_id: str = Field(index=True, max_length=200)
    at: datetime = Field(sa_column=_utc_column(index=True))
    kind: str = Field(max_length=30)
    """``command``, ``ack``, ``override``, ``override_end``, ``mode``, ``alert``."""
    by: str = Field(max_length=200)
    summary: str = Field(max_length=1000)
    details: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))


class WarningRow(SQLModel, table=True):
    """A heavy-rain warning (大雨警報) for an area: its paddies hold storm water (田んぼダム)."""

    __tablename__ = "water_warning"
    __table_args__ = (CheckConstraint("ends_at >= starts_at", name="water_warning_span"),)

    id: int | None = Field(default=None, primary_key=True)
    area: str = Field(index=True, max_length=200)
    """A farm (the MQTT topic's farm segment), or ``*`` for every paddy."""
    starts_at: datetime = Field(sa_column=_utc_column())
    ends_at: datetime = Field(sa_column=_utc_column(index=True))
    by: str = Field(max_length=200)
    reason: str = Field(default="", max_length=500)
    created_at: datetime = Field(sa_column=_utc_column())
