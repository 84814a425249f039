"""Spray missions: one or several fields, zones respected, cut into sorties.

The sprayable area of a field is the field less its no-spray and no-fly zones,
each grown by its buffer. The coverage pipeline plans the passes over it; fields
are taken nearest first; hops that would cross a no-fly zone go round it; the
route is cut into sorties by tank and battery (and where that takes several, each
field's other headings are tried for a quicker mission, see
:mod:`mission_planner.spray_route`); the safety check runs last, and a plan that
breaks a rule is refused, never returned.

Given a :class:`~mission_planner.variable_rate.RateMap`, the rate follows the zones
(see :mod:`mission_planner.variable_rate`): the passes are planned over the area the
map sprays, cut at the zone boundaries, and the tank drains leg by leg at each
leg's rate; everything else is the constant-rate planner's.
"""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import shapely
from shapely import LineString, Polygon

from fields import LocalCrs
from mission_planner.coverage import MIN_COVERAGE, RouteLeg
from mission_planner.fence import DEFAULT_FENCE_MARGIN_M, fence_around, rally_point
from mission_planner.plan import (
    Action,
    FlightPlan,
    Leg,
    Point,
    SprayerControl,
    SprayRate,
    corner_turns,
)
from mission_planner.rate_control import RateMode, VariableRateControl
from mission_planner.refusals import PlanRefused, check_altitude
from mission_planner.safety import LocalZone, SafetyLimits, check_plan, lat_lon, permissions_for
from mission_planner.sorties import SortieLimits, sortie_liquid_l, split_sorties
from mission_planner.spray_route import CoverageCache, Covered, cover_fields, hop, quicker_headings
from mission_planner.variable_rate import RateMap, apply_rates, rate_summary

__all__ = ["SprayParams", "SprayTarget", "plan_spray"]


