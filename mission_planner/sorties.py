"""Cutting a route into sorties: back to the refill point when the tank or battery runs out.

The route is walked in order; a sortie ends at the last point from which the
drone still gets home within its battery reserve, or where the tank is empty.
The next sortie flies from home straight back to that very point and resumes:
the sprayed legs of consecutive sorties meet end to start, with no gap and no
double spray.

The tank is counted one of two ways. At one constant rate it lasts a length of
sprayed path (``spray_length_m``), as it always has. On a variable-rate route each
sprayed leg carries its :class:`~mission_planner.plan.SprayRate`, and the tank
(``tank_l``) drains by the leg's litres per metre; the leg is flown, and timed
against the battery, at its own speed. A leg cut at the end of a sortie keeps its
rate, so the next sortie resumes at the same rate.
"""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import shapely
import shapely.ops
from shapely import LineString

from mission_planner.coverage import RouteLeg
from mission_planner.plan import Action, Leg, Point, SprayRate, corner_turns
from mission_planner.refusals import PlanRefused

__all__ = ["MAX_SORTIES", "SortieLimits", "sortie_liquid_l", "sortie_time_s", "split_sorties"]

_EPS = 1e-6


@dataclass(frozen=True, kw_only=True, slots=True)
class SortieLimits:
    """What one sortie can do; ``None`` is unlimited."""

    spray_length_m: float | None = None
    """Sprayed path one tank lasts at one rate: tank (L) / (rate (L/ha) × swath (m) / 10,000)."""
    tank_l: float | None = None
    """A full tank, litres, drained leg by leg at each leg's rate (variable-rate routes)."""
    flight_time_s: float | None = None
    """Battery endurance less the reserve."""
    speed_m_s: float = 5.0
    transit_speed_m_s: float = 8.0
    turn_time_s: float = 3.0
    """Time lost slowing down and speeding up at each hop between passes."""
    climb_descent_s: float = 0.0
    """Take-off plus landing time of a sortie."""

    def __post_init__(self) -> None:
        if self.spray_length_m is not None and self.tank_l is not None:
            raise ValueError("give the tank as spray_length_m or as tank_l, not both")


MAX_SORTIES = 500
"""More sorties than this means the tank or battery is far too small for the job."""


def _straight(a: Point, b: Point) -> tuple[Point, ...]:
    return (a, b)


def sortie_time_s(legs: Sequence[Leg], limits: SortieLimits) -> float:
    """Flight time of one sortie: take-off and landing, every leg at its speed, and a turn's
    slowing and speeding up before every sprayer-off leg but the first (the flight out)
    and at the corners of the working legs (:func:`~mission_planner.plan.corner_turns`)."""
    return limits.climb_descent_s + sum(
        leg.length_m / leg.speed_m_s
        + limits.turn_time_s
        * ((1.0 if k > 0 else 0.0) if leg.action == Action.TRANSIT else corner_turns(leg.path))
        for k, leg in enumerate(legs)
    )


def _cut(path: Sequence[Point], at_m: float) -> tuple[tuple[Point, ...], tuple[Point, ...]]:
    line = LineString(path)
    head = shapely.ops.substring(line, 0, at_m)
    tail = shapely.ops.substring(line, at_m, line.length)
    return _coords(head), _coords(tail)


def _coords(line: object) -> tuple[Point, ...]:
    return tuple((float(x), float(y)) for x, y in shapely.get_coordinates(line))


def _length(path: Sequence[Point]) -> float:
    return float(LineString(path).length) if len(path) >= 2 else 0.0


def sortie_liquid_l(legs: Sequence[Leg]) -> float:
    """Liquid the rated legs among ``legs`` release, litres."""
    return sum(leg.product_l for leg in legs)


