"""Scheduling fixtures: a fake clock at dawn in Japan, registered drones, requests, weather."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, update
from sqlmodel import Session, col

from api import fleet_store
from api.scheduling import (
    JST,
    SAMPLE_WEATHER,
    MissionKind,
    MissionRequest,
    MissionStatus,
    PlanEstimate,
    RecordedWeather,
    SchedulingRules,
    WeatherHour,
    request_mission,
)
from api.scheduling.tables import MissionRow
from core.clock import FakeClock
from core.geo import GeoPoint
from fleet.registry import Sprayer, VehicleRecord
from tests.fleet.test_registry import sprayer_drone

SPRAYER = "JU0123456789"
SPRAYER_2 = "JUABCDEFGHIJ"
CAMERA = "JU3A7K9M2P4X"
FARMER = "acct-farmer-1"
OPERATOR = "acct-operator-1"
DAWN = datetime(2026, 6, 1, 5, 0, tzinfo=JST)
"""05:00 in Japan on 1 June 2026, the first day of the sample weather."""
KASAI = GeoPoint(lat_deg=34.9283, lon_deg=134.8414)


def jst(day: int, hour: int, minute: int = 0) -> datetime:
    """A time in June 2026, Japan time, as UTC."""
    return datetime(2026, 6, day, hour, minute, tzinfo=JST).astimezone(UTC)


def camera_drone() -> VehicleRecord:
    """A survey drone: no sprayer, no tank."""
    return sprayer_drone(registration=CAMERA, sprayer=Sprayer(), tank_l=0.0, system_id=3)


def spray_request(**changes: Any) -> MissionRequest:
    """Spraying two fields on 1–3 June: two sorties, 25 min in the air, 16 L."""
    values: dict[str, Any] = {
        "kind": MissionKind.SPRAY,
        "field_ids": ("kasai-001", "kasai-002"),
        "window_start": jst(1, 0),
        "window_end": jst(4, 0),
        "estimate": PlanEstimate(sorties=2, flight_time_s=1500.0, area_ha=1.6, volume_l=16.0),
        "place": KASAI,
        "params": {"swath_m": 5.0, "rate_l_ha": 10.0, "altitude_m": 3.0},
    }
    return MissionRequest(**(values | changes))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(DAWN)


@pytest.fixture
def sample_weather() -> RecordedWeather:
    return RecordedWeather.read(SAMPLE_WEATHER)


def calm_weather(*extra: WeatherHour) -> RecordedWeather:
    """A still, dry June 2026 (every hour recorded: an hour with no data holds a flight),
    with ``extra`` hours in place of the calm ones."""
    start = datetime(2026, 5, 31, tzinfo=UTC)
    hours = {
        h.start: h
        for h in (
            WeatherHour(start=start + timedelta(hours=k), wind_m_s=1.0, gust_m_s=2.0,
                        precipitation_mm=0.0)
            for k in range(24 * 32)
        )
    }  # fmt: skip
    hours.update({h.start: h for h in extra})
    return RecordedWeather(list(hours.values()))


@pytest.fixture
def calm() -> RecordedWeather:
    """Still and dry all June: nothing holds."""
    return calm_weather()


@pytest.fixture
def rules() -> SchedulingRules:
    return SchedulingRules()


@pytest.fixture
def fleet(engine: Engine) -> list[VehicleRecord]:
    """Two spray drones and a camera drone, registered."""
    vehicles = [sprayer_drone(), sprayer_drone(registration=SPRAYER_2, system_id=2), camera_drone()]
    for v in vehicles:
        fleet_store.add_vehicle(engine, v)
    return vehicles


NewMission = Callable[..., int]


@pytest.fixture
def new_mission(engine: Engine, clock: FakeClock) -> NewMission:
    """Store a spray request (changes as keywords) and put it in ``status`` directly."""

    def make(status: MissionStatus = MissionStatus.REQUESTED, **changes: Any) -> int:
        mission = request_mission(engine, spray_request(**changes), owner=FARMER, clock=clock)
        if status is not MissionStatus.REQUESTED:
            force_status(engine, mission.id, status)
        return mission.id

    return make


def force_status(engine: Engine, mission_id: int, status: MissionStatus) -> None:
    """Put a mission in a status without the lifecycle (to test from every status)."""
    values: dict[str, Any] = {"status": status.value}
    if status in (MissionStatus.SCHEDULED, MissionStatus.DISPATCHED, MissionStatus.FLYING):
        start = jst(1, 6)
        values |= {"vehicle": SPRAYER, "slot_start": start,
                   "slot_end": start + timedelta(minutes=35),
                   "busy_until": start + timedelta(minutes=55)}  # fmt: skip
    with Session(engine) as session:
        session.execute(update(MissionRow).where(col(MissionRow.id) == mission_id).values(**values))
        session.commit()
