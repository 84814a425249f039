"""The failsafes on values (no sockets), set off as ArduPilot Copter sets them off and acting
as it acts: battery low and critical, ground station lost, geofence, EKF without GPS, crash."""

import math
from typing import Any

import pytest
from pymavlink.dialects.v20 import ardupilotmega as mavlink

from sim import (
    BatteryLevel,
    BatteryMonitor,
    BatterySettings,
    FailsafeKind,
    MavCodec,
    MissionKind,
    StoredItem,
)
from sim.failsafe import DEAD_RECKONING_S
from sim.failsafe_actions import LAND_PAUSE_S
from sim.state import CopterMode
from tests.sim.bench import FRAME, Bench, do, item, takeoff, waypoint

SPRAYER = mavlink.MAV_CMD_DO_SPRAYER
RTL_ITEM = mavlink.MAV_CMD_NAV_RETURN_TO_LAUNCH
INCLUSION = mavlink.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION
EXCLUSION = mavlink.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_EXCLUSION
FAILED = mavlink.MAV_RESULT_FAILED
ACCEPTED = mavlink.MAV_RESULT_ACCEPTED


def spraying(bench: Bench, out_m: float = 50.0, **params: float) -> None:
    """Armed in AUTO, ``out_m`` metres out on a long spraying leg north, the sprayer on."""
    bench.params.set("SPRAY_ENABLE", 1.0)
    for name, value in params.items():
        bench.params.set(name, value)
    bench.load([
        takeoff(1, 10.0),
        do(2, SPRAYER, 1.0),
        waypoint(3, 200.0, 0.0, 10.0),
        do(4, SPRAYER, 0.0),
        item(5, RTL_ITEM),
    ])  # fmt: skip
    bench.arm_and_auto()
    bench.run_until(lambda: bench.local()[0] > out_m, limit_s=60.0, step_s=0.1)
    assert bench.state.sprayer_on


def taking_off(bench: Bench, alt_m: float) -> None:
    """Armed in GUIDED, climbing to ``alt_m`` over home."""
    bench.mode(CopterMode.GUIDED)
    assert bench.autopilot.arm() == ACCEPTED
    assert bench.command(mavlink.MAV_CMD_NAV_TAKEOFF, *[0.0] * 6, alt_m) == ACCEPTED


def hovering(bench: Bench, alt_m: float = 10.0) -> None:
    """Taken off in GUIDED and holding ``alt_m`` over home."""
    taking_off(bench, alt_m)
    bench.run(20.0)
    assert bench.state.alt_m == pytest.approx(alt_m, abs=0.1)


def heartbeat(bench: Bench, sysid: int = 255, mav_type: int = mavlink.MAV_TYPE_GCS) -> None:
    """A HEARTBEAT from system ``sysid``, as it arrives off the wire."""
    msg: Any = mavlink.MAVLink_heartbeat_message(mav_type, 8, 0, 0, 0, 3)
    [received] = MavCodec(system_id=2).decode(MavCodec(system_id=sysid).encode(msg))
    bench.failsafe.handlers["HEARTBEAT"](received)


def kinds(bench: Bench) -> list[tuple[FailsafeKind, str]]:
    return [(e.kind, e.action) for e in bench.state.failsafe_log]


def vertex(
    seq: int, north: float, east: float, command: int = INCLUSION, count: int = 4
) -> StoredItem:
    lat, lon = FRAME.to_global(north, east)
    return StoredItem(
        seq=seq, frame=mavlink.MAV_FRAME_GLOBAL, command=command, param1=float(count),
        x=round(lat * 1e7), y=round(lon * 1e7), mission_type=mavlink.MAV_MISSION_TYPE_FENCE,
    )  # fmt: skip


def square(first_seq: int, south: float, north: float, half_width: float,
           command: int = INCLUSION) -> list[StoredItem]:  # fmt: skip
    corners = [(south, -half_width), (south, half_width), (north, half_width), (north, -half_width)]
    return [vertex(first_seq + k, n, e, command) for k, (n, e) in enumerate(corners)]


# -- battery ---------------------------------------------------------------------------------


