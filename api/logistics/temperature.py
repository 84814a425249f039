"""The payload's temperature log: stored, summed up, and heard from the box over MQTT.

A payload sensor in the drone's box publishes to::

    <prefix>/deliveries/<delivery id>/temperature        (prefix "tanbo" by default)

at QoS 1, a JSON object or a list of them (a sensor that was out of reach sends what it
kept)::

    {"at": "2026-06-01T09:30:00+09:00", "temperature_c": 5.2}
    [{"at": "2026-06-01T00:30:00Z", "temperature_c": 5.2}, …]

``at`` is when the sensor read, ISO 8601 *with* a zone; ``temperature_c`` a finite number
of °C; other keys are ignored. A reading may come again (QoS 1 redelivers) and out of
order: the log keeps one per (delivery, time, source). A message that cannot be read, a
reading without a zone or with NaN, one dated ahead of the clock (the sensor's clock is
wrong), and readings for a delivery Tanbo does not know are logged, counted and dropped;
the listener goes on. The vehicle link stores what it hears with :func:`record_readings`
under a ``source`` of its own.

:class:`PayloadSensorListener` acknowledges a message to the broker only after its readings
are stored (the session of :class:`irrigation.mqtt.MqttSession`), then checks the log: a new
excursion (:mod:`logistics.cold_chain`: out of the parcel's range longer than the tolerance)
tells the pharmacy once, in Japanese and English, through the notifier port — not once per
reading. Which excursions were told is kept in memory: after a restart, an excursion the
sensor still reports on is told again (once).
"""

import asyncio
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiomqtt
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from api.db import as_utc, aware, storage_errors
from api.errors import NotFound
from api.logistics import store
from api.logistics.records import StoredDelivery
from api.logistics.tables import DeliveryRow, TemperatureRow
from api.scheduling import JST, Notice
from api.scheduling.notify import Notifier, send
from core.clock import Clock
from irrigation.mqtt import MqttSession, MqttSettings
from logistics.cold_chain import (
    DEFAULT_TOLERANCE_S,
    ColdChainSummary,
    Excursion,
    TemperatureReading,
    clean_log,
    excursions,
    summary,
)
from logistics.errors import BadRequest
from logistics.model import TemperatureClass

__all__ = [
    "ListenerStats",
    "PayloadSensorListener",
    "parse_payload",
    "record_readings",
    "temperature_log",
    "temperature_notice",
    "temperature_summary",
    "temperature_topic",
]

_log = logging.getLogger(__name__)


def temperature_topic(prefix: str, delivery_id: str = "+") -> str:
    """The topic a delivery's payload sensor publishes to (``+``: any delivery's)."""
    return f"{prefix}/deliveries/{delivery_id}/temperature"


# -- the log in the database ------------------------------------------------------------


def record_readings(
    engine: Engine, delivery_id: str, readings: Iterable[TemperatureReading], source: str
) -> int:
    """Store a delivery's readings from ``source``; one already stored (same delivery, time
    and source) is left as it is, so a redelivered message stores nothing.

    In one transaction that locks the delivery's row on PostgreSQL (SQLite serialises
    writers itself), so two writers of one delivery do not both store a reading.

    Returns
    -------
    int
        How many readings were new.

    Raises
    ------
    NotFound
        No such delivery.
    BadRequest
        ``source`` empty or longer than 200 characters.
    """
    if not source.strip() or len(source) > 200:
        raise BadRequest(f"a reading's source is 1 to 200 characters, not {source!r}")
    wanted: dict[datetime, TemperatureReading] = {}
    for reading in readings:
        wanted.setdefault(as_utc(reading.at), reading)
    with storage_errors(), Session(engine) as session:
        found = session.exec(
            select(DeliveryRow.id).where(DeliveryRow.id == delivery_id).with_for_update()
        ).first()
        if found is None:
            raise NotFound(f"no delivery {delivery_id}")
        if not wanted:
            return 0
        taken = session.exec(
            select(TemperatureRow.at).where(
                TemperatureRow.delivery_id == delivery_id,
                TemperatureRow.source == source,
                col(TemperatureRow.at) >= min(wanted),
                col(TemperatureRow.at) <= max(wanted),
            )
        ).all()
        stored = {as_utc(aware(at)) for at in taken}
        new = [
            TemperatureRow(delivery_id=delivery_id, at=at, temperature_c=float(r.temperature_c),
                           source=source)
            for at, r in sorted(wanted.items()) if at not in stored
        ]  # fmt: skip
        session.add_all(new)
        session.commit()
    return len(new)


def _class_and_log(
    engine: Engine, delivery_id: str
) -> tuple[TemperatureClass, tuple[TemperatureReading, ...]]:
    with storage_errors(), Session(engine) as session:
        row = session.get(DeliveryRow, delivery_id)
        if row is None:
            raise NotFound(f"no delivery {delivery_id}")
        rows = session.exec(
            select(TemperatureRow).where(TemperatureRow.delivery_id == delivery_id)
        ).all()
        temperature = TemperatureClass(row.temperature)
        readings = [
            TemperatureReading(at=as_utc(aware(r.at)), temperature_c=r.temperature_c) for r in rows
        ]
    return temperature, clean_log(readings, temperature)


