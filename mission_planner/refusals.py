"""Why a flight cannot be planned: the planners' errors.

::

    TanboError                      (core)
    └── MissionPlannerError         (mission_planner/errors.py)
        └── PlanningError           a flight that cannot be planned as asked
            ├── PlanRefused         the plan would break a rule; says which and where
            └── UnknownCamera       no built-in camera has that name

A refusal names its rule (``"altitude"``, ``"no-fly"``, ``"energy"``, ``"overlap"``,
``"empty"`` …) so a caller can react to it, and the place in words for a person.

>>> err = PlanRefused("the drop is inside no-fly zone 2", rule="no-fly", where="drop (10, 20)")
>>> err.rule, err.where, str(err)
('no-fly', 'drop (10, 20)', 'the drop is inside no-fly zone 2')
"""

from mission_planner.errors import MissionPlannerError
from mission_planner.model import MAX_ALTITUDE_M

__all__ = ["MAX_ALTITUDE_M", "PlanRefused", "PlanningError", "UnknownCamera", "check_altitude"]


class PlanningError(MissionPlannerError):
    """A flight that cannot be planned as asked (bad parameters, an unknown camera …)."""


class PlanRefused(PlanningError):
    """The plan would break a rule of the air or the vehicle: ``rule`` and ``where`` say which."""

    def __init__(self, message: str, *, rule: str, where: str = "") -> None:
        super().__init__(message)
        self.rule = rule
        self.where = where


class UnknownCamera(PlanningError):
    """No built-in camera has that name."""


def check_altitude(altitude_m: float, *, what: str) -> None:
    """Refuse an altitude that is not above 0 m or is above :data:`MAX_ALTITUDE_M`.

    Parameters
    ----------
    altitude_m
        Height above home, in metres.
    what
        What asked for it, in words (``"the survey altitude"``), for the message.

    Raises
    ------
    PlanRefused
        With rule ``"altitude"``.
    """
    if not altitude_m > 0:
        raise PlanRefused(
            f"{what} is {altitude_m:g} m: it must be above 0 m", rule="altitude", where=what
        )
    if altitude_m > MAX_ALTITUDE_M:
        raise PlanRefused(
            f"{what} is {altitude_m:.1f} m, above the {MAX_ALTITUDE_M:.0f} m limit"
            " (Japan's Aviation Act)",
            rule="altitude",
            where=what,
        )
