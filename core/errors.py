"""The root of Tanbo's error tree.

Each package derives its own errors from :class:`TanboError` in its
``errors.py``, so a caller can catch everything Tanbo raises on purpose with one
``except`` and tell it apart from a bug::

    TanboError
    ├── fields.FieldsError                (fields/errors.py)
    ├── mission_planner.MissionPlannerError (mission_planner/errors.py)
    ├── fleet.FleetError                  (fleet/errors.py)
    ├── sim.SimError                      (sim/errors.py)
    ├── api.ApiError                      (api/errors.py)
    └── api.identity.IdentityError        (api/identity/errors.py)
"""

__all__ = ["TanboError"]


class TanboError(Exception):
    """Something Tanbo refuses or cannot do, explained in words for a person."""
