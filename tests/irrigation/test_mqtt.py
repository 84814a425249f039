"""The MQTT edge against real Mosquitto brokers: readings in, through outages and restarts.

Most tests use the shared broker with a topic prefix of their own; the restart test starts a
private one it can stop. Readings are keyed (device, metric, device time) as the database keys
them: a QoS 1 redelivery is expected and stored once.
"""

import asyncio
import signal
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from irrigation.model import Metric, Reading
from irrigation.mqtt import EdgeState, MqttIngestor, MqttSettings, clear_session, publish_readings
from tests.irrigation.conftest import Broker, run, until

T0 = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)
Key = tuple[str, Metric, datetime]


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


def test_readings_published_at_qos1_are_stored_once_each(shared_settings: MqttSettings) -> None:
    published = sensor_readings(400)
    sink, states = RecordingSink(), list[EdgeState]()

    async def main() -> None:
        async with MqttIngestor(shared_settings, sink) as ingestor:
            await ingestor.wait_connected()
            states.append(ingestor.state)
            assert await publish_readings(shared_settings, published) == 400
            await until(lambda: len(sink.stored) == 400)
            await until(lambda: ingestor.stats().messages == 400)  # every batch acknowledged
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
    good, marker = sensor_readings(3)[:2], sensor_readings(3)[2:]

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
            await until(lambda: ingestor.stats().messages == 5)  # all five acknowledged
            first_errors.extend(errors)
        async with MqttIngestor(shared_settings, sink, on_error=errors.append) as ingestor:
            await ingestor.wait_connected()
            await publish_readings(shared_settings, marker)
            await until(lambda: len(sink.stored) == 3)
            # At least once: a PUBACK still on its way when the first session stopped lets
            # the broker send that message again; nothing else of the first session comes.
            assert 1 <= ingestor.stats().messages <= 1 + 5
        await clear_session(shared_settings, client_id=ingestor.client_id)

    first_errors: list[str] = []
    run(main())
    assert set(sink.stored) == keys(good + marker)  # each reading stored once, however sent
    assert len(first_errors) == 2, first_errors  # each bad message reported once
    assert first_errors[0].startswith(f"{prefix}/kasai/p0/wl-0/water_level: payload is not JSON")
    assert "unknown metric 'salinity'" in first_errors[1]
    assert set(errors) == set(first_errors)  # a redelivered bad message says the same


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


@pytest.mark.parametrize(
    ("field", "value"),
    [("qos", 3), ("reconnect_min_s", 0.0), ("topic_prefix", "a/+"), ("topic_prefix", "a//b")],
)
def test_settings_refuse_what_cannot_work(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=r"MQTT QoS|backoff|prefix"):
        MqttSettings(**{field: value})  # type: ignore[arg-type]
