"""The scheduler's fleet for real: a tick dispatches a spray (or survey) mission through
FleetDispatch, which flies it on a simulated copter over TCP as ``tanbo fly`` would, and
the flight's progress comes back to the mission."""

import dataclasses
import hashlib
import json
import socket
import time
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import shapely
from sqlalchemy import Engine

from api import fleet_store, planning, registry
from api.config import Settings, load_settings
from api.db import connect, migrate
from api.fleet_dispatch import DispatchOptions, DispatchRefused, FleetDispatch, mission_dir
from api.plan_requests import SurveyWork, mission_params, survey_job
from api.scheduling import (
    FINAL,
    JST,
    SAMPLE_WEATHER,
    BookingRules,
    DispatchPort,
    Mission,
    MissionKind,
    MissionRequest,
    MissionStatus,
    PlanEstimate,
    RecordedWeather,
    RecordingDispatch,
    SchedulingRules,
    abort,
    approve,
    get_mission,
    history,
    request_mission,
    run_cycle,
    window_for_dates,
)
from core.clock import FakeClock
from core.geo import GeoPoint
from core.ids import OwnerName
from fields import ImportOptions
from fleet.flightlog import FlightPurpose, FlightResult
from fleet.registry import Sprayer, SprayerKind, VehicleRecord
from mission_planner import read_qgc_plan
from mission_planner.model import Command
from mission_planner.spray import SprayParams
from sim import Airframe, SimConfig
from sim.background import BackgroundSim
from sim.cluster import SimCluster

S = MissionStatus
REG = "SIM-SCHED-1"
FIELD = "B000"
"""A 30 m x 100 m paddy of the Kasai benchmark: 0.3 ha."""
HOME = GeoPoint(lat_deg=34.91876, lon_deg=134.82589)
"""A few metres south-west of the field's corner, where the copter stands."""
SLOT = datetime(2026, 6, 2, 6, 0, tzinfo=JST)
"""Dawn on 2 June: calm in the sample weather."""
PARAMS: dict[str, Any] = {
    "swath_m": 5.0, "rate_l_ha": 10.0, "tank_l": 2.0, "endurance_min": 12.0,
    "home": {"lat": HOME.lat_deg, "lon": HOME.lon_deg},
}  # fmt: skip
"""3 L for the field from a 2 L tank: two sorties, the crew refilling between them."""
SPEEDUP = 60.0
CREW_S = 20.0
"""Simulated seconds the ground crew takes to refill and swap the battery."""
OPERATOR = "acct-operator-1"
FARMER = "acct-farmer-1"
CAMERA_REG = "SIM-SURVEY-1"
SURVEY = SurveyWork.model_validate(
    {"camera": "DJI Mavic 3M MS", "altitude_m": 20.0, "home": PARAMS["home"]}
)
"""A multispectral survey of the field from 20 m: two lines, about a minute in the air."""


def sim_vehicle(connection: str, registration: str = REG) -> VehicleRecord:
    return VehicleRecord(
        registration=registration, model="Tanbo SIM 10 L sprayer", system_id=1,
        connection=connection, max_takeoff_weight_kg=24.9, max_payload_kg=10.0, tank_l=10.0,
        pump_max_l_min=16.0, battery_mah=22000, battery_cells=12,
        sprayer=Sprayer(kind=SprayerKind.ARDUPILOT_SPRAYER),
    )  # fmt: skip


def camera_vehicle(connection: str) -> VehicleRecord:
    """A survey drone on the simulator: no sprayer, no tank."""
    return VehicleRecord(
        registration=CAMERA_REG, model="Tanbo SIM camera", system_id=1, connection=connection,
        max_takeoff_weight_kg=1.5, battery_mah=5000, battery_cells=4,
    )  # fmt: skip


