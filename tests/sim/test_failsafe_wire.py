"""Faults injected into a running vehicle and the failsafes that answer them, as a ground station
sees them over TCP: modes in HEARTBEAT, STATUSTEXT, SYS_STATUS, BATTERY_STATUS, GPS_RAW_INT."""

import math
import time
from typing import Any

import pytest
from pymavlink.dialects.v20 import ardupilotmega as mavlink

from sim import CopterMode, FailsafeKind, FaultChange
from sim.physics import LocalFrame
from tests.sim.gcs import Gcs, RunningSim, connected, running
from tests.sim.test_flight import ACCEPTED, ARMED, CUSTOM, HOME, SET_MODE, arm_in_guided, row

FRAME = LocalFrame(lat0_deg=HOME[0], lon0_deg=HOME[1])
MISSION = mavlink.MAV_FRAME_MISSION


def spray_leg_rows() -> list[dict[str, Any]]:
    """Take-off, the sprayer on, a 200 m leg north, the sprayer off, RTL."""
    return [
        row(0, mavlink.MAV_CMD_NAV_WAYPOINT, at=(0.0, 0.0)),
        row(1, mavlink.MAV_CMD_NAV_TAKEOFF, alt=10.0),
        row(2, mavlink.MAV_CMD_DO_SPRAYER, 1.0, frame=MISSION),
        row(3, mavlink.MAV_CMD_NAV_WAYPOINT, at=(200.0, 0.0), alt=10.0),
        row(4, mavlink.MAV_CMD_DO_SPRAYER, 0.0, frame=MISSION),
        row(5, mavlink.MAV_CMD_NAV_RETURN_TO_LAUNCH),
    ]


def north_m(msg: Any) -> float:
    return FRAME.to_local(msg.lat / 1e7, msg.lon / 1e7)[0]


def spraying_north(gcs: Gcs, beyond_m: float = 30.0, **params: float) -> None:
    """Upload the spray leg, fly it in AUTO until ``beyond_m`` metres north."""
    for name, value in {"SPRAY_ENABLE": 1.0, **params}.items():
        assert gcs.set_param(name, value) == value
    assert gcs.upload(spray_leg_rows()) == mavlink.MAV_MISSION_ACCEPTED
    arm_in_guided(gcs)
    assert gcs.command(SET_MODE, CUSTOM, CopterMode.AUTO).result == ACCEPTED
    gcs.recv("GLOBAL_POSITION_INT", timeout=3.0, where=lambda m: north_m(m) > beyond_m)


def mode_becomes(gcs: Gcs, mode: CopterMode, timeout: float = 3.0) -> Any:
    return gcs.recv("HEARTBEAT", timeout=timeout, where=lambda m: m.custom_mode == mode)


def disarmed(gcs: Gcs, timeout: float) -> None:
    gcs.recv("HEARTBEAT", timeout=timeout, where=lambda m: not m.base_mode & ARMED)


def inject(sim: RunningSim, spec: str) -> None:
    sim.call(lambda: sim.vehicle.inject(spec))


def test_low_battery_mid_spray_stops_the_sprayer_returns_home_and_lands() -> None:
    with running(speedup=100.0) as sim, connected(sim) as gcs:
        spraying_north(gcs)
        assert sim.call(lambda: sim.vehicle.state.sprayer_on)
        inject(sim, "battery:30")
        text = gcs.recv("STATUSTEXT", timeout=3.0, where=lambda m: "Battery" in m.text)
        assert text.text.startswith("Battery 1 is low ")
        assert text.severity == mavlink.MAV_SEVERITY_WARNING
        assert gcs.recv("STATUSTEXT").text == "Battery Failsafe"
        mode_becomes(gcs, CopterMode.RTL)
        assert not sim.call(lambda: sim.vehicle.state.sprayer_on)
        charge = gcs.recv("BATTERY_STATUS", timeout=2.0).charge_state
        assert charge == mavlink.MAV_BATTERY_CHARGE_STATE_LOW
        health = gcs.recv("SYS_STATUS").onboard_control_sensors_health
        assert not health & mavlink.MAV_SYS_STATUS_SENSOR_BATTERY
        disarmed(gcs, timeout=5.0)
        gcs.sync()
        pos = gcs.recv("GLOBAL_POSITION_INT")
        assert math.hypot(*FRAME.to_local(pos.lat / 1e7, pos.lon / 1e7)) < 1.0
        assert pos.relative_alt == 0
        log = sim.call(lambda: list(sim.vehicle.state.spray_log))
        assert [e.on for e in log] == [True, False]  # off at the failsafe, never on again


