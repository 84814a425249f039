"""How a paddy's water is now: the controller's view of it, for the farmer's screen."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from api.accounts import Principal, Role
from api.deps import ServicesDep, require
from api.irrigation.service import calendar_of
from api.routes.common import ProblemResponses
from api.routes.paddies import owned_paddy
from irrigation.calendar import target_for
from irrigation.runner import load_state

__all__ = ["GateView", "PaddyState", "TargetView", "router"]

router = APIRouter(prefix="/paddies", tags=["paddy water"], responses=ProblemResponses)


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
    caller: Annotated[Principal, Depends(require(Role.FARMER, Role.CITY_ADMIN))],
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
