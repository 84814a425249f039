"""Mission, fence and rally items as the vehicle stores them, and what ArduPilot Copter accepts.

Items are kept in MISSION_ITEM_INT form (x, y as int degrees * 1e7 in global
frames, z in metres). Legacy MISSION_ITEM (float degrees) is converted on
arrival, and back when a ground station asks with MISSION_REQUEST.
"""

import math
from dataclasses import dataclass, replace
from enum import IntEnum

from sim.wire import Message, mavlink

__all__ = [
    "GLOBAL_FRAMES",
    "SUPPORTED_COMMANDS",
    "SUPPORTED_FRAMES",
    "MissionKind",
    "StoredItem",
    "check_fence",
    "check_item",
]


class MissionKind(IntEnum):
    """MAV_MISSION_TYPE: the three lists a vehicle keeps."""

    MISSION = mavlink.MAV_MISSION_TYPE_MISSION
    FENCE = mavlink.MAV_MISSION_TYPE_FENCE
    RALLY = mavlink.MAV_MISSION_TYPE_RALLY


def _cmds(*names: str) -> frozenset[int]:
    return frozenset(int(getattr(mavlink, f"MAV_CMD_{name}")) for name in names)


SUPPORTED_COMMANDS: dict[MissionKind, frozenset[int]] = {
    MissionKind.MISSION: _cmds(
        "NAV_WAYPOINT", "NAV_LOITER_UNLIM", "NAV_LOITER_TURNS", "NAV_LOITER_TIME",
        "NAV_RETURN_TO_LAUNCH", "NAV_LAND", "NAV_TAKEOFF", "NAV_SPLINE_WAYPOINT",
        "NAV_GUIDED_ENABLE", "NAV_DELAY", "NAV_PAYLOAD_PLACE",
        "CONDITION_DELAY", "CONDITION_CHANGE_ALT", "CONDITION_DISTANCE", "CONDITION_YAW",
        "DO_SET_MODE", "DO_JUMP", "DO_CHANGE_SPEED", "DO_SET_HOME", "DO_SET_RELAY",
        "DO_REPEAT_RELAY", "DO_SET_SERVO", "DO_REPEAT_SERVO", "DO_LAND_START",
        "DO_SET_ROI_LOCATION", "DO_SET_ROI_NONE", "DO_SET_ROI", "DO_DIGICAM_CONFIGURE",
        "DO_DIGICAM_CONTROL", "DO_MOUNT_CONTROL", "DO_SET_CAM_TRIGG_DIST", "DO_FENCE_ENABLE",
        "DO_PARACHUTE", "DO_GRIPPER", "DO_SPRAYER", "DO_AUX_FUNCTION", "DO_GUIDED_LIMITS",
        "DO_WINCH", "IMAGE_START_CAPTURE", "IMAGE_STOP_CAPTURE", "VIDEO_START_CAPTURE",
        "VIDEO_STOP_CAPTURE", "JUMP_TAG", "DO_JUMP_TAG",
    ),
    MissionKind.FENCE: _cmds(
        "NAV_FENCE_RETURN_POINT", "NAV_FENCE_POLYGON_VERTEX_INCLUSION",
        "NAV_FENCE_POLYGON_VERTEX_EXCLUSION", "NAV_FENCE_CIRCLE_INCLUSION",
        "NAV_FENCE_CIRCLE_EXCLUSION",
    ),
    MissionKind.RALLY: _cmds("NAV_RALLY_POINT"),
}  # fmt: skip
"""The commands each list accepts; anything else is refused with MAV_MISSION_UNSUPPORTED."""

GLOBAL_FRAMES = frozenset(
    {
        mavlink.MAV_FRAME_GLOBAL,
        mavlink.MAV_FRAME_GLOBAL_RELATIVE_ALT,
        mavlink.MAV_FRAME_GLOBAL_INT,
        mavlink.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT,
        mavlink.MAV_FRAME_GLOBAL_TERRAIN_ALT,
        mavlink.MAV_FRAME_GLOBAL_TERRAIN_ALT_INT,
    }
)
"""Frames whose x and y are a latitude and longitude."""

SUPPORTED_FRAMES = GLOBAL_FRAMES | {mavlink.MAV_FRAME_MISSION}
"""Frames ArduPilot takes in a mission item; others are refused with UNSUPPORTED_FRAME."""

_POLYGON_VERTICES = _cmds(
    "NAV_FENCE_POLYGON_VERTEX_INCLUSION", "NAV_FENCE_POLYGON_VERTEX_EXCLUSION"
)