def free_port() -> int:
    """A loopback port nobody listens on (bound, read and let go)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def sqlite_engine(sqlite_url: str) -> Iterator[Engine]:
    eng = connect(sqlite_url)
    migrate(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(data_dir=tmp_path / "data")


@pytest.fixture
def sim() -> Iterator[BackgroundSim]:
    config = SimConfig(
        port=0, home_lat_deg=HOME.lat_deg, home_lon_deg=HOME.lon_deg, speedup=SPEEDUP,
        ground_crew_s=CREW_S, airframe=Airframe(pump_max_l_min=16.0),
    )  # fmt: skip
    with BackgroundSim(SimCluster(1, config)) as running:
        yield running


Fleet = Callable[[Engine], FleetDispatch]


@pytest.fixture
def fleet(settings: Settings) -> Iterator[Fleet]:
    made: list[FleetDispatch] = []

    def make(engine: Engine) -> FleetDispatch:
        options = DispatchOptions(turnaround_s=CREW_S + 5.0, turnaround_max_s=600.0,
                                  sortie_timeout_s=60.0, status_poll_s=0.5)  # fmt: skip
        dispatch = FleetDispatch(engine, settings, clock=FakeClock(SLOT),
                                 pilot_name="加西 太郎", options=options)  # fmt: skip
        made.append(dispatch)
        return dispatch

    yield make
    for dispatch in made:
        dispatch.close()


def register(engine: Engine, sample_data: Path, connection: str) -> None:
    fields = sample_data / "kasai_benchmark_fields.geojson"
    registry.import_fields(engine, fields, ImportOptions(owner=OwnerName(FARMER)))
    fleet_store.add_vehicle(engine, sim_vehicle(connection))


def requested(engine: Engine) -> Mission:
    """A farmer's request to spray the field on 2 June, sized by its plan as the route does."""
    (field,) = registry.list_fields(engine, ids=[FIELD])
    spray = {k: v for k, v in PARAMS.items() if k != "home"}
    job = planning.plan_spray_job(
        [(field.id, field.geometry)], SprayParams(**spray), home=None, zones=[], buffers_m={}
    )
    centre = shapely.centroid(field.geometry)
    start, end = window_for_dates(date(2026, 6, 2), date(2026, 6, 2))
    request = MissionRequest(
        kind=MissionKind.SPRAY, field_ids=(FIELD,), window_start=start, window_end=end,
        estimate=PlanEstimate.from_stats(job.plan.stats),
        place=GeoPoint(lat_deg=centre.y, lon_deg=centre.x), params=PARAMS,
    )  # fmt: skip
    return request_mission(engine, request, owner=FARMER, clock=FakeClock(SLOT))


def requested_survey(engine: Engine, settings: Settings) -> Mission:
    """A farmer's request to survey the field on 2 June, sized by its plan as the route does."""
    fields = registry.list_fields(engine, ids=[FIELD])
    plan = survey_job(engine, settings, SURVEY, fields)
    centre = shapely.centroid(fields[0].geometry)
    start, end = window_for_dates(date(2026, 6, 2), date(2026, 6, 2))
    estimate = PlanEstimate(sorties=plan.sorties, flight_time_s=plan.stats["flight_time_s"],
                            area_ha=plan.stats["area_ha"])  # fmt: skip
    request = MissionRequest(
        kind=MissionKind.SURVEY, field_ids=(FIELD,), window_start=start, window_end=end,
        estimate=estimate, place=GeoPoint(lat_deg=centre.y, lon_deg=centre.x),
        params=mission_params(SURVEY),
    )  # fmt: skip
    return request_mission(engine, request, owner=FARMER, clock=FakeClock(SLOT))


def dispatched(engine: Engine, fleet: DispatchPort, mission: Mission | None = None) -> int:
    """Request (unless given), approve and run one scheduler tick at the slot: it books and
    dispatches."""
    mission = mission or requested(engine)
    approve(engine, mission.id, by=OPERATOR, clock=FakeClock(SLOT))
    report = run_cycle(
        engine, now=SLOT, rules=SchedulingRules(booking=BookingRules(notice_s=0.0)),
        weather=RecordedWeather.read(SAMPLE_WEATHER), dispatch=fleet,
    )  # fmt: skip
    assert report.dispatched == [mission.id], report
    return mission.id


