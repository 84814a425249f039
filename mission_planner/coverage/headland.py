"""Perimeter passes: rings flown half a swath (and then whole swaths) inside the boundary.

A pass at half a swath from the edge sprays the outer band right up to the edge
without drifting over it; around holes and no-spray zones the same rings keep the
spray off them. What the rings leave is the interior for the swaths.

Each further ring sprays the next band in, a swath wide, with no overlap and no
turn at its ends; what it cannot reach is measured exactly as it is planned (see
:class:`RingLevel`), so a planner can weigh one more ring against what it leaves.

>>> from shapely import box
>>> head = PerimeterPasses().headland(box(0, 0, 30, 100), width_m=5.0)
>>> [round(r.length) for r in head.passes], head.interior.bounds
([240], (5.0, 5.0, 25.0, 95.0))
>>> [round(level.gap_m2, 2) for level in ring_levels(box(0, 0, 30, 100), 5.0, limit=3)]
[5.37, 5.37, 5.37]
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from shapely import LineString, Polygon
from shapely.geometry.base import BaseGeometry

from mission_planner.coverage.stages import Headland

__all__ = ["PerimeterPasses", "RingLevel", "headland_of", "ring_levels"]

_MIN_RING_M = 1.0


def _rings(region: BaseGeometry) -> list[LineString]:
    rings: list[LineString] = []
    for part in shapely.get_parts(region):
        if not isinstance(part, Polygon) or part.is_empty:
            continue
        for ring in (part.exterior, *part.interiors):
            if ring.length >= _MIN_RING_M:
                rings.append(LineString(ring.coords))
    return rings


@dataclass(frozen=True, kw_only=True, slots=True)
class RingLevel:
    """The rings at one depth: the band a swath wide inside what the outer ones left.

    A ring's footprint (its line buffered by half a swath) is everything within half
    a swath of the line: the band it is flown in, less what a round footprint cannot
    reach — the tip of every convex corner (1.3 m² at a right angle for a 5 m swath)
    and any part narrower than a swath, where no ring fits. ``gap_m2`` estimates that
    unreached part: the tips by their formula, the parts with no ring by their area (a
    neck is not seen; the planner measures the route it keeps).
    """

    rings: tuple[LineString, ...]
    inside: BaseGeometry
    """What is left inside this level's rings: the next level's band and all within."""
    gap_m2: float
    """The part of the band the rings' footprints do not reach, estimated."""
    length_m: float


def ring_levels(
    area: BaseGeometry, width_m: float, *, limit: int, gap_budget_m2: float = math.inf
) -> list[RingLevel]:
    """Up to ``limit`` levels of rings over ``area``, outermost first.

    Stops where no ring fits any more (what is left is narrower than a swath), and
    after the first level whose gap takes the levels' total over ``gap_budget_m2``.
    """
    if width_m <= 0:
        raise ValueError("the swath width must be positive")
    levels: list[RingLevel] = []
    outer = area
    half = width_m / 2.0
    gaps_m2 = 0.0
    while len(levels) < limit and not outer.is_empty and gaps_m2 <= gap_budget_m2:
        # Each offset straight from the area: offsetting the last one again would
        # multiply the vertices of every rounded corner, level after level.
        depth = len(levels) * width_m
        lines = area.buffer(-(depth + half))
        rings = _rings(lines)
        if not rings:
            break
        parts = shapely.get_parts(outer)
        ringless = parts[~shapely.intersects(parts, lines)]
        levels.append(
            RingLevel(
                rings=tuple(rings),
                inside=area.buffer(-(depth + width_m)),
                gap_m2=_tips_m2(lines, half) + float(shapely.area(ringless).sum()),
                length_m=sum(r.length for r in rings),
            )
        )
        gaps_m2 += levels[-1].gap_m2
        outer = levels[-1].inside
    return levels


_MAX_TURN_RAD = math.radians(170.0)


def _tips_m2(region: BaseGeometry, half_m: float) -> float:
    """What round footprints along ``region``'s boundary leave outside it at convex corners.

    A corner turning by θ leaves ``r² (tan(θ/2) − θ/2)`` between the footprint's round
    join (radius r, half a swath) and the corner's two sides: 1.34 m² at a right angle
    for a 5 m swath. Rounded (concave) corners leave nothing.
    """
    total = 0.0
    for part in shapely.get_parts(shapely.orient_polygons(region)):
        for ring in (part.exterior, *part.interiors):
            xy = np.asarray(ring.coords)[:-1]
            if len(xy) < 3:
                continue
            before = xy - np.roll(xy, 1, axis=0)
            after = np.roll(xy, -1, axis=0) - xy
            cross = before[:, 0] * after[:, 1] - before[:, 1] * after[:, 0]
            dot = (before * after).sum(axis=1)
            turn = np.minimum(np.arctan2(cross, dot), _MAX_TURN_RAD)
            convex = turn[turn > 1e-9]
            total += float((half_m**2 * (np.tan(convex / 2) - convex / 2)).sum())
    return total


def headland_of(area: BaseGeometry, levels: Sequence[RingLevel]) -> Headland:
    """The headland the given levels make: their rings, and what the innermost leaves."""
    if not levels:
        return Headland(passes=(), interior=area, depths=())
    return Headland(
        passes=tuple(r for level in levels for r in level.rings),
        interior=levels[-1].inside,
        depths=tuple(d for d, level in enumerate(levels) for _ in level.rings),
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class PerimeterPasses:
    """``passes`` rings, the first at half a swath inside the edge, each next a swath further in."""

    passes: int = 1

    def headland(self, area: BaseGeometry, width_m: float) -> Headland:
        """Perimeter passes over ``area`` (metres) and the interior they leave.

        A field narrower than a swath gets no ring; the swath stage covers it, and so
        it does whatever is left where a further ring no longer fits.
        """
        return headland_of(area, ring_levels(area, width_m, limit=self.passes))
