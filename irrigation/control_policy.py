"""What the controller wants of each gate, and the safety guards no mode can overrule.

The middle steps of :func:`irrigation.controller.decide`: once the sensor is judged and the
mode chosen, :func:`wants` says where each gate should go in that mode (SAFE, OVERRIDE,
PADDY_DAM through :func:`dam_outlet`, AUTO through :func:`auto`), then :func:`guard_inlet`
and :func:`guard_outlet` overrule it near the levee, whatever the mode. The controller's
own scratch of the tick is read through :class:`Tick`. Internal to the controller: nothing
here is public.
"""

from datetime import datetime
from typing import NamedTuple, Protocol

from irrigation.control_state import ControllerSettings, DamPhase, GateState, TickInputs
from irrigation.model import ControlMode, GateAction, GateRole, Paddy

__all__: list[str] = []


class Want(NamedTuple):
    """Where a gate should go: its opening (%), whether now (no minimum times), and why."""

    pct: float
    urgent: bool
    reason: str


class Tick(Protocol):
    """What the policy reads of one :func:`~irrigation.controller.decide` call."""

    @property
    def now(self) -> datetime: ...
    @property
    def paddy(self) -> Paddy: ...
    @property
    def inputs(self) -> TickInputs: ...
    @property
    def s(self) -> ControllerSettings: ...
    @property
    def depth(self) -> float | None:
        """The believed depth, cm (None: unknown)."""

    @property
    def dam(self) -> DamPhase | None: ...
    @property
    def water_today_m3(self) -> float: ...
    def tell(self, key: str, **values: float | str) -> None:
        """Raise an alert of the controller's (once, if it marks a condition)."""


def wants(
    t: Tick, mode: ControlMode, inlet: GateState, outlet: GateState
) -> tuple[Want | None, Want | None]:
    """Where each gate should go (None: leave it) in this mode."""
    if mode is ControlMode.SAFE:
        # the outlet is left to guard_outlet: opened near the levee, else where it was
        return Want(0.0, True, "safety: sensor or gate fault"), None
    if mode is ControlMode.OVERRIDE:
        by_role: dict[GateRole, Want] = {}
        for o in t.inputs.overrides:
            if o.until > t.now:
                pct = 100.0 if o.action is GateAction.OPEN else 0.0
                by_role[o.role] = Want(pct, True, f"override by {o.by}: {o.reason}".rstrip(": "))
        return by_role.get(GateRole.INLET, Want(0.0, False, "override")), by_role.get(
            GateRole.OUTLET
        )
    if mode is ControlMode.PADDY_DAM:
        return Want(0.0, True, "paddy dam: inlet closed"), dam_outlet(t, outlet)
    return auto(t, inlet, outlet)


def dam_outlet(t: Tick, outlet: GateState) -> Want | None:
    """The 田んぼダム's outlet: shut while the warning lasts, then a slow release."""
    paddy, depth = t.paddy, t.depth
    if not paddy.has_outlet_gate:
        return None
    limit_cm = paddy.max_safe_depth_cm - t.s.dam_margin_cm
    if depth is not None and depth >= limit_cm:
        return Want(100.0, True, f"paddy dam: holding no more than {limit_cm:g} cm")
    if t.dam is DamPhase.HOLD:
        spilling = (
            outlet.is_open and depth is not None and depth > limit_cm - t.s.trim_hysteresis_cm
        )
        return None if spilling else Want(0.0, False, "paddy dam: holding storm water")
    head = max(depth or 0.0, 0.0) / t.s.outlet_reference_head_cm
    full_cm_h = paddy.depth_cm_for(paddy.outlet_flow_m3_h) * max(head, 1.0) ** 1.5
    pct = min(100.0, max(1.0, round(100.0 * t.s.dam_release_cm_h / full_cm_h, 1)))
    if outlet.is_open and abs(pct - (outlet.opening_pct or 0.0)) < 0.2 * pct:
        return None
    return Want(pct, False, f"paddy dam: releasing at most {t.s.dam_release_cm_h:g} cm/h")


