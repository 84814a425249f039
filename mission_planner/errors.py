"""Errors of mission planning, the MAVLink mission model and mission files.

::

    TanboError                          (core)
    └── MissionPlannerError
        ├── InvalidMissionItem          one mission item breaks a rule: names the item and field
        ├── InvalidMission              home, fence or rally points of a mission break a rule
        ├── UnflyablePlan               a flight plan that cannot become mission items
        ├── UnreadableMissionFile       a .plan or .waypoints text that cannot be read: names where
        └── PlanningError               a flight that cannot be planned as asked (refusals.py)
            ├── PlanRefused             the plan would break a rule: says which and where
            └── UnknownCamera           no built-in camera has that name

A mission that is refused is never half-built: every check runs before a value
is returned.
"""

from core.errors import TanboError

__all__ = [
    "InvalidMission",
    "InvalidMissionItem",
    "MissionPlannerError",
    "UnflyablePlan",
    "UnreadableMissionFile",
]


class MissionPlannerError(TanboError):
    """A plan, mission or mission file that Tanbo refuses or cannot use."""


class InvalidMissionItem(MissionPlannerError):
    """A mission item with a value that breaks a rule; says which item and which field."""

    def __init__(
        self, field: str, problem: str, *, index: int | None = None, where: str | None = None
    ) -> None:
        self.field = field
        self.problem = problem
        self.index = index
        self.where = where
        place = [] if index is None else [f"item {index} (seq {index + 1})"]
        if where:
            place.append(where)
        prefix = f"{', '.join(place)}: " if place else ""
        super().__init__(f"{prefix}{field} {problem}")

    def at(self, index: int, where: str | None = None) -> "InvalidMissionItem":
        """The same error, placed at ``index`` in the mission's items and ``where`` in a source."""
        return InvalidMissionItem(self.field, self.problem, index=index, where=where or self.where)


class InvalidMission(MissionPlannerError):
    """A mission whose home, fence or rally points break a rule."""


class UnflyablePlan(MissionPlannerError):
    """A flight plan that cannot be turned into mission items as it stands."""


class UnreadableMissionFile(MissionPlannerError):
    """A .plan or .waypoints text that is not what it claims, with the place it goes wrong."""
