"""What an autopilot takes in each of its three lists, checked before anything is sent.

The opaque upload failure — a MISSION_ACK saying INVALID or UNSUPPORTED, with no hint
of which item — is the most common complaint in QGroundControl's and MAVSDK's trackers.
:func:`validate_upload` refuses such an upload before its MISSION_COUNT goes out, and
names the item and the field::

    item 7 (NAV_WAYPOINT): param1 (hold time s) is NaN

The tables are per autopilot and per list (mission, fence, rally). ArduPilot Copter's
follows ``AP_Mission::mavlink_int_to_mission_cmd`` (the commands it stores), Copter's
``ModeAuto::start_command`` and ``AP_Mission::start_command`` (the ones it runs), and
``AP_Mission::sanity_check_params``, which allows NaN only in param4 (yaw) of
NAV_WAYPOINT, NAV_LAND and NAV_TAKEOFF and never infinity. PX4's follows
``MavlinkMissionManager::parse_mavlink_mission_item``: commands with a position in a
GLOBAL frame, the others in MAV_FRAME_MISSION; NaN where MAVLink defines it as "keep the
current value" (the yaw of NAV_* items). DO_SPRAYER (216), for one, is ArduPilot-only.

Each table also says what the autopilot keeps of each parameter, for :func:`check_readback`:
ArduPilot stores an item in 15 bytes, so a waypoint's hold time comes back as whole
seconds, its acceptance radius and yaw not at all, altitudes to the centimetre, and item
0 of the mission is always its own home. Capacity is the vehicle's business (it answers
NO_SPACE); only a count MISSION_COUNT cannot carry is refused here.

>>> command_name(16)
'NAV_WAYPOINT'
>>> validate_upload([], MissionType.FENCE)
"""

import math
import numbers
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Literal

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from fleet.errors import InvalidUpload, TransferFailed
from mission_planner import MissionType

__all__ = [
    "FIELDS",
    "MAX_COUNT",
    "Autopilot",
    "CommandRule",
    "Keep",
    "check_readback",
    "command_name",
    "rule_for",
    "validate_upload",
]

Autopilot = Literal["ardupilot", "px4"]
"""Whose tables apply: ArduPilot Copter's or PX4's."""

FIELDS = (
    "seq", "frame", "command", "current", "autocontinue",
    "param1", "param2", "param3", "param4", "x", "y", "z", "mission_type",
)  # fmt: skip
"""The fields of a row, as MISSION_ITEM_INT names them (targets are the sender's to add)."""

MAX_COUNT = 65535
"""The most items MISSION_COUNT (a uint16) can announce."""

_INT_FIELDS = ("seq", "frame", "command", "current", "autocontinue", "x", "y", "mission_type")
_INT32 = (-(2**31), 2**31 - 1)
_LAT_E7 = 900_000_000
_LON_E7 = 1_800_000_000
_ALT_MAX_M = 83_000.0  # ArduPilot's LOCATION_ALT_MAX_M: a 24-bit altitude in centimetres
_GLOBAL = frozenset({0, 3, 5, 6, 10, 11})  # MAV_FRAME_GLOBAL* (x, y are lat, lon)
_MISSION_FRAME = 2
# What a position's altitude is above. ArduPilot reads a position in MAV_FRAME_MISSION as
# above sea level (relative_alt = 0) and reports it back as GLOBAL.
_ALT_REFERENCE = {
    0: "sea level", 2: "sea level", 5: "sea level", 3: "home", 6: "home", 10: "terrain",
    11: "terrain",
}  # fmt: skip
_HOME_PLACEHOLDER = 16  # NAV_WAYPOINT


class Keep(Enum):
    """What an autopilot gives back of a value it was sent."""

    EXACT = "exact"
    """The float32 that was sent (NaN as NaN)."""
    WHOLE = "whole"
    """Stored as an integer: the value truncated toward zero, or exactly what was sent."""
    CENTI = "centi"
    """Stored in hundredths (ArduPilot's altitudes in centimetres)."""
    ANGLE = "angle"
    """Degrees, possibly wrapped into 0..360 (PX4's yaw)."""
    DROPPED = "dropped"
    """Not stored: whatever comes back is not compared."""


