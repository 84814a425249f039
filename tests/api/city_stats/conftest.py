"""The city's world for the dashboard and open-data tests, built through the real stores:
fields imported into the registry, missions through their lifecycle, flight logs saved,
deliveries flown and confirmed, a paddy steered by the real control loop through a storm.

Three districts split the benchmark fields by longitude: 西 (B000, B001), 中 (B004), 東
(B005, B006, B007). In June: B000 (0.30 ha, farmer 1) sprayed twice, B004 (farmer 1)
once, B005, B006 and B007 (farmers 2, 3, 4) once each; two flights in 西 (farmer 1's
mission, 600 s; a pilot's own, 1800 s, on a simulator); a delivery confirmed at the garden in
東 and one flown back from the community centre in 西; farmer 2's paddy on B005 filled, then
holding storm water under a declared warning. In July: B001 (0.60 ha, farmer 2) surveyed.
"""

import asyncio
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from api import fleet_store, registry
from api.accounts import Role, create_account
from api.app import create_app
from api.config import load_settings
from api.db import connect, migrate
from api.demo.delivery_world import build_world
from api.irrigation import store as water_store
from api.irrigation.outlook import DatabaseOutlook, declare_warning, end_warning
from api.irrigation.service import DatabaseControlStore
from api.logistics import store as delivery_store
from api.logistics.flights import delivery_flight
from api.logistics.progress import on_signal, start_loading
from api.logistics.service import DeliveryService
from api.scheduling import (
    JST,
    MissionKind,
    MissionRequest,
    MissionStatus,
    PlanEstimate,
    ProgressEvent,
    ProgressKind,
    approve,
    change_status,
    record_progress,
    request_mission,
)
from api.serving import serving
from core.clock import FakeClock
from core.geo import GeoPoint
from fleet import FlightLog, FlightPurpose, FlightResult
from fleet.flightlog import Place
from irrigation import Device, DeviceKind, GateRole, Metric, Paddy, Reading
from irrigation.gates_mqtt import InProcessGates
from irrigation.runner import IrrigationRunner
from logistics import DeliveryRequest, Item, Recipient, Signal, SignalKind
from tests.api.conftest import Api
from tests.fleet.test_registry import sprayer_drone

START = datetime(2026, 6, 1, 0, 0, tzinfo=UTC)  # 09:00 on 1 June in Kasai
ASKED = datetime(2026, 7, 20, 3, 0, tzinfo=UTC)
"""When the figures are asked for (the farmers' tokens last 60 days from START)."""
FLOODING_MM_DAY = 20.0
SPRAYER = "JU0123456789"
SIM = "SIM-CITY-1"
WEST, MIDDLE, EAST = "西", "中", "東"
_BANDS = {WEST: (134.80, 134.835), MIDDLE: (134.835, 134.845), EAST: (134.845, 134.90)}


def jst(month: int, day: int, hour: int = 10) -> datetime:
    """A time in 2026, Japan time, as UTC."""
    return datetime(2026, month, day, hour, tzinfo=JST).astimezone(UTC)


def districts_geojson() -> dict[str, Any]:
    """The three districts as lon/lat rectangles, named as a city's file names them."""

    def band(west: float, east: float) -> dict[str, Any]:
        ring = [[west, 34.90], [east, 34.90], [east, 34.98], [west, 34.98], [west, 34.90]]
        return {"type": "Polygon", "coordinates": [ring]}

    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"name": name}, "geometry": band(*bounds)}
            for name, bounds in _BANDS.items()
        ],
    }


@pytest.fixture
def city_api(database_url: str, tmp_path: Path) -> Iterator[Api]:
    """The API with the three districts and a 減水深 of 20 mm/day, on SQLite and PostgreSQL."""
    path = tmp_path / "districts.geojson"
    path.write_text(json.dumps(districts_geojson(), ensure_ascii=False), encoding="utf-8")
    engine = connect(database_url)
    migrate(engine)
    clock = FakeClock(START)
    settings = load_settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        districts_file=path,
        continuous_flooding_mm_day=FLOODING_MM_DAY,
    )
    app = create_app(settings, engine=engine, clock=clock, migrate_schema=False)
    with serving(app) as base_url:
        running = Api(base_url=base_url, engine=engine, clock=clock, services=app.state.services)
        yield running
        for client in running.clients:
            client.close()
    engine.dispose()


@dataclass
class World:
    """The accounts and what the figures are expected from."""

    farmers: list[str]
    area_ha: dict[str, float]
    paddy: str


def _import(api: Api, sample_data: Path, owner: str, ids: set[str], folder: Path) -> None:
    collection = json.loads((sample_data / "kasai_benchmark_fields.geojson").read_text())
    collection["features"] = [f for f in collection["features"] if f["properties"]["id"] in ids]
    path = folder / f"fields-{owner}.geojson"
    path.write_text(json.dumps(collection))
    options = api.services.settings.import_options(owner=owner)
    registry.import_fields(api.engine, path, options, clock=api.clock)


