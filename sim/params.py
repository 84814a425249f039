"""ArduPilot Copter's parameters and the MAVLink parameter protocol that reads and sets them.

Values travel as floats whatever the type (ArduPilot does not encode bytewise);
integer parameters are rounded and clamped to their type when set. Units are
ArduPilot's own, named in each parameter's description (cm/s, cm, mAh, V).

>>> table = ParamTable.copter(system_id=3)
>>> table.get("SYSID_THISMAV"), table.set("WPNAV_SPEED", 650.4), table.get("WPNAV_SPEED")
(3.0, 650.4000244140625, 650.4000244140625)
>>> table.set("RTL_ALT", 2000.6), table.set("NO_SUCH_PARAM", 1.0)
(2001.0, None)
"""

import math
import struct
from dataclasses import dataclass

from sim.wire import Message, Send, mavlink

__all__ = ["COPTER_PARAMS", "ParamService", "ParamSpec", "ParamTable"]

_INT_RANGES = {
    mavlink.MAV_PARAM_TYPE_INT8: (-(2**7), 2**7 - 1),
    mavlink.MAV_PARAM_TYPE_INT16: (-(2**15), 2**15 - 1),
    mavlink.MAV_PARAM_TYPE_INT32: (-(2**31), 2**31 - 1),
}
_I8 = mavlink.MAV_PARAM_TYPE_INT8
_I16 = mavlink.MAV_PARAM_TYPE_INT16
_I32 = mavlink.MAV_PARAM_TYPE_INT32
_F = mavlink.MAV_PARAM_TYPE_REAL32


@dataclass(frozen=True, kw_only=True, slots=True)
class ParamSpec:
    """One parameter: its MAVLink name (at most 16 characters), default, type and meaning."""

    name: str
    default: float
    type: int
    description: str

    def __post_init__(self) -> None:
        if not 0 < len(self.name) <= 16:
            raise ValueError(f"parameter name {self.name!r} is not 1..16 characters")


def _p(name: str, default: float, type_: int, description: str) -> ParamSpec:
    return ParamSpec(name=name, default=default, type=type_, description=description)