def temperature_log(engine: Engine, delivery_id: str) -> tuple[TemperatureReading, ...]:
    """A delivery's readings in time order, one per instant (of two sources' readings at
    one instant, the one farther out of range: :func:`logistics.cold_chain.clean_log`).

    Raises
    ------
    NotFound
        No such delivery.
    """
    return _class_and_log(engine, delivery_id)[1]


def temperature_summary(
    engine: Engine, delivery_id: str, *, tolerance_s: float = DEFAULT_TOLERANCE_S
) -> ColdChainSummary:
    """A delivery's log in figures and its verdict, against the parcel's class.

    Raises
    ------
    NotFound
        No such delivery.
    """
    temperature, log = _class_and_log(engine, delivery_id)
    return summary(log, temperature, tolerance_s=tolerance_s)


# -- telling the pharmacy -------------------------------------------------------------


def _range_texts(temperature: TemperatureClass) -> tuple[str, str]:
    low, high = temperature.range_c
    if temperature is TemperatureClass.FROZEN:  # its lower end is no limit a pharmacy keeps
        return f"{high:g}℃以下", f"{high:g} °C or colder"
    return f"{low:g}〜{high:g}℃", f"{low:g}–{high:g} °C"


def temperature_notice(delivery: StoredDelivery, excursion: Excursion, *, drop_name: str) -> Notice:
    """The pharmacy's notice of an excursion of ``delivery``'s parcel: what, where to, how
    far out and for how long (times in Japan time)."""
    range_ja, range_en = _range_texts(delivery.request.temperature)
    start = excursion.start.astimezone(JST).strftime("%H:%M")
    minutes = f"{round(excursion.minutes, 1):g}"
    names, ref = [i.name for i in delivery.request.items], delivery.id[:8]
    ja = (
        f"{'、'.join(names)}（配送 {ref}、{drop_name}行き）が保管温度 {range_ja} "
        f"を外れました。{start} から {minutes} 分間、最も外れて {excursion.worst_c:.1f}℃。"
    )
    en = (
        f"The parcel of delivery {ref} ({', '.join(names)}) to {drop_name} left its "
        f"{range_en} range: {minutes} min from {start} JST, "
        f"at worst {excursion.worst_c:.1f} °C."
    )
    if excursion.ongoing:
        ja += "最後の計測でもまだ範囲外です。"
        en += " It was still out at the last reading."
    return Notice(
        recipient=delivery.request.pharmacy_id, mission_id=None, kind="delivery_temperature",
        text_ja=ja, text_en=en,
    )  # fmt: skip


# -- the wire ---------------------------------------------------------------------------


def _reading(item: Any, *, latest: datetime) -> TemperatureReading:
    if not isinstance(item, dict) or not {"at", "temperature_c"} <= item.keys():
        raise BadRequest(f"a reading has 'at' and 'temperature_c', not {str(item)[:80]!r}")
    try:
        at = datetime.fromisoformat(item["at"])
    except (TypeError, ValueError) as exc:
        raise BadRequest(f"'at' {item['at']!r} is not an ISO 8601 time") from exc
    reading = TemperatureReading(at=at, temperature_c=item["temperature_c"])
    if reading.at > latest:
        raise BadRequest(f"a reading at {item['at']} is ahead of the clock: the sensor's clock?")
    return reading


def parse_payload(
    payload: bytes, *, now: datetime, max_ahead_s: float = 300.0
) -> tuple[list[TemperatureReading], list[str]]:
    """The readings of one message, and a line for each reading refused; a reading dated
    more than ``max_ahead_s`` after ``now`` is refused.

    >>> from datetime import UTC
    >>> now = datetime(2026, 6, 1, tzinfo=UTC)
    >>> good, bad = parse_payload(b'[{"at": "2026-06-01T08:59:00+09:00", "temperature_c": 5.2},'
    ...                           b' {"at": "2026-06-01T00:00:00", "temperature_c": 5}]', now=now)
    >>> [(r.at.isoformat(), r.temperature_c) for r in good], bad
    ([('2026-06-01T08:59:00+09:00', 5.2)], ['a temperature reading at 2026-06-01T00:00:00 needs a time zone'])

    Raises
    ------
    BadRequest
        Not JSON, or neither an object nor a list.
    """  # noqa: E501
    try:
        body = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadRequest(f"not JSON: {payload[:80]!r}") from exc
    items = body if isinstance(body, list) else [body] if isinstance(body, dict) else None
    if items is None:
        raise BadRequest(f"a reading or a list of readings, not {payload[:80]!r}")
    latest = now + timedelta(seconds=max_ahead_s)
    readings: list[TemperatureReading]
    readings, problems = [], []
    for item in items:
        try:
            readings.append(_reading(item, latest=latest))
        except BadRequest as exc:
            problems.append(str(exc))
    return readings, problems