@dataclass(frozen=True, slots=True)
class CommandRule:
    """How one autopilot takes one command in one list.

    Attributes
    ----------
    params
        What param1..param4 mean, with units; ``""`` for an unused one.
    position
        x, y are a latitude and longitude (int degrees * 1e7) and z an altitude, so the
        frame must be a GLOBAL one.
    nan
        The params (1..4) that may be NaN ("keep the current value").
    kept
        What comes back of param1..param4 on download.
    z
        What comes back of z.
    xy_kept
        For a command without a position: whether x and y come back (PX4: yes).
    ranges
        ``(param, low, high)``: values the autopilot would wrap or misread outside this.
    optional_position
        The position is optional (DO_LAND_START, DO_SET_HOME…): MAV_FRAME_MISSION is
        taken too, and ArduPilot reads it as GLOBAL.
    """

    params: tuple[str, str, str, str]
    position: bool
    nan: frozenset[int]
    kept: tuple[Keep, Keep, Keep, Keep]
    z: Keep
    xy_kept: bool
    ranges: tuple[tuple[int, float, float], ...] = ()
    optional_position: bool = False


_CODES = {"E": Keep.EXACT, "W": Keep.WHOLE, "C": Keep.CENTI, "A": Keep.ANGLE, "-": Keep.DROPPED}


def _rule(
    params: str = "|||",
    keep: str = "----",
    *,
    pos: bool = False,
    nan: str = "",
    z: str = "-",
    xy: bool = False,
    ranges: tuple[tuple[int, float, float], ...] = (),
    optional: bool = False,
) -> CommandRule:
    """A rule in shorthand: ``params`` split on ``|``; ``keep`` one letter per param
    (E exact, W whole, C centi, A angle, - dropped); ``nan`` the params that may be NaN."""
    names = params.split("|")
    if len(names) != 4 or len(keep) != 4:
        raise ValueError(f"a rule needs four params and four keep codes: {params!r} {keep!r}")
    return CommandRule(
        params=(names[0], names[1], names[2], names[3]),
        position=pos,
        nan=frozenset(int(k) for k in nan),
        kept=(_CODES[keep[0]], _CODES[keep[1]], _CODES[keep[2]], _CODES[keep[3]]),
        z=_CODES[z],
        xy_kept=xy,
        ranges=ranges,
        optional_position=optional,
    )


_U16 = 65535.0
_WP = "hold time s|acceptance radius m|pass radius m|yaw deg"

