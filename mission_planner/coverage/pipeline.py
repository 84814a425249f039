"""The coverage pipeline: headland → swaths at the best heading → order → the flown route."""

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import shapely
import shapely.ops
from shapely import LineString
from shapely.geometry.base import BaseGeometry

from mission_planner.coverage.headland import PerimeterPasses
from mission_planner.coverage.order import NearestEndOrder
from mission_planner.coverage.stages import HeadlandGenerator, RouteOrder, Swath, SwathGenerator
from mission_planner.coverage.swaths import StripSwaths, best_of, candidate_angles
from mission_planner.metrics import spray_footprint
from mission_planner.plan import Point

__all__ = ["CoverageRoute", "RouteLeg", "plan_coverage"]


@dataclass(frozen=True, kw_only=True, slots=True)
class RouteLeg:
    """A piece of the route: sprayed, or flown with the sprayer off."""

    path: tuple[Point, ...]
    spray: bool

    @property
    def length_m(self) -> float:
        """Length along the path."""
        return sum(math.dist(a, b) for a, b in itertools.pairwise(self.path))


@dataclass(frozen=True, kw_only=True, slots=True)
class CoverageRoute:
    """The flown route over one sprayable area, from its first to its last sprayed point."""

    legs: tuple[RouteLeg, ...]
    heading_deg: float
    swaths: int
    rings: int
    alternatives: tuple[float, ...] = ()
    """The other headings weighed for this area, next shortest first (those planned in
    full, then the rest by the quick estimate): a mission cut into sorties may be shorter
    with one of them (see :func:`~mission_planner.spray.plan_spray`)."""

    @property
    def length_m(self) -> float:
        """Total length, turns and hops included."""
        return sum(leg.length_m for leg in self.legs)

    @property
    def spray_length_m(self) -> float:
        """Length flown with the sprayer on."""
        return sum(leg.length_m for leg in self.legs if leg.spray)

    @property
    def turns(self) -> int:
        """Hops between sprayed passes."""
        return sum(1 for leg in self.legs if not leg.spray)


def _loop_from(ring: LineString, point: Point) -> tuple[Point, ...]:
    """A closed ring flown from its point nearest to ``point`` all the way round."""
    at = ring.project(shapely.Point(point))
    coords = list(ring.coords)
    if at <= 0 or at >= ring.length:
        return tuple((float(x), float(y)) for x, y in coords)
    head = shapely.ops.substring(ring, at, ring.length)
    tail = shapely.ops.substring(ring, 0, at)
    path = [*head.coords, *list(tail.coords)[1:]]
    return tuple((float(x), float(y)) for x, y in path)


def _with_rings(
    paths: list[tuple[Point, ...]], rings: Sequence[LineString]
) -> list[tuple[Point, ...]]:
    """Each ring (round a hole or a zone) flown whole where the route passes closest to it.

    A ring goes between the two sprayed paths where the detour to it and on costs least,
    entered at its point nearest the first of them: flown before every swath, as all
    rings once were, a hole in the middle of a field cost two hops of half its width.
    """
    paths = list(paths)
    for ring in rings:
        if not paths:
            paths.append(_loop_from(ring, ring.coords[0]))
            continue
        best: tuple[float, int, tuple[Point, ...]] | None = None
        for i in range(1, len(paths) + 1):
            p = paths[i - 1][-1]
            loop = _loop_from(ring, p)
            cost = math.dist(p, loop[0])
            if i < len(paths):
                q = paths[i][0]
                cost += math.dist(loop[-1], q) - math.dist(p, q)
            if best is None or cost < best[0]:
                best = (cost, i, loop)
        assert best is not None
        paths.insert(best[1], best[2])
    return paths


def _fly(paths: Sequence[tuple[Point, ...]], start: Point) -> list[RouteLeg]:
    """Sprayed paths in order, joined by sprayer-off hops."""
    legs: list[RouteLeg] = []
    here = start
    for path in paths:
        if here != path[0]:
            legs.append(RouteLeg(path=(here, path[0]), spray=False))
        legs.append(RouteLeg(path=path, spray=True))
        here = path[-1]
    return legs


