"""fleet flies a planned spray mission on the simulator end to end, over real TCP."""

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from shapely import box

from fields import local_crs_for
from fleet.errors import CommandFailed, PreflightFailed
from fleet.events import EventKind, VehicleEvent
from fleet.flight import Flight, FlightOptions, Outcome, PlanInfo
from fleet.link import Link
from mission_planner import build_mission
from mission_planner.model import Command, Mission
from mission_planner.spray import SprayParams, SprayTarget, plan_spray
from tests.sim.gcs import RunningSim, running

FIELD_M2 = 30.0 * 60.0
INFO = PlanInfo(kind="spray", swath_m=5.0, source="test.plan")
OPTIONS = FlightOptions(registration="SIM-TEST")


def planned() -> Mission:
    """A spray mission over a 30 m by 60 m field, home 10 m off its corner."""
    crs = local_crs_for(134.8414, 34.9283)
    plan = plan_spray(
        [SprayTarget(id="F", field=box(0, 0, 30, 60))],
        crs=crs,
        home=(-10.0, -10.0),
        params=SprayParams(swath_m=5.0),
    )
    return build_mission(plan)


@contextmanager
def vehicle_at_home(mission: Mission, **config: Any) -> Iterator[tuple[RunningSim, Link]]:
    """A simulated copter standing on the mission's home, and a link to it."""
    settings = {
        "speedup": 20.0,
        "home_lat_deg": mission.home.lat_deg,
        "home_lon_deg": mission.home.lon_deg,
        **config,
    }
    with running(**settings) as sim, Link(f"tcp:127.0.0.1:{sim.port}") as link:
        link.wait_for_vehicle(1, timeout_s=5.0)
        yield sim, link


def test_a_spray_mission_is_flown_end_to_end() -> None:
    mission = planned()
    events: list[VehicleEvent] = []
    with vehicle_at_home(mission) as (sim, link):
        flight = Flight(link, 1, mission, INFO, OPTIONS, on_event=events.append)
        checks = flight.prepare()
        assert all(c.ok for c in checks)
        assert {c.name for c in checks} >= {"gps", "battery", "mission", "fence", "sprayer"}
        stored = sim.call(lambda: sim.vehicle.missions.count(0))
        assert stored == len(mission.items) + 1  # home + every item, read back
        spray_enable = sim.call(lambda: sim.vehicle.params.get("SPRAY_ENABLE"))
        fence_enable = sim.call(lambda: sim.vehicle.params.get("FENCE_ENABLE"))
        before = flight.remaining_m()
        midway: list[float | None] = []

        def watch(event: VehicleEvent) -> None:
            events.append(event)
            if event.kind == EventKind.ITEM_REACHED and (event.value or 0) >= 10 and not midway:
                midway.append(flight.remaining_m())

        flight._on_event = watch
        record = flight.fly(timeout_s=60.0)
        landed_at = sim.call(lambda: (sim.vehicle.state.lat_deg, sim.vehicle.state.lon_deg))
        estimate = flight.sprayed_so_far_m2()
    assert before is not None
    assert before > 300.0  # the whole mission still to fly
    assert midway[0] is not None
    assert 0.0 < midway[0] < before
    assert estimate is not None
    assert estimate >= 0.95 * record.sprayed_m2  # overlaps counted twice, never less
    assert spray_enable == 1.0
    assert fence_enable == 1.0
    assert record.outcome == Outcome.COMPLETED
    assert record.items_reached == len(mission.items)
    assert record.takeoff_at is not None
    assert record.landing_at is not None
    assert record.landing_at > record.takeoff_at
    assert record.takeoff_place is not None
    assert record.takeoff_place.distance_m(mission.home) < 3.0
    assert abs(landed_at[0] - mission.home.lat_deg) < 2e-5
    assert 60.0 < record.flight_time_s < 600.0  # simulated seconds
    assert record.distance_m > 300.0
    assert 2.0 < record.max_alt_m <= 150.0
    assert record.battery_start_pct is not None
    assert record.battery_end_pct is not None
    assert record.battery_end_pct < record.battery_start_pct
    # Sprayed while over the field, at 5 m swath: most of it, and not three times it.
    assert 0.6 * FIELD_M2 < record.sprayed_m2 < 1.6 * FIELD_M2
    assert record.anomalies == []
    kinds = [e.kind for e in events]
    assert EventKind.ARMED in kinds
    assert EventKind.MISSION_COMPLETE in kinds
    assert kinds[-1] == EventKind.DISARMED or EventKind.DISARMED in kinds