def complete(api: Api, owner: str, field_id: str, at: datetime, kind: MissionKind) -> int:
    """A mission of one field requested, approved, booked, flown and completed at ``at``."""
    request = MissionRequest(
        kind=kind,
        field_ids=(field_id,),
        window_start=at - timedelta(days=1),
        window_end=at + timedelta(days=1),
        estimate=PlanEstimate(sorties=1, flight_time_s=600.0, area_ha=0.2),
        place=GeoPoint(lat_deg=34.92, lon_deg=134.84),
    )
    mission_id = request_mission(api.engine, request, owner=owner, clock=api.clock).id
    approve(api.engine, mission_id, by="operator", clock=api.clock)
    slot = {"vehicle": SPRAYER, "slot_start": at - timedelta(minutes=20),
            "slot_end": at, "busy_until": at + timedelta(minutes=10)}  # fmt: skip
    change_status(api.engine, mission_id, MissionStatus.SCHEDULED, by="scheduler",
                  now=at - timedelta(hours=2), changes=slot)  # fmt: skip
    change_status(api.engine, mission_id, MissionStatus.DISPATCHED, by="scheduler",
                  now=at - timedelta(minutes=20))  # fmt: skip
    done = ProgressEvent(kind=ProgressKind.COMPLETED, at=at)
    assert record_progress(api.engine, mission_id, done).status is MissionStatus.COMPLETED
    return mission_id


def flight(api: Api, *, registration: str, at: datetime, seconds: float, **more: Any) -> None:
    """A finished flight's log saved through the fleet store."""
    log = FlightLog(
        flight_id=str(uuid.uuid4()),
        flight_date=at.astimezone(JST).date(),
        pilot="加西 太郎",
        registration=registration,
        purpose=FlightPurpose.SPRAYING,
        result=FlightResult.COMPLETED,
        takeoff_at=at,
        landing_at=at + timedelta(seconds=seconds),
        flight_time_s=seconds,
        **more,
    )
    fleet_store.save_flight_log(api.engine, log, clock=api.clock)


def _level(api: Api, value: float) -> None:
    now = api.clock.now()
    reading = Reading(device_id="lv-east", metric=Metric.WATER_LEVEL, value=value,
                      device_time=now - timedelta(seconds=30),
                      received_at=now - timedelta(seconds=20))  # fmt: skip
    water_store.store_readings(api.engine, [reading], source="mqtt", clock=api.clock)


def steer_paddy(api: Api, owner: str) -> str:
    """Farmer 2's paddy on B005: filled from 3 cm, then a warning holds storm water up to
    10 cm, then it ends; one control loop (its memory of modes) throughout."""
    paddy = Paddy(id="P-east", farm="kasai-east", area_m2=3000.0, field_id="B005",
                  transplanted_on=date(2026, 5, 29), outlet_flow_m3_h=60.0)  # fmt: skip
    water_store.add_paddy(api.engine, paddy, owner=owner, clock=api.clock)
    for device in (
        Device(id="lv-east", farm="kasai-east", kind=DeviceKind.SENSOR, paddy_id="P-east"),
        Device(id="in-east", farm="kasai-east", kind=DeviceKind.GATE, paddy_id="P-east",
               role=GateRole.INLET),
        Device(id="out-east", farm="kasai-east", kind=DeviceKind.GATE, paddy_id="P-east",
               role=GateRole.OUTLET),
    ):  # fmt: skip
        water_store.register_device(api.engine, device)
    outlook = DatabaseOutlook(api.engine, None, place=GeoPoint(lat_deg=34.92, lon_deg=134.85))
    runner = IrrigationRunner(DatabaseControlStore(api.engine), InProcessGates(clock=api.clock),
                              weather=outlook, clock=api.clock)  # fmt: skip

    async def ticks(levels: list[float]) -> None:
        for value in levels:
            api.clock.advance(600)
            _level(api, value)
            await runner.tick()
            await runner.drain()

    asyncio.run(ticks([3.0, 3.1, 3.2]))
    warning = declare_warning(api.engine, area="kasai-east", starts_at=api.clock.now(),
                              ends_at=api.clock.now() + timedelta(hours=6), by="city",
                              reason="大雨警報", at=api.clock.now())  # fmt: skip
    asyncio.run(ticks([6.0, 8.0, 10.0]))
    end_warning(api.engine, warning.id, at=api.clock.now())
    asyncio.run(ticks([9.0, 7.0, 6.5, 6.4]))
    return paddy.id


