"""A small city in the database for publishing: two farmers (one consenting), their fields
and paddies with sensors and readings, drones, a depot and drop points, and deliveries to
residents (one consenting) and to someone with no account."""

import uuid
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session

from api import fleet_store
from api.accounts import create_account, grant_city_data_consent
from api.irrigation import store as water
from api.logistics import store as deliveries
from api.logistics.records import StoredDelivery, TripRecord
from api.models import FieldRow, field_row
from core.clock import FakeClock
from core.geo import GeoPoint
from core.ids import FieldId, OwnerName
from fields import FieldRecord, LandUse
from fleet.registry import ReleaseKind, Sprayer, SprayerKind, VehicleRecord
from irrigation import Device, DeviceKind, GateRole, Metric, Paddy, Reading
from logistics.drop_points import DropPointCheck
from logistics.lifecycle import Delivery, DeliveryState, step
from logistics.model import (
    DeliveryRequest,
    DeliveryVehicle,
    Depot,
    DropPoint,
    DropPointKind,
    Item,
    Recipient,
)
from mission_planner import PayloadRelease
from tests.common.geometries import paddy

T0 = datetime(2026, 6, 1, 0, 0, tzinfo=UTC)
SPRAYER = "JU0000000001"
COURIER = "JU0000000002"
RETIRED = "JU0000000003"


@dataclass(frozen=True)
class City:
    """Who is who in the small city."""

    farmer: str
    """Consents."""
    neighbour: str
    """A farmer who does not consent."""
    resident: str
    """Consents; receives at her garden."""
    other_resident: str
    """Does not consent."""
    delivered: str
    """The consenting resident's finished delivery."""
    clock: FakeClock


def add_field(
    engine: Engine, field_id: str, owner: str, *, east_m: float, crop: str | None = "rice"
) -> None:
    """Register a 30 m × 100 m paddy field ``east_m`` east of Kasai city hall."""
    record = FieldRecord(
        id=FieldId(field_id), owner=OwnerName(owner), name=f"field {field_id}",
        geometry=paddy(east_m, 0), area_m2=3000.0, perimeter_m=260.0, local_crs_epsg=6673,
        crop=crop, variety="コシヒカリ" if crop else None, land_use=LandUse.PADDY,
        transplanted_on=date(2026, 5, 20),
    )  # fmt: skip
    with Session(engine) as session:
        session.add(FieldRow(**field_row(record, T0)))
        session.commit()


def _paddy_with_sensors(engine: Engine, owner: str, field_id: str, clock: FakeClock) -> None:
    paddy_id, level = f"P-{field_id}", f"lv-{field_id}"
    water.add_paddy(engine, Paddy(id=paddy_id, area_m2=3000.0, field_id=field_id),
                    owner=owner, clock=clock)  # fmt: skip
    sensor = Device(id=level, farm=owner, kind=DeviceKind.SENSOR, paddy_id=paddy_id)
    gate = Device(id=f"in-{field_id}", farm=owner, kind=DeviceKind.GATE, paddy_id=paddy_id,
                  role=GateRole.INLET)  # fmt: skip
    for device in (sensor, gate):
        water.register_device(engine, device, clock=clock)
    readings = [
        Reading(device_id=level, metric=Metric.WATER_LEVEL, value=v, paddy_id=paddy_id,
                device_time=T0 + timedelta(minutes=m))
        for m, v in ((0, 3.9), (10, 4.25))
    ] + [Reading(device_id=level, metric=Metric.SOIL_MOISTURE, value=38.0, paddy_id=paddy_id,
                 device_time=T0), Reading(device_id=level, metric=Metric.BATTERY, value=87.0,
                                          paddy_id=paddy_id, device_time=T0)]  # fmt: skip
    water.store_readings(engine, readings, source="mqtt", clock=clock)


def _vehicles(engine: Engine, clock: FakeClock) -> None:
    fleet_store.add_vehicle(engine, VehicleRecord(
        registration=SPRAYER, model="AG-10", maker="Tanbo Aero", serial_number="S-1",
        max_takeoff_weight_kg=24.0, tank_l=10.0, battery_mah=16000, battery_cells=12,
        sprayer=Sprayer(kind=SprayerKind.ARDUPILOT_SPRAYER)), clock=clock)  # fmt: skip
    for registration in (COURIER, RETIRED, "SIM-COURIER-1"):
        fleet_store.add_vehicle(engine, VehicleRecord(
            registration=registration, model="DX-2", max_takeoff_weight_kg=12.0,
            max_payload_kg=2.5, battery_mah=16000, battery_cells=6,
            release=ReleaseKind.WINCH), clock=clock)  # fmt: skip
    fleet_store.retire_vehicle(engine, RETIRED, clock=clock)
    deliveries.add_depot(engine, Depot(id="HALL", name="city hall",
                                       location=GeoPoint(lat_deg=34.9283, lon_deg=134.8414)),
                         now=T0)  # fmt: skip
    deliveries.add_delivery_vehicle(engine, DeliveryVehicle(
        id=COURIER, depot_id="HALL", payload_kg=2.5, box_cm=(40, 30, 25), empty_kg=9.0,
        endurance_min=30.0), now=T0)  # fmt: skip


