"""A drone delivery as a Smart Data Model: **FleetVehicleOperation**
(dataModel.Transportation).

Why that model: the Smart Data Models have no dataModel.Logistics subject, and
dataModel.UrbanMobility describes public transport (GTFS routes, stops, trips). Among the
rest, FleetVehicleOperation is "a generic fleet vehicle operation such as a delivery": it
has the operation's type, start and end, the vehicle (``fleetVehicle``), where it started
(``initiatingLocation``), where it went (``location``), its result and transport time —
all a delivery needs, so no Tanbo type is defined. ``fleetVehicle`` points at the drone's
Device entity, as Tanbo publishes drones as Devices.

A delivery is its recipient's personal data (and a pharmacy's parcel is health data), so
it is published only with the recipient's consent, and minimised even then: no items, no
names, no phone numbers, no code; the drop place only when it is a public one (a clinic,
a community centre), never someone's garden.
"""

from api.city_platform.agri import context_of
from api.city_platform.devices import drone_device_id
from api.city_platform.ngsi import Entity, EntityIds, date_time_prop, geo_point, prop, rel
from api.city_platform.outcomes import Candidate
from api.city_platform.schemas import FLEET_VEHICLE_OPERATION
from api.logistics.records import StoredDelivery, StoredDropPoint
from logistics.lifecycle import DeliveryState
from logistics.model import Depot, DropPointKind

_PUBLIC_PLACES = frozenset(
    {DropPointKind.CLINIC, DropPointKind.COMMUNITY_CENTRE, DropPointKind.PHARMACY}
)
"""Drop points whose place is published: public places only (a garden, or an "other" that
may be someone's, never)."""

__all__ = ["RESULTS", "delivery_operation"]

RESULTS: dict[DeliveryState, str] = {
    DeliveryState.VEHICLE_RETURNED: "delivered",
    DeliveryState.FAILED: "failed",
    DeliveryState.CANCELLED: "cancelled",
    DeliveryState.RETURNED_TO_PHARMACY: "returned to the pharmacy",
}
"""The final states (nothing follows them) and the ``result`` each is published as."""


def delivery_operation(
    ids: EntityIds,
    delivery: StoredDelivery,
    *,
    depots: dict[str, Depot],
    drop_points: dict[str, StoredDropPoint],
) -> Candidate:
    """A delivery as a FleetVehicleOperation, the recipient's personal data (a recipient
    with no account, known by name and phone, cannot consent: it is never published)."""
    entity: Entity = {
        "id": ids.urn(FLEET_VEHICLE_OPERATION.name, delivery.id),
        "type": FLEET_VEHICLE_OPERATION.name,
        "operationType": prop("drone delivery"),
    }
    if delivery.created_at is not None:
        entity["dateCreated"] = date_time_prop(delivery.created_at)
    trip = delivery.trip
    if trip is not None:
        entity["fleetVehicle"] = rel(drone_device_id(ids, trip.vehicle_id))
        if trip.depot_id in depots:
            entity["initiatingLocation"] = geo_point(depots[trip.depot_id].location)
    drop = drop_points.get(delivery.request.drop_point_id)
    if drop is not None and drop.resident_id is None and drop.drop.kind in _PUBLIC_PLACES:
        entity["location"] = geo_point(drop.drop.location)
    events = delivery.lifecycle.events
    started = next((e.at for e in events if e.to_state is DeliveryState.IN_FLIGHT), None)
    if started is not None:
        entity["startedAt"] = date_time_prop(started)
        if delivery.released_at is not None:
            transport_s = (delivery.released_at - started).total_seconds()
            entity["transportTime"] = prop(round(transport_s, 1), unit_code="SEC")
    if delivery.state in RESULTS:
        ended = next((e.at for e in reversed(events) if e.to_state is delivery.state), None)
        if ended is not None:
            entity["endedAt"] = date_time_prop(ended)
        entity["result"] = prop(RESULTS[delivery.state])
    entity["@context"] = context_of(FLEET_VEHICLE_OPERATION)
    return Candidate(
        entity=entity,
        model=FLEET_VEHICLE_OPERATION,
        personal=True,
        data_subject=delivery.request.recipient.resident_id,
    )
