"""Choosing a slot: worked examples, then properties over generated fleets, bookings and weather."""

import itertools
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.scheduling import (
    Block,
    Booking,
    BookingRules,
    Hold,
    MissionKind,
    NoSlot,
    NoSlotCause,
    PlanEstimate,
    Slot,
    VehicleNeed,
    WorkingHours,
    busy_steps,
    choose_slot,
    is_eligible,
    mission_duration_s,
    needs_of,
)
from fleet.registry import Sprayer
from tests.fleet.test_registry import sprayer_drone
from tests.scheduling.conftest import CAMERA, SPRAYER, SPRAYER_2, camera_drone, jst

RULES = BookingRules()
HOUR = timedelta(hours=1)


def need(registration: str = SPRAYER, minutes: float = 35) -> VehicleNeed:
    return VehicleNeed(registration=registration, duration_s=minutes * 60)


def wind_block(start: datetime, end: datetime) -> Block:
    hold = Hold(what="wind", at=start, value=4.0, limit=3.0, kind=MissionKind.SPRAY)
    return Block(start=start, end=end, hold=hold)


def choose(**kw: Any) -> Slot | NoSlot:
    values: dict[str, Any] = {
        "window_start": jst(1, 0), "window_end": jst(4, 0), "not_before": jst(1, 5),
        "needs": [need()], "bookings": [], "blocks": [], "rules": RULES,
    }  # fmt: skip
    return choose_slot(**(values | kw))


def test_the_first_slot_is_at_the_start_of_the_working_day_after_the_notice() -> None:
    slot = choose()
    assert slot == Slot(registration=SPRAYER, start=jst(1, 6), end=jst(1, 6, 35),
                        busy_until=jst(1, 6, 55))  # fmt: skip
    later = choose(not_before=jst(1, 6, 2))  # an hour's notice, then the next 5-minute step
    assert isinstance(later, Slot)
    assert later.start == jst(1, 7, 5)


def test_a_busy_vehicle_is_booked_after_its_turnaround_or_another_is_taken() -> None:
    busy = Booking(registration=SPRAYER, start=jst(1, 6), busy_until=jst(1, 7))
    assert choose(bookings=[busy]) == Slot(
        registration=SPRAYER, start=jst(1, 7), end=jst(1, 7, 35), busy_until=jst(1, 7, 55)
    )
    both = choose(bookings=[busy], needs=[need(), need(SPRAYER_2)])
    assert isinstance(both, Slot)
    assert (both.registration, both.start) == (SPRAYER_2, jst(1, 6))


def test_a_slot_never_runs_past_the_working_day() -> None:
    slot = choose(not_before=jst(1, 16, 40))  # 17:40 is too late for 35 minutes before 18:00
    assert isinstance(slot, Slot)
    assert slot.start == jst(2, 6)


def test_weather_moves_the_slot_and_says_so_when_nothing_is_left() -> None:
    morning = wind_block(jst(1, 6), jst(1, 9))
    slot = choose(blocks=[morning])
    assert isinstance(slot, Slot)
    assert slot.start == jst(1, 9)
    whole = wind_block(jst(1, 0), jst(4, 0))
    refused = choose(blocks=[whole])
    assert refused == NoSlot(cause=NoSlotCause.WEATHER, block=whole)


@pytest.mark.parametrize(
    ("kw", "cause"),
    [
        ({"needs": []}, NoSlotCause.NO_VEHICLE),
        ({"needs": [need(minutes=13 * 60)]}, NoSlotCause.TOO_LONG),
        ({"not_before": jst(3, 17)}, NoSlotCause.WINDOW),
        ({"bookings": [Booking(registration=SPRAYER, start=jst(1, 0), busy_until=jst(4, 0))]},
         NoSlotCause.BUSY),
    ],
)  # fmt: skip
def test_no_slot_says_why(kw: dict[str, object], cause: NoSlotCause) -> None:
    assert choose(**kw) == NoSlot(cause=cause)


