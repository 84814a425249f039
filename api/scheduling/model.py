"""Mission values: kinds, statuses and the lifecycle, requests, estimates, progress events.

The lifecycle (every other change raises :class:`IllegalTransition`)::

    requested  → approved | rejected | cancelled | expired
    approved   → scheduled | held (weather) | cancelled | expired
    scheduled  → dispatched | held (weather) | approved (slot missed: book again) | cancelled
    held       → scheduled (the weather allows a slot) | cancelled | expired
    dispatched → flying | failed | aborted
    flying     → completed | failed | aborted
    rejected, completed, failed, cancelled, aborted, expired: final

``expired``: the window closed before the mission could fly (never approved, or no slot).

>>> check_transition(1, MissionStatus.REQUESTED, MissionStatus.APPROVED)
>>> check_transition(1, MissionStatus.COMPLETED, MissionStatus.FLYING)
Traceback (most recent call last):
...
api.scheduling.errors.IllegalTransition: mission 1 is completed; it cannot become flying
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from api.scheduling.errors import IllegalTransition, InvalidRequest
from core.geo import GeoPoint

__all__ = [
    "ACTIVE",
    "FINAL",
    "JST",
    "TRANSITIONS",
    "Mission",
    "MissionKind",
    "MissionRequest",
    "MissionStatus",
    "PlanEstimate",
    "ProgressEvent",
    "ProgressKind",
    "StatusChange",
    "check_transition",
    "window_for_dates",
]

JST = ZoneInfo("Asia/Tokyo")
"""Where times are shown (and where the farmer's dates are days)."""


class MissionKind(StrEnum):
    """What a mission does."""

    SPRAY = "spray"
    SURVEY = "survey"


class MissionStatus(StrEnum):
    """Where a mission is in its lifecycle."""

    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    SCHEDULED = "scheduled"
    HELD = "held"
    DISPATCHED = "dispatched"
    FLYING = "flying"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    ABORTED = "aborted"
    EXPIRED = "expired"


_S = MissionStatus
TRANSITIONS: Mapping[MissionStatus, frozenset[MissionStatus]] = {
    _S.REQUESTED: frozenset({_S.APPROVED, _S.REJECTED, _S.CANCELLED, _S.EXPIRED}),
    _S.APPROVED: frozenset({_S.SCHEDULED, _S.HELD, _S.CANCELLED, _S.EXPIRED}),
    _S.SCHEDULED: frozenset({_S.DISPATCHED, _S.HELD, _S.APPROVED, _S.CANCELLED}),
    _S.HELD: frozenset({_S.SCHEDULED, _S.CANCELLED, _S.EXPIRED}),
    _S.DISPATCHED: frozenset({_S.FLYING, _S.FAILED, _S.ABORTED}),
    _S.FLYING: frozenset({_S.COMPLETED, _S.FAILED, _S.ABORTED}),
    _S.REJECTED: frozenset(),
    _S.COMPLETED: frozenset(),
    _S.FAILED: frozenset(),
    _S.CANCELLED: frozenset(),
    _S.ABORTED: frozenset(),
    _S.EXPIRED: frozenset(),
}
"""Every legal status change; ``scheduled → approved`` is a missed slot being booked again."""

FINAL = frozenset(s for s, after in TRANSITIONS.items() if not after)
"""Statuses a mission never leaves."""

ACTIVE = frozenset({_S.SCHEDULED, _S.DISPATCHED, _S.FLYING})
"""Statuses in which a mission holds its vehicle's time."""


def check_transition(mission_id: int, from_status: MissionStatus, to_status: MissionStatus) -> None:
    """Raise :class:`IllegalTransition` unless ``from_status → to_status`` is legal."""
    if to_status not in TRANSITIONS[from_status]:
        raise IllegalTransition(mission_id, from_status.value, to_status.value)


def _aware(name: str, value: datetime) -> datetime:
    if value.tzinfo is None:
        raise InvalidRequest(f"{name} must be timezone-aware")
    return value.astimezone(UTC)


def window_for_dates(first_day: date, last_day: date) -> tuple[datetime, datetime]:
    """The UTC window covering whole days in Japan, ``first_day`` to ``last_day`` inclusive.

    >>> start, end = window_for_dates(date(2026, 6, 3), date(2026, 6, 4))
    >>> start.isoformat(), end.isoformat()
    ('2026-06-02T15:00:00+00:00', '2026-06-04T15:00:00+00:00')
    """
    if last_day < first_day:
        raise InvalidRequest(f"the last day {last_day} is before the first day {first_day}")
    start = datetime.combine(first_day, time(0), JST)
    end = datetime.combine(last_day + timedelta(days=1), time(0), JST)
    return start.astimezone(UTC), end.astimezone(UTC)


MAX_WINDOW = timedelta(days=62)
"""The longest window a mission may ask for (a season's spraying is asked for per round)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class PlanEstimate:
    """What the plan says the work takes (from :attr:`mission_planner.FlightPlan.stats`)."""

    sorties: int
    flight_time_s: float
    """All sorties' flight time together (the plan's ``est_time_s``), s."""
    area_ha: float = 0.0
    volume_l: float = 0.0
    """Liquid to spray, L (0 for a survey)."""

    def __post_init__(self) -> None:
        if self.sorties < 1:
            raise InvalidRequest(f"a plan has at least one sortie, not {self.sorties}")
        for name in ("flight_time_s", "area_ha", "volume_l"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise InvalidRequest(f"{name} is {value}; it must be a non-negative number")
        if self.flight_time_s == 0:
            raise InvalidRequest("flight_time_s is 0; a plan takes some time to fly")

    @classmethod
    def from_stats(cls, stats: Mapping[str, Any]) -> "PlanEstimate":
        """Read a plan's ``stats`` (``sorties``, ``est_time_s``, ``area_ha``, ``volume_l``).

        >>> PlanEstimate.from_stats({"sorties": 2, "est_time_s": 900.0, "area_ha": 1.2})
        PlanEstimate(sorties=2, flight_time_s=900.0, area_ha=1.2, volume_l=0.0)
        """
        try:
            return cls(
                sorties=int(stats["sorties"]),
                flight_time_s=float(stats["est_time_s"]),
                area_ha=float(stats.get("area_ha", 0.0)),
                volume_l=float(stats.get("volume_l", 0.0)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, InvalidRequest):
                raise
            raise InvalidRequest(f"plan stats need sorties and est_time_s: {exc}") from exc


@dataclass(frozen=True, kw_only=True, slots=True)
class MissionRequest:
    """What a farmer asks for: which fields, what work, between when and when.

    Raises
    ------
    InvalidRequest
        On construction, naming the value that breaks a rule.
    """

    kind: MissionKind
    field_ids: tuple[str, ...]
    window_start: datetime
    window_end: datetime
    estimate: PlanEstimate
    place: GeoPoint
    """Where the work is (the fields' centre): the weather is asked for here."""
    params: Mapping[str, Any] = field(default_factory=dict)
    """Plan parameters as JSON (``swath_m``, ``rate_l_ha``, ``altitude_m`` …)."""
    note: str = ""

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "kind", MissionKind(self.kind))
        except ValueError as exc:
            raise InvalidRequest(f"kind {self.kind!r} is not spray or survey") from exc
        object.__setattr__(self, "field_ids", tuple(self.field_ids))
        if not self.field_ids or any(not f.strip() for f in self.field_ids):
            raise InvalidRequest("a mission names at least one field, and no empty id")
        if len(set(self.field_ids)) != len(self.field_ids):
            raise InvalidRequest("a field is named twice")
        start = _aware("window_start", self.window_start)
        end = _aware("window_end", self.window_end)
        if end <= start:
            raise InvalidRequest(f"the window ends ({end}) before it starts ({start})")
        if end - start > MAX_WINDOW:
            raise InvalidRequest(
                f"the window is {(end - start).days} days; "
                f"at most {MAX_WINDOW.days} are booked ahead"
            )
        object.__setattr__(self, "window_start", start)
        object.__setattr__(self, "window_end", end)
        if len(self.note) > 2000:
            raise InvalidRequest("the note is longer than 2000 characters")


