"""The payload's temperature log on a real database, heard from the real Mosquitto broker at
127.0.0.1:1883: readings stored once whatever MQTT repeats, one notice per excursion, and a
listener that bad messages do not stop. Each test has its own topic prefix and client ids."""

import json
from collections.abc import Sequence
from datetime import timedelta
from zoneinfo import ZoneInfo

import aiomqtt
import pytest

from api.errors import NotFound
from api.logistics.records import StoredDelivery
from api.logistics.temperature import (
    PayloadSensorListener,
    record_readings,
    temperature_log,
    temperature_notice,
    temperature_summary,
    temperature_topic,
)
from api.scheduling.notify import RecordingNotifier
from irrigation.mqtt import EdgeState, MqttSettings, clear_session
from logistics import Delivery, DeliveryRequest, Item, Recipient, TemperatureClass
from logistics.cold_chain import ColdChainVerdict, Excursion, TemperatureReading
from tests.api.logistics.conftest import START, World
from tests.irrigation.conftest import run, shared_settings, until  # noqa: F401 (fixture)

Message = tuple[str, bytes]


def _cool_delivery(world: World) -> StoredDelivery:
    request = DeliveryRequest(
        id=world.service.new_id(), pharmacy_id=world.pharmacy,
        items=(Item(name="インスリン", weight_kg=0.3, size_cm=(20, 10, 5),
                    temperature=TemperatureClass.COOL),),
        recipient=Recipient(resident_id=world.residents["CLINIC-N"]), drop_point_id="CLINIC-N",
        requested_at=world.clock.now(),
    )  # fmt: skip
    return world.service.request(request, idempotency_key=None)[0]


def _reading(minute: float, temperature_c: float) -> dict[str, object]:
    return {"at": (START + timedelta(minutes=minute)).isoformat(), "temperature_c": temperature_c}


def _json(body: object) -> bytes:
    return json.dumps(body).encode()


async def _publish(settings: MqttSettings, messages: Sequence[Message]) -> None:
    """Publish as a payload sensor would: QoS 1, each acknowledged by the broker."""
    async with aiomqtt.Client(
        settings.host, settings.port, identifier=f"{settings.client_id}-sensor",
        protocol=aiomqtt.ProtocolVersion.V5,
    ) as sensor:  # fmt: skip
        for topic, payload in messages:
            await sensor.publish(topic, payload, qos=1)


def _listen(
    settings: MqttSettings, world: World, messages: Sequence[Message], notifier: RecordingNotifier
) -> tuple[PayloadSensorListener, list[EdgeState]]:
    """Run a listener, publish ``messages``, wait (bounded) until it has handled each."""
    listener = PayloadSensorListener(
        settings, world.service.engine, clock=world.clock, notifier=notifier
    )
    states: list[EdgeState] = []

    async def main() -> None:
        async with listener:
            await listener.wait_connected()
            await _publish(settings, messages)
            await until(lambda: listener.stats().messages == len(messages))
            states.append(listener.state)
        await clear_session(settings, client_id=listener.client_id)

    run(main())
    return listener, states


def _stored(temperature: TemperatureClass, *names: str) -> StoredDelivery:
    request = DeliveryRequest(
        id="1a2b3c4d-5e6f", pharmacy_id="pharmacy-1", requested_at=START,
        items=tuple(Item(name=n, weight_kg=0.2, size_cm=(20, 10, 5), temperature=temperature)
                    for n in names),
        recipient=Recipient(resident_id="r-1"), drop_point_id="CLINIC-N",
    )  # fmt: skip
    return StoredDelivery(request=request, version=1,
                          lifecycle=Delivery.new(request.id, at=START, by="pharmacy"))  # fmt: skip


