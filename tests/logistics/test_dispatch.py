"""Dispatch with OR-tools, against the greedy baseline, on the Kasai scenario."""

import importlib
import itertools
from datetime import timedelta

import pytest

from logistics.dispatch import Changes, dispatch, redispatch
from logistics.feasibility import Option, options_for
from logistics.greedy import dispatch_greedy
from logistics.model import DeliveryRequest, TemperatureClass
from logistics.repair import Setting, cheapest, repair, timed_routes
from logistics.schedule import (
    NO_ROOM,
    NOT_IN_TIME,
    DispatchPlan,
    DispatchRules,
    Hold,
    VehicleState,
)
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


def test_a_vehicle_ready_during_a_hold_flies_once_it_is_over() -> None:
    hold = Hold(start=s.NOW + timedelta(minutes=15), end=s.NOW + timedelta(minutes=75),
                reason="rain")  # fmt: skip
    requests = _asap()
    vehicles = [*s.fleet("A"), *s.fleet("B", ready=s.NOW + timedelta(minutes=30))]
    plan = dispatch(requests, vehicles, s.PLACES, now=s.NOW, holds=[hold])
    assert_valid_dispatch(plan, requests, vehicles, s.PLACES, now=s.NOW, holds=[hold])
    assert len(plan.trips) == len(requests)
    assert plan.trips_of("B")
    assert all(t.takeoff_at >= hold.end for t in plan.trips_of("B"))


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


def _cost_s(plan: DispatchPlan, requests: list[DeliveryRequest]) -> float:
    """What dispatch minimises: seconds in the air, plus each drop's delay from the request
    (or its window's opening), counted from now at the earliest."""
    asked = {r.id: max(r.window.earliest if r.window else r.requested_at, s.NOW) for r in requests}
    return plan.flight_s + plan.delay_s(asked)


def _mixed() -> list[DeliveryRequest]:
    return [
        *_asap()[:4],
        s.request("W1", "CLINIC", window_min=(40, 70)),
        s.request("W2", "GARDEN", window_min=(30, 60)),
        s.request("W3", "EAST", window_min=(90, 150)),
        s.request("R6", "WEST", at=s.NOW - timedelta(minutes=30)),
    ]


def test_guided_search_never_serves_less_or_costs_more_than_the_first_local_optimum() -> None:
    requests, vehicles = _mixed(), s.fleet("A", "B")
    first = dispatch(requests, vehicles, s.PLACES, now=s.NOW)
    searched = dispatch(requests, vehicles, s.PLACES, now=s.NOW, search_s=0.5)
    assert_valid_dispatch(searched, requests, vehicles, s.PLACES, now=s.NOW)
    assert {t.request_id for t in searched.trips} >= {t.request_id for t in first.trips}
    assert _cost_s(searched, requests) <= _cost_s(first, requests) + 1e-6


def test_no_guided_search_is_the_first_local_optimum_and_deterministic() -> None:
    requests, vehicles = _mixed(), s.fleet("A", "B")
    plans = [dispatch(requests, vehicles, s.PLACES, now=s.NOW, search_s=x) for x in (None, 0)]
    assert plans[0].trips == plans[1].trips
    assert len(plans[0].trips) == len(requests)


def test_a_windowed_request_is_dropped_soon_after_its_window_opens() -> None:
    # Its delay counts from the opening as an ASAP request's does from the request, so the
    # solver does not leave it to the end of its window behind the ASAP flights.
    requests = [*_asap()[:4], s.request("W", "CLINIC", window_min=(30, 300))]
    vehicles = s.fleet("A")
    plan = dispatch(requests, vehicles, s.PLACES, now=s.NOW)
    assert_valid_dispatch(plan, requests, vehicles, s.PLACES, now=s.NOW)
    w = plan.trip_for("W")
    assert w is not None
    assert w.drop_at - (s.NOW + timedelta(minutes=30)) < timedelta(minutes=30)


# One vehicle, windows that overlap: the descent from cheapest insertion alone left one of
# each set out (ortools 9.15), which the earliest deadline first serves.
CROWDED = {
    "a": [("W0", "CLINIC", (30, 60)), ("W1", "WEST", (10, 30)), ("A2", "CLINIC", None),
          ("W3", "SOUTH", (10, 70)), ("W4", "SOUTH", (60, 90))],
    "b": [("W0", "EAST", (20, 50)), ("W1", "GARDEN", (10, 55)), ("W2", "CLINIC", (10, 40)),
          ("A3", "GARDEN", None), ("W4", "NORTH", (10, 40)), ("A5", "WEST", None)],
    "c": [("W0", "CLINIC", (60, 120)), ("A1", "WEST", None), ("W2", "EAST", (10, 55)),
          ("W3", "GARDEN", (30, 60)), ("W4", "NORTH", (90, 110)), ("W5", "EAST", (45, 65))],
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(CROWDED))
def test_the_solver_serves_at_least_what_the_greedy_baseline_serves(name: str) -> None:
    requests = [s.request(r, drop, window_min=w) for r, drop, w in CROWDED[name]]
    vehicles = s.fleet("A")
    plan = dispatch(requests, vehicles, s.PLACES, now=s.NOW)
    greedy = dispatch_greedy(requests, vehicles, s.PLACES, now=s.NOW)
    assert_valid_dispatch(plan, requests, vehicles, s.PLACES, now=s.NOW)
    assert len(plan.trips) >= len(greedy.trips)


