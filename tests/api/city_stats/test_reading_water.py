"""Reading paddy water from the stored gate commands and readings, on SQLite and
PostgreSQL: a command the gate refused, or sent with no gate, let no water in."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from api.city_stats import DistrictMap, Month, read_water
from api.irrigation import store
from core.clock import FakeClock
from irrigation import (
    Device,
    DeviceKind,
    GateAck,
    GateAction,
    GateCommand,
    GateRole,
    Metric,
    Paddy,
    Reading,
)

T0 = datetime(2026, 6, 10, 0, 0, tzinfo=UTC)  # 09:00 in Japan
H = timedelta(hours=1)
JUNE = Month(year=2026, month=6)


def _inlet(engine: Engine, at: datetime, action: GateAction, *, gate: bool = True) -> str:
    command = GateCommand(command_id=f"cmd-{at.isoformat()}-{action}", paddy_id="P1",
                          role=GateRole.INLET, action=action, issued_at=at, reason="test",
                          opening_pct=50.0)  # fmt: skip
    store.record_command(engine, command, device_id="in-1" if gate else None)
    return command.command_id


def test_inlet_water_counts_only_what_a_gate_took(engine: Engine) -> None:
    store.add_paddy(engine, Paddy(id="P1", farm="f", area_m2=2000.0, inlet_flow_m3_h=30.0),
                    owner="tanaka")  # fmt: skip
    store.register_device(engine, Device(id="in-1", farm="f", kind=DeviceKind.GATE,
                                         paddy_id="P1", role=GateRole.INLET))  # fmt: skip
    store.register_device(engine, Device(id="lv-1", farm="f", kind=DeviceKind.SENSOR,
                                         paddy_id="P1"))  # fmt: skip
    refused = _inlet(engine, T0, GateAction.OPEN)
    store.record_ack(engine, GateAck(command_id=refused, ok=False, at=T0 + timedelta(seconds=5)))
    _inlet(engine, T0 + H, GateAction.OPEN, gate=False)  # no gate registered then
    taken = _inlet(engine, T0 + 2 * H, GateAction.OPEN)
    store.record_ack(engine, GateAck(command_id=taken, ok=True, at=T0 + 2 * H))
    _inlet(engine, T0 + 4 * H, GateAction.CLOSE)  # no answer yet: taken as sent
    store.store_readings(engine, [
        Reading(device_id="lv-1", metric=Metric.WATER_LEVEL, value=4.0, device_time=T0,
                received_at=T0),
        Reading(device_id="lv-1", metric=Metric.RAIN, value=6.0, device_time=T0 + H,
                received_at=T0 + H),
    ], source="http", clock=FakeClock(T0 + H))  # fmt: skip
    facts = read_water(engine, DistrictMap(), start=JUNE.start, end=T0 + 12 * H,
                       flooding_mm_day=20.0)  # fmt: skip
    (use,) = facts.water
    assert use.inlet_m3 == pytest.approx(30.0 * 0.5 * 2)  # half open for two hours
    assert (use.watched_days, use.party, use.district) == (1, "tanaka", "unknown")
    assert use.flooding_need_m3 == pytest.approx((20.0 - 6.0) / 1000 * 2000.0)
    assert (facts.dams, facts.alerts, facts.rain_warnings) == ([], [], {})
