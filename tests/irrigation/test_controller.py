"""The paddy water controller, tick by tick: calendar, hysteresis, safety, overrides, 田んぼダム."""

import itertools
import math
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from irrigation.calendar import DEFAULT_CALENDAR, Target, WaterRegime, WaterStage, target_for
from irrigation.controller import (
    ControllerSettings,
    DamPhase,
    Decision,
    PaddyState,
    TickInputs,
    command_id,
    decide,
)
from irrigation.errors import BadPaddy, BadReading
from irrigation.model import (
    Alert,
    AlertKind,
    ControlMode,
    GateAck,
    GateAction,
    GateCommand,
    GateRole,
    Metric,
    Override,
    Paddy,
    Reading,
)
from irrigation.plausibility import LevelTrack, Plausibility

T0 = datetime(2026, 6, 1, 0, 0, tzinfo=UTC)  # 09:00 in Japan
PADDY = Paddy(id="p1", area_m2=1000.0, transplanted_on=date(2026, 5, 10), inlet_flow_m3_h=40.0)
GATED = replace(PADDY, outlet_flow_m3_h=30.0)
SETTINGS = ControllerSettings()
HOLD_3CM = Target(
    stage=WaterStage.TILLERING, regime=WaterRegime.HOLD, day=22, setpoint_cm=3.0,
    band=(2.0, 4.0), ceiling_cm=4.0, inlet_may_open=True,
)  # fmt: skip
INLET, OUTLET = GateRole.INLET, GateRole.OUTLET
YEAR, ZERO = timedelta(days=365), timedelta(0)
NO_CLOCK_CHECK = replace(
    SETTINGS, plausibility=replace(SETTINGS.plausibility, max_clock_ahead_s=math.inf)
)


@dataclass
class Loop:
    """Runs ticks like the runner would: gates answer (or not), readings arrive."""

    paddy: Paddy = PADDY
    target: Target = HOLD_3CM
    now: datetime = T0
    settings: ControllerSettings = SETTINGS
    state: PaddyState = field(init=False)
    unanswered: list[GateCommand] = field(default_factory=list)
    commands: list[GateCommand] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.state = PaddyState.start(self.paddy.id, self.now)

    def tick(
        self,
        depth_cm: float | None,
        *,
        dt_s: float = 60.0,
        answer: str = "ok",
        clock_ahead: timedelta = timedelta(0),
        **inputs: object,
    ) -> Decision:
        """Advance, answer last tick's commands (``ok``, ``no`` or ``silent``), decide.

        The reading arrives now, dated ``clock_ahead`` later by the sensor's clock.
        """
        self.now += timedelta(seconds=dt_s)
        acks: tuple[GateAck, ...] = ()
        if answer != "silent":
            acks = tuple(
                GateAck(command_id=c.command_id, ok=answer == "ok", at=self.now, detail="jammed")
                for c in self.unanswered
            )
        level = None
        if depth_cm is not None:
            level = Reading(
                device_id="wl-1", metric=Metric.WATER_LEVEL, value=depth_cm,
                device_time=self.now + clock_ahead, received_at=self.now,
            )  # fmt: skip
        base = {"now": self.now, "paddy": self.paddy, "target": self.target, "level": level}
        inputs = {**base, "acks": acks, **inputs}
        decision = decide(self.state, TickInputs(**inputs), self.settings)  # type: ignore[arg-type]
        self.state = decision.state
        self.unanswered = list(decision.commands)
        self.commands += decision.commands
        self.alerts += decision.alerts
        return decision

    def ticks(self, depth_cm: float | None, count: int, **kwargs: object) -> list[Decision]:
        return [self.tick(depth_cm, **kwargs) for _ in range(count)]  # type: ignore[arg-type]

    def sent(self, role: GateRole) -> list[GateAction]:
        return [c.action for c in self.commands if c.role is role]

    def told(self, kind: AlertKind) -> list[Alert]:
        return [a for a in self.alerts if a.kind is kind]


def only(decision: Decision, role: GateRole) -> GateCommand:
    (command,) = [c for c in decision.commands if c.role is role]
    return command