def test_what_fits_alone_but_not_beside_the_rest_is_reported_as_no_room() -> None:
    # Each of the two alone fits the vehicle's first hour; both do not: one flight back, a
    # battery swap and the other flight out take longer than the ten minutes of window.
    requests = [
        s.request("T1", "EAST", window_min=(20, 30)),
        s.request("T2", "WEST", window_min=(20, 30)),
        s.request("GONE", "GARDEN", window_min=(-10, 1)),  # no take-off before loading ends
    ]
    vehicles = s.fleet("A")
    plan = dispatch(requests, vehicles, s.PLACES, now=s.NOW)
    assert_valid_dispatch(plan, requests, vehicles, s.PLACES, now=s.NOW)
    reasons = {u.request_id: u.reason for u in plan.unassigned}
    assert len(plan.trips) == 1
    assert reasons.pop("GONE") == NOT_IN_TIME
    assert list(reasons.values()) == [NO_ROOM]


def _setting(
    requests: list[DeliveryRequest], vehicles: list[VehicleState]
) -> tuple[dict[str, list[Option]], Setting]:
    """Each request's options, and what timing them needs, as dispatch finds them."""
    rules = DispatchRules()
    options, _ = options_for(requests, [v.vehicle for v in vehicles], s.PLACES, rules)
    setting = Setting(
        now=s.NOW, holds=(), rules=rules, requests={r.id: r for r in requests},
        ready_at={v.vehicle.id: v.ready_at for v in vehicles},
    )  # fmt: skip
    return options, setting


def _ids(timed: dict, vehicle_id: str) -> list[str]:
    return [o.request_id for o, _ in timed.get(vehicle_id, [])]


def test_the_repair_pass_puts_a_left_out_request_in_a_gap_without_moving_the_rest() -> None:
    requests = [
        s.request("X", "EAST", window_min=(10, 20)),
        s.request("Y", "WEST", window_min=(60, 90)),
        s.request("LEFT", "GARDEN"),
    ]
    vehicles = s.fleet("A")
    options, setting = _setting(requests, vehicles)
    solved = {"A": [options["X"][0], options["Y"][0]]}  # the solver left LEFT out
    before = timed_routes(solved, requests[:2], options, setting)
    after = timed_routes(solved, requests, options, setting)
    assert _ids(after, "A") == ["X", "LEFT", "Y"]
    assert [after["A"][0], after["A"][2]] == before["A"], "a flight already there moved"
    assert after["A"][1][1].ready_at <= after["A"][2][1].takeoff_at


def test_the_repair_pass_makes_room_by_moving_a_flight_to_another_vehicle() -> None:
    # The cool parcel fits only the insulated A, and only where the ambient one flies now;
    # the ambient one fits the plain P, which the solver left idle.
    requests = [
        s.request("AMBIENT", "GARDEN"),
        s.request("LATER", "WEST", window_min=(25, 35)),
        s.request("COOL", "EAST", window_min=(10, 20), temperature=TemperatureClass.COOL),
    ]
    vehicles = [*s.fleet("A"), VehicleState(vehicle=s.vehicle("P", insulated=False),
                                            ready_at=s.NOW)]  # fmt: skip
    options, setting = _setting(requests, vehicles)
    assert [o.vehicle_id for o in options["COOL"]] == ["A"]
    solved = {"A": [options["AMBIENT"][0], options["LATER"][0]]}
    assert cheapest(options["COOL"], timed_routes(solved, requests[:2], options, setting),
                     setting) is None  # fmt: skip
    timed = timed_routes(solved, requests, options, setting)
    assert _ids(timed, "A") == ["COOL", "LATER"]
    assert _ids(timed, "P") == ["AMBIENT"]


def test_the_repair_pass_reports_what_fits_nowhere() -> None:
    requests = [
        s.request("T1", "EAST", window_min=(20, 30)),
        s.request("T2", "WEST", window_min=(20, 30)),
    ]
    vehicles = s.fleet("A")
    options, setting = _setting(requests, vehicles)
    timed = timed_routes({"A": [options["T1"][0]]}, requests[:1], options, setting)
    assert repair(requests[1:], timed, options, setting) == ["T2"]
    assert _ids(timed, "A") == ["T1"]


def test_a_first_solve_cut_short_by_the_cap_still_gives_a_valid_plan(monkeypatch) -> None:
    # The module, not logistics.dispatch the function, which the package re-exports.
    module = importlib.import_module("logistics.dispatch")
    monkeypatch.setattr(module, "FIRST_SOLVE_CAP_S", 1e-3)
    drops = ["GARDEN", "EAST", "WEST", "CLINIC", "NORTH"]
    requests = [
        s.request(f"R{k:02d}", drops[k % len(drops)],
                  window_min=(20 * (k % 7), 20 * (k % 7) + 90) if k % 3 == 0 else None)
        for k in range(40)
    ]  # fmt: skip
    vehicles = s.fleet("A", "B", "C")
    plan = dispatch(requests, vehicles, s.PLACES, now=s.NOW)
    assert_valid_dispatch(plan, requests, vehicles, s.PLACES, now=s.NOW)
    assert len(plan.trips) >= len(requests) // 2
