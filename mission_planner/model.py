"""The MAVLink mission as values: items, geofence and rally points, in WGS84.

The command, frame and mission-type numbers are MAVLink's own (a test pins each to
pymavlink's constant, so this pure layer never imports pymavlink). Altitudes of
items in relative or terrain frames are metres above home or ground, and never
above Japan's 150 m cap.

>>> MissionItem(command=Command.NAV_WAYPOINT, frame=Frame.GLOBAL_RELATIVE_ALT,
...             lat_deg=34.9283, lon_deg=134.8414, alt_m=200.0)
Traceback (most recent call last):
...
mission_planner.errors.InvalidMissionItem: alt_m 200.0 m is above the 150 m cap (Aviation Act)
"""

import math
from dataclasses import dataclass, field
from enum import IntEnum

from core import GeoPoint
from mission_planner.errors import InvalidMission, InvalidMissionItem

__all__ = [
    "MAX_ALTITUDE_M",
    "Command",
    "Fence",
    "Frame",
    "Mission",
    "MissionItem",
    "MissionType",
    "RallyPoint",
]

MAX_ALTITUDE_M = 150.0
"""Japan's Aviation Act: flying higher above ground or water needs permission; Tanbo never does."""


class Command(IntEnum):
    """MAVLink ``MAV_CMD`` values Tanbo writes, or reads from ground-station files."""

    NAV_WAYPOINT = 16
    NAV_LOITER_UNLIM = 17
    NAV_LOITER_TURNS = 18
    NAV_LOITER_TIME = 19
    NAV_RETURN_TO_LAUNCH = 20
    NAV_LAND = 21
    NAV_TAKEOFF = 22
    NAV_SPLINE_WAYPOINT = 82
    NAV_DELAY = 93
    CONDITION_DELAY = 112
    CONDITION_YAW = 115
    DO_CHANGE_SPEED = 178
    DO_SET_RELAY = 181
    DO_SET_SERVO = 183
    DO_LAND_START = 189
    DO_SET_ROI = 201
    DO_DIGICAM_CONTROL = 203
    DO_MOUNT_CONTROL = 205
    DO_SET_CAM_TRIGG_DIST = 206
    DO_GRIPPER = 211
    DO_SPRAYER = 216
    IMAGE_START_CAPTURE = 2000
    IMAGE_STOP_CAPTURE = 2001
    NAV_FENCE_RETURN_POINT = 5000
    NAV_FENCE_POLYGON_VERTEX_INCLUSION = 5001
    NAV_FENCE_POLYGON_VERTEX_EXCLUSION = 5002
    NAV_FENCE_CIRCLE_INCLUSION = 5003
    NAV_FENCE_CIRCLE_EXCLUSION = 5004
    NAV_RALLY_POINT = 5100
    DO_WINCH = 42600

    @property
    def is_nav(self) -> bool:
        """A navigation command (ArduPilot flies it; DO commands run between them)."""
        return self.name.startswith("NAV_")

    @property
    def has_position(self) -> bool:
        """Whether param5..7 are a latitude, longitude and altitude."""
        return self in _POSITIONED

    @property
    def is_fence_or_rally(self) -> bool:
        """Items that belong to the fence or rally lists, never to the mission."""
        return self.value >= Command.NAV_FENCE_RETURN_POINT and self.is_nav


_POSITIONED = frozenset(
    {
        Command.NAV_WAYPOINT,
        Command.NAV_LOITER_UNLIM,
        Command.NAV_LOITER_TURNS,
        Command.NAV_LOITER_TIME,
        Command.NAV_LAND,
        Command.NAV_TAKEOFF,
        Command.NAV_SPLINE_WAYPOINT,
        Command.DO_SET_ROI,
        Command.NAV_FENCE_RETURN_POINT,
        Command.NAV_FENCE_POLYGON_VERTEX_INCLUSION,
        Command.NAV_FENCE_POLYGON_VERTEX_EXCLUSION,
        Command.NAV_FENCE_CIRCLE_INCLUSION,
        Command.NAV_FENCE_CIRCLE_EXCLUSION,
        Command.NAV_RALLY_POINT,
    }
)


