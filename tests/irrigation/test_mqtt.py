"""The MQTT edge against real Mosquitto brokers: readings in, gate commands out.

Most tests use the shared broker with a topic prefix of their own; the restart test starts a
private one it can stop. Readings are keyed (device, metric, device time) as the database keys
them: a QoS 1 redelivery is expected and stored once.
"""

import asyncio
import signal
import time
from collections import Counter
from collections.abc import Callable, Coroutine, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from irrigation.errors import GateUnavailable
from irrigation.model import GateAck, GateAction, GateCommand, GateRole, Metric, Reading
from irrigation.mqtt import (
    EdgeState,
    GateBehaviour,
    InProcessGates,
    MqttGates,
    MqttIngestor,
    MqttSettings,
    SimulatedGateDevice,
    clear_session,
    publish_readings,
)
from tests.irrigation.conftest import Broker

T0 = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)
Key = tuple[str, Metric, datetime]


def run(main: Coroutine[Any, Any, None], timeout_s: float = 40.0) -> None:
    asyncio.run(asyncio.wait_for(main, timeout_s))


def sensor_readings(count: int, *, devices: int = 10, farm: str = "kasai") -> list[Reading]:
    """``count`` water levels from ``devices`` sensors in two paddies, one a minute each."""
    return [
        Reading(
            device_id=f"wl-{i % devices}",
            metric=Metric.WATER_LEVEL,
            value=round(3.0 + (i % 40) / 10, 1),
            device_time=T0 + timedelta(minutes=i),
            farm=farm,
            paddy_id=f"p{i % 2}",
        )
        for i in range(count)
    ]


def keys(readings: Sequence[Reading]) -> set[Key]:
    return {(r.device_id, r.metric, r.device_time) for r in readings}


class RecordingSink:
    """Keeps one reading per key, as the database does, and counts what it was handed."""

    def __init__(self, *, delay_s: float = 0.0, failures: int = 0) -> None:
        self.stored: dict[Key, Reading] = {}
        self.handed: Counter[Key] = Counter()
        self.batches = 0
        self._delay_s, self._failures = delay_s, failures

    async def store(self, readings: Sequence[Reading]) -> None:
        if self._failures:
            self._failures -= 1
            raise ConnectionError("database unavailable")
        await asyncio.sleep(self._delay_s)
        self.batches += 1
        for reading in readings:
            key = (reading.device_id, reading.metric, reading.device_time)
            self.handed[key] += 1
            self.stored.setdefault(key, reading)


async def until(condition: Callable[[], bool], timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.01)


def command(command_id: str = "c1", action: GateAction = GateAction.OPEN) -> GateCommand:
    return GateCommand(
        command_id=command_id,
        paddy_id="p1",
        role=GateRole.INLET,
        action=action,
        issued_at=datetime.now(UTC),
        reason="below the band",
        opening_pct=60.0,
    )


def test_readings_published_at_qos1_are_stored_once_each(shared_settings: MqttSettings) -> None:
    published = sensor_readings(400)
    sink, states = RecordingSink(), list[EdgeState]()

    async def main() -> None:
        async with MqttIngestor(shared_settings, sink) as ingestor:
            await ingestor.wait_connected()
            states.append(ingestor.state)
            assert await publish_readings(shared_settings, published) == 400
            await until(lambda: len(sink.stored) == 400)
            await asyncio.sleep(0.2)
        await clear_session(shared_settings, client_id=ingestor.client_id)
        states.append(ingestor.state)

    run(main())
    assert states == [EdgeState.CONNECTED, EdgeState.STOPPED]
    assert set(sink.stored) == keys(published)
    assert set(sink.handed.values()) == {1}
    first = sink.stored[("wl-0", Metric.WATER_LEVEL, T0)]
    assert (first.farm, first.paddy_id, first.value) == ("kasai", "p0", 3.0)
    assert first.received_at is not None
    assert first.received_at > first.device_time


def test_readings_published_while_the_ingestor_is_away_arrive_when_it_returns(
    shared_settings: MqttSettings,
) -> None:
    early, late = sensor_readings(300)[:100], sensor_readings(300)[100:]
    sink = RecordingSink()

    async def main() -> None:
        async with MqttIngestor(shared_settings, sink) as ingestor:
            await ingestor.wait_connected()
            await publish_readings(shared_settings, early)
            await until(lambda: len(sink.stored) == 100)
        await publish_readings(shared_settings, late)  # nobody is listening now
        await asyncio.sleep(0.2)
        assert len(sink.stored) == 100
        async with MqttIngestor(shared_settings, sink) as ingestor:
            await until(lambda: len(sink.stored) == 300)
        await clear_session(shared_settings, client_id=ingestor.client_id)

    run(main())
    assert set(sink.stored) == keys(early + late)