@dataclass(frozen=True, kw_only=True, slots=True)
class SprayParams:
    """How to spray: the boom, the flight, the tank and the battery."""

    swath_m: float
    altitude_m: float = 3.0
    speed_m_s: float = 5.0
    transit_speed_m_s: float = 8.0
    heading_deg: float | None = None
    """Swath heading, degrees clockwise from north; None searches for the best."""
    rate_l_ha: float | None = None
    tank_l: float | None = None
    endurance_min: float | None = None
    reserve_fraction: float = 0.2
    turn_time_s: float = 3.0
    climb_rate_m_s: float = 2.5
    descent_rate_m_s: float = 1.5
    sprayer: SprayerControl = SprayerControl.DO_SPRAYER
    sprayer_servo: int = 9
    fence_margin_m: float = DEFAULT_FENCE_MARGIN_M
    min_coverage: float = MIN_COVERAGE
    """Rings are flown inside the perimeter pass while the route gets shorter and still
    sprays this share of each field (their corner tips are the rest): see
    :func:`~mission_planner.coverage.plan_coverage`. 1.0 keeps one ring."""
    rate_control: VariableRateControl | None = None
    """How the rate is made per zone, for a plan given a rate map (``rate_l_ha`` stays None;
    ``tank_l`` is then drained at each zone's rate)."""

    def __post_init__(self) -> None:
        checks = {
            "swath_m": self.swath_m > 0,
            "speed_m_s": self.speed_m_s > 0,
            "transit_speed_m_s": self.transit_speed_m_s > 0,
            "rate_l_ha": self.rate_l_ha is None or self.rate_l_ha > 0,
            "tank_l": self.tank_l is None or self.tank_l > 0,
            "endurance_min": self.endurance_min is None or self.endurance_min > 0,
            "reserve_fraction": 0 <= self.reserve_fraction < 1,
            "fence_margin_m": self.fence_margin_m > 0,
            "heading_deg": self.heading_deg is None or math.isfinite(self.heading_deg),
            "min_coverage": 0.9 <= self.min_coverage <= 1.0,
        }
        for name, ok in checks.items():
            if not ok:
                raise ValueError(f"{name} = {getattr(self, name)} is out of range")
        control = self.rate_control
        if control is None and (self.tank_l is None) != (self.rate_l_ha is None):
            raise ValueError("give both tank_l and rate_l_ha, or neither")
        if control is not None and self.rate_l_ha is not None:
            raise ValueError("a variable rate takes its rates from the map: leave rate_l_ha None")
        by_servo = control is not None and (
            control.mode == RateMode.PUMP or control.pump is not None
        )
        if by_servo and self.sprayer != SprayerControl.DO_SET_SERVO:
            raise ValueError(
                "setting the pump's output needs sprayer DO_SET_SERVO: ArduPilot's sprayer "
                "would drive the pump itself"
            )

    def limits(self) -> SortieLimits:
        """Per-sortie limits from the tank and battery."""
        spray_length = (
            self.tank_l / (self.rate_l_ha * self.swath_m / 10_000.0)
            if self.tank_l is not None and self.rate_l_ha is not None
            else None
        )
        tank_l = self.tank_l if self.rate_control is not None else None
        flight = (
            self.endurance_min * 60.0 * (1.0 - self.reserve_fraction)
            if self.endurance_min is not None
            else None
        )
        return SortieLimits(
            spray_length_m=spray_length,
            tank_l=tank_l,
            flight_time_s=flight,
            speed_m_s=self.speed_m_s,
            transit_speed_m_s=self.transit_speed_m_s,
            turn_time_s=self.turn_time_s,
            climb_descent_s=self.altitude_m / self.climb_rate_m_s
            + self.altitude_m / self.descent_rate_m_s,
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class SprayTarget:
    """A field to spray, in the plan's local metres."""

    id: str
    field: Polygon | shapely.MultiPolygon


def plan_spray(
    targets: Sequence[SprayTarget],
    *,
    crs: LocalCrs,
    home: Point,
    params: SprayParams,
    zones: Sequence[LocalZone] = (),
    safety: SafetyLimits | None = None,
    rates: RateMap | None = None,
) -> FlightPlan:
    """Plan a spray mission over one or more fields.

    Parameters
    ----------
    targets
        Fields in local metres (``crs``).
    home
        Take-off, landing and refill point, local metres.
    params
        Swath, altitude, speed, rate, tank and battery.
    zones
        No-spray and no-fly zones near the fields, already projected and buffered.
    rates
        Rate zones in the same metres, for a variable rate (``params.rate_control``
        says how it is made). Without a default rate only the zones are sprayed, and
        area and coverage are those of the sprayable area within them.

    Returns
    -------
    FlightPlan
        kind ``"spray"``; ``stats`` has area_ha, path_m, turns, sorties, est_time_s,
        coverage, volume_l and per-field figures under ``fields``; with ``rates`` also
        ``variable_rate`` (the mode), ``product_l`` and ``rate_zones`` (by zone label:
        rate, area, planned and released litres, see
        :func:`~mission_planner.variable_rate.rate_summary`), and ``rate_l_ha`` is 0.

    Raises
    ------
    PlanRefused
        The plan would break a rule: altitude, a no-fly crossing, spraying over a zone,
        a sortie that cannot work within its battery, a zone's rate the vehicle
        cannot make (rule ``"rate"``, zone named), a sortie past its tank.
    ValueError
        ``rates`` given without ``params.rate_control``, or the other way round.
    """
    if (rates is None) != (params.rate_control is None):
        raise ValueError("a rate map and params.rate_control go together")
    check_altitude(params.altitude_m, what="the spray altitude")
    limits = safety or SafetyLimits()
    if not targets:
        raise PlanRefused("nothing to spray", rule="empty")
    no_fly = [z.buffered for z in zones if z.no_fly]
    for z in zones:
        if z.no_fly and z.buffered.contains(shapely.Point(home)):
            raise PlanRefused(
                f"home is inside no-fly zone {z.id}", rule="no-fly", where=f"home, zone {z.id}"
            )

    cache: CoverageCache = {}

    def cover(headings: Mapping[str, float | None]) -> Covered:
        return cover_fields(
            [(t.id, t.field) for t in targets],
            home=home,
            swath_m=params.swath_m,
            zones=zones,
            rates=rates,
            headings={t.id: headings.get(t.id, params.heading_deg) for t in targets},
            cache=cache,
            min_coverage=params.min_coverage,
        )

    covered = cover({})
    route, per_field, planned = covered.route, covered.per_field, covered.planned
    if not any(leg.spray for leg in route):
        raise PlanRefused(
            "nothing is left to spray once the zones and their buffers are taken out",
            rule="empty",
            where=", ".join(t.id for t in targets),
        )

    leg_rates = None
    if rates is not None and params.rate_control is not None:
        route, leg_rates = apply_rates(
            route,
            rates,
            params.rate_control,
            swath_m=params.swath_m,
            speed_m_s=params.speed_m_s,
        )

    def split(route: list[RouteLeg], leg_rates: list[SprayRate | None] | None) -> list[Leg]:
        return split_sorties(
            route,
            home=home,
            limits=params.limits(),
            altitude_m=params.altitude_m,
            describe=lambda point: lat_lon(crs, point),
            path_between=lambda a, b: hop(a, b, no_fly).path,
            rates=leg_rates,
        )

    legs = split(route, leg_rates)
    if rates is None and params.heading_deg is None and any(leg.sortie > 1 for leg in legs):
        # Each field's shortest passes need not make the quickest mission once cut
        # into sorties (see quicker_headings).
        covered, legs = quicker_headings(
            covered,
            legs,
            cover=cover,
            split=lambda c: split(c.route, None),
            limits=params.limits(),
        )
        route, per_field, planned = covered.route, covered.per_field, covered.planned
    fence = fence_around(
        [*(t.field for t in targets), shapely.Point(home), *(LineString(leg.path) for leg in legs)],
        margin_m=params.fence_margin_m,
        exclude=[z.buffered for z in zones if z.no_fly],
    )
    plan = FlightPlan(
        kind="spray",
        crs=crs,
        home=home,
        legs=tuple(legs),
        fence=fence,
        rally=(rally_point(home, fence),),
        takeoff_altitude_m=params.altitude_m,
        sprayer=params.sprayer,
        sprayer_servo=params.sprayer_servo,
        permissions=permissions_for(
            legs, zones, spraying=True, people_distance_m=limits.people_distance_m
        ),
        stats=_stats(legs, params, per_field, home),
    )
    check_plan(
        plan,
        zones=zones,
        swath_m=params.swath_m,
        limits=safety or SafetyLimits(),
        sortie=params.limits(),
    )
    if rates is None:
        return plan
    _check_tank(plan, params.limits())
    summary = rate_summary(legs, rates, shapely.union_all(planned))
    return replace(plan, stats={**plan.stats, **_rate_stats(params, summary, legs)})


def _check_tank(plan: FlightPlan, limits: SortieLimits) -> None:
    """Each sortie within its tank, counted in litres at each leg's rate."""
    if limits.tank_l is None:
        return
    for n in range(1, plan.sorties + 1):
        used = sortie_liquid_l([leg for leg in plan.legs if leg.sortie == n])
        if used > limits.tank_l + 1e-6:
            raise PlanRefused(
                f"sortie {n} sprays {used:.2f} L; the tank holds {limits.tank_l:g} L",
                rule="tank",
                where=f"sortie {n}",
            )


def _rate_stats(
    params: SprayParams, summary: dict[str, dict[str, float]], legs: Sequence[Leg]
) -> dict[str, object]:
    """The variable-rate figures; ``rate_l_ha`` 0, as no one rate holds (a vehicle set up
    from it would hold that rate whatever the speed)."""
    assert params.rate_control is not None
    stats: dict[str, object] = {
        "variable_rate": params.rate_control.mode.value,
        "rate_l_ha": 0.0,
        "volume_l": sum(row["planned_l"] for row in summary.values()),
        "product_l": sortie_liquid_l(legs),
        "rate_zones": summary,
    }
    if params.rate_control.flow_l_min is not None:
        stats["pump_flow_l_min"] = params.rate_control.flow_l_min
    return stats


def _stats(
    legs: Sequence[Leg],
    params: SprayParams,
    per_field: dict[str, dict[str, float]],
    home: Point,
) -> dict[str, object]:
    sprayed_m = sum(leg.length_m for leg in legs if leg.action == Action.SPRAY)
    by_speed: dict[float, float] = {}  # one speed at one rate: exactly sprayed_m / speed
    for leg in legs:
        if leg.action == Action.SPRAY:
            by_speed[leg.speed_m_s] = by_speed.get(leg.speed_m_s, 0.0) + leg.length_m
    path_m = sum(leg.length_m for leg in legs)
    sorties = max((leg.sortie for leg in legs), default=0)
    # Hops between passes (the flights out from and back to home are not turns), and the
    # sprayed legs' corners as the share of a U-turn they turn through.
    turns = sum(
        1 for leg in legs if leg.action == Action.TRANSIT and home not in (leg.start, leg.end)
    ) + sum(corner_turns(leg.path) for leg in legs if leg.action == Action.SPRAY)
    area = sum(f["area_m2"] for f in per_field.values())
    covered = sum(f["area_m2"] * f["coverage"] for f in per_field.values())
    est = (
        sum(length / speed for speed, length in by_speed.items())
        + (path_m - sprayed_m) / params.transit_speed_m_s
        + turns * params.turn_time_s
        + sorties * params.limits().climb_descent_s
    )
    return {
        "area_ha": area / 10_000.0,
        "path_m": path_m,
        "sprayed_m": sprayed_m,
        "turns": round(turns),
        "sorties": sorties,
        "est_time_s": est,
        "coverage": covered / area if area > 0 else 0.0,
        "volume_l": (params.rate_l_ha or 0.0) * area / 10_000.0,
        "swath_m": params.swath_m,
        "rate_l_ha": params.rate_l_ha or 0.0,
        "speed_m_s": params.speed_m_s,
        "fields": per_field,
    }