def test_the_first_tick_closes_the_inlet_until_a_depth_is_known() -> None:
    loop = Loop()
    decision = loop.tick(None)
    assert only(decision, INLET).action is GateAction.CLOSE
    assert decision.state.mode is ControlMode.AUTO
    assert loop.ticks(None, 5)[-1].commands == ()


def test_the_first_depth_after_a_start_opens_the_inlet_without_waiting() -> None:
    # The start's close only made sure of a gate of unknown position: no rest is owed.
    loop = Loop()
    loop.tick(None)
    opened = loop.tick(1.5)
    assert only(opened, INLET).action is GateAction.OPEN
    assert loop.sent(INLET) == [GateAction.CLOSE, GateAction.OPEN]


def test_the_inlet_opens_below_the_setpoint_and_closes_above_it() -> None:
    loop = Loop()
    loop.ticks(2.8, 10)  # within the hysteresis: the inlet is closed and stays so
    assert loop.sent(INLET) == [GateAction.CLOSE]
    opened = loop.tick(2.4)
    assert only(opened, INLET).action is GateAction.OPEN
    assert opened.state.inlet.opening_pct == 100.0
    loop.ticks(3.0, 10)
    closed = loop.tick(3.3)
    assert only(closed, INLET).action is GateAction.CLOSE
    assert loop.sent(INLET) == [GateAction.CLOSE, GateAction.OPEN, GateAction.CLOSE]


def test_the_inlet_stays_open_for_the_minimum_time_even_when_full() -> None:
    loop = Loop()
    loop.tick(2.0)
    assert loop.sent(INLET)[-1] is GateAction.OPEN
    loop.tick(3.0)
    loop.ticks(3.5, 2)
    assert loop.sent(INLET)[-1] is GateAction.OPEN
    loop.ticks(3.5, 2)
    assert loop.sent(INLET)[-1] is GateAction.CLOSE
    (opened, closed) = [c for c in loop.commands if c.role is INLET][-2:]
    assert (closed.issued_at - opened.issued_at).total_seconds() == SETTINGS.min_open_s


def test_the_inlet_stays_closed_for_the_minimum_time() -> None:
    loop = Loop()
    loop.tick(2.0)
    loop.tick(3.0)
    loop.ticks(3.5, 4)
    assert loop.sent(INLET)[-1] is GateAction.CLOSE
    loop.tick(2.5)
    loop.ticks(2.0, 8)
    assert loop.sent(INLET)[-1] is GateAction.CLOSE
    loop.tick(2.0)
    assert loop.sent(INLET)[-1] is GateAction.OPEN


def test_forecast_rain_keeps_the_inlet_closed_while_the_water_is_in_band() -> None:
    dry, wet = Loop(), Loop()
    assert only(dry.tick(2.4), INLET).action is GateAction.OPEN
    assert only(wet.tick(2.4, forecast_rain_mm=10.0), INLET).action is GateAction.CLOSE
    wet.ticks(2.4, 20, forecast_rain_mm=10.0)
    assert wet.sent(INLET) == [GateAction.CLOSE]


def test_forecast_rain_does_not_let_the_water_fall_below_the_band() -> None:
    wet, dry = Loop(), Loop()
    for loop, forecast_mm in ((wet, 10.0), (dry, 0.0)):
        assert only(loop.tick(1.9, forecast_rain_mm=forecast_mm), INLET).action is GateAction.OPEN
        loop.tick(2.2, forecast_rain_mm=forecast_mm)
        loop.ticks(2.6, 4, forecast_rain_mm=forecast_mm)
    # it fills only to the opening threshold, the rain will do the rest; without rain, on
    assert wet.sent(INLET) == [GateAction.OPEN, GateAction.CLOSE]
    assert dry.sent(INLET) == [GateAction.OPEN]


