"""Paddies and their water: the paddy register, devices, readings, the audit log and
manual overrides. A farmer sees and changes only their own paddies; city staff all."""

from datetime import date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from api import registry
from api.accounts import Principal, Role
from api.deps import IfMatch, ServicesDep, check_if_match, require
from api.errors import Conflict, Forbidden, NotFound, PreconditionFailed
from api.irrigation import store
from api.irrigation.service import calendar_of
from api.routes.common import Page, ProblemResponses, VersionedResponses
from api.stamped import etag
from irrigation import GateAction, GateRole, Metric, Override, Paddy, Reading

__all__ = ["Keepers", "PaddyCreate", "PaddyPublic", "PaddyUpdate", "owned_paddy", "router"]

router = APIRouter(prefix="/paddies", tags=["paddy water"], responses=ProblemResponses)

Keepers = Annotated[Principal, Depends(require(Role.FARMER, Role.CITY_ADMIN))]


class PaddyCreate(BaseModel):
    """A paddy to control. With ``field_id``, the field's area, variety and transplanting
    date are taken unless given here."""

    id: str = Field(min_length=1, max_length=200, pattern=r"^[^/+#\s]+$")
    field_id: str | None = None
    farm: str | None = Field(default=None, description="The MQTT topic's farm segment.")
    owner: str | None = Field(default=None, description="Whose paddy (staff only).")
    area_m2: float | None = Field(default=None, gt=0)
    levee_height_cm: float = Field(default=30.0, gt=0, le=200)
    outlet_crest_cm: float = Field(default=12.0, gt=0, le=200)
    inlet_flow_m3_h: float = Field(default=40.0, ge=0)
    outlet_flow_m3_h: float = Field(default=0.0, ge=0, description="0: no outlet gate.")
    daily_water_limit_m3: float | None = Field(default=None, gt=0)
    safe_margin_cm: float = Field(default=5.0, gt=0)
    transplanted_on: date | None = None
    variety: str | None = Field(default=None, max_length=100)


class PaddyUpdate(BaseModel):
    """What may change on a paddy; absent members stay as they are."""

    model_config = ConfigDict(extra="forbid")

    field_id: str | None = None
    area_m2: float | None = Field(default=None, gt=0)
    levee_height_cm: float | None = Field(default=None, gt=0, le=200)
    outlet_crest_cm: float | None = Field(default=None, gt=0, le=200)
    inlet_flow_m3_h: float | None = Field(default=None, ge=0)
    outlet_flow_m3_h: float | None = Field(default=None, ge=0)
    daily_water_limit_m3: float | None = Field(default=None, gt=0)
    safe_margin_cm: float | None = Field(default=None, gt=0)
    transplanted_on: date | None = None
    variety: str | None = Field(default=None, max_length=100)
    calendar: dict[str, dict[str, float]] | None = Field(
        default=None,
        description="The farmer's edits of the variety's stages: "
        '{"rooting": {"depth_cm": 6, "length_days": 8}}.',
    )


class PaddyPublic(BaseModel):
    """A paddy as its owner sees it."""

    id: str
    owner: str
    farm: str
    field_id: str | None
    area_m2: float
    levee_height_cm: float
    outlet_crest_cm: float
    inlet_flow_m3_h: float
    outlet_flow_m3_h: float
    daily_water_limit_m3: float | None
    safe_margin_cm: float
    transplanted_on: date | None
    variety: str | None
    calendar: dict[str, Any] | None
    mode: str
    version: int
    updated_at: datetime


class ReadingPublic(BaseModel):
    """A stored reading (calibrated)."""

    device_id: str
    metric: Metric
    value: float
    device_time: datetime
    received_at: datetime | None


class EventPublic(BaseModel):
    """One line of a paddy's audit log."""

    id: int
    at: datetime
    kind: str
    by: str
    summary: str
    details: dict[str, Any]


class OverrideCreate(BaseModel):
    """Set a gate by hand for a while; the controller takes over again when it expires."""

    role: GateRole = GateRole.INLET
    action: GateAction
    minutes: float = Field(gt=0, le=7 * 24 * 60, description="How long, at most a week.")
    reason: str = Field(default="", max_length=500)


class OverridePublic(BaseModel):
    """An override and whether it is in force."""

    id: int
    role: GateRole
    action: GateAction
    until: datetime
    by: str
    reason: str
    created_at: datetime
    cancelled_at: datetime | None


