"""The paddy water controller: pure, one paddy per call, a value in and a value out.

Each tick the runner calls :func:`decide` with the paddy's :class:`PaddyState` from the
previous tick and the :class:`TickInputs` it gathered since (the newest water-level
reading, the gates' acknowledgements, rain, the forecast, a heavy-rain warning, manual
overrides, the calendar's :class:`~irrigation.calendar.Target`), and gets back a
:class:`Decision`: the next state, the gate commands to send and the alerts to raise::

    state = PaddyState.start(paddy.id, now)
    every minute:
        target = target_for(calendar, paddy.transplanted_on, now)
        decision = decide(state, TickInputs(now=now, paddy=paddy, target=target,
                          level=newest_reading, acks=acks_since_last_tick), settings)
        send(decision.commands); notify(decision.alerts); state = decision.state

Modes, strongest first: SAFE (a stale or implausible sensor, or a gate that refused or did
not acknowledge within ``ack_timeout_s``: inlet closed; back to AUTO, with a RECOVERED
alert, once the sensor has been plausible for ``recover_s`` and the gates answer),
OVERRIDE (a person's hand until it expires), PADDY_DAM (田んぼダム: while a heavy-rain
warning lasts the outlet stays shut and storm water is held up to ``dam_margin_cm`` below
the safe depth; afterwards it is let out at most ``dam_release_cm_h``), AUTO (the
calendar, with hysteresis, minimum open and closed times, the daily water limit and the
rain forecast). In every mode the inlet is closed at ``paddy.max_safe_depth_cm`` and does
not open without a believed depth, and an outlet gate is opened ``near_levee_cm`` below
that depth, whatever an override or a 田んぼダム hold says (both in
:mod:`irrigation.control_policy`). A reading not newer (by its device's clock) than the
believed depth is ignored: it neither refreshes the sensor nor clears its verdict, so a
clock gone back makes it stale; one dated over ``max_clock_ahead_s`` after it arrived is
not believed. A gate's position is what it was last told (``GateState.opening_pct``);
water is counted from it. Each alert kind that marks a condition is raised once, until the
condition clears.

The values live in :mod:`irrigation.control_state` and are re-exported here.
"""

from datetime import date, datetime

from irrigation.calendar import JST
from irrigation.control_policy import Want, guard_inlet, guard_outlet, wants
from irrigation.control_state import (
    ControllerSettings,
    DamPhase,
    Decision,
    GateState,
    PaddyState,
    TickInputs,
    command_id,
)
from irrigation.errors import BadPaddy, BadReading
from irrigation.model import (
    Alert,
    AlertKind,
    ControlMode,
    GateAction,
    GateCommand,
    GateRole,
    Metric,
    Severity,
)
from irrigation.plausibility import OK, Check, LevelTrack, Plausibility, check_stale, observe

__all__ = [
    "ControllerSettings",
    "DamPhase",
    "Decision",
    "GateState",
    "PaddyState",
    "TickInputs",
    "command_id",
    "decide",
]

_SAFE_KINDS = frozenset(
    {AlertKind.SENSOR_STALE, AlertKind.SENSOR_IMPLAUSIBLE, AlertKind.GATE_FAULT}
)
_K, _S = AlertKind, Severity
_ALERTS: dict[str, tuple[AlertKind, Severity, bool, str, str]] = {
    # key: (kind, severity, once until it clears, Japanese, English)
    "stale": (_K.SENSOR_STALE, _S.CRITICAL, True,
              "水位センサー異常（{reason_ja}）。給水を止めました。",
              "Water-level sensor problem ({reason}); the inlet is closed."),
    "implausible": (_K.SENSOR_IMPLAUSIBLE, _S.CRITICAL, True,
                    "水位センサー異常（{reason_ja}）。給水を止めました。",
                    "Water-level sensor problem ({reason}); the inlet is closed."),
    "gate_fault": (_K.GATE_FAULT, _S.CRITICAL, True,
                   "{gate_ja}が命令（{action_ja}）に応えません: {detail}。給水を止めました。",
                   "The {gate} gate failed a command ({action}): {detail}; the inlet is closed."),
    "recovered": (_K.RECOVERED, _S.INFO, False,
                  "センサーと水門が正常に戻りました。自動制御を再開します。",
                  "Sensor and gates are back to normal; automatic control resumes."),
    "dam_on": (_K.PADDY_DAM, _S.INFO, False, "大雨警報: 田んぼダムを始めます。{how_ja}。",
               "Heavy-rain warning: paddy dam on; {how}."),
    "dam_off": (_K.PADDY_DAM, _S.INFO, False, "田んぼダムを終えました。通常の水管理に戻ります。",
                "Paddy dam over; back to the water calendar."),
    "daily_limit": (_K.DAILY_LIMIT, _S.WARNING, True,
                    "本日の給水量が上限 {limit_m3:g} m³ に達しました。0時まで給水を止めます。",
                    "Today's water limit of {limit_m3:g} m³ is reached;"
                    " no filling until midnight."),
    "stage": (_K.STAGE_CHANGE, _S.INFO, False, "水管理が「{stage_ja}」に移りました。",
              "The water calendar moves to {stage}."),
    "near_levee": (_K.LEVEL_NEAR_LEVEE, _S.CRITICAL, True,
                   "水位 {depth_cm:.1f} cm が畦畔（{levee_cm:g} cm）に近づいています。",
                   "The water ({depth_cm:.1f} cm) is near the levee ({levee_cm:g} cm)."),
    "out_of_band": (_K.LEVEL_OUT_OF_BAND, _S.WARNING, True,
                    "水位 {depth_cm:.1f} cm が目標 {low_cm:g}〜{high_cm:g} cm から"
                    " {hours:.0f} 時間外れています。",
                    "The water ({depth_cm:.1f} cm) has been outside {low_cm:g}…{high_cm:g} cm for"
                    " {hours:.0f} h."),
}  # fmt: skip
_GATE_JA = {GateRole.INLET: "給水口", GateRole.OUTLET: "排水口"}
_ACTION_JA = {GateAction.OPEN: "開", GateAction.CLOSE: "閉"}


