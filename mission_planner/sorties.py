"""Cutting a route into sorties: back to the refill point when the tank or battery runs out.

The route is walked in order; a sortie ends at the last point from which the
drone still gets home within its battery reserve, or where the tank is empty.
The next sortie flies from home straight back to that very point and resumes:
the sprayed legs of consecutive sorties meet end to start, with no gap and no
double spray.
"""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import shapely
import shapely.ops
from shapely import LineString

from mission_planner.coverage import RouteLeg
from mission_planner.plan import Action, Leg, Point
from mission_planner.refusals import PlanRefused

__all__ = ["SortieLimits", "split_sorties"]

_EPS = 1e-6


@dataclass(frozen=True, kw_only=True, slots=True)
class SortieLimits:
    """What one sortie can do; ``None`` is unlimited."""

    spray_length_m: float | None = None
    """Sprayed path one tank lasts: tank (L) / (rate (L/ha) × swath (m) / 10,000)."""
    flight_time_s: float | None = None
    """Battery endurance less the reserve."""
    speed_m_s: float = 5.0
    transit_speed_m_s: float = 8.0
    turn_time_s: float = 3.0
    """Time lost slowing down and speeding up at each hop between passes."""
    climb_descent_s: float = 0.0
    """Take-off plus landing time of a sortie."""


def _time(length_m: float, spray: bool, limits: SortieLimits) -> float:
    return length_m / (limits.speed_m_s if spray else limits.transit_speed_m_s)


def _home_time(point: Point, home: Point, limits: SortieLimits) -> float:
    return math.dist(point, home) / limits.transit_speed_m_s


def _cut(path: Sequence[Point], at_m: float) -> tuple[tuple[Point, ...], tuple[Point, ...]]:
    line = LineString(path)
    head = shapely.ops.substring(line, 0, at_m)
    tail = shapely.ops.substring(line, at_m, line.length)
    return _coords(head), _coords(tail)


def _coords(line: object) -> tuple[Point, ...]:
    return tuple((float(x), float(y)) for x, y in shapely.get_coordinates(line))


def _reach(
    path: Sequence[Point],
    spray: bool,
    home: Point,
    used_s: float,
    sprayed_m: float,
    limits: SortieLimits,
    hop_turn_s: float,
) -> float:
    """How far along ``path`` the drone can go and still get home; the whole length if it can."""
    line = LineString(path)
    length = float(line.length)
    spray_left = (
        math.inf
        if not spray or limits.spray_length_m is None
        else limits.spray_length_m - sprayed_m
    )

    def fits(s: float) -> bool:
        if s > spray_left + _EPS:
            return False
        if limits.flight_time_s is None:
            return True
        p = line.interpolate(s)
        t = used_s + hop_turn_s + _time(s, spray, limits) + _home_time((p.x, p.y), home, limits)
        return t <= limits.flight_time_s + _EPS

    if fits(length):
        return length
    lo, hi = 0.0, float(min(length, max(spray_left, 0.0)))
    if not fits(lo):
        return 0.0
    if fits(hi):
        return hi
    for _ in range(50):
        mid = (lo + hi) / 2
        if fits(mid):
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-3:
            break
    return lo


def split_sorties(
    route: Sequence[RouteLeg],
    *,
    home: Point,
    limits: SortieLimits,
    altitude_m: float,
    work_action: Action = Action.SPRAY,
    describe: Callable[[Point], str] | None = None,
) -> list[Leg]:
    """Fly a route from home in as many sorties as the tank and battery need.

    Parameters
    ----------
    route
        Sprayed legs and sprayer-off hops in flight order (a coverage route, or several
        joined by hops).
    home
        Take-off, landing and refill point, local metres.
    limits
        Tank and battery per sortie.
    altitude_m
        Flight altitude above home.
    describe
        Names a place for a person (lat,lon); local metres by default.

    Returns
    -------
    list[Leg]
        Legs numbered by sortie: each sortie starts and ends at home.

    Raises
    ------
    PlanRefused
        A sortie cannot even reach the next point to work on and return (rule ``"sortie"``).
    """
    legs: list[Leg] = []
    sortie, used_s, sprayed_m, here = 1, limits.climb_descent_s, 0.0, home
    progressed = False  # has this sortie got anything done beyond flying out?

    def fly(path: tuple[Point, ...], action: Action) -> None:
        nonlocal here
        if len(path) >= 2 and LineString(path).length > _EPS:
            speed = limits.speed_m_s if action == work_action else limits.transit_speed_m_s
            legs.append(
                Leg(path=path, action=action, sortie=sortie, altitude_m=altitude_m, speed_m_s=speed)
            )
            here = path[-1]

    pending = list(route)
    if pending and pending[0].path[0] != home:
        pending.insert(0, RouteLeg(path=(home, pending[0].path[0]), spray=False))
    while pending:
        leg = pending.pop(0)
        turn = limits.turn_time_s if not leg.spray and legs else 0.0
        reach = _reach(leg.path, leg.spray, home, used_s, sprayed_m, limits, turn)
        length = LineString(leg.path).length
        if reach >= length - _EPS:
            fly(tuple(leg.path), work_action if leg.spray else Action.TRANSIT)
            used_s += turn + _time(length, leg.spray, limits)
            sprayed_m += length if leg.spray else 0.0
            progressed = progressed or leg.spray or leg.path[0] != home
            continue
        done, rest = _cut(leg.path, reach) if reach > _EPS else ((), tuple(leg.path))
        if not done and not progressed:
            place = leg.path[-1]
            raise PlanRefused(
                "one sortie cannot reach the work and return within the battery reserve "
                f"({math.dist(home, place) / 1000:.1f} km from home)",
                rule="sortie",
                where=describe(place) if describe else f"({place[0]:.0f}, {place[1]:.0f}) m",
            )
        fly(done, work_action if leg.spray else Action.TRANSIT)
        fly((here, home), Action.TRANSIT)
        sortie += 1
        used_s, sprayed_m, here, progressed = limits.climb_descent_s, 0.0, home, False
        resume = rest[0]
        pending.insert(0, RouteLeg(path=rest, spray=leg.spray))
        pending.insert(0, RouteLeg(path=(home, resume), spray=False))
    if here != home:
        fly((here, home), Action.TRANSIT)
    return legs