def split_sorties(
    route: Sequence[RouteLeg],
    *,
    home: Point,
    limits: SortieLimits,
    altitude_m: float,
    work_action: Action = Action.SPRAY,
    describe: Callable[[Point], str] | None = None,
    path_between: Callable[[Point, Point], tuple[Point, ...]] = _straight,
    rates: Sequence[SprayRate | None] | None = None,
) -> list[Leg]:
    """Fly a route from home in as many sorties as the tank and battery need.

    A sortie ends where the tank empties or where the drone could no longer get home
    within the battery reserve; it never ends half-way along a hop (the next sortie
    flies straight to the hop's end instead). Flights to and from home go by
    ``path_between`` (round no-fly zones) and are budgeted as flown.

    Parameters
    ----------
    route
        Sprayed legs and sprayer-off hops in flight order, from the first sprayed point
        to the last (the flights from and to home are added here).
    home
        Take-off, landing and refill point, local metres.
    limits
        Tank and battery per sortie.
    altitude_m
        Flight altitude above home.
    describe
        Names a place for a person (lat,lon); local metres by default.
    path_between
        The path flown between two points with the sprayer off; straight by default.
    rates
        One per route leg, for a variable-rate route: each sprayed leg's rate, speed and
        litres per metre (None for hops). Without it every sprayed leg is flown at
        ``limits.speed_m_s``. ``limits.tank_l`` needs it.

    Returns
    -------
    list[Leg]
        Legs numbered by sortie: each sortie starts and ends at home.

    Raises
    ------
    PlanRefused
        Rule ``"sortie"``: a sortie cannot reach the next place to work and return, or
        the job needs more than :data:`MAX_SORTIES` sorties.
    ValueError
        ``rates`` does not match ``route``, or ``limits.tank_l`` is set and a sprayed
        leg has no rate.
    """
    rated = list(rates) if rates is not None else [None] * len(route)
    _check_rates(route, rated, limits)
    budget = limits.flight_time_s if limits.flight_time_s is not None else math.inf
    tank = next((t for t in (limits.spray_length_m, limits.tank_l) if t is not None), math.inf)
    legs: list[Leg] = []
    sortie, used_s, sprayed_m, here, first = 1, limits.climb_descent_s, 0.0, home, True
    drawn = 0.0  # from the tank this sortie: metres of path, or litres with tank_l

    def per_m(rate: SprayRate | None) -> float:
        # Exactly 1.0 at one rate, so the constant-rate cuts are those of a length budget.
        return rate.litres_per_m if limits.tank_l is not None and rate is not None else 1.0

    def leg_s(path: Sequence[Point], spray: bool, rate: SprayRate | None = None) -> float:
        length = _length(path)
        if spray:
            speed = rate.speed_m_s if rate is not None else limits.speed_m_s
            return length / speed + corner_turns(path) * limits.turn_time_s
        return length / limits.transit_speed_m_s + (0.0 if first else limits.turn_time_s)

    def home_s(point: Point) -> float:
        return _length(path_between(point, home)) / limits.transit_speed_m_s + limits.turn_time_s

    def fly(path: Sequence[Point], spray: bool, rate: SprayRate | None = None) -> None:
        nonlocal here, used_s, sprayed_m, drawn, first
        length = _length(path)
        if length <= _EPS:
            return
        used_s += leg_s(path, spray, rate)
        sprayed_m += length if spray else 0.0
        drawn += length * per_m(rate) if spray else 0.0
        speed = limits.speed_m_s if spray else limits.transit_speed_m_s
        action = work_action if spray else Action.TRANSIT
        legs.append(
            Leg(
                path=tuple(path),
                action=action,
                sortie=sortie,
                altitude_m=altitude_m,
                speed_m_s=rate.speed_m_s if rate is not None else speed,
                rate=rate,
            )
        )
        here, first = path[-1], False

    def refuse(place: Point, why: str) -> PlanRefused:
        return PlanRefused(
            f"{why} ({math.dist(home, place) / 1000:.1f} km from home)",
            rule="sortie",
            where=describe(place) if describe else f"({place[0]:.0f}, {place[1]:.0f}) m",
        )

    def next_sortie(resume: Point) -> None:
        nonlocal sortie, used_s, sprayed_m, drawn, first
        fly(path_between(here, home), spray=False)
        sortie += 1
        if sortie > MAX_SORTIES:
            raise refuse(resume, f"the job needs more than {MAX_SORTIES} sorties")
        used_s, sprayed_m, drawn, first = limits.climb_descent_s, 0.0, 0.0, True
        pending.insert(0, (RouteLeg(path=path_between(home, resume), spray=False), None))

    pending = list(zip(route, rated, strict=True))
    if pending:
        out = RouteLeg(path=path_between(home, pending[0][0].path[0]), spray=False)
        pending.insert(0, (out, None))
    while pending:
        leg, rate = pending.pop(0)
        length = _length(leg.path)
        if not leg.spray:
            if used_s + leg_s(leg.path, False) + home_s(leg.path[-1]) <= budget + _EPS:
                fly(leg.path, spray=False)
                continue
            if sprayed_m <= _EPS:
                raise refuse(
                    leg.path[-1],
                    "one sortie cannot reach this place and return within the battery reserve",
                )
            next_sortie(leg.path[-1])
            continue
        line = LineString(leg.path)

        def fits(
            s: float, line: LineString = line, leg: RouteLeg = leg, rate: SprayRate | None = rate
        ) -> bool:
            p = line.interpolate(s)
            end = (float(p.x), float(p.y))
            flown = leg.path if s >= line.length - _EPS else _cut(leg.path, s)[0]
            return (
                s * per_m(rate) <= tank - drawn + _EPS
                and used_s + leg_s(flown, True, rate) + home_s(end) <= budget + _EPS
            )

        if fits(length):
            fly(leg.path, spray=True, rate=rate)
            continue
        lo, hi = 0.0, float(min(length, max((tank - drawn) / per_m(rate), 0.0)))
        if fits(hi):
            lo = hi
        elif fits(lo):
            while hi - lo > 1e-3:
                mid = (lo + hi) / 2
                lo, hi = (mid, hi) if fits(mid) else (lo, mid)
        if lo <= _EPS and sprayed_m <= _EPS:
            reach_m = tank / per_m(rate)
            if math.isfinite(reach_m) and reach_m < 1.0:
                raise refuse(leg.path[0], f"one tank sprays only {reach_m:.2f} m of passes")
            raise refuse(
                leg.path[0],
                "one sortie cannot start spraying here and return within the battery reserve",
            )
        done, rest = _cut(leg.path, lo) if lo > _EPS else ((), tuple(leg.path))
        if done:
            fly(done, spray=True, rate=rate)
        pending.insert(0, (RouteLeg(path=rest, spray=True), rate))
        next_sortie(rest[0])
    if legs:
        fly(path_between(here, home), spray=False)
    return legs


def _check_rates(
    route: Sequence[RouteLeg], rates: Sequence[SprayRate | None], limits: SortieLimits
) -> None:
    if len(rates) != len(route):
        raise ValueError(f"{len(rates)} rates for {len(route)} route legs")
    for leg, rate in zip(route, rates, strict=True):
        if rate is not None and not leg.spray:
            raise ValueError("a hop with the sprayer off has no rate")
        if limits.tank_l is not None and leg.spray and rate is None:
            raise ValueError("a tank in litres needs the rate of every sprayed leg")
