"""The control loop on the database: readings in, commands out and acknowledged, the
controller's memory kept between ticks, alerts to the farmer, overrides obeyed — on SQLite
and PostgreSQL, with in-process gates (the embedded default)."""

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine

from api.irrigation import store
from api.irrigation.outlook import (
    DatabaseOutlook,
    active_warnings,
    declare_warning,
    end_warning,
)
from api.irrigation.service import DatabaseControlStore, NotifierAlerts, calendar_of
from api.scheduling.notify import StoredNotifier, list_notifications
from api.scheduling.weather import RecordedWeather, WeatherHour
from core.clock import FakeClock
from core.geo import GeoPoint
from irrigation import (
    BadPaddy,
    ControlMode,
    Device,
    DeviceKind,
    GateAction,
    GateRole,
    Metric,
    Override,
    Paddy,
    Reading,
)
from irrigation.calendar import WaterStage
from irrigation.gates_mqtt import InProcessGates
from irrigation.runner import IrrigationRunner

# Day 3 after transplanting on 20 May: deep water (rooting), a 6 cm setpoint.
T0 = datetime(2026, 5, 23, 1, 0, tzinfo=UTC)


@pytest.fixture
def paddy_engine(engine: Engine) -> Engine:
    paddy = Paddy(
        id="P1",
        farm="tanaka",
        area_m2=3000.0,
        transplanted_on=date(2026, 5, 20),
        outlet_flow_m3_h=60.0,
    )
    store.add_paddy(engine, paddy, owner="tanaka", clock=FakeClock(T0))
    for device in (
        Device(id="lv-1", farm="tanaka", kind=DeviceKind.SENSOR, paddy_id="P1"),
        Device(id="in-1", farm="tanaka", kind=DeviceKind.GATE, paddy_id="P1", role=GateRole.INLET),
        Device(
            id="out-1", farm="tanaka", kind=DeviceKind.GATE, paddy_id="P1", role=GateRole.OUTLET
        ),
    ):
        store.register_device(engine, device)
    return engine


def _level(engine: Engine, clock: FakeClock, value: float) -> None:
    reading = Reading(
        device_id="lv-1",
        metric=Metric.WATER_LEVEL,
        value=value,
        device_time=clock.now() - timedelta(seconds=30),
        received_at=clock.now() - timedelta(seconds=20),
    )
    store.store_readings(engine, [reading], source="mqtt", clock=clock)


def _runner(engine: Engine, clock: FakeClock, gates: InProcessGates) -> IrrigationRunner:
    return IrrigationRunner(
        DatabaseControlStore(engine),
        gates,
        alerts=NotifierAlerts(StoredNotifier(engine, clock=clock)),
        clock=clock,
    )


async def _ticks(
    runner: IrrigationRunner, clock: FakeClock, engine: Engine, levels: list[float]
) -> None:
    for value in levels:
        clock.advance(600)
        _level(engine, clock, value)
        await runner.tick()
        await runner.drain()


def test_a_low_paddy_is_filled_and_the_gate_acknowledges(paddy_engine: Engine) -> None:
    clock = FakeClock(T0)
    gates = InProcessGates(clock=clock)
    runner = _runner(paddy_engine, clock, gates)

    async def run() -> None:
        await _ticks(runner, clock, paddy_engine, [3.0, 3.1, 3.2])

    asyncio.run(run())
    opened = [c for c in gates.commands if c.role is GateRole.INLET]
    assert opened
    assert opened[0].action is GateAction.OPEN
    assert gates.openings_pct[("tanaka", "P1", "in-1")] > 0
    events, _ = store.list_events(paddy_engine, "P1")
    kinds = [e.kind for e in events]
    assert "command" in kinds
    assert "ack" in kinds
    stored = store.get_paddy(paddy_engine, "P1")
    assert stored.mode is ControlMode.AUTO
    assert stored.control_state is not None
    assert stored.control_state["inlet"]["opening_pct"] > 0


def test_a_silent_sensor_closes_the_inlet_and_tells_the_farmer_once(
    paddy_engine: Engine,
) -> None:
    clock = FakeClock(T0)
    gates = InProcessGates(clock=clock)
    runner = _runner(paddy_engine, clock, gates)

    async def run() -> None:
        await _ticks(runner, clock, paddy_engine, [3.0, 3.1])
        for _ in range(12):  # two hours without a reading
            clock.advance(600)
            await runner.tick()
            await runner.drain()

    asyncio.run(run())
    assert store.get_paddy(paddy_engine, "P1").mode is ControlMode.SAFE
    assert gates.openings_pct[("tanaka", "P1", "in-1")] == 0.0
    notices, _ = list_notifications(paddy_engine, "tanaka")
    stale = [n for n in notices if n.kind == "water.sensor_stale"]
    assert len(stale) == 1
    assert "P1" in stale[0].text_ja
    events, _ = store.list_events(paddy_engine, "P1", kind="mode")
    assert events[0].summary == "mode auto → safe"