def _fly_swaths(swaths: Sequence[Swath], start: Point) -> list[RouteLeg]:
    legs: list[RouteLeg] = []
    here = start
    for swath in swaths:
        if here != swath.start:
            legs.append(RouteLeg(path=(here, swath.start), spray=False))
        legs.append(RouteLeg(path=(swath.start, swath.end), spray=True))
        here = swath.end
    return legs


EXACT_HEADINGS = 2
"""Headings planned in full, the best by the quick estimate; the rest are only named as
alternatives."""


def plan_coverage(
    area: BaseGeometry,
    width_m: float,
    *,
    heading_deg: float | None = None,
    start: Point | None = None,
    keep_out: BaseGeometry | None = None,
    headland: HeadlandGenerator | None = None,
    swaths: SwathGenerator | None = None,
    order: RouteOrder | None = None,
) -> CoverageRoute:
    """Plan the spray route over a sprayable area.

    Parameters
    ----------
    area
        Where spraying is allowed (the field minus its buffered no-spray zones), metres.
    width_m
        Swath (spray) width.
    heading_deg
        Swath heading, degrees clockwise from north; ``None`` tries the field's edge
        directions and keeps the one with the shortest route.
    start
        Where the drone comes from (home, or the previous field); the route begins
        at the sprayed point nearest to it.
    keep_out
        Where no spray may ever land (zones with their buffers). An area narrower
        than a swath everywhere gets single passes whose footprint may cross its
        edge by up to half a swath — but never into ``keep_out``.

    Returns
    -------
    CoverageRoute
        Sprayed legs and the sprayer-off hops between them, in flight order.
    """
    headland = headland or PerimeterPasses()
    swaths = swaths or StripSwaths()
    order = order or NearestEndOrder()
    if area.is_empty:
        return CoverageRoute(legs=(), heading_deg=heading_deg or 0.0, swaths=0, rings=0)
    parts = [p for p in shapely.get_parts(area) if p.area > 1e-6]
    if len(parts) > 1:
        # Each part on its own, so a part narrower than a swath still gets its pass.
        return _plan_parts(parts, width_m, heading_deg, start, keep_out, headland, swaths, order)
    head = headland.headland(area, width_m)
    footprint_room = area
    if not head.passes:
        footprint_room = area.buffer(width_m / 2.0)
        if keep_out is not None:
            footprint_room = footprint_room.difference(keep_out)
    untried: list[float] = []
    if heading_deg is not None:
        headings = [heading_deg % 180.0]
    else:
        shape = head.interior if not head.interior.is_empty else area
        candidates = candidate_angles(shape)
        ranked = best_of(candidates, shape, width_m, top=len(candidates))
        headings, untried = ranked[:EXACT_HEADINGS], ranked[EXACT_HEADINGS:]
    origin = start if start is not None else _corner(area)
    routes: list[CoverageRoute] = []
    for h in headings:
        laid = swaths.swaths(footprint_room, head.interior, width_m, h)
        # Enter the rings beside the swath the sweep will begin with, so that the hop
        # from the rings to the swaths is short.
        first = order.order(laid, origin)[:1]
        entry = first[0].start if first else origin
        # The ring nearest the first swath (the boundary beside it) first, flown whole;
        # the others (round holes and zones) where the sweep passes them.
        rings = sorted(head.passes, key=lambda r: r.distance(shapely.Point(entry)))
        paths = [_loop_from(rings[0], entry)] if rings else []
        ordered = order.order(laid, paths[0][-1] if paths else entry)
        paths += [(sw.start, sw.end) for sw in ordered]
        legs = _fly(_with_rings(paths, rings[1:]), entry)
        if legs and not legs[0].spray:
            legs.pop(0)
        routes.append(
            CoverageRoute(
                legs=tuple(legs), heading_deg=h, swaths=len(ordered), rings=len(head.passes)
            )
        )
    best, *others = sorted(routes, key=lambda r: r.length_m)
    best = replace(best, alternatives=(*(r.heading_deg for r in others), *untried))
    return _with_leftovers(best, area, width_m, keep_out, swaths, order)


