"""The shortest way from one point to another around no-fly zones: a visibility graph.

The zones are merged and grown by ``clearance_m`` (round corners of a few vertices,
simplified by a quarter of the clearance); the grown shapes' outward corners and the
two end points are the graph's nodes. Two nodes are joined when the segment between
them is tangent to the shapes at both ends — only such segments can lie on a shortest
path — and keeps at least half the clearance from every zone (a segment from an end
point that is itself closer than that need only miss the zones). Dijkstra's shortest
path over the graph (networkx) is then the shortest polyline round the grown zones.
As corners stand a full clearance out, a gap between zones narrower than twice the
clearance is never turned in; only a straight segment between end points crosses it.

>>> from shapely import box
>>> path = shortest_path_around((0.0, 0.0), (100.0, 0.0), [box(40, -10, 60, 30)], clearance_m=2.0)
>>> [(round(x), round(y)) for x, y in path]
[(0, 0), (40, -12), (60, -12), (100, 0)]
>>> shortest_path_around((0.0, 0.0), (100.0, 0.0), [])
((0.0, 0.0), (100.0, 0.0))
"""

from collections.abc import Iterable, Sequence

import networkx as nx
import numpy as np
import numpy.typing as npt
import shapely
from shapely import LineString, MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from mission_planner.plan import Point

__all__ = ["DEFAULT_CLEARANCE_M", "shortest_path_around"]

Array = npt.NDArray[np.float64]

DEFAULT_CLEARANCE_M = 2.0
"""How far outside a (buffered) zone the path's corners stand, in metres."""


def shortest_path_around(
    start: Point,
    goal: Point,
    zones: Sequence[BaseGeometry],
    *,
    clearance_m: float = DEFAULT_CLEARANCE_M,
) -> tuple[Point, ...] | None:
    """The shortest polyline from ``start`` to ``goal`` that touches no zone.

    Parameters
    ----------
    start, goal
        End points in local metres.
    zones
        Polygons (or multipolygons) to keep out of, in the same metres; they may overlap.
    clearance_m
        How far the path's corners stand outside the zones, m; straight stretches keep
        at least half of it (except those leaving or reaching an end point that is
        itself closer).

    Returns
    -------
    tuple[Point, ...] or None
        The path from ``start`` to ``goal`` (just the two when nothing is in the way),
        or None when an end point lies in a zone or the zones wall it in.
    """
    polygons = [p for zone in zones for p in _polygons(zone)]
    direct = (start, goal)
    if not polygons:
        return direct
    blocked = shapely.union_all(polygons)
    ends = [shapely.Point(start), shapely.Point(goal)]
    if any(blocked.intersects(end) for end in ends):
        return None
    keep_out = blocked.buffer(clearance_m / 2, quad_segs=4) if clearance_m > 0 else blocked
    shapely.prepare(keep_out)
    shapely.prepare(blocked)
    # An end point inside the keep-out band may leave it: its segments need only miss the zones.
    crowded = [bool(keep_out.intersects(end)) for end in ends]
    line = LineString(direct)
    # The zones themselves are always tested too: a buffer by a hair's breadth may round.
    if not blocked.intersects(line) and (any(crowded) or not keep_out.intersects(line)):
        return direct
    corners, before, after = _corners(blocked, clearance_m)
    ends_xy = np.array([start, goal], dtype=float)
    nodes = np.concatenate((ends_xy, corners))
    a, b = _bitangent_pairs(
        nodes, np.concatenate((ends_xy, before)), np.concatenate((ends_xy, after))
    )
    segments = shapely.linestrings(np.stack((nodes[a], nodes[b]), axis=1))
    relaxed = ((a < 2) & np.take(crowded, np.minimum(a, 1))) | (
        (b < 2) & np.take(crowded, np.minimum(b, 1))
    )
    hits = shapely.intersects(blocked, segments)
    hits[~relaxed] |= shapely.intersects(keep_out, segments[~relaxed])
    graph = nx.Graph()
    graph.add_nodes_from(range(len(nodes)))
    lengths = np.hypot(*(nodes[b] - nodes[a]).T)
    graph.add_weighted_edges_from(
        (int(i), int(j), float(w))
        for i, j, w in zip(a[~hits], b[~hits], lengths[~hits], strict=True)
    )
    try:
        order: list[int] = nx.shortest_path(graph, 0, 1, weight="weight")
    except nx.NetworkXNoPath:
        return None
    inner = [(float(x), float(y)) for x, y in nodes[order[1:-1]]]
    return (start, *inner, goal)


def _bitangent_pairs(
    nodes: Array, before: Array, after: Array
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Node pairs whose line leaves both nodes' ring neighbours on one side.

    Only such segments can lie on a shortest path (one bending round a corner never
    cuts into the shape there). Every pair with an end point (nodes 0 and 1) is kept:
    an end point may lie within the grown shapes, where tangency says nothing.
    """
    a, b = np.triu_indices(len(nodes), k=1)
    d = nodes[b] - nodes[a]

    def one_side(at: npt.NDArray[np.intp]) -> npt.NDArray[np.bool_]:
        p, q = before[at] - nodes[at], after[at] - nodes[at]
        return (d[:, 0] * p[:, 1] - d[:, 1] * p[:, 0]) * (
            d[:, 0] * q[:, 1] - d[:, 1] * q[:, 0]
        ) >= 0

    keep = (a < 2) | (one_side(a) & one_side(b))
    return a[keep], b[keep]


def _polygons(geom: BaseGeometry) -> Iterable[Polygon]:
    if isinstance(geom, Polygon):
        return [] if geom.is_empty else [geom]
    if isinstance(geom, MultiPolygon):
        return [p for p in geom.geoms if not p.is_empty]
    return [p for part in getattr(geom, "geoms", ()) for p in _polygons(part)]


def _corners(blocked: BaseGeometry, clearance_m: float) -> tuple[Array, Array, Array]:
    """The outward-pointing corners of the zones grown by the clearance (and every hole corner),
    each with its ring neighbours before and after it."""
    grown = blocked.buffer(max(clearance_m, 1e-3), quad_segs=2)
    if clearance_m > 0:
        grown = grown.simplify(clearance_m / 4)
    found: list[tuple[Array, Array, Array]] = []
    for polygon in _polygons(grown):
        shell = shapely.orient_polygons(polygon)  # shell counter-clockwise
        for index, ring in enumerate((shell.exterior, *shell.interiors)):
            xy = np.asarray(ring.coords)[:-1]
            before, after = np.roll(xy, 1, axis=0), np.roll(xy, -1, axis=0)
            into, out = xy - before, after - xy
            turn = into[:, 0] * out[:, 1] - into[:, 1] * out[:, 0]
            corner = turn > 0 if index == 0 else np.ones(len(xy), dtype=bool)
            found.append((xy[corner], before[corner], after[corner]))
    if not found:
        empty = np.empty((0, 2))
        return empty, empty, empty
    xy, before, after = (np.concatenate(parts) for parts in zip(*found, strict=True))
    return xy, before, after
