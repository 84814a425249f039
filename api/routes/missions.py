"""Missions: a farmer requests work on fields for a date window, an operator approves, the
scheduler books a vehicle and a slot around the weather and dispatches it; notices tell
the farmer each step.

A farmer sees and changes only their own missions (others' answer 404); operators and
city staff see all. Changes need ``If-Match`` with the mission's ETag (its version).
"""

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Self

import shapely
from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator

from api import registry
from api.accounts import Principal, Role
from api.deps import CurrentUser, IfMatch, Services, ServicesDep, check_if_match, require
from api.errors import Forbidden, NotFound
from api.plan_requests import SprayWork, SurveyWork, mission_params, spray_job, survey_job
from api.routes.common import Page, ProblemResponses, VersionedResponses
from api.scheduling import (
    Mission,
    MissionKind,
    MissionNotFound,
    MissionRequest,
    MissionStatus,
    PlanEstimate,
    StoredNotifier,
    abort,
    approve,
    cancel,
    get_mission,
    history,
    list_missions,
    list_notifications,
    mark_read,
    reject,
    request_mission,
    window_for_dates,
)
from api.scheduling.model import MAX_WINDOW
from core.geo import GeoPoint

__all__ = ["notifications_router", "router", "visible_mission"]

router = APIRouter(prefix="/missions", tags=["missions"], responses=ProblemResponses)
notifications_router = APIRouter(
    prefix="/notifications", tags=["notifications"], responses=ProblemResponses
)

_Crew = Annotated[Principal, Depends(require(Role.OPERATOR, Role.CITY_ADMIN))]
_Involved = Annotated[Principal, Depends(require(Role.FARMER, Role.OPERATOR, Role.CITY_ADMIN))]


class MissionCreate(BaseModel):
    """A request for spraying or surveying some fields, some day between two dates (Japan
    time): exactly one of ``spray`` and ``survey``."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "field_ids": ["B000", "B001"],
                    "first_day": "2026-06-02",
                    "last_day": "2026-06-05",
                    "spray": {"swath_m": 5, "rate_l_ha": 80, "tank_l": 10, "endurance_min": 12},
                    "note": "before the rain, please",
                },
                {
                    "field_ids": ["B000", "B001"],
                    "first_day": "2026-07-10",
                    "last_day": "2026-07-14",
                    "survey": {"camera": "DJI Mavic 3M MS", "gsd_cm": 5},
                    "note": "生育状況の確認",
                },
            ]
        },
    )

    field_ids: list[str] = Field(min_length=1, max_length=200)
    first_day: date
    last_day: date
    spray: SprayWork | None = None
    survey: SurveyWork | None = Field(
        default=None, description="A monitoring (camera) flight instead of spraying."
    )
    note: str = Field(default="", max_length=2000)

    @model_validator(mode="after")
    def _one_work(self) -> Self:
        if (self.spray is None) == (self.survey is None):
            raise ValueError("give exactly one of spray and survey")
        if self.last_day < self.first_day:
            raise ValueError(f"the last day {self.last_day} is before the first day")
        if (self.last_day - self.first_day).days >= MAX_WINDOW.days:
            raise ValueError(f"a window of at most {MAX_WINDOW.days} days")
        if self.first_day > date.today() + timedelta(days=400):
            raise ValueError("the first day is more than 400 days ahead")
        return self


class MissionPublic(BaseModel):
    """A mission as it is now: status, the booked vehicle and slot, why it last changed."""

    id: int
    owner: str
    kind: MissionKind
    field_ids: list[str]
    params: dict[str, Any]
    status: MissionStatus
    reason: str | None
    window_start: datetime
    window_end: datetime
    vehicle: str | None
    slot_start: datetime | None
    slot_end: datetime | None
    sorties: int
    flight_time_s: float
    area_ha: float
    volume_l: float
    note: str
    version: int
    created_at: datetime
    updated_at: datetime


class Reason(BaseModel):
    """Why (a rejection, a cancellation, an abort)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "強風のため中止"}]})

    reason: str = Field(default="", max_length=2000)


class HistoryEntry(BaseModel):
    """One change of a mission's status."""

    at: datetime
    by: str
    from_status: MissionStatus | None
    to_status: MissionStatus
    reason: str


class NotificationPublic(BaseModel):
    """A notice to the caller, in Japanese and English."""

    id: int
    mission_id: int | None
    kind: str
    text_ja: str
    text_en: str
    reference: str | None = Field(
        default=None, description="What else it is about, e.g. ``delivery:<id>``."
    )
    created_at: datetime
    read_at: datetime | None


