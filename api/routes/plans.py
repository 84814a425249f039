"""Flight plans for registered fields, as the files ground stations load."""

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from api import planning, registry
from api.accounts import Principal, Role
from api.deps import ServicesDep, require
from api.errors import NotFound
from api.plan_requests import Place, SprayRequest, spray_job
from api.routes.common import ProblemResponses
from fields import local_crs_for, to_local
from mission_planner.cameras import Camera, camera_named
from mission_planner.survey import plan_survey

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
    fields = registry.list_fields(services.engine, ids=request.field_ids)
    everyone = caller.has(Role.OPERATOR, Role.CITY_ADMIN)
    visible = {f.id for f in fields if everyone or f.owner == caller.account_id}
    for field_id in request.field_ids:
        if field_id not in visible:
            raise NotFound(f"no field with id {field_id!r}")
    job = spray_job(services.engine, services.settings, request, fields)
    text = planning.plan_documents(job.plan, field=job.work, zones=job.zones)[format.value]
    headers: dict[str, Any] = {
        "X-Tanbo-Sorties": str(job.plan.sorties),
        "X-Tanbo-Path-M": f"{job.plan.path_m:.1f}",
    }
    if format is not PlanFormat.GEOJSON:
        headers["Content-Disposition"] = f'attachment; filename="mission.{format.value}"'
    return Response(content=text, media_type=_MEDIA[format], headers=headers)


class CameraSpec(BaseModel):
    """A camera not built in: sensor size, focal length, image size."""

    sensor_width_mm: float = Field(gt=0, le=100)
    sensor_height_mm: float = Field(gt=0, le=100)
    focal_length_mm: float = Field(gt=0, le=500)
    image_width_px: int = Field(gt=0, le=100_000)
    image_height_px: int = Field(gt=0, le=100_000)


class SurveyRequest(BaseModel):
    """A camera survey of one field: a built-in camera by name, or its specification."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"field_id": "B001", "camera": "DJI Mavic 3M RGB", "gsd_cm": 2.0}]
        },
    )

    field_id: str
    camera: str | None = Field(default=None, description="A built-in camera's name.")
    camera_spec: CameraSpec | None = None
    gsd_cm: float | None = Field(default=None, gt=0.01, le=100)
    altitude_m: float | None = Field(default=None, ge=1, le=150)
    front_overlap_pct: float = Field(default=75.0, ge=0, le=95)
    side_overlap_pct: float = Field(default=65.0, ge=0, le=95)
    heading_deg: float | None = Field(default=None, ge=0, lt=360)
    speed_m_s: float = Field(default=5.0, gt=0.5, le=20)
    turnaround_m: float = Field(default=10.0, ge=0, le=200)
    crosshatch: bool = False
    home: Place | None = None


@router.post(
    "/survey",
    summary="Plan a survey (monitoring) flight",
    responses={
        200: {
            "description": "The plan in the format asked for.",
            "content": {"application/geo+json": {}, "text/plain": {}},
        }
    },
)
def plan_survey_route(
    request: SurveyRequest,
    services: ServicesDep,
    caller: Annotated[Principal, Depends(require(Role.FARMER, Role.OPERATOR, Role.CITY_ADMIN))],
    format: Annotated[PlanFormat, Query(description="Which file to answer with.")] = (
        PlanFormat.GEOJSON
    ),
) -> Response:
    """A grid from the camera and the GSD or height, triggered by distance; GSD, line
    spacing, trigger distance, image count and flight time in the plan's ``tanbo`` member."""
    if (request.gsd_cm is None) == (request.altitude_m is None):
        raise ValueError("give exactly one of gsd_cm and altitude_m")
    if (request.camera is None) == (request.camera_spec is None):
        raise ValueError("give camera (a built-in name) or camera_spec, not both")
    fields = registry.list_fields(services.engine, ids=[request.field_id])
    everyone = caller.has(Role.OPERATOR, Role.CITY_ADMIN)
    if not fields or not (everyone or fields[0].owner == caller.account_id):
        raise NotFound(f"no field with id {request.field_id!r}")
    camera = (
        camera_named(request.camera)
        if request.camera is not None
        else Camera(name="custom", **request.camera_spec.model_dump())  # type: ignore[union-attr]
    )
    field = fields[0]
    crs = local_crs_for(field.geometry.centroid.x, field.geometry.centroid.y)
    area = to_local(field.geometry, crs)
    home = request.home.point() if request.home else None
    plan = plan_survey(
        area,
        crs=crs,
        camera=camera,
        gsd_cm=request.gsd_cm,
        altitude_m=request.altitude_m,
        front_overlap=request.front_overlap_pct / 100.0,
        side_overlap=request.side_overlap_pct / 100.0,
        angle_deg=request.heading_deg,
        speed_m_s=request.speed_m_s,
        turnaround_m=request.turnaround_m,
        crosshatch=request.crosshatch,
        home=planning.home_in(home, area, crs),
    )
    text = planning.plan_documents(plan, field=area)[format.value]
    headers = {"X-Tanbo-Sorties": str(plan.sorties), "X-Tanbo-Path-M": f"{plan.path_m:.1f}"}
    if format is not PlanFormat.GEOJSON:
        headers["Content-Disposition"] = f'attachment; filename="{field.id}-survey.{format.value}"'
    return Response(content=text, media_type=_MEDIA[format], headers=headers)