MIN_LEFTOVER_M2 = 2.0
MIN_LEFTOVER_SHARE = 0.005
"""Unsprayed pieces smaller than 2 m² or 0.5 % of the area are left: the corner tips of a
perimeter pass and the slivers a saved pass leaves cost more path than they are worth."""


def _with_leftovers(
    route: CoverageRoute,
    area: BaseGeometry,
    width_m: float,
    keep_out: BaseGeometry | None,
    swaths: SwathGenerator,
    order: RouteOrder,
) -> CoverageRoute:
    """Extra passes along whatever the route left unsprayed (a neck narrower than a swath).

    Each piece is swept along its long axis, inside the area where a pass fits; where
    none does (a neck narrower than a swath), a footprint may spill up to half a swath
    past the area's edge — never into ``keep_out``, and never more than half the piece.
    """
    if not route.legs:
        return route
    sprayed = spray_footprint([leg.path for leg in route.legs if leg.spray], width_m)
    least = max(MIN_LEFTOVER_M2, MIN_LEFTOVER_SHARE * area.area)
    pieces = [p for p in shapely.get_parts(area.difference(sprayed)) if p.area >= least]
    if not pieces:
        return route
    spill = area.buffer(width_m / 2.0)
    if keep_out is not None:
        spill = spill.difference(keep_out)
    extra: list[Swath] = []
    for piece in pieces:
        rect = piece.minimum_rotated_rectangle
        xy = list(rect.exterior.coords) if rect.geom_type == "Polygon" else []
        if len(xy) < 4:
            continue
        sides = [
            (xy[1][0] - xy[0][0], xy[1][1] - xy[0][1]),
            (xy[2][0] - xy[1][0], xy[2][1] - xy[1][1]),
        ]
        dx, dy = max(sides, key=lambda d: d[0] ** 2 + d[1] ** 2)
        heading = math.degrees(math.atan2(dx, dy)) % 180.0
        # Inside the area if a pass fits there; past its edge only where none does, and
        # only where that sprays more of the piece than it spills (a neck, not a corner).
        inside = swaths.swaths(area, piece, width_m, heading)
        if inside:
            extra.extend(inside)
            continue
        outside = swaths.swaths(spill, piece, width_m, heading)
        footprint = spray_footprint([(s.start, s.end) for s in outside], width_m)
        if outside and footprint.difference(area).area <= 0.5 * piece.area:
            extra.extend(outside)
    if not extra:
        return route
    here = route.legs[-1].path[-1]
    legs = list(route.legs) + _fly_swaths(order.order(extra, here), here)
    return CoverageRoute(
        legs=tuple(legs),
        heading_deg=route.heading_deg,
        swaths=route.swaths + len(extra),
        rings=route.rings,
        alternatives=route.alternatives,
    )


def _plan_parts(
    parts: list[BaseGeometry],
    width_m: float,
    heading_deg: float | None,
    start: Point | None,
    keep_out: BaseGeometry | None,
    headland: HeadlandGenerator,
    swaths: SwathGenerator,
    order: RouteOrder,
) -> CoverageRoute:
    """The parts of an area one after the other, nearest first, joined by hops."""
    here = start if start is not None else _corner(shapely.union_all(parts))
    legs: list[RouteLeg] = []
    counts = [0, 0]
    heading = heading_deg
    remaining = list(parts)
    while remaining:
        part = min(remaining, key=lambda p: p.distance(shapely.Point(here)))
        remaining.remove(part)
        route = plan_coverage(
            part,
            width_m,
            heading_deg=heading_deg,
            start=here,
            keep_out=keep_out,
            headland=headland,
            swaths=swaths,
            order=order,
        )
        if not route.legs:
            continue
        if legs:
            legs.append(RouteLeg(path=(here, route.legs[0].path[0]), spray=False))
        legs.extend(route.legs)
        here = route.legs[-1].path[-1]
        counts[0] += route.swaths
        counts[1] += route.rings
        heading = route.heading_deg if heading is None else heading
    return CoverageRoute(
        legs=tuple(legs), heading_deg=heading or 0.0, swaths=counts[0], rings=counts[1]
    )


def _corner(area: BaseGeometry) -> Point:
    x, y, _, _ = area.bounds
    return (float(x), float(y))
