"""Scenario files read and refused, and their timelines fired on simulated time (no sockets)."""

from pathlib import Path

import pytest
import shapely
from pymavlink.dialects.v20 import ardupilotmega as mavlink

from sim import MissionKind, SimConfig, SimVehicle, StoredItem
from sim.commands import CommandRequest
from sim.faults import BatteryDrop, FaultChange, GpsLoss, Gust, LinkCut
from sim.physics import LocalFrame
from sim.scenarios import (
    Exercise,
    Expect,
    ScenarioError,
    ScenarioGeometry,
    Trigger,
    ZoneKind,
    builtin_names,
    load_scenario,
    parse_scenario,
    scenario_config,
)
from sim.score import score
from sim.state import CopterMode

HOME = (34.9283, 134.8414)
FRAME = LocalFrame(lat0_deg=HOME[0], lon0_deg=HOME[1])
ACCEPTED = mavlink.MAV_RESULT_ACCEPTED


def ring(*corners: tuple[float, float]) -> str:
    """A TOML array of [lon, lat] for corners given as metres (north, east) of HOME."""
    pairs = []
    for north, east in corners:
        lat, lon = FRAME.to_global(north, east)
        pairs.append(f"[{lon:.8f}, {lat:.8f}]")
    return "[" + ", ".join(pairs) + "]"


FIELD = ring((20, 0), (20, 40), (100, 40), (100, 0))
HOUSE = ring((50, 60), (50, 70), (60, 70), (60, 60))

MINIMAL = f"""
name = "mini"
title = "A small exercise"
briefing = "Fly it."

[field]
name = "F"
ring = {FIELD}
"""

FULL = (
    MINIMAL.replace("[field]", "rally = [[34.9284, 134.8413]]\n\n[field]")
    + f"""
[vehicle]
home = [{HOME[0]}, {HOME[1]}]
wind_m_s = 2
wind_from_deg = 270
speedup = 5
ground_crew_s = 30
params = {{ FS_GCS_ENABLE = 1, BATT_LOW_MAH = 5500 }}

[[zones]]
name = "house"
kind = "no-fly"
ring = {HOUSE}

[scoring]
swath_m = 4
coverage_target_pct = 50

[[timeline]]
fault = "gust:6@270:30"
at = "takeoff+60s"

[[timeline]]
fault = "gps-loss:20"
when = "near_zone"
zone = "house"
within_m = 25
expect = "operator"
react_within_s = 5

[[timeline]]
fault = "battery:20"
after_item = 4
after_s = 3
expect = "failsafe"
"""
)


def test_the_package_re_exports_each_module_s_public_surface() -> None:
    import sim.scenarios
    from sim.scenarios import exercise, geometry, loader, model, report, rules, timeline, trace

    modules = (exercise, geometry, loader, model, report, rules, timeline, trace)
    expected = sorted({name for module in modules for name in module.__all__})
    assert sorted(sim.scenarios.__all__) == expected
    assert all(hasattr(sim.scenarios, name) for name in expected)


@pytest.mark.parametrize("name", builtin_names())
def test_every_built_in_scenario_loads_with_a_field_and_a_fault(name: str) -> None:
    scenario = load_scenario(name)
    assert scenario.name == name
    assert scenario.source == "built-in"
    assert scenario.briefing
    assert ScenarioGeometry.of(scenario).field.area > 1000.0
    assert scenario.timeline


def test_at_least_the_four_issue_scenarios_are_built_in() -> None:
    assert {"gusty-spray", "battery-mid-sortie", "gps-loss-house", "link-cut-field"} <= set(
        builtin_names()
    )
    link = load_scenario("link-cut-field")
    assert ("FS_GCS_ENABLE", 1.0) in link.vehicle.params
    assert isinstance(link.timeline[0].fault, LinkCut)
    assert load_scenario("gps-loss-house").zones[0].kind == ZoneKind.NO_FLY


