"""What deliveries fly between and with: depots, drop points and the vehicles stationed at
depots. Anyone signed in reads them; city staff register depots and drop points, operators
and city staff station vehicles.

A drop point is checked before it is registered (no-fly zones, clearance from houses and
roads, open ground, the approach, whether any stationed vehicle reaches it); a refused
one answers 422 with every problem in ``problems``. Whose garden a drop point is
(``resident_id``) is shown only to city staff and to that resident.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field, JsonValue

from api import fleet_store
from api.accounts import Principal, Role
from api.deps import CurrentUser, require
from api.logistics import store
from api.logistics.places import register_depot, register_drop_point, station_vehicle
from api.logistics.records import StoredDropPoint
from api.problems import PROBLEM_JSON, Problem
from api.routes.common import Page, ProblemResponses
from api.routes.delivery_deps import DeliveriesDep
from core.geo import GeoPoint
from logistics.model import DeliveryVehicle, Depot, DropPoint, DropPointKind
from mission_planner import PayloadRelease

__all__ = [
    "DepotBody",
    "DropPointCreate",
    "DropPointPublic",
    "StationedVehicle",
    "depots_router",
    "drop_points_router",
    "vehicles_router",
]

_TAG = "delivery places"
depots_router = APIRouter(prefix="/depots", tags=[_TAG], responses=ProblemResponses)
drop_points_router = APIRouter(prefix="/drop-points", tags=[_TAG], responses=ProblemResponses)
vehicles_router = APIRouter(prefix="/delivery-vehicles", tags=[_TAG], responses=ProblemResponses)

_Staff = Annotated[Principal, Depends(require(Role.CITY_ADMIN))]
_Crew = Annotated[Principal, Depends(require(Role.OPERATOR, Role.CITY_ADMIN))]
_Limit = Annotated[int, Query(ge=1, le=500, description="Most items to answer.")]
_Offset = Annotated[int, Query(ge=0, description="How many to skip.")]
_Lat = Annotated[float, Field(ge=-90, le=90)]
_Lon = Annotated[float, Field(ge=-180, le=180)]
_Side = Annotated[float, Field(gt=0, le=500)]
_TAKEN: dict[int | str, dict[str, Any]] = {
    409: {"description": "The id is taken.", "model": Problem, "content": {PROBLEM_JSON: {}}}
}
_DEPOT_EXAMPLES: list[JsonValue] = [
    {"id": "KASAI-HALL", "name": "加西市役所 depot", "lat_deg": 34.9283, "lon_deg": 134.8414,
     "battery_swap_s": 180},
]  # fmt: skip
_DROP_POINT_EXAMPLES: list[JsonValue] = [
    {"id": "CENTRE-W", "name": "西の公民館", "lat_deg": 34.9319052, "lon_deg": 134.8063384,
     "kind": "community_centre", "releases": ["winch"], "clear_radius_m": 8.0},
    {"id": "GARDEN-R7", "name": "R7さんの庭", "lat_deg": 34.9228922, "lon_deg": 134.8687919,
     "kind": "garden", "releases": ["winch"], "clear_radius_m": 3.0, "approach_from_deg": 90,
     "resident_id": "3f6c1e0a-8d2b-4b7e-9c1d-5a2e7f90b314"},
]  # fmt: skip
_STATION_EXAMPLES: list[JsonValue] = [
    {"registration": "SIM-DELIVERY-1", "depot_id": "KASAI-HALL", "box_cm": [40, 30, 25],
     "empty_kg": 9.0, "endurance_min": 30.0, "speed_m_s": 12.0, "cruise_altitude_m": 60.0,
     "releases": ["winch"], "insulated": True},
]  # fmt: skip


class DepotBody(BaseModel):
    """A depot: where drones wait, charge and are loaded. ``battery_swap_s`` null: the
    drones recharge their own batteries (no charged spares)."""

    model_config = ConfigDict(
        extra="forbid",
        allow_inf_nan=False,
        json_schema_extra={"examples": _DEPOT_EXAMPLES},
    )

    id: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    lat_deg: _Lat
    lon_deg: _Lon
    battery_swap_s: float | None = Field(default=300.0, gt=0, le=24 * 3600)


class DropPointCreate(BaseModel):
    """A spot where a drone lowers, drops or lands a parcel, as surveyed: the open ground
    around it (``clear_radius_m``) and, when it has only one, the bearing to come in from."""

    model_config = ConfigDict(
        extra="forbid",
        allow_inf_nan=False,
        json_schema_extra={"examples": _DROP_POINT_EXAMPLES},
    )

    id: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    lat_deg: _Lat
    lon_deg: _Lon
    kind: DropPointKind
    releases: list[PayloadRelease] = Field(min_length=1, max_length=3)
    clear_radius_m: float = Field(gt=0, le=1000)
    approach_from_deg: float | None = Field(default=None, ge=0, lt=360)
    resident_id: str | None = Field(
        default=None, min_length=1, max_length=200, description="Whose garden it is."
    )


class ReachPublic(BaseModel):
    """A stationed vehicle that reaches the drop point and back with its reserve."""

    depot_id: str
    vehicle_id: str
    route_m: float = Field(description="The way out, round the no-fly zones, m.")
    max_payload_kg: float = Field(description="The heaviest parcel it carries there, kg.")


class DropPointPublic(BaseModel):
    """A registered drop point and what its check found when it was registered."""

    id: str
    name: str
    lat_deg: float
    lon_deg: float
    kind: DropPointKind
    releases: list[PayloadRelease]
    clear_radius_m: float
    approach_from_deg: float | None
    resident_id: str | None = Field(description="Shown to city staff and that resident only.")
    reach: list[ReachPublic]
    permissions: list[str] = Field(description="Aviation Act permissions flights there need.")


class StationCreate(BaseModel):
    """A registered vehicle (by registration) stationed at a depot, with what dispatch
    needs that the register does not keep. Its payload is the register's."""

    model_config = ConfigDict(
        extra="forbid",
        allow_inf_nan=False,
        json_schema_extra={"examples": _STATION_EXAMPLES},
    )

    registration: str = Field(min_length=1, max_length=40)
    depot_id: str = Field(min_length=1, max_length=64)
    box_cm: tuple[_Side, _Side, _Side] = Field(description="The payload box inside, cm.")
    empty_kg: float = Field(gt=0, le=200)
    endurance_min: float = Field(gt=0, le=600, description="Hover endurance, empty, min.")
    speed_m_s: float = Field(default=10.0, gt=0, le=40)
    cruise_altitude_m: float = Field(default=60.0, gt=0, le=150)
    releases: list[PayloadRelease] = Field(default=[PayloadRelease.WINCH], min_length=1)
    insulated: bool = Field(default=False, description="Carries cool and frozen parcels.")
    charge_min: float = Field(default=60.0, gt=0, le=24 * 60)


