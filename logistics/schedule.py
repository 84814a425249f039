"""What dispatch takes and gives: vehicles as they stand, weather holds, the rules, and the
plan of trips it returns — shared by the solver and the greedy baseline it is compared with.
"""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from logistics.errors import BadRequest
from logistics.model import DeliveryVehicle, TemperatureClass
from mission_planner import FlightPlan, PayloadRelease

__all__ = [
    "DEFAULT_MAX_AIR_S",
    "NOT_IN_TIME",
    "NO_ROOM",
    "DispatchPlan",
    "DispatchRules",
    "Hold",
    "Trip",
    "Unassigned",
    "VehicleState",
    "clear_of_holds",
]

DEFAULT_MAX_AIR_S: Mapping[TemperatureClass, float | None] = {
    TemperatureClass.AMBIENT: None,
    TemperatureClass.COOL: 45 * 60.0,
    TemperatureClass.FROZEN: 30 * 60.0,
}
"""How long a parcel of each class may be in the air from take-off to the drop, s: what a
passive insulated box with cold packs holds at summer temperatures, on the safe side."""

NOT_IN_TIME = "no vehicle can drop it within its window or the horizon (weather holds counted)"
"""Why a request that some vehicle could carry is left unserved: none can drop it in time
even with nothing else to fly."""

NO_ROOM = (
    "no room left on any vehicle: each that could drop it in time is busy with other "
    "deliveries then"
)
"""Why dispatch leaves out a request some vehicle could drop in time on its own: its repair
pass found no place for it among the plan's other flights (in a gap, before later flights
that still keep their windows, or in the place of one that fits elsewhere)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class DispatchRules:
    """How dispatch weighs and limits its choices."""

    reserve_fraction: float = 0.25
    """Battery share every flight lands with (the planner's energy check)."""
    max_air_s: Mapping[TemperatureClass, float | None] = field(
        default_factory=lambda: dict(DEFAULT_MAX_AIR_S)
    )
    loading_s: float = 120.0
    """On the ground before each take-off: the parcel into the box, checks, s."""
    horizon_s: float = 12 * 3600.0
    """How far ahead dispatch plans; an as-soon-as-possible request must fly within it."""
    unserved_penalty: int = 10_000_000
    """The cost of leaving a request unserved, against seconds of delay and flight."""

    def __post_init__(self) -> None:
        if not 0.0 <= self.reserve_fraction < 1.0:
            raise BadRequest(f"reserve_fraction {self.reserve_fraction:g} is not in [0, 1)")
        if not (self.loading_s >= 0 and self.horizon_s > 0):
            raise BadRequest("loading_s must be ≥ 0 and horizon_s > 0")


@dataclass(frozen=True, kw_only=True, slots=True)
class VehicleState:
    """A vehicle as dispatch finds it: on the ground at its depot, ready from ``ready_at``
    with a full (or swapped) battery."""

    vehicle: DeliveryVehicle
    ready_at: datetime

    def __post_init__(self) -> None:
        if self.ready_at.tzinfo is None:
            raise BadRequest(f"vehicle {self.vehicle.id}: ready_at needs a time zone")


@dataclass(frozen=True, kw_only=True, slots=True)
class Hold:
    """A time no delivery may be in the air (wind or rain over the limits), [start, end)."""

    start: datetime
    end: datetime
    reason: str

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None or self.end <= self.start:
            raise BadRequest(f"hold {self.reason!r}: needs aware times with end after start")


def clear_of_holds(takeoff: datetime, landed: datetime, holds: Sequence[Hold]) -> datetime:
    """The earliest take-off at or after ``takeoff`` whose flight (of the same length)
    meets no hold.

    >>> from datetime import UTC
    >>> t = datetime(2026, 6, 1, 9, tzinfo=UTC)
    >>> hold = Hold(start=t + timedelta(minutes=10), end=t + timedelta(minutes=40), reason="wind")
    >>> clear_of_holds(t, t + timedelta(minutes=20), [hold]).time()
    datetime.time(9, 40)
    >>> clear_of_holds(t, t + timedelta(minutes=5), [hold]).time()
    datetime.time(9, 0)
    """
    length = landed - takeoff
    moved = True
    while moved:
        moved = False
        for hold in holds:
            if takeoff < hold.end and takeoff + length > hold.start:
                takeoff, moved = hold.end, True
    return takeoff


@dataclass(frozen=True, kw_only=True, slots=True)
class Trip:
    """One delivery flight: depot → drop point → depot."""

    request_id: str
    vehicle_id: str
    depot_id: str
    drop_point_id: str
    release: PayloadRelease
    takeoff_at: datetime
    drop_at: datetime
    landed_at: datetime
    ready_at: datetime
    """When the vehicle can take off again: landed, battery swapped or charged."""
    energy_used_fraction: float
    plan: FlightPlan

    @property
    def air_to_drop_s(self) -> float:
        """Time the parcel spends in the air, take-off to drop, s."""
        return (self.drop_at - self.takeoff_at).total_seconds()


@dataclass(frozen=True, kw_only=True, slots=True)
class Unassigned:
    """A request dispatch could not serve, and why."""

    request_id: str
    reason: str


@dataclass(frozen=True, kw_only=True, slots=True)
class DispatchPlan:
    """The trips, by vehicle in take-off order, and the requests left unserved."""

    trips: tuple[Trip, ...]
    unassigned: tuple[Unassigned, ...]
    solver: str
    """``or-tools`` or ``greedy``."""

    def trips_of(self, vehicle_id: str) -> tuple[Trip, ...]:
        """One vehicle's trips in take-off order."""
        return tuple(t for t in self.trips if t.vehicle_id == vehicle_id)

    def trip_for(self, request_id: str) -> Trip | None:
        """The trip serving a request, if any."""
        return next((t for t in self.trips if t.request_id == request_id), None)

    @property
    def flight_s(self) -> float:
        """All trips' time in the air, s."""
        return sum((t.landed_at - t.takeoff_at).total_seconds() for t in self.trips)

    def delay_s(self, requested: Mapping[str, datetime]) -> float:
        """Sum over trips of drop time minus the time the request was made (or its window
        opened), s: what an as-soon-as-possible service minimises."""
        return sum((t.drop_at - requested[t.request_id]).total_seconds() for t in self.trips)


def seconds(delta: timedelta) -> int:
    """Whole seconds, rounded up: the solver counts in integers and never undercounts."""
    return math.ceil(delta.total_seconds())