def test_an_override_holds_the_inlet_shut_until_it_expires(paddy_engine: Engine) -> None:
    clock = FakeClock(T0)
    gates = InProcessGates(clock=clock)
    runner = _runner(paddy_engine, clock, gates)
    override = Override(
        paddy_id="P1",
        role=GateRole.INLET,
        action=GateAction.CLOSE,
        until=T0 + timedelta(minutes=35),
        by="tanaka",
    )
    store.add_override(paddy_engine, override, at=T0)

    async def run() -> list[float]:
        openings = []
        for value in [3.0, 3.0, 3.0, 3.0, 3.0]:
            clock.advance(600)
            _level(paddy_engine, clock, value)
            await runner.tick()
            await runner.drain()
            openings.append(gates.openings_pct.get(("tanaka", "P1", "in-1"), 0.0))
        return openings

    openings = asyncio.run(run())
    assert openings[:3] == [0.0, 0.0, 0.0]
    assert openings[-1] > 0.0


def test_calendar_edits_apply_and_bad_ones_are_named() -> None:
    edited = calendar_of("コシヒカリ", {"rooting": {"depth_cm": 6.5, "length_days": 9}})
    assert edited.plan(WaterStage.ROOTING).depth_cm == 6.5
    assert edited.plan(WaterStage.TILLERING).start_day == 9
    with pytest.raises(BadPaddy, match="no stage 'flooding'"):
        calendar_of(None, {"flooding": {"depth_cm": 5}})
    with pytest.raises(BadPaddy, match="depth_cm and/or length_days"):
        calendar_of(None, {"rooting": {"colour": "blue"}})


def test_a_declared_warning_holds_storm_water_and_its_end_lets_it_out(
    paddy_engine: Engine,
) -> None:
    clock = FakeClock(T0)
    gates = InProcessGates(clock=clock)
    outlook = DatabaseOutlook(paddy_engine, None, place=GeoPoint(lat_deg=34.9, lon_deg=134.8))
    runner = IrrigationRunner(
        DatabaseControlStore(paddy_engine), gates, weather=outlook, clock=clock
    )
    warning = declare_warning(
        paddy_engine,
        area="tanaka",
        starts_at=T0,
        ends_at=T0 + timedelta(hours=6),
        by="city",
        reason="大雨警報",
        at=T0,
    )

    async def run(levels: list[float]) -> None:
        await _ticks(runner, clock, paddy_engine, levels)

    asyncio.run(run([6.0, 8.0, 10.0]))
    assert store.get_paddy(paddy_engine, "P1").mode is ControlMode.PADDY_DAM
    assert gates.openings_pct[("tanaka", "P1", "out-1")] == 0.0
    assert gates.openings_pct[("tanaka", "P1", "in-1")] == 0.0
    end_warning(paddy_engine, warning.id, at=clock.now())
    asyncio.run(run([12.0, 12.0]))
    released = gates.openings_pct[("tanaka", "P1", "out-1")]
    assert 0.0 < released < 100.0  # let out slowly, not all at once
    assert active_warnings(paddy_engine, clock.now()) == []


def test_a_forecast_that_heavy_counts_as_a_warning(paddy_engine: Engine) -> None:
    hours = [
        WeatherHour(start=T0 + timedelta(hours=h), precipitation_mm=12.0 if h < 8 else 0.0)
        for h in range(24)
    ]
    outlook = DatabaseOutlook(
        paddy_engine,
        RecordedWeather(hours),
        place=GeoPoint(lat_deg=34.9, lon_deg=134.8),
        heavy_rain_mm_24h=80.0,
    )
    paddy = store.get_paddy(paddy_engine, "P1").paddy
    assert outlook.forecast_rain_mm(paddy, T0, 6.0) == pytest.approx(72.0)
    assert outlook.heavy_rain_warning(paddy, T0)
    later = T0 + timedelta(hours=9)
    assert outlook.forecast_rain_mm(paddy, later, 6.0) == 0.0
    assert not outlook.heavy_rain_warning(paddy, later)


def test_only_the_paddys_registered_sensor_steers_it(paddy_engine: Engine) -> None:
    clock = FakeClock(T0)
    gates = InProcessGates(clock=clock)
    runner = _runner(paddy_engine, clock, gates)
    rogue = Reading(
        device_id="rogue",
        metric=Metric.WATER_LEVEL,
        value=1.0,
        device_time=clock.now(),
        received_at=clock.now(),
        paddy_id="P1",
        farm="tanaka",
    )
    store.store_readings(paddy_engine, [rogue], source="mqtt", clock=clock)

    async def run() -> None:
        await runner.tick()
        await runner.drain()

    asyncio.run(run())
    assert gates.openings_pct[("tanaka", "P1", "in-1")] == 0.0  # no believed depth: shut
    state = store.get_paddy(paddy_engine, "P1").control_state
    assert state is not None
    assert state["level"] is None


def test_one_unreadable_memory_does_not_stop_the_other_paddies(paddy_engine: Engine) -> None:
    store.add_paddy(
        paddy_engine,
        Paddy(id="P2", farm="tanaka", area_m2=1000.0, transplanted_on=date(2026, 5, 20)),
        owner="tanaka",
    )
    store.save_control(paddy_engine, "P2", mode=ControlMode.AUTO, control_state={"bad": 1})
    clock = FakeClock(T0)
    gates = InProcessGates(clock=clock)
    runner = _runner(paddy_engine, clock, gates)

    async def run() -> None:
        await _ticks(runner, clock, paddy_engine, [3.0])

    asyncio.run(run())
    assert gates.openings_pct[("tanaka", "P1", "in-1")] == 100.0
    restarted = store.get_paddy(paddy_engine, "P2").control_state
    assert restarted is not None
    assert restarted["paddy_id"] == "P2"
