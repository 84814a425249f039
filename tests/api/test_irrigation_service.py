"""Paddy water as a running service over the real broker: a sensor publishes over MQTT,
the reading is stored, the controller opens the inlet through a gate on the broker, and
the gate's acknowledgement is kept in the audit log — on SQLite and PostgreSQL."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from api.config import load_settings
from api.irrigation import store
from api.irrigation.running import PaddyWaterService
from irrigation import Device, DeviceKind, GateRole, Metric, Paddy, Reading
from irrigation.calendar import JST
from irrigation.gates_mqtt import SimulatedGateDevice
from irrigation.mqtt import publish_readings


def _settings(tmp_path, database_url: str):  # type: ignore[no-untyped-def]
    tag = uuid.uuid4().hex[:10]
    return load_settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        mqtt_url="mqtt://127.0.0.1:1883",
        mqtt_client_id=f"svc{tag}",
        mqtt_topic_prefix=f"test-{tag}/tanbo",
        mqtt_session_expiry_s=30,
        irrigation_tick_s=0.5,
    )


def test_a_reading_over_mqtt_opens_the_inlet_through_a_gate_on_the_broker(
    engine: Engine, database_url: str, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    settings = _settings(tmp_path, database_url)
    mqtt = settings.mqtt_settings()
    assert mqtt is not None
    today = datetime.now(JST).date()
    paddy = Paddy(id="P1", farm="kasai", area_m2=2000.0, transplanted_on=today - timedelta(days=3))
    store.add_paddy(engine, paddy, owner="tanaka")
    store.register_device(
        engine, Device(id="lv-1", farm="kasai", kind=DeviceKind.SENSOR, paddy_id="P1")
    )
    store.register_device(
        engine,
        Device(id="in-1", farm="kasai", kind=DeviceKind.GATE, paddy_id="P1", role=GateRole.INLET),
    )
    gate = SimulatedGateDevice(
        mqtt, farm="kasai", paddy_id="P1", device_id="in-1", role=GateRole.INLET
    )
    service = PaddyWaterService(engine=engine, settings=settings)

    async def scenario() -> None:
        stop = asyncio.Event()
        async with gate:
            await gate.wait_connected(10.0)
            running = asyncio.create_task(service.run(stop=stop))
            # Publish until the service has heard (its session exists only once it has
            # connected): each reading a new one, 1 s apart, for at most 60 s.
            for _ in range(60):
                low = Reading(
                    device_id="lv-1",
                    metric=Metric.WATER_LEVEL,
                    value=2.0,
                    device_time=datetime.now(UTC),
                    farm="kasai",
                    paddy_id="P1",
                )
                assert await publish_readings(mqtt, [low]) == 1
                for _ in range(10):
                    if gate.opening_pct > 0 and store.list_events(engine, "P1", kind="ack")[1]:
                        break
                    await asyncio.sleep(0.1)
                else:
                    continue
                break
            stop.set()
            await asyncio.wait_for(running, timeout=30)

    asyncio.run(scenario())
    readings, count = store.readings(engine, "P1")
    assert count >= 1
    assert {r.value for r in readings} == {2.0}
    assert gate.opening_pct == 100.0
    commands, _ = store.list_events(engine, "P1", kind="command")
    acks, _ = store.list_events(engine, "P1", kind="ack")
    assert commands[0].summary.startswith("inlet open")  # newest first
    assert commands[-1].summary.startswith("inlet close")  # the start makes sure of it
    assert acks[0].by == "in-1"
    assert acks[0].details["ok"] is True
    assert service.reports
    assert all(not r.failed for r in service.reports)


def test_a_bad_broker_url_is_named(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = load_settings(data_dir=tmp_path, mqtt_url="http://example")
    with pytest.raises(Exception, match="mqtt_url"):
        settings.mqtt_settings()
