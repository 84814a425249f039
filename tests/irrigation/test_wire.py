"""Topics and payloads of paddy devices, parsed and formatted (pure, no broker)."""

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from irrigation.errors import BadReading
from irrigation.model import (
    METRIC_RANGES,
    GateAck,
    GateAction,
    GateCommand,
    GateRole,
    Metric,
    Reading,
)
from irrigation.wire import (
    GateChannel,
    TopicParts,
    format_gate_ack,
    format_gate_command,
    format_readings,
    parse_gate_ack,
    parse_gate_command,
    parse_readings,
    parse_time,
    parse_topic,
)

ARRIVED = datetime(2026, 6, 1, 3, 0, 5, tzinfo=UTC)
MEASURED = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)
LEVEL = "tanbo/kasai/p7/wl-1/water_level"


def read(payload: object, topic: str = LEVEL) -> list[Reading]:
    return parse_readings(topic, json.dumps(payload), received_at=ARRIVED)


@pytest.mark.parametrize(
    "payload",
    [
        {"value": 4.2, "time": "2026-06-01T03:00:00Z"},
        {"v": 4.2, "t": "2026-06-01T12:00:00+09:00"},
        {"value": 4.2, "time": 1780282800},
        {"value": 4.2, "ts": 1780282800000},
        {"value": "4.2", "timestamp": "2026-06-01T03:00:00.000+00:00"},
        {"value": 42, "time": "2026-06-01T03:00:00Z", "unit": "mm"},
        {"value": 4.2, "time": "2026-06-01T03:00:00Z", "unit": "cm"},
    ],
)
def test_common_payload_variants_read_alike(payload: dict[str, object]) -> None:
    [reading] = read(payload)
    assert reading.value == pytest.approx(4.2)
    assert reading == Reading(
        device_id="wl-1",
        metric=Metric.WATER_LEVEL,
        value=reading.value,
        device_time=MEASURED,
        received_at=ARRIVED,
        farm="kasai",
        paddy_id="p7",
    )


def test_a_battery_level_rides_along_as_its_own_reading() -> None:
    level, battery = read({"v": 4.2, "t": 1780282800, "battery": 76})
    assert (level.metric, battery.metric, battery.value) == (Metric.WATER_LEVEL, Metric.BATTERY, 76)
    assert battery.device_time == level.device_time == MEASURED


def test_a_batch_keeps_each_readings_own_time_late_and_out_of_order() -> None:
    batch = [{"v": 4.0, "t": 1780279200}, {"v": 3.9, "t": 1780275600}, {"v": 4.1, "t": 1780282800}]
    readings = read(batch)
    assert [r.value for r in readings] == [4.0, 3.9, 4.1]
    assert [r.device_time.hour for r in readings] == [2, 1, 3]
    assert {r.received_at for r in readings} == {ARRIVED}


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        ({"value": 4.2, "time": "2026-06-01T03:00:00"}, "has no time zone"),
        ({"value": 4.2}, "no device time"),
        ({"time": 1780282800}, "no value"),
        ({"value": True, "time": 1780282800}, "is not a finite number"),
        ({"value": "deep", "time": 1780282800}, "is not a number"),
        ({"value": 4.2, "time": 0}, "is not an epoch time"),
        ({"value": 4.2, "time": "2026-13-01T00:00:00Z"}, "is not ISO 8601"),
        ({"value": 4.2, "time": 946684799}, "before 2000: the clock was not set"),
        ({"value": 4.2, "time": "2026-06-01T05:00:06Z"}, "ahead of arrival"),
        ({"value": 4.2, "time": 1780282800, "unit": "inch"}, "unit 'inch' is not 'cm'"),
        ({"value": 4.2, "time": 1780282800, "unit": ["cm"]}, "unit ['cm'] is not 'cm'"),
        ({"value": 400, "time": 1780282800}, "is outside -50…100"),
        ([], "a batch holds 1-1000 readings, not 0"),
        ([{"v": 4.2, "t": 1780282800}, {"v": 4.2}], "water_level item 1: no device time"),
        (4.2, "expected an object"),
    ],
)
def test_unreadable_payloads_are_refused_naming_topic_and_problem(
    payload: object, problem: str
) -> None:
    with pytest.raises(BadReading, match=LEVEL) as refused:
        read(payload)
    assert problem in str(refused.value)


@pytest.mark.parametrize(
    ("payload", "problem"),
    [(b"4.2", "expected an object"), (b"{", "not JSON"), (b'{"v": NaN, "t": 1}', "not JSON")],
)
def test_payloads_that_are_not_json_objects_are_refused(payload: bytes, problem: str) -> None:
    with pytest.raises(BadReading, match=problem):
        parse_readings(LEVEL, payload, received_at=ARRIVED)


@pytest.mark.parametrize(
    ("topic", "problem"),
    [
        ("other/kasai/p7/wl-1/water_level", "does not start with 'tanbo/'"),
        ("tanbo/kasai/p7/water_level", "expected tanbo/<farm>/<paddy>/<device>/<metric>"),
        ("tanbo/kasai/p7/wl-1/water_level/x", "expected tanbo/"),
        ("tanbo/kasai/p7/wl-1/salinity", "unknown metric 'salinity'"),
        ("tanbo/kasai//wl-1/water_level", "paddy '' must be"),
        ("tanbo/kasai/p 7/wl-1/water_level", "paddy 'p 7' must be"),
        ("tanbo/kasai/p7/g-1/cmd", "a gate's cmd topic carries no readings"),
    ],
)
def test_bad_topics_are_refused(topic: str, problem: str) -> None:
    with pytest.raises(BadReading, match=problem):
        parse_readings(topic, b'{"v": 4.2, "t": 1780282800}', received_at=ARRIVED)