def claimed(engine: Engine) -> Mission:
    """A mission the scheduler has dispatched, as the port is handed it (a dry run's)."""
    recorder = RecordingDispatch()
    dispatched(engine, recorder)
    (mission,) = recorder.dispatched
    return mission


def wait_for(engine: Engine, mission_id: int, statuses: frozenset[S], within_s: float) -> Mission:
    deadline = time.monotonic() + within_s
    while True:
        mission = get_mission(engine, mission_id)
        if mission.status in statuses or time.monotonic() > deadline:
            return mission
        time.sleep(0.1)


def test_a_scheduled_mission_is_flown_on_the_simulator_logged_and_completed(
    sqlite_engine: Engine, settings: Settings, sample_data: Path, sim: BackgroundSim, fleet: Fleet
) -> None:
    engine = sqlite_engine
    register(engine, sample_data, f"tcp:127.0.0.1:{sim.cluster.ports[0]}")
    dispatch = fleet(engine)
    mission_id = dispatched(engine, dispatch)
    assert dispatch.running() == [mission_id]
    done = wait_for(engine, mission_id, FINAL, within_s=40.0)
    assert (done.status, done.reason) == (S.COMPLETED, None)
    changes = history(engine, mission_id)
    assert [c.to_status for c in changes][-3:] == [S.DISPATCHED, S.FLYING, S.COMPLETED]
    assert [c.by for c in changes][-2:] == ["telemetry", "telemetry"]
    assert dispatch.running() == []
    assert dispatch.abort(mission_id) is False
    plan = mission_dir(settings, mission_id) / f"mission-{mission_id}.plan"
    logs = fleet_store.list_flight_logs(engine, registration=REG)
    assert [log.result for log in logs] == [FlightResult.COMPLETED] * 2  # two tankfuls
    for log in logs:
        assert log.purpose is FlightPurpose.SPRAYING
        assert log.pilot == "加西 太郎"
        assert log.mission_name == plan.name
        assert log.mission_sha256 == hashlib.sha256(plan.read_bytes()).hexdigest()
    assert sum(log.area_sprayed_ha or 0.0 for log in logs) == pytest.approx(0.3, abs=0.05)
    assert plan.with_suffix(".geojson").is_file()  # what an operator opens on a map
    assert (settings.data_dir / "flight-logs.csv").is_file()


def test_an_abort_mid_flight_brings_the_vehicle_home_and_fails_the_mission(
    sqlite_engine: Engine, settings: Settings, sample_data: Path, sim: BackgroundSim, fleet: Fleet
) -> None:
    engine = sqlite_engine
    register(engine, sample_data, f"tcp:127.0.0.1:{sim.cluster.ports[0]}")
    dispatch = fleet(engine)
    mission_id = dispatched(engine, dispatch)
    assert dispatch.abort(mission_id + 1) is False  # nothing of that id flies here
    assert wait_for(engine, mission_id, frozenset({S.FLYING}), within_s=20.0).status is S.FLYING
    assert dispatch.abort(mission_id) is True
    done = wait_for(engine, mission_id, FINAL, within_s=20.0)
    assert done.status is S.FAILED
    assert done.reason is not None
    assert done.reason.startswith(f"{REG} on tcp:127.0.0.1:")
    assert "aborted by the operator; sortie 1 of 2 ended aborted" in done.reason
    assert dispatch.abort(mission_id) is False
    assert dispatch.running() == []
    (log,) = fleet_store.list_flight_logs(engine, registration=REG)
    assert log.result is FlightResult.ABORTED  # what flew is logged
    vehicle = sim.cluster.vehicles[0]
    assert not sim.call(lambda: vehicle.state.armed)  # landed at home (RTL)
    assert not sim.call(lambda: vehicle.state.sprayer_on)