class StationedVehicle(StationCreate):
    """A stationed vehicle as dispatch sees it."""

    payload_kg: float = Field(description="From the register (max_payload_kg).")


def _drop_public(stored: StoredDropPoint, caller: Principal) -> DropPointPublic:
    d, owner = stored.drop, stored.resident_id
    shown = caller.has(Role.CITY_ADMIN) or (owner is not None and owner == caller.account_id)
    return DropPointPublic(
        id=d.id, name=d.name, lat_deg=d.location.lat_deg, lon_deg=d.location.lon_deg,
        kind=d.kind, releases=list(d.releases), clear_radius_m=d.clear_radius_m,
        approach_from_deg=d.approach_from_deg, resident_id=owner if shown else None,
        reach=[ReachPublic(depot_id=r.depot_id, vehicle_id=r.vehicle_id, route_m=r.route_m,
                           max_payload_kg=r.max_payload_kg) for r in stored.reach],
        permissions=list(stored.permissions),
    )  # fmt: skip


def _stationed(v: DeliveryVehicle) -> StationedVehicle:
    return StationedVehicle(
        registration=v.id, depot_id=v.depot_id, box_cm=v.box_cm, empty_kg=v.empty_kg,
        endurance_min=v.endurance_min, speed_m_s=v.speed_m_s,
        cruise_altitude_m=v.cruise_altitude_m, releases=list(v.releases), insulated=v.insulated,
        charge_min=v.charge_min, payload_kg=v.payload_kg,
    )  # fmt: skip


@depots_router.get("", response_model=Page[DepotBody], summary="List depots")
def list_depots(
    service: DeliveriesDep, caller: CurrentUser, limit: _Limit = 50, offset: _Offset = 0
) -> Page[DepotBody]:
    """Every depot, by id."""
    rows = [
        DepotBody(id=d.id, name=d.name, lat_deg=d.location.lat_deg,
                  lon_deg=d.location.lon_deg, battery_swap_s=d.battery_swap_s)
        for d in store.list_depots(service.engine)
    ]  # fmt: skip
    return Page(data=rows[offset : offset + limit], count=len(rows), limit=limit, offset=offset)


