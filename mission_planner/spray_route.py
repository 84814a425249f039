"""A spray mission's route before it is cut into sorties: the fields' passes joined.

Fields are taken nearest first, each planned by the coverage pipeline over its
sprayable area, and joined by sprayer-off hops that go round no-fly zones. Which
heading each field is sprayed at is the pipeline's choice, unless the mission cut
into sorties is quicker at another (:func:`quicker_headings`).
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import shapely
from shapely import LineString
from shapely.geometry.base import BaseGeometry

from mission_planner.coverage import MIN_COVERAGE, CoverageRoute, RouteLeg, plan_coverage
from mission_planner.detour import shortest_path_around
from mission_planner.metrics import CoverageMetrics, measure_coverage
from mission_planner.plan import Leg, Point
from mission_planner.refusals import PlanRefused
from mission_planner.safety import LocalZone
from mission_planner.sorties import SortieLimits, sortie_time_s
from mission_planner.variable_rate import RateMap

__all__ = [
    "MAX_HEADING_SEARCH_FIELDS",
    "CoverageCache",
    "Covered",
    "cover_fields",
    "hop",
    "quicker_headings",
    "sprayable_area",
]

CoverageCache = dict[tuple[str, float | None, Point], tuple[CoverageRoute, CoverageMetrics]]
"""A field's route and its coverage, by (field id, heading or None, where the drone comes from)."""


def sprayable_area(field: BaseGeometry, zones: Sequence[LocalZone]) -> BaseGeometry:
    """The field less every zone (with its buffer) that reaches it."""
    blocked = [z.buffered for z in zones if z.buffered.intersects(field)]
    return field.difference(shapely.union_all(blocked)) if blocked else field


def hop(start: Point, end: Point, no_fly: Sequence[BaseGeometry]) -> RouteLeg:
    """A sprayer-off hop, round any no-fly zone in the way."""
    if not no_fly or not LineString([start, end]).intersects(shapely.union_all(list(no_fly))):
        return RouteLeg(path=(start, end), spray=False)
    path = shortest_path_around(start, end, no_fly)
    if path is None:
        raise PlanRefused(
            "no way round the no-fly zones",
            rule="no-fly",
            where=f"from ({start[0]:.0f}, {start[1]:.0f}) to ({end[0]:.0f}, {end[1]:.0f}) m",
        )
    return RouteLeg(path=path, spray=False)


@dataclass(frozen=True, kw_only=True, slots=True)
class Covered:
    """The fields' coverage routes joined in flight order, with their figures."""

    route: list[RouteLeg]
    per_field: dict[str, dict[str, float]]
    planned: list[BaseGeometry]
    alternatives: dict[str, tuple[float, ...]]


def cover_fields(
    targets: Sequence[tuple[str, BaseGeometry]],
    *,
    home: Point,
    swath_m: float,
    zones: Sequence[LocalZone],
    rates: RateMap | None,
    headings: Mapping[str, float | None],
    cache: CoverageCache | None = None,
    min_coverage: float = MIN_COVERAGE,
) -> Covered:
    """Each field's passes, nearest field first, joined by hops (round no-fly zones).

    ``targets`` are (id, field) in local metres; a field named in ``headings`` is
    sprayed at that heading (None: its best), the others at their best; each field is
    sprayed to ``min_coverage`` (see :func:`~mission_planner.coverage.plan_coverage`).
    A ``cache``
    kept between calls saves planning a field again from the same place at the same
    heading.
    """
    cache = {} if cache is None else cache
    no_fly = [z.buffered for z in zones if z.no_fly]
    keep_out = shapely.union_all([z.buffered for z in zones]) if zones else None
    remaining = list(targets)
    here = home
    route: list[RouteLeg] = []
    per_field: dict[str, dict[str, float]] = {}
    planned: list[BaseGeometry] = []
    alternatives: dict[str, tuple[float, ...]] = {}
    while remaining:
        target_id, field = min(remaining, key=lambda t: t[1].distance(shapely.Point(here)))
        remaining.remove((target_id, field))
        sprayable = sprayable_area(field, zones)
        if rates is not None:
            sprayable = rates.area_to_spray(sprayable)
        planned.append(sprayable)
        key = (target_id, headings.get(target_id), here)
        if key not in cache:
            cache[key] = _cover_one(sprayable, field, swath_m, key[1], here, keep_out, min_coverage)
        coverage, metrics = cache[key]
        if not coverage.legs:
            per_field[target_id] = {"area_m2": 0.0, "coverage": 0.0, "path_m": 0.0}
            continue
        alternatives[target_id] = coverage.alternatives
        if route:  # the hop from the last field (the flight out is the sortie cutter's)
            route.append(hop(here, coverage.legs[0].path[0], no_fly))
        for leg in coverage.legs:
            route.append(hop(leg.path[0], leg.path[-1], no_fly) if not leg.spray else leg)
        here = coverage.legs[-1].path[-1]
        per_field[target_id] = {
            "area_m2": float(sprayable.area),
            "field_area_m2": float(field.area),
            "coverage": metrics.coverage,
            "overspray": metrics.overspray,
            "path_m": coverage.length_m,
            "turns": float(coverage.turns),
            "heading_deg": coverage.heading_deg,
        }
    return Covered(route=route, per_field=per_field, planned=planned, alternatives=alternatives)