def test_an_outlet_gate_lets_surplus_out_back_into_the_band() -> None:
    loop = Loop(paddy=GATED)
    opened = loop.tick(4.2)
    assert only(opened, OUTLET).action is GateAction.OPEN
    assert only(opened, INLET).action is GateAction.CLOSE
    loop.ticks(3.6, 5)
    assert loop.sent(OUTLET) == [GateAction.OPEN]
    loop.ticks(3.2, 1)
    assert loop.sent(OUTLET) == [GateAction.OPEN, GateAction.CLOSE]


def test_an_outlet_gate_pre_drains_a_little_before_forecast_rain() -> None:
    calm, rainy = Loop(paddy=GATED), Loop(paddy=GATED)
    assert only(calm.tick(3.5), OUTLET).action is GateAction.CLOSE
    assert only(rainy.tick(3.5, forecast_rain_mm=20.0), OUTLET).action is GateAction.OPEN
    rainy.ticks(2.8, 5, forecast_rain_mm=20.0)
    assert rainy.sent(OUTLET) == [GateAction.OPEN]
    rainy.ticks(2.1, 1, forecast_rain_mm=20.0)
    assert rainy.sent(OUTLET)[-1] is GateAction.CLOSE
    assert rainy.sent(INLET) == [GateAction.CLOSE]


def test_midseason_drainage_opens_the_outlet_and_keeps_the_inlet_shut() -> None:
    at = datetime(2026, 6, 14, 3, tzinfo=UTC)
    target = target_for(DEFAULT_CALENDAR, PADDY.transplanted_on, at)
    assert target.stage is WaterStage.MIDSEASON_DRAINAGE
    loop = Loop(paddy=GATED, target=target, now=at)
    decision = loop.tick(1.0)
    assert only(decision, OUTLET).action is GateAction.OPEN
    assert only(decision, INLET).action is GateAction.CLOSE
    for i in range(20):
        loop.tick(1.0 - 0.1 * i)
    assert loop.sent(INLET) == [GateAction.CLOSE]
    assert loop.sent(OUTLET) == [GateAction.OPEN]
    assert loop.state.mode is ControlMode.AUTO
    assert loop.alerts == []


def test_the_daily_water_limit_closes_the_inlet_alerts_once_and_resets_at_japan_midnight() -> None:
    limited = replace(PADDY, daily_water_limit_m3=5.0)
    loop = Loop(paddy=limited, now=datetime(2026, 6, 1, 14, 40, tzinfo=UTC))  # 23:40 JST
    for i in range(12):
        loop.tick(1.5 + 0.01 * i)
    assert loop.sent(INLET) == [GateAction.OPEN, GateAction.CLOSE]
    assert loop.state.water_today_m3 == pytest.approx(40.0 * 8 / 60)
    assert len(loop.told(AlertKind.DAILY_LIMIT)) == 1
    assert "5 m³" in loop.told(AlertKind.DAILY_LIMIT)[0].text_ja
    for i in range(9):  # to 00:01 JST
        loop.tick(1.6 + 0.01 * i)
    assert loop.state.water_day == date(2026, 6, 2)
    assert loop.sent(INLET)[-1] is GateAction.OPEN
    assert len(loop.told(AlertKind.DAILY_LIMIT)) == 1


def test_water_is_counted_from_the_time_the_inlet_is_open() -> None:
    loop = Loop()
    loop.tick(1.5)
    for i in range(30):
        loop.tick(1.5 + 0.02 * i)
    assert loop.state.water_today_m3 == pytest.approx(40.0 * 30 / 60)


def test_a_stale_sensor_closes_the_inlet_and_alerts_once() -> None:
    loop = Loop()
    loop.tick(2.0)
    loop.ticks(None, 29)
    assert loop.state.mode is ControlMode.AUTO
    safe = loop.tick(None)
    assert safe.state.mode is ControlMode.SAFE
    closing = only(safe, INLET)
    assert closing.action is GateAction.CLOSE
    assert closing.reason.startswith("safety")
    loop.ticks(None, 30)
    assert len(loop.told(AlertKind.SENSOR_STALE)) == 1
    assert loop.sent(INLET) == [GateAction.OPEN, GateAction.CLOSE]


