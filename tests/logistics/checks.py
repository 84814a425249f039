"""Invariants every dispatch plan must keep, whichever solver made it."""

from collections.abc import Sequence
from datetime import datetime, timedelta

import shapely

from logistics.feasibility import Places
from logistics.model import DeliveryRequest, TemperatureClass
from logistics.schedule import DispatchPlan, DispatchRules, Hold, VehicleState
from mission_planner import Action


def assert_valid_dispatch(
    plan: DispatchPlan,
    requests: Sequence[DeliveryRequest],
    vehicles: Sequence[VehicleState],
    places: Places,
    *,
    now: datetime,
    holds: Sequence[Hold] = (),
    rules: DispatchRules | None = None,
) -> None:
    """Each request served at most once or listed unserved with a reason; each vehicle's
    trips one after another with its turnaround between, from its own depot to the
    request's drop point; windows, holds, the cold chain (an insulated box for a cool or
    frozen parcel, no longer in the air than its class allows), the payload and the battery
    reserve kept; a release method both the drop point and the vehicle have; every flight
    plan avoids the no-fly zones."""
    rules = rules or DispatchRules()
    by_id = {r.id: r for r in requests}
    fleet = {v.vehicle.id: v for v in vehicles}
    served = [t.request_id for t in plan.trips]
    assert len(served) == len(set(served)), f"a request is served twice: {served}"
    left = {u.request_id for u in plan.unassigned}
    assert set(served) | left == set(by_id), "a request is neither served nor reported"
    assert not set(served) & left, "a request is both served and unserved"
    assert all(u.reason for u in plan.unassigned)
    no_fly = places.no_fly()
    for vehicle_id in {t.vehicle_id for t in plan.trips}:
        trips = plan.trips_of(vehicle_id)
        state = fleet[vehicle_id]
        ready = max(state.ready_at, now)
        for trip in trips:
            request = by_id[trip.request_id]
            assert trip.takeoff_at >= ready + timedelta(seconds=rules.loading_s) - timedelta(
                seconds=1
            ), f"{trip.request_id} takes off before {vehicle_id} is ready"
            assert trip.takeoff_at < trip.drop_at < trip.landed_at <= trip.ready_at
            if request.window is not None:
                assert request.window.earliest <= trip.drop_at <= request.window.latest
            for hold in holds:
                assert trip.landed_at <= hold.start or trip.takeoff_at >= hold.end, (
                    f"{trip.request_id} flies during the hold {hold.reason}"
                )
            limit = rules.max_air_s.get(request.temperature)
            if limit is not None:
                assert trip.air_to_drop_s <= limit
            if request.temperature is not TemperatureClass.AMBIENT:
                assert state.vehicle.insulated, (
                    f"{trip.request_id}: a {request.temperature.value} parcel on {vehicle_id}, "
                    "which has no insulated box"
                )
            drop = places.drop_points[request.drop_point_id]
            assert trip.drop_point_id == drop.id, f"{trip.request_id} flies to another drop point"
            assert trip.depot_id == state.vehicle.depot_id, (
                f"{trip.request_id}: {vehicle_id} flies from {trip.depot_id}, not its own depot "
                f"{state.vehicle.depot_id}"
            )
            assert trip.release in drop.releases, (
                f"{trip.request_id}: the drop point does not allow release {trip.release.value}"
            )
            assert trip.release in state.vehicle.releases, (
                f"{trip.request_id}: {vehicle_id} has no release {trip.release.value}"
            )
            assert request.weight_kg <= state.vehicle.payload_kg
            assert trip.energy_used_fraction <= 1.0 - rules.reserve_fraction
            assert trip.plan.payload_release is trip.release
            for leg in trip.plan.legs:
                line = shapely.LineString(leg.path)
                assert not any(line.intersects(z) for z in no_fly), "a leg enters a no-fly zone"
            assert trip.plan.legs[0].action is Action.DELIVER
            ready = trip.ready_at
