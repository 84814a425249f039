"""Time, passed in: pure cores never read the wall clock themselves.

>>> clock = FakeClock(datetime(2026, 5, 10, tzinfo=UTC))
>>> clock.advance(90.0)
>>> clock.now().isoformat()
'2026-05-10T00:01:30+00:00'
"""

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol

__all__ = ["Clock", "FakeClock", "ScaledClock", "SystemClock"]


class Clock(Protocol):
    """Something that tells the current time, timezone-aware in UTC."""

    def now(self) -> datetime:
        """The current time in UTC."""
        ...


class SystemClock:
    """The machine's clock."""

    def now(self) -> datetime:
        """The current time in UTC."""
        return datetime.now(UTC)


class FakeClock:
    """A clock that moves only when told to, for tests and simulation."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs a timezone-aware start time")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        """The current fake time in UTC."""
        return self._now

    def advance(self, seconds: float) -> None:
        """Move the clock forward."""
        if seconds < 0:
            raise ValueError("a clock does not run backwards")
        self._now += timedelta(seconds=seconds)


class ScaledClock:
    """Simulated time running ``speedup`` times faster than the machine's, from ``start``:
    what a simulator at the same speed-up lives in (demos, training runs).

    >>> clock = ScaledClock(datetime(2026, 6, 1, tzinfo=UTC), speedup=60.0)
    >>> 0 <= (clock.now() - datetime(2026, 6, 1, tzinfo=UTC)).total_seconds() < 60
    True
    """

    def __init__(self, start: datetime, *, speedup: float) -> None:
        if start.tzinfo is None:
            raise ValueError("ScaledClock needs a timezone-aware start time")
        if not speedup > 0:
            raise ValueError(f"a speed-up of {speedup} does not run forwards")
        self._start = start.astimezone(UTC)
        self._wall_start = time.monotonic()
        self.speedup = speedup

    def now(self) -> datetime:
        """The simulated time in UTC."""
        return self._start + timedelta(seconds=(time.monotonic() - self._wall_start) * self.speedup)

    def wall_s(self, simulated_s: float) -> float:
        """Machine seconds that ``simulated_s`` simulated seconds take."""
        return simulated_s / self.speedup
