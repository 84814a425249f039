"""The MQTT edge of paddy water: settings, the session every client is built on, readings in.

Every :class:`MqttSession` (the :class:`MqttIngestor` here, the gates of
:mod:`irrigation.gates_mqtt`) is MQTT 5 with ``clean_start=False`` and a session expiry, so the
broker keeps what is published for Tanbo while it is down or reconnecting; each reconnects on
its own, with backoff, until stopped. A QoS 1 reading is acknowledged to the broker (PUBACK)
only after the sink has stored it: a crash between receipt and storage leaves it
unacknowledged, and the broker sends it again. aiomqtt 2.5 has no switch for that (aiomqtt
issue #345, PR #346 open), so :func:`_manual_acks` turns on paho-mqtt's own ``manual_ack`` on
the client aiomqtt wraps, before it connects, and :meth:`MqttSession._ack` sends the PUBACK;
redeliveries are expected, and the store keeps one reading per (device, metric, device time).

What the broker must be told (Mosquitto 2.0): ``max_queued_messages`` (default 1000 per client,
beyond those in flight) silently drops QoS 1 messages for a subscriber that is away or falls
behind a burst, although the publisher had its PUBACK: size it (and ``max_queued_bytes``) for
the longest outage to ride out. ``persistence true`` saves sessions and queues on SIGTERM and
every ``autosave_interval`` (1800 s by default); a crash (SIGKILL, power) loses what arrived
since the last save.
"""

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from types import TracebackType
from typing import Protocol, Self

import aiomqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from core.clock import Clock, SystemClock
from irrigation.errors import BadReading
from irrigation.model import Reading
from irrigation.wire import (
    DEFAULT_PREFIX,
    GateChannel,
    TopicParts,
    format_readings,
    parse_readings,
)

__all__ = [
    "EdgeState",
    "IngestStats",
    "MqttIngestor",
    "MqttSession",
    "MqttSettings",
    "ReadingSink",
    "clear_session",
    "publish_readings",
]

_log = logging.getLogger(__name__)
_Messages = aiomqtt.client.MessagesIterator


@dataclass(frozen=True, kw_only=True, slots=True)
class MqttSettings:
    """Where the broker is and how Tanbo's sessions behave on it."""

    host: str = "127.0.0.1"
    port: int = 1883
    client_id: str = "tanbo"
    """The stem of every client id (``<client_id>-ingest``, ``-gates``…): one per Tanbo."""
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    keepalive_s: int = 30
    topic_prefix: str = DEFAULT_PREFIX
    qos: int = 1
    session_expiry_s: int = 7 * 24 * 3600
    """How long the broker keeps a session (and queues for it) while its client is away."""
    reconnect_min_s: float = 0.5
    reconnect_max_s: float = 30.0
    timeout_s: float = 10.0
    """For connecting, subscribing and each publish to be acknowledged by the broker."""

    def __post_init__(self) -> None:
        if self.qos not in (0, 1, 2):
            raise ValueError(f"MQTT QoS is 0, 1 or 2, not {self.qos}")
        if not 0 < self.reconnect_min_s <= self.reconnect_max_s:
            raise ValueError("reconnect backoff needs 0 < reconnect_min_s <= reconnect_max_s")
        if any(c in self.topic_prefix for c in "+#") or "" in self.topic_prefix.split("/"):
            raise ValueError(f"topic prefix {self.topic_prefix!r} is not a plain topic")


def _client(
    settings: MqttSettings,
    client_id: str,
    *,
    persistent: bool,
    receive_maximum: int = 0,
    max_inflight: int | None = None,
) -> aiomqtt.Client:
    props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
    props.SessionExpiryInterval = settings.session_expiry_s if persistent else 0
    if receive_maximum:
        # Mosquitto otherwise sends only 20 unacknowledged messages at a time.
        props.ReceiveMaximum = receive_maximum
    return aiomqtt.Client(
        settings.host,
        settings.port,
        identifier=client_id,
        username=settings.username,
        password=settings.password,
        protocol=aiomqtt.ProtocolVersion.V5,
        clean_start=not persistent,
        properties=props,
        keepalive=settings.keepalive_s,
        timeout=settings.timeout_s,
        max_inflight_messages=max_inflight,
    )


def _manual_acks(client: aiomqtt.Client) -> None:
    client._client.manual_ack_set(True)


