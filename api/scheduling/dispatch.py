"""The port through which the scheduler hands a mission to the fleet at its slot.

The scheduler marks the mission ``dispatched`` (committed, by compare-and-set, so exactly
one scheduler gets it) *before* it calls :meth:`DispatchPort.dispatch`: a mission is
flown at most once. ``dispatch`` must hand over and return (the flight goes on in the
fleet's threads); progress comes back through
:func:`api.scheduling.missions.record_progress`. If ``dispatch`` raises, the mission
fails with the error's words; if the process dies in between, the take-off watchdog
fails it later.
"""

import threading
from typing import Protocol

from api.scheduling.model import Mission

__all__ = ["DispatchPort", "RecordingDispatch"]


class DispatchPort(Protocol):
    """Hands a mission to the fleet."""

    def dispatch(self, mission: Mission) -> None:
        """Start flying ``mission`` on ``mission.vehicle``; return once handed over."""
        ...


class RecordingDispatch:
    """A port that flies nothing and remembers what it was given (a dry run, a test).

    ``fail_with`` makes every dispatch raise it, as a fleet that refuses would.
    """

    def __init__(self, *, fail_with: Exception | None = None) -> None:
        self.dispatched: list[Mission] = []
        self.fail_with = fail_with
        self._lock = threading.Lock()

    def running(self) -> list[int]:
        """What it flies now: nothing (it flies nothing)."""
        return []

    def dispatch(self, mission: Mission) -> None:
        """Remember ``mission`` (or raise ``fail_with``)."""
        with self._lock:
            self.dispatched.append(mission)
        if self.fail_with is not None:
            raise self.fail_with