def test_critical_battery_lands_at_once() -> None:
    with running(speedup=100.0) as sim, connected(sim) as gcs:
        spraying_north(gcs)
        inject(sim, "battery:10")
        text = gcs.recv("STATUSTEXT", timeout=3.0, where=lambda m: "Battery 1" in m.text)
        assert text.text.startswith("Battery 1 is critical ")
        mode_becomes(gcs, CopterMode.LAND)
        charge = gcs.recv("BATTERY_STATUS", timeout=2.0).charge_state
        assert charge == mavlink.MAV_BATTERY_CHARGE_STATE_CRITICAL
        disarmed(gcs, timeout=5.0)
        gcs.sync()
        assert north_m(gcs.recv("GLOBAL_POSITION_INT")) > 30.0  # down where it was


@pytest.mark.parametrize("enabled", [True, False])
def test_ground_station_silence_for_fs_gcs_timeout_means_rtl(enabled: bool) -> None:
    with running(speedup=20.0) as sim, connected(sim) as gcs:
        enable = 1.0 if enabled else 0.0
        assert gcs.set_param("FS_GCS_ENABLE", enable) == enable
        with gcs.heartbeats(rate_hz=20.0):  # one every simulated second
            arm_in_guided(gcs)
            takeoff = gcs.command(mavlink.MAV_CMD_NAV_TAKEOFF, 0, 0, 0, 0, 0, 0, 10.0)
            assert takeoff.result == ACCEPTED
            time.sleep(0.5)  # ten simulated seconds of heartbeats: no failsafe
            gcs.sync()
            assert gcs.recv("HEARTBEAT").custom_mode == CopterMode.GUIDED
        silent = time.monotonic()
        if not enabled:
            gcs.nothing("STATUSTEXT", within=0.8)  # 16 simulated seconds: nothing happens
            assert gcs.recv("HEARTBEAT").custom_mode == CopterMode.GUIDED
            return
        assert gcs.recv("STATUSTEXT", timeout=2.0).text == "GCS Failsafe"
        assert 0.2 < time.monotonic() - silent < 0.6  # FS_GCS_TIMEOUT 5 s at speedup 20
        mode_becomes(gcs, CopterMode.RTL)
        with gcs.heartbeats(rate_hz=20.0):
            cleared = gcs.recv("STATUSTEXT", timeout=1.0)
            assert cleared.text == "GCS Failsafe Cleared"
            gcs.sync()
            assert gcs.recv("HEARTBEAT").custom_mode == CopterMode.RTL  # not switched back


def fence_rows() -> list[dict[str, Any]]:
    """An inclusion square from 20 m south to 40 m north of home, 20 m either side."""
    corners = [(-20.0, -20.0), (-20.0, 20.0), (40.0, 20.0), (40.0, -20.0)]
    vertex = mavlink.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION
    glob = mavlink.MAV_FRAME_GLOBAL
    rows = [row(k, vertex, 4.0, at=c, frame=glob) for k, c in enumerate(corners)]
    return [{**r, "mission_type": mavlink.MAV_MISSION_TYPE_FENCE} for r in rows]


def test_leaving_the_uploaded_fence_returns_home_and_arming_outside_it_is_refused() -> None:
    geofence = mavlink.MAV_SYS_STATUS_GEOFENCE
    # Slow enough that a position report lands in the 35 m between 5 m north and the fence.
    with running(speedup=30.0) as sim, connected(sim) as gcs:
        assert gcs.upload(fence_rows(), mavlink.MAV_MISSION_TYPE_FENCE) == 0
        spraying_north(gcs, beyond_m=5.0, FENCE_ENABLE=1.0)
        text = gcs.recv("STATUSTEXT", timeout=3.0)
        assert text.text == "Polygon fence breached"
        assert text.severity == mavlink.MAV_SEVERITY_NOTICE
        mode_becomes(gcs, CopterMode.RTL)
        assert not sim.call(lambda: sim.vehicle.state.sprayer_on)
        assert gcs.recv("STATUSTEXT", timeout=2.0).text == "Fence breach cleared"  # back in
        disarmed(gcs, timeout=5.0)
        fence = gcs.recv("FENCE_STATUS", timeout=2.0)
        assert (fence.breach_status, fence.breach_count) == (0, 1)
        assert fence.breach_time > 0
        moved = [{**r, "x": r["x"] + 1_000_000} for r in fence_rows()]  # 11 km north
        assert gcs.upload(moved, mavlink.MAV_MISSION_TYPE_FENCE) == 0

        def breached(m: Any) -> bool:
            return not m.onboard_control_sensors_health & geofence

        outside = gcs.recv("SYS_STATUS", timeout=2.0, where=breached)
        assert outside.onboard_control_sensors_enabled & geofence
        assert gcs.command(mavlink.MAV_CMD_COMPONENT_ARM_DISARM, 1).result == (
            mavlink.MAV_RESULT_FAILED
        )
        assert gcs.recv("STATUSTEXT").text == "PreArm: Vehicle breaching Polygon fence"