# ArduPilot Copter: what AP_Mission stores (keep) and Copter runs. Positions keep their
# altitude in centimetres; other commands come back without x, y, z.
_ARDUPILOT_MISSION: dict[int, CommandRule] = {
    16: _rule(_WP, "W---", pos=True, nan="4", z="C", ranges=((1, 0, _U16),)),  # NAV_WAYPOINT
    17: _rule("||radius m|yaw deg", "--W-", pos=True, z="C"),  # NAV_LOITER_UNLIM
    18: _rule("turns||radius m|exit xtrack", "W-W-", pos=True, z="C",
               ranges=((1, 0, 255), (3, -2550, 2550))),  # NAV_LOITER_TURNS
    19: _rule("time s||direction|exit xtrack", "W---", pos=True, z="C",
               ranges=((1, 0, _U16),)),  # NAV_LOITER_TIME
    20: _rule(),  # NAV_RETURN_TO_LAUNCH
    21: _rule("abort alt m|precision land||yaw deg", "W---", pos=True, nan="4", z="C",
               ranges=((1, 0, _U16),)),  # NAV_LAND
    22: _rule("pitch deg|||yaw deg", "W---", pos=True, nan="4", z="C",
               ranges=((1, 0, _U16),)),  # NAV_TAKEOFF
    31: _rule("|radius m||exit xtrack", "-W--", pos=True, z="C"),  # NAV_LOITER_TO_ALT
    82: _rule("hold time s|||", "W---", pos=True, z="C", ranges=((1, 0, _U16),)),  # SPLINE
    92: _rule("enable|||", "W---", pos=True, z="C", optional=True,
              ranges=((1, 0, 1),)),  # NAV_GUIDED_ENABLE
    93: _rule("delay s|hour UTC|minute UTC|second UTC", "EWWW",
               ranges=((2, -1, 23), (3, -1, 59), (4, -1, 59))),  # NAV_DELAY
    94: _rule("max descent m|||", "C---", pos=True, z="C",
               ranges=((1, 0, 655.35),)),  # NAV_PAYLOAD_PLACE
    112: _rule("delay s|||", "E---"),  # CONDITION_DELAY
    114: _rule("distance m|||", "E---"),  # CONDITION_DISTANCE
    115: _rule("angle deg|rate deg/s|direction|relative", "EEWW",
                ranges=((1, 0, 360), (3, -1, 1), (4, 0, 1))),  # CONDITION_YAW
    177: _rule("target item|repeat count||", "WW--", ranges=((2, -1, 32767),)),  # DO_JUMP
    178: _rule("speed type|speed m/s|throttle %|", "WEW-", ranges=((1, 0, 3),)),  # CHANGE_SPEED
    179: _rule("use current|||", "W---", pos=True, z="C", optional=True,
                ranges=((1, 0, 1),)),  # DO_SET_HOME
    181: _rule("relay|state||", "WW--", ranges=((1, 0, 255), (2, 0, 2))),  # DO_SET_RELAY
    182: _rule("relay|count|period s|", "WWE-", ranges=((1, 0, 255),)),  # DO_REPEAT_RELAY
    183: _rule("servo channel|PWM us||", "WW--",
                ranges=((1, 1, 32), (2, 0, _U16))),  # DO_SET_SERVO
    184: _rule("servo channel|PWM us|count|period s", "WWWE",
                ranges=((1, 1, 32), (2, 0, _U16))),  # DO_REPEAT_SERVO
    189: _rule(pos=True, z="C", optional=True),  # DO_LAND_START
    195: _rule(pos=True, z="C"),  # DO_SET_ROI_LOCATION
    197: _rule(),  # DO_SET_ROI_NONE
    201: _rule("ROI mode|||", "W---", pos=True, z="C", optional=True),  # DO_SET_ROI
    202: _rule("mode|shutter speed|aperture|ISO", "WWWW"),  # DO_DIGICAM_CONFIGURE
    203: _rule("session|zoom position|zoom step|focus lock", "WWWW"),  # DO_DIGICAM_CONTROL
    205: _rule("pitch deg|roll deg|yaw deg|", "EEE-"),  # DO_MOUNT_CONTROL
    206: _rule("distance m||trigger once|", "E-W-"),  # DO_SET_CAM_TRIGG_DIST
    207: _rule("enable|||", "W---", ranges=((1, 0, 2),)),  # DO_FENCE_ENABLE
    208: _rule("action|||", "W---", ranges=((1, 0, 2),)),  # DO_PARACHUTE
    211: _rule("gripper|action||", "WW--", ranges=((2, 0, 1),)),  # DO_GRIPPER
    215: _rule("distance m|||", "W---", ranges=((1, 0, _U16),)),  # DO_SET_RESUME_REPEAT_DIST
    216: _rule("enable|||", "W---", ranges=((1, 0, 1),)),  # DO_SPRAYER (ArduPilot-only)
    218: _rule("function|switch position||", "WW--", ranges=((2, 0, 2),)),  # DO_AUX_FUNCTION
    222: _rule("timeout s|min alt m|max alt m|max distance m", "WEEE"),  # DO_GUIDED_LIMITS
    2000: _rule("camera|interval s|images|sequence", "WEWW"),  # IMAGE_START_CAPTURE
    2001: _rule("camera|||", "W---"),  # IMAGE_STOP_CAPTURE
    2500: _rule("stream|status frequency Hz||", "WE--"),  # VIDEO_START_CAPTURE
    2501: _rule("stream|||", "W---"),  # VIDEO_STOP_CAPTURE
    42600: _rule("winch|action|length m|rate m/s", "WWEE"),  # DO_WINCH
}  # fmt: skip

_ARDUPILOT_FENCE: dict[int, CommandRule] = {
    5000: _rule(pos=True),  # NAV_FENCE_RETURN_POINT
    5001: _rule("vertex count|inclusion group||", "W---", pos=True),
    5002: _rule("vertex count|||", "W---", pos=True),
    5003: _rule("radius m|inclusion group||", "W---", pos=True),
    5004: _rule("radius m|||", "W---", pos=True),
}
_ARDUPILOT_RALLY = {5100: _rule(pos=True, z="W")}  # RallyLocation keeps whole metres

