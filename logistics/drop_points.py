"""Checking a drop point before anyone is promised a delivery there.

A drop point is refused, with every problem named, when:

- it lies inside a no-fly zone (grown by the zone's buffer);
- a release method it offers would put the drone or the parcel too close to a house or a
  road (:data:`RELEASE_CLEARANCE_M`), or its surveyed open ground is too small for it
  (:data:`RELEASE_OPEN_RADIUS_M`);
- its approach bearing, when it has one, crosses a house on the way down;
- no vehicle of any depot reaches it and back with the battery reserve, by the
  planner's own route round the no-fly zones and its energy check.

Houses and roads are the zones of those kinds in Tanbo's zone register, whatever their
restriction (a house is usually a no-spray zone: it still stands there).

Clearances are Tanbo's defaults, chosen on the safe side of what GNSS guidance gives a
multicopter without precision landing (about 2–3 m horizontally, 95 %): a drone that lands
brings its rotors, downwash and position error to the ground, so it keeps 10 m; a gripper
lets the parcel fall the last metre or two and it may bounce, 6 m; a winch lowers it on a
line from a hover well above the roofs, 3 m. A city sets its own through the arguments.
"""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import shapely
from shapely.geometry.base import BaseGeometry

from fields import LocalCrs, Restriction, ZoneKind, ZoneRecord, buffered_zone, to_local
from logistics.errors import BadRequest, DropPointRefused
from logistics.model import DeliveryVehicle, Depot, DropPoint
from mission_planner import PayloadRelease
from mission_planner.delivery import energy_used_fraction, plan_delivery
from mission_planner.refusals import PlanningError, PlanRefused

__all__ = [
    "APPROACH_LENGTH_M",
    "RELEASE_CLEARANCE_M",
    "RELEASE_OPEN_RADIUS_M",
    "DropPointCheck",
    "Reach",
    "check_drop_point",
    "local_point",
]

RELEASE_CLEARANCE_M: Mapping[PayloadRelease, float] = {
    PayloadRelease.LAND: 10.0,
    PayloadRelease.GRIPPER: 6.0,
    PayloadRelease.WINCH: 3.0,
}
"""How far from a house or a road each release method must hand the parcel over, m."""
RELEASE_OPEN_RADIUS_M: Mapping[PayloadRelease, float] = {
    PayloadRelease.LAND: 3.0,
    PayloadRelease.GRIPPER: 2.0,
    PayloadRelease.WINCH: 1.5,
}
"""The open ground around the spot each release method needs, m."""
APPROACH_LENGTH_M = 30.0
"""How far out along its approach bearing a drop point's way down must be clear, m."""
_OBSTACLES = (ZoneKind.HOUSE, ZoneKind.ROAD)


@dataclass(frozen=True, kw_only=True, slots=True)
class Reach:
    """A vehicle that can fly from its depot to the drop point and back."""

    depot_id: str
    vehicle_id: str
    route_m: float
    """The way out, round the no-fly zones, m."""
    max_payload_kg: float
    """The heaviest parcel it carries there and back with the reserve left, kg."""


@dataclass(frozen=True, kw_only=True, slots=True)
class DropPointCheck:
    """A drop point that passed: who reaches it, and the permissions flights there need."""

    drop_point_id: str
    reach: tuple[Reach, ...]
    permissions: tuple[str, ...]


def local_point(point_lon_lat: tuple[float, float], crs: LocalCrs) -> tuple[float, float]:
    """A lon/lat point in ``crs`` metres."""
    p = to_local(shapely.Point(point_lon_lat), crs)
    return (float(p.x), float(p.y))


def check_drop_point(
    drop: DropPoint,
    *,
    crs: LocalCrs,
    zones: Sequence[ZoneRecord],
    depots: Sequence[Depot],
    vehicles: Sequence[DeliveryVehicle],
    reserve_fraction: float = 0.25,
    clearance_m: Mapping[PayloadRelease, float] = RELEASE_CLEARANCE_M,
    open_radius_m: Mapping[PayloadRelease, float] = RELEASE_OPEN_RADIUS_M,
) -> DropPointCheck:
    """Check a drop point against the zones and the fleet.

    Parameters
    ----------
    drop
        The drop point, in WGS84.
    crs
        The local metric CRS the checks run in.
    zones
        The zone register: no-fly zones, houses and roads count.
    depots, vehicles
        Where drones wait and the drones there.
    reserve_fraction
        The battery share a flight must land with.
    clearance_m, open_radius_m
        Per release method: distance to houses and roads, and open ground needed, m.

    Returns
    -------
    DropPointCheck
        Each vehicle that reaches it with the heaviest parcel it can carry there, and the
        permissions (dropping objects, DID) flights to it need.

    Raises
    ------
    DropPointRefused
        Listing every problem found.
    """
    spot = local_point((drop.location.lon_deg, drop.location.lat_deg), crs)
    here = shapely.Point(spot)
    problems: list[str] = []
    no_fly = [buffered_zone(z, crs) for z in zones if z.restriction is Restriction.NO_FLY]
    for zone, grown in zip(
        (z for z in zones if z.restriction is Restriction.NO_FLY), no_fly, strict=True
    ):
        if grown.intersects(here):
            problems.append(f"inside no-fly zone {zone.id} ({zone.name})")
    obstacles = [(z, to_local(z.geometry, crs)) for z in zones if z.kind in _OBSTACLES]
    for release in drop.releases:
        problems += _release_problems(drop, release, here, obstacles, clearance_m, open_radius_m)
    if drop.approach_from_deg is not None:
        problems += _approach_problems(drop.approach_from_deg, spot, obstacles)
    reach = _reach(drop, spot, crs, no_fly, depots, vehicles, reserve_fraction)
    if not reach and not problems:
        problems.append(_out_of_range(drop, spot, crs, depots))
    if problems:
        raise DropPointRefused(drop.id, tuple(problems))
    permissions = []
    if any(r is not PayloadRelease.LAND for r in drop.releases):
        permissions.append("dropping objects (物件投下)")
    if any(z.kind is ZoneKind.DID and to_local(z.geometry, crs).intersects(here) for z in zones):
        permissions.append("DID (人口集中地区)")
    return DropPointCheck(drop_point_id=drop.id, reach=tuple(reach), permissions=tuple(permissions))


