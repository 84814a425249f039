"""Dispatch: which vehicle flies which request, in what order — a vehicle routing problem
solved with Google OR-tools.

Each delivery is one flight, depot → drop point → depot (a parcel per flight, as drone
deliveries of medicine fly today), so a vehicle's route is the sequence of its flights and
the time between two of them is the first's way back, the battery swap or recharge, the
loading and the second's way out. Every feasible (request, vehicle) pair
(:mod:`logistics.feasibility`) is a node that only its vehicle may visit; a request's
nodes form a disjunction that serves it at most once, at a large penalty when it is left
out, so an impossible set of requests still gets the best partial plan. The time dimension
counts seconds from ``now``; its value at a node is the drop time, held inside the
request's window; the drop times at which the flight would be in the air during a weather
hold are removed from the node's domain. The objective: seconds in the air (energy and
wear), plus, for as-soon-as-possible requests, each second between the request and the
drop. The order found is then timed earliest-first (:mod:`logistics.timing`), which keeps
every window the solver kept.

Re-dispatch (:func:`redispatch`) keeps every trip already in the air, and those about to
take off, untouched, and solves again for the rest.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from logistics.errors import BadRequest
from logistics.feasibility import Option, Places, options_for
from logistics.model import DeliveryRequest
from logistics.schedule import (
    NOT_IN_TIME,
    DispatchPlan,
    DispatchRules,
    Hold,
    Trip,
    Unassigned,
    VehicleState,
)
from logistics.timing import earliest_timing, make_trip

__all__ = ["Changes", "dispatch", "redispatch"]


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
        Seconds of guided local search after the first local optimum; None stops at the
        first local optimum, which is deterministic.

    Returns
    -------
    DispatchPlan
        Trips with the planner's flight plans, and the requests left unserved with why.
    """
    if now.tzinfo is None:
        raise BadRequest("dispatch needs an aware 'now'")
    rules = rules or DispatchRules()
    fleet = {v.vehicle.id: v.vehicle for v in vehicles}
    if len(fleet) != len(vehicles):
        raise BadRequest("a vehicle is listed twice")
    options, reasons = options_for(requests, list(fleet.values()), places, rules)
    ready_at = {v.vehicle.id: v.ready_at for v in vehicles}
    for request in requests:
        # An option no flight can meet in time would give the solver an empty domain.
        timely = [
            o
            for o in options.get(request.id, [])
            if earliest_timing(
                o, request, ready_at[o.vehicle_id], now=now, holds=holds, rules=rules
            )
        ]
        if request.id in options and not timely:
            del options[request.id]
            reasons[request.id] = NOT_IN_TIME
        elif timely:
            options[request.id] = timely
    unassigned = [Unassigned(request_id=k, reason=v) for k, v in reasons.items()]
    wanted = [r for r in requests if r.id in options]
    if not wanted or not vehicles:
        unassigned += [Unassigned(request_id=r.id, reason="no vehicle available") for r in wanted]
        return DispatchPlan(trips=(), unassigned=tuple(unassigned), solver="or-tools")
    routes = _solve(wanted, options, vehicles, now=now, holds=holds, rules=rules, search_s=search_s)
    by_request = {r.id: r for r in wanted}
    trips: list[Trip] = []
    served: set[str] = set()
    for state in vehicles:
        ready = state.ready_at
        for option in routes.get(state.vehicle.id, []):
            request = by_request[option.request_id]
            timing = earliest_timing(option, request, ready, now=now, holds=holds, rules=rules)
            if timing is None:  # the solver counts whole seconds: never late, but be sure
                continue
            ready = timing.ready_at
            trips.append(make_trip(option, timing, request, fleet, places, rules))
            served.add(request.id)
    unassigned += [
        Unassigned(request_id=r.id, reason=NOT_IN_TIME) for r in wanted if r.id not in served
    ]
    return DispatchPlan(trips=tuple(trips), unassigned=tuple(unassigned), solver="or-tools")


