"""The messages a vehicle streams, built from its state, and how often each one goes out.

ArduPilot sends HEARTBEAT once a second whatever is asked, and the rest at rates a
ground station sets per message (SET_MESSAGE_INTERVAL, in microseconds) or per
group (REQUEST_DATA_STREAM, in Hz). HOME_POSITION goes out when home is first set
and on request unless an interval is set for it.

The failsafes show as ArduPilot shows them: SYS_STATUS marks the battery unhealthy
once a battery failsafe has triggered, the GPS while it has no fix, the AHRS during an
EKF failsafe and the geofence while it is breached; BATTERY_STATUS carries the charge
state (OK, LOW, CRITICAL); FENCE_STATUS goes out while a fence is enabled. GPS_RAW_INT
is the receiver's own noisy fix (:mod:`sim.gps`); GLOBAL_POSITION_INT is the EKF's
estimate, and ArduPilot keeps sending it (stale, dead-reckoned) when the fix is lost.
"""

import math
from collections.abc import Callable

from sim.gps import SATELLITES, VERTICAL_RATIO, GpsReceiver
from sim.physics import LocalFrame
from sim.state import BatteryLevel, CopterMode, VehicleState
from sim.wire import Message, mavlink

__all__ = ["DEFAULT_INTERVALS_S", "STREAM_GROUPS", "StreamSchedule", "Telemetry"]

DEFAULT_INTERVALS_S: dict[int, float | None] = {
    mavlink.MAVLINK_MSG_ID_HEARTBEAT: 1.0,
    mavlink.MAVLINK_MSG_ID_SYS_STATUS: 1.0,
    mavlink.MAVLINK_MSG_ID_GLOBAL_POSITION_INT: 0.25,
    mavlink.MAVLINK_MSG_ID_MISSION_CURRENT: 1.0,
    mavlink.MAVLINK_MSG_ID_ATTITUDE: 0.25,
    mavlink.MAVLINK_MSG_ID_VFR_HUD: 0.25,
    mavlink.MAVLINK_MSG_ID_BATTERY_STATUS: 1.0,
    mavlink.MAVLINK_MSG_ID_EXTENDED_SYS_STATE: 1.0,
    mavlink.MAVLINK_MSG_ID_GPS_RAW_INT: 1.0,
    mavlink.MAVLINK_MSG_ID_FENCE_STATUS: 1.0,
    mavlink.MAVLINK_MSG_ID_HOME_POSITION: None,
    mavlink.MAVLINK_MSG_ID_AUTOPILOT_VERSION: None,
}
"""Seconds between messages before anyone asks otherwise; None: only on request."""

STREAM_GROUPS: dict[int, tuple[int, ...]] = {
    mavlink.MAV_DATA_STREAM_EXTENDED_STATUS: (
        mavlink.MAVLINK_MSG_ID_SYS_STATUS,
        mavlink.MAVLINK_MSG_ID_MISSION_CURRENT,
        mavlink.MAVLINK_MSG_ID_EXTENDED_SYS_STATE,
        mavlink.MAVLINK_MSG_ID_GPS_RAW_INT,
        mavlink.MAVLINK_MSG_ID_FENCE_STATUS,
    ),
    mavlink.MAV_DATA_STREAM_POSITION: (mavlink.MAVLINK_MSG_ID_GLOBAL_POSITION_INT,),
    mavlink.MAV_DATA_STREAM_EXTRA1: (mavlink.MAVLINK_MSG_ID_ATTITUDE,),
    mavlink.MAV_DATA_STREAM_EXTRA2: (mavlink.MAVLINK_MSG_ID_VFR_HUD,),
    mavlink.MAV_DATA_STREAM_EXTRA3: (mavlink.MAVLINK_MSG_ID_BATTERY_STATUS,),
}
"""Which simulated messages each REQUEST_DATA_STREAM group sets, as ArduPilot groups them."""

