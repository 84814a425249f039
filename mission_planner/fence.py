"""The geofence and rally point that go with every plan.

>>> from shapely import box
>>> fence = fence_around([box(0, 0, 30, 100)], margin_m=20.0)
>>> round(fence.area), fence.contains(box(-19, 0, 49, 100))
(9425, True)
"""

from collections.abc import Iterable

import shapely
import shapely.ops
from shapely import Polygon
from shapely.geometry.base import BaseGeometry

from mission_planner.plan import Point

__all__ = ["DEFAULT_FENCE_MARGIN_M", "fence_around", "rally_point"]

DEFAULT_FENCE_MARGIN_M = 30.0
"""How far the inclusion fence stands outside everything the plan flies over."""


def fence_around(
    shapes: Iterable[BaseGeometry], *, margin_m: float = DEFAULT_FENCE_MARGIN_M
) -> Polygon:
    """An inclusion fence: the convex hull of the work area, home and paths, grown by a margin.

    A few dozen vertices at most (autopilots keep fence points in limited memory).
    """
    hull = shapely.union_all(list(shapes)).convex_hull
    fence = hull.buffer(margin_m, quad_segs=4, join_style="round")
    if not isinstance(fence, Polygon):
        raise ValueError("the work area is empty: nothing to fence")
    return shapely.Polygon(fence.exterior.coords)


def rally_point(home: Point, fence: Polygon) -> Point:
    """A safe alternative landing point: home itself when it lies inside the fence,
    else the nearest point of the fence's interior."""
    here = shapely.Point(home)
    if fence.contains(here):
        return home
    inner = fence.buffer(-1.0)
    nearest = shapely.ops.nearest_points(inner, here)[0]
    return (float(nearest.x), float(nearest.y))
