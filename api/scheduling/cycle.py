"""One scheduling tick: everything due at the clock's ``now``, in order.

1. **expire** requests, approved and held missions whose window has closed;
2. **missed slots**: a scheduled mission not started ``late_start_s`` after its slot
   is booked again (it never flies late into the next booking);
3. **weather** again for every scheduled mission: one that the forecast now rules out is
   held, its vehicle's time freed;
4. **book** approved and held missions, earliest deadline first, around the weather; one
   with no slot because of the weather is held, one whose window can no longer hold
   it expires;
5. **dispatch** scheduled missions whose slot has started, each claimed by
   compare-and-set first (see :mod:`~api.scheduling.dispatch`);
6. **watchdog**: a dispatched mission with no take-off ``takeoff_timeout_s`` later fails.

Every change goes through :mod:`~api.scheduling.missions`, so ticks of two schedulers at
once (which leader election prevents anyway) still never dispatch a mission twice.
The weather and the fleet are ports: their failures are logged and the tick goes on.
"""

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from api import fleet_store
from api.scheduling.booking import BookingRules, NoSlot, NoSlotCause
from api.scheduling.dispatch import DispatchPort
from api.scheduling.errors import SchedulingError
from api.scheduling.missions import change_status
from api.scheduling.model import Mission, MissionStatus
from api.scheduling.notify import Notifier
from api.scheduling.reserve import UNBOOKED, book_mission
from api.scheduling.tables import MissionRow, mission_of, storage
from api.scheduling.weather import (
    Hold,
    HoldRules,
    WeatherProvider,
    blocks_for,
    hold_reason,
    missing_blocks,
)
from fleet.registry import VehicleRecord

__all__ = ["SCHEDULER", "CycleReport", "SchedulingRules", "run_cycle"]

logger = logging.getLogger(__name__)

SCHEDULER = "scheduler"
"""Who the history names for the scheduler's changes."""

S = MissionStatus


@dataclass(frozen=True, kw_only=True, slots=True)
class SchedulingRules:
    """Everything configurable about scheduling (built from the settings by api/config)."""

    booking: BookingRules = field(default_factory=BookingRules)
    weather: HoldRules = field(default_factory=HoldRules)
    late_start_s: float = 900.0
    """A slot not started this long after its start is booked again, s."""
    takeoff_timeout_s: float = 1800.0
    """A dispatched mission with no take-off reported this long after fails, s."""
    batch: int = 200
    """Missions handled per step per tick (the rest wait for the next tick)."""


@dataclass
class CycleReport:
    """What one tick did, by mission id."""

    expired: list[int] = field(default_factory=list)
    missed: list[int] = field(default_factory=list)
    held: list[int] = field(default_factory=list)
    scheduled: list[int] = field(default_factory=list)
    waiting: dict[int, NoSlotCause] = field(default_factory=dict)
    dispatched: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def _missions(engine: Engine, statuses: Sequence[MissionStatus], limit: int) -> list[Mission]:
    query = (
        select(MissionRow)
        .where(col(MissionRow.status).in_([s.value for s in statuses]))
        .order_by(col(MissionRow.window_end), col(MissionRow.id))
        .limit(limit)
    )
    with storage(), Session(engine) as session:
        return [mission_of(row) for row in session.exec(query)]


def _change(
    engine: Engine,
    mission: Mission,
    to: MissionStatus,
    now: datetime,
    reason: str,
    *,
    changes: Mapping[str, Any] | None = None,
    notifier: Notifier | None = None,
    hold: Hold | None = None,
) -> bool:
    """One change by the scheduler; ``False`` if someone else moved the mission first."""
    try:
        change_status(
            engine,
            mission.id,
            to,
            by=SCHEDULER,
            now=now,
            reason=reason,
            expected_version=mission.version,
            changes=changes,
            notifier=notifier,
            hold=hold,
        )
    except SchedulingError as exc:
        logger.info("mission %s not made %s: %s", mission.id, to.value, exc)
        return False
    return True


def run_cycle(
    engine: Engine,
    *,
    now: datetime,
    rules: SchedulingRules,
    weather: WeatherProvider,
    dispatch: DispatchPort,
    notifier: Notifier | None = None,
    vehicles: Sequence[VehicleRecord] | None = None,
) -> CycleReport:
    """Do everything due at ``now`` (see the module's docstring); ``vehicles`` default to
    the registry's, retired ones left out."""
    report = CycleReport()
    fleet = list(vehicles) if vehicles is not None else fleet_store.list_vehicles(engine)
    _expire(engine, now, rules, notifier, report)
    _missed(engine, now, rules, report)
    _recheck(engine, now, rules, weather, notifier, report)
    _book(engine, now, rules, weather, fleet, notifier, report)
    _dispatch(engine, now, rules, dispatch, notifier, report)
    _watchdog(engine, now, rules, notifier, report)
    _lost_flights(engine, now, rules, dispatch, notifier, report)
    return report


def _expire(
    engine: Engine,
    now: datetime,
    rules: SchedulingRules,
    notifier: Notifier | None,
    report: CycleReport,
) -> None:
    for m in _missions(engine, (S.REQUESTED, S.APPROVED, S.HELD), rules.batch):
        if m.window_end <= now and _change(
            engine, m, S.EXPIRED, now, "the window closed", notifier=notifier
        ):
            report.expired.append(m.id)


def _missed(engine: Engine, now: datetime, rules: SchedulingRules, report: CycleReport) -> None:
    late = timedelta(seconds=rules.late_start_s)
    for m in _missions(engine, (S.SCHEDULED,), rules.batch):
        assert m.slot_start is not None
        if m.slot_start + late < now and _change(
            engine, m, S.APPROVED, now, "the slot was missed: booking again", changes=UNBOOKED
        ):
            report.missed.append(m.id)


