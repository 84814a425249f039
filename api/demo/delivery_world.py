"""The delivery demo's world: a depot at Kasai city hall, three drop points, two delivery
drones and the zones around them. Generated places (not surveyed ones) near the real city
hall: a clinic to the north behind a hospital helipad's no-fly zone, a community centre to
the west, a resident's garden to the east beside a house and a road."""

from importlib.resources import as_file, files

from sqlalchemy import Engine

from api import fleet_store
from api.logistics import store
from api.logistics.places import register_depot, register_drop_point, station_vehicle
from api.logistics.service import DeliveryService
from api.registry import import_zones
from core.clock import Clock
from core.geo import GeoPoint
from fields import DEFAULT_BUFFERS_M
from fleet import VehicleRecord
from fleet.registry import ReleaseKind
from logistics.model import DeliveryVehicle, Depot, DropPoint, DropPointKind
from mission_planner import PayloadRelease

__all__ = ["CITY_HALL", "DEPOT", "DROP_POINTS", "VEHICLES", "build_world", "vehicle_record"]

CITY_HALL = GeoPoint(lat_deg=34.9283, lon_deg=134.8414)
DEPOT = Depot(id="KASAI-HALL", name="加西市役所 depot", location=CITY_HALL, battery_swap_s=180.0)
DROP_POINTS = (
    DropPoint(id="CLINIC-N", name="北の診療所 (clinic, generated)",
              location=GeoPoint(lat_deg=34.9661549, lon_deg=134.844687),
              kind=DropPointKind.CLINIC, releases=(PayloadRelease.WINCH,), clear_radius_m=6.0),
    DropPoint(id="CENTRE-W", name="西の公民館 (community centre, generated)",
              location=GeoPoint(lat_deg=34.9319052, lon_deg=134.8063384),
              kind=DropPointKind.COMMUNITY_CENTRE, releases=(PayloadRelease.WINCH,),
              clear_radius_m=8.0),
    DropPoint(id="GARDEN-E", name="東の庭 (a resident's garden, generated)",
              location=GeoPoint(lat_deg=34.9228922, lon_deg=134.8687919),
              kind=DropPointKind.GARDEN, releases=(PayloadRelease.WINCH,), clear_radius_m=3.0),
)  # fmt: skip
VEHICLES = (
    DeliveryVehicle(id="SIM-DELIVERY-1", depot_id=DEPOT.id, payload_kg=2.5, box_cm=(40, 30, 25),
                    empty_kg=9.0, endurance_min=32.0, speed_m_s=12.0, cruise_altitude_m=40.0,
                    releases=(PayloadRelease.WINCH,), insulated=True),
    DeliveryVehicle(id="SIM-DELIVERY-2", depot_id=DEPOT.id, payload_kg=2.5, box_cm=(40, 30, 25),
                    empty_kg=9.0, endurance_min=32.0, speed_m_s=12.0, cruise_altitude_m=40.0,
                    releases=(PayloadRelease.WINCH,), insulated=False),
)  # fmt: skip


def vehicle_record(vehicle: DeliveryVehicle, *, system_id: int, port: int | None) -> VehicleRecord:
    """The register's entry of a demo drone (a simulator on ``port`` when given)."""
    return VehicleRecord(
        registration=vehicle.id, model="Tanbo SIM delivery quad", system_id=system_id,
        connection=None if port is None else f"tcp:127.0.0.1:{port}",
        max_takeoff_weight_kg=vehicle.empty_kg + vehicle.payload_kg,
        max_payload_kg=vehicle.payload_kg, battery_mah=16000, battery_cells=6,
        release=ReleaseKind.WINCH,
    )  # fmt: skip


def build_world(
    engine: Engine, service: DeliveryService, *, clock: Clock, ports: tuple[int, ...] = ()
) -> None:
    """Register the zones, the depot, the two drones (on simulators at ``ports`` when
    given) and the three drop points (each checked). Run again, it keeps what is there and
    points the drones at the new ports."""
    resource = files("api.demo").joinpath("data/kasai_delivery_zones.geojson")
    with as_file(resource) as path:
        import_zones(engine, path, kind=None, buffers_m=dict(DEFAULT_BUFFERS_M), clock=clock)
    if not any(d.id == DEPOT.id for d in store.list_depots(engine)):
        register_depot(service, DEPOT)
    registered = {v.registration for v in fleet_store.list_vehicles(engine, include_retired=True)}
    stationed = {v.id for v in store.list_delivery_vehicles(engine)}
    for number, vehicle in enumerate(VEHICLES, start=1):
        port = ports[number - 1] if len(ports) >= number else None
        record = vehicle_record(vehicle, system_id=number, port=port)
        if vehicle.id in registered:
            fleet_store.update_vehicle(engine, vehicle.id, {"connection": record.connection})
        else:
            fleet_store.add_vehicle(engine, record, clock=clock)
        if vehicle.id not in stationed:
            station_vehicle(service, vehicle)
    known = {d.drop.id for d in store.list_drop_points(engine)}
    for drop in DROP_POINTS:
        if drop.id not in known:
            register_drop_point(service, drop)
