"""Booking in the database: two bookers at once never book one vehicle's time twice."""

import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from api.scheduling import (
    BookingRules,
    IllegalTransition,
    Mission,
    MissionStatus,
    NoSlot,
    approve,
    book_mission,
    busy_steps,
    choose_slot,
    get_mission,
    history,
)
from api.scheduling.tables import BookingRow
from fleet.registry import VehicleRecord
from tests.scheduling.conftest import OPERATOR, NewMission, jst

RULES = BookingRules()


def approved_missions(engine: Engine, new_mission: NewMission, count: int) -> list[int]:
    ids = [new_mission() for _ in range(count)]
    for mission_id in ids:
        approve(engine, mission_id, by=OPERATOR)
    return ids


def in_threads(work: list[Callable[[], Any]]) -> list[Any]:
    results: list[Any] = [None] * len(work)

    def run(i: int) -> None:
        try:
            results[i] = work[i]()
        except Exception as exc:  # handed back to the test, which shows it
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(work))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def assert_apart(missions: list[Mission]) -> None:
    """No two missions hold a step of one vehicle's time."""
    seen: dict[tuple[str | None, int], int] = {}
    for m in missions:
        assert m.slot_start is not None
        assert m.busy_until is not None
        for step in busy_steps(m.slot_start, m.busy_until, RULES.step_s):
            assert (m.vehicle, step) not in seen, f"{m.id} and {seen[(m.vehicle, step)]} overlap"
            seen[(m.vehicle, step)] = m.id


def test_two_bookers_choosing_the_same_time_at_once_book_it_once(
    engine: Engine, fleet: list[VehicleRecord], new_mission: NewMission,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    first, second = approved_missions(engine, new_mission, 2)
    barrier = threading.Barrier(2, timeout=20)
    calls: list[object] = []
    choose = choose_slot

    def choose_then_wait(**kw: Any) -> object:
        chosen = choose(**kw)
        calls.append(chosen)
        if len(calls) <= 2:
            barrier.wait()  # both have read the same bookings and chosen the same time
        return chosen

    monkeypatch.setattr("api.scheduling.reserve.choose_slot", choose_then_wait)
    drone = fleet[:1]
    results = in_threads([
        lambda: book_mission(engine, first, now=jst(1, 5), vehicles=drone, blocks=[], rules=RULES),
        lambda: book_mission(engine, second, now=jst(1, 5), vehicles=drone, blocks=[], rules=RULES),
    ])  # fmt: skip
    assert all(isinstance(r, Mission) for r in results), results
    assert len(calls) == 3  # the loser chose again
    assert calls[0] == calls[1]  # from the same snapshot, the same time
    assert sorted(m.slot_start for m in results) == [jst(1, 6), jst(1, 6, 55)]
    assert_apart(results)
    for m in results:  # the loser's failed attempt left nothing behind
        assert [c.to_status for c in history(engine, m.id)] == [
            MissionStatus.REQUESTED, MissionStatus.APPROVED, MissionStatus.SCHEDULED,
        ]  # fmt: skip


def test_bookers_in_two_threads_book_every_mission_and_never_overlap(
    engine: Engine, fleet: list[VehicleRecord], new_mission: NewMission
) -> None:
    ids = approved_missions(engine, new_mission, 8)

    def book_all(mine: list[int]) -> list[Mission]:
        out = []
        for mission_id in mine:
            booked = book_mission(engine, mission_id, now=jst(1, 5), vehicles=fleet[:1],
                                  blocks=[], rules=RULES)  # fmt: skip
            assert isinstance(booked, Mission)
            out.append(booked)
        return out

    results = in_threads([lambda: book_all(ids[0::2]), lambda: book_all(ids[1::2])])
    assert all(isinstance(r, list) for r in results), results
    booked = [get_mission(engine, m) for m in ids]
    assert {m.status for m in booked} == {MissionStatus.SCHEDULED}
    assert_apart(booked)


def test_the_database_itself_refuses_a_second_booking_of_a_step(
    engine: Engine, fleet: list[VehicleRecord], new_mission: NewMission
) -> None:
    first, second = approved_missions(engine, new_mission, 2)
    booked = book_mission(engine, first, now=jst(1, 5), vehicles=fleet[:1], blocks=[], rules=RULES)
    assert isinstance(booked, Mission)
    assert booked.slot_start is not None
    assert booked.busy_until is not None
    taken = busy_steps(booked.slot_start, booked.busy_until, RULES.step_s)[-1]
    with Session(engine) as session:
        session.add(BookingRow(registration=fleet[0].registration, bucket_start_s=taken,
                               mission_id=second))  # fmt: skip
        with pytest.raises(IntegrityError):
            session.commit()


def test_a_mission_that_is_not_approved_is_not_booked_and_no_slot_leaves_it_alone(
    engine: Engine, fleet: list[VehicleRecord], new_mission: NewMission
) -> None:
    requested = new_mission()
    with pytest.raises(IllegalTransition, match="is requested; it cannot become scheduled"):
        book_mission(engine, requested, now=jst(1, 5), vehicles=fleet, blocks=[], rules=RULES)
    (mission_id,) = approved_missions(engine, new_mission, 1)
    outcome = book_mission(engine, mission_id, now=jst(1, 5), vehicles=[], blocks=[], rules=RULES)
    assert isinstance(outcome, NoSlot)
    assert get_mission(engine, mission_id).version == 2