COPTER_PARAMS: tuple[ParamSpec, ...] = (
    _p("ANGLE_MAX", 3000, _I16, "maximum lean angle, centidegrees"),
    _p("ARMING_CHECK", 1, _I32, "pre-arm checks, bitmask (1: all)"),
    _p("AUTO_OPTIONS", 0, _I32, "bit 0: arming in AUTO, bit 1: take-off without throttle"),
    _p("BATT_ARM_VOLT", 0.0, _F, "minimum voltage to arm, V (0: no check)"),
    _p("BATT_CAPACITY", 22000, _I32, "battery capacity, mAh"),
    _p("BATT_CRT_MAH", 0, _I32, "critical remaining capacity, mAh (0: not used)"),
    _p("BATT_CRT_VOLT", 42.0, _F, "critical voltage (12S), V"),
    _p("BATT_FS_CRT_ACT", 1, _I8, "critical battery action (as BATT_FS_LOW_ACT; 1: LAND)"),
    _p(
        "BATT_FS_LOW_ACT",
        2,
        _I8,
        "low battery action (0: none, 1: LAND, 2: RTL, 3: SmartRTL or RTL, "
        "4: SmartRTL or LAND, 5: terminate, 6: DO_LAND_START or RTL, 7: BRAKE or LAND)",
    ),
    _p("BATT_FS_VOLTSRC", 0, _I8, "failsafe voltage (0: measured, 1: sag compensated)"),
    _p("BATT_LOW_MAH", 0, _I32, "low remaining capacity, mAh (0: not used)"),
    _p("BATT_LOW_TIMER", 10, _I32, "seconds below a voltage before its failsafe (0: never)"),
    _p("BATT_LOW_VOLT", 44.4, _F, "low voltage (12S), V"),
    _p("BATT_MONITOR", 4, _I8, "battery monitor type (4: analog voltage and current)"),
    _p(
        "FENCE_ACTION",
        1,
        _I8,
        "fence breach action (0: report, 1: RTL or LAND, 2: LAND, 3: SmartRTL or RTL "
        "or LAND, 4: BRAKE or LAND, 5: SmartRTL or LAND)",
    ),
    _p("FENCE_ALT_MAX", 100.0, _F, "fence ceiling above home, m"),
    _p("FENCE_ENABLE", 0, _I8, "fence enabled (0/1)"),
    _p("FENCE_MARGIN", 2.0, _F, "distance kept from the fence, m"),
    _p("FENCE_RADIUS", 300.0, _F, "circular fence radius around home, m"),
    _p("FENCE_TYPE", 7, _I8, "fence kinds, bitmask (1: ceiling, 2: circle, 4: polygons)"),
    _p("FRAME_CLASS", 1, _I8, "frame class (1: quad)"),
    _p("FRAME_TYPE", 1, _I8, "frame type (1: X)"),
    _p("FS_CRASH_CHECK", 1, _I8, "crash check disarms (0: off, 1: on)"),
    _p("FS_EKF_ACTION", 1, _I8, "EKF failsafe action (1: LAND, 2: AltHold, 3: LAND in any mode)"),
    _p("FS_EKF_THRESH", 0.8, _F, "EKF failsafe variance threshold (0: failsafe off)"),
    _p(
        "FS_GCS_ENABLE",
        0,
        _I8,
        "ground-station failsafe (0: off, 1: RTL, 2: RTL (deprecated), 3: SmartRTL or RTL, "
        "4: SmartRTL or LAND, 5: LAND, 6: DO_LAND_START or RTL, 7: BRAKE or LAND)",
    ),
    _p("FS_GCS_TIMEOUT", 5.0, _F, "ground-station heartbeat timeout, s"),
    _p(
        "FS_OPTIONS",
        0,
        _I32,
        "failsafe options, bitmask (2: continue AUTO on GCS loss, 8: continue landing)",
    ),
    _p("FS_THR_ENABLE", 1, _I8, "radio failsafe (1: RTL)"),
    _p("GPS_TYPE", 1, _I8, "GPS type (1: auto)"),
    _p("LAND_SPEED", 50, _I16, "final descent speed, cm/s"),
    _p("LAND_SPEED_HIGH", 0, _I16, "descent speed above LAND_ALT_LOW, cm/s (0: WPNAV_SPEED_DN)"),
    _p("LOIT_SPEED", 1250.0, _F, "maximum LOITER speed, cm/s"),
    _p("MIS_OPTIONS", 0, _I16, "mission options, bitmask"),
    _p("MIS_RESTART", 0, _I8, "AUTO restarts the mission from the start (1) or resumes (0)"),
    _p("PILOT_SPEED_UP", 250, _I16, "maximum pilot climb rate, cm/s"),
    _p("RALLY_INCL_HOME", 1, _I8, "home counts as a rally point (0/1)"),
    _p("RALLY_LIMIT_KM", 0.3, _F, "rally points farther than this are ignored, km"),
    _p("RTL_ALT", 1500, _I16, "return altitude above home, cm"),
    _p("RTL_ALT_FINAL", 0, _I16, "altitude to descend to at home, cm (0: land)"),
    _p("RTL_LOIT_TIME", 5000, _I32, "hover above home before descending, ms"),
    _p("RTL_SPEED", 0, _I16, "return speed, cm/s (0: WPNAV_SPEED)"),
    _p("SERVO9_FUNCTION", 0, _I16, "output 9 function (0: disabled, e.g. a pump on DO_SET_SERVO)"),
    _p("SERVO9_MAX", 1900, _I16, "output 9 maximum pulse, us"),
    _p("SERVO9_MIN", 1100, _I16, "output 9 minimum pulse, us"),
    _p("SPRAY_ENABLE", 0, _I8, "sprayer enabled (0/1)"),
    _p("SPRAY_PUMP_MIN", 0, _I8, "pump minimum output, %"),
    _p("SPRAY_PUMP_RATE", 10.0, _F, "pump output per ground speed, % per m/s"),
    _p("SPRAY_SPEED_MIN", 100, _I32, "speed below which the pump stops, cm/s"),
    _p("SPRAY_SPINNER", 1300, _I16, "spinner pulse while spraying, us"),
    _p("SYSID_MYGCS", 255, _I16, "the ground station's system id"),
    _p("SYSID_THISMAV", 1, _I16, "this vehicle's system id (takes effect after a reboot)"),
    _p("WPNAV_ACCEL", 250.0, _F, "horizontal acceleration in AUTO, cm/s/s"),
    _p("WPNAV_RADIUS", 200.0, _F, "waypoint acceptance radius, cm"),
    _p("WPNAV_SPEED", 500.0, _F, "horizontal speed in AUTO, cm/s"),
    _p("WPNAV_SPEED_DN", 150.0, _F, "descent speed in AUTO, cm/s"),
    _p("WPNAV_SPEED_UP", 250.0, _F, "climb speed in AUTO, cm/s"),
)
"""The parameters the simulated Copter has, sorted by name, with ArduPilot's units."""


