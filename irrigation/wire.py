"""What paddy devices say over MQTT: topics, device times, readings, gate commands and acks.

Pure functions, no I/O. Sensors publish to ``tanbo/<farm>/<paddy>/<device>/<metric>``; a gate
listens on ``…/<device>/cmd`` and answers on ``…/<device>/ack``. LoRaWAN uplinks, which a
network server posts over HTTP instead, are read by :mod:`irrigation.lorawan`.

>>> topic = "tanbo/kasai/p7/wl-1/water_level"
>>> parse_topic(topic)
TopicParts(farm='kasai', paddy_id='p7', device_id='wl-1', leaf=<Metric.WATER_LEVEL: 'water_level'>)
>>> now = datetime(2026, 6, 1, 3, 5, tzinfo=UTC)
>>> [reading] = parse_readings(topic, b'{"v": 42, "t": 1780282800, "unit": "mm"}', received_at=now)
>>> reading.value, reading.device_time.isoformat()
(4.2, '2026-06-01T03:00:00+00:00')
"""

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from irrigation.errors import BadPaddy, BadReading
from irrigation.model import (
    METRIC_UNITS,
    GateAck,
    GateAction,
    GateCommand,
    GateRole,
    Metric,
    Reading,
)

__all__ = [
    "DEFAULT_PREFIX",
    "GateChannel",
    "TopicParts",
    "format_gate_ack",
    "format_gate_command",
    "format_readings",
    "parse_gate_ack",
    "parse_gate_command",
    "parse_json_object",
    "parse_number",
    "parse_readings",
    "parse_time",
    "parse_topic",
]

DEFAULT_PREFIX = "tanbo"
_SEGMENT = re.compile(r"[\w.:@-]{1,64}")
_EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
_EPOCH_MS_ABOVE = 1e11
"""Epoch numbers above this are milliseconds (1e11 s is the year 5138; 1e11 ms is 1973)."""
_MAX_BATCH = 1000
_UNITS: dict[Metric, dict[str, float]] = {
    Metric.WATER_LEVEL: {"cm": 1.0, "mm": 0.1, "m": 100.0},
    Metric.WATER_TEMPERATURE: {"°C": 1.0, "℃": 1.0, "C": 1.0, "degC": 1.0},
    Metric.SOIL_MOISTURE: {"%": 1.0, "pct": 1.0},
    Metric.RAIN: {"mm": 1.0},
    Metric.BATTERY: {"%": 1.0, "pct": 1.0},
}
"""Accepted spellings of each metric's unit (:data:`METRIC_UNITS` first) and their factor."""


class GateChannel(StrEnum):
    """The reserved last topic segments of a gate: commands in, acknowledgements out."""

    CMD = "cmd"
    ACK = "ack"


_CHANNELS = frozenset(channel.value for channel in GateChannel)
_METRICS = frozenset(metric.value for metric in Metric)


@dataclass(frozen=True, kw_only=True, slots=True)
class TopicParts:
    """A topic taken apart: whose device, in which paddy, and what the message is."""

    farm: str
    paddy_id: str
    device_id: str
    leaf: Metric | GateChannel

    def __post_init__(self) -> None:
        for what, value in (
            ("farm", self.farm),
            ("paddy", self.paddy_id),
            ("device", self.device_id),
        ):
            if not _SEGMENT.fullmatch(value):
                raise BadReading(f"{what} {value!r} must be 1-64 letters, digits or . : @ _ -")

    def topic(self, prefix: str = DEFAULT_PREFIX) -> str:
        """The topic these parts make: ``<prefix>/<farm>/<paddy>/<device>/<leaf>``.

        >>> TopicParts(farm="kasai", paddy_id="p7", device_id="g1", leaf=GateChannel.CMD).topic()
        'tanbo/kasai/p7/g1/cmd'
        """
        return f"{prefix}/{self.farm}/{self.paddy_id}/{self.device_id}/{self.leaf.value}"


def parse_topic(topic: str, *, prefix: str = DEFAULT_PREFIX) -> TopicParts:
    """Take ``<prefix>/<farm>/<paddy>/<device>/<metric | cmd | ack>`` apart.

    Raises
    ------
    BadReading
        Another prefix, another number of segments, a bad segment or an unknown metric.
    """
    head = f"{prefix}/"
    if not topic.startswith(head):
        raise BadReading(f"{topic}: does not start with {head!r}")
    segments = topic[len(head) :].split("/")
    if len(segments) != 4:
        raise BadReading(f"{topic}: expected {head}<farm>/<paddy>/<device>/<metric>")
    farm, paddy_id, device_id, last = segments
    leaf: Metric | GateChannel
    if last in _CHANNELS:
        leaf = GateChannel(last)
    elif last in _METRICS:
        leaf = Metric(last)
    else:
        known = ", ".join(m.value for m in Metric)
        raise BadReading(f"{topic}: unknown metric {last!r} (known: {known}; or cmd, ack)")
    try:
        return TopicParts(farm=farm, paddy_id=paddy_id, device_id=device_id, leaf=leaf)
    except BadReading as exc:
        raise BadReading(f"{topic}: {exc}") from None


