"""Errors of mission scheduling.

::

    TanboError                        (core)
    └── ApiError                      (api.errors)
        └── SchedulingError
            ├── InvalidRequest        a mission request that breaks a rule (also ValueError: 422)
            ├── MissionNotFound       no such mission (also api.errors.NotFound: 404)
            ├── NotificationNotFound  no such notification for that recipient (also NotFound)
            ├── IllegalTransition     a status change the lifecycle does not allow
            │                         (also api.errors.Conflict: 409)
            ├── VersionConflict       the mission changed since the caller read it
            │                         (also api.errors.PreconditionFailed: 412)
            ├── SlotTaken             a booking kept losing races for a vehicle's time
            │                         (also api.errors.Conflict: 409)
            ├── WeatherDataError      recorded weather that cannot be read
            └── LeaderLockError       no way to elect one scheduler on this database
                                      (also api.errors.ConfigError)

Database errors become :class:`api.errors.StorageError`, at one boundary
(:func:`api.scheduling.tables.storage`). The second bases put each error in the HTTP
status :mod:`api.problems` gives its kind, with no mapping of its own.
"""

from api.errors import ApiError, ConfigError, Conflict, NotFound, PreconditionFailed

__all__ = [
    "IllegalTransition",
    "InvalidRequest",
    "LeaderLockError",
    "MissionNotFound",
    "NotificationNotFound",
    "SchedulingError",
    "SlotTaken",
    "VersionConflict",
    "WeatherDataError",
]


class SchedulingError(ApiError):
    """Something mission scheduling refuses or cannot do."""


class InvalidRequest(SchedulingError, ValueError):
    """A mission request that breaks a rule; the message names the value."""


class MissionNotFound(SchedulingError, NotFound):
    """No mission with that id."""

    def __init__(self, mission_id: int) -> None:
        super().__init__(f"no mission with id {mission_id}")
        self.mission_id = mission_id


class NotificationNotFound(SchedulingError, NotFound):
    """No notification with that id for that recipient."""


class IllegalTransition(SchedulingError, Conflict):
    """A status change the mission lifecycle does not allow; names both statuses."""

    def __init__(self, mission_id: int, from_status: str, to_status: str) -> None:
        super().__init__(f"mission {mission_id} is {from_status}; it cannot become {to_status}")
        self.mission_id = mission_id
        self.from_status = from_status
        self.to_status = to_status


class VersionConflict(SchedulingError, PreconditionFailed):
    """The mission changed since the caller read it (an ``If-Match`` that no longer matches)."""

    def __init__(self, mission_id: int, expected: int, actual: int) -> None:
        super().__init__(
            f"mission {mission_id} is at version {actual}, not {expected}: read it again"
        )
        self.mission_id = mission_id
        self.expected = expected
        self.actual = actual


class SlotTaken(SchedulingError, Conflict):
    """Another scheduler kept booking the same vehicle time; the booking was given up."""


class WeatherDataError(SchedulingError):
    """A recorded weather file that cannot be read; names the file and the line."""


class LeaderLockError(SchedulingError, ConfigError):
    """The database offers no way to elect a single scheduler (an in-memory SQLite)."""