class _Tick:
    """The scratch of one :func:`decide` call."""

    __slots__ = (
        "alerted",
        "alerts",
        "commands",
        "dam",
        "depth",
        "inputs",
        "now",
        "paddy",
        "s",
        "water_today_m3",
    )

    def __init__(self, state: PaddyState, inputs: TickInputs, settings: ControllerSettings):
        self.now, self.paddy, self.inputs, self.s = inputs.now, inputs.paddy, inputs, settings
        self.alerted = state.alerted
        self.alerts: list[Alert] = []
        self.commands: list[GateCommand] = []
        self.depth = state.depth_cm
        self.dam = state.dam
        self.water_today_m3 = state.water_today_m3

    def tell(self, key: str, **values: float | str) -> None:
        """Raise the alert ``key`` of :data:`_ALERTS` (once, if it is a condition)."""
        kind, severity, once, ja, en = _ALERTS[key]
        if once:
            if kind in self.alerted:
                return
            self.alerted = self.alerted | {kind}
        self.alerts.append(
            Alert(paddy_id=self.paddy.id, kind=kind, severity=severity, at=self.now,
                  text_ja=ja.format(**values), text_en=en.format(**values), details=values)
        )  # fmt: skip

    def clear(self, *kinds: AlertKind) -> None:
        if not self.alerted.isdisjoint(kinds):
            self.alerted = self.alerted.difference(kinds)


def decide(state: PaddyState, inputs: TickInputs, settings: ControllerSettings) -> Decision:
    """One control step for one paddy.

    Parameters
    ----------
    state
        The state from the previous tick (:meth:`PaddyState.start` for the first).
    inputs
        What happened since; ``inputs.now`` must not be before ``state.at``.
    settings
        Thresholds (cm) and times (s).

    Returns
    -------
    Decision
        The next state, the gate commands to send, the alerts to raise.

    Raises
    ------
    BadPaddy
        If the state, an override and the paddy are not about the same paddy.
    BadReading
        If ``inputs.level`` is not a water-level reading.
    ValueError
        If time runs backwards.
    """
    paddy, now = inputs.paddy, inputs.now
    if state.paddy_id != paddy.id or any(o.paddy_id != paddy.id for o in inputs.overrides):
        raise BadPaddy(f"the state or an override is not for paddy {paddy.id}")
    dt_s = (now - state.at).total_seconds()
    if dt_s < 0:
        raise ValueError(f"paddy {paddy.id}: {now.isoformat()} is before the previous tick")
    t = _Tick(state, inputs, settings)
    water_day, inflow_cm = _count_water(t, state, dt_s)
    inlet = _settle(t, state.inlet, GateRole.INLET)
    outlet = _settle(t, state.outlet, GateRole.OUTLET)
    level, heard_at, sensor = _watch_sensor(t, state, inflow_cm)
    t.depth = None if level is None else level.depth_cm
    plausible_since = (state.plausible_since or now) if sensor.ok else None
    _follow_dam(t)
    mode = _choose_mode(t, state, sensor, plausible_since, inlet.faulty or outlet.faulty)
    want_in, want_out = wants(t, mode, inlet, outlet)
    if paddy.has_outlet_gate:
        outlet = _steer(t, GateRole.OUTLET, outlet, guard_outlet(t, outlet, want_out))
    inlet = _steer(t, GateRole.INLET, inlet, guard_inlet(t, inlet, want_in))
    out_of_band_since = _level_alerts(t, state, mode)
    next_state = PaddyState(
        paddy_id=paddy.id,
        started_at=state.started_at,
        at=now,
        mode=mode,
        heard_at=heard_at,
        level=level,
        sensor=sensor,
        plausible_since=plausible_since,
        inlet=inlet,
        outlet=outlet,
        water_day=water_day,
        water_today_m3=t.water_today_m3,
        stage=inputs.target.stage,
        out_of_band_since=out_of_band_since,
        dam=t.dam,
        alerted=t.alerted,
    )
    return Decision(state=next_state, commands=tuple(t.commands), alerts=tuple(t.alerts))


