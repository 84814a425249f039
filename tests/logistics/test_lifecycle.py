"""A delivery's states: the main line, its branches, and the steps refused."""

from datetime import timedelta

import pytest

from logistics.errors import BadRequest, IllegalTransition
from logistics.lifecycle import ALLOWED, TERMINAL, Delivery, DeliveryState, record_landing, step
from tests.logistics.scenario import NOW

S = DeliveryState
MAIN_LINE = [S.ACCEPTED, S.SCHEDULED, S.LOADING, S.IN_FLIGHT, S.ARRIVED, S.RELEASED, S.CONFIRMED,
             S.VEHICLE_RETURNED]  # fmt: skip


def _walk(states: list[DeliveryState]) -> Delivery:
    d = Delivery.new("D1", at=NOW, by="pharmacy:P1")
    for minute, state in enumerate(states, start=1):
        d = step(d, state, at=NOW + timedelta(minutes=minute), by="test")
    return d


def test_the_main_line_is_audited_step_by_step() -> None:
    d = _walk(MAIN_LINE)
    assert d.state is S.VEHICLE_RETURNED
    assert [e.to_state for e in d.events] == [S.REQUESTED, *MAIN_LINE]
    assert [e.from_state for e in d.events] == [None, S.REQUESTED, *MAIN_LINE[:-1]]
    assert d.entered(S.RELEASED) == NOW + timedelta(minutes=6)


@pytest.mark.parametrize(
    ("path", "wanted"),
    [
        ([], S.RELEASED),
        ([S.ACCEPTED, S.SCHEDULED, S.LOADING, S.IN_FLIGHT], S.CANCELLED),
        ([S.ACCEPTED, S.SCHEDULED, S.LOADING, S.IN_FLIGHT, S.ARRIVED, S.RELEASED], S.ARRIVED),
        ([S.CANCELLED], S.ACCEPTED),
        ([S.ACCEPTED, S.FAILED], S.ACCEPTED),
    ],
)
def test_a_step_the_state_does_not_allow_is_refused(
    path: list[DeliveryState], wanted: DeliveryState
) -> None:
    d = _walk(path)
    with pytest.raises(IllegalTransition, match=f"cannot become {wanted.value}"):
        step(d, wanted, at=NOW + timedelta(hours=1), by="test")


def test_terminal_states_allow_nothing_and_every_state_is_reachable() -> None:
    assert {S.VEHICLE_RETURNED, S.FAILED, S.CANCELLED, S.RETURNED_TO_PHARMACY} == TERMINAL
    reachable = {S.REQUESTED}
    frontier = [S.REQUESTED]
    while frontier:
        for nxt in ALLOWED[frontier.pop()]:
            if nxt not in reachable:
                reachable.add(nxt)
                frontier.append(nxt)
    assert reachable == set(S)


def test_a_landing_before_the_confirmation_completes_the_delivery_when_confirmed() -> None:
    d = _walk(MAIN_LINE[:6])
    landed = NOW + timedelta(minutes=10)
    d = record_landing(d, at=landed, by="vehicle:A")
    assert d.state is S.RELEASED
    assert d.landed_at == landed
    d = step(d, S.CONFIRMED, at=NOW + timedelta(minutes=20), by="resident:R1")
    assert d.state is S.VEHICLE_RETURNED
    assert landed.isoformat() in d.events[-1].note


def test_a_landing_after_the_confirmation_completes_it_at_once() -> None:
    d = _walk(MAIN_LINE[:7])
    d = record_landing(d, at=NOW + timedelta(minutes=30), by="vehicle:A")
    assert d.state is S.VEHICLE_RETURNED
    assert d.events[-1].by == "vehicle:A"


def test_a_landing_with_the_parcel_aboard_is_not_a_return() -> None:
    d = _walk(MAIN_LINE[:4])
    with pytest.raises(IllegalTransition):
        record_landing(d, at=NOW + timedelta(minutes=30), by="vehicle:A")


def test_a_vehicle_failing_before_take_off_sends_the_delivery_back_to_dispatch() -> None:
    d = step(_walk(MAIN_LINE[:3]), S.ACCEPTED, at=NOW + timedelta(minutes=9), by="dispatcher")
    assert d.state is S.ACCEPTED
    assert (
        step(d, S.SCHEDULED, at=NOW + timedelta(minutes=10), by="dispatcher").state is S.SCHEDULED
    )


def test_time_runs_forward_and_carries_a_zone() -> None:
    d = _walk([S.ACCEPTED])
    with pytest.raises(BadRequest, match="before its last"):
        step(d, S.SCHEDULED, at=NOW, by="dispatcher")
    with pytest.raises(BadRequest, match="time zone"):
        step(d, S.SCHEDULED, at=NOW.replace(tzinfo=None) + timedelta(hours=1), by="dispatcher")


def test_a_parcel_brought_back_by_a_fault_goes_back_to_dispatch() -> None:
    d = _walk(MAIN_LINE[:5])  # arrived, the parcel still aboard
    back = step(d, S.ACCEPTED, at=NOW + timedelta(minutes=20), by="vehicle:A",
                note="vehicle fault: back at the depot")  # fmt: skip
    assert back.state is S.ACCEPTED
    assert step(back, S.SCHEDULED, at=NOW + timedelta(minutes=21), by="dispatcher").state is (
        S.SCHEDULED
    )
    with pytest.raises(IllegalTransition):
        step(_walk(MAIN_LINE[:6]), S.ACCEPTED, at=NOW + timedelta(hours=1), by="x")  # released
