"""AUTO and the other flying modes on values (no sockets), flown as ArduPilot flies them."""

import math
from typing import Any

import pytest
from pymavlink.dialects.v20 import ardupilotmega as mavlink

from sim.state import CopterMode
from tests.sim.bench import Bench, do, item, takeoff, waypoint

RTL_ITEM = mavlink.MAV_CMD_NAV_RETURN_TO_LAUNCH
LAND_ITEM = mavlink.MAV_CMD_NAV_LAND
SPRAYER = mavlink.MAV_CMD_DO_SPRAYER
ACCEPTED = mavlink.MAV_RESULT_ACCEPTED
FAILED = mavlink.MAV_RESULT_FAILED


def spray_mission(bench: Bench) -> None:
    bench.params.set("SPRAY_ENABLE", 1.0)
    bench.load([
        takeoff(1, 10.0),
        waypoint(2, 40.0, 0.0, 10.0),
        do(3, SPRAYER, 1.0),
        waypoint(4, 40.0, 40.0, 10.0),
        do(5, SPRAYER, 0.0),
        waypoint(6, 0.0, 40.0, 10.0),
        item(7, RTL_ITEM),
    ])  # fmt: skip


def test_a_spray_mission_is_flown_item_by_item_and_ends_landed_at_home() -> None:
    bench = Bench()
    spray_mission(bench)
    bench.arm_and_auto()
    took = bench.run_until(lambda: not bench.state.armed, limit_s=200.0)
    assert bench.reached() == [1, 2, 4, 6, 7]
    assert [m.seq for m in bench.of_type("MISSION_CURRENT")] == [1, 2, 4, 6, 7]
    assert [(e.seq, e.on) for e in bench.state.spray_log] == [(3, True), (5, False)]
    north, east, up = bench.local()
    assert math.hypot(north, east) < 0.5
    assert up == 0.0
    assert 60.0 < took < 120.0
    assert bench.state.tank_l < bench.config.airframe.tank_capacity_l
    assert bench.state.battery_pct < 100.0


def test_takeoff_climbs_straight_up_before_the_first_waypoint() -> None:
    bench = Bench()
    spray_mission(bench)
    bench.arm_and_auto()
    bench.run_until(lambda: bench.reached() == [1], limit_s=30.0, step_s=0.05)
    north, east, up = bench.local()
    assert up == pytest.approx(10.0, abs=0.1)
    assert math.hypot(north, east) < 0.01


def test_a_waypoint_counts_as_reached_within_wpnav_radius_and_holds_param1() -> None:
    bench = Bench()
    bench.params.set("WPNAV_RADIUS", 500.0)  # 5 m
    bench.load([takeoff(1, 10.0), waypoint(2, 60.0, 0.0, 10.0, hold_s=4.0), item(3, LAND_ITEM)])
    bench.arm_and_auto()
    bench.run_until(lambda: bench.local()[0] >= 55.0, limit_s=60.0, step_s=0.05)
    arrived_s = bench.state.time_s
    assert 55.0 <= bench.local()[0] < 55.5  # entered the 5 m circle just now
    bench.run_until(lambda: 2 in bench.reached(), limit_s=10.0, step_s=0.05)
    assert bench.state.time_s - arrived_s == pytest.approx(4.0, abs=0.15)
    bench.run_until(lambda: not bench.state.armed, limit_s=60.0)
    assert bench.reached() == [1, 2]  # touching down on the NAV_LAND disarms: not reported
    assert bench.local()[0] > 55.0  # landed where it was


def test_do_change_speed_sets_the_speed_of_the_legs_after_it() -> None:
    bench = Bench()
    bench.load([
        takeoff(1, 5.0),
        do(2, mavlink.MAV_CMD_DO_CHANGE_SPEED, 1.0, 2.0),
        waypoint(3, 50.0, 0.0, 5.0),
    ])  # fmt: skip
    bench.arm_and_auto()
    fastest = 0.0
    while 3 not in bench.reached():
        bench.run(0.2)
        fastest = max(fastest, math.hypot(bench.state.vn_m_s, bench.state.ve_m_s))
        assert bench.state.time_s < 60.0
    assert fastest == pytest.approx(2.0, abs=0.01)