_PX4_MISSION: dict[int, CommandRule] = {
    16: _rule(_WP, "EE-A", pos=True, nan="4", z="E"),  # NAV_WAYPOINT
    17: _rule("||radius m|yaw deg", "--EA", pos=True, nan="4", z="E"),  # NAV_LOITER_UNLIM
    19: _rule("time s|heading required|radius m|exit xtrack", "E-E-", pos=True, z="E"),
    20: _rule(z="E", xy=True),  # NAV_RETURN_TO_LAUNCH
    21: _rule("abort alt m|precision land||yaw deg", "-E-A", pos=True, nan="4", z="E"),
    22: _rule("pitch deg|||yaw deg", "---A", pos=True, nan="4", z="E"),  # NAV_TAKEOFF
    31: _rule("heading required|radius m||exit xtrack", "-E--", pos=True, z="E"),
    84: _rule("|transition heading||yaw deg", "---A", pos=True, nan="4", z="E"),
    85: _rule("land options||approach alt m|yaw deg", "---A", pos=True, nan="34", z="E"),
    195: _rule(pos=True, z="E"),  # DO_SET_ROI_LOCATION
    # MAV_FRAME_MISSION items: PX4 keeps param1..4 and x, y, z as they came.
    **{
        command: _rule(keep="EEEE", z="E", xy=True)
        for command in (
            93, 112, 114, 177, 178, 179, 183, 189, 196, 197, 200, 201, 203, 204, 205, 206,
            214, 260, 530, 531, 532, 1001, 2000, 2001, 2003, 2500, 2501, 3000,
        )
    },
    1000: _rule(keep="EEEE", nan="1234", z="E", xy=True),  # DO_GIMBAL_MANAGER_PITCHYAW
}  # fmt: skip

_PX4_FENCE: dict[int, CommandRule] = {
    5000: _rule(pos=True, z="E"),
    5001: _rule("vertex count|||", "W---", pos=True, z="E"),
    5002: _rule("vertex count|||", "W---", pos=True, z="E"),
    5003: _rule("radius m|||", "E---", pos=True, z="E"),
    5004: _rule("radius m|||", "E---", pos=True, z="E"),
}
_PX4_RALLY = {5100: _rule(pos=True, z="E")}

_TABLES: dict[str, dict[MissionType, dict[int, CommandRule]]] = {
    "ardupilot": {
        MissionType.MISSION: _ARDUPILOT_MISSION,
        MissionType.FENCE: _ARDUPILOT_FENCE,
        MissionType.RALLY: _ARDUPILOT_RALLY,
    },
    "px4": {
        MissionType.MISSION: _PX4_MISSION,
        MissionType.FENCE: _PX4_FENCE,
        MissionType.RALLY: _PX4_RALLY,
    },
}
_AUTOPILOT_NAMES = {"ardupilot": "ArduPilot Copter", "px4": "PX4"}
_LIST_NAMES = {
    MissionType.MISSION: "mission",
    MissionType.FENCE: "fence",
    MissionType.RALLY: "rally",
}
_POLYGON_VERTICES = frozenset({5001, 5002})
_NOT_MISSION = (MissionType.FENCE, MissionType.RALLY)


def command_name(command: int) -> str:
    """The MAV_CMD name without its prefix, or ``"command N"`` for an unknown number."""
    entry = mavlink.enums["MAV_CMD"].get(command)
    if entry is None or entry.name.endswith("ENUM_END"):
        return f"command {command}"
    return str(entry.name).removeprefix("MAV_CMD_")


def rule_for(command: int, mission_type: MissionType, autopilot: Autopilot) -> CommandRule | None:
    """How ``autopilot`` takes ``command`` in list ``mission_type``; None if it does not."""
    return _TABLES[autopilot][MissionType(mission_type)].get(command)


def _num(row: Mapping[str, object], name: str) -> float:
    value = row[name]
    if not isinstance(value, numbers.Real):
        raise TypeError(f"{name} = {value!r} is not a number")
    return float(value)


def _int(row: Mapping[str, object], name: str) -> int:
    return int(_num(row, name))


def _where(index: int, row: Mapping[str, object]) -> str:
    command = row.get("command")
    if isinstance(command, numbers.Integral) and not isinstance(command, bool):
        return f"item {index} ({command_name(int(command))})"
    return f"item {index}"


def _param_label(rule: CommandRule | None, number: int) -> str:
    meaning = rule.params[number - 1] if rule is not None else ""
    return f"param{number} ({meaning})" if meaning else f"param{number}"


