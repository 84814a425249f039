"""Flight plans for registered fields, as the files ground stations load."""

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from api import planning, registry
from api.accounts import Principal, Role
from api.deps import ServicesDep, require
from api.errors import NotFound
from api.routes.common import ProblemResponses
from core.geo import GeoPoint
from mission_planner import SprayerControl
from mission_planner.spray import SprayParams

__all__ = ["router"]

router = APIRouter(prefix="/plans", tags=["plans"], responses=ProblemResponses)


class PlanFormat(StrEnum):
    """Which file: GeoJSON for maps, QGroundControl .plan, QGC WPL 110 .waypoints."""

    GEOJSON = "geojson"
    PLAN = "plan"
    WAYPOINTS = "waypoints"


_MEDIA = {
    PlanFormat.GEOJSON: "application/geo+json",
    PlanFormat.PLAN: "application/json",
    PlanFormat.WAYPOINTS: "text/plain; charset=utf-8",
}


class Place(BaseModel):
    """A point, WGS84 degrees."""

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class SprayRequest(BaseModel):
    """Spray these fields in one mission, nearest first; registered zones are respected."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "field_ids": ["B000", "B001"],
                    "swath_m": 5,
                    "rate_l_ha": 80,
                    "tank_l": 10,
                    "endurance_min": 12,
                    "home": {"lat": 34.9283, "lon": 134.8414},
                }
            ]
        },
    )

    field_ids: list[str] = Field(min_length=1, max_length=200)
    swath_m: float = Field(gt=0.5, le=30)
    altitude_m: float = Field(default=3.0, gt=0.5, le=150)
    speed_m_s: float = Field(default=5.0, gt=0.5, le=20)
    heading_deg: float | None = Field(default=None, ge=0, lt=360)
    rate_l_ha: float | None = Field(default=None, gt=0, le=1000)
    tank_l: float | None = Field(default=None, gt=0, le=200)
    endurance_min: float | None = Field(default=None, gt=0, le=180)
    home: Place | None = None
    sprayer: SprayerControl = SprayerControl.DO_SPRAYER
    sprayer_servo: int = Field(default=9, ge=1, le=16)


@router.post(
    "/spray",
    summary="Plan a spray mission",
    responses={
        200: {
            "description": "The plan in the format asked for.",
            "content": {"application/geo+json": {}, "text/plain": {}},
        }
    },
)
def plan_spray(
    request: SprayRequest,
    services: ServicesDep,
    caller: Annotated[Principal, Depends(require(Role.FARMER, Role.OPERATOR, Role.CITY_ADMIN))],
    format: Annotated[PlanFormat, Query(description="Which file to answer with.")] = (
        PlanFormat.GEOJSON
    ),
) -> Response:
    """Coverage with sorties by tank and battery, zones kept dry, checked before it is written.

    A plan that breaks a safety rule (150 m, a no-fly zone, spraying over a no-spray
    zone) is refused with 422 naming the rule and the place.
    """
    if (request.tank_l is None) != (request.rate_l_ha is None):
        raise ValueError("give tank_l and rate_l_ha together")
    fields = registry.list_fields(services.engine, ids=request.field_ids)
    found = {f.id for f in fields}
    mine = caller.has(Role.OPERATOR, Role.CITY_ADMIN)
    for field_id in request.field_ids:
        record = next((f for f in fields if f.id == field_id), None)
        if field_id not in found or not (mine or (record and record.owner == caller.account_id)):
            raise NotFound(f"no field with id {field_id!r}")
    params = SprayParams(
        swath_m=request.swath_m,
        altitude_m=request.altitude_m,
        speed_m_s=request.speed_m_s,
        heading_deg=request.heading_deg,
        rate_l_ha=request.rate_l_ha,
        tank_l=request.tank_l,
        endurance_min=request.endurance_min,
        sprayer=request.sprayer,
        sprayer_servo=request.sprayer_servo,
    )
    home = GeoPoint(lat_deg=request.home.lat, lon_deg=request.home.lon) if request.home else None
    job = planning.plan_spray_job(
        [(f.id, f.geometry) for f in fields],
        params,
        home=home,
        zones=registry.list_zones(services.engine),
        buffers_m=services.settings.buffers_m,
    )
    text = planning.plan_documents(job.plan, field=job.work, zones=job.zones)[format.value]
    headers: dict[str, Any] = {
        "X-Tanbo-Sorties": str(job.plan.sorties),
        "X-Tanbo-Path-M": f"{job.plan.path_m:.1f}",
    }
    if format is not PlanFormat.GEOJSON:
        headers["Content-Disposition"] = f'attachment; filename="mission.{format.value}"'
    return Response(content=text, media_type=_MEDIA[format], headers=headers)