def _as_stored(value: float, type_: int) -> float:
    """``value`` as the vehicle stores it: float32, or a rounded and clamped integer."""
    if type_ in _INT_RANGES:
        low, high = _INT_RANGES[type_]
        return float(min(max(round(value), low), high))
    return float(struct.unpack("<f", struct.pack("<f", value))[0])


class ParamTable:
    """The vehicle's parameter values, in a fixed order (the index MAVLink numbers them by)."""

    def __init__(self, specs: tuple[ParamSpec, ...]) -> None:
        self.specs = specs
        self._index = {spec.name: k for k, spec in enumerate(specs)}
        if len(self._index) != len(specs):
            raise ValueError("parameter names repeat")
        self._values = [_as_stored(spec.default, spec.type) for spec in specs]

    @classmethod
    def copter(cls, *, system_id: int = 1) -> "ParamTable":
        """ArduPilot Copter's defaults (:data:`COPTER_PARAMS`) with SYSID_THISMAV set."""
        table = cls(COPTER_PARAMS)
        table.set("SYSID_THISMAV", float(system_id))
        return table

    def __len__(self) -> int:
        return len(self.specs)

    def index_of(self, name: str) -> int | None:
        """The index of ``name``, or None if there is no such parameter."""
        return self._index.get(name)

    def get(self, name: str) -> float:
        """The value of ``name``; raises KeyError for an unknown name."""
        return self._values[self._index[name]]

    def at(self, index: int) -> tuple[ParamSpec, float]:
        """The spec and value at ``index``; raises IndexError out of range."""
        if not 0 <= index < len(self.specs):
            raise IndexError(index)
        return self.specs[index], self._values[index]

    def set(self, name: str, value: float) -> float | None:
        """Store ``value`` as the type allows and return it; None (no change) if unknown
        or not finite."""
        index = self._index.get(name)
        if index is None or not math.isfinite(value):
            return None
        stored = _as_stored(value, self.specs[index].type)
        self._values[index] = stored
        return stored


class ParamService:
    """PARAM_REQUEST_LIST, PARAM_REQUEST_READ and PARAM_SET, answered as ArduPilot does."""

    def __init__(self, table: ParamTable, send: Send) -> None:
        self.table = table
        self._send = send
        self.handlers = {
            "PARAM_REQUEST_LIST": self.request_list,
            "PARAM_REQUEST_READ": self.request_read,
            "PARAM_SET": self.param_set,
        }

    def _value(self, index: int) -> Message:
        spec, value = self.table.at(index)
        return mavlink.MAVLink_param_value_message(
            spec.name.encode(), value, spec.type, len(self.table), index
        )

    def _warn(self, text: str) -> None:
        self._send(mavlink.MAVLink_statustext_message(mavlink.MAV_SEVERITY_WARNING, text.encode()))

    def request_list(self, msg: Message) -> None:
        """Every parameter, in index order, each carrying its index and the count."""
        for index in range(len(self.table)):
            self._send(self._value(index))

    def request_read(self, msg: Message) -> None:
        """One parameter, by index when ``param_index`` is not -1, else by name."""
        if msg.param_index >= 0:
            if msg.param_index >= len(self.table):
                self._warn(f"Unknown parameter index {msg.param_index}")
                return
            self._send(self._value(msg.param_index))
            return
        index = self.table.index_of(msg.param_id)
        if index is None:
            self._warn(f"Unknown parameter {msg.param_id}")
            return
        self._send(self._value(index))

    def param_set(self, msg: Message) -> None:
        """Set and answer with the stored value; an unknown name or a NaN changes nothing."""
        name = msg.param_id
        if self.table.index_of(name) is None:
            self._warn(f"Unknown parameter {name}")
            return
        if self.table.set(name, msg.param_value) is None:
            self._warn(f"Param write denied ({name})")
            return
        index = self.table.index_of(name)
        assert index is not None
        self._send(self._value(index))
