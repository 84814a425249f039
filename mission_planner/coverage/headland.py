"""Perimeter passes: rings flown half a swath (and then whole swaths) inside the boundary.

A pass at half a swath from the edge sprays the outer band right up to the edge
without drifting over it; around holes and no-spray zones the same rings keep the
spray off them. What the rings leave is the interior for the swaths.

>>> from shapely import box
>>> head = PerimeterPasses().headland(box(0, 0, 30, 100), width_m=5.0)
>>> [round(r.length) for r in head.passes], head.interior.bounds
([240], (5.0, 5.0, 25.0, 95.0))
"""

from dataclasses import dataclass

import shapely
from shapely import LineString, Polygon
from shapely.geometry.base import BaseGeometry

from mission_planner.coverage.stages import Headland

__all__ = ["PerimeterPasses"]

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
class PerimeterPasses:
    """``passes`` rings, the first at half a swath inside the edge, each next a swath further in."""

    passes: int = 1

    def headland(self, area: BaseGeometry, width_m: float) -> Headland:
        """Perimeter passes over ``area`` (metres) and the interior they leave.

        A field narrower than a swath gets no ring; the swath stage covers it.
        """
        if width_m <= 0:
            raise ValueError("the swath width must be positive")
        rings: list[LineString] = []
        for i in range(self.passes):
            rings.extend(_rings(area.buffer(-(i + 0.5) * width_m)))
        interior = area.buffer(-self.passes * width_m) if rings else area
        return Headland(passes=tuple(rings), interior=interior)