def test_an_implausible_jump_puts_the_paddy_in_safe_mode() -> None:
    loop = Loop()
    loop.tick(3.0)
    decision = loop.tick(12.0)
    assert decision.state.mode is ControlMode.SAFE
    assert decision.state.depth_cm == 3.0
    (alert,) = decision.alerts
    assert alert.kind is AlertKind.SENSOR_IMPLAUSIBLE
    assert "水位センサー" in alert.text_ja
    assert "faster than water can move" in alert.text_en


def test_a_stuck_float_puts_the_paddy_in_safe_mode() -> None:
    loop = Loop()
    loop.ticks(1.5, 185)
    assert loop.state.mode is ControlMode.SAFE
    assert loop.state.sensor.reason.startswith("the same value")
    assert loop.sent(INLET) == [GateAction.OPEN, GateAction.CLOSE]


def test_a_level_standing_still_while_rain_spills_over_the_weir_is_believed() -> None:
    loop = Loop()
    loop.ticks(12.5, 300, rain_mm=2.0)
    assert loop.state.mode is ControlMode.AUTO
    assert loop.told(AlertKind.SENSOR_IMPLAUSIBLE) == []


def test_the_paddy_recovers_to_auto_after_the_sensor_is_plausible_for_a_while() -> None:
    loop = Loop()
    loop.tick(3.0)
    loop.ticks(None, 31)
    assert loop.state.mode is ControlMode.SAFE
    modes = [decision.state.mode for decision in loop.ticks(3.0, 31)]
    assert modes == [ControlMode.SAFE] * 30 + [ControlMode.AUTO]
    assert len(loop.told(AlertKind.RECOVERED)) == 1
    assert loop.state.alerted == frozenset()
    loop.ticks(None, 31)
    assert len(loop.told(AlertKind.SENSOR_STALE)) == 2


@pytest.mark.parametrize("settings", [SETTINGS, NO_CLOCK_CHECK], ids=["clock", "no-clock-check"])
def test_after_a_reading_dated_a_year_ahead_the_inlet_never_fills_past_the_safe_depth(
    settings: ControllerSettings,
) -> None:
    # Without its clock check the sensor goes stale: truthful readings after the one from
    # the future are not newer, and must not count as hearing from it.
    loop = Loop(settings=settings)
    true_cm, safe_at = 2.0, None
    for minute in range(12 * 60):
        decision = loop.tick(round(true_cm, 1), clock_ahead=YEAR if minute == 10 else ZERO)
        inlet_open = (decision.state.inlet.opening_pct or 0.0) > 0.0
        assert not (inlet_open and true_cm >= PADDY.max_safe_depth_cm), minute
        if safe_at is None and minute >= 10 and decision.state.mode is ControlMode.SAFE:
            safe_at = minute
            assert not inlet_open
        true_cm += (4.0 if inlet_open else 0.0) / 60 - 0.6 / 24 / 60
    assert safe_at is not None
    assert (safe_at - 10) * 60.0 <= settings.plausibility.stale_after_s


def test_a_reading_dated_ahead_of_its_arrival_is_not_believed_and_truthful_ones_carry_on() -> None:
    loop = Loop()
    loop.ticks(3.0, 5)
    wrong = loop.tick(3.1, clock_ahead=YEAR)
    assert wrong.state.mode is ControlMode.SAFE
    assert wrong.state.sensor.verdict is Plausibility.CLOCK
    assert wrong.state.depth_cm == 3.0
    (alert,) = wrong.alerts
    assert alert.kind is AlertKind.SENSOR_IMPLAUSIBLE
    assert "時計が365日進んで" in alert.text_ja
    assert "clock is 365 days ahead" in alert.text_en
    truthful = loop.tick(3.1)
    assert truthful.state.depth_cm == 3.1
    assert truthful.state.sensor.ok
    assert loop.ticks(3.1, 30)[-1].state.mode is ControlMode.AUTO


