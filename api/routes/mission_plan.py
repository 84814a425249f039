"""A mission's planned path, for a map: ``GET /missions/{id}/plan``.

Once dispatched, the plan its vehicle flew (the file written at dispatch, the vehicle's tank
applied); before, the plan as its request sizes it, made now from the mission's stored
parameters and fields the way ``POST /missions`` made it. GeoJSON by the planner's contract:
``kind: "leg"`` LineStrings in flight order with ``sortie``, ``action`` (``spray``,
``transit``, ``survey``) and ``altitude_m``, then the field, zones, fence and rally point.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from api import planning, registry
from api.accounts import Principal, Role
from api.deps import ServicesDep, require
from api.errors import NotFound
from api.fleet_dispatch_plan import mission_dir
from api.plan_requests import SurveyWork, mission_work, spray_job, survey_area, survey_job
from api.routes.common import ProblemResponses
from api.routes.missions import visible_mission

__all__ = ["router"]

router = APIRouter(prefix="/missions", tags=["missions"], responses=ProblemResponses)

_EXAMPLE = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": [[134.8414, 34.9283],
                                                               [134.8419, 34.9283]]},
            "properties": {"kind": "leg", "sortie": 1, "action": "spray", "altitude_m": 3.0},
        }
    ],
}  # fmt: skip


@router.get(
    "/{mission_id}/plan",
    summary="A mission's planned path (GeoJSON)",
    responses={
        200: {
            "description": "The path by legs in flight order, with the field, zones and fence.",
            "content": {"application/geo+json": {"example": _EXAMPLE}},
        }
    },
)
def mission_plan(
    mission_id: int,
    services: ServicesDep,
    caller: Annotated[Principal, Depends(require(Role.FARMER, Role.OPERATOR, Role.CITY_ADMIN))],
) -> Response:
    """The path the mission flies (or flew): each leg with its sortie and whether it sprays,
    so a map can show spray on and off and where each sortie ends."""
    mission = visible_mission(caller, mission_id, services)
    flown = mission_dir(services.settings, mission.id) / f"mission-{mission.id}.geojson"
    if flown.is_file():
        text = flown.read_text(encoding="utf-8")
        return Response(text, media_type="application/geo+json",
                        headers={"X-Tanbo-Plan": "dispatched"})  # fmt: skip
    fields = registry.list_fields(services.engine, ids=mission.field_ids)
    missing = sorted(set(mission.field_ids) - {f.id for f in fields})
    if missing:
        raise NotFound(f"mission {mission.id}: no registered field {', '.join(missing)}")
    work = mission_work(mission.params)
    if isinstance(work, SurveyWork):
        plan = survey_job(services.engine, services.settings, work, fields)
        text = planning.plan_documents(plan, field=survey_area(fields)[0])["geojson"]
    else:
        job = spray_job(services.engine, services.settings, work, fields)
        text = planning.plan_documents(job.plan, field=job.work, zones=job.zones)["geojson"]
    return Response(text, media_type="application/geo+json", headers={"X-Tanbo-Plan": "requested"})
