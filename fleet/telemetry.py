"""A vehicle's live state, read from its telemetry, and the events its changes make.

:class:`TelemetryTracker` is pure: it is handed each message from one vehicle with
the time it arrived and returns the events the message caused; the link feeds it
from its reader thread. Failsafes are recognised as QGroundControl recognises them
from ArduPilot: a mode change to RTL, LAND or SMART_RTL that no ground-station
command asked for, or a STATUSTEXT that names a failsafe.

>>> from pymavlink.dialects.v20 import ardupilotmega as m
>>> tracker = TelemetryTracker(system_id=1)
>>> hb = m.MAVLink_heartbeat_message(2, 3, 0x81 | 1, 4, 3, 3)  # armed, GUIDED
>>> [e.kind.value for e in tracker.update(hb, now_s=0.0)]
['connected', 'armed', 'mode_changed']
>>> tracker.status.mode, tracker.status.armed
('GUIDED', True)
"""

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pymavlink import mavutil
from pymavlink.dialects.v20 import ardupilotmega as mavlink

from fleet.events import EventKind, VehicleEvent

__all__ = [
    "FAILSAFE_MODES",
    "LINK_TIMEOUT_S",
    "LOW_BATTERY_PCT",
    "GpsFix",
    "TelemetryTracker",
    "VehicleStatus",
]

Message = Any

LINK_TIMEOUT_S = 3.5
"""Seconds without any message after which a vehicle's link counts as lost."""

LOW_BATTERY_PCT = 25.0
"""Remaining charge under which a LOW_BATTERY event is raised once (the autopilot's own
failsafe thresholds are its parameters; this is the operator's warning)."""

FAILSAFE_MODES = frozenset({"RTL", "LAND", "SMART_RTL", "AUTO_RTL"})
"""Modes an ArduPilot failsafe switches to."""

_FAILSAFE_WORDS = ("failsafe", "fence breach", "crash")
"""Words of a STATUSTEXT that reports a failsafe action. Warnings that do not change what
the vehicle does (``GPS Glitch``, ``EKF variance``) are anomalies, not failsafes."""


class GpsFix:
    """GPS_FIX_TYPE values, as named constants."""

    NONE = 0
    NO_FIX = 1
    FIX_2D = 2
    FIX_3D = 3


@dataclass(slots=True)
class VehicleStatus:
    """What a vehicle last reported; None where it has not said yet."""

    system_id: int
    autopilot: str | None = None
    vehicle_type: int | None = None
    mode: str | None = None
    armed: bool = False
    system_state: int | None = None
    lat_deg: float | None = None
    lon_deg: float | None = None
    alt_amsl_m: float | None = None
    alt_rel_m: float | None = None
    heading_deg: float | None = None
    groundspeed_m_s: float | None = None
    climb_m_s: float | None = None
    battery_pct: float | None = None
    battery_v: float | None = None
    battery_a: float | None = None
    battery_used_mah: float | None = None
    boot_s: float | None = None
    """The vehicle's own clock (time since boot, from GLOBAL_POSITION_INT): a simulator's
    runs at its speed-up, so durations are measured on it."""
    gps_fix: int = GpsFix.NONE
    satellites: int | None = None
    gps_eph_m: float | None = None
    prearm_ok: bool | None = None
    landed: bool | None = None
    home_lat_deg: float | None = None
    home_lon_deg: float | None = None
    home_alt_amsl_m: float | None = None
    mission_seq: int | None = None
    mission_total: int | None = None
    last_reached: int | None = None
    servo_us: dict[int, int] = field(default_factory=dict)
    last_text: str | None = None
    texts: list[tuple[float, int, str]] = field(default_factory=list)
    connected: bool = False
    last_heard_s: float | None = None

    @property
    def position_known(self) -> bool:
        """A position has been reported."""
        return self.lat_deg is not None and self.lon_deg is not None


_MAX_TEXTS = 200


