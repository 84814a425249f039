"""Choosing a vehicle and a slot for a mission: pure and deterministic, values in and out.

Time is cut into steps (``step_s``, 5 min by default) counted from 1970-01-01 UTC: slots
start on a step and a vehicle is *busy* for whole steps, from the slot's start until its
flight and the turnaround after it (refill, battery swap, the drive to the next field)
are over. Two missions of one vehicle never share a step, which is what the database's
``mission_booking`` key enforces too.

A slot is feasible for a vehicle when

- it starts no earlier than the window and ``not_before`` (now plus the notice the
  neighbours get), and its flight ends within the window;
- its flight lies within one day's working hours (local time: spraying is done early);
- its busy steps meet none of the vehicle's existing bookings;
- its flight meets no weather block (given per mission kind by :mod:`~api.scheduling.weather`).

:func:`choose_slot` returns the earliest feasible start over all vehicles (ties to the
first registration). The earliest start is the lower bound or the step just after the end
of something in the way (a booking, a block, the night), so only those are tried.
"""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from api.scheduling.model import MissionKind, PlanEstimate
from api.scheduling.weather import Block
from fleet.registry import SprayerKind, VehicleRecord

__all__ = [
    "Booking",
    "BookingRules",
    "NoSlot",
    "NoSlotCause",
    "Slot",
    "VehicleNeed",
    "WorkingHours",
    "busy_steps",
    "choose_slot",
    "is_eligible",
    "mission_duration_s",
    "needs_of",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, kw_only=True, slots=True)
class WorkingHours:
    """When flights may be booked each day, in local time (default 06:00–18:00 Japan)."""

    start: time = time(6, 0)
    end: time = time(18, 0)
    timezone: str = "Asia/Tokyo"

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError(f"working hours end ({self.end}) before they start ({self.start})")
        ZoneInfo(self.timezone)  # an unknown zone fails here, not at booking time

    @property
    def length_s(self) -> float:
        """The working day's length, s."""
        day = datetime(2000, 1, 1)
        return (datetime.combine(day, self.end) - datetime.combine(day, self.start)).seconds

    def day_of(self, at: datetime) -> tuple[datetime, datetime]:
        """The working hours (UTC) of the local day ``at`` falls on."""
        zone = ZoneInfo(self.timezone)
        local = at.astimezone(zone).date()
        return (
            datetime.combine(local, self.start, zone).astimezone(UTC),
            datetime.combine(local, self.end, zone).astimezone(UTC),
        )

    def starts_between(self, start: datetime, end: datetime) -> list[datetime]:
        """Every working day's start (UTC) from ``start``'s local day to ``end``'s."""
        zone = ZoneInfo(self.timezone)
        day, last = start.astimezone(zone).date(), end.astimezone(zone).date()
        out = []
        while day <= last:
            out.append(datetime.combine(day, self.start, zone).astimezone(UTC))
            day += timedelta(days=1)
        return out


@dataclass(frozen=True, kw_only=True, slots=True)
class BookingRules:
    """How slots are cut; all configurable."""

    working_hours: WorkingHours = WorkingHours()
    step_s: int = 300
    """Slots start on multiples of this, s (from 1970-01-01 UTC)."""
    notice_s: float = 3600.0
    """The earliest slot is this long after now: neighbours are told before spraying."""
    sortie_turnaround_s: float = 600.0
    """Between two sorties of one mission: refill and battery swap, s."""
    mission_turnaround_s: float = 1200.0
    """After a mission, before the vehicle's next: refill, swap, drive, s."""

    def __post_init__(self) -> None:
        if self.step_s < 1 or 86_400 % self.step_s:
            raise ValueError(f"step_s {self.step_s} must divide a day evenly")
        for name in ("notice_s", "sortie_turnaround_s", "mission_turnaround_s"):
            if not math.isfinite(getattr(self, name)) or getattr(self, name) < 0:
                raise ValueError(f"{name} must be a non-negative number")


@dataclass(frozen=True, kw_only=True, slots=True)
class VehicleNeed:
    """One vehicle that can fly the mission, and how long it would take it."""

    registration: str
    duration_s: float


@dataclass(frozen=True, kw_only=True, slots=True)
class Booking:
    """A vehicle busy from ``start`` until ``busy_until`` (its flight and turnaround)."""

    registration: str
    start: datetime
    busy_until: datetime