def parse_time(value: object, *, what: str = "time") -> datetime:
    """A device's time as UTC: ISO 8601 with a zone, or epoch seconds or milliseconds.

    Raises
    ------
    BadReading
        No zone (the device's local time is a guess), not a time, or before the year 2000
        (a device whose clock was never set).

    >>> parse_time("2026-06-01T12:00:00+09:00").isoformat()
    '2026-06-01T03:00:00+00:00'
    >>> parse_time(1780282800000).isoformat()
    '2026-06-01T03:00:00+00:00'
    """
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise BadReading(f"{what} {value!r} is not ISO 8601") from None
        if parsed.tzinfo is None:
            raise BadReading(f"{what} {value!r} has no time zone (add Z or +09:00)")
    elif isinstance(value, int | float) and not isinstance(value, bool):
        if not math.isfinite(value) or value <= 0:
            raise BadReading(f"{what} {value!r} is not an epoch time")
        seconds = value / 1000.0 if value > _EPOCH_MS_ABOVE else float(value)
        try:
            parsed = datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            raise BadReading(f"{what} {value!r} is not an epoch time") from None
    else:
        raise BadReading(f"{what} must be an ISO 8601 string or epoch number, not {value!r}")
    if parsed < _EARLIEST:
        raise BadReading(f"{what} {parsed.isoformat()} is before 2000: the clock was not set")
    return parsed.astimezone(UTC)


def parse_number(value: object, *, what: str = "value") -> float:
    """A finite number, or a string of one, as a float (``what`` names it in errors).

    Raises
    ------
    BadReading
        Not a number, a boolean, NaN or infinite.

    >>> parse_number("4.2")
    4.2
    """
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise BadReading(f"{what} {value!r} is not a number") from None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise BadReading(f"{what} {value!r} is not a finite number")
    return float(value)


def _first(item: Mapping[str, object], *keys: str) -> object:
    for key in keys:
        if key in item:
            return item[key]
    return None


def _loads(topic: str, payload: bytes | str) -> object:
    def refuse(constant: str) -> object:
        raise ValueError(f"{constant} is not a number")

    try:
        return json.loads(payload, parse_constant=refuse)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadReading(f"{topic}: payload is not JSON ({exc})") from None


def _item_readings(
    item: object, parts: TopicParts, metric: Metric, received_at: datetime, max_ahead_s: float
) -> list[Reading]:
    if not isinstance(item, dict):
        raise BadReading(f"expected an object like {{'value': 4.2, 'time': …}}, not {item!r}")
    raw_value = _first(item, "value", "v", "val")
    if raw_value is None:
        raise BadReading("no value ('value' or 'v')")
    raw_time = _first(item, "time", "t", "ts", "timestamp")
    if raw_time is None:
        raise BadReading("no device time ('time' or 't')")
    device_time = parse_time(raw_time, what="time")
    ahead_s = (device_time - received_at).total_seconds()
    if ahead_s > max_ahead_s:
        raise BadReading(
            f"time {device_time.isoformat()} is {ahead_s:.0f} s ahead of arrival: device"
            f" {parts.device_id}'s clock is ahead (more than {max_ahead_s:g} s is refused)"
        )
    value = parse_number(raw_value, what="value")
    unit = _first(item, "unit", "u")
    if unit is not None:
        factors = _UNITS[metric]
        if not isinstance(unit, str) or unit not in factors:
            raise BadReading(f"unit {unit!r} is not {METRIC_UNITS[metric]!r} for {metric}")
        value *= factors[unit]

    def reading(metric: Metric, value: float) -> Reading:
        return Reading(
            device_id=parts.device_id,
            metric=metric,
            value=value,
            device_time=device_time,
            received_at=received_at,
            farm=parts.farm,
            paddy_id=parts.paddy_id,
        )

    out = [reading(metric, value)]
    battery = item.get("battery")
    if battery is not None and metric is not Metric.BATTERY:
        out.append(reading(Metric.BATTERY, parse_number(battery, what="battery")))
    return out