def test_low_battery_while_spraying_stops_the_sprayer_returns_home_and_lands() -> None:
    bench = Bench()
    spraying(bench)
    bench.faults.inject("battery:30")  # 43.1 V under load: below BATT_LOW_VOLT 44.4
    dropped_s = bench.state.time_s
    bench.run_until(lambda: bench.state.mode == CopterMode.RTL, limit_s=15.0, step_s=0.05)
    took = bench.state.time_s - dropped_s
    assert 10.0 < took < 10.5  # below BATT_LOW_TIMER (10 s) for longer than that
    low, announced = bench.texts()[-2:]
    assert low.startswith("Battery 1 is low 43.")
    assert low.endswith(f"V used {round(bench.state.battery_mah)} mAh")
    assert announced == "Battery Failsafe"
    assert not bench.state.sprayer_on
    assert bench.state.spray_log[-1].on is False
    assert bench.state.battery_failsafe == BatteryLevel.LOW
    assert kinds(bench) == [(FailsafeKind.BATTERY_LOW, "RTL")]
    tank_l = bench.state.tank_l
    bench.run_until(lambda: not bench.state.armed, limit_s=150.0)
    assert math.hypot(*bench.local()[:2]) < 0.5
    assert bench.state.tank_l == tank_l  # not a drop sprayed on the way home


def test_critical_battery_lands_where_it_is() -> None:
    bench = Bench()
    spraying(bench)
    bench.faults.inject("battery:10")  # 41.4 V: below BATT_CRT_VOLT 42.0 too
    bench.run_until(lambda: bench.state.mode != CopterMode.AUTO, limit_s=15.0, step_s=0.1)
    assert bench.state.mode == CopterMode.LAND
    assert bench.texts()[-2].startswith("Battery 1 is critical 41.")
    assert not bench.state.sprayer_on
    where = bench.local()
    bench.run_until(lambda: not bench.state.armed, limit_s=60.0)
    assert math.dist(bench.local()[:2], where[:2]) < 5.0  # down where it was, not at home


def test_critical_follows_low_and_never_goes_back() -> None:
    bench = Bench()
    spraying(bench, BATT_LOW_MAH=8000.0, BATT_CRT_MAH=4000.0, BATT_LOW_VOLT=0.0, BATT_CRT_VOLT=0.0)
    bench.faults.inject("battery:35")  # 7700 mAh left: low at once, by capacity
    bench.run(0.2)
    assert bench.state.mode == CopterMode.RTL
    bench.faults.inject("battery:15")  # 3300 mAh left: critical
    bench.run(0.2)
    assert bench.state.mode == CopterMode.LAND
    assert kinds(bench) == [
        (FailsafeKind.BATTERY_LOW, "RTL"),
        (FailsafeKind.BATTERY_CRITICAL, "LAND"),
    ]
    bench.params.set("BATT_CRT_MAH", 0.0)  # no longer critical by any measure
    bench.run(5.0)
    assert bench.state.battery_failsafe == BatteryLevel.CRITICAL


def test_a_lower_priority_critical_action_does_not_undo_a_landing() -> None:
    bench = Bench()
    spraying(bench, BATT_LOW_MAH=8000.0, BATT_CRT_MAH=4000.0, BATT_FS_LOW_ACT=1.0,
             BATT_FS_CRT_ACT=2.0)  # fmt: skip
    bench.faults.inject("battery:35")
    bench.run(0.2)
    bench.faults.inject("battery:15")
    bench.run(0.2)
    assert bench.state.mode == CopterMode.LAND  # LAND outranks RTL, as in ArduPilot
    assert kinds(bench)[-1] == (FailsafeKind.BATTERY_CRITICAL, "none")


def test_low_battery_action_none_only_reports_but_still_stops_the_sprayer() -> None:
    bench = Bench()
    spraying(bench, BATT_FS_LOW_ACT=0.0)
    bench.faults.inject("battery:30")
    bench.run(11.0)
    assert bench.state.mode == CopterMode.AUTO
    assert "Battery Failsafe" in bench.texts()
    assert not bench.state.sprayer_on


def test_a_flat_battery_on_the_ground_does_nothing_but_refuses_arming() -> None:
    bench = Bench()
    bench.faults.inject("battery:10")
    bench.run(30.0)
    assert bench.state.battery_failsafe == BatteryLevel.NONE  # not armed: not checked
    assert bench.state.failsafe_log == []
    bench.mode(CopterMode.GUIDED)
    assert bench.autopilot.arm() == FAILED
    assert bench.texts()[-1] == "PreArm: Battery 1 low voltage failsafe"