def test_spraying_needs_a_sprayer_and_a_smaller_tank_means_more_sorties() -> None:
    estimate = PlanEstimate(sorties=2, flight_time_s=1500.0, volume_l=16.0)
    small_tank = sprayer_drone(tank_l=5.0)  # 4 tankfuls: 3 turnarounds
    assert mission_duration_s(estimate, MissionKind.SPRAY, 5.0, RULES) == 1500 + 3 * 600
    assert mission_duration_s(estimate, MissionKind.SURVEY, 0.0, RULES) == 1500 + 600
    assert not is_eligible(camera_drone(), MissionKind.SPRAY)
    assert is_eligible(camera_drone(), MissionKind.SURVEY)
    assert not is_eligible(sprayer_drone(retired_at=jst(1, 0)), MissionKind.SPRAY)
    needs = needs_of([camera_drone(), small_tank], MissionKind.SPRAY, estimate, RULES)
    assert needs == [VehicleNeed(registration=SPRAYER, duration_s=3300.0)]
    assert not is_eligible(sprayer_drone(sprayer=Sprayer(), tank_l=5.0), MissionKind.SPRAY)


def test_a_survey_goes_to_a_reachable_camera_drone_never_to_a_sprayer() -> None:
    estimate = PlanEstimate(sorties=1, flight_time_s=900.0, area_ha=1.6)
    fleet = [sprayer_drone(), camera_drone(), sprayer_drone(registration=SPRAYER_2)]
    needs = needs_of(fleet, MissionKind.SURVEY, estimate, RULES)
    assert needs == [VehicleNeed(registration=CAMERA, duration_s=900.0)]
    assert not is_eligible(sprayer_drone(sprayer=Sprayer(), tank_l=5.0), MissionKind.SURVEY)
    assert not is_eligible(replace(camera_drone(), connection=None), MissionKind.SURVEY)
    assert not is_eligible(replace(camera_drone(), retired_at=jst(1, 0)), MissionKind.SURVEY)


# Properties


EPOCH = datetime(2026, 6, 1, tzinfo=UTC)
STEPS = st.sampled_from([60, 300, 600, 900])
VEHICLES = ["JU0000000001", "JU0000000002", "JU0000000003"]


@dataclass(frozen=True, kw_only=True)
class Problem:
    """The arguments of one call of :func:`choose_slot`."""

    window_start: datetime
    window_end: datetime
    not_before: datetime
    needs: list[VehicleNeed]
    bookings: list[Booking]
    blocks: list[Block]
    rules: BookingRules

    def choose(self) -> Slot | NoSlot:
        return choose_slot(**{f.name: getattr(self, f.name) for f in fields(self)})


