"""A small delivery world round Kasai city hall, shared by the logistics tests.

Generated places (not surveyed ones): a depot at the city hall, drop points 1.5–6 km out,
a no-fly zone between the depot and one of them, a house and a road by a garden.
"""

import math
from datetime import UTC, datetime, timedelta

import shapely

from core import GeoPoint, ZoneId
from fields import Restriction, ZoneKind, ZoneRecord, local_crs_for
from logistics.feasibility import Places
from logistics.model import (
    DeliveryRequest,
    DeliveryVehicle,
    Depot,
    DropPoint,
    DropPointKind,
    Item,
    Recipient,
    TemperatureClass,
    TimeWindow,
)
from logistics.schedule import VehicleState
from mission_planner import PayloadRelease

CITY_HALL = GeoPoint(lat_deg=34.9283, lon_deg=134.8414)
NOW = datetime(2026, 6, 1, 0, 0, tzinfo=UTC)  # 09:00 in Kasai
M_PER_DEG_LAT = 110_950.0
M_PER_DEG_LON = 111_320.0 * math.cos(math.radians(CITY_HALL.lat_deg))


def offset(east_m: float, north_m: float, base: GeoPoint = CITY_HALL) -> GeoPoint:
    """A point so many metres east and north of ``base`` (flat-earth, fine for a few km)."""
    return GeoPoint(
        lat_deg=base.lat_deg + north_m / M_PER_DEG_LAT,
        lon_deg=base.lon_deg + east_m / M_PER_DEG_LON,
    )


def square(centre: GeoPoint, half_m: float) -> shapely.Polygon:
    """A lon/lat square ``2 × half_m`` metres a side round ``centre``."""
    dx, dy = half_m / M_PER_DEG_LON, half_m / M_PER_DEG_LAT
    return shapely.box(centre.lon_deg - dx, centre.lat_deg - dy, centre.lon_deg + dx,
                       centre.lat_deg + dy)  # fmt: skip


CRS = local_crs_for(CITY_HALL.lon_deg, CITY_HALL.lat_deg)
DEPOT = Depot(id="HALL", name="Kasai city hall", location=CITY_HALL, battery_swap_s=300.0)
NO_FLY = ZoneRecord(
    id=ZoneId("NF1"), kind=ZoneKind.HOSPITAL, restriction=Restriction.NO_FLY,
    name="hospital helipad", geometry=square(offset(0, 2000), 300.0), buffer_m=30.0,
)  # fmt: skip
GARDEN = offset(1500, 0)
HOUSE = ZoneRecord(
    id=ZoneId("H1"), kind=ZoneKind.HOUSE, restriction=Restriction.NO_SPRAY, name="house",
    geometry=square(offset(1508, 0), 4.0),
)  # fmt: skip
ROAD = ZoneRecord(
    id=ZoneId("R1"), kind=ZoneKind.ROAD, restriction=Restriction.NO_SPRAY, name="road",
    geometry=shapely.LineString([(offset(1490, -50).lon_deg, offset(1490, -50).lat_deg),
                                 (offset(1490, 50).lon_deg, offset(1490, 50).lat_deg)]),
)  # fmt: skip
ZONES = (NO_FLY, HOUSE, ROAD)


def drop(
    drop_id: str, where: GeoPoint, *releases: PayloadRelease, clear_m: float = 5.0
) -> DropPoint:
    return DropPoint(
        id=drop_id, name=f"drop {drop_id}", location=where, kind=DropPointKind.GARDEN,
        releases=releases or (PayloadRelease.WINCH,), clear_radius_m=clear_m,
    )  # fmt: skip


DROPS = {
    d.id: d
    for d in (
        drop("GARDEN", GARDEN, PayloadRelease.WINCH),
        drop("NORTH", offset(0, 4000)),  # behind the no-fly zone
        drop("EAST", offset(4000, 1000)),
        drop("WEST", offset(-3000, -2000)),
        drop("SOUTH", offset(500, -5500)),
        drop("CLINIC", offset(-1500, 3000), PayloadRelease.LAND, PayloadRelease.WINCH),
    )
}
PLACES = Places(depots={DEPOT.id: DEPOT}, drop_points=DROPS, zones=ZONES, crs=CRS)


def vehicle(vehicle_id: str, *, insulated: bool = True, payload_kg: float = 2.5) -> DeliveryVehicle:
    return DeliveryVehicle(
        id=vehicle_id, depot_id=DEPOT.id, payload_kg=payload_kg, box_cm=(40, 30, 25),
        empty_kg=9.0, endurance_min=40.0, speed_m_s=12.0, cruise_altitude_m=40.0,
        releases=(PayloadRelease.WINCH, PayloadRelease.LAND), insulated=insulated,
    )  # fmt: skip


def fleet(*ids: str, ready: datetime = NOW) -> list[VehicleState]:
    return [VehicleState(vehicle=vehicle(i), ready_at=ready) for i in ids]


def request(
    request_id: str,
    drop_point_id: str,
    *,
    weight_kg: float = 0.5,
    temperature: TemperatureClass = TemperatureClass.AMBIENT,
    window_min: tuple[float, float] | None = None,
    at: datetime = NOW,
) -> DeliveryRequest:
    window = (
        None
        if window_min is None
        else TimeWindow(earliest=NOW + timedelta(minutes=window_min[0]),
                        latest=NOW + timedelta(minutes=window_min[1]))
    )  # fmt: skip
    return DeliveryRequest(
        id=request_id, pharmacy_id="P1",
        items=(Item(name="medicine", weight_kg=weight_kg, size_cm=(20, 15, 10),
                    temperature=temperature),),
        recipient=Recipient(resident_id=f"resident-{request_id}"),
        drop_point_id=drop_point_id, requested_at=at, window=window,
    )  # fmt: skip
