"""Invariant checkers shared by every planner's tests (conventions 18)."""

from collections.abc import Sequence

import shapely
from shapely.geometry.base import BaseGeometry

from mission_planner import Action, FlightPlan
from mission_planner.metrics import CoverageMetrics, measure_coverage, spray_footprint


def spray_paths(plan: FlightPlan) -> list[tuple[tuple[float, float], ...]]:
    """The sprayed legs' paths, in flight order."""
    return [leg.path for leg in plan.legs if leg.action == Action.SPRAY]


def assert_valid_coverage(
    plan: FlightPlan,
    *,
    field: BaseGeometry,
    sprayable: BaseGeometry,
    swath_m: float,
    min_coverage: float = 0.98,
    max_overspray: float = 1e-6,
    zones: Sequence[BaseGeometry] = (),
) -> CoverageMetrics:
    """Coverage at least ``min_coverage``, nothing sprayed outside the field or over a zone,
    legs joined end to start, every sortie from and back to home."""
    metrics = measure_coverage(spray_paths(plan), swath_m, sprayable=sprayable, field=field)
    assert metrics.coverage >= min_coverage, f"coverage {metrics.coverage:.4f} < {min_coverage}"
    assert metrics.overspray <= max_overspray, f"overspray {metrics.overspray:.6f} of the field"
    footprint = spray_footprint(spray_paths(plan), swath_m)
    for zone in zones:
        assert footprint.intersection(zone).area <= 0.05, "sprayed over a no-spray zone"
    assert_continuous(plan)
    return metrics


def assert_continuous(plan: FlightPlan) -> None:
    """Each leg starts where the last ended; each sortie starts and ends at home."""
    assert plan.legs, "no legs"
    for before, after in zip(plan.legs, plan.legs[1:], strict=False):
        assert shapely.Point(before.end).distance(shapely.Point(after.start)) < 1e-6
    for n in range(1, plan.sorties + 1):
        own = [leg for leg in plan.legs if leg.sortie == n]
        assert own, f"sortie {n} is empty"
        assert shapely.Point(own[0].start).distance(shapely.Point(plan.home)) < 1e-6
        assert shapely.Point(own[-1].end).distance(shapely.Point(plan.home)) < 1e-6
