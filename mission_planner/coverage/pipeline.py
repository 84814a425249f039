"""The coverage pipeline: headland → swaths at the best heading → order → the flown route."""

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import shapely
from shapely.geometry.base import BaseGeometry

from mission_planner.coverage.headland import RingLevel, headland_of, ring_levels
from mission_planner.coverage.order import NearestEndOrder
from mission_planner.coverage.rings import chains_of, fly_chain, with_chains
from mission_planner.coverage.stages import (
    Headland,
    HeadlandGenerator,
    RouteOrder,
    Swath,
    SwathGenerator,
)
from mission_planner.coverage.swaths import (
    StripSwaths,
    best_of,
    candidate_angles,
    quick_cost,
)
from mission_planner.metrics import spray_footprint
from mission_planner.plan import Point, corner_turns

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
    def turns(self) -> float:
        """Hops between sprayed passes, plus the sprayed legs' corners as the share of a
        U-turn they turn through (:func:`~mission_planner.plan.corner_turns`)."""
        return sum(1.0 if not leg.spray else corner_turns(leg.path) for leg in self.legs)


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

MIN_COVERAGE = 0.995
"""The share of the sprayable area a route must spray for rings to be added: each ring
inside the first shortens the route (no turns, no overlap) but leaves its corner tips."""

MAX_RING_LEVELS = 80
"""Rings a swath apart from the edge inwards, at most (400 m in from the edge at 5 m)."""

RING_TRIES = 3
"""Ring counts planned in full, best estimate first, before falling back to one ring."""


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
    min_coverage: float = MIN_COVERAGE,
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
    headland
        The perimeter passes; ``None`` chooses how many rings to fly inside the
        boundary before the swaths (see :func:`_ring_counts`).
    min_coverage
        With ``headland=None``, the share of the area the route must spray: rings
        are added while the route gets shorter and still sprays this much.

    Returns
    -------
    CoverageRoute
        Sprayed legs and the sprayer-off hops between them, in flight order.
    """
    swaths = swaths or StripSwaths()
    order = order or NearestEndOrder()
    if area.is_empty:
        return CoverageRoute(legs=(), heading_deg=heading_deg or 0.0, swaths=0, rings=0)
    parts = [p for p in shapely.get_parts(area) if p.area > 1e-6]
    if len(parts) > 1:
        # Each part on its own, so a part narrower than a swath still gets its pass.
        return _plan_parts(
            parts, width_m, heading_deg, start, keep_out, headland, swaths, order, min_coverage
        )
    plan = _Planner(area, width_m, heading_deg, start, keep_out, swaths, order)
    if headland is not None:
        return plan.route(headland.headland(area, width_m))[0]
    budget_m2 = (1.0 - min_coverage) * float(area.area)
    levels = ring_levels(area, width_m, limit=MAX_RING_LEVELS, gap_budget_m2=budget_m2)
    # The headings are ranked once, on what the first ring leaves: the rings within
    # keep its shape, and ranking again for every ring count costs more than it finds.
    inner = levels[0].inside if levels and not levels[0].inside.is_empty else area
    if heading_deg is not None:
        ranked = [heading_deg % 180.0]
    else:
        candidates = candidate_angles(inner)
        ranked = best_of(candidates, inner, width_m, top=len(candidates))
    for k in _ring_counts(levels, width_m, ranked[:EXACT_HEADINGS], budget_m2)[:RING_TRIES]:
        if k <= 1:
            break
        route, unsprayed_m2 = plan.route(headland_of(area, levels[:k]), ranked)
        if unsprayed_m2 > budget_m2:
            continue
        if all(len(level.rings) == 1 for level in levels[:k]):
            return route
        # Rings round a hole or a zone: the estimate cannot see where they meet the
        # sweep (passes cut short at rounded ends), so one ring is planned too.
        one = plan.route(headland_of(area, levels[:1]), ranked)[0]
        return route if route.length_m < one.length_m else one
    # None of the ring counts tried sprays enough: one ring (none where none fits).
    return plan.route(headland_of(area, levels[:1]), ranked)[0]


def _ring_counts(
    levels: Sequence[RingLevel], width_m: float, headings: Sequence[float], budget_m2: float
) -> list[int]:
    """How many rings to fly, most promising first, by a quick estimate of each route.

    With k rings the route is their length, a hop of about a swath from each to the
    next, and the swaths over what the innermost leaves (:func:`quick_cost`). A ring
    costs no turn and overlaps nothing, so on most fields more rings make a shorter
    route; what stops them is their corner tips (:attr:`RingLevel.gap_m2`), whose sum
    must stay within ``budget_m2``, the area the route may leave unsprayed. One ring is
    always allowed: it is what keeps the spray inside the boundary at slanted ends.
    """
    if not levels:
        return [0]
    estimates: list[tuple[float, int]] = []
    ring_m = gap_m2 = 0.0
    rings = 0
    for k, level in enumerate(levels, start=1):
        ring_m += level.length_m
        gap_m2 += level.gap_m2
        rings += len(level.rings)
        if k > 1 and gap_m2 > budget_m2:
            break
        inside = level.inside
        sweep = min(quick_cost(inside, width_m, h) for h in headings)
        estimates.append((ring_m + (rings - 1) * width_m + sweep, k))
    return [k for _, k in sorted(estimates)]


class _Planner:
    """One area's route for a given headland: swaths at the best heading, then the order."""

    def __init__(
        self,
        area: BaseGeometry,
        width_m: float,
        heading_deg: float | None,
        start: Point | None,
        keep_out: BaseGeometry | None,
        swaths: SwathGenerator,
        order: RouteOrder,
    ) -> None:
        self.area, self.width_m, self.heading_deg = area, width_m, heading_deg
        self.origin = start if start is not None else _corner(area)
        self.keep_out, self.swaths, self.order = keep_out, swaths, order

    def route(
        self, head: Headland, ranked: Sequence[float] | None = None
    ) -> tuple[CoverageRoute, float]:
        """The shortest route with this headland, and the area it leaves unsprayed (m²).

        ``ranked`` are the headings to weigh, best first; by default those of the
        headland's interior, ranked by :func:`estimate_cost`.
        """
        area, width_m = self.area, self.width_m
        footprint_room = area
        if not head.passes:
            footprint_room = area.buffer(width_m / 2.0)
            if self.keep_out is not None:
                footprint_room = footprint_room.difference(self.keep_out)
        untried: list[float] = []
        if self.heading_deg is not None:
            headings = [self.heading_deg % 180.0]
        elif head.interior.is_empty:
            headings = [0.0]
        else:
            if ranked is None:
                candidates = candidate_angles(head.interior)
                ranked = best_of(candidates, head.interior, width_m, top=len(candidates))
            headings, untried = list(ranked[:EXACT_HEADINGS]), list(ranked[EXACT_HEADINGS:])
        chains = chains_of(head)
        routes: list[tuple[CoverageRoute, list[tuple[Point, Point]]]] = []
        for h in headings:
            laid = self.swaths.swaths(footprint_room, head.interior, width_m, h)
            # Enter the rings beside the swath the sweep will begin with, so that the hop
            # from the rings to the swaths is short.
            first = self.order.order(laid, self.origin)[:1]
            entry = first[0].start if first else self.origin
            # The chain of rings nearest the first swath (the boundary beside it) first,
            # from the outside in; the others (round holes and zones) where the sweep
            # passes them.
            near = shapely.Point(entry)
            rest = sorted(chains, key=lambda c: min(r.distance(near) for r in c))
            paths = fly_chain(rest[0], entry, width_m) if rest else []
            ordered = self.order.order(laid, paths[-1][-1] if paths else entry)
            passes = [(sw.start, sw.end) for sw in ordered]
            legs = _fly(with_chains([*paths, *passes], rest[1:], width_m), entry)
            if legs and not legs[0].spray:
                legs.pop(0)
            route = CoverageRoute(
                legs=tuple(legs), heading_deg=h, swaths=len(ordered), rings=len(head.passes)
            )
            routes.append((route, passes))
        routes.sort(key=lambda r: r[0].length_m)
        (best, passes), others = routes[0], [r for r, _ in routes[1:]]
        best = replace(best, alternatives=(*(r.heading_deg for r in others), *untried))
        # Measured as the metric measures it (one buffer of all the paths is a quarter
        # quicker, but GEOS then fails on some passes that nearly touch).
        sprayed = spray_footprint([leg.path for leg in best.legs if leg.spray], width_m)
        unsprayed = area.difference(sprayed)
        return _with_leftovers(
            best, unsprayed, area, width_m, self.keep_out, self.swaths, self.order
        )