def test_an_abort_recorded_by_another_process_reaches_the_vehicle(
    sqlite_engine: Engine, settings: Settings, sample_data: Path, sim: BackgroundSim, fleet: Fleet
) -> None:
    engine = sqlite_engine
    register(engine, sample_data, f"tcp:127.0.0.1:{sim.cluster.ports[0]}")
    dispatch = fleet(engine)
    mission_id = dispatched(engine, dispatch)
    assert wait_for(engine, mission_id, frozenset({S.FLYING}), within_s=20.0).status is S.FLYING
    abort(engine, mission_id, by=OPERATOR, reason="a person in the field", clock=FakeClock(SLOT))
    deadline = time.monotonic() + 20.0
    while dispatch.running() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert dispatch.running() == []
    done = get_mission(engine, mission_id)
    assert (done.status, done.reason) == (S.ABORTED, "a person in the field")
    (log,) = fleet_store.list_flight_logs(engine, registration=REG)
    assert log.result is FlightResult.ABORTED


def test_a_vehicle_nobody_answers_fails_the_mission_naming_its_link(
    engine: Engine, sample_data: Path, fleet: Fleet
) -> None:
    url = f"tcp:127.0.0.1:{free_port()}"
    register(engine, sample_data, url)
    dispatch = fleet(engine)
    mission_id = dispatched(engine, dispatch)
    done = wait_for(engine, mission_id, FINAL, within_s=10.0)
    assert done.status is S.FAILED
    assert done.reason is not None
    assert done.reason.startswith(f"{REG}: no link: cannot connect to {url}")
    assert fleet_store.list_flight_logs(engine) == []
    assert dispatch.running() == []
    assert dispatch.abort(mission_id) is False


def test_a_survey_mission_flies_on_a_camera_drone_without_the_sprayers_set_up(
    sqlite_engine: Engine, settings: Settings, sample_data: Path, sim: BackgroundSim, fleet: Fleet
) -> None:
    engine = sqlite_engine
    fields = sample_data / "kasai_benchmark_fields.geojson"
    registry.import_fields(engine, fields, ImportOptions(owner=OwnerName(FARMER)))
    fleet_store.add_vehicle(engine, camera_vehicle(f"tcp:127.0.0.1:{sim.cluster.ports[0]}"))
    dispatch = fleet(engine)
    mission_id = dispatched(engine, dispatch, requested_survey(engine, settings))
    done = wait_for(engine, mission_id, FINAL, within_s=20.0)
    assert (done.status, done.reason, done.vehicle) == (S.COMPLETED, None, CAMERA_REG)
    assert [c.to_status for c in history(engine, mission_id)][-3:] == [
        S.DISPATCHED, S.FLYING, S.COMPLETED,
    ]  # fmt: skip
    plan = mission_dir(settings, mission_id) / f"mission-{mission_id}.plan"
    items = read_qgc_plan(plan.read_text()).items
    triggers = [i.param1 for i in items if i.command == Command.DO_SET_CAM_TRIGG_DIST]
    assert triggers[0] > 0  # the camera on over the field,
    assert triggers[-1] == 0  # then off
    assert not any(i.command == Command.DO_SPRAYER for i in items)
    (log,) = fleet_store.list_flight_logs(engine, registration=CAMERA_REG)
    assert (log.result, log.purpose) == (FlightResult.COMPLETED, FlightPurpose.AERIAL_PHOTOGRAPHY)
    assert log.area_sprayed_ha is None
    assert log.items_reached == log.items_total  # every line flown
    assert log.mission_sha256 == hashlib.sha256(plan.read_bytes()).hexdigest()
    vehicle = sim.cluster.vehicles[0]
    assert not sim.call(lambda: vehicle.state.armed)
    assert not sim.call(lambda: vehicle.state.sprayer_on)


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"vehicle": None}, "has no vehicle booked"),
        ({"vehicle": "SIM-NOBODY"}, "no vehicle registered as 'SIM-NOBODY'"),
        ({"vehicle": "SIM-RETIRED"}, "vehicle SIM-RETIRED is retired"),
        ({"field_ids": (FIELD, "B999")}, "no registered field B999"),
        ({"owner": "acct-someone-else"}, f"field {FIELD} is no longer its farmer's"),
        ({"params": {"swath_m": 0.1}}, "its parameters: swath_m: Input should be greater than"),
        ({"params": {"swath_m": 5.0, "tank_l": 2.0}}, "give tank_l and rate_l_ha together"),
        ({"kind": MissionKind.SURVEY},
         f"vehicle {REG} is a sprayer; surveys fly on camera drones (no sprayer, no tank)"),
        ({"params": mission_params(SURVEY)},
         "its parameters are for survey work, not a spray mission"),
        ({"params": {"work": "harvest"}}, "its parameters are marked as 'harvest' work"),
    ],
)  # fmt: skip
def test_what_cannot_fly_is_refused_in_words_before_anything_starts(
    sqlite_engine: Engine,
    settings: Settings,
    sample_data: Path,
    fleet: Fleet,
    changes: dict[str, Any],
    says: str,
) -> None:
    engine = sqlite_engine
    register(engine, sample_data, "tcp:127.0.0.1:9")
    fleet_store.add_vehicle(engine, sim_vehicle("tcp:127.0.0.1:9", "SIM-RETIRED"))
    fleet_store.retire_vehicle(engine, "SIM-RETIRED")
    mission = claimed(engine)
    dispatch = fleet(engine)
    with pytest.raises(DispatchRefused, match=f"^mission {mission.id}") as refused:
        dispatch.dispatch(dataclasses.replace(mission, **changes))
    assert says in str(refused.value)
    assert dispatch.running() == []
    assert not mission_dir(settings, mission.id).exists()