class Frame(IntEnum):
    """MAVLink ``MAV_FRAME`` values used by mission items."""

    GLOBAL = 0
    """Altitude above mean sea level."""
    MISSION = 2
    """Not a coordinate frame: a command without a position."""
    GLOBAL_RELATIVE_ALT = 3
    """Altitude above home: what Tanbo writes."""
    GLOBAL_INT = 5
    GLOBAL_RELATIVE_ALT_INT = 6
    GLOBAL_TERRAIN_ALT = 10
    """Altitude above the terrain under the vehicle."""
    GLOBAL_TERRAIN_ALT_INT = 11

    @property
    def is_above_sea_level(self) -> bool:
        """Altitude is above mean sea level (needs home's altitude to check the cap)."""
        return self in (Frame.GLOBAL, Frame.GLOBAL_INT)

    @property
    def is_above_ground(self) -> bool:
        """Altitude is above home or terrain, so the 150 m cap applies to it directly."""
        return self in _ABOVE_GROUND


_ABOVE_GROUND = frozenset(
    {
        Frame.GLOBAL_RELATIVE_ALT,
        Frame.GLOBAL_RELATIVE_ALT_INT,
        Frame.GLOBAL_TERRAIN_ALT,
        Frame.GLOBAL_TERRAIN_ALT_INT,
    }
)


class MissionType(IntEnum):
    """MAVLink ``MAV_MISSION_TYPE``: the three lists a vehicle keeps."""

    MISSION = 0
    FENCE = 1
    RALLY = 2


