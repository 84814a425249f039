"""The OR-tools model of one dispatch (the model is described in :mod:`logistics.dispatch`)."""

from collections.abc import Mapping, Sequence
from datetime import datetime

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from logistics.feasibility import Option
from logistics.model import DeliveryRequest
from logistics.repair import Sequenced, Setting
from logistics.schedule import VehicleState

__all__ = ["Routing", "offset"]


class Routing:
    """The OR-tools model of one dispatch (see the module docstring)."""

    def __init__(
        self,
        requests: Sequence[DeliveryRequest],
        options: Mapping[str, Sequence[Option]],
        vehicles: Sequence[VehicleState],
        setting: Setting,
    ) -> None:
        self.requests, self.vehicles = requests, vehicles
        rules, now = setting.rules, setting.now
        n_vehicles = len(vehicles)
        self.first = first = 2 * n_vehicles  # vehicle starts, vehicle ends, then requests
        n_nodes = first + len(requests)
        self.by_vehicle = [
            {r.id: o for r in requests for o in options[r.id] if o.vehicle_id == state.vehicle.id}
            for state in vehicles
        ]
        self.manager = manager = pywrapcp.RoutingIndexManager(
            n_nodes, n_vehicles, list(range(n_vehicles)), list(range(n_vehicles, first))
        )
        self.model = model = pywrapcp.RoutingModel(manager)
        # A node's time is its drop time less, with holds, its slowest way out.
        self.shift = shift = [0] * n_nodes
        if setting.holds:
            for k, request in enumerate(requests):
                shift[first + k] = max(o.out_s for o in options[request.id])
        transits, visits = [], []
        for v in range(n_vehicles):
            transit, visit = self._vehicle(v, round(rules.loading_s))
            transits.append(transit)
            visits.append(visit)
        horizon = round(rules.horizon_s)
        latest_ready = max(offset(v.ready_at, now) for v in vehicles)
        longest = max(o.out_s + o.back_s + o.turnaround_s for os in options.values() for o in os)
        span = horizon + latest_ready + longest + round(rules.loading_s)
        span += max([0, *(offset(h.end, now) for h in setting.holds)])
        model.AddDimensionWithVehicleTransits(transits, span, span, False, "time")
        self.dimension = dimension = model.GetDimensionOrDie("time")
        for v, state in enumerate(vehicles):
            ready = max(0, offset(state.ready_at, now))
            dimension.CumulVar(model.Start(v)).SetRange(ready, span)
            breaks = [
                model.solver().FixedDurationIntervalVar(start, start, end - start, False, "hold")
                for hold in setting.holds
                if (start := max(ready, offset(hold.start, now, up=False)))
                < (end := offset(hold.end, now))
            ]
            if breaks:
                dimension.SetBreakIntervalsOfVehicle(breaks, v, visits[v])
        for k, request in enumerate(requests):
            index = manager.NodeToIndex(first + k)
            allowed = [v for v in range(n_vehicles) if request.id in self.by_vehicle[v]]
            model.VehicleVar(index).SetValues([-1, *allowed])  # -1: left out
            if request.window is not None:
                low = offset(request.window.earliest, now)
                high = offset(request.window.latest, now, up=False)
            else:
                low, high = 0, horizon
            moved = shift[first + k]
            dimension.CumulVar(index).SetRange(max(0, low - moved), min(high - moved, span))
            asked = max(0, offset(setting.asked_at(request.id), now))
            dimension.SetCumulVarSoftUpperBound(index, max(0, asked - moved), 1)
            model.AddDisjunction([index], rules.unserved_penalty)

    def _vehicle(self, vehicle: int, loading: int) -> tuple[int, list[int]]:
        """Register a vehicle's transit matrix and arc cost; return the first, and how long
        the vehicle is in the air from the time at each node (by routing index, as
        ``SetBreakIntervalsOfVehicle`` takes it)."""
        mine, model, shift = self.by_vehicle[vehicle], self.model, self.shift
        n_nodes = len(shift)
        gone, coming, air = [0] * n_nodes, [0] * n_nodes, [0] * n_nodes
        for k, request in enumerate(self.requests):
            if (o := mine.get(request.id)) is not None:
                node = self.first + k
                gone[node] = shift[node] + o.back_s + o.turnaround_s
                coming[node] = loading + o.out_s - shift[node]
                air[node] = o.out_s + o.back_s
        # Below 0 where a vehicle's way out is much shorter than the slowest's (before its
        # first flight, mostly): 0 lets it take off a little later than it could, never earlier.
        transit = model.RegisterTransitMatrix([[max(0, g + c) for c in coming] for g in gone])
        model.SetArcCostEvaluatorOfVehicle(model.RegisterUnaryTransitVector(air), vehicle)
        visit = [0] * (model.Size() + len(self.vehicles))
        for index in range(model.Size()):
            node = self.manager.IndexToNode(index)
            if node >= self.first and (o := mine.get(self.requests[node - self.first].id)):
                visit[index] = shift[node] + o.back_s
        return transit, visit

    def read(self, timed: Mapping[str, Sequenced]) -> pywrapcp.Assignment | None:
        """Timed flights as a solution of the model, or None if they break its constraints."""
        index = {
            r.id: self.manager.NodeToIndex(self.first + k) for k, r in enumerate(self.requests)
        }
        routes = [
            [index[o.request_id] for o, _ in timed.get(state.vehicle.id, [])]
            for state in self.vehicles
        ]
        return self.model.ReadAssignmentFromRoutes(routes, True)

    def solve(
        self, cap_s: float, start: pywrapcp.Assignment | None = None
    ) -> pywrapcp.Assignment | None:
        """The first local optimum, from cheapest insertion or from ``start``, or the best
        solution found within ``cap_s`` seconds."""
        params = pywrapcp.DefaultRoutingSearchParameters()
        params.first_solution_strategy = (
            routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
        )
        params.local_search_metaheuristic = (
            routing_enums_pb2.LocalSearchMetaheuristic.GREEDY_DESCENT
        )
        params.time_limit.FromMilliseconds(max(1, round(cap_s * 1000)))
        # OR-tools stops completing an LNS move after 100 ms by default, which made the
        # local optimum (with holds) depend on the machine's load: only the cap bounds it.
        params.lns_time_limit.CopyFrom(params.time_limit)
        if start is not None:
            return self.model.SolveFromAssignmentWithParameters(start, params)
        return self.model.SolveWithParameters(params)

    def improve(self, start: pywrapcp.Assignment, search_s: float) -> pywrapcp.Assignment | None:
        """Guided local search from ``start`` for ``search_s`` seconds."""
        params = pywrapcp.DefaultRoutingSearchParameters()
        params.local_search_metaheuristic = (
            routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
        )
        params.time_limit.FromMilliseconds(max(1, round(search_s * 1000)))
        return self.model.SolveFromAssignmentWithParameters(start, params)

    def routes(self, solution: pywrapcp.Assignment | None) -> dict[str, list[Option]]:
        """Each vehicle's options in the solution's order (none without a solution)."""
        routes: dict[str, list[Option]] = {}
        if solution is None:
            return routes
        for v, state in enumerate(self.vehicles):
            index = solution.Value(self.model.NextVar(self.model.Start(v)))
            while not self.model.IsEnd(index):
                request = self.requests[self.manager.IndexToNode(index) - self.first]
                routes.setdefault(state.vehicle.id, []).append(self.by_vehicle[v][request.id])
                index = solution.Value(self.model.NextVar(index))
        return routes


def offset(at: datetime, now: datetime, *, up: bool = True) -> int:
    """Whole seconds from ``now`` to ``at``, rounded up (or down)."""
    seconds = (at - now).total_seconds()
    whole = int(seconds)
    return whole + (1 if up and whole < seconds else 0) - (1 if not up and whole > seconds else 0)
