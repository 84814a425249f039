"""The greedy baseline dispatch is measured against: earliest deadline first, each request
to the vehicle that drops it soonest. Kept only for comparison (bench/logistics.py); the
service dispatches with :func:`logistics.dispatch.dispatch`.
"""

from collections.abc import Sequence
from datetime import datetime, timedelta

from logistics.feasibility import Places, options_for
from logistics.model import DeliveryRequest
from logistics.schedule import (
    NO_ROOM,
    NOT_IN_TIME,
    DispatchPlan,
    DispatchRules,
    Hold,
    Trip,
    Unassigned,
    VehicleState,
)
from logistics.timing import earliest_timing, make_trip

__all__ = ["dispatch_greedy"]


def dispatch_greedy(
    requests: Sequence[DeliveryRequest],
    vehicles: Sequence[VehicleState],
    places: Places,
    *,
    now: datetime,
    holds: Sequence[Hold] = (),
    rules: DispatchRules | None = None,
) -> DispatchPlan:
    """Serve requests one by one, the earliest deadline first (an as-soon-as-possible
    request's deadline is its request time plus the horizon), each by the vehicle that can
    drop it soonest."""
    rules = rules or DispatchRules()
    by_id = {v.vehicle.id: v.vehicle for v in vehicles}
    options, reasons = options_for(requests, list(by_id.values()), places, rules)
    ready = {v.vehicle.id: v.ready_at for v in vehicles}
    first_ready = dict(ready)
    horizon = timedelta(seconds=rules.horizon_s)

    def deadline(r: DeliveryRequest) -> datetime:
        return r.window.latest if r.window is not None else r.requested_at + horizon

    trips: list[Trip] = []
    unassigned = [Unassigned(request_id=k, reason=v) for k, v in reasons.items()]
    for request in sorted((r for r in requests if r.id in options), key=deadline):
        timed = [
            (t, o)
            for o in options[request.id]
            if (t := earliest_timing(o, request, ready[o.vehicle_id], now=now, holds=holds,
                                     rules=rules)) is not None
        ]  # fmt: skip
        if not timed:
            alone = any(
                earliest_timing(o, request, first_ready[o.vehicle_id], now=now, holds=holds,
                                rules=rules) is not None
                for o in options[request.id]
            )  # fmt: skip
            why = NO_ROOM if alone else NOT_IN_TIME
            unassigned.append(Unassigned(request_id=request.id, reason=why))
            continue
        timing, option = min(timed, key=lambda pair: (pair[0].drop_at, pair[1].vehicle_id))
        ready[option.vehicle_id] = timing.ready_at
        trips.append(make_trip(option, timing, request, by_id, places, rules))
    trips.sort(key=lambda t: (t.vehicle_id, t.takeoff_at))
    return DispatchPlan(trips=tuple(trips), unassigned=tuple(unassigned), solver="greedy")