def test_a_vehicle_far_from_the_plans_home_is_refused_before_anything_flies() -> None:
    mission = planned()
    with vehicle_at_home(mission, home_lat_deg=mission.home.lat_deg + 0.001) as (sim, link):
        flight = Flight(link, 1, mission, INFO, OPTIONS)
        with pytest.raises(PreflightFailed, match=r"home: vehicle stands 11\d m") as caught:
            flight.prepare()
        armed = sim.call(lambda: sim.vehicle.state.armed)
    assert caught.value.check == "home"
    assert not armed


def test_an_unregistered_vehicle_and_a_weak_battery_are_both_named() -> None:
    mission = planned()
    options = FlightOptions(registration=None, endurance_s=60.0)  # the plan needs > 100 %
    with vehicle_at_home(mission) as (_sim, link), pytest.raises(PreflightFailed) as caught:
        Flight(link, 1, mission, INFO, options).prepare()
    assert "registration: vehicle not in the registry" in str(caught.value)
    needed = re.search(r"battery: battery 100 % is less than the (\d+) %", str(caught.value))
    assert needed is not None
    assert int(needed.group(1)) > 100  # more than one battery: the plan needs sorties


def test_a_refused_start_flies_nothing_and_says_why() -> None:
    """The GPS is lost between the checks and the start: the vehicle refuses, nothing flies."""
    mission = planned()
    with vehicle_at_home(mission) as (sim, link):
        flight = Flight(link, 1, mission, INFO, OPTIONS)
        flight.prepare()
        sim.call(lambda: setattr(sim.vehicle.state, "gps_lost", True))
        with pytest.raises(CommandFailed, match="refused"):
            flight.fly(timeout_s=5.0)
        armed = sim.call(lambda: sim.vehicle.state.armed)
    assert not armed
    assert flight.record.outcome == Outcome.NOT_FLOWN
    assert flight.record.takeoff_at is None


def test_a_battery_failsafe_mid_spray_is_recorded_and_the_sprayer_is_switched_off() -> None:
    mission = planned()
    events: list[VehicleEvent] = []
    sent: list[int] = []
    with vehicle_at_home(mission) as (sim, link):
        flight = Flight(link, 1, mission, INFO, OPTIONS, on_event=events.append)
        flight.prepare()
        original = sim.vehicle.dispatch

        def spy(message):  # type: ignore[no-untyped-def]
            if message.get_type() == "COMMAND_LONG":
                sent.append(int(message.command))
            original(message)

        sim.call(lambda: setattr(sim.vehicle, "dispatch", spy))

        def drop_battery(event: VehicleEvent) -> None:
            events.append(event)
            mid_spray = event.kind == EventKind.ITEM_REACHED and (event.value or 0) >= 10
            if mid_spray and not sim.call(lambda: sim.vehicle.state.fault_log):
                sim.call(lambda: sim.vehicle.inject("battery:20"))

        flight._on_event = drop_battery
        record = flight.fly(timeout_s=60.0)
        sprayer_on = sim.call(lambda: sim.vehicle.state.sprayer_on)
    assert record.outcome == Outcome.FAILSAFE
    assert any("Battery" in a.text for a in record.anomalies)
    assert any(a.text == "Tanbo switched the sprayer off" for a in record.anomalies)
    assert 216 in sent  # DO_SPRAYER off, sent by Tanbo on top of the autopilot's stop
    assert not sprayer_on
    assert record.landing_at is not None
    assert record.items_reached < len(mission.items)
    assert EventKind.FAILSAFE in [e.kind for e in events]


def test_a_link_lost_mid_flight_ends_as_link_lost_with_the_record_kept() -> None:
    mission = planned()
    with vehicle_at_home(mission) as (sim, link):
        flight = Flight(link, 1, mission, INFO, OPTIONS)
        flight.prepare()

        def cut(event: VehicleEvent) -> None:
            past_takeoff = event.kind == EventKind.ITEM_REACHED and (event.value or 0) >= 5
            if past_takeoff and not sim.vehicle.state.fault_log:
                sim.call(lambda: sim.vehicle.inject("link-cut"))

        flight._on_event = cut
        record = flight.fly(timeout_s=8.0)
    assert record.outcome == Outcome.LINK_LOST
    assert any(a.text.startswith("link lost") for a in record.anomalies)
    assert record.takeoff_at is not None
    assert record.distance_m > 0.0