@dataclass(frozen=True, kw_only=True, slots=True)
class Mission:
    """A stored mission as it is now."""

    id: int
    owner: str
    """The farmer's account id: every query by role filters on it."""
    kind: MissionKind
    field_ids: tuple[str, ...]
    params: Mapping[str, Any]
    place: GeoPoint
    window_start: datetime
    window_end: datetime
    estimate: PlanEstimate
    status: MissionStatus
    reason: str | None
    """Why the last change happened (the hold, the failure, the rejection), if said."""
    vehicle: str | None
    slot_start: datetime | None
    slot_end: datetime | None
    busy_until: datetime | None
    """The vehicle is booked until then: the slot plus the turnaround after it."""
    note: str
    version: int
    """Goes up by one at every change: the API's ETag."""
    created_at: datetime
    updated_at: datetime

    @property
    def duration_s(self) -> float | None:
        """The booked slot's length, s (None until booked)."""
        if self.slot_start is None or self.slot_end is None:
            return None
        return (self.slot_end - self.slot_start).total_seconds()


@dataclass(frozen=True, kw_only=True, slots=True)
class StatusChange:
    """One line of a mission's history: who changed it, when, from what to what, and why."""

    mission_id: int
    at: datetime
    by: str
    from_status: MissionStatus | None
    """None for the request itself."""
    to_status: MissionStatus
    reason: str


class ProgressKind(StrEnum):
    """What telemetry says about a dispatched mission."""

    TOOK_OFF = "took_off"
    COMPLETED = "completed"
    FAILED = "failed"


@dataclass(frozen=True, kw_only=True, slots=True)
class ProgressEvent:
    """A flight's progress as the fleet reports it."""

    kind: ProgressKind
    at: datetime
    reason: str = ""
    """For ``failed``: what happened (a failsafe, a lost link …)."""
    by: str = "telemetry"

    def __post_init__(self) -> None:
        object.__setattr__(self, "at", _aware("at", self.at))