_SENSORS = (
    mavlink.MAV_SYS_STATUS_SENSOR_3D_GYRO
    | mavlink.MAV_SYS_STATUS_SENSOR_3D_ACCEL
    | mavlink.MAV_SYS_STATUS_SENSOR_3D_MAG
    | mavlink.MAV_SYS_STATUS_SENSOR_ABSOLUTE_PRESSURE
    | mavlink.MAV_SYS_STATUS_SENSOR_GPS
    | mavlink.MAV_SYS_STATUS_SENSOR_ANGULAR_RATE_CONTROL
    | mavlink.MAV_SYS_STATUS_SENSOR_ATTITUDE_STABILIZATION
    | mavlink.MAV_SYS_STATUS_SENSOR_YAW_POSITION
    | mavlink.MAV_SYS_STATUS_SENSOR_Z_ALTITUDE_CONTROL
    | mavlink.MAV_SYS_STATUS_SENSOR_XY_POSITION_CONTROL
    | mavlink.MAV_SYS_STATUS_SENSOR_MOTOR_OUTPUTS
    | mavlink.MAV_SYS_STATUS_AHRS
    | mavlink.MAV_SYS_STATUS_SENSOR_BATTERY
    | mavlink.MAV_SYS_STATUS_PREARM_CHECK
)
_CHARGE_STATES = {
    BatteryLevel.NONE: mavlink.MAV_BATTERY_CHARGE_STATE_OK,
    BatteryLevel.LOW: mavlink.MAV_BATTERY_CHARGE_STATE_LOW,
    BatteryLevel.CRITICAL: mavlink.MAV_BATTERY_CHARGE_STATE_CRITICAL,
}
_UNKNOWN_DOP = 65535
_GPS_MODES = frozenset(
    {CopterMode.AUTO, CopterMode.GUIDED, CopterMode.LOITER, CopterMode.RTL, CopterMode.BRAKE}
)


class StreamSchedule:
    """When each streamed message is next due, on the wall clock (seconds)."""

    def __init__(self) -> None:
        self._interval_s = dict(DEFAULT_INTERVALS_S)
        self._next_s: dict[int, float] = {}

    def interval_s(self, msg_id: int) -> float | None:
        """Seconds between two ``msg_id`` messages, or None when it is not streamed."""
        return self._interval_s.get(msg_id)

    def knows(self, msg_id: int) -> bool:
        """Whether the vehicle can send ``msg_id`` at all."""
        return msg_id in DEFAULT_INTERVALS_S

    def set_interval(self, msg_id: int, interval_us: float, now_s: float) -> bool:
        """Apply SET_MESSAGE_INTERVAL: -1 stops, 0 restores the default, else microseconds.

        Returns False (and changes nothing) for a message the vehicle does not send.
        """
        if not self.knows(msg_id):
            return False
        if interval_us < 0:
            self._interval_s[msg_id] = None
        elif interval_us == 0:
            self._interval_s[msg_id] = DEFAULT_INTERVALS_S[msg_id]
        else:
            self._interval_s[msg_id] = interval_us / 1e6
        self._next_s[msg_id] = now_s  # a new rate starts now
        return True

    def set_stream(self, stream_id: int, rate_hz: float, start: bool, now_s: float) -> None:
        """Apply REQUEST_DATA_STREAM: every message of the group at ``rate_hz``, or stopped."""
        if stream_id == mavlink.MAV_DATA_STREAM_ALL:
            members = tuple(m for group in STREAM_GROUPS.values() for m in group)
        else:
            members = STREAM_GROUPS.get(stream_id, ())
        for msg_id in members:
            interval_us = 1e6 / rate_hz if start and rate_hz > 0 else -1.0
            self.set_interval(msg_id, interval_us, now_s)

    def due(self, now_s: float) -> list[int]:
        """The messages to send now; each is then scheduled one interval later."""
        out = []
        for msg_id, interval in self._interval_s.items():
            if interval is None:
                continue
            next_s = self._next_s.get(msg_id, now_s)
            if now_s >= next_s:
                out.append(msg_id)
                # Skip missed slots rather than bursting to catch up, as a radio would.
                self._next_s[msg_id] = max(next_s + interval, now_s)
        return out