@dataclass(frozen=True, kw_only=True, slots=True)
class MissionItem:
    """One MAVLink mission item, with param5..7 as degrees and metres.

    For commands without a position (``Command.has_position`` false) ``lat_deg``,
    ``lon_deg`` and ``alt_m`` carry the raw param5..7, usually 0.

    Raises
    ------
    InvalidMissionItem
        A parameter is not finite, a latitude or longitude is out of range, a
        take-off is not upwards, or an altitude above home or terrain exceeds
        :data:`MAX_ALTITUDE_M`; the error names the field.
    """

    command: Command
    frame: Frame
    param1: float = 0.0
    param2: float = 0.0
    param3: float = 0.0
    param4: float = 0.0
    lat_deg: float = 0.0
    lon_deg: float = 0.0
    alt_m: float = 0.0
    autocontinue: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.command, Command):
            raise InvalidMissionItem("command", f"{self.command!r} is not a Command")
        if not isinstance(self.frame, Frame):
            raise InvalidMissionItem("frame", f"{self.frame!r} is not a Frame")
        for name in ("param1", "param2", "param3", "param4", "lat_deg", "lon_deg", "alt_m"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InvalidMissionItem(name, f"{value!r} is not a number")
            if not math.isfinite(value):
                raise InvalidMissionItem(name, f"{value} is not a finite number")
            object.__setattr__(self, name, float(value))
        if not isinstance(self.autocontinue, bool):
            raise InvalidMissionItem("autocontinue", f"{self.autocontinue!r} is not True or False")
        # Every item goes on the wire as int32 degrees * 1e7, whatever its command.
        if not -90.0 <= self.lat_deg <= 90.0:
            raise InvalidMissionItem("lat_deg", f"{self.lat_deg} is outside -90..90")
        if not -180.0 <= self.lon_deg <= 180.0:
            raise InvalidMissionItem("lon_deg", f"{self.lon_deg} is outside -180..180")
        if not self.command.has_position:
            return
        if self.frame.is_above_ground and self.alt_m > MAX_ALTITUDE_M:
            raise InvalidMissionItem(
                "alt_m",
                f"{self.alt_m} m is above the {MAX_ALTITUDE_M:g} m cap (Aviation Act)",
            )
        if self.command == Command.NAV_TAKEOFF and self.frame.is_above_ground and self.alt_m <= 0.0:
            raise InvalidMissionItem("alt_m", f"{self.alt_m} m: a take-off must climb above home")

    @property
    def position(self) -> GeoPoint | None:
        """Where the item is, for commands with a position."""
        if not self.command.has_position:
            return None
        return GeoPoint(lat_deg=self.lat_deg, lon_deg=self.lon_deg)


@dataclass(frozen=True, kw_only=True, slots=True)
class RallyPoint:
    """A safe place to return to instead of home, at ``alt_m`` above home."""

    position: GeoPoint
    alt_m: float

    def __post_init__(self) -> None:
        if not math.isfinite(self.alt_m) or not 0.0 < self.alt_m <= MAX_ALTITUDE_M:
            raise InvalidMission(
                f"rally point altitude {self.alt_m} m is outside 0..{MAX_ALTITUDE_M:g} m"
            )


@dataclass(frozen=True, kw_only=True, slots=True)
class Fence:
    """The geofence: the vehicle stays inside every inclusion polygon and outside every
    exclusion polygon. Polygons are vertex lists, not closed (first != last)."""

    inclusion: tuple[tuple[GeoPoint, ...], ...] = ()
    exclusion: tuple[tuple[GeoPoint, ...], ...] = ()

    def __post_init__(self) -> None:
        for kind, polygons in (("inclusion", self.inclusion), ("exclusion", self.exclusion)):
            for number, polygon in enumerate(polygons):
                if len(polygon) < 3:
                    raise InvalidMission(
                        f"{kind} fence polygon {number} has {len(polygon)} vertices, needs 3"
                    )
                if polygon[0] == polygon[-1]:
                    raise InvalidMission(
                        f"{kind} fence polygon {number} repeats its first vertex at the end; "
                        "MAVLink fences list each vertex once"
                    )

    @property
    def is_empty(self) -> bool:
        """No polygon at all."""
        return not self.inclusion and not self.exclusion


@dataclass(frozen=True, kw_only=True, slots=True)
class Mission:
    """What a vehicle flies: home, the mission items, the geofence and rally points.

    ``items`` do not include home: on the wire home is seq 0 and ``items[i]`` is
    seq ``i + 1``. ``home_amsl_m`` is home's altitude above mean sea level as
    ground stations record it (0 when unknown); only items in a sea-level frame
    need it, to check the 150 m cap.

    Raises
    ------
    InvalidMission
        Home's altitude is not a number.
    InvalidMissionItem
        A fence or rally command among the items, or an item above mean sea
        level higher than :data:`MAX_ALTITUDE_M` over home; names the item's index.
    """

    home: GeoPoint
    items: tuple[MissionItem, ...]
    fence: Fence = field(default_factory=Fence)
    rally: tuple[RallyPoint, ...] = ()
    home_amsl_m: float = 0.0

    def __post_init__(self) -> None:
        if not math.isfinite(self.home_amsl_m):
            raise InvalidMission(f"home altitude {self.home_amsl_m} is not a finite number")
        for index, item in enumerate(self.items):
            if item.command.is_fence_or_rally:
                raise InvalidMissionItem(
                    "command",
                    f"{item.command.name} belongs in the fence or rally list",
                    index=index,
                )
            if (
                item.command.has_position
                and item.frame.is_above_sea_level
                and item.alt_m - self.home_amsl_m > MAX_ALTITUDE_M
            ):
                raise InvalidMissionItem(
                    "alt_m",
                    f"{item.alt_m} m above sea level is {item.alt_m - self.home_amsl_m:g} m "
                    f"over home ({self.home_amsl_m:g} m), above the {MAX_ALTITUDE_M:g} m cap",
                    index=index,
                )
