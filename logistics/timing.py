"""When a chosen flight happens: the earliest take-off a vehicle, the request's window and
the weather holds allow. Shared by the solver (to time the order it found) and the greedy
baseline, so the two differ only in the choices they make.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from logistics.feasibility import Option, Places, flight_plan
from logistics.model import DeliveryRequest, DeliveryVehicle
from logistics.schedule import DispatchRules, Hold, Trip, clear_of_holds

__all__ = ["Timing", "earliest_timing", "make_trip"]


@dataclass(frozen=True, kw_only=True, slots=True)
class Timing:
    """A flight's times."""

    takeoff_at: datetime
    drop_at: datetime
    landed_at: datetime
    ready_at: datetime


def earliest_timing(
    option: Option,
    request: DeliveryRequest,
    ready_at: datetime,
    *,
    now: datetime,
    holds: Sequence[Hold],
    rules: DispatchRules,
) -> Timing | None:
    """The earliest flight for ``option`` by a vehicle ready at ``ready_at``; None when it
    would miss the request's window or the planning horizon."""
    out, back = timedelta(seconds=option.out_s), timedelta(seconds=option.back_s)
    takeoff = max(ready_at, now) + timedelta(seconds=rules.loading_s)
    if request.window is not None:
        takeoff = max(takeoff, request.window.earliest - out)
    takeoff = clear_of_holds(takeoff, takeoff + out + back, holds)
    drop = takeoff + out
    latest = (
        request.window.latest
        if request.window is not None
        else now + timedelta(seconds=rules.horizon_s)
    )
    if drop > latest:
        return None
    landed = drop + back
    return Timing(
        takeoff_at=takeoff,
        drop_at=drop,
        landed_at=landed,
        ready_at=landed + timedelta(seconds=option.turnaround_s),
    )


def make_trip(
    option: Option,
    timing: Timing,
    request: DeliveryRequest,
    vehicles: Mapping[str, DeliveryVehicle],
    places: Places,
    rules: DispatchRules,
) -> Trip:
    """The trip for a timed option, with the planner's flight plan."""
    return Trip(
        request_id=request.id,
        vehicle_id=option.vehicle_id,
        depot_id=option.depot_id,
        drop_point_id=option.drop_point_id,
        release=option.release,
        takeoff_at=timing.takeoff_at,
        drop_at=timing.drop_at,
        landed_at=timing.landed_at,
        ready_at=timing.ready_at,
        energy_used_fraction=option.energy_used_fraction,
        plan=flight_plan(option, request, vehicles[option.vehicle_id], places, rules),
    )
