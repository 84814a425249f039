"""Variable-rate spraying and spreading: the rate follows the zones of a prescription.

A prescription gives litres per hectare (or kg/ha) by zone, as a :class:`RateMap` in
the plan's metres; :mod:`mission_planner.rate_control` says how the vehicle makes
each rate (by speed or by pump output).

Each sprayed pass is cut where it crosses a zone boundary, so every sprayed leg has
one rate. The pieces of a pass meet end to start at the cuts, so their footprint,
and hence the coverage the independent check measures, is that of the uncut pass.
The change is commanded at the boundary waypoint; no lead distance is taken off,
so the metre or two the vehicle needs to change speed (WPNAV_ACCEL) or the pump
and nozzles need to settle gets the previous rate. Pieces shorter than
:data:`MIN_PIECE_M` are sprayed at their neighbour's rate, as no vehicle changes
rate in less.

Where no zone lies the map's ``default_rate_l_ha`` applies; with none, and inside
any zone of rate 0, nothing is sprayed: the area planned, and whose coverage is
measured, is then the sprayable area within the zones of positive rate.
"""

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import shapely
from shapely import LineString, MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from mission_planner.coverage import RouteLeg
from mission_planner.plan import Action, Leg, Point, SprayRate
from mission_planner.rate_control import VariableRateControl, spray_rate

__all__ = ["DEFAULT_ZONE", "MIN_PIECE_M", "RateMap", "RateZone", "apply_rates", "rate_summary"]

DEFAULT_ZONE = "(default)"
"""Label of the sprayable area outside every zone, sprayed at the map's default rate."""
MIN_PIECE_M = 0.5
"""Shortest piece of a pass given a rate of its own; shorter ones take a neighbour's."""

_OVERLAP_M2 = 0.01
_L_HA_TO_L_M2 = 1.0 / 10_000.0


@dataclass(frozen=True, kw_only=True, slots=True)
class RateZone:
    """One zone of a prescription, in the plan's local metres."""

    geometry: Polygon | MultiPolygon
    rate_l_ha: float
    """Rate over the zone, L/ha (kg/ha for granules); 0 is not sprayed."""
    label: str

    def __post_init__(self) -> None:
        if not self.label or self.label == DEFAULT_ZONE:
            raise ValueError(f"a rate zone needs a label other than {DEFAULT_ZONE!r}")
        if not (math.isfinite(self.rate_l_ha) and self.rate_l_ha >= 0):
            raise ValueError(f"zone {self.label}: rate {self.rate_l_ha} L/ha is not >= 0")
        if not isinstance(self.geometry, Polygon | MultiPolygon) or self.geometry.is_empty:
            raise ValueError(f"zone {self.label}: a rate zone is a non-empty (multi)polygon")
        if not self.geometry.is_valid:
            raise ValueError(f"zone {self.label}: {shapely.is_valid_reason(self.geometry)}")


@dataclass(frozen=True, kw_only=True, slots=True)
class RateMap:
    """The rate zones of a plan and the rate between them (None: not sprayed there).

    Zones may not overlap (by more than 0.01 m²), so every point has one rate.
    """

    zones: tuple[RateZone, ...]
    default_rate_l_ha: float | None = None

    def __post_init__(self) -> None:
        default = self.default_rate_l_ha
        if default is not None and not (math.isfinite(default) and default > 0):
            raise ValueError(f"default rate {default} L/ha is not > 0 (None: not sprayed)")
        labels = [z.label for z in self.zones]
        if len(set(labels)) != len(labels):
            raise ValueError(f"rate zone labels repeat: {labels}")
        for k, a in enumerate(self.zones):
            shapely.prepare(a.geometry)
            for b in self.zones[k + 1 :]:
                if a.geometry.intersection(b.geometry).area > _OVERLAP_M2:
                    raise ValueError(f"rate zones {a.label} and {b.label} overlap")

    def area_to_spray(self, sprayable: BaseGeometry) -> BaseGeometry:
        """The part of ``sprayable`` the map gives a positive rate."""
        if self.default_rate_l_ha is not None:
            nil = [z.geometry for z in self.zones if z.rate_l_ha == 0]
            return sprayable.difference(shapely.union_all(nil)) if nil else sprayable
        sprayed = [z.geometry for z in self.zones if z.rate_l_ha > 0]
        return sprayable.intersection(shapely.union_all(sprayed)) if sprayed else shapely.Polygon()

    def rate_at(self, point: Point) -> tuple[str, float]:
        """The zone label and rate at ``point``, on a sprayed pass.

        A point in no zone of positive rate has the default rate, or, with none, the
        nearest zone's (a pass planned inside the zones can graze their edge).
        """
        here = shapely.Point(point)
        positive = [z for z in self.zones if z.rate_l_ha > 0]
        for zone in positive:
            if zone.geometry.covers(here):
                return zone.label, zone.rate_l_ha
        if self.default_rate_l_ha is not None:
            return DEFAULT_ZONE, self.default_rate_l_ha
        if not positive:
            raise ValueError("the rate map sprays nowhere")
        nearest = min(positive, key=lambda z: z.geometry.distance(here))
        return nearest.label, nearest.rate_l_ha