@pytest.mark.parametrize(
    ("delivery", "excursion", "ja", "en"),
    [
        (_stored(TemperatureClass.COOL, "インスリン"),
         Excursion(start=START + timedelta(minutes=30), end=START + timedelta(minutes=35),
                   worst_c=10.0, minutes=5.0),
         "インスリン（配送 1a2b3c4d、北の診療所行き）が保管温度 2〜8℃ を外れました。"
         "09:30 から 5 分間、最も外れて 10.0℃。",
         "The parcel of delivery 1a2b3c4d (インスリン) to 北の診療所 left its 2–8 °C range: "
         "5 min from 09:30 JST, at worst 10.0 °C."),
        (_stored(TemperatureClass.FROZEN, "冷凍うどん", "アイス"),
         Excursion(start=START + timedelta(hours=3), end=START + timedelta(hours=3, seconds=150),
                   worst_c=-9.96, minutes=2.5, ongoing=True),
         "冷凍うどん、アイス（配送 1a2b3c4d、北の診療所行き）が保管温度 -15℃以下 を外れました。"
         "12:00 から 2.5 分間、最も外れて -10.0℃。最後の計測でもまだ範囲外です。",
         "The parcel of delivery 1a2b3c4d (冷凍うどん, アイス) to 北の診療所 left its -15 °C or "
         "colder range: 2.5 min from 12:00 JST, at worst -10.0 °C. It was still out at the last "
         "reading."),
    ],
)  # fmt: skip
def test_the_pharmacy_is_told_what_how_far_out_and_how_long_in_japanese_and_english(
    delivery: StoredDelivery, excursion: Excursion, ja: str, en: str
) -> None:
    notice = temperature_notice(delivery, excursion, drop_name="北の診療所")
    assert (notice.recipient, notice.kind, notice.mission_id) == (
        "pharmacy-1", "delivery_temperature", None)  # fmt: skip
    assert (notice.text_ja, notice.text_en) == (ja, en)


def test_the_topic_is_the_delivery_s_under_the_prefix() -> None:
    assert temperature_topic("tanbo") == "tanbo/deliveries/+/temperature"
    assert temperature_topic("tanbo", "d-1") == "tanbo/deliveries/d-1/temperature"


def test_readings_over_mqtt_are_stored_once_and_one_excursion_tells_the_pharmacy_once(
    world: World,
    shared_settings: MqttSettings,  # noqa: F811
) -> None:
    delivery = _cool_delivery(world)
    world.clock.advance(40 * 60)
    topic = temperature_topic(shared_settings.topic_prefix, delivery.id)
    first_half_hour = _json([_reading(m, 5.0) for m in range(30)])  # a sensor's backlog
    warm = [(topic, _json(_reading(m, 10.0))) for m in range(30, 35)]  # one a minute
    messages = [
        (topic, first_half_hour),
        *warm,
        (topic, _json(_reading(35, 5.0))),
        (topic, first_half_hour),  # the backlog again: MQTT delivers at least once
    ]

    notifier = RecordingNotifier()
    listener, states = _listen(shared_settings, world, messages, notifier)

    log = temperature_log(world.service.engine, delivery.id)
    assert [(r.at, r.temperature_c) for r in log] == [
        (START + timedelta(minutes=m), 10.0 if 30 <= m < 35 else 5.0) for m in range(36)
    ]
    stats = listener.stats()
    assert (stats.stored, stats.duplicates, stats.malformed, stats.unknown) == (36, 30, 0, 0)
    assert stats.alerts == 1
    [notice] = notifier.notices  # five warm readings, one excursion, one notice
    assert (notice.recipient, notice.kind) == (world.pharmacy, "delivery_temperature")
    # Told when the spell passed the 2 min tolerance (the fourth warm reading), still warm.
    assert notice.text_en == (
        f"The parcel of delivery {delivery.id[:8]} (インスリン) to 北の診療所 (clinic, "
        "generated) left its 2–8 °C range: 3 min from 09:30 JST, at worst 10.0 °C. "
        "It was still out at the last reading."
    )
    assert "2〜8℃" in notice.text_ja
    assert "09:30 から 3 分間" in notice.text_ja
    summary = temperature_summary(world.service.engine, delivery.id)
    assert summary.verdict is ColdChainVerdict.EXCURSION
    [excursion] = summary.excursions
    assert (excursion.start, excursion.minutes, excursion.worst_c, excursion.ongoing) == (
        START + timedelta(minutes=30), 5.0, 10.0, False)  # fmt: skip
    assert states == [EdgeState.CONNECTED]


