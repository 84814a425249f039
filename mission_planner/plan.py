"""What every planner returns: a flight plan in local metres, before any MAVLink encoding.

A :class:`FlightPlan` is a sequence of :class:`Leg` polylines in flight order, each
with what the drone does along it (spray, transit, survey, deliver), the sortie it
belongs to, and its altitude and speed; plus home, the geofence and rally points.
Coordinates are metres in ``crs`` (see :mod:`fields.crs`); only the exporters go
back to WGS84.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from shapely import LineString, Polygon

from fields import LocalCrs

__all__ = ["Action", "FlightPlan", "Leg", "PayloadRelease", "Point", "SprayerControl"]

Point = tuple[float, float]
"""(x_m, y_m) in the plan's local metric CRS."""


class Action(StrEnum):
    """What the drone does along a leg."""

    SPRAY = "spray"
    TRANSIT = "transit"
    SURVEY = "survey"
    DELIVER = "deliver"


class SprayerControl(StrEnum):
    """How the pump is switched: ArduPilot's sprayer library, or a servo/relay channel."""

    DO_SPRAYER = "do_sprayer"
    DO_SET_SERVO = "do_set_servo"


class PayloadRelease(StrEnum):
    """How a delivery is handed over at the drop point."""

    GRIPPER = "gripper"
    WINCH = "winch"
    LAND = "land"


@dataclass(frozen=True, kw_only=True, slots=True)
class Leg:
    """A polyline flown in one go with one action, at one altitude and speed."""

    path: tuple[Point, ...]
    action: Action
    sortie: int
    altitude_m: float
    speed_m_s: float

    def __post_init__(self) -> None:
        if len(self.path) < 2:
            raise ValueError("a leg needs at least two points")
        if self.sortie < 1:
            raise ValueError("sorties are numbered from 1")

    @property
    def length_m(self) -> float:
        """Length along the path."""
        return float(LineString(self.path).length)

    @property
    def start(self) -> Point:
        """Where the leg begins."""
        return self.path[0]

    @property
    def end(self) -> Point:
        """Where the leg ends."""
        return self.path[-1]


@dataclass(frozen=True, kw_only=True, slots=True)
class FlightPlan:
    """A planned flight over one work area, in local metres.

    ``legs`` are in flight order and join end to start; the first starts and the
    last ends at ``home`` (take-off and landing). Between sorties the drone lands
    at ``home`` (to refill or change battery) and the next sortie's first leg
    starts there. ``camera_trigger_distance_m`` is set for surveys;
    ``payload_release`` for deliveries (the release happens at the end of the
    last ``deliver`` leg).
    """

    kind: str
    crs: LocalCrs
    home: Point
    legs: tuple[Leg, ...]
    fence: Polygon
    rally: tuple[Point, ...]
    takeoff_altitude_m: float
    sprayer: SprayerControl = SprayerControl.DO_SPRAYER
    sprayer_servo: int = 9
    """Servo/relay output used when ``sprayer`` is DO_SET_SERVO."""
    sprayer_pwm_on: int = 1900
    sprayer_pwm_off: int = 1100
    camera_trigger_distance_m: float | None = None
    payload_release: PayloadRelease | None = None
    permissions: tuple[str, ...] = ()
    """Japanese permissions or approvals the flight needs (DID, within 30 m, dangerous goods …)."""
    stats: Mapping[str, Any] = field(default_factory=dict)

    @property
    def sorties(self) -> int:
        """How many sorties the plan has."""
        return max((leg.sortie for leg in self.legs), default=0)

    @property
    def path_m(self) -> float:
        """Total length flown."""
        return sum(leg.length_m for leg in self.legs)