def test_the_voltage_must_stay_low_for_the_whole_timer() -> None:
    settings = BatterySettings(low_v=44.4, critical_v=42.0, timer_s=10.0)
    monitor = BatteryMonitor()
    levels = []
    for t in range(25):
        voltage = 44.0 if t != 6 else 44.5  # back above once, at 6 s: the timer restarts
        levels.append(monitor.update(voltage_v=voltage, consumed_mah=0.0, now_s=float(t),
                                     settings=settings))  # fmt: skip
    assert levels.index(BatteryLevel.LOW) == 18  # more than 10 s after 7 s
    off = BatterySettings(low_v=44.4, timer_s=0.0)
    assert BatteryMonitor().update(voltage_v=40.0, consumed_mah=0.0, now_s=99.0,
                                   settings=off) == BatteryLevel.NONE  # fmt: skip


def test_sag_compensated_voltage_waits_for_the_resting_voltage() -> None:
    bench = Bench()
    spraying(bench, BATT_FS_VOLTSRC=1.0)
    bench.faults.inject("battery:40")  # under load below 44.4 V, at rest above it
    bench.run(15.0)
    assert bench.state.battery_v < 44.4
    assert bench.state.battery_failsafe == BatteryLevel.NONE


# -- ground station --------------------------------------------------------------------------


def test_ground_station_heartbeats_lost_for_the_timeout_mean_rtl_and_their_return_clears() -> None:
    bench = Bench()
    bench.params.set("FS_GCS_ENABLE", 1.0)
    hovering(bench)
    for _ in range(10):
        heartbeat(bench)
        bench.run(1.0)
    last_s = bench.state.time_s - 1.0
    bench.run_until(lambda: bench.state.mode == CopterMode.RTL, limit_s=10.0, step_s=0.05)
    assert 5.0 < bench.state.time_s - last_s < 5.2  # FS_GCS_TIMEOUT, simulated seconds
    assert bench.texts()[-1] == "GCS Failsafe"
    assert bench.state.gcs_failsafe
    heartbeat(bench)
    bench.run(0.2)
    assert bench.texts()[-1] == "GCS Failsafe Cleared"
    assert bench.state.mode == CopterMode.RTL  # ArduPilot does not switch back
    assert kinds(bench) == [(FailsafeKind.GCS, "RTL"), (FailsafeKind.GCS, "cleared")]


@pytest.mark.parametrize(
    ("enable", "options", "mode"),
    [
        (0, 0, CopterMode.AUTO),  # off
        (1, 0, CopterMode.RTL),
        (2, 0, CopterMode.RTL),  # deprecated "continue in AUTO": RTL, as ArduPilot now does
        (3, 0, CopterMode.RTL),  # SmartRTL or RTL: flown as RTL
        (4, 0, CopterMode.RTL),  # SmartRTL or LAND: SmartRTL flown as RTL
        (5, 0, CopterMode.LAND),
        (1, 2, CopterMode.AUTO),  # FS_OPTIONS bit 1: AUTO carries on
    ],
)
def test_fs_gcs_enable_and_fs_options_choose_the_action(
    enable: int, options: int, mode: CopterMode
) -> None:
    bench = Bench()
    spraying(bench, FS_GCS_ENABLE=float(enable), FS_OPTIONS=float(options))
    heartbeat(bench)
    bench.run(6.0)
    assert bench.state.mode == mode
    assert bench.state.sprayer_on is (enable == 0)


def test_without_a_heartbeat_from_sysid_mygcs_there_is_no_ground_station_failsafe() -> None:
    bench = Bench()
    bench.params.set("FS_GCS_ENABLE", 1.0)
    hovering(bench)
    heartbeat(bench, sysid=42)  # another system, even a ground station, does not count
    heartbeat(bench, sysid=255, mav_type=mavlink.MAV_TYPE_QUADROTOR)  # but any type from ours
    bench.run(4.0)
    heartbeat(bench, sysid=42)
    bench.run(4.0)
    assert bench.state.mode == CopterMode.RTL
    fresh = Bench()
    fresh.params.set("FS_GCS_ENABLE", 1.0)
    hovering(fresh)
    fresh.run(30.0)  # never heard from a ground station: nothing to lose
    assert fresh.state.mode == CopterMode.GUIDED


def test_a_lost_ground_station_is_only_announced_when_disarmed_and_disarms_on_the_ground() -> None:
    bench = Bench()
    bench.params.set("FS_GCS_ENABLE", 1.0)
    heartbeat(bench)
    bench.run(6.0)
    assert bench.texts() == ["GCS Failsafe"]
    assert bench.state.mode == CopterMode.STABILIZE
    armed = Bench()
    armed.params.set("FS_GCS_ENABLE", 1.0)
    armed.mode(CopterMode.GUIDED)
    armed.autopilot.arm()
    heartbeat(armed)
    armed.run(6.0)
    assert not armed.state.armed
    assert armed.texts() == ["GCS Failsafe - Disarming"]


