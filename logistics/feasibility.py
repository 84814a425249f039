"""Which vehicle can carry which request, and what each such flight costs in time.

For every (request, vehicle) pair: the drop point must offer a release method the vehicle
has (the drop point's own order of preference decides among several); a cool or frozen
parcel needs an insulated box; the parcel must weigh no more than the vehicle's payload and
fit its box; the planner's route from the vehicle's depot round the no-fly zones, flown
with the parcel's weight, must keep the battery reserve (the planner's energy model); and a
cool or frozen parcel must reach the drop within its class's time in the air. A pair that
passes is an :class:`Option`, with its times in whole seconds for the solver.
"""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import shapely
from shapely.geometry.base import BaseGeometry

from fields import LocalCrs, Restriction, ZoneKind, ZoneRecord, buffered_zone, to_local
from logistics.drop_points import local_point
from logistics.model import (
    DeliveryRequest,
    DeliveryVehicle,
    Depot,
    DropPoint,
    TemperatureClass,
    fits_in,
)
from logistics.schedule import DispatchRules
from mission_planner import FlightPlan, PayloadRelease
from mission_planner.delivery import energy_used_fraction, flight_halves_s, plan_delivery
from mission_planner.detour import shortest_path_around

__all__ = ["Option", "Places", "flight_plan", "options_for"]


@dataclass(frozen=True, kw_only=True, slots=True)
class Places:
    """Where dispatch flies: depots and drop points by id, the zone register, the local CRS."""

    depots: Mapping[str, Depot]
    drop_points: Mapping[str, DropPoint]
    zones: Sequence[ZoneRecord]
    crs: LocalCrs

    def no_fly(self) -> list[BaseGeometry]:
        """The no-fly zones grown by their buffers, in local metres."""
        return [
            buffered_zone(z, self.crs) for z in self.zones if z.restriction is Restriction.NO_FLY
        ]

    def did(self) -> list[BaseGeometry]:
        """The densely inhabited districts (人口集中地区) of the register, in local metres."""
        return [to_local(z.geometry, self.crs) for z in self.zones if z.kind is ZoneKind.DID]

    def point(self, place: Depot | DropPoint) -> tuple[float, float]:
        """A depot or drop point in local metres."""
        return local_point((place.location.lon_deg, place.location.lat_deg), self.crs)


@dataclass(frozen=True, kw_only=True, slots=True)
class Option:
    """A vehicle that can serve a request, and the flight's times."""

    request_id: str
    vehicle_id: str
    depot_id: str
    drop_point_id: str
    release: PayloadRelease
    route_m: float
    out_s: int
    """Take-off to the drop, the hover there included, s."""
    back_s: int
    """The drop to landing at the depot, s."""
    turnaround_s: int
    """Landed to ready again (battery swapped, or charged for the energy used), s."""
    energy_used_fraction: float


def options_for(
    requests: Sequence[DeliveryRequest],
    vehicles: Sequence[DeliveryVehicle],
    places: Places,
    rules: DispatchRules,
) -> tuple[dict[str, list[Option]], dict[str, str]]:
    """Each request's options, and for a request with none, why.

    Returns
    -------
    options, reasons
        Request id → its options (vehicles in the order given); request id → one line
        saying why no vehicle can serve it.
    """
    no_fly = places.no_fly()
    routes: dict[tuple[str, str], float | None] = {}
    options: dict[str, list[Option]] = {}
    reasons: dict[str, str] = {}
    for request in requests:
        drop = places.drop_points.get(request.drop_point_id)
        if drop is None:
            reasons[request.id] = f"no drop point {request.drop_point_id}"
            continue
        found, refusals = [], []
        for vehicle in vehicles:
            key = (vehicle.depot_id, drop.id)
            if key not in routes:
                routes[key] = _route_m(places, vehicle.depot_id, drop, no_fly)
            option = _option(request, vehicle, drop, places, routes[key], rules)
            if isinstance(option, Option):
                found.append(option)
            else:
                refusals.append(f"{vehicle.id}: {option}")
        if found:
            options[request.id] = found
        else:
            reasons[request.id] = "no vehicle can carry it (" + "; ".join(refusals) + ")"
    return options, reasons