def auto(t: Tick, inlet: GateState, outlet: GateState) -> tuple[Want | None, Want | None]:
    """Follow the calendar: trim surplus through the outlet, fill through the inlet."""
    target, depth, s, paddy = t.inputs.target, t.depth, t.s, t.paddy
    rain_cm = t.inputs.forecast_rain_mm / 10.0 * s.forecast_trust
    want_out: Want | None = None
    if target.drain:
        want_out = Want(100.0, False, f"drain: {target.stage.value}")
    elif target.ceiling_cm is not None and depth is not None:
        trim_at = target.ceiling_cm - s.trim_below_ceiling_cm - min(rain_cm, s.predrain_max_cm)
        if outlet.is_open and depth <= trim_at - s.trim_hysteresis_cm:
            want_out = Want(0.0, False, f"surplus let out to {depth:.1f} cm")
        elif not outlet.is_open and depth > trim_at:
            want_out = Want(100.0, False, f"surplus above {trim_at:.1f} cm")
        elif outlet.opening_pct is None:
            want_out = Want(0.0, False, "outlet closed")
    letting_out = paddy.has_outlet_gate and (
        want_out.pct > 0 if want_out is not None else outlet.is_open
    )
    setpoint, band = target.setpoint_cm, target.band
    if not target.inlet_may_open or setpoint is None or band is None or depth is None:
        return Want(0.0, False, f"no filling: {target.stage.value}"), want_out
    limit = paddy.daily_water_limit_m3
    if limit is not None and t.water_today_m3 >= limit:
        t.tell("daily_limit", limit_m3=limit)
        return Want(0.0, False, "daily water limit reached"), want_out
    if letting_out:
        return Want(0.0, False, "the outlet is letting water out"), want_out
    open_at = setpoint - s.open_below_cm
    if inlet.is_open:
        close_at = max(open_at, setpoint + s.close_above_cm - rain_cm)
        return (
            Want(0.0, False, f"filled to {depth:.1f} cm") if depth >= close_at else None
        ), want_out
    if (depth <= open_at and depth + rain_cm < setpoint) or depth < band[0]:
        return Want(100.0, False, f"filling to {setpoint:g} cm from {depth:.1f} cm"), want_out
    return (Want(0.0, False, "inlet closed") if inlet.opening_pct is None else None), want_out


def guard_inlet(t: Tick, inlet: GateState, want: Want | None) -> Want | None:
    """Whatever the mode: no filling without a believed depth, never at the safe depth."""
    depth, safe_cm = t.depth, t.paddy.max_safe_depth_cm
    if depth is not None and depth >= safe_cm:
        return Want(0.0, True, f"safety: {depth:.1f} cm is at the safe depth ({safe_cm:g} cm)")
    if want is None or want.pct == 0.0 or inlet.is_open:
        return want
    if depth is None or depth >= safe_cm - t.s.reopen_below_safe_cm:
        return Want(0.0, False, "no filling: depth unknown or near the safe depth")
    return want


def guard_outlet(t: Tick, outlet: GateState, want: Want | None) -> Want | None:
    """Whatever the mode: an outlet gate opens ``near_levee_cm`` below the safe depth.

    It stays open until the water is ``reopen_below_safe_cm`` below that, so an override
    or a 田んぼダム that wants it shut does not flap it at the threshold.
    """
    depth, near_cm = t.depth, t.paddy.max_safe_depth_cm - t.s.near_levee_cm
    if not t.paddy.has_outlet_gate or depth is None:
        return want
    if depth >= near_cm:
        safe_cm = t.paddy.max_safe_depth_cm
        return Want(
            100.0, True, f"safety: water near the levee ({depth:.1f} cm, safe {safe_cm:g} cm)"
        )
    closing = want is not None and want.pct == 0.0
    if closing and outlet.is_open and depth >= near_cm - t.s.reopen_below_safe_cm:
        return None
    return want