def test_a_bad_message_is_reported_once_and_the_stream_goes_on(
    shared_settings: MqttSettings,
) -> None:
    sink, errors = RecordingSink(), list[str]()
    prefix = shared_settings.topic_prefix
    good = sensor_readings(2)

    async def main() -> None:
        import aiomqtt

        async with MqttIngestor(shared_settings, sink, on_error=errors.append) as ingestor:
            await ingestor.wait_connected()
            await publish_readings(shared_settings, good[:1])
            async with aiomqtt.Client("127.0.0.1", shared_settings.port) as device:
                await device.publish(f"{prefix}/kasai/p0/wl-0/water_level", b"4.2 cm", qos=1)
                await device.publish(f"{prefix}/kasai/p0/wl-0/salinity", b"{}", qos=1)
                await device.publish(f"{prefix}/kasai/p0/g-1/cmd", b"{}", qos=1)
            await publish_readings(shared_settings, good[1:])
            await until(lambda: len(sink.stored) == 2)
            await asyncio.sleep(0.2)
        async with MqttIngestor(shared_settings, sink, on_error=errors.append) as ingestor:
            await ingestor.wait_connected()
            await asyncio.sleep(0.3)  # a message never acknowledged would come back now
        await clear_session(shared_settings, client_id=ingestor.client_id)

    run(main())
    assert set(sink.stored) == keys(good)
    assert len(errors) == 2, errors
    assert errors[0].startswith(f"{prefix}/kasai/p0/wl-0/water_level: payload is not JSON")
    assert "unknown metric 'salinity'" in errors[1]


def test_a_batch_the_sink_could_not_store_is_delivered_again(shared_settings: MqttSettings) -> None:
    published = sensor_readings(50)
    sink, errors = RecordingSink(failures=2), list[str]()

    async def main() -> None:
        async with MqttIngestor(shared_settings, sink, on_error=errors.append) as ingestor:
            await ingestor.wait_connected()
            await publish_readings(shared_settings, published)
            await until(lambda: len(sink.stored) == 50)
            assert ingestor.stats().connections == 3
        await clear_session(shared_settings, client_id=ingestor.client_id)

    run(main())
    assert set(sink.stored) == keys(published)
    assert len(errors) == 2
    assert "database unavailable" in errors[0]


def test_a_broker_restart_mid_stream_loses_no_qos1_reading(private_broker: Broker) -> None:
    """2,000 readings stream in while the broker is stopped (SIGTERM) and started again."""
    settings = private_broker.settings(timeout_s=2.0)
    published = sensor_readings(2000, devices=25)
    sink = RecordingSink(delay_s=0.002)  # some readings are always in flight, unacknowledged
    chunks = [published[i : i + 50] for i in range(0, 2000, 50)]

    async def stream() -> None:
        for chunk in chunks:
            await publish_readings(settings, chunk)
            await asyncio.sleep(0.01)

    async def restart_midway() -> None:
        await until(lambda: len(sink.stored) >= 600)
        await asyncio.to_thread(private_broker.stop, signal.SIGTERM)
        stored_at_stop = len(sink.stored)
        await asyncio.sleep(0.3)
        await asyncio.to_thread(private_broker.start)
        assert stored_at_stop < 2000, "the stream ended before the broker went down"

    async def main() -> None:
        async with MqttIngestor(settings, sink, batch_size=100) as ingestor:
            await ingestor.wait_connected()
            started = time.perf_counter()
            async with asyncio.TaskGroup() as group:
                group.create_task(stream())
                group.create_task(restart_midway())
            await until(lambda: len(sink.stored) == 2000, timeout_s=20.0)
            elapsed = time.perf_counter() - started
            assert ingestor.stats().connections == 2
        print(f"\n2000 readings through a broker restart in {elapsed:.2f} s")

    run(main())
    assert set(sink.stored) == keys(published)
    assert "Saving in-memory database" in private_broker.log


def test_after_a_broker_crash_the_ingestor_subscribes_again(private_broker: Broker) -> None:
    """SIGKILL skips Mosquitto's save: sessions since the last autosave are gone."""
    settings = private_broker.settings(timeout_s=2.0)
    before, after = sensor_readings(200)[:100], sensor_readings(200)[100:]
    sink = RecordingSink()

    async def main() -> None:
        async with MqttIngestor(settings, sink) as ingestor:
            await ingestor.wait_connected()
            await publish_readings(settings, before)
            await until(lambda: len(sink.stored) == 100)
            await asyncio.to_thread(private_broker.kill)
            await asyncio.to_thread(private_broker.start)
            await until(lambda: ingestor.stats().connections == 2)
            await publish_readings(settings, after)
            await until(lambda: len(sink.stored) == 200)

    run(main())
    assert set(sink.stored) == keys(before + after)


def test_a_gate_command_comes_back_acknowledged(shared_settings: MqttSettings) -> None:
    async def main() -> None:
        gate = SimulatedGateDevice(shared_settings, farm="kasai", paddy_id="p1", device_id="g-in")
        async with gate, MqttGates(shared_settings, ack_timeout_s=5.0) as gates:
            await gate.wait_connected()
            ack = await gates.send(command("c1"), farm="kasai", device="g-in")
            assert ack.ok
            assert ack.command_id == "c1"
            assert gate.opening_pct == 60.0
            assert [c.command_id for c in gate.commands] == ["c1"]
            closed = await gates.send(command("c2", GateAction.CLOSE), farm="kasai", device="g-in")
            assert closed.ok
            assert gate.opening_pct == 0.0
            assert gates.pending() == []
        await clear_session(shared_settings, client_id=gate.client_id)
        await clear_session(shared_settings, client_id=gates.client_id)

    run(main())