def test_a_mission_without_rtl_or_land_ends_holding_position() -> None:
    bench = Bench()
    bench.load([takeoff(1, 8.0), waypoint(2, 20.0, 10.0, 12.0)])
    bench.arm_and_auto()
    bench.run_until(lambda: bench.reached() == [1, 2], limit_s=60.0)
    bench.run(30.0)
    north, east, up = bench.local()
    assert bench.state.armed
    assert bench.state.mode == CopterMode.AUTO
    assert math.dist((north, east, up), (20.0, 10.0, 12.0)) < 2.0
    assert math.hypot(bench.state.vn_m_s, bench.state.ve_m_s) < 0.01


def test_a_landing_mid_mission_disarms_and_the_next_sortie_is_started_by_hand() -> None:
    bench = Bench()
    bench.load([
        takeoff(1, 5.0),
        waypoint(2, 15.0, 0.0, 5.0),
        item(3, LAND_ITEM),
        takeoff(4, 6.0),
        waypoint(5, 2.0, 0.0, 6.0),  # (0, 0) would mean "here"
        item(6, LAND_ITEM),
    ])  # fmt: skip
    bench.arm_and_auto()
    bench.run_until(lambda: not bench.state.armed, limit_s=60.0)
    assert bench.reached() == [1, 2]  # ArduPilot 4.3+: the landing disarms, unreported
    bench.run(30.0)
    assert bench.state.alt_m == 0.0
    assert bench.state.mission_seq == 1  # disarming reset the mission: AUTO waits at item 1
    bench.mode(CopterMode.GUIDED)
    bench.state.mission_seq = 4  # MISSION_SET_CURRENT: the second sortie
    bench.arm_and_auto()
    bench.run_until(lambda: not bench.state.armed, limit_s=60.0)
    assert bench.reached() == [1, 2, 4, 5]
    assert math.dist(bench.local()[:2], (2.0, 0.0)) < 0.5


def test_auto_is_refused_armed_on_the_ground_without_a_takeoff_first() -> None:
    bench = Bench()
    bench.load([waypoint(1, 10.0, 0.0, 5.0)])
    bench.mode(CopterMode.GUIDED)
    bench.autopilot.arm()
    assert bench.mode(CopterMode.AUTO) == FAILED
    assert bench.of_type("STATUSTEXT")[-1].text == "Auto: Missing Takeoff Cmd"
    bench.load([])
    assert bench.mode(CopterMode.AUTO) == FAILED  # no mission at all


def test_mission_start_switches_to_auto_and_flies_from_param1() -> None:
    bench = Bench()
    spray_mission(bench)
    bench.mode(CopterMode.GUIDED)
    bench.autopilot.arm()
    assert bench.command(mavlink.MAV_CMD_MISSION_START) == ACCEPTED
    assert bench.state.mode == CopterMode.AUTO
    bench.run_until(lambda: 2 in bench.reached(), limit_s=60.0)
    bench.mode(CopterMode.LOITER)
    bench.command(mavlink.MAV_CMD_MISSION_START, 6.0)  # jump to the last waypoint
    bench.run_until(lambda: not bench.state.armed, limit_s=120.0)
    assert bench.reached() == [1, 2, 6, 7]


def test_mission_set_current_in_auto_jumps_to_that_item() -> None:
    bench = Bench()
    spray_mission(bench)
    bench.arm_and_auto()
    bench.run_until(lambda: 1 in bench.reached(), limit_s=30.0)
    bench.state.mission_seq = 6  # as MISSION_SET_CURRENT sets it
    bench.run_until(lambda: not bench.state.armed, limit_s=120.0)
    assert bench.reached() == [1, 6, 7]
    assert bench.state.spray_log == []