@st.composite
def problems(draw: st.DrawFn) -> Problem:
    """A small random booking problem: a window of up to 3 days, up to 3 vehicles with their
    bookings, up to 4 weather blocks, working hours, turnarounds and a step."""
    minutes = st.integers(min_value=0, max_value=3 * 24 * 60)
    start = EPOCH + timedelta(minutes=draw(minutes))
    opens = draw(st.integers(0, 12 * 60))
    closes = draw(st.integers(opens + 60, 24 * 60 - 1))
    rules = BookingRules(
        working_hours=WorkingHours(
            start=time(opens // 60, opens % 60), end=time(closes // 60, closes % 60)
        ),
        step_s=draw(STEPS),
        notice_s=draw(st.integers(0, 7200)),
        sortie_turnaround_s=draw(st.integers(0, 1800)),
        mission_turnaround_s=draw(st.integers(0, 3600)),
    )
    count = draw(st.integers(1, 3))
    needs = [
        VehicleNeed(registration=r, duration_s=draw(st.integers(60, 6 * 3600)))
        for r in VEHICLES[:count]
    ]
    bookings = []
    for r in VEHICLES[:count]:
        for _ in range(draw(st.integers(0, 4))):
            b_start = EPOCH + timedelta(minutes=draw(minutes))
            b_len = timedelta(minutes=draw(st.integers(5, 8 * 60)))
            bookings.append(Booking(registration=r, start=b_start, busy_until=b_start + b_len))
    blocks = []
    for _ in range(draw(st.integers(0, 4))):
        b_start = EPOCH + timedelta(minutes=draw(minutes))
        blocks.append(wind_block(b_start, b_start + HOUR * draw(st.integers(1, 12))))
    return Problem(
        window_start=start,
        window_end=start + timedelta(minutes=draw(st.integers(30, 3 * 24 * 60))),
        not_before=EPOCH + timedelta(minutes=draw(minutes)),
        needs=needs,
        bookings=bookings,
        blocks=blocks,
        rules=rules,
    )


def wrong_with(slot: Slot, p: Problem) -> list[str]:
    """What is wrong with ``slot`` for ``p`` (nothing: it is feasible)."""
    rules = p.rules
    wrong = []
    lower = max(p.not_before + timedelta(seconds=rules.notice_s), p.window_start)
    if slot.start < lower or slot.end > p.window_end:
        wrong.append("outside the window or before the notice")
    if (slot.start - EPOCH).total_seconds() % rules.step_s:
        wrong.append("not on a step")
    day_start, day_end = rules.working_hours.day_of(slot.start)
    if not day_start <= slot.start < slot.end <= day_end:
        wrong.append("outside working hours")
    if slot.busy_until < slot.end + timedelta(seconds=rules.mission_turnaround_s):
        wrong.append("no turnaround after it")
    for b in p.bookings:
        if b.registration == slot.registration and (
            slot.start < b.busy_until and b.start < slot.busy_until
        ):
            wrong.append(f"overlaps {b}")
    for block in p.blocks:
        if slot.start < block.end and block.start < slot.end:
            wrong.append(f"in weather block {block.start}–{block.end}")
    return wrong


def brute_force(p: Problem) -> Slot | None:
    """The earliest feasible slot, by trying every step of the window."""
    step = timedelta(seconds=p.rules.step_s)
    at = EPOCH + (p.window_start - EPOCH) // step * step
    while at < p.window_end:
        for n in p.needs:
            end = at + timedelta(seconds=n.duration_s)
            turnaround = end + timedelta(seconds=p.rules.mission_turnaround_s)
            busy = EPOCH + -((EPOCH - turnaround) // step) * step
            slot = Slot(registration=n.registration, start=at, end=end, busy_until=busy)
            if not wrong_with(slot, p):
                return slot
        at += step
    return None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_the_chosen_slot_is_feasible_and_nothing_earlier_is(p: Problem) -> None:
    chosen = p.choose()
    expected = brute_force(p)
    if isinstance(chosen, NoSlot):
        assert expected is None, f"missed {expected}"
        return
    assert wrong_with(chosen, p) == []
    assert expected is not None
    assert (chosen.start, chosen.registration) == (expected.start, expected.registration)


@settings(max_examples=150, deadline=None)
@given(problems(), st.integers(2, 8))
def test_booking_one_mission_after_another_never_double_books(p: Problem, missions: int) -> None:
    booked: list[Slot] = []
    for _ in range(missions):
        chosen = p.choose()
        if isinstance(chosen, NoSlot):
            break
        booked.append(chosen)
        taken = Booking(
            registration=chosen.registration, start=chosen.start, busy_until=chosen.busy_until
        )
        p = replace(p, bookings=[*p.bookings, taken])
    step_s, turnaround = p.rules.step_s, timedelta(seconds=p.rules.mission_turnaround_s)
    for a, b in itertools.combinations(booked, 2):
        if a.registration == b.registration:
            steps_a = set(busy_steps(a.start, a.busy_until, step_s))
            assert not steps_a & set(busy_steps(b.start, b.busy_until, step_s))
            assert a.start >= b.end + turnaround or b.start >= a.end + turnaround