def _route_m(
    places: Places, depot_id: str, drop: DropPoint, no_fly: Sequence[BaseGeometry]
) -> float | None:
    depot = places.depots.get(depot_id)
    if depot is None:
        return None
    home, spot = places.point(depot), places.point(drop)
    if any(z.intersects(shapely.Point(p)) for z in no_fly for p in (home, spot)):
        return None
    path = shortest_path_around(home, spot, no_fly)
    return None if path is None else float(shapely.LineString(path).length)


def _option(
    request: DeliveryRequest,
    vehicle: DeliveryVehicle,
    drop: DropPoint,
    places: Places,
    route_m: float | None,
    rules: DispatchRules,
) -> Option | str:
    release = next((r for r in drop.releases if r in vehicle.releases), None)
    if release is None:
        return "no release method the drop point allows"
    if request.temperature is not TemperatureClass.AMBIENT and not vehicle.insulated:
        return f"a {request.temperature.value} parcel needs an insulated box"
    if request.weight_kg > vehicle.payload_kg:
        return f"{request.weight_kg:g} kg, over its {vehicle.payload_kg:g} kg payload"
    if not fits_in(vehicle.box_cm, request.items):
        return "the parcel does not fit its box"
    if route_m is None:
        return f"no way from depot {vehicle.depot_id} round the no-fly zones"
    used = energy_used_fraction(
        route_m, cruise_altitude_m=vehicle.cruise_altitude_m, speed_m_s=vehicle.speed_m_s,
        payload_kg=request.weight_kg, vehicle_empty_kg=vehicle.empty_kg,
        endurance_min=vehicle.endurance_min, release=release,
    )  # fmt: skip
    if used > 1.0 - rules.reserve_fraction:
        return f"the flight uses {used:.0%} of the battery, leaving less than the reserve"
    out_s, back_s = flight_halves_s(route_m, vehicle.cruise_altitude_m, vehicle.speed_m_s, release)
    limit = rules.max_air_s.get(request.temperature)
    if limit is not None and out_s > limit:
        return (
            f"{out_s / 60:.0f} min in the air, over the {limit / 60:.0f} min a "
            f"{request.temperature.value} parcel may be"
        )
    depot = places.depots[vehicle.depot_id]
    turnaround = (
        depot.battery_swap_s
        if depot.battery_swap_s is not None
        else vehicle.charge_min * 60.0 * used
    )
    return Option(
        request_id=request.id, vehicle_id=vehicle.id, depot_id=depot.id, drop_point_id=drop.id,
        release=release, route_m=route_m, out_s=math.ceil(out_s), back_s=math.ceil(back_s),
        turnaround_s=math.ceil(turnaround), energy_used_fraction=used,
    )  # fmt: skip


def flight_plan(
    option: Option,
    request: DeliveryRequest,
    vehicle: DeliveryVehicle,
    places: Places,
    rules: DispatchRules,
) -> FlightPlan:
    """The planner's delivery plan for an option: route, release, geofence, rally point and
    permissions (dropping objects, DID, beyond visual line of sight as Level 3.5 or 4), with
    the planner's own checks run once more."""
    return plan_delivery(
        places.point(places.depots[option.depot_id]),
        places.point(places.drop_points[option.drop_point_id]),
        crs=places.crs, no_fly=places.no_fly(),
        cruise_altitude_m=vehicle.cruise_altitude_m, speed_m_s=vehicle.speed_m_s,
        payload_kg=request.weight_kg, vehicle_empty_kg=vehicle.empty_kg,
        endurance_min=vehicle.endurance_min, reserve_fraction=rules.reserve_fraction,
        release=option.release, did=places.did(),
    )  # fmt: skip