def test_a_full_file_reads_every_key(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(FULL, encoding="utf-8")
    scenario = load_scenario(path)
    assert scenario.source == str(path)
    v = scenario.vehicle
    assert (v.home_lat_deg, v.wind_m_s, v.wind_from_deg, v.speedup, v.ground_crew_s) == (
        HOME[0], 2.0, 270.0, 5.0, 30.0,
    )  # fmt: skip
    assert v.params == (("FS_GCS_ENABLE", 1.0), ("BATT_LOW_MAH", 5500.0))
    assert scenario.rally == ((34.9284, 134.8413),)
    assert scenario.scoring.swath_m == 4.0
    assert scenario.scoring.coverage_target_pct == 50.0
    gust, gps, battery = scenario.timeline
    assert (gust.fault, gust.trigger, gust.after_s) == (
        Gust(speed_m_s=6.0, from_deg=270.0, duration_s=30.0), Trigger.TAKEOFF, 60.0,
    )  # fmt: skip
    assert (gps.fault, gps.trigger, gps.zone, gps.within_m, gps.react_within_s) == (
        GpsLoss(duration_s=20.0), Trigger.NEAR_ZONE, "house", 25.0, 5.0,
    )  # fmt: skip
    assert (battery.fault, battery.trigger, battery.item, battery.after_s, battery.expect) == (
        BatteryDrop(remaining_pct=20.0), Trigger.AFTER_ITEM, 4, 3.0, Expect.FAILSAFE,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (("name = \"mini\"", "nmae = \"mini\""), "nmae: unknown key"),
        (("briefing = \"Fly it.\"", ""), "briefing: is missing"),
        (("[field]", "[field]\nwidth = 3"), "field.width: unknown key"),
        (("name = \"F\"", "name = 7"), "field.name: must be a str"),
        (("ring = [", "ring = [[200, 2], "), "field.ring[0]: (200.0, 2.0) is not [lon, lat]"),
        (("[field]", "[vehicle]\nhome = [95, 134]\n[field]"), "vehicle: home 95.0,134.0"),
        (("[field]", "[vehicle]\nparams = { FS_GCS_ENABLED = 1 }\n[field]"),
         "vehicle.params.FS_GCS_ENABLED: unknown key"),
        (("[field]", "[scoring]\nswath_m = -1\n[field]"), "scoring: swath_m -1.0"),
        (("[field]", "[[timeline]]\nfault = \"battery:120\"\nat = \"takeoff+5s\"\n[field]"),
         "timeline[0].fault: fault 'battery:120': PCT '120' must be between 0 and 100"),
        (("[field]", "[[timeline]]\nfault = \"gps-loss\"\nat = \"lunch+5s\"\n[field]"),
         "timeline[0].at: 'lunch+5s' is not TRIGGER+SECONDS"),
        (("[field]", "[[timeline]]\nfault = \"gps-loss\"\nwhen = \"over_fields\"\n[field]"),
         "timeline[0].when: 'over_fields' is not one of"),
        (("[field]", "[[timeline]]\nfault = \"gps-loss\"\n[field]"),
         "timeline[0]: give exactly one of at, when, after_item"),
        (("[field]", "[[timeline]]\nfault = \"gps-loss\"\nwhen = \"near_zone\"\nzone = \"x\"\n"
                     "[field]"), "near_zone names zone 'x'"),
        (("[field]", "[[zones]]\nname = \"z\"\nkind = \"no-walk\"\nring = []\n[field]"),
         "zones[0].kind: 'no-walk' is not one of no-spray, no-fly"),
        (("title = \"A small exercise\"", "title = 3"), "title: must be a str, got 3"),
    ],
    ids=[
        "unknown-top", "missing", "unknown-field", "type", "ring-point", "home", "param",
        "scoring", "fault", "at", "when", "no-trigger", "zone", "zone-kind", "title",
    ],
)  # fmt: skip
def test_a_bad_file_is_refused_naming_the_file_and_the_key(
    tmp_path: Path, change: tuple[str, str], says: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(MINIMAL.replace(*change, 1), encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert str(caught.value).startswith(f"scenario file {path}: ")
    assert says in str(caught.value)


def test_not_toml_an_unknown_name_and_a_missing_file_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="not TOML"):
        parse_scenario("name = ")
    with pytest.raises(ScenarioError, match="no built-in scenario 'nope'; built in: battery-"):
        load_scenario("nope")
    with pytest.raises(ScenarioError, match=r"missing\.toml"):
        load_scenario(tmp_path / "missing.toml")


# -- the timeline on simulated time --------------------------------------------------------


def vehicle_for(text: str) -> tuple[SimVehicle, Exercise]:
    scenario = parse_scenario(text)
    config = scenario_config(scenario, SimConfig(gps_delay_s=0.0, prearm_delay_s=0.0), port=0)
    vehicle = SimVehicle(config)
    return vehicle, Exercise(scenario, vehicle)


def take_off(vehicle: SimVehicle, alt_m: float = 10.0) -> None:
    assert vehicle.autopilot.change_mode(CopterMode.GUIDED) == ACCEPTED
    assert vehicle.autopilot.arm() == ACCEPTED
    params = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, alt_m)
    request = CommandRequest(
        command=mavlink.MAV_CMD_NAV_TAKEOFF, params=params, sysid=255, compid=190
    )
    vehicle.commands.run(request)


def injected(vehicle: SimVehicle) -> list[tuple[float, str]]:
    return [
        (round(r.time_s, 2), r.fault.spec)
        for r in vehicle.state.fault_log
        if r.change == FaultChange.INJECTED
    ]


def test_start_and_takeoff_faults_go_in_at_their_simulated_second() -> None:
    text = MINIMAL + (
        '[[timeline]]\nfault = "gust:4@90"\nat = "start+12.5s"\n'
        '[[timeline]]\nfault = "link-cut:5"\nat = "takeoff+30s"\n'
    )
    vehicle, exercise = vehicle_for(text)
    vehicle.flight.advance_to(12.0)
    assert injected(vehicle) == []
    vehicle.flight.advance_to(20.0)
    assert injected(vehicle) == [(12.5, "gust:4@90")]
    take_off(vehicle)
    vehicle.flight.advance_to(25.0)
    took_off_s = next(s.time_s for s in exercise.recorder.samples if s.airborne)
    assert 20.0 < took_off_s <= 20.1  # the first step off the ground
    vehicle.flight.advance_to(52.0)
    link_s = injected(vehicle)[1][0]
    assert injected(vehicle)[1][1] == "link-cut:5"
    assert link_s == pytest.approx(took_off_s + 30.0, abs=0.051)  # within one step (50 ms)
    assert not vehicle.link_up
    vehicle.flight.advance_to(60.0)
    assert vehicle.link_up  # the cut lasted its 5 simulated seconds
    assert exercise.timeline.pending == 0


