"""Coverage path planning for spraying, as a pipeline of stages (after Fields2Cover).

headlands (perimeter passes: as many rings, a swath apart, as shorten the route
while it still sprays ``MIN_COVERAGE``) → swaths (parallel passes at the best
angle) → route order → the flown route. Each stage is a protocol with a concrete
strategy, the angle objective is passed in, everything runs in local metres.
"""

from mission_planner.coverage.headland import PerimeterPasses
from mission_planner.coverage.order import NearestEndOrder
from mission_planner.coverage.pipeline import MIN_COVERAGE, CoverageRoute, RouteLeg, plan_coverage
from mission_planner.coverage.stages import (
    Headland,
    HeadlandGenerator,
    RouteOrder,
    Swath,
    SwathGenerator,
)
from mission_planner.coverage.swaths import StripSwaths, candidate_angles

__all__ = [
    "MIN_COVERAGE",
    "CoverageRoute",
    "Headland",
    "HeadlandGenerator",
    "NearestEndOrder",
    "PerimeterPasses",
    "RouteLeg",
    "RouteOrder",
    "StripSwaths",
    "Swath",
    "SwathGenerator",
    "candidate_angles",
    "plan_coverage",
]