def test_guided_takeoff_climbs_to_param7_and_holds() -> None:
    bench = Bench()
    bench.mode(CopterMode.GUIDED)
    assert bench.command(mavlink.MAV_CMD_NAV_TAKEOFF, *[0.0] * 6, 7.0) == FAILED  # disarmed
    bench.autopilot.arm()
    assert bench.command(mavlink.MAV_CMD_NAV_TAKEOFF, *[0.0] * 6, 7.0) == ACCEPTED
    bench.run(30.0)
    assert bench.state.alt_m == pytest.approx(7.0, abs=0.05)
    assert bench.state.armed


@pytest.mark.parametrize("via_command", [False, True])
def test_rtl_climbs_to_rtl_alt_returns_lands_and_stops_the_sprayer(via_command: bool) -> None:
    bench = Bench()
    bench.params.set("SPRAY_ENABLE", 1.0)
    bench.load([takeoff(1, 5.0), do(2, SPRAYER, 1.0), waypoint(3, 30.0, -20.0, 5.0)])
    bench.arm_and_auto()
    bench.run_until(lambda: 3 in bench.reached(), limit_s=60.0)
    assert bench.state.sprayer_on
    if via_command:
        assert bench.command(mavlink.MAV_CMD_NAV_RETURN_TO_LAUNCH) == ACCEPTED
    else:
        assert bench.mode(CopterMode.RTL) == ACCEPTED
    assert not bench.state.sprayer_on
    highest = 0.0
    while bench.state.armed:
        bench.run(0.5)
        highest = max(highest, bench.state.alt_m)
        assert bench.state.time_s < 200.0
    assert highest == pytest.approx(15.0, abs=0.05)  # RTL_ALT 1500 cm
    assert math.hypot(*bench.local()[:2]) < 0.5
    assert bench.state.alt_m == 0.0


def test_land_descends_where_it_is_and_disarms() -> None:
    bench = Bench()
    bench.load([takeoff(1, 12.0), waypoint(2, 10.0, 10.0, 12.0)])
    bench.arm_and_auto()
    bench.run_until(lambda: 2 in bench.reached(), limit_s=60.0)
    bench.run(10.0)  # the mission is over: it holds there
    before = bench.local()
    assert bench.command(mavlink.MAV_CMD_NAV_LAND) == ACCEPTED
    took = bench.run_until(lambda: not bench.state.armed, limit_s=60.0, step_s=0.1)
    assert math.dist(bench.local()[:2], before[:2]) < 0.1
    assert 20.0 < took < 26.0  # 1.5 m/s above 10 m, LAND_SPEED (0.5 m/s) below


def test_payload_commands_change_the_state() -> None:
    bench = Bench(payload_kg=2.0)
    bench.params.set("SPRAY_ENABLE", 0.0)
    assert bench.command(SPRAYER, 1.0) == ACCEPTED
    assert not bench.state.sprayer_on  # SPRAY_ENABLE 0: ArduPilot ignores it
    assert bench.command(mavlink.MAV_CMD_DO_SET_SERVO, 9.0, 1500.0) == ACCEPTED
    assert bench.state.servo_pump_pct == pytest.approx(50.0)
    assert bench.command(mavlink.MAV_CMD_DO_SET_CAM_TRIGG_DIST, 12.5) == ACCEPTED
    assert bench.state.cam_trigger_dist_m == 12.5
    assert bench.command(mavlink.MAV_CMD_DO_GRIPPER, 1.0, 1.0) == ACCEPTED  # grab: no change
    assert bench.state.payload_kg == 2.0
    assert bench.command(mavlink.MAV_CMD_DO_GRIPPER, 1.0, 0.0) == ACCEPTED  # release
    assert bench.state.payload_kg == 0.0


def test_the_tank_drains_only_while_spraying_and_heavier_flight_costs_more() -> None:
    def fly(tank_l: float, spray: bool) -> Bench:
        bench = Bench(tank_l=tank_l)
        bench.params.set("SPRAY_ENABLE", 1.0)
        bench.load([
            takeoff(1, 5.0), do(2, SPRAYER, 1.0 if spray else 0.0),
            waypoint(3, 100.0, 0.0, 5.0), do(4, SPRAYER, 0.0), item(5, LAND_ITEM),
        ])  # fmt: skip
        bench.arm_and_auto()
        bench.run_until(lambda: not bench.state.armed, limit_s=120.0)
        return bench

    sprayed, dry, light = fly(10.0, True), fly(10.0, False), fly(0.0, False)
    assert dry.state.tank_l == 10.0
    used = 10.0 - sprayed.state.tank_l
    assert 0.6 < used < 1.2  # about 3 L/min at 5 m/s over a 100 m leg, less on the ramps
    assert light.state.battery_mah < dry.state.battery_mah


