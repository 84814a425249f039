"""Coverage measured independently of any planner's bookkeeping.

The sprayed footprint is the union of the spray legs, each buffered by half the
swath with flat ends (the boom stops where the leg stops). Coverage is the share
of the sprayable area inside it; overspray is footprint outside the field, and
zone spray is footprint over the field but off the sprayable area (a no-spray
zone with its buffer). The same checker serves every planner, the tests and the
benchmark.

For a variable rate, :func:`measure_application` says how much liquid lands in
each zone: every leg's footprint carries its rate, wherever the leg was cut, so a
pass that straddles a boundary counts on both sides as it would in the field.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import shapely
from shapely import LineString
from shapely.geometry.base import BaseGeometry

from mission_planner.plan import Point

__all__ = ["CoverageMetrics", "measure_application", "measure_coverage", "spray_footprint"]

_GRID_M = 1e-6


@dataclass(frozen=True, kw_only=True, slots=True)
class CoverageMetrics:
    """How well a set of spray legs covers an area."""

    coverage: float
    """Share of the sprayable area sprayed, 0..1."""
    overspray: float
    """Footprint outside the field, as a share of the field's area."""
    zone_spray_m2: float
    """Footprint inside the field but outside the sprayable area (over no-spray zones)."""
    sprayed_m2: float
    """Footprint area."""


def spray_footprint(paths: Iterable[Sequence[Point]], width_m: float) -> BaseGeometry:
    """The union of the spray legs buffered by half the swath, flat-ended."""
    lines = [LineString(p) for p in paths if len(p) >= 2]
    if not lines:
        return shapely.Polygon()
    # Neighbouring passes share edges up to floating-point noise; GEOS 3.14's union
    # drops whole rectangles on such input, so snap to a micrometre grid first.
    return shapely.union_all(
        shapely.buffer(lines, width_m / 2.0, cap_style="flat"), grid_size=_GRID_M
    )


def measure_coverage(
    paths: Iterable[Sequence[Point]],
    width_m: float,
    *,
    sprayable: BaseGeometry,
    field: BaseGeometry,
) -> CoverageMetrics:
    """Coverage of ``sprayable`` and spray outside it, all in the same metric CRS.

    >>> from shapely import box
    >>> square = box(0, 0, 10, 10)
    >>> m = measure_coverage([[(0, 2.5), (10, 2.5)]], 5.0, sprayable=square, field=square)
    >>> round(m.coverage, 3), m.overspray, m.zone_spray_m2
    (0.5, 0.0, 0.0)
    """
    footprint = spray_footprint(paths, width_m)
    field_area = float(field.area) or 1.0
    sprayable_area = float(sprayable.area)
    covered = float(footprint.intersection(sprayable).area)
    return CoverageMetrics(
        coverage=covered / sprayable_area if sprayable_area > 0 else 1.0,
        overspray=float(footprint.difference(field).area) / field_area,
        zone_spray_m2=float(footprint.intersection(field).difference(sprayable).area),
        sprayed_m2=float(footprint.area),
    )


def measure_application(
    legs: Iterable[tuple[Sequence[Point], float]],
    width_m: float,
    zones: Mapping[str, BaseGeometry],
) -> dict[str, float]:
    """Litres landing in each zone from legs sprayed at their rates (L/ha), same metric CRS.

    Each leg's flat-ended footprint is taken at its own rate, overlaps counted twice
    (they are sprayed twice).

    >>> from shapely import box
    >>> legs = [([(0, 2.5), (100, 2.5)], 20.0)]
    >>> measure_application(legs, 5.0, {"west": box(0, 0, 50, 5), "east": box(50, 0, 100, 5)})
    {'west': 0.5, 'east': 0.5}
    """
    applied = dict.fromkeys(zones, 0.0)
    for path, rate_l_ha in legs:
        if len(path) < 2:
            continue
        footprint = LineString(path).buffer(width_m / 2.0, cap_style="flat")
        for label, zone in zones.items():
            applied[label] += rate_l_ha * float(footprint.intersection(zone).area) / 10_000.0
    return applied