def _check_granted(client_id: str, granted: Sequence[object], qos: int) -> None:
    for code in granted:
        if isinstance(code, ReasonCode) and code.is_failure:
            raise aiomqtt.MqttError(f"the broker refused the subscription: {code}")
        if isinstance(code, ReasonCode) and code.value < qos:
            _log.warning("%s: the broker grants QoS %d only", client_id, code.value)


class EdgeState(StrEnum):
    """Where an MQTT session is in its life."""

    STOPPED = "stopped"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"


class MqttSession:
    """A persistent MQTT session that reconnects with backoff until cancelled.

    Subclasses serve each connection in ``_serve`` and acknowledge each message with ``_ack``.
    """

    def __init__(
        self,
        settings: MqttSettings,
        client_id: str,
        topics: Sequence[str],
        *,
        receive_maximum: int = 0,
        on_error: Callable[[str], None] | None = None,
    ) -> None:
        self.settings = settings
        self.client_id = client_id
        self.state = EdgeState.STOPPED
        self.connections = 0
        self._topics = list(topics)
        self._receive_maximum = receive_maximum
        self._on_error = on_error or _log.warning
        self._client: aiomqtt.Client | None = None
        self._connected = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        """Stay connected (subscribed, serving) until cancelled."""
        settings, delay = self.settings, self.settings.reconnect_min_s
        try:
            while True:
                self.state = EdgeState.RECONNECTING if self.connections else EdgeState.CONNECTING
                client = _client(
                    settings, self.client_id, persistent=True, receive_maximum=self._receive_maximum
                )
                _manual_acks(client)
                try:
                    async with client:
                        if self._topics:
                            granted = await client.subscribe(
                                [(t, settings.qos) for t in self._topics]
                            )
                            _check_granted(self.client_id, granted, settings.qos)
                        self._client, self.state = client, EdgeState.CONNECTED
                        self.connections += 1
                        self._connected.set()
                        delay = settings.reconnect_min_s
                        await self._serve(client)
                except aiomqtt.MqttError as exc:
                    _log.warning("%s: %s; reconnecting in %g s", self.client_id, exc, delay)
                finally:
                    self._client, self.state = None, EdgeState.RECONNECTING
                    self._connected.clear()
                await asyncio.sleep(delay)
                delay = min(delay * 2, settings.reconnect_max_s)
        finally:
            self.state = EdgeState.STOPPED

    async def _serve(self, client: aiomqtt.Client) -> None:
        raise NotImplementedError

    @staticmethod
    def _ack(client: aiomqtt.Client, message: aiomqtt.Message) -> None:
        """Send the PUBACK of ``message``, once it has been dealt with."""
        # On a lost connection this does nothing: the broker sends the message again.
        if message.qos > 0:
            client._client.ack(message.mid, message.qos)

    async def wait_connected(self, timeout_s: float | None = None) -> None:
        """Wait until the session is connected and subscribed.

        Raises
        ------
        TimeoutError
            Not connected within ``timeout_s`` (default: the settings' timeout).
        """
        async with asyncio.timeout(timeout_s or self.settings.timeout_s):
            await self._connected.wait()

    async def __aenter__(self) -> Self:
        self._task = asyncio.create_task(self.run(), name=self.client_id)
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


class ReadingSink(Protocol):
    """Where readings go to be stored; storing the same reading twice must keep one."""

    async def store(self, readings: Sequence[Reading]) -> None:
        """Store these readings durably before returning."""
        ...


@dataclass(frozen=True, kw_only=True, slots=True)
class IngestStats:
    """What an ingestor has seen so far (redeliveries count again)."""

    messages: int
    readings: int
    rejected: int
    connections: int