def test_mission_start_in_auto_flies_a_finished_mission_again() -> None:
    bench = Bench()
    bench.load([takeoff(1, 5.0), waypoint(2, 10.0, 0.0, 5.0)])
    bench.arm_and_auto()
    bench.run_until(lambda: bench.reached() == [1, 2], limit_s=60.0)
    assert bench.command(mavlink.MAV_CMD_MISSION_START) == ACCEPTED
    bench.run_until(lambda: len(bench.reached()) == 4, limit_s=60.0)
    assert bench.reached() == [1, 2, 1, 2]


def test_guided_flies_to_a_position_target_and_holds_there() -> None:
    bench = Bench()
    bench.mode(CopterMode.GUIDED)
    bench.autopilot.arm()
    bench.command(mavlink.MAV_CMD_NAV_TAKEOFF, *[0.0] * 6, 5.0)
    bench.run(10.0)
    lat, lon = bench.flight.frame.to_global(-30.0, 20.0)
    target: Any = mavlink.MAVLink_set_position_target_global_int_message(
        0, 1, 1, mavlink.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT, 0b1111_1111_1000,
        round(lat * 1e7), round(lon * 1e7), 8.0, 0, 0, 0, 0, 0, 0, 0, 0,
    )  # fmt: skip
    bench.flight.handlers["SET_POSITION_TARGET_GLOBAL_INT"](target)
    bench.run(40.0)
    assert math.dist(bench.local(), (-30.0, 20.0, 8.0)) < 0.05


def test_a_steady_wind_is_flown_into_leaning_and_drawing_more_current() -> None:
    def hover(**wind: float) -> Bench:
        bench = Bench(**wind)
        bench.mode(CopterMode.GUIDED)
        bench.autopilot.arm()
        bench.command(mavlink.MAV_CMD_NAV_TAKEOFF, *[0.0] * 6, 10.0)
        bench.run(60.0)
        return bench

    calm, windy = hover(), hover(wind_m_s=6.0, wind_from_deg=90.0)
    assert math.hypot(*windy.local()[:2]) < 0.05  # held over its point
    assert windy.state.airspeed_m_s == pytest.approx(6.0, abs=0.01)
    assert windy.state.roll_deg > 10.0  # heading north, leaning right into an easterly
    assert windy.state.battery_mah > calm.state.battery_mah


def test_a_vehicle_disarmed_in_the_air_falls() -> None:
    bench = Bench()
    bench.mode(CopterMode.GUIDED)
    bench.autopilot.arm()
    bench.command(mavlink.MAV_CMD_NAV_TAKEOFF, *[0.0] * 6, 20.0)
    bench.run(20.0)
    assert bench.autopilot.disarm() == FAILED  # refused while flying
    assert bench.autopilot.disarm(force=True) == ACCEPTED
    bench.run(3.0)
    assert bench.state.alt_m == 0.0


def test_a_missions_gripper_release_is_told_as_ardupilot_tells_it() -> None:
    bench = Bench()
    bench.state.payload_kg = 1.5
    release = do(3, mavlink.MAV_CMD_DO_GRIPPER, 1.0, 0.0)
    bench.load([takeoff(1, 5.0), waypoint(2, 20.0, 0.0, 5.0), release, waypoint(4, 0.0, 0.0, 5.0)])
    bench.arm_and_auto()
    bench.run_until(lambda: bench.state.payload_kg == 0.0, limit_s=60.0)
    assert "Gripper Released" in bench.texts()
    reached = [m.seq for m in bench.of_type("MISSION_ITEM_REACHED")]
    assert 2 in reached  # the release follows the waypoint it was planned at