def _count_water(t: _Tick, state: PaddyState, dt_s: float) -> tuple[date, float]:
    """Water let in since the previous tick (m³, reset at Japan midnight) and its depth (cm)."""
    paddy = t.paddy
    fraction = (state.inlet.opening_pct or 0.0) / 100.0
    today = t.now.astimezone(JST).date()
    counted_s = dt_s
    if today != state.water_day:
        midnight = datetime(today.year, today.month, today.day, tzinfo=JST)
        counted_s = min(dt_s, (t.now - midnight).total_seconds())
        t.water_today_m3 = 0.0
        t.clear(AlertKind.DAILY_LIMIT)
    t.water_today_m3 += fraction * paddy.inlet_flow_m3_h * counted_s / 3600.0
    # water that came in and could not have left: a level flat despite it is a stuck float
    spilling = state.outlet.is_open or (t.depth is not None and t.depth >= paddy.outlet_crest_cm)
    if spilling:
        return today, 0.0
    inlet_cm = fraction * paddy.depth_cm_for(paddy.inlet_flow_m3_h) * dt_s / 3600.0
    return today, inlet_cm + t.inputs.rain_mm / 10.0


def _settle(t: _Tick, gate: GateState, role: GateRole) -> GateState:
    """Take in the gate's ack, or mark it faulty when it refused or stayed silent."""
    pending = gate.pending
    if pending is None:
        return gate
    detail = ""
    for ack in t.inputs.acks:
        if ack.command_id == pending.command_id:
            if ack.ok:
                return GateState(
                    opening_pct=gate.opening_pct, changed_at=gate.changed_at, sent_at=gate.sent_at
                )
            detail = f"refused: {ack.detail}" if ack.detail else "refused"
            break
    if not detail:
        silent_s = (t.now - pending.issued_at).total_seconds()
        if gate.faulty or silent_s <= t.s.ack_timeout_s:
            return gate
        detail = f"no answer in {silent_s:.0f} s"
    action = pending.action
    t.tell("gate_fault", gate=role.value, gate_ja=_GATE_JA[role], action=action.value,
           action_ja=_ACTION_JA[action], detail=detail, command_id=pending.command_id)  # fmt: skip
    return GateState(
        opening_pct=gate.opening_pct,
        changed_at=gate.changed_at,
        sent_at=gate.sent_at,
        pending=pending if detail.startswith("no answer") else None,
        faulty=True,
    )


def _watch_sensor(
    t: _Tick, state: PaddyState, inflow_cm: float
) -> tuple[LevelTrack | None, datetime | None, Check]:
    """The track, when its newest believed reading arrived, and whether it can be believed.

    A track dated ahead of now (stored before such readings were refused) is forgotten."""
    pset = t.s.plausibility
    level = None if state.level is None else state.level.add_inflow(inflow_cm)
    if level is not None and (level.at - t.now).total_seconds() > pset.max_clock_ahead_s:
        level = None
    heard_at = state.heard_at if state.heard_at is None or state.heard_at <= t.now else None
    # staleness is judged afresh below, so a stale verdict is not carried over
    sensor = OK if state.sensor.verdict is Plausibility.STALE else state.sensor
    reading = t.inputs.level
    if reading is not None:
        if reading.metric is not Metric.WATER_LEVEL:
            raise BadReading(f"{reading.device_id}: {reading.metric} is not a water level")
        arrived = min(reading.received_at or t.now, t.now)
        at = reading.device_time
        level, check = observe(level, reading.value, at, t.paddy, pset, arrived_at=arrived)
        if check is not None:
            sensor = check
            if level is not None and level.at == at:
                heard_at = arrived
    stale = check_stale(heard_at or state.started_at, t.now, pset)
    return level, heard_at, sensor if stale.ok else stale