def test_a_near_zone_fault_goes_in_when_the_vehicle_comes_within_range() -> None:
    # the house's west edge is 60 m east of home; fly east along north 55 m
    text = MINIMAL + (
        f'[[zones]]\nname = "house"\nkind = "no-fly"\nring = {HOUSE}\n'
        '[[timeline]]\nfault = "gps-loss:10"\nwhen = "near_zone"\nzone = "house"\n'
        "within_m = 20\n"
    )
    vehicle, exercise = vehicle_for(text)
    vehicle.params.set("WPNAV_SPEED", 300.0)
    take_off(vehicle)
    vehicle.flight.advance_to(10.0)
    lat, lon = FRAME.to_global(55.0, 100.0)
    goto = mavlink.MAVLink_set_position_target_global_int_message(
        0, 1, 1, mavlink.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT, 0b110111111000,
        round(lat * 1e7), round(lon * 1e7), 10.0, 0, 0, 0, 0, 0, 0, 0, 0,
    )  # fmt: skip
    vehicle.flight.handlers["SET_POSITION_TARGET_GLOBAL_INT"](goto)
    geo = exercise.geometry
    while not vehicle.state.fault_log:
        vehicle.flight.advance_to(vehicle.state.time_s + 0.05)
        assert vehicle.state.time_s < 120.0
    x, y = geo.xy(vehicle.state.true_lat_deg, vehicle.state.true_lon_deg)
    distance_m = geo.no_spray["house"].exterior.distance(shapely.Point(x, y))
    assert 19.5 < distance_m <= 20.0
    assert vehicle.state.gps_lost


def test_the_battery_scenario_flown_directly_records_the_failsafe_and_scores_it() -> None:
    scenario = load_scenario("battery-mid-sortie")
    config = scenario_config(scenario, SimConfig(gps_delay_s=0.0, prearm_delay_s=0.0), port=0)
    vehicle = SimVehicle(config)
    fired: list[float] = []
    exercise = Exercise(scenario, vehicle, on_fire=lambda t, fault: fired.append(t))
    assert vehicle.params.get("BATT_LOW_MAH") == 5500.0
    vehicle.params.set("SPRAY_ENABLE", 1.0)
    spray = mavlink.MAV_CMD_DO_SPRAYER

    def at(seq: int, north: float, east: float) -> StoredItem:
        lat, lon = FRAME.to_global(north, east)
        return StoredItem(
            seq=seq, frame=mavlink.MAV_FRAME_GLOBAL_RELATIVE_ALT, command=16,
            x=round(lat * 1e7), y=round(lon * 1e7), z=10.0,
        )  # fmt: skip

    def do(seq: int, on: float) -> StoredItem:
        return StoredItem(seq=seq, frame=mavlink.MAV_FRAME_MISSION, command=spray, param1=on)

    items = [
        StoredItem(seq=0, frame=0, command=16),
        StoredItem(seq=1, frame=mavlink.MAV_FRAME_GLOBAL_RELATIVE_ALT, command=22, z=10.0),
        at(2, 17.0, 12.5), do(3, 1.0), at(4, 113.0, 12.5), do(5, 0.0),
        at(6, 113.0, 17.5), do(7, 1.0), at(8, 17.0, 17.5), do(9, 0.0),
        StoredItem(seq=10, frame=0, command=mavlink.MAV_CMD_NAV_RETURN_TO_LAUNCH),
    ]  # fmt: skip
    vehicle.missions.replace(MissionKind.MISSION, items)
    assert vehicle.autopilot.change_mode(CopterMode.GUIDED) == ACCEPTED
    assert vehicle.autopilot.arm() == ACCEPTED
    assert vehicle.autopilot.change_mode(CopterMode.AUTO) == ACCEPTED
    while not exercise.over:
        vehicle.flight.advance_to(vehicle.state.time_s + 1.0)
        assert vehicle.state.time_s < 600.0
    trace = exercise.trace()
    first_spray = next(s.time_s for s in trace.samples if s.spraying)
    assert fired == [pytest.approx(first_spray + 20.0, abs=0.051)]
    result = score(trace, scenario)
    [reaction] = result.reactions
    assert reaction.fault == "battery:22"
    assert reaction.autopilot_action == "RTL"
    assert reaction.autopilot_s is not None
    assert reaction.autopilot_s <= 0.11
    assert reaction.operator_s is None
    assert reaction.points == 1.0  # expects the failsafe, and nobody undid it
    assert 0.0 < result.covered_pct < 30.0
    assert result.rules_broken == ()
    assert result.landed
    assert not any(s.spraying for s in trace.samples if s.time_s > reaction.injected_s + 0.2)