def _public(stored: store.StoredPaddy) -> PaddyPublic:
    p = stored.paddy
    return PaddyPublic(
        id=p.id,
        owner=stored.owner,
        farm=p.farm or stored.owner,
        field_id=p.field_id,
        area_m2=p.area_m2,
        levee_height_cm=p.levee_height_cm,
        outlet_crest_cm=p.outlet_crest_cm,
        inlet_flow_m3_h=p.inlet_flow_m3_h,
        outlet_flow_m3_h=p.outlet_flow_m3_h,
        daily_water_limit_m3=p.daily_water_limit_m3,
        safe_margin_cm=p.safe_margin_cm,
        transplanted_on=p.transplanted_on,
        variety=p.variety,
        calendar=stored.calendar,
        mode=stored.mode.value,
        version=stored.version,
        updated_at=stored.updated_at,
    )


def _tag(stored: store.StoredPaddy) -> str:
    return etag("paddy", f"{stored.paddy.id}\x00{stored.version}", stored.updated_at)


def _controllable(paddy: Paddy, calendar: dict[str, Any] | None) -> None:
    """Refuse a paddy whose calendar (with the farmer's edits) is not valid or would hold
    water above the paddy's safe depth."""
    calendar_of(paddy.variety, calendar).check_fits(paddy)


def owned_paddy(services: Any, caller: Principal, paddy_id: str) -> store.StoredPaddy:
    """The paddy if the caller may see it (staff, or its owner); else 404 as if absent."""
    stored = store.get_paddy(services.engine, paddy_id)
    if caller.has(Role.CITY_ADMIN) or stored.owner == caller.account_id:
        return stored
    raise NotFound(f"no paddy {paddy_id}")


@router.post("", response_model=PaddyPublic, status_code=201, summary="Register a paddy")
def add_paddy(
    body: Annotated[
        PaddyCreate,
        Body(examples=[{"id": "tanaka-B000", "field_id": "B000", "outlet_flow_m3_h": 60}]),
    ],
    response: Response,
    services: ServicesDep,
    caller: Keepers,
) -> PaddyPublic:
    """Register a paddy for water control, from a registered field or by its size."""
    owner = caller.account_id
    if body.owner not in (None, caller.account_id):
        if not caller.has(Role.CITY_ADMIN):
            raise Forbidden("only city staff register paddies for someone else")
        owner = body.owner
    values = body.model_dump(exclude={"owner", "farm"})
    if body.field_id is not None:
        record = registry.get_field(services.engine, body.field_id)
        if record.owner != owner:
            raise NotFound(f"no field with id {body.field_id!r}")
        values["area_m2"] = values["area_m2"] or record.area_m2
        values["variety"] = values["variety"] or record.variety
        values["transplanted_on"] = values["transplanted_on"] or record.transplanted_on
    if values["area_m2"] is None:
        raise ValueError("area_m2: give the paddy's area or a registered field_id")
    paddy = Paddy(farm=body.farm or owner, **values)
    _controllable(paddy, None)
    stored = store.add_paddy(services.engine, paddy, owner=owner, clock=services.clock)
    response.headers["ETag"] = _tag(stored)
    response.headers["Location"] = f"/paddies/{paddy.id}"
    return _public(stored)


