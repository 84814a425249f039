"""Flight plans for registered fields, as the files ground stations load."""

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response

from api import planning, registry
from api.accounts import Principal, Role
from api.deps import ServicesDep, require
from api.errors import NotFound
from api.plan_requests import (
    SprayRequest,
    SurveyRequest,
    check_survey,
    spray_job,
    survey_area,
    survey_job,
)
from api.routes.common import ProblemResponses, safe_upload_name

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
    spacing, trigger distance, image count and flight time in the plan's ``tanbo`` member.

    A survey that would enter a no-fly zone is refused with 422 naming the zone and the
    leg; the permissions it needs (near people or property, a DID, an airport) are listed.
    """
    check_survey(request)
    fields = registry.list_fields(services.engine, ids=[request.field_id])
    everyone = caller.has(Role.OPERATOR, Role.CITY_ADMIN)
    if not fields or not (everyone or fields[0].owner == caller.account_id):
        raise NotFound(f"no field with id {request.field_id!r}")
    field = fields[0]
    plan = survey_job(services.engine, services.settings, request, fields)
    area, _ = survey_area(fields)
    text = planning.plan_documents(plan, field=area)[format.value]
    headers = {"X-Tanbo-Sorties": str(plan.sorties), "X-Tanbo-Path-M": f"{plan.path_m:.1f}"}
    if format is not PlanFormat.GEOJSON:
        name = safe_upload_name(f"{field.id}-survey.{format.value}", default="survey")
        headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return Response(content=text, media_type=_MEDIA[format], headers=headers)