def test_readings_out_of_order_and_a_late_one_splitting_the_excursion_tell_it_once(
    world: World,
    shared_settings: MqttSettings,  # noqa: F811
) -> None:
    delivery = _cool_delivery(world)
    world.clock.advance(40 * 60)
    topic = temperature_topic(shared_settings.topic_prefix, delivery.id)
    messages = [
        (topic, _json([_reading(m, 5.0) for m in range(30)])),
        *((topic, _json(_reading(m, 10.0))) for m in (34, 33, 32, 31, 30)),  # told at 31
        (topic, _json(_reading(35, 5.0))),
        (topic, _json(_reading(32.5, 6.0))),  # late: splits 30–35 in two
    ]

    notifier = RecordingNotifier()
    listener, _ = _listen(shared_settings, world, messages, notifier)

    assert len(notifier.notices) == listener.stats().alerts == 1
    summary = temperature_summary(world.service.engine, delivery.id)
    [excursion] = summary.excursions  # 33–35 is 2 min: within the tolerance
    assert (excursion.start, excursion.minutes) == (START + timedelta(minutes=30), 2.5)
    assert summary.out_of_range_s == 150.0 + 120.0


def test_bad_messages_and_unknown_deliveries_are_counted_and_the_listener_goes_on(
    world: World,
    shared_settings: MqttSettings,  # noqa: F811
) -> None:
    delivery = _cool_delivery(world)
    world.clock.advance(10 * 60)
    topic = temperature_topic(shared_settings.topic_prefix, delivery.id)
    stranger = temperature_topic(shared_settings.topic_prefix, "no-such-delivery")
    messages = [
        (topic, b"not json"),
        (topic, b'"5.2"'),
        (topic, b'{"at": "2026-06-01T00:00:00", "temperature_c": 5.0}'),  # no zone
        (topic, b'{"at": "2026-06-01T00:01:00Z", "temperature_c": NaN}'),
        (topic, _json([_reading(2, 5.0), {"at": "yesterday", "temperature_c": 5.0}])),
        (topic, _json(_reading(60, 5.0))),  # 50 min ahead of the clock
        (stranger, _json(_reading(3, 5.0))),
        (topic, _json(_reading(4, 5.5))),
    ]

    notifier = RecordingNotifier()
    listener, states = _listen(shared_settings, world, messages, notifier)

    log = temperature_log(world.service.engine, delivery.id)
    assert [(r.at, r.temperature_c) for r in log] == [
        (START + timedelta(minutes=2), 5.0), (START + timedelta(minutes=4), 5.5)]  # fmt: skip
    stats = listener.stats()
    assert (stats.malformed, stats.unknown, stats.stored, stats.alerts) == (6, 1, 2, 0)
    assert notifier.notices == []
    assert (states, stats.connections) == ([EdgeState.CONNECTED], 1)  # never dropped


def test_recording_the_same_readings_again_stores_nothing(stored_world: World) -> None:
    world = stored_world
    engine, delivery = world.service.engine, _cool_delivery(world)
    readings = [TemperatureReading(at=START + timedelta(minutes=m), temperature_c=5.0 + m)
                for m in range(3)]  # fmt: skip
    assert record_readings(engine, delivery.id, readings, "mqtt") == 3
    assert record_readings(engine, delivery.id, reversed(readings), "mqtt") == 0
    in_japan = [TemperatureReading(at=r.at.astimezone(ZoneInfo("Asia/Tokyo")), temperature_c=0.0)
                for r in readings]  # fmt: skip
    assert record_readings(engine, delivery.id, in_japan, "mqtt") == 0  # same instants
    assert record_readings(engine, delivery.id, in_japan[:1], "vehicle:SIM-DELIVERY-1") == 1
    # Two sources at one instant: the log keeps the reading farther out of range.
    assert [r.temperature_c for r in temperature_log(engine, delivery.id)] == [0.0, 6.0, 7.0]
    assert temperature_summary(engine, delivery.id).verdict is ColdChainVerdict.IN_RANGE  # 0 s out


def test_a_delivery_without_readings_has_no_verdict_and_a_stranger_has_no_log(
    world: World,
) -> None:
    engine, delivery = world.service.engine, _cool_delivery(world)
    assert temperature_log(engine, delivery.id) == ()
    assert temperature_summary(engine, delivery.id).verdict is ColdChainVerdict.NO_READINGS
    reading = TemperatureReading(at=START, temperature_c=5.0)
    for attempt in (
        lambda: record_readings(engine, "no-such-delivery", [reading], "mqtt"),
        lambda: temperature_log(engine, "no-such-delivery"),
        lambda: temperature_summary(engine, "no-such-delivery"),
    ):
        with pytest.raises(NotFound, match="no delivery no-such-delivery"):
            attempt()