def test_a_sensor_whose_clock_went_back_goes_stale_instead_of_freezing_the_depth() -> None:
    loop = Loop()
    loop.ticks(2.0, 3)
    heard_at = loop.state.heard_at
    decisions = loop.ticks(2.0, 40, clock_ahead=-YEAR)  # rebooted to an old date
    assert {d.state.heard_at for d in decisions} == {heard_at}
    modes = [d.state.mode for d in decisions]
    assert modes == [ControlMode.AUTO] * 29 + [ControlMode.SAFE] * 11
    assert only(decisions[29], INLET).action is GateAction.CLOSE
    assert len(loop.told(AlertKind.SENSOR_STALE)) == 1


def test_a_late_reading_does_not_clear_an_implausible_verdict() -> None:
    loop = Loop()
    loop.tick(3.0)
    loop.tick(12.0)
    late = loop.tick(3.0, clock_ahead=timedelta(minutes=-5))
    assert late.state.sensor.verdict is Plausibility.JUMP
    assert late.state.plausible_since is None
    assert late.state.mode is ControlMode.SAFE


def test_a_depth_believed_from_a_future_date_is_forgotten() -> None:
    # A state stored before readings from the future were refused would stay frozen.
    loop = Loop()
    loop.tick(3.0)
    future = T0 + YEAR
    track = LevelTrack(depth_cm=3.0, at=future, same_since=future)
    loop.state = replace(loop.state, level=track, heard_at=future)
    decision = loop.tick(3.4)
    assert decision.state.level == LevelTrack(depth_cm=3.4, at=loop.now, same_since=loop.now)
    assert decision.state.heard_at == loop.now
    assert decision.state.mode is ControlMode.AUTO


def test_a_gate_that_does_not_acknowledge_puts_the_paddy_in_safe_mode() -> None:
    loop = Loop()
    loop.tick(2.0)
    loop.ticks(2.1, 2, answer="silent")
    assert loop.state.mode is ControlMode.AUTO
    decision = loop.tick(2.2, answer="silent")
    assert decision.state.mode is ControlMode.SAFE
    assert decision.state.inlet.faulty
    (fault,) = decision.alerts
    assert fault.kind is AlertKind.GATE_FAULT
    assert fault.text_ja.startswith("給水口が命令（開）に応えません")
    assert only(decision, INLET).action is GateAction.CLOSE  # it may have opened
    loop.ticks(2.3, 5, answer="silent")
    assert len(loop.told(AlertKind.GATE_FAULT)) == 1


def test_a_failed_close_is_held_and_retried_rarely_not_every_tick() -> None:
    loop = Loop()
    loop.tick(2.0)
    loop.tick(3.0)
    loop.ticks(3.5, 4)
    assert loop.sent(INLET)[-1] is GateAction.CLOSE
    loop.ticks(3.5, 20, answer="silent")
    assert loop.state.mode is ControlMode.SAFE
    assert loop.sent(INLET) == [GateAction.OPEN, GateAction.CLOSE, GateAction.CLOSE]
    retried = [c for c in loop.commands if c.role is INLET][-1]
    first_close = [c for c in loop.commands if c.role is INLET][-2]
    assert (retried.issued_at - first_close.issued_at).total_seconds() >= SETTINGS.gate_retry_s


def test_a_refused_command_is_a_gate_fault_and_a_later_ack_brings_auto_back() -> None:
    loop = Loop()
    loop.ticks(3.0, 35)
    loop.tick(2.4)
    refused = loop.tick(2.4, answer="no")
    assert refused.state.mode is ControlMode.SAFE
    assert "jammed" in refused.alerts[0].text_en
    assert only(refused, INLET).action is GateAction.CLOSE
    recovered = loop.tick(2.4)
    assert recovered.state.mode is ControlMode.AUTO
    assert [a.kind for a in recovered.alerts] == [AlertKind.RECOVERED]