@dataclass(frozen=True, kw_only=True, slots=True)
class Slot:
    """The chosen vehicle and time: flight from ``start`` to ``end``, busy until ``busy_until``."""

    registration: str
    start: datetime
    end: datetime
    busy_until: datetime


class NoSlotCause(StrEnum):
    """Why no slot was found, from the most to the least lasting."""

    NO_VEHICLE = "no_vehicle"
    """No vehicle can fly this kind of mission."""
    TOO_LONG = "too_long"
    """The mission is longer than a working day on every vehicle."""
    WINDOW = "window"
    """What is left of the window cannot hold the mission, whatever else happens."""
    BUSY = "busy"
    """The vehicles are booked for all the time there is."""
    WEATHER = "weather"
    """A slot would be free, but the weather blocks it."""


@dataclass(frozen=True, kw_only=True, slots=True)
class NoSlot:
    """No feasible slot; for ``weather``, ``block`` is what blocks the slot it would have had."""

    cause: NoSlotCause
    block: Block | None = None


def _ceil_step(at: datetime, step_s: int) -> datetime:
    """The first step start at or after ``at`` (in whole microseconds: no rounding error)."""
    step_us = step_s * 1_000_000
    us = (at - _EPOCH) // timedelta(microseconds=1)
    return _EPOCH + timedelta(microseconds=-(-us // step_us) * step_us)


def busy_steps(start: datetime, busy_until: datetime, step_s: int) -> list[int]:
    """The steps (their starts, s since 1970 UTC) a booking holds: the database's keys.

    >>> t = datetime(2026, 6, 1, 21, 0, tzinfo=UTC)
    >>> busy_steps(t, t + timedelta(minutes=12), 300)
    [1780347600, 1780347900, 1780348200]
    """
    first = int((start - _EPOCH).total_seconds()) // step_s * step_s
    last = int((_ceil_step(busy_until, step_s) - _EPOCH).total_seconds())
    return list(range(first, last, step_s))


def is_eligible(vehicle: VehicleRecord, kind: MissionKind) -> bool:
    """Whether a vehicle can fly this kind of mission: one Tanbo can reach (a connection),
    not retired; spraying needs a sprayer and a tank; a survey needs a camera drone, which
    the registry (it has no camera field) knows as a vehicle with neither sprayer nor tank.

    Surveys are kept off sprayers: spray drones carry no survey camera (a survey flown on
    one triggers nothing and "completes" without an image), and their hours are what the
    spraying season and its calm mornings are short of.

    >>> from dataclasses import replace
    >>> from fleet.registry import Sprayer
    >>> camera = VehicleRecord(registration="SIM-CAM", model="Mavic 3M", connection="tcp:h:1",
    ...                        max_takeoff_weight_kg=1.0, battery_mah=5000, battery_cells=4)
    >>> is_eligible(camera, MissionKind.SURVEY), is_eligible(camera, MissionKind.SPRAY)
    (True, False)
    >>> sprayer = replace(camera, tank_l=10.0, max_takeoff_weight_kg=24.9,
    ...                   sprayer=Sprayer(kind=SprayerKind.ARDUPILOT_SPRAYER))
    >>> is_eligible(sprayer, MissionKind.SPRAY), is_eligible(sprayer, MissionKind.SURVEY)
    (True, False)
    """
    if vehicle.retired or not vehicle.connection:
        return False
    has_sprayer = vehicle.sprayer.kind is not SprayerKind.NONE
    if kind is MissionKind.SPRAY:
        return has_sprayer and vehicle.tank_l > 0
    return not has_sprayer and vehicle.tank_l == 0


def mission_duration_s(
    estimate: PlanEstimate, kind: MissionKind, tank_l: float, rules: BookingRules
) -> float:
    """The slot a mission needs on one vehicle, s: its flight time and the turnarounds between
    sorties. A smaller tank than the plan assumed means more sorties, so more turnarounds.

    >>> est = PlanEstimate(sorties=2, flight_time_s=1200.0, volume_l=24.0)
    >>> mission_duration_s(est, MissionKind.SPRAY, 10.0, BookingRules())  # 3 tankfuls
    2400.0
    """
    sorties = estimate.sorties
    if kind is MissionKind.SPRAY and tank_l > 0:
        sorties = max(sorties, math.ceil(estimate.volume_l / tank_l - 1e-9))
    return estimate.flight_time_s + (sorties - 1) * rules.sortie_turnaround_s


def needs_of(
    vehicles: Iterable[VehicleRecord],
    kind: MissionKind,
    estimate: PlanEstimate,
    rules: BookingRules,
) -> list[VehicleNeed]:
    """The vehicles able to fly the mission, by registration, with their durations."""
    return [
        VehicleNeed(
            registration=v.registration,
            duration_s=mission_duration_s(estimate, kind, v.tank_l, rules),
        )
        for v in sorted(vehicles, key=lambda v: v.registration)
        if is_eligible(v, kind)
    ]


def _overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    return a_start < b_end and b_start < a_end


@dataclass(frozen=True, slots=True)
class _Problem:
    window_start: datetime
    window_end: datetime
    lower: datetime
    rules: BookingRules

    def slot(self, need: VehicleNeed, start: datetime) -> Slot:
        end = start + timedelta(seconds=need.duration_s)
        turnaround = timedelta(seconds=self.rules.mission_turnaround_s)
        busy = _ceil_step(end + turnaround, self.rules.step_s)
        return Slot(registration=need.registration, start=start, end=end, busy_until=busy)

    def in_hours(self, slot: Slot) -> bool:
        if slot.start < self.lower or slot.end > self.window_end:
            return False
        day_start, day_end = self.rules.working_hours.day_of(slot.start)
        return day_start <= slot.start and slot.end <= day_end


def _free(slot: Slot, bookings: Sequence[Booking]) -> bool:
    return not any(
        b.registration == slot.registration
        and _overlaps(slot.start, slot.busy_until, b.start, b.busy_until)
        for b in bookings
    )


def _first_block(slot: Slot, blocks: Sequence[Block]) -> Block | None:
    hits = [b for b in blocks if _overlaps(slot.start, slot.end, b.start, b.end)]
    return min(hits, key=lambda b: b.start) if hits else None


def _candidates(
    problem: _Problem, bookings: Sequence[Booking], blocks: Sequence[Block]
) -> list[datetime]:
    step = problem.rules.step_s
    ends = [b.busy_until for b in bookings] + [b.end for b in blocks]
    ends += problem.rules.working_hours.starts_between(problem.lower, problem.window_end)
    starts = {problem.lower} | {_ceil_step(e, step) for e in ends}
    return sorted(s for s in starts if problem.lower <= s < problem.window_end)


def _earliest(
    problem: _Problem,
    needs: Sequence[VehicleNeed],
    bookings: Sequence[Booking],
    blocks: Sequence[Block],
) -> Slot | None:
    for start in _candidates(problem, bookings, blocks):
        for need in needs:
            slot = problem.slot(need, start)
            if problem.in_hours(slot) and _free(slot, bookings) and not _first_block(slot, blocks):
                return slot
    return None


def choose_slot(
    *,
    window_start: datetime,
    window_end: datetime,
    not_before: datetime,
    needs: Sequence[VehicleNeed],
    bookings: Sequence[Booking],
    blocks: Sequence[Block],
    rules: BookingRules,
) -> Slot | NoSlot:
    """The earliest feasible slot over all ``needs`` (ties to the first in the list).

    Parameters
    ----------
    window_start, window_end
        When the farmer wants the work done (UTC).
    not_before
        The clock's now; the slot starts at least ``rules.notice_s`` later.
    needs
        The eligible vehicles and their mission durations (see :func:`needs_of`).
    bookings
        What the vehicles are already booked for.
    blocks
        Times the weather rules out for this mission's kind.

    Returns
    -------
    Slot | NoSlot
        The slot, or why there is none (see :class:`NoSlotCause`).
    """
    if not needs:
        return NoSlot(cause=NoSlotCause.NO_VEHICLE)
    day_s = rules.working_hours.length_s
    needs = [n for n in needs if n.duration_s <= day_s]
    if not needs:
        return NoSlot(cause=NoSlotCause.TOO_LONG)
    lower = _ceil_step(
        max(window_start, not_before + timedelta(seconds=rules.notice_s)), rules.step_s
    )
    problem = _Problem(window_start, window_end, lower, rules)
    found = _earliest(problem, needs, bookings, blocks)
    if found is not None:
        return found
    if _earliest(problem, needs, (), ()) is None:
        return NoSlot(cause=NoSlotCause.WINDOW)
    fair_weather = _earliest(problem, needs, bookings, ())
    if fair_weather is None:
        return NoSlot(cause=NoSlotCause.BUSY)
    return NoSlot(cause=NoSlotCause.WEATHER, block=_first_block(fair_weather, blocks))
