"""Dispatch with OR-tools, against the greedy baseline, on the Kasai scenario."""

import itertools
from datetime import timedelta

import pytest

from logistics.dispatch import Changes, dispatch, redispatch
from logistics.greedy import dispatch_greedy
from logistics.model import TemperatureClass
from logistics.schedule import DispatchRules, Hold, VehicleState
from tests.logistics import scenario as s
from tests.logistics.checks import assert_valid_dispatch

SOLVERS = [dispatch, dispatch_greedy]
EVERY_DROP = ["GARDEN", "NORTH", "EAST", "WEST", "SOUTH", "CLINIC"]


def _asap() -> list:
    return [s.request(f"R{i}", d) for i, d in enumerate(EVERY_DROP)]


@pytest.mark.parametrize("solve", SOLVERS)
def test_every_request_is_served_and_the_plan_keeps_every_rule(solve) -> None:
    requests, vehicles = _asap(), s.fleet("A", "B")
    plan = solve(requests, vehicles, s.PLACES, now=s.NOW)
    assert_valid_dispatch(plan, requests, vehicles, s.PLACES, now=s.NOW)
    assert {t.request_id for t in plan.trips} == {r.id for r in requests}
    assert {t.vehicle_id for t in plan.trips} == {"A", "B"}


def test_the_solver_delivers_sooner_than_the_greedy_baseline() -> None:
    requests, vehicles = _asap(), s.fleet("A", "B")
    asked = {r.id: r.requested_at for r in requests}
    solved = dispatch(requests, vehicles, s.PLACES, now=s.NOW)
    greedy = dispatch_greedy(requests, vehicles, s.PLACES, now=s.NOW)
    assert solved.delay_s(asked) < greedy.delay_s(asked)


def test_a_tight_window_is_kept_by_reordering() -> None:
    # SOUTH must be dropped within 20-30 min: the greedy earliest-deadline order keeps it too,
    # but the other requests must then wait for it, not the other way round.
    requests = [*_asap()[:4], s.request("TIGHT", "SOUTH", window_min=(20, 30))]
    vehicles = s.fleet("A")
    plan = dispatch(requests, vehicles, s.PLACES, now=s.NOW)
    assert_valid_dispatch(plan, requests, vehicles, s.PLACES, now=s.NOW)
    tight = plan.trip_for("TIGHT")
    assert tight is not None
    assert s.NOW + timedelta(minutes=20) <= tight.drop_at <= s.NOW + timedelta(minutes=30)


@pytest.mark.parametrize("solve", SOLVERS)
def test_nothing_flies_through_a_weather_hold(solve) -> None:
    hold = Hold(start=s.NOW + timedelta(minutes=15), end=s.NOW + timedelta(minutes=75),
                reason="wind 9 m/s")  # fmt: skip
    requests, vehicles = _asap(), s.fleet("A", "B")
    plan = solve(requests, vehicles, s.PLACES, now=s.NOW, holds=[hold])
    assert_valid_dispatch(plan, requests, vehicles, s.PLACES, now=s.NOW, holds=[hold])
    assert len(plan.trips) == len(requests)
    assert any(t.takeoff_at >= hold.end for t in plan.trips)


@pytest.mark.parametrize("solve", SOLVERS)
def test_what_no_vehicle_can_carry_is_reported_with_why(solve) -> None:
    requests = [
        s.request("HEAVY", "GARDEN", weight_kg=4.0),
        s.request("COLD", "EAST", temperature=TemperatureClass.COOL),
        s.request("LATE", "WEST", window_min=(-60, -30)),
        s.request("OK", "GARDEN"),
    ]
    plain = [VehicleState(vehicle=s.vehicle("A", insulated=False), ready_at=s.NOW)]
    plan = solve(requests, plain, s.PLACES, now=s.NOW)
    assert_valid_dispatch(plan, requests, plain, s.PLACES, now=s.NOW)
    reasons = {u.request_id: u.reason for u in plan.unassigned}
    assert "4 kg, over its 2.5 kg payload" in reasons["HEAVY"]
    assert "insulated" in reasons["COLD"]
    assert "window" in reasons["LATE"]
    assert [t.request_id for t in plan.trips] == ["OK"]


def test_a_cool_parcel_is_not_flown_longer_than_its_class_allows() -> None:
    rules = DispatchRules(max_air_s={TemperatureClass.COOL: 6 * 60.0})
    requests = [s.request("NEAR", "GARDEN", temperature=TemperatureClass.COOL),
                s.request("FAR", "SOUTH", temperature=TemperatureClass.COOL)]  # fmt: skip
    vehicles = s.fleet("A")
    plan = dispatch(requests, vehicles, s.PLACES, now=s.NOW, rules=rules)
    assert_valid_dispatch(plan, requests, vehicles, s.PLACES, now=s.NOW, rules=rules)
    assert [t.request_id for t in plan.trips] == ["NEAR"]
    assert "over the 6 min a cool parcel may be" in plan.unassigned[0].reason


def test_the_route_behind_the_no_fly_zone_goes_round_it() -> None:
    requests, vehicles = [s.request("N", "NORTH")], s.fleet("A")
    plan = dispatch(requests, vehicles, s.PLACES, now=s.NOW)
    assert_valid_dispatch(plan, requests, vehicles, s.PLACES, now=s.NOW)
    trip = plan.trips[0]
    assert trip.plan.stats["detour_m"] > 10.0
    assert "dropping objects (物件投下)" in trip.plan.permissions


def test_redispatch_keeps_flights_in_the_air_and_moves_a_failed_vehicles_work() -> None:
    requests, vehicles = _asap(), s.fleet("A", "B")
    first = dispatch(requests, vehicles, s.PLACES, now=s.NOW)
    later = s.NOW + timedelta(minutes=5)
    in_air = [t for t in first.trips if t.takeoff_at <= later]
    assert {t.vehicle_id for t in in_air} == {"A", "B"}
    failed = Changes(failed_vehicles=frozenset({"B"}), freeze_s=0.0)
    plan = redispatch(first, requests, vehicles, s.PLACES, failed, now=later)
    for trip in in_air:
        assert plan.trip_for(trip.request_id) == trip, "a flight in the air was changed"
    moved = [t for t in first.trips if t.vehicle_id == "B" and t.takeoff_at > later]
    assert moved
    for trip in moved:
        again = plan.trip_for(trip.request_id)
        assert again is not None
        assert again.vehicle_id == "A"
        assert again.takeoff_at >= later
    a_trips = plan.trips_of("A")
    for before, after in itertools.pairwise(a_trips):
        assert after.takeoff_at >= before.ready_at


def test_redispatch_drops_a_cancelled_request_and_takes_a_new_one() -> None:
    requests, vehicles = _asap(), s.fleet("A", "B")
    first = dispatch(requests, vehicles, s.PLACES, now=s.NOW)
    not_yet = max(first.trips, key=lambda t: t.takeoff_at)
    new = s.request("NEW", "CLINIC", at=s.NOW + timedelta(minutes=1))
    changes = Changes(cancelled=frozenset({not_yet.request_id}), new_requests=(new,))
    plan = redispatch(first, requests, vehicles, s.PLACES, changes,
                      now=s.NOW + timedelta(minutes=1))  # fmt: skip
    assert plan.trip_for(not_yet.request_id) is None
    assert plan.trip_for("NEW") is not None
    still = [r for r in requests if r.id != not_yet.request_id] + [new]
    assert_valid_dispatch(plan, still, vehicles, s.PLACES, now=s.NOW)
