"""What LoRaWAN paddy sensors say through The Things Stack v3: uplink webhooks, read.

Pure functions, no I/O. A LoRaWAN network server posts each uplink over HTTP (a webhook)
rather than to Tanbo's MQTT topics (:mod:`irrigation.wire`); :func:`parse_tts_uplink` reads
the fields of its payload formatter's ``decoded_payload`` that Tanbo knows and dates them.

>>> uplink = parse_tts_uplink(
...     {
...         "end_device_ids": {"device_id": "wl-7"},
...         "uplink_message": {"decoded_payload": {"water_level_mm": 42}, "f_cnt": 9},
...         "received_at": "2026-06-01T03:00:02Z",
...     },
...     received_at=datetime.fromisoformat("2026-06-01T03:00:05+00:00"),
... )
>>> [(r.metric.value, r.value, r.device_time.isoformat()) for r in uplink.readings]
[('water_level', 4.2, '2026-06-01T03:00:02+00:00')]
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from irrigation.errors import BadReading
from irrigation.model import Metric, Reading
from irrigation.wire import parse_json_object, parse_number, parse_time

__all__ = ["TtsUplink", "parse_tts_uplink"]

_TTS_SPELLINGS: tuple[tuple[Metric, float, tuple[str, ...]], ...] = (
    (Metric.WATER_LEVEL, 1.0, ("water_level_cm", "water_level")),
    (Metric.WATER_LEVEL, 0.1, ("water_level_mm",)),
    (Metric.WATER_TEMPERATURE, 1.0, ("water_temperature", "water_temperature_c", "water_temp")),
    (Metric.SOIL_MOISTURE, 1.0, ("soil_moisture", "soil_moisture_pct")),
    (Metric.RAIN, 1.0, ("rain_mm", "rain")),
    (Metric.BATTERY, 1.0, ("battery", "battery_pct")),
)
_TTS_KEYS = {key: (metric, factor) for metric, factor, keys in _TTS_SPELLINGS for key in keys}
"""Keys of a LoRaWAN payload formatter's ``decoded_payload`` that Tanbo reads; others are
ignored (devices report RSSI, firmware versions and more)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class TtsUplink:
    """What a The Things Stack uplink said: its readings, and what could not be read."""

    device_id: str
    application_id: str | None
    frame_count: int
    """``f_cnt``, the device's frame counter (0 when the server left it out, as it does)."""
    readings: tuple[Reading, ...]
    problems: tuple[str, ...]
    """One line per field that was refused; the other fields still count."""


def _tts_time(body: Mapping[str, object], up: Mapping[str, object]) -> tuple[datetime, str]:
    """The measurement time: the payload's own, else the earliest gateway's, else the server's;
    with whose clock it is."""
    decoded = up.get("decoded_payload")
    if isinstance(decoded, dict):
        own = next((decoded[key] for key in ("time", "timestamp", "t") if key in decoded), None)
        if own is not None:
            return parse_time(own, what="decoded_payload.time"), "device"
    metadata = up.get("rx_metadata")
    gateway_times = [
        parse_time(rx["time"], what="rx_metadata.time")
        for rx in (metadata if isinstance(metadata, list) else [])
        if isinstance(rx, dict) and "time" in rx
    ]
    if gateway_times:
        return min(gateway_times), "gateway"
    server = up.get("received_at", body.get("received_at"))
    if server is None:
        raise BadReading("uplink has no decoded time, gateway time or received_at")
    return parse_time(server, what="received_at"), "network server"


def parse_tts_uplink(
    body: bytes | str | Mapping[str, object],
    *,
    received_at: datetime,
    farm: str | None = None,
    paddy_id: str | None = None,
    max_ahead_s: float = 300.0,
) -> TtsUplink:
    """The readings in a The Things Stack v3 uplink webhook (``uplink_message``).

    Known fields of ``decoded_payload`` (``water_level_cm``, ``water_level``,
    ``water_temperature``, ``soil_moisture``, ``rain_mm``, ``battery`` and a few spellings
    more) become readings; the first spelling of a metric wins; others are ignored. A field
    out of range or not a number is named in ``problems`` and the rest still count (a broken
    temperature probe should not hide the water level). The device time is the payload's own
    ``time`` if its formatter gives one, else the earliest gateway's ``rx_metadata[].time``,
    else the network server's ``received_at``.

    Parameters
    ----------
    received_at
        When Tanbo received the webhook.
    farm, paddy_id
        Where the device is, if the caller knows (the device registry has the last word).
    max_ahead_s
        How far the measurement time may run ahead of arrival before the uplink is refused
        (a reading from the future would stand for the paddy's depth until it is due).

    Raises
    ------
    BadReading
        Not an uplink: no ``end_device_ids.device_id``, no ``uplink_message``, no time.
    """
    doc = parse_json_object("uplink", body) if isinstance(body, bytes | str) else dict(body)
    ids = doc.get("end_device_ids")
    device_id = ids.get("device_id") if isinstance(ids, dict) else None
    up = doc.get("uplink_message")
    if not isinstance(device_id, str) or not isinstance(up, dict):
        raise BadReading("uplink: needs end_device_ids.device_id and uplink_message")
    app = ids.get("application_ids") if isinstance(ids, dict) else None
    application_id = app.get("application_id") if isinstance(app, dict) else None
    try:
        device_time, whose = _tts_time(doc, up)
    except BadReading as exc:
        raise BadReading(f"uplink from {device_id}: {exc}") from None
    ahead_s = (device_time - received_at).total_seconds()
    if ahead_s > max_ahead_s:
        clock = f"device {device_id}'s" if whose == "device" else f"the {whose}'s"
        raise BadReading(
            f"uplink from {device_id}: time {device_time.isoformat()} is {ahead_s:.0f} s ahead"
            f" of arrival: {clock} clock is ahead (more than {max_ahead_s:g} s is refused)"
        )
    decoded = up.get("decoded_payload")
    readings: list[Reading] = []
    problems: list[str] = []
    for key, raw in decoded.items() if isinstance(decoded, dict) else ():
        if key not in _TTS_KEYS or _TTS_KEYS[key][0] in {r.metric for r in readings}:
            continue
        metric, factor = _TTS_KEYS[key]
        try:
            value = parse_number(raw, what=key) * factor
            reading = Reading(
                device_id=device_id,
                metric=metric,
                value=value,
                device_time=device_time,
                received_at=received_at,
                farm=farm,
                paddy_id=paddy_id,
            )
        except BadReading as exc:
            problems.append(f"uplink from {device_id}: {key}: {exc}")
            continue
        readings.append(reading)
    f_cnt = up.get("f_cnt", 0)
    return TtsUplink(
        device_id=device_id,
        application_id=application_id if isinstance(application_id, str) else None,
        frame_count=f_cnt if isinstance(f_cnt, int) else 0,
        readings=tuple(readings),
        problems=tuple(problems),
    )