def test_a_faulty_outlet_gate_is_told_again_and_recovers_when_it_answers() -> None:
    loop = Loop(paddy=GATED)
    loop.ticks(3.0, 35)
    loop.tick(3.8)
    assert loop.sent(OUTLET) == [GateAction.CLOSE, GateAction.OPEN]
    refused = loop.tick(3.7, answer="no")
    assert refused.state.mode is ControlMode.SAFE
    assert refused.state.outlet.faulty
    loop.ticks(3.7, 13)
    assert loop.sent(OUTLET) == [GateAction.CLOSE, GateAction.OPEN]
    retried = loop.tick(3.7)
    assert only(retried, OUTLET).action is GateAction.OPEN
    back = loop.tick(3.7)
    assert back.state.mode is ControlMode.AUTO
    assert not back.state.outlet.faulty


def test_safe_mode_opens_the_outlet_when_the_water_is_near_the_levee() -> None:
    loop = Loop(paddy=GATED)
    loop.tick(23.5)
    loop.ticks(24.2, 3, answer="silent")
    assert loop.state.mode is ControlMode.SAFE
    assert loop.sent(OUTLET)[-1] is GateAction.OPEN
    (near,) = loop.told(AlertKind.LEVEL_NEAR_LEVEE)
    assert near.details["depth_cm"] == 24.2
    assert "畦畔（30 cm）" in near.text_ja


def test_an_override_opens_the_inlet_until_it_expires_then_auto_takes_back() -> None:
    loop = Loop()
    hand = Override(paddy_id="p1", role=INLET, action=GateAction.OPEN,
                    until=T0 + timedelta(minutes=10), by="tanaka", reason="flushing")  # fmt: skip
    opened = loop.tick(3.5, overrides=(hand,))
    assert opened.state.mode is ControlMode.OVERRIDE
    assert only(opened, INLET).reason == "override by tanaka: flushing"
    loop.ticks(3.8, 8, overrides=(hand,))
    assert loop.sent(INLET) == [GateAction.OPEN]
    back = loop.tick(3.9, overrides=(hand,))
    assert back.state.mode is ControlMode.AUTO
    assert only(back, INLET).action is GateAction.CLOSE


def test_an_override_cannot_fill_above_the_safe_depth() -> None:
    loop = Loop()
    hand = Override(paddy_id="p1", role=INLET, action=GateAction.OPEN,
                    until=T0 + timedelta(hours=5), by="tanaka")  # fmt: skip
    loop.tick(23.5, overrides=(hand,))
    loop.tick(24.2, overrides=(hand,))
    closed = loop.tick(25.0, overrides=(hand,))
    assert only(closed, INLET).action is GateAction.CLOSE
    assert only(closed, INLET).reason.startswith("safety")
    loop.ticks(24.5, 20, overrides=(hand,))
    assert loop.sent(INLET) == [GateAction.OPEN, GateAction.CLOSE]
    loop.ticks(23.8, 1, overrides=(hand,))
    assert loop.sent(INLET)[-1] is GateAction.OPEN


def dam_loop(paddy: Paddy) -> Loop:
    """A paddy whose outlet (if any) is open letting surplus out when a warning starts."""
    loop = Loop(paddy=paddy)
    loop.ticks(4.2, 6)
    return loop


def test_a_heavy_rain_warning_closes_the_outlet_to_hold_storm_water() -> None:
    loop = dam_loop(GATED)
    assert loop.sent(OUTLET) == [GateAction.OPEN]
    start = loop.tick(4.3, heavy_rain_warning=True)
    assert start.state.mode is ControlMode.PADDY_DAM
    assert start.state.dam is DamPhase.HOLD
    assert only(start, OUTLET).action is GateAction.CLOSE
    assert [a.kind for a in start.alerts] == [AlertKind.PADDY_DAM]
    for i in range(20):
        loop.tick(4.5 + i, dt_s=600.0, heavy_rain_warning=True)
    assert loop.sent(INLET) == [GateAction.CLOSE]
    assert loop.sent(OUTLET) == [GateAction.OPEN, GateAction.CLOSE, GateAction.OPEN]
    limit_cm = GATED.max_safe_depth_cm - SETTINGS.dam_margin_cm
    holding = [c for c in loop.commands if c.role is OUTLET][-1]
    assert "no more than" in holding.reason
    assert str(round(limit_cm)) in holding.reason


