"""Stored deliveries as values: the request, the lifecycle, the trip, the proof and the fee;
and their translation to and from rows. The tables are in :mod:`api.logistics.tables`."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from api.db import aware
from api.logistics.tables import DeliveryEventRow, DeliveryRow, DropPointRow
from core.geo import GeoPoint
from logistics.drop_points import Reach
from logistics.lifecycle import Delivery, DeliveryState, Event
from logistics.model import (
    DeliveryRequest,
    DropPoint,
    DropPointKind,
    Item,
    Payer,
    Recipient,
    TemperatureClass,
    TimeWindow,
)
from logistics.schedule import Trip
from mission_planner import PayloadRelease

__all__ = [
    "StoredDelivery",
    "StoredDropPoint",
    "TripRecord",
    "delivery_of",
    "drop_point_of",
    "items_json",
    "request_of",
    "trip_json",
    "trip_record",
]


@dataclass(frozen=True, kw_only=True, slots=True)
class TripRecord:
    """A delivery's trip as dispatch planned it."""

    vehicle_id: str
    depot_id: str
    release: PayloadRelease
    takeoff_at: datetime
    drop_at: datetime
    landed_at: datetime
    ready_at: datetime
    energy_used_fraction: float
    route_m: float
    permissions: tuple[str, ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class StoredDelivery:
    """A delivery as stored."""

    request: DeliveryRequest
    lifecycle: Delivery
    version: int
    trip: TripRecord | None = None
    code_hash: str | None = None
    code_attempts: int = 0
    """Wrong codes tried so far (the code is refused after too many)."""
    confirm_by: datetime | None = None
    escalated_at: datetime | None = None
    recall_note: str | None = None
    """Who ordered the drone home with the parcel while it flew, and why."""
    released_at: datetime | None = None
    release_at: GeoPoint | None = None
    fee_yen: int | None = None
    charge_key: str | None = None
    charge_status: str | None = None
    created_at: datetime | None = None

    @property
    def id(self) -> str:
        """The delivery's id (the request's)."""
        return self.request.id

    @property
    def state(self) -> DeliveryState:
        """Where it is in its life."""
        return self.lifecycle.state


@dataclass(frozen=True, kw_only=True, slots=True)
class StoredDropPoint:
    """A registered drop point and what its check found."""

    drop: DropPoint
    resident_id: str | None
    reach: tuple[Reach, ...]
    permissions: tuple[str, ...] = field(default_factory=tuple)


def items_json(items: tuple[Item, ...]) -> list[dict[str, Any]]:
    """Items as stored."""
    return [
        {"name": i.name, "weight_kg": float(i.weight_kg), "size_cm": [float(x) for x in i.size_cm],
         "temperature": i.temperature.value}
        for i in items
    ]  # fmt: skip


def _items(data: list[dict[str, Any]]) -> tuple[Item, ...]:
    return tuple(
        Item(name=d["name"], weight_kg=float(d["weight_kg"]),
             size_cm=(float(d["size_cm"][0]), float(d["size_cm"][1]), float(d["size_cm"][2])),
             temperature=TemperatureClass(d["temperature"]))
        for d in data
    )  # fmt: skip


def request_of(row: DeliveryRow) -> DeliveryRequest:
    """The request a row keeps."""
    window = None
    if row.window_start is not None and row.window_end is not None:
        window = TimeWindow(earliest=aware(row.window_start), latest=aware(row.window_end))
    return DeliveryRequest(
        id=row.id, pharmacy_id=row.pharmacy_id, items=_items(row.items),
        recipient=Recipient(**row.recipient), drop_point_id=row.drop_point_id,
        requested_at=aware(row.created_at), window=window, payer=Payer(row.payer),
    )  # fmt: skip


def trip_record(trip: Trip) -> TripRecord:
    """What is kept of a dispatched trip."""
    return TripRecord(
        vehicle_id=trip.vehicle_id, depot_id=trip.depot_id, release=trip.release,
        takeoff_at=trip.takeoff_at, drop_at=trip.drop_at, landed_at=trip.landed_at,
        ready_at=trip.ready_at, energy_used_fraction=round(trip.energy_used_fraction, 4),
        route_m=round(float(trip.plan.stats["outbound_m"]), 1),
        permissions=tuple(trip.plan.permissions),
    )  # fmt: skip


def trip_json(trip: TripRecord | None) -> dict[str, Any] | None:
    """A trip as stored."""
    if trip is None:
        return None
    return {
        "vehicle_id": trip.vehicle_id, "depot_id": trip.depot_id, "release": trip.release.value,
        "takeoff_at": trip.takeoff_at.isoformat(), "drop_at": trip.drop_at.isoformat(),
        "landed_at": trip.landed_at.isoformat(), "ready_at": trip.ready_at.isoformat(),
        "energy_used_fraction": trip.energy_used_fraction, "route_m": trip.route_m,
        "permissions": list(trip.permissions),
    }  # fmt: skip


def _trip(data: dict[str, Any] | None) -> TripRecord | None:
    if data is None:
        return None
    return TripRecord(
        vehicle_id=data["vehicle_id"], depot_id=data["depot_id"],
        release=PayloadRelease(data["release"]),
        takeoff_at=datetime.fromisoformat(data["takeoff_at"]),
        drop_at=datetime.fromisoformat(data["drop_at"]),
        landed_at=datetime.fromisoformat(data["landed_at"]),
        ready_at=datetime.fromisoformat(data["ready_at"]),
        energy_used_fraction=float(data["energy_used_fraction"]),
        route_m=float(data["route_m"]), permissions=tuple(data["permissions"]),
    )  # fmt: skip


def _maybe(moment: datetime | None) -> datetime | None:
    return None if moment is None else aware(moment)


def _event(e: DeliveryEventRow) -> Event:
    before = DeliveryState(e.from_state) if e.from_state else None
    return Event(at=aware(e.at), from_state=before, to_state=DeliveryState(e.to_state), by=e.by,
                 note=e.note)  # fmt: skip


def delivery_of(row: DeliveryRow, events: list[DeliveryEventRow]) -> StoredDelivery:
    """A delivery from its row and its events (in order)."""
    lifecycle = Delivery(
        id=row.id,
        state=DeliveryState(row.state),
        events=tuple(_event(e) for e in events),
        landed_at=_maybe(row.landed_at),
    )
    release_at = None
    if row.release_lat_deg is not None and row.release_lon_deg is not None:
        release_at = GeoPoint(lat_deg=row.release_lat_deg, lon_deg=row.release_lon_deg)
    return StoredDelivery(
        request=request_of(row), lifecycle=lifecycle, version=row.version, trip=_trip(row.trip),
        code_hash=row.code_hash, code_attempts=row.code_attempts,
        recall_note=row.recall_note,
        confirm_by=_maybe(row.confirm_by),
        escalated_at=_maybe(row.escalated_at), released_at=_maybe(row.released_at),
        release_at=release_at, fee_yen=row.fee_yen, charge_key=row.charge_key,
        charge_status=row.charge_status, created_at=aware(row.created_at),
    )  # fmt: skip


def drop_point_of(row: DropPointRow) -> StoredDropPoint:
    """A drop point from its row."""
    drop = DropPoint(
        id=row.id, name=row.name, location=GeoPoint(lat_deg=row.lat_deg, lon_deg=row.lon_deg),
        kind=DropPointKind(row.kind), releases=tuple(PayloadRelease(r) for r in row.releases),
        clear_radius_m=row.clear_radius_m, approach_from_deg=row.approach_from_deg,
    )  # fmt: skip
    return StoredDropPoint(
        drop=drop,
        resident_id=row.resident_id,
        reach=tuple(Reach(**r) for r in row.reach),
        permissions=tuple(row.permissions),
    )