class Telemetry:
    """Builds the vehicle's status messages from its state.

    Parameters
    ----------
    state
        The vehicle, read when a message is built.
    mission_total
        The number of items in the stored mission, home included.
    """

    def __init__(self, state: VehicleState, mission_total: Callable[[], int]) -> None:
        self.state = state
        self._mission_total = mission_total
        cfg = state.config
        self.gps = GpsReceiver(noise_m=cfg.gps_noise_m, seed=f"{cfg.seed}:{cfg.system_id}")
        """The GPS receiver whose fixes GPS_RAW_INT reports."""
        self._last_fix: tuple[int, int, int] | None = None
        self._builders: dict[int, Callable[[], Message | None]] = {
            mavlink.MAVLINK_MSG_ID_HEARTBEAT: self.heartbeat,
            mavlink.MAVLINK_MSG_ID_SYS_STATUS: self.sys_status,
            mavlink.MAVLINK_MSG_ID_GLOBAL_POSITION_INT: self.global_position_int,
            mavlink.MAVLINK_MSG_ID_MISSION_CURRENT: self.mission_current,
            mavlink.MAVLINK_MSG_ID_HOME_POSITION: self.home_position,
            mavlink.MAVLINK_MSG_ID_ATTITUDE: self.attitude,
            mavlink.MAVLINK_MSG_ID_VFR_HUD: self.vfr_hud,
            mavlink.MAVLINK_MSG_ID_BATTERY_STATUS: self.battery_status,
            mavlink.MAVLINK_MSG_ID_EXTENDED_SYS_STATE: self.extended_sys_state,
            mavlink.MAVLINK_MSG_ID_GPS_RAW_INT: self.gps_raw_int,
            mavlink.MAVLINK_MSG_ID_FENCE_STATUS: self.fence_status,
            mavlink.MAVLINK_MSG_ID_AUTOPILOT_VERSION: self.autopilot_version,
        }

    def autopilot_version(self) -> Message:
        """AUTOPILOT_VERSION: ArduCopter 4.5.7 (official), and the protocol capabilities a
        ground station plans by — MISSION_INT and COMMAND_INT, MAVLink 2, fence and rally
        in the mission protocol, SET_POSITION_TARGET_GLOBAL_INT, parameters as floats."""
        capabilities = (
            mavlink.MAV_PROTOCOL_CAPABILITY_MISSION_FLOAT
            | mavlink.MAV_PROTOCOL_CAPABILITY_PARAM_FLOAT
            | mavlink.MAV_PROTOCOL_CAPABILITY_MISSION_INT
            | mavlink.MAV_PROTOCOL_CAPABILITY_COMMAND_INT
            | mavlink.MAV_PROTOCOL_CAPABILITY_SET_POSITION_TARGET_GLOBAL_INT
            | mavlink.MAV_PROTOCOL_CAPABILITY_MAVLINK2
            | mavlink.MAV_PROTOCOL_CAPABILITY_MISSION_FENCE
            | mavlink.MAV_PROTOCOL_CAPABILITY_MISSION_RALLY
        )
        version = (4 << 24) | (5 << 16) | (7 << 8) | mavlink.FIRMWARE_VERSION_TYPE_OFFICIAL
        uid = 0x54414E424F000000 | self.state.config.system_id  # "TANBO" and the system id
        return mavlink.MAVLink_autopilot_version_message(
            capabilities, version, 0, 0, 0, [0] * 8, [0] * 8, [0] * 8, 0x1209, 0x5741, uid,
        )  # fmt: skip

    def build(self, msg_id: int) -> Message | None:
        """Message ``msg_id`` now, or None if the vehicle has nothing to say yet."""
        builder = self._builders.get(msg_id)
        return builder() if builder is not None else None

    def heartbeat(self) -> Message:
        """HEARTBEAT: a quadrotor running ArduPilot, its mode and whether it is armed."""
        s = self.state
        base = mavlink.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED | mavlink.MAV_MODE_FLAG_STABILIZE_ENABLED
        if s.mode in _GPS_MODES:
            base |= mavlink.MAV_MODE_FLAG_GUIDED_ENABLED
        if s.armed:
            base |= mavlink.MAV_MODE_FLAG_SAFETY_ARMED
        status = mavlink.MAV_STATE_ACTIVE if s.armed else mavlink.MAV_STATE_STANDBY
        return mavlink.MAVLink_heartbeat_message(
            mavlink.MAV_TYPE_QUADROTOR,
            mavlink.MAV_AUTOPILOT_ARDUPILOTMEGA,
            base,
            int(s.mode),
            status,
            3,
        )

    def sys_status(self) -> Message:
        """SYS_STATUS: sensors (the pre-arm bit healthy once arming is allowed, the failsafes'
        sensors unhealthy while they are on) and battery."""
        s = self.state
        present = enabled = health = _SENSORS
        for bad, bit in (
            (not s.gps_ok, mavlink.MAV_SYS_STATUS_SENSOR_GPS),
            (not s.prearm_ok, mavlink.MAV_SYS_STATUS_PREARM_CHECK),
            (s.battery_failsafe != BatteryLevel.NONE, mavlink.MAV_SYS_STATUS_SENSOR_BATTERY),
            (s.ekf_failsafe or s.position_lost, mavlink.MAV_SYS_STATUS_AHRS),
        ):
            if bad:
                health &= ~bit
        fence = mavlink.MAV_SYS_STATUS_GEOFENCE
        if s.fence.present:
            present |= fence
            enabled |= fence if s.fence.enabled else 0
            health |= fence if not s.fence.breaches else 0
        return mavlink.MAVLink_sys_status_message(
            present,
            enabled,
            health,
            250,  # load, per mille
            round(s.battery_v * 1000.0),
            round(s.battery_a * 100.0),
            round(s.battery_pct),
            0,
            0,
            0,
            0,
            0,
            0,
        )

    def global_position_int(self) -> Message | None:
        """GLOBAL_POSITION_INT, the EKF's estimate once there has been a fix: e7 degrees, mm,
        cm/s, centidegrees."""
        s = self.state
        if s.home is None:
            return None
        return mavlink.MAVLink_global_position_int_message(
            s.boot_ms,
            round(s.lat_deg * 1e7),
            round(s.lon_deg * 1e7),
            round(s.amsl_m * 1000.0),
            round(s.alt_m * 1000.0),
            round(s.vn_m_s * 100.0),
            round(s.ve_m_s * 100.0),
            round(s.vd_m_s * 100.0),
            round(s.heading_deg * 100.0) % 36000,
        )

    def home_position(self) -> Message | None:
        """HOME_POSITION once home is set: e7 degrees and mm above mean sea level."""
        home = self.state.home
        if home is None:
            return None
        return mavlink.MAVLink_home_position_message(
            round(home.lat_deg * 1e7),
            round(home.lon_deg * 1e7),
            round(home.amsl_m * 1000.0),
            0.0,
            0.0,
            0.0,
            [1.0, 0.0, 0.0, 0.0],
            0.0,
            0.0,
            0.0,
        )

    def mission_current(self) -> Message:
        """MISSION_CURRENT: the item AUTO flies (or would start from) and the mission's size."""
        return mavlink.MAVLink_mission_current_message(
            self.state.mission_seq, self._mission_total()
        )

    def attitude(self) -> Message:
        """ATTITUDE: roll, pitch and yaw (yaw -pi..pi from north) in radians, rates in rad/s."""
        s = self.state
        yaw = math.radians((s.heading_deg + 180.0) % 360.0 - 180.0)
        return mavlink.MAVLink_attitude_message(
            s.boot_ms, math.radians(s.roll_deg), math.radians(s.pitch_deg), yaw,
            0.0, 0.0, math.radians(s.yaw_rate_deg_s),
        )  # fmt: skip

    def vfr_hud(self) -> Message:
        """VFR_HUD: air and ground speed (m/s), heading (deg), throttle (%), altitude above
        mean sea level (m, as ArduPilot sends it) and climb rate (m/s)."""
        s = self.state
        return mavlink.MAVLink_vfr_hud_message(
            s.airspeed_m_s, math.hypot(s.vn_m_s, s.ve_m_s), round(s.heading_deg) % 360,
            round(s.throttle_pct), s.amsl_m, -s.vd_m_s,
        )  # fmt: skip

    def battery_status(self) -> Message:
        """BATTERY_STATUS: the pack's voltage (mV, in the first cell slot as ArduPilot does
        without cell monitoring), current (cA), drawn (mAh) and remaining (%)."""
        s = self.state
        voltages = [min(round(s.battery_v * 1000.0), 65534)] + [65535] * 9
        return mavlink.MAVLink_battery_status_message(
            0, mavlink.MAV_BATTERY_FUNCTION_ALL, mavlink.MAV_BATTERY_TYPE_LIPO, 32767,
            voltages, round(s.battery_a * 100.0), round(s.battery_mah), -1,
            round(s.battery_pct), 0, _CHARGE_STATES[s.battery_failsafe],
        )  # fmt: skip

    def extended_sys_state(self) -> Message:
        """EXTENDED_SYS_STATE: a multicopter, and whether it is on the ground or flying."""
        return mavlink.MAVLink_extended_sys_state_message(
            mavlink.MAV_VTOL_STATE_MC, self.state.landed_state
        )

    def gps_raw_int(self) -> Message:
        """GPS_RAW_INT: the receiver's latest fix, noise and all (e7 degrees, mm above mean
        sea level, HDOP and VDOP * 100, cm/s, centidegrees, and accuracies in mm); without a
        fix, NO_FIX and no satellites, with the last position it had."""
        s = self.state
        time_s = self.gps.fix_time_s(s.time_s)
        if not s.gps_ok:
            lat, lon, alt_mm = (0, 0, 0) if s.home is None else self._last_fix or self._here()
            return mavlink.MAVLink_gps_raw_int_message(
                round(time_s * 1e6), mavlink.GPS_FIX_TYPE_NO_FIX, lat, lon, alt_mm,
                _UNKNOWN_DOP, _UNKNOWN_DOP, 0, 0, 0,
            )  # fmt: skip
        error = self.gps.error_at(s.time_s)
        truth = LocalFrame(lat0_deg=s.true_lat_deg, lon0_deg=s.true_lon_deg)
        lat_deg, lon_deg = truth.to_global(error.north_m, error.east_m)
        alt_mm = round((s.amsl_m + error.up_m) * 1e3)
        self._last_fix = (round(lat_deg * 1e7), round(lon_deg * 1e7), alt_mm)
        hdop = self.gps.hdop
        course = math.degrees(math.atan2(s.ve_m_s, s.vn_m_s)) % 360.0
        return mavlink.MAVLink_gps_raw_int_message(
            round(time_s * 1e6), mavlink.GPS_FIX_TYPE_3D_FIX, *self._last_fix,
            round(hdop * 100.0), round(hdop * VERTICAL_RATIO * 100.0),
            round(math.hypot(s.vn_m_s, s.ve_m_s) * 100.0), round(course * 100.0) % 36000,
            SATELLITES, 0, round(self.gps.noise_m * 1000.0),
            round(self.gps.noise_m * VERTICAL_RATIO * 1000.0),
        )  # fmt: skip

    def _here(self) -> tuple[int, int, int]:
        s = self.state
        return round(s.lat_deg * 1e7), round(s.lon_deg * 1e7), round(s.amsl_m * 1e3)

    def fence_status(self) -> Message | None:
        """FENCE_STATUS while a fence is enabled: breached or not, how often, which kind
        (MAXALT for the ceiling, BOUNDARY for the circle and the zones) and since when."""
        fence = self.state.fence
        if not fence.enabled:
            return None
        if fence.breaches & 1:
            kind = mavlink.FENCE_BREACH_MAXALT
        elif fence.breaches:
            kind = mavlink.FENCE_BREACH_BOUNDARY
        else:
            kind = mavlink.FENCE_BREACH_NONE
        return mavlink.MAVLink_fence_status_message(
            1 if fence.breaches else 0,
            min(fence.breach_count, 65535),
            kind,
            int(fence.breach_time_s * 1000.0) % 2**32,
        )