@router.get("", response_model=Page[PaddyPublic], summary="List paddies")
def list_paddies(
    services: ServicesDep,
    caller: Keepers,
    owner: Annotated[str | None, Query(description="Only this owner's (staff).")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Page[PaddyPublic]:
    """Paddies by id: a farmer's own; anyone's for city staff."""
    if not caller.has(Role.CITY_ADMIN):
        owner = caller.account_id
    rows = store.list_paddies(services.engine, owner=owner)
    page = [_public(r) for r in rows[offset : offset + limit]]
    return Page(data=page, count=len(rows), limit=limit, offset=offset)


@router.get("/{paddy_id}", response_model=PaddyPublic, summary="Read a paddy")
def read_paddy(
    paddy_id: str, response: Response, services: ServicesDep, caller: Keepers
) -> PaddyPublic:
    """One paddy; its ETag names this version for a later change."""
    stored = owned_paddy(services, caller, paddy_id)
    response.headers["ETag"] = _tag(stored)
    return _public(stored)


@router.patch(
    "/{paddy_id}",
    response_model=PaddyPublic,
    summary="Change a paddy",
    responses=VersionedResponses,
)
def change_paddy(
    paddy_id: str,
    body: Annotated[
        PaddyUpdate,
        Body(
            examples=[{"transplanted_on": "2026-05-25", "calendar": {"rooting": {"depth_cm": 6}}}]
        ),
    ],
    response: Response,
    services: ServicesDep,
    caller: Keepers,
    if_match: IfMatch = None,
) -> PaddyPublic:
    """Change the paddy's levee, gates, transplanting date, variety or water calendar
    (the farmer's edits of the variety's stages). Needs If-Match."""
    current = owned_paddy(services, caller, paddy_id)
    check_if_match(if_match, _tag(current))
    changes = body.model_dump(exclude_unset=True)
    if changes.get("field_id") is not None:
        record = registry.get_field(services.engine, changes["field_id"])
        if record.owner != current.owner:
            raise NotFound(f"no field with id {changes['field_id']!r}")
    nullable = {"field_id", "daily_water_limit_m3", "transplanted_on", "variety", "calendar"}
    cleared = sorted(k for k, v in changes.items() if v is None and k not in nullable)
    if cleared:
        raise ValueError(f"{', '.join(cleared)} cannot be emptied")
    try:
        changed = store.update_paddy(
            services.engine,
            paddy_id,
            changes,
            expected_version=current.version,
            clock=services.clock,
            check=_controllable,
        )
    except Conflict as exc:
        raise PreconditionFailed(str(exc)) from exc
    response.headers["ETag"] = _tag(changed)
    return _public(changed)


@router.get("/{paddy_id}/readings", response_model=Page[ReadingPublic], summary="Readings")
def list_readings(
    paddy_id: str,
    services: ServicesDep,
    caller: Keepers,
    metric: Metric | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Page[ReadingPublic]:
    """The paddy's readings in the order measured (device time), calibrated."""
    owned_paddy(services, caller, paddy_id)
    rows, count = store.readings(
        services.engine,
        paddy_id,
        metric=metric,
        since=since,
        until=until,
        limit=limit,
        offset=offset,
    )
    data = [_reading_public(r) for r in rows]
    return Page(data=data, count=count, limit=limit, offset=offset)


def _reading_public(reading: Reading) -> ReadingPublic:
    return ReadingPublic(
        device_id=reading.device_id,
        metric=reading.metric,
        value=reading.value,
        device_time=reading.device_time,
        received_at=reading.received_at,
    )


@router.get("/{paddy_id}/events", response_model=Page[EventPublic], summary="Audit log")
def list_events(
    paddy_id: str,
    services: ServicesDep,
    caller: Keepers,
    kind: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Page[EventPublic]:
    """Every gate command, acknowledgement, override, mode change and alert, newest first."""
    owned_paddy(services, caller, paddy_id)
    rows, count = store.list_events(
        services.engine, paddy_id, kind=kind, limit=limit, offset=offset
    )
    data = [
        EventPublic(id=e.id, at=e.at, kind=e.kind, by=e.by, summary=e.summary, details=e.details)
        for e in rows
    ]
    return Page(data=data, count=count, limit=limit, offset=offset)


def _override_public(stored: store.StoredOverride) -> OverridePublic:
    o = stored.override
    return OverridePublic(
        id=stored.id,
        role=o.role,
        action=o.action,
        until=o.until,
        by=o.by,
        reason=o.reason,
        created_at=stored.created_at,
        cancelled_at=stored.cancelled_at,
    )


@router.post(
    "/{paddy_id}/overrides",
    response_model=OverridePublic,
    status_code=201,
    summary="Set a gate by hand",
)
def add_override(
    paddy_id: str,
    body: Annotated[
        OverrideCreate,
        Body(examples=[{"role": "inlet", "action": "close", "minutes": 120, "reason": "清掃"}]),
    ],
    services: ServicesDep,
    caller: Keepers,
) -> OverridePublic:
    """Open or close a gate by hand until the override expires (the levee is still
    guarded: an inlet held open is closed when the water nears the levee)."""
    owned_paddy(services, caller, paddy_id)
    now = services.clock.now()
    override = Override(
        paddy_id=paddy_id,
        role=body.role,
        action=body.action,
        until=now + timedelta(minutes=body.minutes),
        by=caller.account_id,
        reason=body.reason,
    )
    return _override_public(store.add_override(services.engine, override, at=now))


@router.get(
    "/{paddy_id}/overrides", response_model=list[OverridePublic], summary="Overrides in force"
)
def list_overrides(paddy_id: str, services: ServicesDep, caller: Keepers) -> list[OverridePublic]:
    """The paddy's overrides in force now, newest first."""
    owned_paddy(services, caller, paddy_id)
    now = services.clock.now()
    return [_override_public(o) for o in store.active_overrides(services.engine, paddy_id, now=now)]


@router.delete(
    "/{paddy_id}/overrides/{override_id}",
    response_model=OverridePublic,
    summary="End an override",
)
def end_override(
    paddy_id: str, override_id: int, services: ServicesDep, caller: Keepers
) -> OverridePublic:
    """Hand the gate back to the controller before the override expires."""
    owned_paddy(services, caller, paddy_id)
    active = store.active_overrides(services.engine, paddy_id, now=services.clock.now())
    if override_id not in {o.id for o in active}:
        raise NotFound(f"no override {override_id} in force on paddy {paddy_id}")
    ended = store.cancel_override(
        services.engine, override_id, by=caller.account_id, at=services.clock.now()
    )
    return _override_public(ended)