@dataclass(frozen=True, kw_only=True, slots=True)
class StoredItem:
    """One item in MISSION_ITEM_INT form; ``x``/``y`` are int degrees * 1e7 in global frames."""

    seq: int
    frame: int
    command: int
    current: int = 0
    autocontinue: int = 1
    param1: float = 0.0
    param2: float = 0.0
    param3: float = 0.0
    param4: float = 0.0
    x: int = 0
    y: int = 0
    z: float = 0.0
    mission_type: int = 0

    @classmethod
    def from_int(cls, msg: Message) -> "StoredItem":
        """From a MISSION_ITEM_INT message."""
        return cls(
            seq=msg.seq, frame=msg.frame, command=msg.command, current=msg.current,
            autocontinue=msg.autocontinue, param1=msg.param1, param2=msg.param2,
            param3=msg.param3, param4=msg.param4, x=msg.x, y=msg.y, z=msg.z,
            mission_type=msg.mission_type,
        )  # fmt: skip

    @classmethod
    def from_legacy(cls, msg: Message) -> "StoredItem":
        """From a MISSION_ITEM message: float degrees become int degrees * 1e7."""
        scale = 1e7 if msg.frame in GLOBAL_FRAMES else 1.0
        x, y = msg.x * scale, msg.y * scale
        return cls(
            seq=msg.seq, frame=msg.frame, command=msg.command, current=msg.current,
            autocontinue=msg.autocontinue, param1=msg.param1, param2=msg.param2,
            param3=msg.param3, param4=msg.param4,
            x=round(x) if math.isfinite(x) else 2**31 - 1,
            y=round(y) if math.isfinite(y) else 2**31 - 1,
            z=msg.z, mission_type=msg.mission_type,
        )  # fmt: skip

    def at(self, seq: int) -> "StoredItem":
        """The same item numbered ``seq``."""
        return replace(self, seq=seq)

    def to_int(self, target_system: int, target_component: int) -> Message:
        """As a MISSION_ITEM_INT addressed to the ground station that asked."""
        return mavlink.MAVLink_mission_item_int_message(
            target_system, target_component, self.seq, self.frame, self.command, self.current,
            self.autocontinue, self.param1, self.param2, self.param3, self.param4,
            self.x, self.y, self.z, self.mission_type,
        )  # fmt: skip

    def to_legacy(self, target_system: int, target_component: int) -> Message:
        """As a MISSION_ITEM (float degrees), for a ground station asking with MISSION_REQUEST."""
        scale = 1e-7 if self.frame in GLOBAL_FRAMES else 1.0
        return mavlink.MAVLink_mission_item_message(
            target_system, target_component, self.seq, self.frame, self.command, self.current,
            self.autocontinue, self.param1, self.param2, self.param3, self.param4,
            self.x * scale, self.y * scale, self.z, self.mission_type,
        )  # fmt: skip


def check_item(kind: MissionKind, item: StoredItem) -> int:
    """The MAV_MISSION_RESULT ArduPilot answers ``item`` with when uploaded to list ``kind``.

    ACCEPTED, or UNSUPPORTED (a command the list does not take), UNSUPPORTED_FRAME,
    or INVALID_PARAM5_X / INVALID_PARAM6_Y (a latitude or longitude out of range).
    """
    if item.command not in SUPPORTED_COMMANDS[kind]:
        return int(mavlink.MAV_MISSION_UNSUPPORTED)
    if item.frame not in SUPPORTED_FRAMES:
        return int(mavlink.MAV_MISSION_UNSUPPORTED_FRAME)
    if item.frame in GLOBAL_FRAMES:
        if not -900_000_000 <= item.x <= 900_000_000:
            return int(mavlink.MAV_MISSION_INVALID_PARAM5_X)
        if not -1_800_000_000 <= item.y <= 1_800_000_000:
            return int(mavlink.MAV_MISSION_INVALID_PARAM6_Y)
    return int(mavlink.MAV_MISSION_ACCEPTED)


def check_fence(items: list[StoredItem]) -> bool:
    """Whether each polygon's vertices are consecutive and as many as their param1 says."""
    k = 0
    while k < len(items):
        item = items[k]
        if item.command not in _POLYGON_VERTICES:
            k += 1
            continue
        count = int(item.param1)
        run = items[k : k + count]
        if count < 3 or len(run) < count:
            return False
        if any(v.command != item.command or int(v.param1) != count for v in run):
            return False
        k += count
    return True
