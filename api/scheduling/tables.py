"""The scheduling tables (SQLModel) and the one place database errors are translated.

- ``mission``: one row per mission, its status and, once booked, its vehicle and slot;
  ``version`` goes up at every change (compare-and-set, see :mod:`api.scheduling.missions`).
- ``mission_status_change``: the history, one row per change.
- ``mission_booking``: one row per ``step`` of vehicle time a mission holds, primary key
  (registration, bucket start): the database itself refuses a second booking of the same
  vehicle time, whichever process writes it, on SQLite and PostgreSQL alike.
- ``notification``: what a farmer is told, in Japanese and English.
- ``scheduler_job``: APScheduler's job store (its own layout, created here by the migration).
"""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    LargeBinary,
    Table,
    Unicode,
)
from sqlmodel import Field, SQLModel

from api.db import storage_errors
from api.scheduling.model import Mission, MissionKind, MissionStatus, PlanEstimate, StatusChange
from core.geo import GeoPoint

__all__ = [
    "JOB_STORE",
    "JOB_TABLE",
    "BookingRow",
    "MissionRow",
    "NotificationRow",
    "StatusChangeRow",
    "mission_of",
    "status_change_of",
    "storage",
    "utc",
]

JOB_TABLE = "scheduler_job"
"""The table APScheduler keeps its jobs in."""

JOB_STORE = Table(
    JOB_TABLE,
    SQLModel.metadata,
    Column("id", Unicode(191), primary_key=True),
    Column("next_run_time", Float(25), index=True),
    Column("job_state", LargeBinary, nullable=False),
)
"""APScheduler 3's ``SQLAlchemyJobStore`` layout, declared so that the metadata (and Alembic's
autogenerate) knows the table the migration creates."""

_STATUSES = ", ".join(f"'{s.value}'" for s in MissionStatus)
_KINDS = ", ".join(f"'{k.value}'" for k in MissionKind)


def _utc_column(*, nullable: bool = False, index: bool = False) -> Any:
    return Column(DateTime(timezone=True), nullable=nullable, index=index)


class MissionRow(SQLModel, table=True):
    """A mission: what was asked, where it is in its lifecycle, its vehicle and slot."""

    __tablename__ = "mission"
    __table_args__ = (
        CheckConstraint(f"status IN ({_STATUSES})", name="mission_status"),
        CheckConstraint(f"kind IN ({_KINDS})", name="mission_kind"),
        CheckConstraint("window_end > window_start", name="mission_window"),
        CheckConstraint(
            "(slot_start IS NULL AND slot_end IS NULL AND busy_until IS NULL) OR "
            "(slot_end > slot_start AND busy_until >= slot_end)",
            name="mission_slot",
        ),
        CheckConstraint("sorties >= 1 AND flight_time_s > 0 AND version >= 1", name="mission_plan"),
    )

    id: int | None = Field(default=None, primary_key=True)
    owner: str = Field(index=True, max_length=200)
    kind: str = Field(max_length=20)
    field_ids: list[str] = Field(sa_column=Column(JSON, nullable=False))
    params: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    place_lat: float
    place_lon: float
    window_start: datetime = Field(sa_column=_utc_column())
    window_end: datetime = Field(sa_column=_utc_column())
    sorties: int
    flight_time_s: float
    area_ha: float
    volume_l: float
    status: str = Field(index=True, max_length=20)
    reason: str | None = Field(default=None, max_length=1000)
    vehicle: str | None = Field(
        default=None,
        foreign_key="vehicle.registration",
        ondelete="RESTRICT",
        index=True,
        max_length=40,
    )
    slot_start: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    slot_end: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    busy_until: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    note: str = Field(default="", max_length=2000)
    version: int = 1
    created_at: datetime = Field(sa_column=_utc_column())
    updated_at: datetime = Field(sa_column=_utc_column())


class StatusChangeRow(SQLModel, table=True):
    """One change of a mission's status."""

    __tablename__ = "mission_status_change"

    id: int | None = Field(default=None, primary_key=True)
    mission_id: int = Field(foreign_key="mission.id", ondelete="CASCADE", index=True)
    at: datetime = Field(sa_column=_utc_column())
    by: str = Field(max_length=200)
    from_status: str | None = Field(default=None, max_length=20)
    to_status: str = Field(max_length=20)
    reason: str = Field(default="", max_length=1000)


class BookingRow(SQLModel, table=True):
    """One step of a vehicle's time, held by one mission (the primary key forbids two)."""

    __tablename__ = "mission_booking"

    registration: str = Field(
        primary_key=True, foreign_key="vehicle.registration", ondelete="RESTRICT", max_length=40
    )
    bucket_start_s: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    """The step's start, seconds since 1970-01-01 UTC."""
    mission_id: int = Field(foreign_key="mission.id", ondelete="CASCADE", index=True)


class NotificationRow(SQLModel, table=True):
    """Something a farmer is told about a mission, in Japanese and English."""

    __tablename__ = "notification"

    id: int | None = Field(default=None, primary_key=True)
    recipient: str = Field(index=True, max_length=200)
    mission_id: int | None = Field(
        default=None, foreign_key="mission.id", ondelete="CASCADE", index=True
    )
    kind: str = Field(max_length=30)
    text_ja: str = Field(max_length=2000)
    text_en: str = Field(max_length=2000)
    reference: str | None = Field(default=None, max_length=200)
    """What else it is about (``delivery:<id>``)."""
    created_at: datetime = Field(sa_column=_utc_column())
    read_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))


storage = storage_errors
"""The database's errors as StorageError (see :func:`api.db.storage_errors`)."""


def utc(value: datetime | None) -> datetime | None:
    """A stored time as aware UTC (SQLite hands back naive UTC)."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _must(value: datetime | None) -> datetime:
    out = utc(value)
    assert out is not None, "a NOT NULL time came back NULL"
    return out


def mission_of(row: MissionRow) -> Mission:
    """The mission value a row stores."""
    assert row.id is not None
    return Mission(
        id=row.id,
        owner=row.owner,
        kind=MissionKind(row.kind),
        field_ids=tuple(row.field_ids),
        params=dict(row.params),
        place=GeoPoint(lat_deg=row.place_lat, lon_deg=row.place_lon),
        window_start=_must(row.window_start),
        window_end=_must(row.window_end),
        estimate=PlanEstimate(
            sorties=row.sorties,
            flight_time_s=row.flight_time_s,
            area_ha=row.area_ha,
            volume_l=row.volume_l,
        ),
        status=MissionStatus(row.status),
        reason=row.reason,
        vehicle=row.vehicle,
        slot_start=utc(row.slot_start),
        slot_end=utc(row.slot_end),
        busy_until=utc(row.busy_until),
        note=row.note,
        version=row.version,
        created_at=_must(row.created_at),
        updated_at=_must(row.updated_at),
    )


def status_change_of(row: StatusChangeRow) -> StatusChange:
    """The history line a row stores."""
    return StatusChange(
        mission_id=row.mission_id,
        at=_must(row.at),
        by=row.by,
        from_status=MissionStatus(row.from_status) if row.from_status else None,
        to_status=MissionStatus(row.to_status),
        reason=row.reason,
    )