# -- the listener -----------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class ListenerStats:
    """What a listener has handled so far (a redelivered message counts again): readings
    ``stored`` new and ``duplicates`` already in the log; ``malformed`` messages and readings
    refused; messages for an ``unknown`` delivery; ``alerts`` told."""

    messages: int
    stored: int
    duplicates: int
    malformed: int
    unknown: int
    alerts: int
    connections: int


class PayloadSensorListener(MqttSession):
    """Subscribes :func:`temperature_topic` at QoS 1, stores what the payload sensors say,
    and tells the pharmacy of each new excursion.

    Parameters
    ----------
    notifier
        Where the pharmacy's notices go (:class:`api.scheduling.notify.StoredNotifier`, a
        city-app notifier…); one failing is logged, never fatal.
    source
        The ``source`` the readings are stored under.
    tolerance_s
        How long out of range is an excursion (:mod:`logistics.cold_chain`), s.
    max_ahead_s
        Readings dated further than this ahead of ``clock`` are refused, s.
    on_error
        Told one line for each message or reading dropped (default: logged).
    """

    def __init__(
        self,
        settings: MqttSettings,
        engine: Engine,
        *,
        clock: Clock,
        notifier: Notifier | None,
        source: str = "mqtt",
        tolerance_s: float = DEFAULT_TOLERANCE_S,
        max_ahead_s: float = 300.0,
        on_error: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(
            settings,
            f"{settings.client_id}-cold-chain",
            [temperature_topic(settings.topic_prefix)],
            on_error=on_error or _log.warning,
        )
        self._engine, self._clock, self._notifier = engine, clock, notifier
        self._source, self._tolerance_s, self._max_ahead_s = source, tolerance_s, max_ahead_s
        self._head = f"{settings.topic_prefix}/deliveries/"
        self._told: dict[str, list[tuple[datetime, datetime]]] = {}
        self._checked: set[str] = set()  # logs checked since their last reading was stored
        self._counts = dict.fromkeys(
            ("messages", "stored", "duplicates", "malformed", "unknown", "alerts"), 0
        )

    def stats(self) -> ListenerStats:
        """The counts so far."""
        return ListenerStats(**self._counts, connections=self.connections)

    async def _serve(self, client: aiomqtt.Client) -> None:
        async for message in client.messages:
            payload = message.payload
            body = payload.encode() if isinstance(payload, str) else bytes(payload or b"")
            try:
                # Off the event loop: the database and the notifier block.
                await asyncio.to_thread(self._handle, message.topic.value, body)
            except Exception as exc:
                self._on_error(f"{message.topic.value}: storing failed ({exc!r}); will retry")
                raise aiomqtt.MqttError("the temperature log could not be stored") from exc
            self._counts["messages"] += 1
            self._ack(client, message)

    def _handle(self, topic: str, payload: bytes) -> None:
        """Deal with one message: store its readings, tell of a new excursion. Only the
        database failing raises (the message is then not acknowledged, and comes again)."""
        delivery_id = self._delivery_of(topic)
        if delivery_id is None:
            return self._drop("malformed", f"{topic}: not a delivery's temperature topic")
        try:
            readings, problems = parse_payload(
                payload, now=self._clock.now(), max_ahead_s=self._max_ahead_s
            )
        except BadRequest as exc:
            return self._drop("malformed", f"{topic}: {exc}")
        for problem in problems:
            self._drop("malformed", f"{topic}: {problem}")
        if not readings:
            return None
        try:
            stored = record_readings(self._engine, delivery_id, readings, self._source)
        except NotFound:
            return self._drop("unknown", f"{topic}: no delivery {delivery_id}; readings dropped")
        self._counts["stored"] += stored
        self._counts["duplicates"] += len({r.at for r in readings}) - stored
        if stored or delivery_id not in self._checked:  # else nothing new to check
            self._tell_new_excursions(delivery_id)
        return None

    def _delivery_of(self, topic: str) -> str | None:
        head, tail = self._head, "/temperature"
        if not (topic.startswith(head) and topic.endswith(tail)):
            return None
        delivery_id = topic[len(head) : -len(tail)]
        return delivery_id if delivery_id and "/" not in delivery_id else None

    def _drop(self, what: str, line: str) -> None:
        self._counts[what] += 1
        self._on_error(line)

    def _tell_new_excursions(self, delivery_id: str) -> None:
        # Unchecked until done: a check that fails is made again when the message comes again.
        self._checked.discard(delivery_id)
        temperature, log = _class_and_log(self._engine, delivery_id)
        told = self._told.setdefault(delivery_id, [])
        for excursion in excursions(log, temperature, tolerance_s=self._tolerance_s):
            # The same excursion grown, or split by a late reading, still overlaps the one
            # told: one notice per excursion, not one per reading.
            if any(start <= excursion.end and excursion.start <= end for start, end in told):
                continue
            delivery = store.get_delivery(self._engine, delivery_id)
            drop = store.get_drop_point(self._engine, delivery.request.drop_point_id)
            send(self._notifier, temperature_notice(delivery, excursion, drop_name=drop.drop.name))
            told.append((excursion.start, excursion.end))
            self._counts["alerts"] += 1
        self._checked.add(delivery_id)
