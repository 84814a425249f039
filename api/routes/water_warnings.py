"""Heavy-rain warnings (大雨警報) by area: while one stands, the area's paddies hold storm
water below their levees (田んぼダム) and let it out slowly afterwards."""

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Body, Depends
from pydantic import BaseModel, Field

from api.accounts import Principal, Role
from api.deps import ServicesDep, require
from api.irrigation.outlook import ALL_AREAS, RainWarning, active_warnings, declare_warning
from api.irrigation.outlook import end_warning as end_stored_warning
from api.routes.common import ProblemResponses

__all__ = ["WarningCreate", "WarningPublic", "router"]

router = APIRouter(prefix="/water-warnings", tags=["paddy water"], responses=ProblemResponses)

_Staff = Annotated[Principal, Depends(require(Role.CITY_ADMIN))]
_Anyone = Annotated[Principal, Depends(require(Role.FARMER, Role.CITY_ADMIN))]


class WarningCreate(BaseModel):
    """A warning for a farm's paddies (``area``: the farm, as in the MQTT topics) or all."""

    area: str = Field(default=ALL_AREAS, min_length=1, max_length=200)
    hours: float = Field(gt=0, le=96, description="How long it stands, from now.")
    reason: str = Field(default="", max_length=500)


class WarningPublic(BaseModel):
    """A declared warning."""

    id: int
    area: str
    starts_at: datetime
    ends_at: datetime
    by: str
    reason: str


def _public(w: RainWarning) -> WarningPublic:
    return WarningPublic(
        id=w.id, area=w.area, starts_at=w.starts_at, ends_at=w.ends_at, by=w.by, reason=w.reason
    )


@router.post("", response_model=WarningPublic, status_code=201, summary="Declare a warning")
def declare(
    body: Annotated[
        WarningCreate,
        Body(examples=[{"area": "*", "hours": 24, "reason": "大雨警報（加西市）"}]),
    ],
    services: ServicesDep,
    caller: _Staff,
) -> WarningPublic:
    """Declare a heavy-rain warning: the area's paddies go into 田んぼダム mode at their
    next tick."""
    now = services.clock.now()
    warning = declare_warning(
        services.engine,
        area=body.area,
        starts_at=now,
        ends_at=now + timedelta(hours=body.hours),
        by=caller.account_id,
        reason=body.reason,
        at=now,
    )
    return _public(warning)


@router.get("", response_model=list[WarningPublic], summary="Warnings in force")
def list_warnings(services: ServicesDep, caller: _Anyone) -> list[WarningPublic]:
    """The heavy-rain warnings in force now, newest first."""
    return [_public(w) for w in active_warnings(services.engine, services.clock.now())]


@router.delete("/{warning_id}", response_model=WarningPublic, summary="End a warning")
def end_warning(warning_id: int, services: ServicesDep, caller: _Staff) -> WarningPublic:
    """End a warning now: the paddies let the stored water out slowly, back to target."""
    return _public(end_stored_warning(services.engine, warning_id, at=services.clock.now()))