MIN_LEFTOVER_M2 = 2.0
MIN_LEFTOVER_SHARE = 0.005
"""Unsprayed pieces smaller than 2 m² or 0.5 % of the area are left: the corner tips of a
perimeter pass and the slivers a saved pass leaves cost more path than they are worth."""


def _with_leftovers(
    route: CoverageRoute,
    unsprayed: BaseGeometry,
    area: BaseGeometry,
    width_m: float,
    keep_out: BaseGeometry | None,
    swaths: SwathGenerator,
    order: RouteOrder,
) -> tuple[CoverageRoute, float]:
    """Extra passes along what the route left unsprayed (``unsprayed``: a neck narrower
    than a swath, say).

    Each piece is swept along its long axis, inside the area where a pass fits; where
    none does (a neck narrower than a swath), a footprint may spill up to half a swath
    past the area's edge — never into ``keep_out``, and never more than half the piece.
    Also returns the area the route then leaves unsprayed, m².
    """
    if not route.legs:
        return route, float(area.area)
    least = max(MIN_LEFTOVER_M2, MIN_LEFTOVER_SHARE * area.area)
    parts = shapely.get_parts(unsprayed)
    left_m2 = float(shapely.area(parts).sum()) if len(parts) else 0.0
    pieces = [p for p in parts if p.area >= least]
    if not pieces:
        return route, left_m2
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
        return route, left_m2
    here = route.legs[-1].path[-1]
    legs = list(route.legs) + _fly_swaths(order.order(extra, here), here)
    # What the extra passes leave of their pieces, measured (rare: only routes with them).
    sprayed = spray_footprint([(s.start, s.end) for s in extra], width_m)
    left_m2 = float(unsprayed.difference(sprayed).area)
    return replace(route, legs=tuple(legs), swaths=route.swaths + len(extra)), left_m2


def _plan_parts(
    parts: list[BaseGeometry],
    width_m: float,
    heading_deg: float | None,
    start: Point | None,
    keep_out: BaseGeometry | None,
    headland: HeadlandGenerator | None,
    swaths: SwathGenerator,
    order: RouteOrder,
    min_coverage: float,
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
            min_coverage=min_coverage,
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