def _release_problems(
    drop: DropPoint,
    release: PayloadRelease,
    here: shapely.Point,
    obstacles: Sequence[tuple[ZoneRecord, BaseGeometry]],
    clearance_m: Mapping[PayloadRelease, float],
    open_radius_m: Mapping[PayloadRelease, float],
) -> list[str]:
    problems = []
    need = clearance_m[release]
    for zone, shape in obstacles:
        gap = shape.distance(here)
        if gap < need:
            problems.append(
                f"{release.value}: {gap:.1f} m from {zone.kind.value} {zone.id}, "
                f"closer than the {need:g} m it needs"
            )
    if drop.clear_radius_m < open_radius_m[release]:
        problems.append(
            f"{release.value}: {drop.clear_radius_m:g} m of open ground, less than the "
            f"{open_radius_m[release]:g} m it needs"
        )
    return problems


def _approach_problems(
    bearing_deg: float,
    spot: tuple[float, float],
    obstacles: Sequence[tuple[ZoneRecord, BaseGeometry]],
) -> list[str]:
    # The bearing the drone comes FROM, clockwise from north: the corridor runs out that way.
    east = math.sin(math.radians(bearing_deg)) * APPROACH_LENGTH_M
    north = math.cos(math.radians(bearing_deg)) * APPROACH_LENGTH_M
    corridor = shapely.LineString([spot, (spot[0] + east, spot[1] + north)])
    return [
        f"the approach from {bearing_deg:g}° crosses house {zone.id}"
        for zone, shape in obstacles
        if zone.kind is ZoneKind.HOUSE and corridor.intersects(shape)
    ]


def _reach(
    drop: DropPoint,
    spot: tuple[float, float],
    crs: LocalCrs,
    no_fly: Sequence[BaseGeometry],
    depots: Sequence[Depot],
    vehicles: Sequence[DeliveryVehicle],
    reserve_fraction: float,
) -> list[Reach]:
    by_id = {d.id: d for d in depots}
    found = []
    for vehicle in vehicles:
        depot = by_id.get(vehicle.depot_id)
        if depot is None:
            raise BadRequest(f"vehicle {vehicle.id}: no depot {vehicle.depot_id}")
        releases = [r for r in vehicle.releases if r in drop.releases]
        if not releases:
            continue
        home = local_point((depot.location.lon_deg, depot.location.lat_deg), crs)
        try:
            plan = plan_delivery(
                home, spot, crs=crs, no_fly=no_fly,
                cruise_altitude_m=vehicle.cruise_altitude_m, speed_m_s=vehicle.speed_m_s,
                payload_kg=0.0, vehicle_empty_kg=vehicle.empty_kg,
                endurance_min=vehicle.endurance_min, reserve_fraction=reserve_fraction,
                release=releases[0],
            )  # fmt: skip
        except (PlanRefused, PlanningError):
            continue
        route_m = plan.stats["outbound_m"]
        found.append(
            Reach(
                depot_id=depot.id,
                vehicle_id=vehicle.id,
                route_m=route_m,
                max_payload_kg=_max_payload_kg(vehicle, route_m, reserve_fraction, releases[0]),
            )
        )
    return found


def _max_payload_kg(
    vehicle: DeliveryVehicle, route_m: float, reserve_fraction: float, release: PayloadRelease
) -> float:
    """The heaviest parcel (to 10 g, at most the vehicle's payload) that keeps the reserve."""

    def fits(kg: float) -> bool:
        used = energy_used_fraction(
            route_m, cruise_altitude_m=vehicle.cruise_altitude_m, speed_m_s=vehicle.speed_m_s,
            payload_kg=kg, vehicle_empty_kg=vehicle.empty_kg,
            endurance_min=vehicle.endurance_min, release=release,
        )  # fmt: skip
        return used <= 1.0 - reserve_fraction

    if fits(vehicle.payload_kg):
        return vehicle.payload_kg
    low, high = 0.0, vehicle.payload_kg
    while high - low > 0.01:
        middle = (low + high) / 2
        low, high = (middle, high) if fits(middle) else (low, middle)
    return round(low, 2)


def _out_of_range(
    drop: DropPoint, spot: tuple[float, float], crs: LocalCrs, depots: Sequence[Depot]
) -> str:
    if not depots:
        return "no depot to fly from"
    gaps = [
        (shapely.Point(local_point((d.location.lon_deg, d.location.lat_deg), crs)).distance(
            shapely.Point(spot)), d.id)
        for d in depots
    ]  # fmt: skip
    gap_m, depot_id = min(gaps)
    methods = ", ".join(r.value for r in drop.releases)
    return (
        f"out of range of every depot (nearest {depot_id}, {gap_m / 1000:.1f} km): no vehicle "
        f"releasing by {methods} flies there and back with the reserve"
    )