def _cover_one(
    sprayable: BaseGeometry,
    field: BaseGeometry,
    swath_m: float,
    heading_deg: float | None,
    start: Point,
    keep_out: BaseGeometry | None,
    min_coverage: float,
) -> tuple[CoverageRoute, CoverageMetrics]:
    coverage = plan_coverage(
        sprayable,
        swath_m,
        heading_deg=heading_deg,
        start=start,
        keep_out=keep_out,
        min_coverage=min_coverage,
    )
    metrics = measure_coverage(
        [leg.path for leg in coverage.legs if leg.spray],
        swath_m,
        sprayable=sprayable,
        field=field,
    )
    return coverage, metrics


MAX_HEADING_SEARCH_FIELDS = 6
"""Beyond this many fields the mission is planned at each field's own best heading."""


def _sorties(legs: Sequence[Leg]) -> int:
    return max((leg.sortie for leg in legs), default=0)


def quicker_headings(
    covered: Covered,
    legs: list[Leg],
    *,
    cover: Callable[[Mapping[str, float]], Covered],
    split: Callable[[Covered], list[Leg]],
    limits: SortieLimits,
) -> tuple[Covered, list[Leg]]:
    """The mission at the headings that make it quickest once cut into sorties.

    Each field's shortest passes need not make the quickest mission: where the tank
    runs dry moves with the route, and a sortie that ends with a few metres' worth of
    liquid left flies them to the next field and back. Each field's other headings
    (:attr:`~mission_planner.coverage.CoverageRoute.alternatives`) are tried in turn,
    the others kept, and one is kept if the whole mission is quicker with it.

    Parameters
    ----------
    covered, legs
        The mission at each field's own best heading, and its legs cut into sorties.
    cover
        Plans the fields with the headings given (by field id).
    split
        Cuts a route into sorties (may refuse).
    limits
        The sortie limits, for the flight time of each sortie.

    Returns
    -------
    tuple[Covered, list[Leg]]
        The quickest mission found and its legs; ``covered`` and ``legs`` themselves if
        none is quicker, or if there are more than :data:`MAX_HEADING_SEARCH_FIELDS` fields.
    """
    if len(covered.per_field) > MAX_HEADING_SEARCH_FIELDS:
        return covered, legs

    def time_s(legs: Sequence[Leg]) -> float:
        return sum(
            sortie_time_s([leg for leg in legs if leg.sortie == n], limits)
            for n in range(1, _sorties(legs) + 1)
        )

    best = (time_s(legs), covered, legs)
    chosen: dict[str, float] = {}
    for field_id, others in covered.alternatives.items():
        for heading in others:
            try:  # a hop or a sortie that works at one heading may not at another
                trial = cover({**chosen, field_id: heading})
                trial_legs = split(trial)
            except PlanRefused:
                continue
            took = time_s(trial_legs)
            if took < best[0] - 1e-6:
                best = (took, trial, trial_legs)
                chosen[field_id] = heading
    return best[1], best[2]
