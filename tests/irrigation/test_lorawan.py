"""The Things Stack v3 uplink webhooks read into readings (pure, no server)."""

import json
from datetime import UTC, datetime

import pytest

from irrigation.errors import BadReading
from irrigation.lorawan import parse_tts_uplink
from irrigation.model import Metric

ARRIVED = datetime(2026, 6, 1, 3, 0, 5, tzinfo=UTC)

# An uplink as The Things Stack v3 posts it to a webhook (field names from its "Data Formats"
# reference): a water-level sensor in Kasai heard by two AS923 gateways.
TTS_UPLINK = {
    "end_device_ids": {
        "device_id": "paddy-wl-07",
        "application_ids": {"application_id": "kasai-paddies"},
        "dev_eui": "70B3D57ED005A1F2",
        "join_eui": "0000000000000000",
        "dev_addr": "260B1C4E",
    },
    "correlation_ids": ["as:up:01J0ZK4R8Q6X0T5WAGP3Q1YH6M", "rpc:/ttn.lorawan.v3.AppAs/Up:01J0"],
    "received_at": "2026-06-01T03:00:02.214773143Z",
    "uplink_message": {
        "session_key_id": "AYzX2kVb0nJ4l1cT9H3dQw==",
        "f_port": 2,
        "f_cnt": 1234,
        "frm_payload": "AgjIAPgAVw==",
        "decoded_payload": {
            "water_level_cm": 5.2,
            "water_temperature": 24.8,
            "battery": 87,
            "luminosity": 0.64,
        },
        "rx_metadata": [
            {
                "gateway_ids": {"gateway_id": "kasai-hojo-gw", "eui": "A840411D5E6C4150"},
                "time": "2026-06-01T03:00:01.512Z",
                "timestamp": 2463457000,
                "rssi": -97,
                "channel_rssi": -97,
                "snr": 6.5,
                "uplink_token": "ChsKGQoNa2FzYWktaG9qby1ndxII",
                "channel_index": 2,
            },
            {
                "gateway_ids": {"gateway_id": "kasai-city-hall-gw", "eui": "A840411D5E6C4188"},
                "time": "2026-06-01T03:00:01.498Z",
                "rssi": -114,
                "snr": -3.25,
                "channel_index": 2,
            },
        ],
        "settings": {
            "data_rate": {"lora": {"bandwidth": 125000, "spreading_factor": 9}},
            "coding_rate": "4/5",
            "frequency": "923200000",
            "timestamp": 2463457000,
        },
        "received_at": "2026-06-01T03:00:01.989585559Z",
        "consumed_airtime": "0.205824s",
        "version_ids": {"brand_id": "dragino", "model_id": "ldds75", "band_id": "AS_923"},
        "network_ids": {"net_id": "000013", "tenant_id": "ttn", "cluster_id": "au1"},
    },
}


def test_a_things_stack_uplink_gives_readings_at_the_first_gateways_time() -> None:
    uplink = parse_tts_uplink(json.dumps(TTS_UPLINK), received_at=ARRIVED, farm="kasai")
    assert (uplink.device_id, uplink.application_id, uplink.frame_count) == (
        "paddy-wl-07",
        "kasai-paddies",
        1234,
    )
    assert uplink.problems == ()
    assert {(r.metric, r.value) for r in uplink.readings} == {
        (Metric.WATER_LEVEL, 5.2),
        (Metric.WATER_TEMPERATURE, 24.8),
        (Metric.BATTERY, 87.0),
    }
    first_heard = datetime(2026, 6, 1, 3, 0, 1, 498000, tzinfo=UTC)
    assert {r.device_time for r in uplink.readings} == {first_heard}
    assert {(r.received_at, r.farm, r.paddy_id) for r in uplink.readings} == {
        (ARRIVED, "kasai", None)
    }


def test_a_things_stack_uplink_prefers_the_devices_own_time_then_the_servers() -> None:
    own = json.loads(json.dumps(TTS_UPLINK))
    own["uplink_message"]["decoded_payload"]["time"] = "2026-06-01T02:59:00Z"
    [*readings] = parse_tts_uplink(own, received_at=ARRIVED).readings
    assert {r.device_time for r in readings} == {datetime(2026, 6, 1, 2, 59, tzinfo=UTC)}
    no_gps = json.loads(json.dumps(TTS_UPLINK))
    for rx in no_gps["uplink_message"]["rx_metadata"]:
        del rx["time"]
    [*readings] = parse_tts_uplink(no_gps, received_at=ARRIVED).readings
    assert {r.device_time for r in readings} == {datetime(2026, 6, 1, 3, 0, 1, 989585, tzinfo=UTC)}


def test_a_broken_probe_in_an_uplink_does_not_hide_the_water_level() -> None:
    broken = json.loads(json.dumps(TTS_UPLINK))
    broken["uplink_message"]["decoded_payload"] = {"water_level": 5.2, "water_temperature": -127}
    uplink = parse_tts_uplink(broken, received_at=ARRIVED)
    assert [(r.metric, r.value) for r in uplink.readings] == [(Metric.WATER_LEVEL, 5.2)]
    [problem] = uplink.problems
    assert problem.startswith("uplink from paddy-wl-07: water_temperature:")
    assert "outside -10…50" in problem


def test_what_is_not_an_uplink_is_refused() -> None:
    join = {"end_device_ids": {"device_id": "dev1"}, "join_accept": {"session_key_id": "AX"}}
    with pytest.raises(BadReading, match=r"needs end_device_ids\.device_id and uplink_message"):
        parse_tts_uplink(join, received_at=ARRIVED)
    with pytest.raises(BadReading, match="not JSON"):
        parse_tts_uplink(b"<html>", received_at=ARRIVED)


def test_an_uplink_dated_over_five_minutes_ahead_is_refused_as_a_fast_device_clock() -> None:
    fast = json.loads(json.dumps(TTS_UPLINK))
    fast["uplink_message"]["decoded_payload"]["time"] = "2026-06-01T03:10:05Z"
    with pytest.raises(BadReading) as refused:
        parse_tts_uplink(fast, received_at=ARRIVED)
    assert str(refused.value).startswith("uplink from paddy-wl-07: time 2026-06-01T03:10:05")
    assert "600 s ahead of arrival: device paddy-wl-07's clock is ahead" in str(refused.value)
    assert parse_tts_uplink(fast, received_at=ARRIVED, max_ahead_s=900).readings
    fast["uplink_message"]["decoded_payload"]["time"] = "2026-06-01T03:04:05Z"
    assert parse_tts_uplink(fast, received_at=ARRIVED).readings