def _fail(
    index: int, row: Mapping[str, object], field: str, problem: str, label: str = ""
) -> InvalidUpload:
    return InvalidUpload(
        f"{_where(index, row)}: {label or field} {problem}", index=index, field=field
    )


def validate_upload(
    rows: Sequence[Mapping[str, object]],
    mission_type: MissionType | int,
    *,
    autopilot: Autopilot = "ardupilot",
) -> None:
    """Check every row of an upload before anything is sent.

    Parameters
    ----------
    rows
        MISSION_ITEM_INT fields per item (:data:`FIELDS`), as
        :func:`mission_planner.mission_items_int` writes them: x and y int degrees * 1e7.
    mission_type
        The list they are for: MISSION, FENCE or RALLY.
    autopilot
        Whose tables apply.

    Raises
    ------
    InvalidUpload
        The first row that would be refused or misread, with its index and field: a
        missing or mistyped field, a NaN or infinite or out-of-range value, a latitude or
        longitude out of range, a frame the command cannot have, a command the autopilot
        does not take in this list, sequence numbers not 0, 1, 2, …, a fence polygon whose
        vertex count is wrong, or more items than MISSION_COUNT can announce.

    Examples
    --------
    >>> row = {"seq": 0, "frame": 2, "command": 20, "current": 0, "autocontinue": 1,
    ...        "param1": 0.0, "param2": 0.0, "param3": 0.0, "param4": 0.0,
    ...        "x": 0, "y": 0, "z": 0.0, "mission_type": 2}
    >>> validate_upload([row], MissionType.RALLY)
    Traceback (most recent call last):
    ...
    fleet.errors.InvalidUpload: item 0 (NAV_RETURN_TO_LAUNCH): command is not a rally item: \
the rally list takes only NAV_RALLY_POINT
    """
    kind = MissionType(mission_type)
    if len(rows) > MAX_COUNT:
        raise InvalidUpload(
            f"{len(rows)} items: MISSION_COUNT carries at most {MAX_COUNT}",
            index=MAX_COUNT,
            field="seq",
        )
    for index, row in enumerate(rows):
        _check_fields(index, row)
        _check_row(index, row, kind, autopilot, len(rows))
    if kind == MissionType.FENCE:
        _check_polygons(rows)


def _check_fields(index: int, row: Mapping[str, object]) -> None:
    for name in FIELDS:
        if name not in row:
            raise _fail(index, row, name, "is missing")
        value = row[name]
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise _fail(index, row, name, f"is {value!r}, not a number")
        if name in _INT_FIELDS and not isinstance(value, numbers.Integral):
            raise _fail(index, row, name, f"is {value!r}, not an integer")


def _check_row(
    index: int, row: Mapping[str, object], kind: MissionType, autopilot: Autopilot, count: int
) -> None:
    ints = {name: _int(row, name) for name in _INT_FIELDS}
    if ints["seq"] != index:
        raise _fail(index, row, "seq", f"is {ints['seq']}: items go 0, 1, 2, … in order")
    if ints["mission_type"] != int(kind):
        problem = f"is {ints['mission_type']}, the {_LIST_NAMES[kind]} list is {int(kind)}"
        raise _fail(index, row, "mission_type", problem)
    for name, top in (("current", 1), ("autocontinue", 1), ("frame", 255), ("command", 65535)):
        if not 0 <= ints[name] <= top:
            raise _fail(index, row, name, f"is {ints[name]}, outside 0..{top}")
    command, frame = ints["command"], ints["frame"]
    rule = _check_command(index, row, kind, autopilot, command)
    if autopilot == "ardupilot" and ints["autocontinue"] == 0:
        raise _fail(index, row, "autocontinue", "is 0: ArduPilot ignores it and goes on anyway")
    _check_frame(index, row, rule, autopilot, frame)
    _check_params(index, row, rule)
    _check_position(index, row, rule, ints["x"], ints["y"])
    if command == mavlink.MAV_CMD_DO_JUMP:
        first = 1 if autopilot == "ardupilot" and kind == MissionType.MISSION else 0
        target = _num(row, "param1")
        if not first <= target <= count - 1:
            problem = f"{target:g} is not an item of this list ({first}..{count - 1})"
            raise _fail(index, row, "param1", problem, _param_label(rule, 1))


