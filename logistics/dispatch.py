"""Dispatch: which vehicle flies which request, in what order — a vehicle routing problem
solved with Google OR-tools.

Each delivery is one flight, depot → drop point → depot (a parcel per flight, as drone
deliveries of medicine fly today), so a vehicle's route is the sequence of its flights and
the time between two of them is the first's way back, the battery swap or recharge, the
loading and the second's way out.

The model has one node per request. Only the vehicles that can carry it
(:mod:`logistics.feasibility`) and, with nothing else to fly, drop it in time
(:func:`logistics.timing.earliest_timing`) may visit it: its ``VehicleVar`` is restricted
with ``SetValues``, because ortools 9.15's Python binding of ``SetAllowedVehiclesForIndex``
refuses every list. Times differ by vehicle (speed, depot, battery swap or recharge), so
each vehicle has its own transit matrix (``RegisterTransitMatrix``: the first flight's way
back and turnaround, loading, the second's way out) and its own arc cost
(``RegisterUnaryTransitVector``: the seconds in the air of the flight at a node). Each node
is a disjunction of its own, at a large penalty when left out, so an impossible set of
requests still gets the best partial plan. The time dimension counts seconds from ``now``;
its value at a node is the drop time (less a constant with holds, below), held inside the
request's window (or the horizon).
The objective: seconds in the air (energy and wear), plus each second from the request (or
its window's opening, or ``now`` if later) to the drop, as
:meth:`~logistics.schedule.DispatchPlan.delay_s` counts delay.

A weather hold is a break of each vehicle (``SetBreakIntervalsOfVehicle``), which may not
overlap a flight. The binding takes a flight as starting at the node's time, so with holds
that time is the drop time less the request's slowest way out among its vehicles: a window
is still one range per node, and a vehicle keeps clear of a hold exactly on its way back,
and on its way out for as long as the request's slowest vehicle would take (longer than it
need be by the difference). Removing from each node's domain the drop times that would
meet a hold (``RemoveInterval``), the model used before, is as exact on the way out, less
on the way back (the slowest vehicle's), and took 2.7–3.4 times as long on the bench's
120-request case: OR-tools' local-search filters let through moves whose drop times fall
into such holes, and the solver rejects them only after propagating them.

The solve runs to the first local optimum (parallel cheapest insertion, then greedy
descent), capped at :data:`FIRST_SOLVE_CAP_S`. Each vehicle's order is timed
earliest-first (:mod:`logistics.timing`), which keeps every window the solver kept. A
repair pass then places each request the solver left out, the earliest deadline first,
where it adds the least cost: in a gap between two flights of any of its vehicles, or
before later flights that still keep their windows once moved later; failing that, in the
place of a flight that then fits elsewhere. A descent seldom serves a request that needs
several flights moved at once, so the repair pass also builds a plan from nothing; when
that serves more, it is kept, and the descent runs again from it if the model's holds
allow it. With ``search_s``, guided local search then starts from the solver's solution
for ``search_s`` seconds, and what it finds replaces the plan only if it serves every
request the plan did, and more or at a lower cost. A request that fits nowhere is reported
with :data:`~logistics.schedule.NO_ROOM`; one no vehicle could drop in time even with
nothing else to fly, with :data:`~logistics.schedule.NOT_IN_TIME`.

Re-dispatch (:func:`redispatch`) keeps every trip already in the air, and those about to
take off, untouched, and solves again for the rest.
"""

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from logistics.errors import BadRequest
from logistics.feasibility import Option, Places, options_for
from logistics.model import DeliveryRequest
from logistics.repair import Sequenced, Setting, better, served, timed_routes
from logistics.routing import Routing
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
from logistics.timing import make_trip

__all__ = ["FIRST_SOLVE_CAP_S", "Changes", "dispatch", "redispatch"]

FIRST_SOLVE_CAP_S = 30.0
"""Most wall-clock seconds the first solve may take (first solution and descent to a local
optimum, and the descent from the earliest deadline first when that is tried), so that the
service never blocks for minutes. When it is reached the best solution found so far is
kept, and the repair pass places what it left out (everything, the earliest deadline
first, if not even a first solution was complete). The bench's largest case, 120 requests
on 10 vehicles with a weather hold, takes about 12 s on 2 shared cores (bench/RESULTS.md)."""


