"""The vehicle flies, as a ground station sees it over TCP: AUTO missions, GUIDED take-off,
LAND, and the flight telemetry (GLOBAL_POSITION_INT, VFR_HUD, ATTITUDE, BATTERY_STATUS)."""

import math
import time
from collections.abc import Sequence
from typing import Any

import pytest
from pymavlink.dialects.v20 import ardupilotmega as mavlink

from sim import CopterMode
from sim.physics import LocalFrame
from tests.sim.gcs import Gcs, Row, RunningSim, connected, running

HOME = (34.9283, 134.8414)
ARM = mavlink.MAV_CMD_COMPONENT_ARM_DISARM
SET_MODE = mavlink.MAV_CMD_DO_SET_MODE
CUSTOM = mavlink.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED
ARMED = mavlink.MAV_MODE_FLAG_SAFETY_ARMED
ACCEPTED = mavlink.MAV_RESULT_ACCEPTED
REL = mavlink.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT


def row(seq: int, command: int, *params: float, at: tuple[float, float] | None = None,
        alt: float = 0.0, frame: int = REL) -> Row:  # fmt: skip
    """A mission row ``at`` metres (north, east) from :data:`HOME` (None: no position)."""
    p = (*params, *[0.0] * (4 - len(params)))
    x = y = 0
    if at is not None:
        lat, lon = LocalFrame(lat0_deg=HOME[0], lon0_deg=HOME[1]).to_global(*at)
        x, y = round(lat * 1e7), round(lon * 1e7)
    return {"seq": seq, "frame": frame, "command": command, "param1": p[0], "param2": p[1],
            "param3": p[2], "param4": p[3], "x": x, "y": y, "z": alt}  # fmt: skip


def spray_rows() -> list[Row]:
    """Home placeholder, take-off, three waypoints with the sprayer on for the middle leg, RTL."""
    mission = mavlink.MAV_FRAME_MISSION
    return [
        row(0, mavlink.MAV_CMD_NAV_WAYPOINT, at=(0.0, 0.0)),
        row(1, mavlink.MAV_CMD_NAV_TAKEOFF, alt=10.0),
        row(2, mavlink.MAV_CMD_NAV_WAYPOINT, at=(40.0, 0.0), alt=10.0),
        row(3, mavlink.MAV_CMD_DO_SPRAYER, 1.0, frame=mission),
        row(4, mavlink.MAV_CMD_NAV_WAYPOINT, at=(40.0, 40.0), alt=10.0),
        row(5, mavlink.MAV_CMD_DO_SPRAYER, 0.0, frame=mission),
        row(6, mavlink.MAV_CMD_NAV_WAYPOINT, at=(0.0, 40.0), alt=10.0),
        row(7, mavlink.MAV_CMD_NAV_RETURN_TO_LAUNCH),
    ]


def arm_in_guided(gcs: Gcs) -> None:
    gcs.recv("SYS_STATUS", where=lambda m: m.onboard_control_sensors_health
             & mavlink.MAV_SYS_STATUS_PREARM_CHECK)  # fmt: skip
    assert gcs.command(SET_MODE, CUSTOM, CopterMode.GUIDED).result == ACCEPTED
    assert gcs.command(ARM, 1).result == ACCEPTED


REPORTED_DO = frozenset(
    {mavlink.MAV_CMD_DO_CHANGE_SPEED, mavlink.MAV_CMD_DO_SET_HOME, mavlink.MAV_CMD_DO_SET_ROI,
     mavlink.MAV_CMD_DO_SET_ROI_LOCATION, mavlink.MAV_CMD_DO_SET_ROI_NONE,
     mavlink.MAV_CMD_DO_LAND_START, mavlink.MAV_CMD_CONDITION_DELAY,
     mavlink.MAV_CMD_CONDITION_DISTANCE, mavlink.MAV_CMD_CONDITION_YAW}
)  # fmt: skip
"""DO and CONDITION commands Copter's ModeAuto reports with MISSION_ITEM_REACHED too (those
AP_Mission completes itself, as DO_SPRAYER or DO_SET_SERVO, it does not)."""


def reported(rows: Sequence[Row]) -> list[int]:
    """The items of an upload a mission flown through reports reached, in order (no jumps)."""
    return [
        int(r["seq"]) for r in rows[1:]
        if int(r["command"]) <= mavlink.MAV_CMD_NAV_LAST or int(r["command"]) in REPORTED_DO
    ]  # fmt: skip


def fly_auto(gcs: Gcs, rows: Sequence[Row], timeout_s: float) -> tuple[list[int], float]:
    """Upload ``rows``, arm in GUIDED, switch to AUTO; every MISSION_ITEM_REACHED (one for each
    of :func:`reported`) in the order it came, and the wall seconds until the vehicle
    disarmed."""
    assert gcs.set_param("SPRAY_ENABLE", 1.0) == 1.0
    assert gcs.upload(rows) == mavlink.MAV_MISSION_ACCEPTED
    arm_in_guided(gcs)
    start = time.monotonic()
    assert gcs.command(SET_MODE, CUSTOM, CopterMode.AUTO).result == ACCEPTED
    reached = [gcs.recv("MISSION_ITEM_REACHED", timeout=timeout_s).seq for _ in reported(rows)]
    gcs.recv("HEARTBEAT", timeout=timeout_s, where=lambda m: not m.base_mode & ARMED)
    return reached, time.monotonic() - start