# -- geofence --------------------------------------------------------------------------------


def fenced(bench: Bench, zones: list[StoredItem], **params: float) -> None:
    bench.store.replace(MissionKind.FENCE, zones)
    bench.params.set("FENCE_ENABLE", 1.0)
    for name, value in params.items():
        bench.params.set(name, value)


def test_leaving_the_inclusion_zone_returns_home_and_reports_the_breach() -> None:
    bench = Bench()
    fenced(bench, square(0, -20.0, 30.0, 20.0))
    spraying(bench, out_m=5.0)  # the leg runs north out of the zone
    bench.run_until(lambda: bench.state.mode != CopterMode.AUTO, limit_s=30.0, step_s=0.05)
    assert bench.state.mode == CopterMode.RTL
    assert 30.0 <= bench.local()[0] < 30.5
    assert bench.texts()[-1] == "Polygon fence breached"
    assert not bench.state.sprayer_on
    health = bench.telemetry.sys_status().onboard_control_sensors_health
    assert not health & mavlink.MAV_SYS_STATUS_GEOFENCE
    status = bench.telemetry.fence_status()
    assert (status.breach_status, status.breach_count) == (1, 1)
    assert status.breach_type == mavlink.FENCE_BREACH_BOUNDARY
    bench.run_until(lambda: not bench.state.armed, limit_s=120.0)
    assert math.hypot(*bench.local()[:2]) < 0.5
    assert "Fence breach cleared" in bench.texts()
    assert kinds(bench) == [(FailsafeKind.FENCE, "RTL"), (FailsafeKind.FENCE, "cleared")]


def test_an_exclusion_zone_and_the_ceiling_are_fences_too() -> None:
    bench = Bench()
    fenced(bench, square(0, 60.0, 80.0, 10.0, EXCLUSION))
    spraying(bench)
    bench.run_until(lambda: bench.state.mode == CopterMode.RTL, limit_s=30.0, step_s=0.05)
    assert 60.0 <= bench.local()[0] < 60.5
    high = Bench()
    high.params.set("FENCE_ENABLE", 1.0)
    high.params.set("FENCE_ALT_MAX", 20.0)
    taking_off(high, alt_m=30.0)
    high.run_until(lambda: high.state.mode == CopterMode.RTL, limit_s=20.0, step_s=0.05)
    assert 20.0 <= high.state.alt_m < 20.3
    assert high.texts()[0] == "Max Alt fence breached"
    assert high.state.mode == CopterMode.RTL
    high.run(10.0)
    assert high.state.alt_m < 18.5  # RTL comes home under the ceiling less its margin


def test_far_outside_the_fence_it_lands_instead_of_returning() -> None:
    bench = Bench()
    bench.params.set("FENCE_ENABLE", 1.0)
    bench.params.set("FENCE_TYPE", 1.0)  # the ceiling only
    bench.params.set("FENCE_ALT_MAX", 10.0)
    hovering(bench, alt_m=8.0)
    bench.params.set("FENCE_ALT_MAX", -200.0)  # now 208 m above it
    bench.run(0.2)
    assert bench.state.mode == CopterMode.LAND


def test_arming_outside_an_enabled_fence_is_refused() -> None:
    bench = Bench()
    fenced(bench, square(0, 50.0, 90.0, 20.0))  # home is outside the zone
    bench.mode(CopterMode.GUIDED)
    assert bench.autopilot.arm() == FAILED
    assert bench.texts()[-1] == "PreArm: Vehicle breaching Polygon fence"
    bench.params.set("FENCE_ENABLE", 0.0)
    assert bench.autopilot.arm() == ACCEPTED


def test_a_disabled_fence_changes_nothing() -> None:
    bench = Bench()
    bench.store.replace(MissionKind.FENCE, square(0, -20.0, 30.0, 20.0))
    spraying(bench)
    bench.run(20.0)
    assert bench.state.mode == CopterMode.AUTO
    assert bench.state.fence.present == 7
    assert not bench.telemetry.sys_status().onboard_control_sensors_enabled & (
        mavlink.MAV_SYS_STATUS_GEOFENCE
    )
    assert bench.telemetry.fence_status() is None