def _drop(engine: Engine, drop_id: str, kind: DropPointKind, resident: str | None) -> None:
    drop = DropPoint(
        id=drop_id, name=drop_id, kind=kind, releases=(PayloadRelease.WINCH,),
        location=GeoPoint(lat_deg=34.93, lon_deg=134.85), clear_radius_m=5.0,
    )  # fmt: skip
    check = DropPointCheck(drop_point_id=drop_id, reach=(), permissions=())
    deliveries.add_drop_point(engine, drop, check, resident_id=resident, now=T0)


def add_delivery(engine: Engine, recipient: Recipient, drop_point: str, *, done: bool) -> str:
    """A delivery to ``recipient``; flown and finished when ``done``."""
    delivery_id = str(uuid.uuid4())
    request = DeliveryRequest(
        id=delivery_id, pharmacy_id="pharmacy", recipient=recipient, drop_point_id=drop_point,
        items=(Item(name="insulin", weight_kg=0.3, size_cm=(10, 10, 10)),), requested_at=T0,
    )  # fmt: skip
    deliveries.create_delivery(
        engine, request, Delivery.new(delivery_id, at=T0, by="pharmacy:p"), idempotency_key=None
    )
    if done:
        deliveries.change(engine, delivery_id, _flown)
    return delivery_id


def _flown(before: StoredDelivery) -> StoredDelivery:
    lifecycle, at = before.lifecycle, T0
    for state in (DeliveryState.ACCEPTED, DeliveryState.SCHEDULED, DeliveryState.LOADING,
                  DeliveryState.IN_FLIGHT, DeliveryState.ARRIVED, DeliveryState.RELEASED,
                  DeliveryState.CONFIRMED, DeliveryState.VEHICLE_RETURNED):  # fmt: skip
        at += timedelta(minutes=5)
        lifecycle = step(lifecycle, state, at=at, by="test")
    trip = TripRecord(
        vehicle_id=COURIER, depot_id="HALL", release=PayloadRelease.WINCH, takeoff_at=T0,
        drop_at=T0, landed_at=T0, ready_at=T0, energy_used_fraction=0.4, route_m=2000.0,
        permissions=(),
    )  # fmt: skip
    released = lifecycle.entered(DeliveryState.RELEASED)
    return replace(before, lifecycle=lifecycle, trip=trip, released_at=released)


def make_city(engine: Engine) -> City:
    """Register the small city on ``engine``."""
    clock = FakeClock(T0)
    farmer = create_account(engine, display_name="田中 稔", roles=[], clock=clock).id
    neighbour = create_account(engine, display_name="佐藤 花子", roles=[], clock=clock).id
    resident = create_account(engine, display_name="山本 恵", roles=[], clock=clock).id
    other = create_account(engine, display_name="鈴木 一郎", roles=[], clock=clock).id
    for account in (farmer, resident):
        grant_city_data_consent(engine, account, clock=clock)
    add_field(engine, "A-1", farmer, east_m=0)
    add_field(engine, "A-2", farmer, east_m=100, crop=None)
    add_field(engine, "B-1", neighbour, east_m=200)
    add_field(engine, "X-1", "kasai-farm", east_m=300)
    _paddy_with_sensors(engine, farmer, "A-1", clock)
    _paddy_with_sensors(engine, neighbour, "B-1", clock)
    water.register_device(engine, Device(id="lv-new", farm="x", kind=DeviceKind.SENSOR),
                          clock=clock)  # fmt: skip
    _vehicles(engine, clock)
    _drop(engine, "GARDEN-R", DropPointKind.GARDEN, resident)
    _drop(engine, "CLINIC", DropPointKind.CLINIC, None)
    delivered = add_delivery(engine, Recipient(resident_id=resident), "GARDEN-R", done=True)
    add_delivery(engine, Recipient(resident_id=other), "CLINIC", done=False)
    add_delivery(engine, Recipient(name="Mr Ito", phone="0790-00-0000"), "CLINIC", done=True)
    return City(farmer=farmer, neighbour=neighbour, resident=resident, other_resident=other,
                delivered=delivered, clock=clock)  # fmt: skip
