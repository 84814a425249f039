"""Registering what deliveries fly between and with: depots, drop points (checked first)
and the vehicles stationed at depots."""

from api import fleet_store
from api.logistics import store
from api.logistics.records import StoredDropPoint
from api.logistics.service import DeliveryService
from api.registry import list_zones
from fields import local_crs_for
from fleet.registry import ReleaseKind
from logistics.drop_points import check_drop_point
from logistics.errors import BadRequest
from logistics.model import DeliveryVehicle, Depot, DropPoint
from mission_planner import PayloadRelease

__all__ = ["register_depot", "register_drop_point", "station_vehicle"]


def register_depot(service: DeliveryService, depot: Depot) -> None:
    """Register a depot.

    Raises
    ------
    Conflict
        The id is taken.
    """
    store.add_depot(service.engine, depot, now=service.clock.now())


def register_drop_point(
    service: DeliveryService, drop: DropPoint, *, resident_id: str | None = None
) -> StoredDropPoint:
    """Check a drop point against the zone register and the stationed fleet, and register
    it with what the check found.

    Raises
    ------
    DropPointRefused
        Naming every problem; nothing is stored.
    Conflict
        The id is taken.
    """
    depots = store.list_depots(service.engine)
    anchor = depots[0].location if depots else drop.location
    check = check_drop_point(
        drop, crs=local_crs_for(anchor.lon_deg, anchor.lat_deg), zones=list_zones(service.engine),
        depots=depots, vehicles=service.vehicles(), reserve_fraction=service.rules.reserve_fraction,
    )  # fmt: skip
    return store.add_drop_point(
        service.engine, drop, check, resident_id=resident_id, now=service.clock.now()
    )


_RELEASES = {
    ReleaseKind.NONE: {PayloadRelease.LAND},
    ReleaseKind.GRIPPER: {PayloadRelease.LAND, PayloadRelease.GRIPPER},
    ReleaseKind.WINCH: {PayloadRelease.LAND, PayloadRelease.WINCH},
}
"""What each vehicle's release hardware (in the register) lets it do: it can always land."""


def station_vehicle(service: DeliveryService, vehicle: DeliveryVehicle) -> None:
    """Station a registered vehicle at a depot (``vehicle.id`` is its registration).

    Raises
    ------
    BadRequest
        Not registered, retired, with no payload in the register, or asked for a release
        its hardware does not have.
    Conflict
        Stationed already, or the depot is unknown.
    """
    registered = {v.registration: v for v in fleet_store.list_vehicles(service.engine)}
    record = registered.get(vehicle.id)
    if record is None:
        raise BadRequest(f"vehicle {vehicle.id} is not registered (or is retired)")
    if record.max_payload_kg <= 0:
        raise BadRequest(f"vehicle {vehicle.id}: the register gives it no payload")
    missing = set(vehicle.releases) - _RELEASES[record.release]
    if missing:
        names = ", ".join(sorted(r.value for r in missing))
        raise BadRequest(
            f"vehicle {vehicle.id}: the register gives it release {record.release.value}, "
            f"so it cannot release by {names}"
        )
    store.add_delivery_vehicle(service.engine, vehicle, now=service.clock.now())
