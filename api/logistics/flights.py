"""A scheduled delivery's flight: the planner's plan for its trip, the mission the vehicle
flies, and which of its items mean arrived and released."""

from dataclasses import dataclass

from api.logistics import store
from api.logistics.records import StoredDelivery
from api.logistics.service import DeliveryService
from core.geo import GeoPoint
from logistics.errors import BadRequest
from logistics.feasibility import Option, flight_plan
from logistics.telemetry import DeliveryMarks, delivery_marks
from mission_planner import FlightPlan
from mission_planner.build import build_mission
from mission_planner.model import Mission

__all__ = ["DeliveryFlight", "delivery_flight"]


@dataclass(frozen=True, kw_only=True, slots=True)
class DeliveryFlight:
    """What a vehicle flies for one delivery."""

    delivery_id: str
    vehicle_id: str
    drop: GeoPoint
    """Where the parcel is handed over."""
    plan: FlightPlan
    mission: Mission
    marks: DeliveryMarks


def delivery_flight(service: DeliveryService, delivery: StoredDelivery) -> DeliveryFlight:
    """The flight of a dispatched delivery, planned again exactly as dispatch planned it
    (the planner is deterministic) so that nothing but the trip needs storing.

    Raises
    ------
    BadRequest
        The delivery has no trip, or its vehicle is no longer stationed.
    """
    trip = delivery.trip
    if trip is None:
        raise BadRequest(f"delivery {delivery.id} is not dispatched")
    vehicles = {v.id: v for v in service.vehicles()}
    vehicle = vehicles.get(trip.vehicle_id)
    if vehicle is None:
        raise BadRequest(f"delivery {delivery.id}: vehicle {trip.vehicle_id} is not stationed")
    places = service.places()
    option = Option(
        request_id=delivery.id, vehicle_id=vehicle.id, depot_id=trip.depot_id,
        drop_point_id=delivery.request.drop_point_id, release=trip.release,
        route_m=trip.route_m, out_s=0, back_s=0, turnaround_s=0,
        energy_used_fraction=trip.energy_used_fraction,
    )  # fmt: skip
    plan = flight_plan(option, delivery.request, vehicle, places, service.rules)
    mission = build_mission(plan)
    drop = store.get_drop_point(service.engine, delivery.request.drop_point_id).drop
    return DeliveryFlight(
        delivery_id=delivery.id, vehicle_id=vehicle.id, drop=drop.location, plan=plan,
        mission=mission,
        marks=delivery_marks(mission, drop.location),
    )  # fmt: skip