class TelemetryTracker:
    """Keeps one vehicle's :class:`VehicleStatus` from its messages.

    Parameters
    ----------
    system_id
        The vehicle's MAVLink system id.
    """

    def __init__(self, system_id: int) -> None:
        self.status = VehicleStatus(system_id=system_id)
        self._low_battery_told = False
        self._expected_mode: str | None = None
        self.clock_anchor: tuple[float, datetime] | None = None
        """The vehicle's boot time (s) when first heard, and the wall time then: the
        vehicle's clock read as dates (a simulator's runs at its speed-up, and its
        flights are dated on it, one after another)."""
        self.mission_count: int | None = None
        """Items in the mission on the vehicle, home (item 0) included, once known."""

    def expect_mode(self, mode: str | None) -> None:
        """A ground-station command is about to switch to ``mode``: not a failsafe."""
        self._expected_mode = mode

    def _event(
        self, kind: EventKind, now_s: float, detail: str = "", value: float | None = None
    ) -> VehicleEvent:
        return VehicleEvent(
            kind=kind, system_id=self.status.system_id, time_s=now_s, detail=detail, value=value
        )

    def check_link(self, now_s: float) -> list[VehicleEvent]:
        """A LINK_LOST event if nothing was heard for :data:`LINK_TIMEOUT_S`."""
        s = self.status
        if s.connected and s.last_heard_s is not None and now_s - s.last_heard_s > LINK_TIMEOUT_S:
            s.connected = False
            silent = now_s - s.last_heard_s
            return [self._event(EventKind.LINK_LOST, now_s, f"nothing heard for {silent:.1f} s")]
        return []

    def update(self, msg: Message, now_s: float) -> list[VehicleEvent]:
        """Fold one message from the vehicle in; the events it caused."""
        s = self.status
        events: list[VehicleEvent] = []
        if not s.connected:
            kind = EventKind.CONNECTED if s.last_heard_s is None else EventKind.LINK_RESTORED
            events.append(self._event(kind, now_s))
            s.connected = True
        s.last_heard_s = now_s
        handler = getattr(self, "_on_" + msg.get_type().lower(), None)
        if handler is not None:
            events.extend(handler(msg, now_s))
        return events

    # -- one method per message --------------------------------------------------------

    def _on_heartbeat(self, msg: Message, now_s: float) -> list[VehicleEvent]:
        s = self.status
        events: list[VehicleEvent] = []
        s.autopilot = "px4" if msg.autopilot == mavlink.MAV_AUTOPILOT_PX4 else "ardupilot"
        s.vehicle_type = int(msg.type)
        s.system_state = int(msg.system_status)
        armed = bool(msg.base_mode & mavlink.MAV_MODE_FLAG_SAFETY_ARMED)
        if armed != s.armed:
            s.armed = armed
            events.append(self._event(EventKind.ARMED if armed else EventKind.DISARMED, now_s))
        mode = str(mavutil.mode_string_v10(msg))
        if mode != s.mode:
            previous, s.mode = s.mode, mode
            events.append(self._event(EventKind.MODE_CHANGED, now_s, mode))
            expected, self._expected_mode = self._expected_mode, None
            if previous is not None and s.armed and mode in FAILSAFE_MODES and mode != expected:
                why = f"switched to {mode} by the autopilot"
                if s.last_text:
                    why += f" ({s.last_text})"
                events.append(self._event(EventKind.FAILSAFE, now_s, why))
        return events

    def _on_sys_status(self, msg: Message, now_s: float) -> list[VehicleEvent]:
        s = self.status
        prearm = mavlink.MAV_SYS_STATUS_PREARM_CHECK
        if msg.onboard_control_sensors_present & prearm:
            s.prearm_ok = bool(msg.onboard_control_sensors_health & prearm)
        if msg.voltage_battery != 65535:
            s.battery_v = msg.voltage_battery / 1000.0
        if msg.current_battery >= 0:
            s.battery_a = msg.current_battery / 100.0
        if msg.battery_remaining >= 0:
            return self._battery(float(msg.battery_remaining), now_s)
        return []

    def _on_battery_status(self, msg: Message, now_s: float) -> list[VehicleEvent]:
        if msg.current_consumed >= 0:
            self.status.battery_used_mah = float(msg.current_consumed)
        if msg.battery_remaining >= 0:
            return self._battery(float(msg.battery_remaining), now_s)
        return []

    def _battery(self, pct: float, now_s: float) -> list[VehicleEvent]:
        s = self.status
        s.battery_pct = pct
        if pct < LOW_BATTERY_PCT and not self._low_battery_told:
            self._low_battery_told = True
            return [self._event(EventKind.LOW_BATTERY, now_s, f"battery {pct:.0f} %", pct)]
        if pct >= LOW_BATTERY_PCT + 5.0:
            self._low_battery_told = False  # a fresh battery: warn again next time
        return []

    def _on_gps_raw_int(self, msg: Message, now_s: float) -> list[VehicleEvent]:
        s = self.status
        s.gps_fix = int(msg.fix_type)
        s.satellites = None if msg.satellites_visible == 255 else int(msg.satellites_visible)
        s.gps_eph_m = None if msg.eph == 65535 else msg.eph / 100.0
        return []

    def _on_global_position_int(self, msg: Message, now_s: float) -> list[VehicleEvent]:
        s = self.status
        if msg.lat == 0 and msg.lon == 0:
            return []  # no position yet
        s.boot_s = msg.time_boot_ms / 1000.0
        if self.clock_anchor is None:
            self.clock_anchor = (s.boot_s, datetime.now(UTC))
        s.lat_deg = msg.lat / 1e7
        s.lon_deg = msg.lon / 1e7
        s.alt_amsl_m = msg.alt / 1000.0
        s.alt_rel_m = msg.relative_alt / 1000.0
        if msg.hdg != 65535:
            s.heading_deg = msg.hdg / 100.0
        s.groundspeed_m_s = math.hypot(msg.vx, msg.vy) / 100.0
        s.climb_m_s = -msg.vz / 100.0
        return []

    def _on_vfr_hud(self, msg: Message, now_s: float) -> list[VehicleEvent]:
        self.status.groundspeed_m_s = float(msg.groundspeed)
        self.status.climb_m_s = float(msg.climb)
        return []

    def _on_home_position(self, msg: Message, now_s: float) -> list[VehicleEvent]:
        s = self.status
        s.home_lat_deg = msg.latitude / 1e7
        s.home_lon_deg = msg.longitude / 1e7
        s.home_alt_amsl_m = msg.altitude / 1000.0
        return []

    def _on_extended_sys_state(self, msg: Message, now_s: float) -> list[VehicleEvent]:
        state = int(msg.landed_state)
        if state != mavlink.MAV_LANDED_STATE_UNDEFINED:
            self.status.landed = state == mavlink.MAV_LANDED_STATE_ON_GROUND
        return []

    def _on_mission_current(self, msg: Message, now_s: float) -> list[VehicleEvent]:
        s = self.status
        s.mission_seq = int(msg.seq)
        total = getattr(msg, "total", 0)
        if total and total != 65535:
            s.mission_total = int(total)
        return []

    def _on_mission_item_reached(self, msg: Message, now_s: float) -> list[VehicleEvent]:
        s = self.status
        s.last_reached = int(msg.seq)
        events = [self._event(EventKind.ITEM_REACHED, now_s, f"item {msg.seq}", float(msg.seq))]
        # ArduPilot reports an item reached when its command completes; for a final RTL
        # or LAND that is on the ground, so the last item reached is the mission done.
        if self.mission_count is not None and msg.seq >= self.mission_count - 1:
            events.append(self._event(EventKind.MISSION_COMPLETE, now_s, f"item {msg.seq}"))
        return events

    def _on_servo_output_raw(self, msg: Message, now_s: float) -> list[VehicleEvent]:
        for channel in range(1, 17):
            value = getattr(msg, f"servo{channel}_raw", None)
            if value:
                self.status.servo_us[channel] = int(value)
        return []

    def _on_statustext(self, msg: Message, now_s: float) -> list[VehicleEvent]:
        s = self.status
        text = str(msg.text).rstrip("\x00").strip()
        if not text:
            return []
        s.last_text = text
        s.texts.append((now_s, int(msg.severity), text))
        del s.texts[:-_MAX_TEXTS]
        events = [self._event(EventKind.STATUS_TEXT, now_s, text, float(msg.severity))]
        lower = text.lower()
        if any(w in lower for w in _FAILSAFE_WORDS) and "cleared" not in lower:
            events.append(self._event(EventKind.FAILSAFE, now_s, text))
        return events