def test_time_parsing_normalises_to_utc() -> None:
    jst = timezone(timedelta(hours=9))
    assert parse_time("2026-06-01T12:00:00+09:00") == datetime(2026, 6, 1, 12, tzinfo=jst)
    assert parse_time("2026-06-01T12:00:00+09:00").tzinfo is UTC
    assert parse_time(1780282800.5) == MEASURED + timedelta(seconds=0.5)
    assert parse_time("2020-02-12T15:15:46.014773143Z").microsecond == 14773


segments = st.from_regex(r"[A-Za-z0-9_.:@\-]{1,64}", fullmatch=True) | st.sampled_from(
    ["田んぼ7", "水位計-01", "eui-70b3d57ed005a1f2"]
)
leaves = st.sampled_from([*Metric, *GateChannel])
prefixes = st.sampled_from(["tanbo", "test-1/tanbo", "a/b/c"])


@given(farm=segments, paddy=segments, device=segments, leaf=leaves, prefix=prefixes)
def test_topics_round_trip(farm: str, paddy: str, device: str, leaf: object, prefix: str) -> None:
    parts = TopicParts(farm=farm, paddy_id=paddy, device_id=device, leaf=leaf)  # type: ignore[arg-type]
    assert parse_topic(parts.topic(prefix), prefix=prefix) == parts


times = st.datetimes(
    min_value=datetime(2000, 1, 2), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


@st.composite
def readings(draw: st.DrawFn) -> list[Reading]:
    metric = draw(st.sampled_from(list(Metric)))
    low, high = METRIC_RANGES[metric]
    values = st.floats(min_value=low, max_value=high, allow_nan=False)
    count = draw(st.integers(min_value=1, max_value=5))
    return [
        Reading(
            device_id="dev-1",
            metric=metric,
            value=draw(values),
            device_time=draw(times),
            received_at=datetime(2100, 1, 1, tzinfo=UTC),
            farm="kasai",
            paddy_id="p1",
        )
        for _ in range(count)
    ]


@given(readings())
def test_readings_round_trip_one_by_one_and_in_batches(sent: list[Reading]) -> None:
    topic = TopicParts(farm="kasai", paddy_id="p1", device_id="dev-1", leaf=sent[0].metric).topic()
    arrived = datetime(2100, 1, 1, tzinfo=UTC)
    assert parse_readings(topic, format_readings(sent), received_at=arrived) == sent
    assert parse_readings(topic, format_readings(sent[:1]), received_at=arrived) == sent[:1]


@given(
    command_id=st.text(min_size=1, max_size=40),
    action=st.sampled_from(list(GateAction)),
    role=st.sampled_from(list(GateRole)),
    opening=st.floats(min_value=0.0, max_value=100.0),
    issued_at=times,
    reason=st.text(max_size=80),
)
def test_gate_commands_round_trip(
    command_id: str,
    action: GateAction,
    role: GateRole,
    opening: float,
    issued_at: datetime,
    reason: str,
) -> None:
    sent = GateCommand(
        command_id=command_id,
        paddy_id="p7",
        role=role,
        action=action,
        issued_at=issued_at,
        reason=reason,
        opening_pct=opening,
    )
    payload = format_gate_command(sent)
    assert set(json.loads(payload)) >= {"id", "action", "opening_pct", "issued_at", "reason"}
    assert parse_gate_command("tanbo/kasai/p7/g-1/cmd", payload) == sent


@given(command_id=st.text(min_size=1, max_size=40), ok=st.booleans(), at=times, detail=st.text())
def test_gate_acks_round_trip(command_id: str, ok: bool, at: datetime, detail: str) -> None:
    sent = GateAck(command_id=command_id, ok=ok, at=at, detail=detail)
    assert parse_gate_ack("tanbo/kasai/p7/g-1/ack", format_gate_ack(sent), received_at=ARRIVED) == (
        sent
    )


def test_an_ack_without_time_is_dated_on_arrival_and_one_without_ok_is_refused() -> None:
    ack = parse_gate_ack("t/ack", b'{"id": "c1", "ok": true}', received_at=ARRIVED)
    assert ack == GateAck(command_id="c1", ok=True, at=ARRIVED)
    with pytest.raises(BadReading, match="needs 'id' and a true/false 'ok'"):
        parse_gate_ack("t/ack", b'{"id": "c1", "ok": "yes"}', received_at=ARRIVED)


def test_a_gate_command_needs_its_fields() -> None:
    with pytest.raises(BadReading, match="gate command has no 'action'"):
        parse_gate_command("tanbo/kasai/p7/g-1/cmd", b'{"id": "c1", "issued_at": 1780282800}')
    with pytest.raises(BadReading, match="not a gate command topic"):
        parse_gate_command("tanbo/kasai/p7/g-1/ack", b"{}")


def test_a_reading_more_than_five_minutes_ahead_of_arrival_is_refused_as_a_fast_clock() -> None:
    ten_min_fast = {"v": 4.2, "t": (ARRIVED + timedelta(minutes=10)).isoformat()}
    with pytest.raises(BadReading, match=LEVEL) as refused:
        read(ten_min_fast)
    assert "is 600 s ahead of arrival: device wl-1's clock is ahead" in str(refused.value)
    [reading] = read({"v": 4.2, "t": (ARRIVED + timedelta(minutes=4)).isoformat()})
    assert reading.device_time == ARRIVED + timedelta(minutes=4)
    lenient = parse_readings(LEVEL, json.dumps(ten_min_fast), received_at=ARRIVED, max_ahead_s=900)
    assert [r.device_time for r in lenient] == [ARRIVED + timedelta(minutes=10)]
