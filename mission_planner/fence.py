"""The geofence and rally point that go with every plan.

>>> from shapely import box
>>> fence = fence_around([box(0, 0, 30, 100)], margin_m=20.0)
>>> round(fence.area), fence.contains(box(-19, 0, 49, 100))
(9331, True)
"""

from collections.abc import Iterable

import shapely
import shapely.ops
from shapely import Polygon
from shapely.geometry.base import BaseGeometry

from mission_planner.plan import Point

__all__ = ["DEFAULT_FENCE_MARGIN_M", "MAX_FENCE_VERTICES", "fence_around", "rally_point"]

DEFAULT_FENCE_MARGIN_M = 30.0
"""How far the inclusion fence stands outside everything the plan flies over."""


MAX_FENCE_VERTICES = 40
"""Fence points an autopilot keeps comfortably (ArduPilot's FENCE_TOTAL is often 20-70)."""


def fence_around(
    shapes: Iterable[BaseGeometry],
    *,
    margin_m: float = DEFAULT_FENCE_MARGIN_M,
    exclude: Iterable[BaseGeometry] = (),
) -> Polygon:
    """An inclusion fence round the work area, home and paths, with no-fly holes.

    The convex hull, simplified until the fence has at most
    :data:`MAX_FENCE_VERTICES` points, is grown by ``margin_m`` (more than the
    simplification moved it, so everything stays inside). Each of ``exclude`` lying
    wholly inside becomes a hole: an exclusion polygon for the autopilot.

    Raises
    ------
    ValueError
        Nothing to fence.
    """
    if not margin_m > 0:
        raise ValueError(f"the fence margin must be above 0 m, not {margin_m}")
    hull = shapely.union_all(list(shapes)).convex_hull
    if hull.is_empty:
        raise ValueError("the work area is empty: nothing to fence")
    tolerance = margin_m / 8.0
    while True:
        simple = hull.simplify(tolerance) if hull.geom_type == "Polygon" else hull
        fence = simple.buffer(margin_m, quad_segs=2, join_style="round")
        if len(fence.exterior.coords) - 1 <= MAX_FENCE_VERTICES or tolerance > margin_m / 2:
            break
        tolerance *= 1.5
    outer = shapely.Polygon(fence.exterior.coords)
    # Overlapping zones become one hole; a zone across the fence line cannot be a hole
    # (the fence would split), so only zones wholly inside are excluded.
    blocked = shapely.union_all([z for z in exclude if not z.is_empty])
    holes = [
        part.exterior.coords
        for part in shapely.get_parts(blocked)
        if isinstance(part, Polygon) and outer.contains(part)
    ]
    return shapely.Polygon(outer.exterior.coords, holes) if holes else outer


def rally_point(home: Point, fence: Polygon) -> Point:
    """A safe alternative landing point: home itself when it lies inside the fence,
    else the nearest point well inside it."""
    here = shapely.Point(home)
    if fence.contains(here):
        return home
    inner = fence.buffer(-1.0)
    nearest = shapely.ops.nearest_points(inner if not inner.is_empty else fence, here)[0]
    return (float(nearest.x), float(nearest.y))