def _public(mission: Mission) -> MissionPublic:
    return MissionPublic(
        id=mission.id,
        owner=mission.owner,
        kind=mission.kind,
        field_ids=list(mission.field_ids),
        params=dict(mission.params),
        status=mission.status,
        reason=mission.reason,
        window_start=mission.window_start,
        window_end=mission.window_end,
        vehicle=mission.vehicle,
        slot_start=mission.slot_start,
        slot_end=mission.slot_end,
        sorties=mission.estimate.sorties,
        flight_time_s=mission.estimate.flight_time_s,
        area_ha=mission.estimate.area_ha,
        volume_l=mission.estimate.volume_l,
        note=mission.note,
        version=mission.version,
        created_at=mission.created_at,
        updated_at=mission.updated_at,
    )


def _tag(mission: Mission) -> str:
    return f'"mission-{mission.id}-v{mission.version}"'


def _changed(
    response: Response,
    services: Services,
    caller: Principal,
    current: Mission,
    if_match: str | None,
    transition: Callable[..., Mission],
    **reason: str,
) -> MissionPublic:
    """Apply a status change to the version If-Match names (checked as every update's is,
    then again atomically by the change itself); the farmer is told."""
    check_if_match(if_match, _tag(current))
    changed = transition(
        services.engine,
        current.id,
        by=caller.account_id,
        expected_version=current.version,
        clock=services.clock,
        notifier=StoredNotifier(services.engine, clock=services.clock),
        **reason,
    )
    return _answer(response, changed)


def visible_mission(caller: Principal, mission_id: int, services: Services) -> Mission:
    """The mission, if the caller may see it (its farmer, operators, city staff).

    Raises
    ------
    MissionNotFound
        No such mission, or another farmer's.
    """
    mission = get_mission(services.engine, mission_id)
    if caller.has(Role.OPERATOR, Role.CITY_ADMIN) or mission.owner == caller.account_id:
        return mission
    raise MissionNotFound(mission_id)


def _answer(response: Response, mission: Mission) -> MissionPublic:
    response.headers["ETag"] = _tag(mission)
    return _public(mission)


@router.post("", response_model=MissionPublic, status_code=201, summary="Request a mission")
def create_mission(
    body: MissionCreate,
    response: Response,
    services: ServicesDep,
    caller: Annotated[Principal, Depends(require(Role.FARMER))],
) -> MissionPublic:
    """Request spraying or a survey of your fields between two dates; the plan is made now
    to size it.

    A plan that breaks a safety rule is refused here (422, the rule and place named).
    """
    fields = registry.list_fields(services.engine, ids=body.field_ids)
    mine = {f.id for f in fields if f.owner == caller.account_id}
    for field_id in body.field_ids:
        if field_id not in mine:
            raise NotFound(f"no field with id {field_id!r} among yours")
    work = body.spray or body.survey
    assert work is not None  # MissionCreate has one
    if isinstance(work, SurveyWork):
        plan = survey_job(services.engine, services.settings, work, fields)
        kind = MissionKind.SURVEY
        estimate = PlanEstimate(
            sorties=plan.sorties,
            flight_time_s=float(plan.stats["flight_time_s"]),
            area_ha=float(plan.stats["area_ha"]),
        )
    else:
        job = spray_job(services.engine, services.settings, work, fields)
        kind, estimate = MissionKind.SPRAY, PlanEstimate.from_stats(job.plan.stats)
    centre = shapely.union_all([f.geometry for f in fields]).centroid
    start, end = window_for_dates(body.first_day, body.last_day)
    mission = request_mission(
        services.engine,
        MissionRequest(
            kind=kind,
            field_ids=tuple(body.field_ids),
            window_start=start,
            window_end=end,
            estimate=estimate,
            place=GeoPoint(lat_deg=centre.y, lon_deg=centre.x),
            params=mission_params(work),
            note=body.note,
        ),
        owner=caller.account_id,
        clock=services.clock,
    )
    response.headers["Location"] = f"/missions/{mission.id}"
    return _answer(response, mission)