def dispatch(
    requests: Sequence[DeliveryRequest],
    vehicles: Sequence[VehicleState],
    places: Places,
    *,
    now: datetime,
    holds: Sequence[Hold] = (),
    rules: DispatchRules | None = None,
    search_s: float | None = None,
) -> DispatchPlan:
    """Assign requests to vehicles and order each vehicle's flights.

    Parameters
    ----------
    requests
        The requests to serve (accepted, not yet flying).
    vehicles
        The vehicles available, each ready at its depot from a time.
    places
        Depots, drop points, the zone register and the local CRS.
    now
        The time the plan starts; nothing takes off before it.
    holds
        Weather holds: no flight may be in the air during one.
    rules
        Reserve, cold-chain limits, loading time, horizon.
    search_s
        Seconds of guided local search after the first local optimum, starting from it;
        what it finds is kept only if it serves every request the first did, and more or
        at a lower cost. None (or 0) stops at the first local optimum, which is
        deterministic unless :data:`FIRST_SOLVE_CAP_S` is reached.

    Returns
    -------
    DispatchPlan
        Trips with the planner's flight plans, and the requests left unserved with why.

    Raises
    ------
    BadRequest
        ``now`` without a time zone, a vehicle listed twice, or a negative ``search_s``.
    """
    if now.tzinfo is None:
        raise BadRequest("dispatch needs an aware 'now'")
    if search_s is not None and search_s < 0:
        raise BadRequest(f"search_s {search_s:g} is negative")
    rules = rules or DispatchRules()
    fleet = {v.vehicle.id: v.vehicle for v in vehicles}
    if len(fleet) != len(vehicles):
        raise BadRequest("a vehicle is listed twice")
    options, reasons = options_for(requests, list(fleet.values()), places, rules)
    setting = Setting(
        now=now, holds=tuple(holds), rules=rules, requests={r.id: r for r in requests},
        ready_at={v.vehicle.id: v.ready_at for v in vehicles},
    )  # fmt: skip
    for request in requests:
        # An option no flight can meet in time would give the solver an empty domain.
        timely = [o for o in options.get(request.id, []) if setting.time_alone(o) is not None]
        if request.id in options and not timely:
            del options[request.id]
            reasons[request.id] = NOT_IN_TIME
        elif timely:
            options[request.id] = timely
    unassigned = [Unassigned(request_id=k, reason=v) for k, v in reasons.items()]
    wanted = [r for r in requests if r.id in options]
    flights = _solve(wanted, options, vehicles, setting, search_s) if wanted else {}
    trips = [
        make_trip(option, timing, setting.requests[option.request_id], fleet, places, rules)
        for state in vehicles
        for option, timing in flights.get(state.vehicle.id, [])
    ]
    served = {t.request_id for t in trips}
    unassigned += [
        Unassigned(request_id=r.id, reason=NO_ROOM) for r in wanted if r.id not in served
    ]
    return DispatchPlan(trips=tuple(trips), unassigned=tuple(unassigned), solver="or-tools")


def _solve(
    requests: Sequence[DeliveryRequest],
    options: Mapping[str, Sequence[Option]],
    vehicles: Sequence[VehicleState],
    setting: Setting,
    search_s: float | None,
) -> dict[str, Sequenced]:
    """Each vehicle's flights, timed and repaired: the first local optimum, from cheapest
    insertion or, when that serves more, from the earliest deadline first; then what guided
    local search finds from it, if better."""
    cap = time.monotonic() + FIRST_SOLVE_CAP_S
    routing = Routing(requests, options, vehicles, setting)
    solution = routing.solve(FIRST_SOLVE_CAP_S)
    best = timed_routes(routing.routes(solution), requests, options, setting)
    # A descent can seldom serve a request that needs several flights moved at once; the
    # repair pass from nothing, the earliest deadline first, often does.
    built = timed_routes({}, requests, options, setting)
    if len(served(built)) > len(served(best)):
        best, start = built, routing.read(built)  # None when the model's holds bar it
        if start is not None and (left_s := cap - time.monotonic()) > 0:
            from_built = routing.solve(left_s, start)
            if from_built is not None:
                descended = timed_routes(routing.routes(from_built), requests, options, setting)
                if better(descended, built, setting):
                    solution, best = from_built, descended
    if solution is not None and search_s:
        improved = routing.improve(solution, search_s)
        if improved is not None:
            other = timed_routes(routing.routes(improved), requests, options, setting)
            if better(other, best, setting):
                best = other
    return best


@dataclass(frozen=True, kw_only=True, slots=True)
class Changes:
    """What happened since a plan was made."""

    failed_vehicles: frozenset[str] = frozenset()
    cancelled: frozenset[str] = frozenset()
    new_requests: tuple[DeliveryRequest, ...] = ()
    freeze_s: float = 600.0
    """Trips taking off within this many seconds of now are kept as they are: their parcel
    is being loaded and the resident has been told."""


def redispatch(
    previous: DispatchPlan,
    requests: Sequence[DeliveryRequest],
    vehicles: Sequence[VehicleState],
    places: Places,
    changes: Changes,
    *,
    now: datetime,
    holds: Sequence[Hold] = (),
    rules: DispatchRules | None = None,
    search_s: float | None = None,
) -> DispatchPlan:
    """Plan again after a vehicle failed, a request was cancelled or new ones came in.

    Trips already in the air (taken off by ``now``), and those taking off within
    ``changes.freeze_s``, stay exactly as they were, unless their vehicle failed before
    taking off; their vehicles are free again only once those trips are over. The other
    requests of ``previous`` and the new ones are dispatched again over the vehicles that
    have not failed.

    Parameters
    ----------
    previous
        The plan in force.
    requests
        The requests ``previous`` was made for (to look the kept ones up).
    vehicles
        The fleet as it was given to ``previous``.
    places, now, holds, rules, search_s
        As for :func:`dispatch`.
    changes
        Failed vehicles, cancelled requests, new requests, the freeze.
    """
    freeze = now + timedelta(seconds=changes.freeze_s)
    kept: list[Trip] = []
    for trip in previous.trips:
        in_air = trip.takeoff_at <= now
        frozen = trip.takeoff_at <= freeze and trip.vehicle_id not in changes.failed_vehicles
        if (in_air or frozen) and trip.request_id not in changes.cancelled:
            kept.append(trip)
    kept_ids = {t.request_id for t in kept}
    free = []
    for state in vehicles:
        if state.vehicle.id in changes.failed_vehicles:
            continue
        busy = [t.ready_at for t in kept if t.vehicle_id == state.vehicle.id]
        free.append(VehicleState(vehicle=state.vehicle, ready_at=max([state.ready_at, *busy])))
    again = [
        r
        for r in (*requests, *changes.new_requests)
        if r.id not in kept_ids and r.id not in changes.cancelled
    ]
    fresh = dispatch(again, free, places, now=now, holds=holds, rules=rules, search_s=search_s)
    trips = sorted((*kept, *fresh.trips), key=lambda t: (t.vehicle_id, t.takeoff_at))
    return DispatchPlan(trips=tuple(trips), unassigned=fresh.unassigned, solver=fresh.solver)
