"""What every planner returns: a flight plan in local metres, before any MAVLink encoding.

A :class:`FlightPlan` is a sequence of :class:`Leg` polylines in flight order, each
with what the drone does along it (spray, transit, survey, deliver), the sortie it
belongs to, and its altitude and speed; plus home, the geofence and rally points.
Coordinates are metres in ``crs`` (see :mod:`fields.crs`); only the exporters go
back to WGS84. A spray leg of a variable-rate plan carries its :class:`SprayRate`:
the zone it sprays, the rate and how the vehicle makes it (speed or pump output),
so the mission builder, the exporters and the plan's product figures read it from
the leg itself rather than from a side table that could drift from the legs.
"""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
from shapely import LineString, Polygon

from fields import LocalCrs

__all__ = [
    "PWM_RANGE_US",
    "Action",
    "FlightPlan",
    "Leg",
    "PayloadRelease",
    "Point",
    "SprayRate",
    "SprayerControl",
    "corner_turns",
]

Point = tuple[float, float]
"""(x_m, y_m) in the plan's local metric CRS."""


def corner_turns(path: Sequence[Point]) -> float:
    """How far a path turns at its vertices, in U-turns: a right-angle corner is half.

    A drone slows down and speeds up again at a corner as at the end of a pass; flight
    times charge ``turn_time_s`` for a U-turn (the hop between two passes) and this
    share of it for the corners along a path (a ring's, say).

    >>> corner_turns([(0, 0), (10, 0), (10, 10), (0, 10)])
    1.0
    """
    if len(path) < 3:
        return 0.0
    d = np.diff(np.asarray(path, dtype=float), axis=0)
    d = d[np.hypot(d[:, 0], d[:, 1]) > 1e-9]
    a, b = d[:-1], d[1:]
    angle = np.arctan2(a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0], (a * b).sum(axis=1))
    return float(np.abs(angle).sum() / math.pi)


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


PWM_RANGE_US = (500, 2500)
"""Servo pulse widths a pump output may be set to, microseconds."""


@dataclass(frozen=True, kw_only=True, slots=True)
class SprayRate:
    """What one sprayed leg of a variable-rate plan applies, and how the vehicle makes it."""

    zone: str
    """Label of the rate zone the leg sprays."""
    rate_l_ha: float
    speed_m_s: float
    """Ground speed flown along the leg (the rate by speed, or the constant spray speed)."""
    litres_per_m: float
    """What a metre of the leg takes from the tank: rate (L/ha) × swath (m) / 10,000."""
    pump_pwm_us: int | None = None
    """Pump output (DO_SET_SERVO) that gives the rate; None leaves the on PWM as configured."""

    def __post_init__(self) -> None:
        numbers = (self.rate_l_ha, self.speed_m_s, self.litres_per_m)
        if not all(math.isfinite(n) and n > 0 for n in numbers):
            raise ValueError(f"zone {self.zone}: rate, speed and litres per metre must be > 0")
        low, high = PWM_RANGE_US
        if self.pump_pwm_us is not None and not low <= self.pump_pwm_us <= high:
            raise ValueError(f"zone {self.zone}: pump PWM {self.pump_pwm_us} is not {low}..{high}")


@dataclass(frozen=True, kw_only=True, slots=True)
class Leg:
    """A polyline flown in one go with one action, at one altitude and speed.

    ``rate`` is set on the spray legs of a variable-rate plan only, and its speed is
    the leg's.
    """

    path: tuple[Point, ...]
    action: Action
    sortie: int
    altitude_m: float
    speed_m_s: float
    rate: SprayRate | None = None

    def __post_init__(self) -> None:
        if len(self.path) < 2:
            raise ValueError("a leg needs at least two points")
        if self.sortie < 1:
            raise ValueError("sorties are numbered from 1")
        if self.rate is not None and self.action != Action.SPRAY:
            raise ValueError(f"a {self.action.value} leg sprays no rate")
        if self.rate is not None and self.rate.speed_m_s != self.speed_m_s:
            raise ValueError(
                f"the leg flies at {self.speed_m_s} m/s, its rate at {self.rate.speed_m_s} m/s"
            )

    @property
    def product_l(self) -> float:
        """Liquid the leg releases, litres (0 unless it carries a rate)."""
        return self.rate.litres_per_m * self.length_m if self.rate is not None else 0.0

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

    @property
    def product_by_zone_l(self) -> dict[str, float]:
        """Liquid released over each rate zone, litres, in the order first sprayed.

        Read off the rated legs (rate × swath × length each); empty for a plan at one
        constant rate, whose volume is ``stats["volume_l"]``.
        """
        product: dict[str, float] = {}
        for leg in self.legs:
            if leg.rate is not None:
                product[leg.rate.zone] = product.get(leg.rate.zone, 0.0) + leg.product_l
        return product

    @property
    def product_total_l(self) -> float:
        """Liquid released over all rate zones, litres (0 for a constant-rate plan)."""
        return sum(self.product_by_zone_l.values())