def _solve(
    requests: Sequence[DeliveryRequest],
    options: Mapping[str, list[Option]],
    vehicles: Sequence[VehicleState],
    *,
    now: datetime,
    holds: Sequence[Hold],
    rules: DispatchRules,
    search_s: float | None,
) -> dict[str, list[Option]]:
    # Nodes: vehicle starts, vehicle ends, then one per request. Times differ by vehicle
    # (speed, battery swap or charge), so each vehicle has its own transit callback.
    n_vehicles = len(vehicles)
    first = 2 * n_vehicles
    by_vehicle = [
        {r.id: o for r in requests for o in options[r.id] if o.vehicle_id == state.vehicle.id}
        for state in vehicles
    ]
    manager = pywrapcp.RoutingIndexManager(
        first + len(requests), n_vehicles, list(range(n_vehicles)), list(range(n_vehicles, first))
    )
    model = pywrapcp.RoutingModel(manager)
    loading = round(rules.loading_s)

    def callbacks(v: int) -> tuple[int, int]:
        mine = by_vehicle[v]

        def option(index: int) -> Option | None:
            node = manager.IndexToNode(index)
            return mine.get(requests[node - first].id) if node >= first else None

        def travel_s(from_index: int, to_index: int) -> int:
            before, after = option(from_index), option(to_index)
            gone = 0 if before is None else before.back_s + before.turnaround_s
            return gone + (0 if after is None else loading + after.out_s)

        def flight_s(from_index: int, to_index: int) -> int:
            after = option(to_index)
            return 0 if after is None else after.out_s + after.back_s

        return model.RegisterTransitCallback(travel_s), model.RegisterTransitCallback(flight_s)

    registered = [callbacks(v) for v in range(n_vehicles)]
    for v, (_, cost) in enumerate(registered):
        model.SetArcCostEvaluatorOfVehicle(cost, v)
    horizon = round(rules.horizon_s)
    latest_ready = max(_offset(v.ready_at, now) for v in vehicles)
    longest = max(o.out_s + o.back_s + o.turnaround_s for os in options.values() for o in os)
    span = horizon + latest_ready + longest + loading
    model.AddDimensionWithVehicleTransits([t for t, _ in registered], span, span, False, "time")
    time = model.GetDimensionOrDie("time")
    for i, state in enumerate(vehicles):
        time.CumulVar(model.Start(i)).SetRange(max(0, _offset(state.ready_at, now)), span)
    for k, request in enumerate(requests):
        index = manager.NodeToIndex(first + k)
        allowed = [v for v in range(n_vehicles) if request.id in by_vehicle[v]]
        # Only these vehicles (or none: -1) may visit it. SetAllowedVehiclesForIndex would
        # say the same, but ortools 9.15's Python binding refuses every list for its Span.
        model.VehicleVar(index).SetValues([-1, *allowed])
        cumul = time.CumulVar(index)
        if request.window is not None:
            low = max(0, _offset(request.window.earliest, now))
            high = _offset(request.window.latest, now, up=False)
        else:
            low, high = 0, horizon
            time.SetCumulVarSoftUpperBound(index, max(0, _offset(request.requested_at, now)), 1)
        cumul.SetRange(low, min(high, span))
        # A drop time whose flight would meet a hold is removed for the slowest way there
        # and back among its vehicles (timing afterwards uses each vehicle's own).
        out_s = max(by_vehicle[v][request.id].out_s for v in allowed)
        back_s = max(by_vehicle[v][request.id].back_s for v in allowed)
        for hold in holds:
            start = _offset(hold.start, now, up=False) - back_s + 1
            end = _offset(hold.end, now) + out_s - 1
            if end >= max(start, 0):
                cumul.RemoveInterval(max(start, 0), end)
        model.AddDisjunction([index], rules.unserved_penalty)
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = (
        routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
    )
    if search_s is not None:
        params.local_search_metaheuristic = (
            routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
        )
        params.time_limit.FromMilliseconds(round(search_s * 1000))
    solution = model.SolveWithParameters(params)
    routes: dict[str, list[Option]] = {}
    if solution is None:
        return routes
    for v, state in enumerate(vehicles):
        index = solution.Value(model.NextVar(model.Start(v)))
        while not model.IsEnd(index):
            request = requests[manager.IndexToNode(index) - first]
            routes.setdefault(state.vehicle.id, []).append(by_vehicle[v][request.id])
            index = solution.Value(model.NextVar(index))
    return routes


def _offset(at: datetime, now: datetime, *, up: bool = True) -> int:
    """Whole seconds from ``now`` to ``at``, rounded up (or down)."""
    seconds = (at - now).total_seconds()
    whole = int(seconds)
    return whole + (1 if up and whole < seconds else 0) - (1 if not up and whole > seconds else 0)


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