def test_nothing_is_armed_once_the_operator_has_stopped() -> None:
    mission = planned()
    with vehicle_at_home(mission) as (sim, link):
        flight = Flight(link, 1, mission, INFO, OPTIONS)
        flight.prepare()
        stop = threading.Event()
        stop.set()
        with pytest.raises(PreflightFailed, match="operator stopped"):
            flight.fly(timeout_s=5.0, stop=stop)
        assert not sim.call(lambda: sim.vehicle.state.armed)
    assert flight.record.takeoff_at is None


def test_the_fence_ceiling_is_raised_to_the_plan_but_never_above_150_m() -> None:
    mission = planned()
    with vehicle_at_home(mission) as (sim, link):
        sim.call(lambda: sim.vehicle.params.set("FENCE_ALT_MAX", 2.0))
        Flight(link, 1, mission, INFO, OPTIONS).prepare()
        raised = sim.call(lambda: sim.vehicle.params.get("FENCE_ALT_MAX"))
        sim.call(lambda: sim.vehicle.params.set("FENCE_ALT_MAX", 400.0))
        Flight(link, 1, mission, INFO, OPTIONS).prepare()
        capped = sim.call(lambda: sim.vehicle.params.get("FENCE_ALT_MAX"))
    highest = max(i.alt_m for i in mission.items if i.position is not None)
    assert raised >= highest + 5.0
    assert capped == 150.0


def test_a_mission_ending_on_a_waypoint_is_brought_home() -> None:
    """ArduPilot holds at the last waypoint of a mission that ends there: Tanbo sends RTL."""
    full = planned()
    items = tuple(i for i in full.items if i.command != Command.NAV_RETURN_TO_LAUNCH)
    mission = Mission(home=full.home, items=items, fence=full.fence, rally=full.rally)
    assert mission.items[-1].command == Command.NAV_WAYPOINT
    with vehicle_at_home(mission) as (_sim, link):
        flight = Flight(link, 1, mission, INFO, OPTIONS)
        flight.prepare()
        record = flight.fly(timeout_s=60.0)
    assert record.outcome == Outcome.COMPLETED
    assert "the mission ended on a waypoint: return to launch" in [a.text for a in record.anomalies]
    assert record.landing_place is not None
    assert record.landing_place.distance_m(mission.home) < 3.0


def test_watching_stopped_mid_flight_still_leaves_a_record_to_log() -> None:
    mission = planned()
    with vehicle_at_home(mission) as (_sim, link):
        flight = Flight(link, 1, mission, INFO, OPTIONS)
        flight.prepare()

        def stop_halfway(event: VehicleEvent) -> None:
            if event.kind == EventKind.ITEM_REACHED and (event.value or 0) >= 10:
                flight.stop_watching()

        flight._on_event = stop_halfway
        record = flight.fly(timeout_s=60.0)
    assert record.outcome == Outcome.ABORTED
    assert record.takeoff_at is not None
    assert record.landing_at is None
    assert any("stopped watching" in a.text for a in record.anomalies)


def test_a_variable_rate_pump_below_1500_us_counts_as_spraying() -> None:
    from core.geo import GeoPoint
    from fleet.flight import spray_states
    from mission_planner.model import Frame, MissionItem

    wp = {"frame": Frame.GLOBAL_RELATIVE_ALT, "lat_deg": 35.0, "lon_deg": 135.0, "alt_m": 3.0}
    servo = {"command": Command.DO_SET_SERVO, "frame": Frame.MISSION, "param1": 9}
    items = (
        MissionItem(command=Command.NAV_TAKEOFF, **wp),
        MissionItem(param2=1300, **servo),  # the low-rate zone: pump on, slowly
        MissionItem(command=Command.NAV_WAYPOINT, **wp),
        MissionItem(param2=1700, **servo),  # the high-rate zone
        MissionItem(command=Command.NAV_WAYPOINT, **wp),
        MissionItem(param2=1100, **servo),  # off
        MissionItem(command=Command.NAV_WAYPOINT, **wp),
    )
    states = spray_states(Mission(home=GeoPoint(lat_deg=35.0, lon_deg=135.0), items=items))
    assert states == [False, False, False, True, True, True, True, False]