def test_one_vehicle_flies_one_mission_at_a_time_and_close_stops_everything(
    sqlite_engine: Engine, sample_data: Path, fleet: Fleet
) -> None:
    engine = sqlite_engine
    with socket.create_server(("127.0.0.1", 0)) as silent:  # it answers TCP, never MAVLink
        url = f"tcp:127.0.0.1:{silent.getsockname()[1]}"
        register(engine, sample_data, url)
        first = claimed(engine)
        second = dataclasses.replace(first, id=first.id + 1)
        dispatch = fleet(engine)
        dispatch.dispatch(first)
        with pytest.raises(DispatchRefused, match=f"{REG} is still flying mission {first.id}"):
            dispatch.dispatch(second)
        with pytest.raises(DispatchRefused, match=f"mission {first.id} is flying already"):
            dispatch.dispatch(first)
        started = time.monotonic()
        dispatch.close()  # no 15 s wait for a heartbeat that never comes
        assert time.monotonic() - started < 5.0
    assert dispatch.running() == []
    done = get_mission(engine, first.id)
    assert done.status is S.FAILED
    assert done.reason == f"{REG} on {url}: the fleet dispatcher shut down: nothing took off"
    with pytest.raises(DispatchRefused, match="the fleet dispatcher is shut down"):
        dispatch.dispatch(second)


def test_a_request_for_a_bigger_tank_is_flown_in_more_sorties_on_the_booked_one(
    sqlite_engine: Engine, settings: Settings, sample_data: Path, fleet: Fleet
) -> None:
    engine = sqlite_engine
    with socket.create_server(("127.0.0.1", 0)) as silent:  # answers TCP, never MAVLink
        register(engine, sample_data, f"tcp:127.0.0.1:{silent.getsockname()[1]}")
        mission = claimed(engine)
        # 0.3 ha at 100 L/ha is 30 L: two 20 L tankfuls as asked, three on the 10 L booked.
        bigger = {**mission.params, "tank_l": 20.0, "rate_l_ha": 100.0}
        dispatch = fleet(engine)
        dispatch.dispatch(dataclasses.replace(mission, params=bigger))
        plan = json.loads(
            (mission_dir(settings, mission.id) / f"mission-{mission.id}.plan").read_text()
        )
        dispatch.close()
    takeoffs = [i for i in plan["mission"]["items"] if i.get("command") == 22]  # NAV_TAKEOFF
    assert len(takeoffs) >= 3