@router.get("", response_model=Page[MissionPublic], summary="List missions")
def missions(
    services: ServicesDep,
    caller: _Involved,
    status: Annotated[list[MissionStatus] | None, Query()] = None,
    owner: Annotated[str | None, Query(description="Only this farmer's (staff).")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Page[MissionPublic]:
    """Missions, newest first: a farmer's own; everyone's for operators and city staff."""
    if not caller.has(Role.OPERATOR, Role.CITY_ADMIN):
        owner = caller.account_id
    rows, total = list_missions(
        services.engine, owner=owner, status=status or None, limit=limit, offset=offset
    )
    return Page(data=[_public(m) for m in rows], count=total, limit=limit, offset=offset)


@router.get("/{mission_id}", response_model=MissionPublic, summary="Read a mission")
def read_mission(
    mission_id: int, response: Response, services: ServicesDep, caller: _Involved
) -> MissionPublic:
    """One mission; its ETag names this version."""
    return _answer(response, visible_mission(caller, mission_id, services))


@router.get(
    "/{mission_id}/history", response_model=list[HistoryEntry], summary="A mission's history"
)
def mission_history(
    mission_id: int, services: ServicesDep, caller: _Involved
) -> list[HistoryEntry]:
    """Every status change, oldest first: who, when, from what to what, why."""
    visible_mission(caller, mission_id, services)
    return [
        HistoryEntry(
            at=c.at, by=c.by, from_status=c.from_status, to_status=c.to_status, reason=c.reason
        )
        for c in history(services.engine, mission_id)
    ]


@router.post(
    "/{mission_id}/approve",
    response_model=MissionPublic,
    summary="Approve",
    responses=VersionedResponses,
)
def approve_mission(
    mission_id: int,
    response: Response,
    services: ServicesDep,
    caller: _Crew,
    if_match: IfMatch = None,
) -> MissionPublic:
    """Approve a requested mission; the scheduler books it at its next tick."""
    current = get_mission(services.engine, mission_id)
    return _changed(response, services, caller, current, if_match, approve)


@router.post(
    "/{mission_id}/reject",
    response_model=MissionPublic,
    summary="Reject",
    responses=VersionedResponses,
)
def reject_mission(
    mission_id: int,
    body: Reason,
    response: Response,
    services: ServicesDep,
    caller: _Crew,
    if_match: IfMatch = None,
) -> MissionPublic:
    """Reject a requested mission, saying why (the farmer is told)."""
    current = get_mission(services.engine, mission_id)
    reason = body.reason or "rejected"
    return _changed(response, services, caller, current, if_match, reject, reason=reason)


@router.post(
    "/{mission_id}/cancel",
    response_model=MissionPublic,
    summary="Cancel",
    responses=VersionedResponses,
)
def cancel_mission(
    mission_id: int,
    body: Reason,
    response: Response,
    services: ServicesDep,
    caller: Annotated[Principal, Depends(require(Role.FARMER, Role.CITY_ADMIN))],
    if_match: IfMatch = None,
) -> MissionPublic:
    """Cancel before it flies: the farmer who asked, or city staff."""
    current = visible_mission(caller, mission_id, services)
    if current.owner != caller.account_id and not caller.has(Role.CITY_ADMIN):
        raise Forbidden("only the farmer who asked, or city staff, cancel a mission")
    return _changed(response, services, caller, current, if_match, cancel, reason=body.reason)


@router.post(
    "/{mission_id}/abort",
    response_model=MissionPublic,
    summary="Abort a flight",
    responses=VersionedResponses,
)
def abort_mission(
    mission_id: int,
    body: Reason,
    response: Response,
    services: ServicesDep,
    caller: _Crew,
    if_match: IfMatch = None,
) -> MissionPublic:
    """Abort a dispatched or flying mission: the vehicle returns home, the sprayer stops."""
    current = get_mission(services.engine, mission_id)
    reason = body.reason or "aborted by the operator"
    answer = _changed(response, services, caller, current, if_match, abort, reason=reason)
    # Recorded first (one abort wins); then the vehicle is told to come home.
    fleet = services.extras.get("dispatch")
    if fleet is not None and hasattr(fleet, "abort"):
        fleet.abort(mission_id)
    return answer


@notifications_router.get("", response_model=Page[NotificationPublic], summary="My notices")
def notifications(
    services: ServicesDep,
    caller: CurrentUser,
    unread_only: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Page[NotificationPublic]:
    """The caller's notices, newest first."""
    rows, total = list_notifications(
        services.engine, caller.account_id, unread_only=unread_only, limit=limit, offset=offset
    )
    data = [NotificationPublic.model_validate(n, from_attributes=True) for n in rows]
    return Page(data=data, count=total, limit=limit, offset=offset)


@notifications_router.post(
    "/{notification_id}/read", response_model=NotificationPublic, summary="Mark read"
)
def read_notification(
    notification_id: int, services: ServicesDep, caller: CurrentUser
) -> NotificationPublic:
    """Mark one of the caller's notices read."""
    notice = mark_read(
        services.engine, notification_id, recipient=caller.account_id, clock=services.clock
    )
    return NotificationPublic.model_validate(notice, from_attributes=True)
