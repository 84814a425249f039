"""Flight files, sortie sharing and flight logs (api/flying.py), without a vehicle."""

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from shapely import box

from api.flying import (
    UnreadableFlightFile,
    flight_log,
    load_flight_file,
    share_sorties,
    sorties_of,
)
from api.planning import write_plan
from core.geo import GeoPoint
from fields import local_crs_for
from fleet.flight import Anomaly, FlightRecord, Outcome
from fleet.flightlog import FlightPurpose, FlightResult
from mission_planner import build_mission
from mission_planner.model import Command
from mission_planner.plan import FlightPlan
from mission_planner.spray import SprayParams, SprayTarget, plan_spray


def spray_plan(tank_l: float | None = None) -> FlightPlan:
    crs = local_crs_for(134.8414, 34.9283)
    params = (
        SprayParams(swath_m=5.0, rate_l_ha=80.0, tank_l=tank_l)
        if tank_l
        else SprayParams(swath_m=5.0)
    )
    return plan_spray(
        [SprayTarget(id="F", field=box(0, 0, 40, 80))], crs=crs, home=(-10.0, -10.0), params=params
    )


def test_a_planned_file_says_what_it_is(tmp_path: Path) -> None:
    plan = spray_plan()
    write_plan(tmp_path, "f", plan)
    for name in ("f.plan", "f.waypoints"):
        flight = load_flight_file(tmp_path / name)
        assert flight.mission.items == build_mission(plan).items
        assert flight.info.kind == "spray"
        assert flight.info.swath_m == 5.0
        assert flight.info.permissions == plan.permissions
        assert len(flight.sha256) == 64


def test_a_file_without_the_planners_geojson_flies_with_less_known(tmp_path: Path) -> None:
    write_plan(tmp_path, "f", spray_plan())
    (tmp_path / "f.geojson").unlink()
    flight = load_flight_file(tmp_path / "f.plan")
    assert flight.info.kind == "unknown"
    assert flight.info.swath_m is None


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("x.kml", "<kml/>", "expected a .plan (QGroundControl) or .waypoints file"),
        ("x.plan", "{not json", "x.plan: "),
        ("x.plan", json.dumps({"fileType": "Plan"}), "x.plan: "),
        ("x.waypoints", "QGC WPL 110\n0\t1\tbad", "x.waypoints: "),
    ],
)
def test_unreadable_files_are_named(tmp_path: Path, name: str, content: str, says: str) -> None:
    (tmp_path / name).write_text(content)
    with pytest.raises(UnreadableFlightFile, match=re.escape(says)) as caught:
        load_flight_file(tmp_path / name)
    assert name in str(caught.value)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFlightFile, match=r"nope\.plan: No such file"):
        load_flight_file(tmp_path / "nope.plan")


def test_each_sortie_is_a_mission_and_they_are_shared_round_robin() -> None:
    mission = build_mission(spray_plan(tank_l=5.0))
    sorties = sorties_of(mission)
    assert len(sorties) >= 3
    assert [i for s in sorties for i in s.items] == list(mission.items)
    for sortie in sorties:
        assert sortie.items[0].command == Command.NAV_TAKEOFF
        assert sortie.items[-1].command in (Command.NAV_RETURN_TO_LAUNCH, Command.NAV_LAND)
        assert sortie.fence == mission.fence
        assert sortie.home == mission.home
    shares = share_sorties(sorties, 2)
    assert shares[0] == sorties[0::2]
    assert shares[1] == sorties[1::2]
    assert share_sorties(sorties, 1) == [sorties]
    assert len(share_sorties(sorties, 50)) == len(sorties)  # no vehicle gets nothing to fly
    with pytest.raises(ValueError, match="at least one vehicle"):
        share_sorties(sorties, 0)


def test_a_flight_record_becomes_a_log(tmp_path: Path) -> None:
    write_plan(tmp_path, "f", spray_plan())
    flight = load_flight_file(tmp_path / "f.plan")
    start = datetime(2026, 6, 1, 23, 30, tzinfo=UTC)  # 08:30 on 2 June in Japan
    home = GeoPoint(lat_deg=34.9283, lon_deg=134.8414)
    record = FlightRecord(
        system_id=1, started_at=start, outcome=Outcome.FAILSAFE, takeoff_at=start,
        takeoff_place=home, landing_at=start + timedelta(minutes=7), landing_place=home,
        flight_time_s=420.0, distance_m=1500.0, max_alt_m=3.2, battery_start_pct=100.0,
        battery_end_pct=61.0, items_reached=12, items_total=30, sprayed_m2=2500.0,
        anomalies=[Anomaly(at=start, t_s=100.0, text="failsafe: Battery 1 is low")],
    )  # fmt: skip
    log = flight_log(record, flight, pilot="Kasai Taro", registration="SIM-DEMO-1")
    assert log.flight_date.isoformat() == "2026-06-02"
    assert log.purpose == FlightPurpose.SPRAYING
    assert log.result == FlightResult.FAILSAFE
    assert log.area_sprayed_ha == 0.25
    assert log.battery_used_pct == 39.0
    assert [a.text for a in log.anomalies] == ["failsafe: Battery 1 is low"]
    assert log.mission_sha256 == flight.sha256
    snapshot = flight_log(
        record, flight, pilot="Kasai Taro", registration="SIM-DEMO-1", in_progress=True
    )
    assert snapshot.result == FlightResult.IN_PROGRESS
    with pytest.raises(ValueError, match="never took off"):
        flight_log(
            FlightRecord(system_id=1, started_at=start), flight, pilot="x", registration="SIM-X"
        )