def deliver(api: Api) -> None:
    """A parcel confirmed at the garden in 東, another flown back from the centre in 西."""
    service: DeliveryService = api.services.extras["deliveries"]
    build_world(api.engine, service, clock=api.clock)
    pharmacy = create_account(api.engine, display_name="薬局", roles=[Role.PHARMACY]).id
    ids = {}
    for drop in ("GARDEN-E", "CENTRE-W"):
        resident = create_account(api.engine, display_name=f"住民 {drop}", roles=[]).id
        request = DeliveryRequest(
            id=service.new_id(), pharmacy_id=pharmacy, drop_point_id=drop,
            items=(Item(name="薬", weight_kg=0.4, size_cm=(20, 15, 8)),),
            recipient=Recipient(resident_id=resident), requested_at=api.clock.now(),
        )  # fmt: skip
        ids[drop] = service.request(request, idempotency_key=None)[0].id
    codes = service.dispatch().codes
    for drop, delivery_id in ids.items():
        stored = delivery_store.get_delivery(api.engine, delivery_id)
        trip = delivery_flight(service, stored)
        start_loading(service, delivery_id, by="operator:city")
        api.clock.advance(60)
        signal = partial(on_signal, service, delivery_id, marks=trip.marks,
                         vehicle_id=trip.vehicle_id)  # fmt: skip
        signal(Signal(kind=SignalKind.TOOK_OFF))
        if drop == "CENTRE-W":  # nobody there: flown back with the parcel
            api.clock.advance(300)
            signal(Signal(kind=SignalKind.LANDED, at_depot=True))
            continue
        for seq in range(1, trip.marks.released_seq + 1):
            api.clock.advance(30)
            signal(Signal(kind=SignalKind.ITEM_REACHED, seq=seq), position=trip.drop)
        api.clock.advance(120)
        signal(Signal(kind=SignalKind.LANDED))
        service.confirm(delivery_id, code=codes[delivery_id])


@pytest.fixture
def world(city_api: Api, sample_data: Path, tmp_path: Path) -> World:
    """The city's June and July (see the module), the clock then at :data:`ASKED`."""
    api = city_api
    farmers = [
        create_account(api.engine, display_name=f"farmer {n}", roles=[Role.FARMER]).id
        for n in (1, 2, 3, 4)
    ]
    owned = [{"B000", "B004"}, {"B001", "B005"}, {"B006"}, {"B007"}]
    for farmer, ids in zip(farmers, owned, strict=True):
        _import(api, sample_data, farmer, ids, tmp_path)
    fleet_store.add_vehicle(api.engine, sprayer_drone())
    fleet_store.add_vehicle(api.engine, sprayer_drone(registration=SIM, system_id=5))
    paddy = steer_paddy(api, farmers[1])
    deliver(api)
    first = complete(api, farmers[0], "B000", jst(6, 10), MissionKind.SPRAY)
    complete(api, farmers[0], "B000", jst(6, 24), MissionKind.SPRAY)
    complete(api, farmers[0], "B004", jst(6, 11), MissionKind.SPRAY)
    for farmer, field_id in zip(farmers[1:], ("B005", "B006", "B007"), strict=True):
        complete(api, farmer, field_id, jst(6, 12), MissionKind.SPRAY)
    complete(api, farmers[1], "B001", jst(7, 5), MissionKind.SURVEY)
    flight(api, registration=SPRAYER, at=jst(6, 10), seconds=600.0,
           mission_name=f"mission-{first}.plan")  # fmt: skip
    west = Place(point=GeoPoint(lat_deg=34.93, lon_deg=134.82))
    flight(api, registration=SIM, at=jst(6, 15), seconds=1800.0, takeoff=west)
    api.clock.advance((ASKED - api.clock.now()).total_seconds())
    areas = {str(f.id): f.area_m2 / 10_000 for f in registry.list_fields(api.engine)}
    return World(farmers=farmers, area_ha=areas, paddy=paddy)


@pytest.fixture
def world_by_code(api: Api, sample_data: Path, tmp_path: Path) -> str:
    """With no districts file: field B000 of Kasai (282201) sprayed on 2 June; the
    municipality code it is grouped by."""
    collection = json.loads((sample_data / "kasai_benchmark_fields.geojson").read_text())
    (feature,) = [f for f in collection["features"] if f["properties"]["id"] == "B000"]
    feature["properties"]["municipality_code"] = "282201"
    collection["features"] = [feature]
    path = tmp_path / "kasai.geojson"
    path.write_text(json.dumps(collection))
    farmer = create_account(api.engine, display_name="farmer", roles=[Role.FARMER]).id
    registry.import_fields(api.engine, path, api.services.settings.import_options(owner=farmer))
    fleet_store.add_vehicle(api.engine, sprayer_drone())
    complete(api, farmer, "B000", jst(6, 2), MissionKind.SPRAY)
    api.clock.advance(5 * 86_400)
    return "282201"
