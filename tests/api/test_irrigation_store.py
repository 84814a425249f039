"""The paddy-water store on SQLite and PostgreSQL: readings once each, the registry, the
audit log, overrides and compare-and-set changes."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine

from api.errors import Conflict, NotFound
from api.irrigation import store
from core.clock import FakeClock
from irrigation import (
    BadPaddy,
    ControlMode,
    Device,
    DeviceKind,
    GateAck,
    GateAction,
    GateCommand,
    GateRole,
    Metric,
    Override,
    Paddy,
    Reading,
)

T0 = datetime(2026, 6, 1, 0, 0, tzinfo=UTC)


def _paddy(paddy_id: str = "P1") -> Paddy:
    return Paddy(
        id=paddy_id,
        farm="tanaka",
        area_m2=3000.0,
        transplanted_on=date(2026, 5, 20),
        variety="コシヒカリ",
        outlet_flow_m3_h=60.0,
    )


def _level(value: float, minutes: int, *, device: str = "lv-1") -> Reading:
    return Reading(
        device_id=device,
        metric=Metric.WATER_LEVEL,
        value=value,
        device_time=T0 + timedelta(minutes=minutes),
        paddy_id="P1",
        farm="tanaka",
    )


@pytest.fixture
def paddy_engine(engine: Engine) -> Engine:
    store.add_paddy(engine, _paddy(), owner="tanaka", clock=FakeClock(T0))
    store.register_device(
        engine,
        Device(
            id="lv-1",
            farm="tanaka",
            kind=DeviceKind.SENSOR,
            paddy_id="P1",
            calibration={Metric.WATER_LEVEL: -0.5},
        ),
    )
    return engine


def test_a_redelivered_reading_is_stored_once(paddy_engine: Engine) -> None:
    batch = [_level(4.0, 0), _level(4.2, 10)]
    first = store.store_readings(paddy_engine, batch, source="mqtt", clock=FakeClock(T0))
    again = store.store_readings(
        paddy_engine, [*batch, _level(4.4, 20)], source="mqtt", clock=FakeClock(T0)
    )
    assert (first.stored, first.duplicates) == (2, 0)
    assert (again.stored, again.duplicates) == (1, 2)
    assert store.count_readings(paddy_engine) == 3


def test_late_and_out_of_order_readings_are_kept_in_device_time_order(
    paddy_engine: Engine,
) -> None:
    store.store_readings(paddy_engine, [_level(5.0, 30)], source="mqtt")
    store.store_readings(paddy_engine, [_level(3.0, 10), _level(4.0, 20)], source="http")
    rows, count = store.readings(paddy_engine, "P1", metric=Metric.WATER_LEVEL)
    assert count == 3
    assert [r.device_time.minute for r in rows] == [10, 20, 30]


def test_readings_of_a_span_can_be_forgotten(paddy_engine: Engine) -> None:
    store.store_readings(paddy_engine, [_level(1.0, m) for m in (0, 10, 20, 30)], source="mqtt")
    gone = store.delete_readings(
        paddy_engine,
        "P1",
        since=T0 + timedelta(minutes=10),
        until=T0 + timedelta(minutes=30),
    )
    assert gone == 2
    rows, _ = store.readings(paddy_engine, "P1")
    assert [r.device_time.minute for r in rows] == [0, 30]


def test_calibration_corrects_the_value_and_keeps_the_raw_one(paddy_engine: Engine) -> None:
    store.store_readings(paddy_engine, [_level(4.0, 0)], source="mqtt")
    rows, _ = store.readings(paddy_engine, "P1")
    assert rows[0].value == pytest.approx(3.5)


def test_an_unregistered_device_is_stored_under_its_topic_and_named(
    paddy_engine: Engine,
) -> None:
    result = store.store_readings(paddy_engine, [_level(2.0, 0, device="new-1")], source="mqtt")
    assert result.unregistered == ("new-1",)
    rows, _ = store.readings(paddy_engine, "P1")
    assert rows[0].device_id == "new-1"
    assert rows[0].value == 2.0


def test_readings_update_the_devices_battery_and_last_seen(paddy_engine: Engine) -> None:
    arrived = T0 + timedelta(minutes=3)
    battery = Reading(
        device_id="lv-1", metric=Metric.BATTERY, value=81.0, device_time=T0, received_at=arrived
    )
    store.store_readings(paddy_engine, [battery], source="lorawan")
    device = store.get_device(paddy_engine, "lv-1")
    assert device.battery_pct == 81.0
    assert device.last_seen_at == arrived
    older = Reading(
        device_id="lv-1",
        metric=Metric.BATTERY,
        value=90.0,
        device_time=T0 - timedelta(hours=1),
        received_at=arrived - timedelta(hours=1),
    )
    store.store_readings(paddy_engine, [older], source="lorawan")
    assert store.get_device(paddy_engine, "lv-1").last_seen_at == arrived


def test_a_device_on_an_unknown_paddy_is_refused(engine: Engine) -> None:
    with pytest.raises(NotFound, match="no paddy P9"):
        store.register_device(
            engine, Device(id="lv-9", farm="x", kind=DeviceKind.SENSOR, paddy_id="P9")
        )


def test_paddy_changes_are_compare_and_set_and_checked(paddy_engine: Engine) -> None:
    current = store.get_paddy(paddy_engine, "P1")
    changed = store.update_paddy(
        paddy_engine,
        "P1",
        {"transplanted_on": "2026-05-25", "calendar": {"deep": {"depth_cm": 6}}},
        expected_version=current.version,
    )
    assert changed.paddy.transplanted_on == date(2026, 5, 25)
    assert changed.calendar == {"deep": {"depth_cm": 6}}
    assert changed.version == current.version + 1
    with pytest.raises(Conflict):
        store.update_paddy(
            paddy_engine, "P1", {"variety": "山田錦"}, expected_version=current.version
        )
    with pytest.raises(BadPaddy, match="outlet crest"):
        store.update_paddy(
            paddy_engine, "P1", {"outlet_crest_cm": 40.0}, expected_version=changed.version
        )
    assert store.get_paddy(paddy_engine, "P1").paddy.outlet_crest_cm == 12.0


def test_the_controllers_memory_is_kept_without_a_new_version(paddy_engine: Engine) -> None:
    before = store.get_paddy(paddy_engine, "P1")
    store.save_control(paddy_engine, "P1", mode=ControlMode.SAFE, control_state={"inlet": "closed"})
    after = store.get_paddy(paddy_engine, "P1")
    assert after.mode is ControlMode.SAFE
    assert after.control_state == {"inlet": "closed"}
    assert after.version == before.version


def test_commands_acks_and_overrides_are_in_the_audit_log(paddy_engine: Engine) -> None:
    command = GateCommand(
        command_id="P1-inlet-20260601T000000",
        paddy_id="P1",
        role=GateRole.INLET,
        action=GateAction.OPEN,
        issued_at=T0,
        reason="3.1 cm under the 5 cm target",
    )
    store.record_command(paddy_engine, command, device_id="gate-1")
    store.record_ack(
        paddy_engine, GateAck(command_id=command.command_id, ok=True, at=T0 + timedelta(seconds=4))
    )
    override = Override(
        paddy_id="P1",
        role=GateRole.INLET,
        action=GateAction.CLOSE,
        until=T0 + timedelta(hours=2),
        by="tanaka",
        reason="cleaning the inlet",
    )
    stored = store.add_override(paddy_engine, override, at=T0 + timedelta(minutes=5))
    assert [o.id for o in store.active_overrides(paddy_engine, "P1", now=T0)] == [stored.id]
    assert store.active_overrides(paddy_engine, "P1", now=T0 + timedelta(hours=3)) == []
    store.cancel_override(paddy_engine, stored.id, by="tanaka", at=T0 + timedelta(minutes=30))
    assert store.active_overrides(paddy_engine, "P1", now=T0 + timedelta(minutes=31)) == []
    events, count = store.list_events(paddy_engine, "P1")
    assert count == 4
    assert [e.kind for e in events] == ["override_end", "override", "ack", "command"]
    assert "cleaning the inlet" in events[1].summary
    with pytest.raises(NotFound):
        store.record_ack(paddy_engine, GateAck(command_id="nothing", ok=True, at=T0))