def _recheck(
    engine: Engine,
    now: datetime,
    rules: SchedulingRules,
    weather: WeatherProvider,
    notifier: Notifier | None,
    report: CycleReport,
) -> None:
    for m in _missions(engine, (S.SCHEDULED,), rules.batch):
        assert m.slot_start is not None
        assert m.slot_end is not None
        after = timedelta(seconds=rules.weather.of(m.kind).rain_free_after_s)
        try:
            hours = weather.forecast(m.place, m.slot_start, m.slot_end + after)
        except Exception:  # a weather port's failure of any kind: keep the slot, try again
            logger.exception("no forecast for mission %s; its slot is kept", m.id)
            continue
        hold = hold_reason(hours, m.kind, rules.weather, start=m.slot_start, end=m.slot_end)
        if hold is None:
            gaps = missing_blocks(hours, m.kind, m.slot_start, m.slot_end + after)
            hold = gaps[0].hold if gaps else None
        if hold is not None and _change(
            engine, m, S.HELD, now, hold.text_en(), changes=UNBOOKED, notifier=notifier, hold=hold
        ):
            report.held.append(m.id)


def _book(
    engine: Engine,
    now: datetime,
    rules: SchedulingRules,
    weather: WeatherProvider,
    fleet: Sequence[VehicleRecord],
    notifier: Notifier | None,
    report: CycleReport,
) -> None:
    for m in _missions(engine, (S.APPROVED, S.HELD), rules.batch):
        after = timedelta(seconds=rules.weather.of(m.kind).rain_free_after_s)
        try:
            hours = weather.forecast(m.place, now, m.window_end + after)
        except Exception:  # a weather port's failure of any kind: book it next tick
            logger.exception("no forecast for mission %s; not booked this tick", m.id)
            continue
        blocks = blocks_for(hours, m.kind, rules.weather) + missing_blocks(
            hours, m.kind, now, m.window_end + after
        )
        try:
            booked = book_mission(
                engine,
                m.id,
                now=now,
                vehicles=fleet,
                blocks=blocks,
                rules=rules.booking,
                by=SCHEDULER,
                notifier=notifier,
            )
        except SchedulingError as exc:
            logger.info("mission %s not booked: %s", m.id, exc)
            continue
        except Exception:  # one mission's fault must not stop the others' booking
            logger.exception("mission %s not booked this tick", m.id)
            continue
        if not isinstance(booked, NoSlot):
            report.scheduled.append(m.id)
        elif booked.cause is NoSlotCause.WINDOW:
            if _change(
                engine, m, S.EXPIRED, now, "no time is left in the window", notifier=notifier
            ):
                report.expired.append(m.id)
        elif booked.cause is NoSlotCause.WEATHER and m.status is S.APPROVED:
            hold = booked.block.hold if booked.block else None
            reason = hold.text_en() if hold else "the weather"
            if _change(engine, m, S.HELD, now, reason, notifier=notifier, hold=hold):
                report.held.append(m.id)
        else:
            report.waiting[m.id] = booked.cause


def _dispatch(
    engine: Engine,
    now: datetime,
    rules: SchedulingRules,
    dispatch: DispatchPort,
    notifier: Notifier | None,
    report: CycleReport,
) -> None:
    for m in _missions(engine, (S.SCHEDULED,), rules.batch):
        assert m.slot_start is not None
        if m.slot_start > now:
            continue
        try:
            claimed = change_status(
                engine,
                m.id,
                S.DISPATCHED,
                by=SCHEDULER,
                now=now,
                expected_version=m.version,
                notifier=notifier,
            )
        except SchedulingError as exc:
            logger.info("mission %s not dispatched here: %s", m.id, exc)
            continue
        try:
            dispatch.dispatch(claimed)
        except Exception as exc:  # the fleet port's failure of any kind fails the mission
            logger.exception("dispatching mission %s failed", m.id)
            _change(engine, claimed, S.FAILED, now, f"dispatch failed: {exc}", notifier=notifier)
            report.failed.append(m.id)
            continue
        report.dispatched.append(m.id)


def _watchdog(
    engine: Engine,
    now: datetime,
    rules: SchedulingRules,
    notifier: Notifier | None,
    report: CycleReport,
) -> None:
    timeout = timedelta(seconds=rules.takeoff_timeout_s)
    for m in _missions(engine, (S.DISPATCHED,), rules.batch):
        if m.updated_at + timeout < now:
            minutes = rules.takeoff_timeout_s / 60
            reason = f"no take-off reported within {minutes:g} min of dispatch"
            if _change(engine, m, S.FAILED, now, reason, notifier=notifier):
                report.failed.append(m.id)


def _lost_flights(
    engine: Engine,
    now: datetime,
    rules: SchedulingRules,
    dispatch: DispatchPort,
    notifier: Notifier | None,
    report: CycleReport,
) -> None:
    """Fail missions still 'flying' long after their slot that no flight here is flying:
    the process that flew them died (only the leader dispatches, so its flights die with
    it); the vehicle is free again for bookings."""
    running = getattr(dispatch, "running", None)
    if running is None:
        return  # a port that cannot say what it flies: leave them be
    flying_here = set(running())
    margin = timedelta(seconds=rules.takeoff_timeout_s)
    for m in _missions(engine, (S.FLYING,), rules.batch):
        if m.id in flying_here or m.slot_end is None or m.slot_end + margin >= now:
            continue
        reason = "no word from the flight since its slot ended: check the vehicle and the logs"
        if _change(engine, m, S.FAILED, now, reason, notifier=notifier):
            report.failed.append(m.id)