def test_gps_loss_lands_drifting_downwind_while_position_reports_go_on() -> None:
    with running(speedup=50.0, wind_m_s=4.0, wind_from_deg=270.0) as sim, connected(sim) as gcs:
        arm_in_guided(gcs)
        assert gcs.command(mavlink.MAV_CMD_NAV_TAKEOFF, 0, 0, 0, 0, 0, 0, 10.0).result == ACCEPTED
        gcs.recv("GLOBAL_POSITION_INT", timeout=3.0, where=lambda m: m.relative_alt > 9_900)
        inject(sim, "gps-loss")
        raw = gcs.recv("GPS_RAW_INT", timeout=2.0, where=lambda m: m.fix_type < 3)
        assert (raw.fix_type, raw.satellites_visible) == (mavlink.GPS_FIX_TYPE_NO_FIX, 0)
        assert gcs.recv("STATUSTEXT", timeout=2.0).text == "EKF variance"
        assert gcs.recv("STATUSTEXT").text == "EKF Failsafe: changed to LAND Mode"
        mode_becomes(gcs, CopterMode.LAND)
        gcs.recv("GLOBAL_POSITION_INT", timeout=1.0)  # still reported, as ArduPilot does
        disarmed(gcs, timeout=5.0)
        truth = sim.call(lambda: (sim.vehicle.state.true_lat_deg, sim.vehicle.state.true_lon_deg))
        north, east = FRAME.to_local(*truth)
        assert east > 80.0  # about 4 m/s for the 8 s before the failsafe and the 24 s down
        assert abs(north) < 1.0
        gcs.sync()
        believed = gcs.recv("GLOBAL_POSITION_INT")
        assert abs(FRAME.to_local(believed.lat / 1e7, believed.lon / 1e7)[1]) < 1.0
        log = sim.call(lambda: [(e.kind, e.action) for e in sim.vehicle.state.failsafe_log])
        assert log == [(FailsafeKind.EKF, "LAND"), (FailsafeKind.EKF, "cleared")]  # disarmed


def test_a_motor_failure_brings_the_quad_down_and_the_crash_check_disarms_it() -> None:
    with running(speedup=50.0) as sim, connected(sim) as gcs:
        spraying_north(gcs, beyond_m=10.0)
        inject(sim, "motor:2")
        crash = gcs.recv("STATUSTEXT", timeout=2.0)
        assert crash.text.startswith("Crash: Disarming")
        assert crash.severity == mavlink.MAV_SEVERITY_EMERGENCY
        disarmed(gcs, timeout=1.0)
        gcs.sync()
        assert gcs.recv("GLOBAL_POSITION_INT").relative_alt == 0
        attitude = gcs.recv("ATTITUDE")
        assert math.degrees(abs(attitude.roll)) == pytest.approx(90.0)  # on its side


def test_a_cut_link_says_nothing_for_its_simulated_duration_then_talks_again() -> None:
    with running(speedup=10.0) as sim, connected(sim) as gcs:
        gcs.recv("GLOBAL_POSITION_INT")
        inject(sim, "link-cut:6")  # 0.6 wall seconds at speedup 10
        cut = time.monotonic()
        gcs.collect("GLOBAL_POSITION_INT", during=0.05)  # what was already on its way
        request = mavlink.MAV_CMD_REQUEST_MESSAGE
        gcs.send(mavlink.MAVLink_command_long_message(1, 1, request, 0, 0, 0, 0, 0, 0, 0, 0))
        gcs.nothing("GLOBAL_POSITION_INT", within=0.4)  # 4 Hz, but not a word
        gcs.recv("GLOBAL_POSITION_INT", timeout=1.0)
        assert time.monotonic() - cut > 0.55
        gcs.nothing("COMMAND_ACK", within=0.2)  # the request went nowhere
        log = sim.call(lambda: [(r.fault.spec, r.change) for r in sim.vehicle.state.fault_log])
        assert log == [("link-cut:6", FaultChange.INJECTED), ("link-cut:6", FaultChange.CLEARED)]
        assert sim.call(lambda: sim.vehicle.clear("link-cut")) is False