def _check_command(
    index: int,
    row: Mapping[str, object],
    kind: MissionType,
    autopilot: Autopilot,
    command: int,
) -> CommandRule:
    who = _AUTOPILOT_NAMES[autopilot]
    rule = rule_for(command, kind, autopilot)
    if rule is not None:
        home_slot = autopilot == "ardupilot" and kind == MissionType.MISSION and index == 0
        if home_slot and command != _HOME_PLACEHOLDER:
            problem = (
                "cannot be item 0: ArduPilot overwrites item 0 with its home; "
                "put a NAV_WAYPOINT home placeholder first"
            )
            raise _fail(index, row, "command", problem)
        return rule
    if command_name(command).startswith("command "):
        problem = "is not a MAVLink command"
    elif kind == MissionType.FENCE:
        problem = "is not a fence item: the fence list takes only NAV_FENCE_* items"
    elif kind == MissionType.RALLY:
        problem = "is not a rally item: the rally list takes only NAV_RALLY_POINT"
    elif any(command in table[kind] for table in _TABLES.values()):
        problem = f"is not supported by {who} in a mission"
    elif any(command in _TABLES[autopilot][other] for other in _NOT_MISSION):
        problem = "belongs in the fence or rally list, not the mission"
    else:
        problem = f"is not one {who} runs in a mission"
    raise _fail(index, row, "command", problem)


def _check_frame(
    index: int, row: Mapping[str, object], rule: CommandRule, autopilot: Autopilot, frame: int
) -> None:
    if rule.position:
        if frame not in _GLOBAL and not (rule.optional_position and frame == _MISSION_FRAME):
            problem = (
                f"{frame} has no latitude and longitude: "
                "use GLOBAL_RELATIVE_ALT (3) or another GLOBAL frame"
            )
            raise _fail(index, row, "frame", problem)
        return
    allowed = {_MISSION_FRAME} if autopilot == "px4" else {_MISSION_FRAME, *_GLOBAL}
    if frame not in allowed:
        who = _AUTOPILOT_NAMES[autopilot]
        problem = f"{frame} is not taken by {who} for a command without a position: use MISSION (2)"
        raise _fail(index, row, "frame", problem)


def _check_params(index: int, row: Mapping[str, object], rule: CommandRule) -> None:
    for number in (1, 2, 3, 4):
        field = f"param{number}"
        value = _num(row, field)
        label = _param_label(rule, number)
        if math.isnan(value):
            if number not in rule.nan:
                raise _fail(index, row, field, "is NaN", label)
            continue
        if math.isinf(value):
            raise _fail(index, row, field, f"is {value}", label)
        for which, low, high in rule.ranges:
            if which == number and not low <= value <= high:
                problem = f"{value:g} is outside {low:g}..{high:g}"
                raise _fail(index, row, field, problem, label)
    z = _num(row, "z")
    if not math.isfinite(z):
        raise _fail(index, row, "z", f"is {z}")
    if rule.position and abs(z) >= _ALT_MAX_M:
        raise _fail(index, row, "z", f"{z:g} m is beyond ±{_ALT_MAX_M:g} m")
    if rule.z == Keep.WHOLE and not -32768 <= z <= 32767:
        raise _fail(index, row, "z", f"{z:g} m is outside -32768..32767 m")


def _check_position(
    index: int, row: Mapping[str, object], rule: CommandRule, x: int, y: int
) -> None:
    for name, value in (("x", x), ("y", y)):
        if not _INT32[0] <= value <= _INT32[1]:
            raise _fail(index, row, name, f"{value} does not fit MISSION_ITEM_INT's int32")
    if not rule.position:
        return
    if not -_LAT_E7 <= x <= _LAT_E7:
        raise _fail(index, row, "x", f"(latitude) {x / 1e7:g}° is outside -90..90")
    if not -_LON_E7 <= y <= _LON_E7:
        raise _fail(index, row, "y", f"(longitude) {y / 1e7:g}° is outside -180..180")


