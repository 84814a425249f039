"""The delivery tables (SQLModel).

- ``depot``: where drones wait, charge and are loaded.
- ``drop_point``: a registered spot, with what its check found (who reaches it, with how
  heavy a parcel, and the permissions flights there need) when it was registered.
- ``delivery_vehicle``: a registered vehicle (``vehicle``) stationed at a depot for
  deliveries, with what dispatch needs that the register does not keep.
- ``delivery``: a pharmacy's request and where it is: its state, its trip once dispatched,
  the one-time code's hash, the fee's charge, the release as the vehicle reported it.
  ``(pharmacy_id, idempotency_key)`` is unique: a pharmacy system that retries gets the
  delivery it already made. ``version`` guards each change against a concurrent one.
- ``delivery_event``: every lifecycle step, append-only, with who or what caused it.
- ``delivery_temperature``: the payload's temperature as its sensor reported it.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel

from logistics.lifecycle import DeliveryState
from logistics.model import DropPointKind, Payer, TemperatureClass

__all__ = [
    "DeliveryEventRow",
    "DeliveryRow",
    "DeliveryVehicleRow",
    "DepotRow",
    "DropPointRow",
    "TemperatureRow",
]


def _in(column: str, values: Any) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


def _utc(*, nullable: bool = False, index: bool = False) -> Any:
    return Column(DateTime(timezone=True), nullable=nullable, index=index)


class DepotRow(SQLModel, table=True):
    """A depot."""

    __tablename__ = "depot"
    __table_args__ = (
        CheckConstraint("battery_swap_s IS NULL OR battery_swap_s > 0", name="depot_swap"),
    )

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    lat_deg: float
    lon_deg: float
    battery_swap_s: float | None = None
    created_at: datetime = Field(sa_column=_utc())


class DropPointRow(SQLModel, table=True):
    """A registered drop point and what its check found."""

    __tablename__ = "drop_point"
    __table_args__ = (
        CheckConstraint(_in("kind", DropPointKind), name="drop_point_kind"),
        CheckConstraint("clear_radius_m > 0", name="drop_point_clear"),
        CheckConstraint(
            "approach_from_deg IS NULL OR (approach_from_deg >= 0 AND approach_from_deg < 360)",
            name="drop_point_approach",
        ),
    )

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    lat_deg: float
    lon_deg: float
    kind: str = Field(max_length=30)
    releases: list[str] = Field(sa_column=Column(JSON, nullable=False))
    clear_radius_m: float
    approach_from_deg: float | None = None
    resident_id: str | None = Field(default=None, index=True, max_length=200)
    """The resident whose garden it is, when it is one's."""
    reach: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    permissions: list[str] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(sa_column=_utc())


class DeliveryVehicleRow(SQLModel, table=True):
    """A registered vehicle stationed at a depot for deliveries."""

    __tablename__ = "delivery_vehicle"
    __table_args__ = (
        CheckConstraint(
            "box_l_cm > 0 AND box_w_cm > 0 AND box_h_cm > 0 AND empty_kg > 0 AND "
            "endurance_min > 0 AND speed_m_s > 0 AND cruise_altitude_m > 0 AND "
            "cruise_altitude_m <= 150 AND charge_min > 0",
            name="delivery_vehicle_figures",
        ),
    )

    registration: str = Field(
        primary_key=True, foreign_key="vehicle.registration", ondelete="RESTRICT", max_length=40
    )
    depot_id: str = Field(foreign_key="depot.id", ondelete="RESTRICT", index=True, max_length=64)
    box_l_cm: float
    box_w_cm: float
    box_h_cm: float
    empty_kg: float
    endurance_min: float
    speed_m_s: float
    cruise_altitude_m: float
    insulated: bool
    charge_min: float
    releases: list[str] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(sa_column=_utc())


class DeliveryRow(SQLModel, table=True):
    """A delivery: the request, its state, its trip, its proof and its fee."""

    __tablename__ = "delivery"
    __table_args__ = (
        UniqueConstraint("pharmacy_id", "idempotency_key", name="delivery_idempotency"),
        CheckConstraint(_in("state", DeliveryState), name="delivery_state"),
        CheckConstraint(_in("payer", Payer), name="delivery_payer"),
        CheckConstraint(_in("temperature", TemperatureClass), name="delivery_temperature_class"),
        CheckConstraint(
            "weight_kg > 0 AND version >= 1 AND code_attempts >= 0", name="delivery_figures"
        ),
        CheckConstraint("fee_yen IS NULL OR fee_yen >= 0", name="delivery_fee"),
    )

    id: str = Field(primary_key=True, max_length=36)
    pharmacy_id: str = Field(index=True, max_length=200)
    """The account the request was made by (a pharmacy's person or its system's)."""
    idempotency_key: str | None = Field(default=None, max_length=200)
    drop_point_id: str = Field(
        foreign_key="drop_point.id", ondelete="RESTRICT", index=True, max_length=64
    )
    items: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    recipient: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    resident_id: str | None = Field(default=None, index=True, max_length=200)
    """The recipient's account, when the recipient is a resident known to the city identity."""
    window_start: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    window_end: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    payer: str = Field(max_length=20)
    temperature: str = Field(max_length=20)
    weight_kg: float
    state: str = Field(index=True, max_length=30)
    version: int = 1
    trip: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    """The dispatched trip: vehicle, depot, release, times, energy."""
    code_hash: str | None = Field(default=None, max_length=64)
    """SHA-256 of the one-time code the recipient confirms with."""
    code_attempts: int = 0
    """Wrong codes tried; after too many the code is refused."""
    confirm_by: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    """Unconfirmed by then, the delivery is escalated."""
    escalated_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    recall_note: str | None = Field(default=None, max_length=600)
    """Who ordered the drone home with the parcel, and why (the flying process acts on it)."""
    released_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    release_lat_deg: float | None = None
    release_lon_deg: float | None = None
    landed_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    fee_yen: int | None = None
    charge_key: str | None = Field(default=None, max_length=200)
    charge_status: str | None = Field(default=None, max_length=30)
    created_at: datetime = Field(sa_column=_utc(index=True))
    updated_at: datetime = Field(sa_column=_utc())


class DeliveryEventRow(SQLModel, table=True):
    """One lifecycle step of a delivery."""

    __tablename__ = "delivery_event"

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: str = Field(
        foreign_key="delivery.id", ondelete="CASCADE", index=True, max_length=36
    )
    at: datetime = Field(sa_column=_utc())
    from_state: str | None = Field(default=None, max_length=30)
    to_state: str = Field(max_length=30)
    by: str = Field(max_length=200)
    note: str = Field(default="", max_length=1000)


class TemperatureRow(SQLModel, table=True):
    """One reading of a payload's temperature; a reading sent again is kept once."""

    __tablename__ = "delivery_temperature"
    __table_args__ = (
        UniqueConstraint("delivery_id", "source", "at", name="delivery_temperature_once"),
    )

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: str = Field(
        foreign_key="delivery.id", ondelete="CASCADE", index=True, max_length=36
    )
    at: datetime = Field(sa_column=_utc())
    temperature_c: float
    source: str = Field(max_length=200)
