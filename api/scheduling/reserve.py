"""Booking a mission's vehicle and slot in the database, safely against other bookers.

:func:`book_mission` reads the vehicles' bookings, lets :func:`~api.scheduling.booking.
choose_slot` pick, and writes the choice in one transaction: the mission's row by
compare-and-set on its version, and one ``mission_booking`` row per step of vehicle time.
That table's primary key (registration, step) is the guard: two schedulers that chose
the same time from the same snapshot cannot both commit — the database refuses the
second (PostgreSQL makes it wait for the first's commit, SQLite serialises writers), and
the loser reads again and chooses again, up to a few times.
"""

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from api.scheduling.booking import (
    Booking,
    BookingRules,
    NoSlot,
    Slot,
    busy_steps,
    choose_slot,
    needs_of,
)
from api.scheduling.errors import IllegalTransition, SlotTaken, VersionConflict
from api.scheduling.missions import change_status, get_mission
from api.scheduling.model import ACTIVE, Mission, MissionStatus
from api.scheduling.notify import Notifier
from api.scheduling.tables import BookingRow, MissionRow, storage, utc
from api.scheduling.weather import Block
from fleet.registry import VehicleRecord

__all__ = ["UNBOOKED", "book_mission", "bookings_of"]

UNBOOKED: dict[str, Any] = {
    "vehicle": None,
    "slot_start": None,
    "slot_end": None,
    "busy_until": None,
}
"""The columns of a mission that no longer has a vehicle or a slot (held, to be booked again)."""

_ATTEMPTS = 5
_BOOKABLE = (MissionStatus.APPROVED, MissionStatus.HELD)


def bookings_of(
    engine: Engine,
    registrations: Sequence[str],
    *,
    now: datetime,
    until: datetime,
    rules: BookingRules,
) -> list[Booking]:
    """What the vehicles are booked for from ``now`` until ``until``. A vehicle still flying
    past its slot stays busy for the turnaround after now."""
    if not registrations:
        return []
    query = select(MissionRow).where(
        col(MissionRow.vehicle).in_(list(registrations)),
        col(MissionRow.status).in_([s.value for s in ACTIVE]),
        col(MissionRow.slot_start) < until,
    )
    overrun = now + timedelta(seconds=rules.mission_turnaround_s)
    out = []
    with storage(), Session(engine) as session:
        for row in session.exec(query):
            start, busy = utc(row.slot_start), utc(row.busy_until)
            assert row.vehicle is not None
            assert start is not None
            assert busy is not None
            if row.status != MissionStatus.SCHEDULED.value:
                busy = max(busy, overrun)
            if busy > now:
                out.append(Booking(registration=row.vehicle, start=start, busy_until=busy))
    return out


def _is_duplicate(exc: IntegrityError) -> bool:
    orig = exc.orig
    return getattr(orig, "sqlstate", None) == "23505" or "UNIQUE" in str(orig).upper()


def _hold_time(slot: Slot, rules: BookingRules) -> Any:
    steps = busy_steps(slot.start, slot.busy_until, rules.step_s)

    def then(session: Session, row: MissionRow) -> None:
        rows = [
            {"registration": slot.registration, "bucket_start_s": s, "mission_id": row.id}
            for s in steps
        ]
        try:
            session.execute(insert(BookingRow), rows)
        except IntegrityError as exc:
            if _is_duplicate(exc):
                raise SlotTaken(f"{slot.registration} was booked meanwhile") from exc
            raise

    return then


def book_mission(
    engine: Engine,
    mission_id: int,
    *,
    now: datetime,
    vehicles: Sequence[VehicleRecord],
    blocks: Sequence[Block],
    rules: BookingRules,
    by: str = "scheduler",
    notifier: Notifier | None = None,
) -> Mission | NoSlot:
    """Book an approved (or held) mission on the earliest feasible vehicle and slot.

    Returns
    -------
    Mission | NoSlot
        The mission, now ``scheduled``; or why no slot was found (it is left as it was).

    Raises
    ------
    MissionNotFound
        No such mission.
    IllegalTransition
        The mission is neither approved nor held.
    SlotTaken
        Other bookers took the chosen time every one of a few tries.
    """
    for _ in range(_ATTEMPTS):
        mission = get_mission(engine, mission_id)
        if mission.status not in _BOOKABLE:
            raise IllegalTransition(mission_id, mission.status.value, "scheduled")
        needs = needs_of(vehicles, mission.kind, mission.estimate, rules)
        taken = bookings_of(
            engine, [n.registration for n in needs], now=now, until=mission.window_end, rules=rules
        )
        choice = choose_slot(
            window_start=mission.window_start,
            window_end=mission.window_end,
            not_before=now,
            needs=needs,
            bookings=taken,
            blocks=blocks,
            rules=rules,
        )
        if isinstance(choice, NoSlot):
            return choice
        try:
            return change_status(
                engine,
                mission_id,
                MissionStatus.SCHEDULED,
                by=by,
                now=now,
                expected_version=mission.version,
                notifier=notifier,
                changes={
                    "vehicle": choice.registration,
                    "slot_start": choice.start,
                    "slot_end": choice.end,
                    "busy_until": choice.busy_until,
                },
                then=_hold_time(choice, rules),
            )
        except (SlotTaken, VersionConflict):
            continue  # another booker won that time, or the mission changed: look again
    raise SlotTaken(f"mission {mission_id}: the vehicles' time kept being taken by other bookers")