class MqttIngestor(MqttSession):
    """Subscribes ``<prefix>/+/+/+/+`` at QoS 1 and stores readings in batches, then acks them.

    Parameters
    ----------
    sink
        Stores each batch; if it raises, nothing in the batch is acknowledged and the session
        is dropped and resumed, so the broker sends the batch again.
    on_error
        Told one line per message that cannot be read (it is acknowledged and dropped).
    batch_size
        The most messages per store; also the MQTT Receive Maximum asked of the broker.
    linger_s
        How long to wait for more messages before storing a batch that is not full.
    """

    def __init__(
        self,
        settings: MqttSettings,
        sink: ReadingSink,
        *,
        on_error: Callable[[str], None] | None = None,
        clock: Clock | None = None,
        batch_size: int = 500,
        linger_s: float = 0.005,
    ) -> None:
        topic = f"{settings.topic_prefix}/+/+/+/+"
        super().__init__(
            settings,
            f"{settings.client_id}-ingest",
            [topic],
            receive_maximum=batch_size,
            on_error=on_error,
        )
        self._sink = sink
        self._clock = clock or SystemClock()
        self._batch_size = batch_size
        self._linger_s = linger_s
        self._messages = self._readings = self._rejected = 0

    def stats(self) -> IngestStats:
        """The counts so far."""
        return IngestStats(
            messages=self._messages,
            readings=self._readings,
            rejected=self._rejected,
            connections=self.connections,
        )

    async def _serve(self, client: aiomqtt.Client) -> None:
        messages = client.messages
        while True:
            batch = [await anext(messages)]
            await self._take(messages, batch)
            if len(batch) < self._batch_size and self._linger_s > 0:
                await asyncio.sleep(self._linger_s)
                await self._take(messages, batch)
            await self._store(client, batch)

    async def _take(
        self, messages: aiomqtt.client.MessagesIterator, batch: list[aiomqtt.Message]
    ) -> None:
        # Only what is already queued: never cancel a wait for a message, which could drop it.
        while len(messages) and len(batch) < self._batch_size:
            batch.append(await anext(messages))

    async def _store(self, client: aiomqtt.Client, batch: list[aiomqtt.Message]) -> None:
        received_at, prefix = self._clock.now(), self.settings.topic_prefix
        readings: list[Reading] = []
        for message in batch:
            topic = message.topic.value
            if topic.rsplit("/", 1)[-1] in (GateChannel.CMD, GateChannel.ACK):
                continue
            try:
                readings += parse_readings(
                    topic, bytes(message.payload), received_at=received_at, prefix=prefix
                )
            except BadReading as exc:
                self._rejected += 1
                self._on_error(str(exc))
        if readings:
            try:
                await self._sink.store(readings)
            except Exception as exc:
                self._on_error(f"storing {len(readings)} readings failed ({exc!r}); will retry")
                raise aiomqtt.MqttError("the reading sink failed") from exc
        self._messages += len(batch)
        self._readings += len(readings)
        for message in batch:
            self._ack(client, message)


async def clear_session(settings: MqttSettings, *, client_id: str) -> None:
    """Make the broker forget a client's session (subscriptions and queued messages)."""
    async with _client(settings, client_id, persistent=False):
        pass


async def publish_readings(
    settings: MqttSettings, readings: Sequence[Reading], *, window: int = 200
) -> int:
    """Publish each reading as a device would (QoS 1), until the broker has acked every one.

    On a lost connection it reconnects with backoff and publishes again what was not yet
    acknowledged (so a reading may reach the broker twice, as from a real device). For
    tests, the demo and benches; readings need ``farm`` and ``paddy_id``.

    Returns
    -------
    int
        How many messages were published.
    """
    messages = []
    for reading in readings:
        if reading.farm is None or reading.paddy_id is None:
            raise BadReading(f"{reading.device_id}: a reading needs farm and paddy to publish")
        parts = TopicParts(
            farm=reading.farm,
            paddy_id=reading.paddy_id,
            device_id=reading.device_id,
            leaf=reading.metric,
        )
        messages.append((parts.topic(settings.topic_prefix), format_readings([reading])))
    todo, delay = set(range(len(messages))), settings.reconnect_min_s
    client_id = f"{settings.client_id}-publish-{uuid.uuid4().hex[:8]}"
    while todo:
        client = _client(settings, client_id, persistent=False, max_inflight=window)
        client.pending_calls_threshold = window + 1  # else aiomqtt logs a warning per batch
        try:
            async with client:
                delay = settings.reconnect_min_s
                await _publish_all(client, messages, todo, settings.qos, window)
        except* aiomqtt.MqttError as group:
            _log.warning("publishing: %s; again in %g s", group.exceptions[0], delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, settings.reconnect_max_s)
    return len(messages)


async def _publish_all(
    client: aiomqtt.Client,
    messages: list[tuple[str, bytes]],
    todo: set[int],
    qos: int,
    window: int,
) -> None:
    room = asyncio.Semaphore(window)

    async def one(index: int) -> None:
        try:
            topic, payload = messages[index]
            await client.publish(topic, payload, qos=qos)
            todo.discard(index)
        finally:
            room.release()

    async def watch() -> None:  # ends in MqttError when the connection drops
        async for _ in client.messages:
            pass

    async with asyncio.TaskGroup() as group:
        watcher = group.create_task(watch())
        async with asyncio.TaskGroup() as publishes:
            for index in sorted(todo):
                await room.acquire()
                publishes.create_task(one(index))
        watcher.cancel()