def _follow_dam(t: _Tick) -> None:
    """Start, release and end a 田んぼダム episode."""
    paddy, ceiling = t.paddy, t.inputs.target.ceiling_cm
    if t.inputs.heavy_rain_warning:
        if t.dam is None:
            gated = paddy.has_outlet_gate
            how_ja = "排水口を閉じて雨水を貯めます" if gated else "給水を止めます"
            how = "the outlet is closed to hold the rain" if gated else "the inlet is closed"
            t.tell("dam_on", how_ja=how_ja, how=how)
        t.dam = DamPhase.HOLD
        return
    if t.dam is DamPhase.HOLD:
        t.dam = DamPhase.RELEASE
    release_to = paddy.outlet_crest_cm if ceiling is None else ceiling
    if t.dam is DamPhase.RELEASE and (
        not paddy.has_outlet_gate or (t.depth is not None and t.depth <= release_to)
    ):
        t.dam = None
        t.tell("dam_off")


def _choose_mode(
    t: _Tick, state: PaddyState, sensor: Check, plausible_since: datetime | None, gate_fault: bool
) -> ControlMode:
    if not sensor.ok:
        stale = sensor.verdict is Plausibility.STALE
        t.tell(
            "stale" if stale else "implausible", reason=sensor.reason, reason_ja=sensor.reason_ja
        )
    if not sensor.ok or gate_fault:
        return ControlMode.SAFE
    if state.mode is ControlMode.SAFE:
        assert plausible_since is not None
        if (t.now - plausible_since).total_seconds() < t.s.recover_s:
            return ControlMode.SAFE
        t.clear(*_SAFE_KINDS)
        t.tell("recovered")
    if any(o.until > t.now for o in t.inputs.overrides):
        return ControlMode.OVERRIDE
    return ControlMode.AUTO if t.dam is None else ControlMode.PADDY_DAM


def _steer(t: _Tick, role: GateRole, gate: GateState, want: Want | None) -> GateState:
    """Send the gate where it is wanted, unless it was moved too recently.

    A faulty gate is told its last position again every ``gate_retry_s``, so one back
    online acknowledges and clears the fault.
    """
    if want is None:
        if not gate.faulty or gate.opening_pct is None:
            return gate
        want = Want(gate.opening_pct, True, "safety: the gate's last command again")
    pct, now = want.pct, t.now
    if gate.faulty:
        retried_s = None if gate.sent_at is None else (now - gate.sent_at).total_seconds()
        if pct == gate.opening_pct and retried_s is not None and retried_s < t.s.gate_retry_s:
            return gate
    elif pct == gate.opening_pct:
        return gate
    elif not want.urgent and gate.changed_at is not None and gate.opening_pct is not None:
        needed_s = t.s.min_closed_s if gate.opening_pct == 0.0 else t.s.min_open_s
        if (now - gate.changed_at).total_seconds() < needed_s:
            return gate
    command = GateCommand(
        command_id=command_id(t.paddy.id, role, now),
        paddy_id=t.paddy.id,
        role=role,
        action=GateAction.OPEN if pct > 0 else GateAction.CLOSE,
        issued_at=now,
        reason=want.reason,
        opening_pct=pct,
    )
    t.commands.append(command)
    # Closing a gate of unknown position (after a start) only makes sure of it: it is no
    # movement for the minimum closed time to protect the gate from.
    if gate.opening_pct is None and pct == 0.0:
        changed_at = None
    else:
        changed_at = gate.changed_at if pct == gate.opening_pct else now
    return GateState(
        opening_pct=pct, changed_at=changed_at, sent_at=now, pending=command, faulty=gate.faulty
    )


def _level_alerts(t: _Tick, state: PaddyState, mode: ControlMode) -> datetime | None:
    """Near the levee, out of band too long, a new stage; returns when it left the band."""
    depth, paddy, target = t.depth, t.paddy, t.inputs.target
    if state.stage is not None and target.stage is not state.stage:
        t.tell("stage", stage=target.stage.value, stage_ja=target.stage.label_ja)
    if depth is None:
        return state.out_of_band_since
    near_cm = paddy.max_safe_depth_cm - t.s.near_levee_cm
    if depth >= near_cm:
        t.tell("near_levee", depth_cm=depth, levee_cm=paddy.levee_height_cm)
    elif depth < near_cm - t.s.reopen_below_safe_cm:
        t.clear(AlertKind.LEVEL_NEAR_LEVEE)
    if mode is not ControlMode.AUTO or not target.holds_band or target.within_band(depth):
        t.clear(AlertKind.LEVEL_OUT_OF_BAND)
        return None
    since = state.out_of_band_since or t.now
    if (t.now - since).total_seconds() >= t.s.out_of_band_alert_s and target.band is not None:
        low_cm, high_cm = target.band
        hours = (t.now - since).total_seconds() / 3600.0
        t.tell("out_of_band", depth_cm=depth, low_cm=low_cm, high_cm=high_cm, hours=hours)
    return since