@depots_router.post(
    "", response_model=DepotBody, status_code=201, summary="Register a depot", responses=_TAKEN
)
def add_depot(body: DepotBody, service: DeliveriesDep, caller: _Staff) -> DepotBody:
    """Register a depot (city staff)."""
    location = GeoPoint(lat_deg=body.lat_deg, lon_deg=body.lon_deg)
    depot = Depot(id=body.id, name=body.name, location=location,
                  battery_swap_s=body.battery_swap_s)  # fmt: skip
    register_depot(service, depot)
    return body


@drop_points_router.get("", response_model=Page[DropPointPublic], summary="List drop points")
def list_drop_points(
    service: DeliveriesDep, caller: CurrentUser, limit: _Limit = 50, offset: _Offset = 0
) -> Page[DropPointPublic]:
    """Every registered drop point, by id, with who reaches it."""
    rows = store.list_drop_points(service.engine)
    data = [_drop_public(d, caller) for d in rows[offset : offset + limit]]
    return Page(data=data, count=len(rows), limit=limit, offset=offset)


@drop_points_router.get(
    "/{drop_point_id}", response_model=DropPointPublic, summary="Read a drop point"
)
def read_drop_point(
    drop_point_id: Annotated[str, Path(description="The drop point's id.")],
    service: DeliveriesDep,
    caller: CurrentUser,
) -> DropPointPublic:
    """One drop point, with who reaches it and the permissions flights there need."""
    return _drop_public(store.get_drop_point(service.engine, drop_point_id), caller)


@drop_points_router.post(
    "",
    response_model=DropPointPublic,
    status_code=201,
    summary="Register a drop point",
    responses={
        **_TAKEN,
        422: {
            "description": "Not valid, or refused by its check: `problems` lists every "
            "problem found (no-fly zone, clearance, open ground, approach, reach).",
            "model": Problem,
            "content": {PROBLEM_JSON: {}},
        },
    },
)
def add_drop_point(
    body: DropPointCreate, response: Response, service: DeliveriesDep, caller: _Staff
) -> DropPointPublic:
    """Check a drop point against the zone register and the stationed vehicles, and
    register it with what the check found (city staff)."""
    drop = DropPoint(
        id=body.id, name=body.name,
        location=GeoPoint(lat_deg=body.lat_deg, lon_deg=body.lon_deg), kind=body.kind,
        releases=tuple(body.releases), clear_radius_m=body.clear_radius_m,
        approach_from_deg=body.approach_from_deg,
    )  # fmt: skip
    stored = register_drop_point(service, drop, resident_id=body.resident_id)
    response.headers["Location"] = f"/drop-points/{stored.drop.id}"
    return _drop_public(stored, caller)


@vehicles_router.get(
    "", response_model=Page[StationedVehicle], summary="List stationed delivery vehicles"
)
def list_delivery_vehicles(
    service: DeliveriesDep, caller: CurrentUser, limit: _Limit = 50, offset: _Offset = 0
) -> Page[StationedVehicle]:
    """The vehicles stationed for deliveries that are not retired, by registration."""
    rows = service.vehicles()
    data = [_stationed(v) for v in rows[offset : offset + limit]]
    return Page(data=data, count=len(rows), limit=limit, offset=offset)


@vehicles_router.post(
    "",
    response_model=StationedVehicle,
    status_code=201,
    summary="Station a delivery vehicle",
    responses={
        409: {
            "description": "Stationed already, or the depot is unknown.",
            "model": Problem,
            "content": {PROBLEM_JSON: {}},
        }
    },
)
def station_delivery_vehicle(
    body: StationCreate, service: DeliveriesDep, caller: _Crew
) -> StationedVehicle:
    """Station a registered, unretired vehicle at a depot for deliveries (operators, city
    staff). Its release methods must be ones its hardware in the register has."""
    record = fleet_store.get_vehicle(service.engine, body.registration)
    vehicle = DeliveryVehicle(
        id=body.registration, depot_id=body.depot_id, payload_kg=record.max_payload_kg,
        box_cm=body.box_cm, empty_kg=body.empty_kg, endurance_min=body.endurance_min,
        speed_m_s=body.speed_m_s, cruise_altitude_m=body.cruise_altitude_m,
        releases=tuple(body.releases), insulated=body.insulated, charge_min=body.charge_min,
    )  # fmt: skip
    station_vehicle(service, vehicle)
    return _stationed(vehicle)
