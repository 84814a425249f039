"""How a paddy's water is now: the controller's view of it, for the farmer's screen."""

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from api.accounts import Principal, Role
from api.deps import ServicesDep, require
from api.irrigation.service import calendar_of
from api.routes.common import ProblemResponses
from api.routes.paddies import owned_paddy
from irrigation.calendar import target_for, target_spans
from irrigation.runner import load_state

__all__ = ["GateView", "PaddyState", "TargetSpanView", "TargetView", "router"]

router = APIRouter(prefix="/paddies", tags=["paddy water"], responses=ProblemResponses)

_Keepers = Annotated[Principal, Depends(require(Role.FARMER, Role.CITY_ADMIN))]
_LONGEST = timedelta(days=400)
"""The longest period of targets asked at once: a season and then some."""


class TargetView(BaseModel):
    """What the calendar asks of the water now."""

    stage: str
    stage_ja: str
    day: int | None
    setpoint_cm: float | None
    band_cm: tuple[float, float] | None
    inlet_may_open: bool
    drain: bool
    transition: bool


class GateView(BaseModel):
    """A gate as the controller last told it, and whether it answered."""

    opening_pct: float | None
    changed_at: datetime | None
    waiting_for_ack: bool
    faulty: bool


class PaddyState(BaseModel):
    """A paddy's water now: mode, depth, target, gates, water used today, alerts in force."""

    paddy_id: str
    mode: str
    at: datetime | None
    """The controller's last tick (None: never ticked)."""
    depth_cm: float | None
    heard_at: datetime | None
    sensor: str
    sensor_reason: str
    target: TargetView
    within_band: bool | None
    inlet: GateView | None
    outlet: GateView | None
    water_today_m3: float
    paddy_dam: str | None
    alerts_in_force: list[str]


@router.get("/{paddy_id}/state", response_model=PaddyState, summary="The water now")
def paddy_state(
    paddy_id: str,
    services: ServicesDep,
    caller: _Keepers,
) -> PaddyState:
    """The paddy's water as the controller sees it now, and what the calendar asks."""
    stored = owned_paddy(services, caller, paddy_id)
    now = services.clock.now()
    target = target_for(
        calendar_of(stored.paddy.variety, stored.calendar), stored.paddy.transplanted_on, now
    )
    state = load_state(stored.control_state) if stored.control_state else None
    depth = state.depth_cm if state else None
    view = TargetView(
        stage=target.stage.value,
        stage_ja=target.stage.label_ja,
        day=target.day,
        setpoint_cm=target.setpoint_cm,
        band_cm=target.band,
        inlet_may_open=target.inlet_may_open,
        drain=target.drain,
        transition=target.transition,
    )

    def gate(which: str) -> GateView | None:
        if state is None:
            return None
        g = state.inlet if which == "inlet" else state.outlet
        return GateView(
            opening_pct=g.opening_pct,
            changed_at=g.changed_at,
            waiting_for_ack=g.pending is not None,
            faulty=g.faulty,
        )

    return PaddyState(
        paddy_id=paddy_id,
        mode=stored.mode.value,
        at=state.at if state else None,
        depth_cm=depth,
        heard_at=state.heard_at if state else None,
        sensor=state.sensor.verdict.value if state else "unknown",
        sensor_reason=state.sensor.reason if state else "",
        target=view,
        within_band=target.within_band(depth) if depth is not None and target.holds_band else None,
        inlet=gate("inlet"),
        outlet=gate("outlet") if stored.paddy.has_outlet_gate else None,
        water_today_m3=round(state.water_today_m3, 2) if state else 0.0,
        paddy_dam=state.dam.value if state and state.dam else None,
        alerts_in_force=sorted(a.value for a in state.alerted) if state else [],
    )


class TargetSpanView(BaseModel):
    """A stretch of time over which the calendar asks the same of the water."""

    start: datetime
    end: datetime
    stage: str
    stage_ja: str
    setpoint_cm: float | None
    band_cm: tuple[float, float] | None
    transition: bool
    """The water is moving to a new target: not judged against the band."""


@router.get(
    "/{paddy_id}/targets",
    response_model=list[TargetSpanView],
    summary="The target over a period",
    responses={
        200: {
            "content": {
                "application/json": {
                    "example": [
                        {
                            "start": "2026-05-31T00:00:00Z",
                            "end": "2026-06-01T00:00:00Z",
                            "stage": "tillering",
                            "stage_ja": "分げつ期（浅水）",
                            "setpoint_cm": 2.5,
                            "band_cm": [1.5, 3.5],
                            "transition": False,
                        }
                    ]
                }
            }
        }
    },
)
def paddy_targets(
    paddy_id: str,
    services: ServicesDep,
    caller: _Keepers,
    since: Annotated[
        datetime | None, Query(description="From (with its time zone); 24 h before until.")
    ] = None,
    until: Annotated[datetime | None, Query(description="To (with its time zone); now.")] = None,
) -> list[TargetSpanView]:
    """What the water calendar asks over a period, one span per target (stage, setpoint and
    band, settling), oldest first: the band a chart of the readings draws. At most 400 days."""
    stored = owned_paddy(services, caller, paddy_id)
    until = until or services.clock.now()
    since = since or until - timedelta(hours=24)
    for name, value in (("since", since), ("until", until)):
        if value.tzinfo is None:
            raise ValueError(f"{name}: give the time zone ({value.isoformat()}+09:00)")
    if since >= until:
        raise ValueError(f"since ({since.isoformat()}) must be before until ({until.isoformat()})")
    if until - since > _LONGEST:
        raise ValueError(f"at most {_LONGEST.days} days at once")
    calendar = calendar_of(stored.paddy.variety, stored.calendar)
    spans = target_spans(calendar, stored.paddy.transplanted_on, since, until)
    return [
        TargetSpanView(
            start=span.start,
            end=span.end,
            stage=span.target.stage.value,
            stage_ja=span.target.stage.label_ja,
            setpoint_cm=span.target.setpoint_cm,
            band_cm=span.target.band,
            transition=span.target.transition,
        )
        for span in spans
    ]