def apply_rates(
    route: Sequence[RouteLeg],
    rates: RateMap,
    control: VariableRateControl,
    *,
    swath_m: float,
    speed_m_s: float,
) -> tuple[list[RouteLeg], list[SprayRate | None]]:
    """Cut each sprayed leg where it crosses a zone boundary and give each piece its rate.

    Returns
    -------
    tuple
        The route with its sprayed legs cut (hops unchanged, the pieces of a leg
        meeting end to start, the first starting and the last ending exactly where the
        leg did), and one :class:`SprayRate` per route leg (None for hops).

    Raises
    ------
    PlanRefused
        Rule ``"rate"``: a zone's rate cannot be made (see :func:`spray_rate`).
    """
    made: dict[str, SprayRate] = {}

    def setting(label: str, rate_l_ha: float) -> SprayRate:
        if label not in made:
            made[label] = spray_rate(
                label, rate_l_ha, control, swath_m=swath_m, speed_m_s=speed_m_s
            )
        return made[label]

    edges = shapely.union_all([z.geometry.boundary for z in rates.zones])
    legs: list[RouteLeg] = []
    leg_rates: list[SprayRate | None] = []
    for leg in route:
        if not leg.spray:
            legs.append(leg)
            leg_rates.append(None)
            continue
        for path, (label, rate) in _pieces(leg.path, edges, rates.rate_at):
            legs.append(RouteLeg(path=path, spray=True))
            leg_rates.append(setting(label, rate))
    return legs, leg_rates


def _pieces(
    path: tuple[Point, ...],
    edges: BaseGeometry,
    rate_at: Callable[[Point], tuple[str, float]],
) -> list[tuple[tuple[Point, ...], tuple[str, float]]]:
    """``path`` cut at the zone edges it crosses, each piece with the rate at its middle."""
    line = LineString(path)
    length = float(line.length)
    crossing = line.intersection(edges)
    at = sorted(
        {0.0, length}
        | {float(line.project(shapely.Point(xy))) for xy in shapely.get_coordinates(crossing)}
    )
    spans: list[tuple[float, float, tuple[str, float]]] = []
    for a, b in itertools.pairwise(at):
        if b - a <= 1e-9:
            continue
        middle = line.interpolate((a + b) / 2.0)
        zone = rate_at((float(middle.x), float(middle.y)))
        if spans and (spans[-1][2] == zone or b - a < MIN_PIECE_M):
            spans[-1] = (spans[-1][0], b, spans[-1][2])
        elif spans and spans[-1][1] - spans[-1][0] < MIN_PIECE_M:
            spans[-1] = (spans[-1][0], b, zone)
        else:
            spans.append((a, b, zone))
    return [(_slice(path, line, a, b, length), zone) for a, b, zone in spans]


def _slice(
    path: tuple[Point, ...], line: LineString, a: float, b: float, length: float
) -> tuple[Point, ...]:
    """The part of ``path`` from ``a`` to ``b`` metres along it, its own vertices kept."""

    def point(s: float) -> Point:
        if s <= 0.0:
            return path[0]
        if s >= length:
            return path[-1]
        p = line.interpolate(s)
        return (float(p.x), float(p.y))

    inner: list[Point] = []
    walked = 0.0
    for u, v in itertools.pairwise(path):
        walked += math.dist(u, v)
        if a + 1e-9 < walked < b - 1e-9:
            inner.append(v)
    return (point(a), *inner, point(b))


def rate_summary(
    legs: Sequence[Leg], rates: RateMap, sprayed: BaseGeometry
) -> dict[str, dict[str, float]]:
    """Per rate zone: what the prescription asks and what the plan releases.

    Parameters
    ----------
    legs
        The plan's legs; the rated ones count.
    sprayed
        The area planned (the sprayable area the map gives a positive rate), metres.

    Returns
    -------
    dict
        By zone label (``DEFAULT_ZONE`` for the default rate), zones with area or
        sprayed legs only: ``rate_l_ha``, ``area_ha`` (of ``sprayed`` in the zone),
        ``planned_l`` (rate × area), ``product_l`` (Σ rate × swath × length of its
        legs), ``sprayed_m``, ``speed_m_s`` and, when the pump sets the rate,
        ``pump_pwm_us``.
    """
    areas = {z.label: (z.rate_l_ha, z.geometry.intersection(sprayed).area) for z in rates.zones}
    if rates.default_rate_l_ha is not None:
        inside = shapely.union_all([z.geometry for z in rates.zones])
        areas[DEFAULT_ZONE] = (rates.default_rate_l_ha, sprayed.difference(inside).area)
    summary: dict[str, dict[str, float]] = {}
    for label, (rate_l_ha, area_m2) in areas.items():
        own = [leg for leg in legs if leg.rate is not None and leg.rate.zone == label]
        if area_m2 <= _OVERLAP_M2 and not own:
            continue
        row = {
            "rate_l_ha": float(rate_l_ha),
            "area_ha": area_m2 / 10_000.0,
            "planned_l": rate_l_ha * area_m2 * _L_HA_TO_L_M2,
            "product_l": sum(leg.product_l for leg in own),
            "sprayed_m": sum(leg.length_m for leg in own if leg.action == Action.SPRAY),
        }
        if own and (rate := own[0].rate) is not None:
            row["speed_m_s"] = rate.speed_m_s
            if rate.pump_pwm_us is not None:
                row["pump_pwm_us"] = float(rate.pump_pwm_us)
        summary[label] = row
    return summary