# -- GPS lost --------------------------------------------------------------------------------


def test_gps_lost_lands_after_dead_reckoning_and_drifts_with_the_wind() -> None:
    bench = Bench(wind_m_s=3.0, wind_from_deg=270.0)  # a westerly: it blows east
    hovering(bench)
    bench.faults.inject("gps-loss")
    lost_s = bench.state.time_s
    assert bench.telemetry.gps_raw_int().fix_type == mavlink.GPS_FIX_TYPE_NO_FIX
    assert bench.telemetry.gps_raw_int().satellites_visible == 0
    assert bench.telemetry.global_position_int() is not None  # the EKF's estimate goes on
    bench.run_until(lambda: bench.state.mode == CopterMode.LAND, limit_s=15.0, step_s=0.05)
    assert DEAD_RECKONING_S + 1.0 <= bench.state.time_s - lost_s < DEAD_RECKONING_S + 1.3
    assert bench.texts() == ["EKF variance", "EKF Failsafe: changed to LAND Mode"]
    assert bench.autopilot.change_mode(CopterMode.RTL) == FAILED  # no position to return by
    bench.run(LAND_PAUSE_S - 0.5)
    assert bench.state.alt_m == pytest.approx(10.0, abs=0.05)  # the failsafe's pause
    bench.run_until(lambda: not bench.state.armed, limit_s=60.0)
    flown_s = bench.state.time_s - lost_s
    truth = FRAME.to_local(bench.state.true_lat_deg, bench.state.true_lon_deg)
    assert truth[1] == pytest.approx(3.0 * flown_s, rel=0.05)  # carried east all the way down
    assert abs(truth[0]) < 0.5
    assert math.hypot(*bench.local()[:2]) < 0.5  # while it believes it stayed over home
    bench.faults.clear("gps-loss")
    bench.run(0.2)
    assert math.dist(bench.local()[:2], truth) < 0.01  # the EKF takes the fix again


def test_a_short_gps_loss_is_ridden_out_on_dead_reckoning() -> None:
    bench = Bench()
    hovering(bench)
    bench.faults.inject("gps-loss:5")
    bench.run(10.0)
    assert bench.state.mode == CopterMode.GUIDED
    assert bench.state.gps_ok
    assert bench.state.failsafe_log == []


def test_gps_lost_in_stabilize_lands_only_with_fs_ekf_action_3() -> None:
    for action, mode in ((1.0, CopterMode.STABILIZE), (3.0, CopterMode.LAND)):
        bench = Bench()
        bench.params.set("FS_EKF_ACTION", action)
        hovering(bench)
        bench.mode(CopterMode.STABILIZE)
        bench.faults.inject("gps-loss")
        bench.run(10.0)
        assert bench.state.mode == mode
        assert bench.state.ekf_failsafe


# -- motor failure and crash -----------------------------------------------------------------


def test_a_quad_losing_a_motor_falls_crashes_and_disarms() -> None:
    bench = Bench()
    spraying(bench)
    bench.faults.inject("motor:3")
    failed_s = bench.state.time_s
    bench.run_until(lambda: not bench.state.armed, limit_s=10.0, step_s=0.05)
    assert bench.state.alt_m == 0.0
    assert bench.state.roll_deg == 90.0  # on its side
    assert bench.texts()[-1] == "Crash: Disarming: AngErr=90>30, Accel=0.0<3.0"
    assert 3.0 < bench.state.time_s - failed_s < 6.0  # the fall, then two seconds still
    assert kinds(bench) == [(FailsafeKind.CRASH, "disarm")]
    assert not bench.state.sprayer_on


def test_a_hexacopter_flies_on_with_a_motor_out_and_fs_crash_check_0_never_disarms() -> None:
    hexa = Bench()
    hexa.params.set("FRAME_CLASS", 2.0)
    hovering(hexa)
    hexa.faults.inject("motor:5")
    hexa.run(10.0)
    assert hexa.state.alt_m == pytest.approx(10.0, abs=0.1)
    quad = Bench()
    quad.params.set("FS_CRASH_CHECK", 0.0)
    hovering(quad)
    with pytest.raises(ValueError, match="motors 1 to 4"):
        quad.faults.inject("motor:5")
    quad.faults.inject("motor:1")
    quad.run(10.0)
    assert quad.state.alt_m == 0.0
    assert quad.state.armed  # nobody noticed: the motors keep turning