def test_a_refusing_gate_answers_not_ok(shared_settings: MqttSettings) -> None:
    async def main() -> None:
        gate = SimulatedGateDevice(
            shared_settings,
            farm="kasai",
            paddy_id="p1",
            device_id="g-out",
            role=GateRole.OUTLET,
            behaviour=GateBehaviour.REFUSE,
        )
        async with gate, MqttGates(shared_settings, ack_timeout_s=5.0) as gates:
            await gate.wait_connected()
            ack = await gates.send(command(), farm="kasai", device="g-out")
        assert not ack.ok
        assert ack.detail == "motor fault"
        assert gate.opening_pct == 0.0
        await clear_session(shared_settings, client_id=gate.client_id)
        await clear_session(shared_settings, client_id=gates.client_id)

    run(main())


def test_a_silent_gate_is_unavailable_after_the_timeout(shared_settings: MqttSettings) -> None:
    async def main() -> None:
        gate = SimulatedGateDevice(
            shared_settings,
            farm="kasai",
            paddy_id="p1",
            device_id="g-mute",
            behaviour=GateBehaviour.SILENT,
        )
        async with gate, MqttGates(shared_settings, ack_timeout_s=0.5) as gates:
            await gate.wait_connected()
            started = time.monotonic()
            with pytest.raises(GateUnavailable, match=r"did not answer command c1 within 0\.5 s"):
                await gates.send(command("c1"), farm="kasai", device="g-mute")
            assert 0.5 <= time.monotonic() - started < 2.0
            await until(lambda: len(gate.commands) == 1)  # it heard, and kept quiet
            assert gates.pending() == []
        await clear_session(shared_settings, client_id=gate.client_id)
        await clear_session(shared_settings, client_id=gates.client_id)

    run(main())


def test_a_controller_tick_posts_without_waiting_and_hears_the_ack_later(
    shared_settings: MqttSettings,
) -> None:
    heard: list[GateAck] = []

    async def main() -> None:
        gate = SimulatedGateDevice(
            shared_settings, farm="kasai", paddy_id="p1", device_id="g-slow", delay_s=0.3
        )
        mute = SimulatedGateDevice(
            shared_settings,
            farm="kasai",
            paddy_id="p1",
            device_id="g-mute",
            behaviour=GateBehaviour.SILENT,
        )
        gates = MqttGates(shared_settings, ack_timeout_s=1.0, on_ack=heard.append)
        async with gate, mute, gates:
            await gate.wait_connected()
            await mute.wait_connected()
            posted = await gates.post(command("c1"), farm="kasai", device="g-slow")
            await gates.post(command("c2"), farm="kasai", device="g-mute")
            assert [p.command.command_id for p in gates.pending()] == ["c1", "c2"]
            assert heard == []
            await until(lambda: len(heard) == 1)
            assert heard[0].command_id == "c1"
            assert heard[0].ok
            assert [p.command.command_id for p in gates.pending()] == ["c2"]
            assert gates.expire(posted.sent_at) == []
            expired = gates.expire(posted.deadline + timedelta(seconds=1))
            assert [p.command.command_id for p in expired] == ["c2"]
            assert gates.pending() == []
        for session in (gate, mute, gates):
            await clear_session(shared_settings, client_id=session.client_id)

    run(main())


def test_gates_without_a_broker_are_unavailable(private_broker: Broker) -> None:
    settings = private_broker.settings(timeout_s=0.5)
    private_broker.kill()

    async def main() -> None:
        async with MqttGates(settings) as gates:
            with pytest.raises(GateUnavailable, match="no connection to the MQTT broker"):
                await gates.send(command(), farm="kasai", device="g-in")
            assert gates.state in (EdgeState.CONNECTING, EdgeState.RECONNECTING)

    run(main())


def test_in_process_gates_answer_at_once_except_silent_ones() -> None:
    gates = InProcessGates(silent=["g-mute"])

    async def main() -> None:
        ack = await gates.send(command("c1"), farm="kasai", device="g-in")
        assert ack.ok
        assert ack.command_id == "c1"
        with pytest.raises(GateUnavailable):
            await gates.send(command("c2"), farm="kasai", device="g-mute")

    run(main())
    assert gates.openings_pct == {("kasai", "p1", "g-in"): 60.0}


@pytest.mark.parametrize(
    ("field", "value"),
    [("qos", 3), ("reconnect_min_s", 0.0), ("topic_prefix", "a/+"), ("topic_prefix", "a//b")],
)
def test_settings_refuse_what_cannot_work(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=r"MQTT QoS|backoff|prefix"):
        MqttSettings(**{field: value})  # type: ignore[arg-type]
