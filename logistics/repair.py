"""Timing a solver's routes and repairing them: what :func:`logistics.dispatch.dispatch`
does around the OR-tools model (:mod:`logistics.routing`).

Each vehicle's order is timed earliest-first (:mod:`logistics.timing`), which keeps every
window the solver kept. The repair pass then places each request the solver left out, the
earliest deadline first, where it adds the least cost: in a gap between two flights of any
of its vehicles, or before later flights that still keep their windows once moved later;
failing that, in the place of a flight that then fits elsewhere.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from logistics.feasibility import Option
from logistics.model import DeliveryRequest
from logistics.schedule import DispatchRules, Hold
from logistics.timing import Timing, earliest_timing

__all__ = ["Sequenced", "Setting", "better", "cheapest", "repair", "served", "timed_routes"]

Sequenced = list[tuple[Option, Timing]]
"""One vehicle's flights in take-off order, each with its times."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Setting:
    """What timing a flight needs besides the flight: the requests, when each vehicle is
    ready, now, the holds and the rules."""

    now: datetime
    holds: tuple[Hold, ...]
    rules: DispatchRules
    requests: Mapping[str, DeliveryRequest]
    ready_at: Mapping[str, datetime]

    def time(self, option: Option, ready_at: datetime) -> Timing | None:
        """The earliest flight for ``option`` by a vehicle ready at ``ready_at``."""
        request = self.requests[option.request_id]
        return earliest_timing(
            option, request, ready_at, now=self.now, holds=self.holds, rules=self.rules
        )

    def time_alone(self, option: Option) -> Timing | None:
        """The earliest flight for ``option`` with nothing else on its vehicle."""
        return self.time(option, self.ready_at[option.vehicle_id])

    def deadline(self, request: DeliveryRequest) -> datetime:
        """The latest drop: the window's close, or the end of the horizon."""
        if request.window is not None:
            return request.window.latest
        return self.now + timedelta(seconds=self.rules.horizon_s)

    def asked_at(self, request_id: str) -> datetime:
        """From when a request's delay counts: its window's opening, or when it was made."""
        request = self.requests[request_id]
        return request.window.earliest if request.window is not None else request.requested_at

    def cost(self, flights: Sequenced) -> float:
        """What the solver minimises, for some flights: seconds in the air, and of delay
        counted from ``now`` at the earliest."""
        return sum(
            o.out_s
            + o.back_s
            + (t.drop_at - max(self.asked_at(o.request_id), self.now)).total_seconds()
            for o, t in flights
        )


def timed_routes(
    routes: Mapping[str, Sequence[Option]],
    requests: Sequence[DeliveryRequest],
    options: Mapping[str, Sequence[Option]],
    setting: Setting,
) -> dict[str, Sequenced]:
    """Time the solver's routes earliest-first, then repair: place what they left out."""
    timed: dict[str, Sequenced] = {}
    for vehicle_id, route in routes.items():
        ready, flights = setting.ready_at[vehicle_id], []
        for option in route:
            timing = setting.time(option, ready)
            if timing is None:  # the solver counts whole seconds: never late, but be sure
                continue
            flights.append((option, timing))
            ready = timing.ready_at
        timed[vehicle_id] = flights
    placed = {o.request_id for flights in timed.values() for o, _ in flights}
    repair([r for r in requests if r.id not in placed], timed, options, setting)
    return timed


_Change = tuple[float, dict[str, Sequenced]]
"""What a change adds to the cost, and the new flights of the vehicles it changes."""

_ROOM_TRIES = 20
"""How many of the cheapest ways to make room for a left-out request (one flight taken
out) the repair pass tries to fit the flight taken out elsewhere, at most: this bounds the
pass when the fleet is overbooked and nothing fits."""


def repair(
    left_out: Sequence[DeliveryRequest],
    timed: dict[str, Sequenced],
    options: Mapping[str, Sequence[Option]],
    setting: Setting,
) -> list[str]:
    """Place each left-out request, the earliest deadline first, where it adds the least
    to the cost: on any of its vehicles, in a gap between two flights or before later ones
    that keep their windows once moved later; failing that, in the place of one flight
    that then fits elsewhere.

    ``timed`` is changed in place; returns the ids of the requests that fit nowhere.
    """
    unplaced = []
    for request in sorted(left_out, key=lambda r: (setting.deadline(r), r.id)):
        choices = options.get(request.id, ())
        found = cheapest(choices, timed, setting) or _making_room(choices, timed, options, setting)
        if found is None:
            unplaced.append(request.id)
        else:
            timed.update(found[1])
    return unplaced


def cheapest(
    choices: Sequence[Option], timed: Mapping[str, Sequenced], setting: Setting
) -> _Change | None:
    """The cheapest place for one of ``choices`` among its vehicle's flights."""
    best: _Change | None = None
    for option in choices:
        flights = timed.get(option.vehicle_id, [])
        for at in range(len(flights) + 1):
            new = _placed(flights, at, option, setting)
            if new is None:
                continue
            added = setting.cost(new) - setting.cost(flights)
            if best is None or added < best[0]:
                best = (added, {option.vehicle_id: new})
    return best


def _making_room(
    choices: Sequence[Option],
    timed: Mapping[str, Sequenced],
    options: Mapping[str, Sequence[Option]],
    setting: Setting,
) -> _Change | None:
    """The cheapest way to fly one of ``choices`` in the place of another flight that then
    fits elsewhere, among the :data:`_ROOM_TRIES` cheapest such swaps."""
    swaps: list[tuple[float, int, dict[str, Sequenced], Option]] = []
    for option in choices:
        flights = timed.get(option.vehicle_id, [])
        for k, (out, _) in enumerate(flights):
            new = _placed([*flights[:k], *flights[k + 1 :]], k, option, setting)
            if new is not None:
                added = setting.cost(new) - setting.cost(flights)
                swaps.append((added, len(swaps), {option.vehicle_id: new}, out))
    for added, _, changed, out in sorted(swaps, key=lambda swap: swap[:2])[:_ROOM_TRIES]:
        elsewhere = cheapest(options[out.request_id], {**timed, **changed}, setting)
        if elsewhere is not None:
            return added + elsewhere[0], {**changed, **elsewhere[1]}
    return None


def _placed(flights: Sequenced, at: int, option: Option, setting: Setting) -> Sequenced | None:
    """``flights`` with ``option`` flown after the first ``at`` of them, the later ones
    re-timed earliest-first; None when one would miss its window or the horizon."""
    ready = flights[at - 1][1].ready_at if at else setting.ready_at[option.vehicle_id]
    timing = setting.time(option, ready)
    if timing is None:
        return None
    new: Sequenced = [*flights[:at], (option, timing)]
    for k in range(at, len(flights)):
        later, was = flights[k]
        again = setting.time(later, new[-1][1].ready_at)
        if again is None:
            return None
        if again == was:  # and so are all after it
            return new + flights[k:]
        new.append((later, again))
    return new


def served(plan: Mapping[str, Sequenced]) -> set[str]:
    """The ids of the requests a plan serves."""
    return {o.request_id for flights in plan.values() for o, _ in flights}


def better(one: Mapping[str, Sequenced], than: Mapping[str, Sequenced], s: Setting) -> bool:
    """Whether ``one`` serves every request ``than`` does, and more or at a lower cost."""
    if not served(one) >= served(than):
        return False
    cost = sum(s.cost(flights) for flights in one.values())
    return len(served(one)) > len(served(than)) or cost < sum(map(s.cost, than.values()))