def _check_polygons(rows: Sequence[Mapping[str, object]]) -> None:
    """Each polygon's vertices are consecutive items of one command, as many as their param1."""
    label = "param1 (vertex count)"
    k = 0
    while k < len(rows):
        command = _int(rows[k], "command")
        if command not in _POLYGON_VERTICES:
            k += 1
            continue
        count = _num(rows[k], "param1")
        if count != int(count) or count < 3:
            problem = f"{count:g}: a polygon needs a whole number of at least 3 vertices"
            raise _fail(k, rows[k], "param1", problem, label)
        run = int(count)
        if k + run > len(rows):
            problem = f"{run} but the list ends after {len(rows) - k} vertices"
            raise _fail(k, rows[k], "param1", problem, label)
        for j in range(k + 1, k + run):
            if _int(rows[j], "command") != command or _num(rows[j], "param1") != count:
                problem = f"breaks the polygon of {run} vertices that starts at item {k}"
                raise _fail(j, rows[j], "param1", problem, label)
        k += run


# -- reading back ------------------------------------------------------------------------


def _f32(value: float) -> float:
    return float(struct.unpack("<f", struct.pack("<f", value))[0])


def _same(keep: Keep, sent: float, got: float) -> bool:
    if keep == Keep.DROPPED:
        return True
    if math.isnan(sent) or math.isnan(got):
        return math.isnan(sent) and math.isnan(got)
    if _f32(sent) == _f32(got):
        return True
    if keep == Keep.WHOLE:
        return got == math.trunc(sent)
    if keep == Keep.CENTI:
        return abs(got - sent) < 0.01 + 1e-6 * abs(sent)
    if keep == Keep.ANGLE:
        turn = (got - sent) % 360.0
        return min(turn, 360.0 - turn) < 1e-3
    return False


def check_readback(
    sent: Sequence[Mapping[str, object]],
    got: Sequence[Mapping[str, object]],
    mission_type: MissionType | int,
    *,
    autopilot: Autopilot = "ardupilot",
) -> None:
    """Check that the rows read back from a vehicle are the rows that were uploaded.

    Compared as the autopilot keeps them (:class:`Keep`): sequence, command and list
    exactly; x and y exactly wherever they are a position; the altitude reference of the
    frame (GLOBAL_RELATIVE_ALT_INT may come back as GLOBAL_RELATIVE_ALT) but not the frame
    of a command without a position; params and z as stored. Item 0 of an ArduPilot
    mission is the vehicle's home, so only its command is compared; ``current`` is never.

    Raises
    ------
    TransferFailed
        ``result="MISMATCH"``, naming the first item and field that differ.
    """
    kind = MissionType(mission_type)
    if len(got) != len(sent):
        raise TransferFailed(
            f"read back {len(got)} {_LIST_NAMES[kind]} items from the vehicle, "
            f"{len(sent)} were uploaded",
            result="MISMATCH",
        )
    for index, (mine, theirs) in enumerate(zip(sent, got, strict=True)):
        _compare_row(index, mine, theirs, kind, autopilot)


def _compare_row(
    index: int,
    mine: Mapping[str, object],
    theirs: Mapping[str, object],
    kind: MissionType,
    autopilot: Autopilot,
) -> None:
    def differs(field: str, label: str | None = None) -> TransferFailed:
        return TransferFailed(
            f"{_where(index, mine)}: {label or field} reads back as {theirs.get(field)!r}, "
            f"{mine.get(field)!r} was uploaded",
            result="MISMATCH",
        )

    for field in ("seq", "command", "mission_type"):
        if _num(mine, field) != _num(theirs, field):
            raise differs(field)
    if autopilot == "ardupilot" and kind == MissionType.MISSION and index == 0:
        return  # the vehicle's home, whatever was sent
    rule = rule_for(int(_num(mine, "command")), kind, autopilot) or _rule(
        keep="EEEE", z="E", xy=True
    )
    if _num(mine, "autocontinue") != _num(theirs, "autocontinue"):
        raise differs("autocontinue")
    if rule.position:
        ours, back = int(_num(mine, "frame")), int(_num(theirs, "frame"))
        if _ALT_REFERENCE.get(ours) != _ALT_REFERENCE.get(back):
            raise differs("frame")
    if rule.position or rule.xy_kept:
        for field in ("x", "y"):
            if _num(mine, field) != _num(theirs, field):
                raise differs(field)
    if not _same(rule.z, _num(mine, "z"), _num(theirs, "z")):
        raise differs("z")
    for number, keep in enumerate(rule.kept, start=1):
        field = f"param{number}"
        if not _same(keep, _num(mine, field), _num(theirs, field)):
            raise differs(field, _param_label(rule, number))