def test_after_the_warning_the_stored_water_goes_out_at_the_release_rate() -> None:
    loop = dam_loop(GATED)
    for i in range(10):
        loop.tick(5.0 + 1.5 * i, dt_s=600.0, heavy_rain_warning=True)
    released = loop.tick(18.5, dt_s=600.0)
    assert released.state.dam is DamPhase.RELEASE
    opening = only(released, OUTLET).opening_pct
    fall_cm_h = opening / 100 * GATED.depth_cm_for(GATED.outlet_flow_m3_h) * (18.5 / 5.0) ** 1.5
    assert fall_cm_h <= SETTINGS.dam_release_cm_h + 0.01
    depth = 18.5
    while loop.state.dam is not None:
        depth -= 0.5
        loop.tick(depth, dt_s=1800.0)
    assert loop.state.mode is ControlMode.AUTO
    assert depth <= 4.0  # the ceiling of HOLD_3CM
    assert [a.text_en.split(";")[0] for a in loop.told(AlertKind.PADDY_DAM)] == [
        "Heavy-rain warning: paddy dam on", "Paddy dam over",
    ]  # fmt: skip


def test_without_an_outlet_gate_the_paddy_dam_only_keeps_the_inlet_closed() -> None:
    loop = Loop()
    loop.tick(2.0)
    start = loop.tick(2.1, heavy_rain_warning=True)
    assert start.state.mode is ControlMode.PADDY_DAM
    assert only(start, INLET).action is GateAction.CLOSE
    assert "inlet is closed" in start.alerts[0].text_en
    end = loop.tick(2.3)
    assert end.state.mode is ControlMode.AUTO
    assert end.state.dam is None
    assert [a.kind for a in loop.alerts] == [AlertKind.PADDY_DAM, AlertKind.PADDY_DAM]


def test_water_out_of_band_for_two_hours_alerts_once() -> None:
    loop = Loop()
    for i in range(119):
        loop.tick(5.5 - 0.001 * i)
    assert loop.told(AlertKind.LEVEL_OUT_OF_BAND) == []
    loop.ticks(5.3, 30)
    (alert,) = loop.told(AlertKind.LEVEL_OUT_OF_BAND)
    assert "outside 2…4 cm for 2 h" in alert.text_en
    loop.ticks(3.9, 1)
    assert loop.state.out_of_band_since is None
    assert AlertKind.LEVEL_OUT_OF_BAND not in loop.state.alerted


def test_out_of_band_is_not_judged_during_a_transition() -> None:
    loop = Loop(target=replace(HOLD_3CM, transition=True))
    loop.ticks(5.5, 180)
    assert loop.told(AlertKind.LEVEL_OUT_OF_BAND) == []


def test_a_new_stage_is_announced() -> None:
    loop = Loop()
    loop.tick(3.0)
    loop.target = replace(HOLD_3CM, stage=WaterStage.MIDSEASON_DRAINAGE, drain=True,
                          regime=WaterRegime.DRAIN, setpoint_cm=None, band=None)  # fmt: skip
    (alert,) = loop.tick(3.0).alerts
    assert alert.kind is AlertKind.STAGE_CHANGE
    assert "中干し" in alert.text_ja


def test_command_ids_come_from_paddy_role_and_time() -> None:
    at = T0 + timedelta(seconds=1.5)
    assert command_id("p1", INLET, at) == command_id("p1", INLET, at)
    assert len({command_id("p1", INLET, at), command_id("p1", OUTLET, at),
                command_id("p2", INLET, at), command_id("p1", INLET, T0)}) == 4  # fmt: skip


def test_deciding_twice_on_the_same_inputs_gives_the_same_decision() -> None:
    state = PaddyState.start("p1", T0)
    level = Reading(device_id="wl-1", metric=Metric.WATER_LEVEL, value=2.0, device_time=T0)
    inputs = TickInputs(now=T0, paddy=PADDY, target=HOLD_3CM, level=level)
    assert decide(state, inputs, SETTINGS) == decide(state, inputs, SETTINGS)