def now(gcs: Gcs, name: str) -> Any:
    """Message ``name`` asked for with REQUEST_MESSAGE (not waiting for its stream)."""
    msg_id = getattr(mavlink, f"MAVLINK_MSG_ID_{name}")
    request = mavlink.MAV_CMD_REQUEST_MESSAGE
    gcs.send(mavlink.MAVLink_command_long_message(1, 1, request, 0, msg_id, 0, 0, 0, 0, 0, 0))
    message = gcs.recv(name)  # sent before the ACK: read first, as streamed messages pass
    assert gcs.recv("COMMAND_ACK", where=lambda m: m.command == request).result == ACCEPTED
    return message


def fast_telemetry(gcs: Gcs) -> None:
    """The flight telemetry at 20 Hz, so that short phases of a sped-up flight are seen."""
    for msg_id in (
        mavlink.MAVLINK_MSG_ID_GLOBAL_POSITION_INT,
        mavlink.MAVLINK_MSG_ID_VFR_HUD,
        mavlink.MAVLINK_MSG_ID_ATTITUDE,
        mavlink.MAVLINK_MSG_ID_EXTENDED_SYS_STATE,
    ):
        ack = gcs.command(mavlink.MAV_CMD_SET_MESSAGE_INTERVAL, msg_id, 50_000)
        assert ack.result == ACCEPTED


def spray_log(sim: RunningSim) -> list[tuple[int, bool]]:
    return sim.call(lambda: [(e.seq, e.on) for e in sim.vehicle.state.spray_log])


def test_a_spray_mission_flies_in_auto_and_lands_at_home() -> None:
    with running(speedup=100.0) as sim, connected(sim) as gcs:
        rows = spray_rows()
        reached, took_s = fly_auto(gcs, rows, timeout_s=3.0)
        assert reached == [1, 2, 4, 6, 7]
        assert took_s < 3.0  # about 80 simulated seconds
        assert spray_log(sim) == [(3, True), (5, False)]
        assert now(gcs, "MISSION_CURRENT").total == len(rows)
        pos = now(gcs, "GLOBAL_POSITION_INT")
        assert math.dist((pos.lat / 1e7, pos.lon / 1e7), HOME) < 1e-5  # within about a metre
        assert pos.relative_alt == 0
        battery = now(gcs, "BATTERY_STATUS")
        assert battery.current_consumed > 100  # mAh
        assert 90 <= battery.battery_remaining < 100
        landed = now(gcs, "EXTENDED_SYS_STATE").landed_state
        assert landed == mavlink.MAV_LANDED_STATE_ON_GROUND
        tank_l = sim.call(lambda: sim.vehicle.state.tank_l)
        assert 0.0 < tank_l < 10.0


def test_guided_takeoff_shows_in_the_flight_telemetry_then_land_disarms() -> None:
    with running(speedup=25.0) as sim, connected(sim) as gcs:
        fast_telemetry(gcs)
        arm_in_guided(gcs)
        ack = gcs.command(mavlink.MAV_CMD_NAV_TAKEOFF, 0, 0, 0, 0, 0, 0, 20.0)
        assert ack.result == ACCEPTED

        def climbing(m: Any) -> bool:
            return bool(m.climb > 1.0)

        hud = gcs.recv("VFR_HUD", timeout=3.0, where=climbing)
        assert hud.throttle > 20
        assert hud.alt > 50.0  # above mean sea level: home is at 50 m
        gcs.recv("EXTENDED_SYS_STATE", where=lambda m: m.landed_state != 1)
        high = gcs.recv("GLOBAL_POSITION_INT", timeout=4.0, where=lambda m: m.relative_alt > 19_000)
        assert high.vz <= 0  # cm/s, down positive: not descending
        attitude = gcs.recv("ATTITUDE")
        assert abs(attitude.roll) < 0.01  # hovering level
        assert abs(attitude.pitch) < 0.01
        assert gcs.command(SET_MODE, CUSTOM, CopterMode.LAND).result == ACCEPTED
        gcs.recv("HEARTBEAT", timeout=5.0, where=lambda m: not m.base_mode & ARMED)
        gcs.sync()
        assert gcs.recv("GLOBAL_POSITION_INT").relative_alt == 0


def test_the_vehicle_leans_into_its_travel_and_flies_at_wpnav_speed() -> None:
    with running(speedup=20.0) as sim, connected(sim) as gcs:
        fast_telemetry(gcs)
        assert gcs.set_param("WPNAV_SPEED", 800.0) == 800.0
        rows = [row(0, 16, at=(0.0, 0.0)), row(1, 22, alt=5.0),
                row(2, 16, at=(0.0, 300.0), alt=5.0)]  # fmt: skip
        assert gcs.upload(rows) == mavlink.MAV_MISSION_ACCEPTED
        arm_in_guided(gcs)
        assert gcs.command(mavlink.MAV_CMD_MISSION_START).result == ACCEPTED
        hud = gcs.recv("VFR_HUD", timeout=5.0, where=lambda m: m.groundspeed > 7.9)
        assert hud.groundspeed < 8.01
        assert hud.heading == 90
        attitude = gcs.recv("ATTITUDE")
        assert math.degrees(attitude.pitch) < -5.0  # nose down, flying forwards
        assert math.degrees(attitude.yaw) == pytest.approx(90.0, abs=0.5)
        assert gcs.command(mavlink.MAV_CMD_NAV_RETURN_TO_LAUNCH).result == ACCEPTED
        gcs.sync()
        assert gcs.recv("HEARTBEAT").custom_mode == CopterMode.RTL