def parse_readings(
    topic: str,
    payload: bytes | str,
    *,
    received_at: datetime,
    prefix: str = DEFAULT_PREFIX,
    max_ahead_s: float = 300.0,
) -> list[Reading]:
    """The readings in one sensor message: an object, or a JSON list of them (a batch).

    An object is ``{"value": 4.2, "time": "2026-06-01T03:00:00Z"}`` or ``{"v": …, "t": …}``;
    the time is ISO 8601 with a zone or epoch seconds or milliseconds; an optional ``unit``
    must be the metric's (water level also in ``mm`` or ``m``, converted to cm); an optional
    ``battery`` (%) adds a battery reading at the same time. The message is read whole or
    refused whole.

    Parameters
    ----------
    received_at
        When Tanbo received the message (timezone-aware); stored with every reading.
    max_ahead_s
        How far a device's clock may run ahead of arrival before its time is refused. Keep it
        small: the newest reading stands for the paddy's depth, and one dated an hour ahead
        would stand, whatever the water does, until that hour has passed.

    Raises
    ------
    BadReading
        Naming the topic, the item of a batch, and the problem.
    """
    parts = parse_topic(topic, prefix=prefix)
    if not isinstance(parts.leaf, Metric):
        raise BadReading(f"{topic}: a gate's {parts.leaf} topic carries no readings")
    decoded = _loads(topic, payload)
    items = decoded if isinstance(decoded, list) else [decoded]
    if not items or len(items) > _MAX_BATCH:
        raise BadReading(f"{topic}: a batch holds 1-{_MAX_BATCH} readings, not {len(items)}")
    readings: list[Reading] = []
    for index, item in enumerate(items):
        try:
            readings += _item_readings(item, parts, parts.leaf, received_at, max_ahead_s)
        except BadReading as exc:
            where = f"{topic} item {index}" if isinstance(decoded, list) else topic
            raise BadReading(f"{where}: {exc}") from None
    return readings


def _reading_json(reading: Reading) -> dict[str, object]:
    return {"value": reading.value, "time": reading.device_time.isoformat()}


def format_readings(readings: Sequence[Reading]) -> bytes:
    """A sensor message: one reading as an object, several (same topic) as a batch list."""
    if len(readings) == 1:
        return json.dumps(_reading_json(readings[0])).encode()
    return json.dumps([_reading_json(r) for r in readings]).encode()


def format_gate_command(command: GateCommand) -> bytes:
    """The payload of a gate command: ``{"id", "action", "opening_pct", "issued_at", …}``."""
    return json.dumps(
        {
            "id": command.command_id,
            "action": command.action.value,
            "opening_pct": command.opening_pct,
            "issued_at": command.issued_at.isoformat(),
            "reason": command.reason,
            "role": command.role.value,
        }
    ).encode()


def parse_json_object(topic: str, payload: bytes | str) -> dict[str, object]:
    """A payload that must be one JSON object (NaN and Infinity refused); ``topic`` names it.

    Raises
    ------
    BadReading
        Not JSON, or JSON that is not an object.
    """
    decoded = _loads(topic, payload)
    if not isinstance(decoded, dict):
        raise BadReading(f"{topic}: expected a JSON object, not {decoded!r}")
    return decoded


def parse_gate_command(
    topic: str,
    payload: bytes | str,
    *,
    role: GateRole = GateRole.INLET,
    prefix: str = DEFAULT_PREFIX,
) -> GateCommand:
    """A gate command as its gate reads it; ``role`` if the payload does not name one.

    Raises
    ------
    BadReading
        Not a ``…/cmd`` topic, or a payload missing ``id``, ``action`` or ``issued_at``.
    """
    parts = parse_topic(topic, prefix=prefix)
    if parts.leaf is not GateChannel.CMD:
        raise BadReading(f"{topic}: not a gate command topic")
    body = parse_json_object(topic, payload)
    try:
        return GateCommand(
            command_id=str(body["id"]),
            paddy_id=parts.paddy_id,
            role=GateRole(str(body.get("role", role))),
            action=GateAction(str(body["action"])),
            issued_at=parse_time(body["issued_at"], what="issued_at"),
            reason=str(body.get("reason", "")),
            opening_pct=parse_number(body.get("opening_pct", 100.0), what="opening_pct"),
        )
    except KeyError as exc:
        raise BadReading(f"{topic}: gate command has no {exc}") from None
    except (ValueError, BadPaddy, BadReading) as exc:
        raise BadReading(f"{topic}: {exc}") from None


def format_gate_ack(ack: GateAck) -> bytes:
    """The payload a gate answers with: ``{"id", "ok", "time", "detail"}``."""
    return json.dumps(
        {"id": ack.command_id, "ok": ack.ok, "time": ack.at.isoformat(), "detail": ack.detail}
    ).encode()


def parse_gate_ack(topic: str, payload: bytes | str, *, received_at: datetime) -> GateAck:
    """A gate's answer; its ``time`` is optional (then the arrival time stands in).

    Raises
    ------
    BadReading
        A payload without ``id`` or a boolean ``ok``, or with a bad time.
    """
    body = parse_json_object(topic, payload)
    ok = body.get("ok")
    if "id" not in body or not isinstance(ok, bool):
        raise BadReading(f"{topic}: a gate ack needs 'id' and a true/false 'ok'")
    try:
        at = parse_time(body["time"], what="time") if "time" in body else received_at
    except BadReading as exc:
        raise BadReading(f"{topic}: {exc}") from None
    return GateAck(command_id=str(body["id"]), ok=ok, at=at, detail=str(body.get("detail", "")))