def test_inputs_that_do_not_fit_are_refused() -> None:
    state = PaddyState.start("p1", T0)
    inputs = TickInputs(now=T0, paddy=PADDY, target=HOLD_3CM)
    with pytest.raises(BadPaddy, match="not for paddy p2"):
        decide(state, replace(inputs, paddy=replace(PADDY, id="p2")), SETTINGS)
    with pytest.raises(ValueError, match="before the previous tick"):
        decide(state, replace(inputs, now=T0 - timedelta(seconds=1)), SETTINGS)
    rain = Reading(device_id="r", metric=Metric.RAIN, value=2.0, device_time=T0)
    with pytest.raises(BadReading, match="not a water level"):
        decide(state, replace(inputs, level=rain), SETTINGS)


def test_a_simulated_week_of_tillering_stays_in_band() -> None:
    loop = Loop()
    depth, judged, within = 2.0, 0, 0
    for _ in range(7 * 24 * 12):
        decision = loop.tick(round(depth, 1), dt_s=300.0, forecast_rain_mm=0.0)
        fill_cm_h = (decision.state.inlet.opening_pct or 0.0) / 100 * 4.0
        depth += (fill_cm_h - 1.5 / 24) * 300 / 3600
        judged += 1
        within += HOLD_3CM.within_band(depth)
    assert within / judged > 0.99
    assert loop.state.mode is ControlMode.AUTO


STEP = st.tuples(
    st.floats(min_value=-5.0, max_value=30.0),
    st.integers(min_value=30, max_value=900),
    st.sampled_from(["", "open-inlet", "close-inlet", "open-outlet"]),
    st.booleans(),
    st.sampled_from(["ok", "no", "silent"]),
)


@settings(max_examples=60, deadline=None)
@given(steps=st.lists(STEP, min_size=1, max_size=40), gated=st.booleans())
def test_the_inlet_is_never_left_open_at_or_above_the_safe_depth(
    steps: list[tuple[float, int, str, bool, str]], gated: bool
) -> None:
    loop = Loop(paddy=GATED if gated else PADDY)
    for depth, dt_s, hand, warning, answer in steps:
        overrides: tuple[Override, ...] = ()
        if hand:
            action, role = hand.split("-")
            overrides = (Override(paddy_id="p1", role=GateRole(role), action=GateAction(action),
                                  until=loop.now + timedelta(hours=1), by="x"),)  # fmt: skip
        decision = loop.tick(depth, dt_s=dt_s, answer=answer, overrides=overrides,
                             heavy_rain_warning=warning)  # fmt: skip
        if depth >= PADDY.max_safe_depth_cm:
            assert decision.state.inlet.opening_pct == 0.0
            assert all(c.action is GateAction.CLOSE for c in decision.commands if c.role is INLET)


@settings(max_examples=60, deadline=None)
@given(
    start=st.floats(min_value=0.0, max_value=6.0),
    steps=st.lists(
        st.tuples(st.floats(min_value=-0.6, max_value=0.6), st.floats(0.0, 30.0)), max_size=150
    ),
    gated=st.booleans(),
)
def test_an_inlet_is_never_switched_twice_within_the_minimum_time_unless_for_safety(
    start: float, steps: list[tuple[float, float]], gated: bool
) -> None:
    loop = Loop(paddy=GATED if gated else PADDY)
    depth = start
    for change, forecast in steps:
        depth = min(max(depth + change, -5.0), 26.0)
        loop.tick(depth, forecast_rain_mm=forecast)
    for role in (INLET, OUTLET):
        sent = [c for c in loop.commands if c.role is role]
        for earlier, later in itertools.pairwise(sent):
            if earlier is sent[0] and earlier.opening_pct == 0.0:
                continue  # the start's close only makes sure of the gate (no rest owed)
            gap_s = (later.issued_at - earlier.issued_at).total_seconds()
            needed_s = SETTINGS.min_open_s if earlier.opening_pct > 0 else SETTINGS.min_closed_s
            assert gap_s >= needed_s or later.reason.startswith("safety"), (earlier, later)
