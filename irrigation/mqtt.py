"""The MQTT edge of paddy water: readings in, gate commands out, acknowledgements back.

Every session is MQTT 5 with ``clean_start=False`` and a session expiry, so the broker keeps
what is published for Tanbo while it is down or reconnecting; each reconnects on its own, with
backoff, until stopped. A QoS 1 reading is acknowledged to the broker (PUBACK) only after the
sink has stored it: a crash between receipt and storage leaves it unacknowledged, and the
broker sends it again. aiomqtt 2.5 has no switch for that (aiomqtt issue #345, PR #346 open),
so :func:`_manual_acks` turns on paho-mqtt's own ``manual_ack`` on the client aiomqtt wraps,
before it connects, and :func:`_ack` sends the PUBACK; redeliveries are expected, and the
store keeps one reading per (device, metric, device time).

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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from types import TracebackType
from typing import Protocol, Self

import aiomqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from core.clock import Clock, SystemClock
from irrigation.errors import BadReading, GateUnavailable
from irrigation.model import GateAck, GateAction, GateCommand, GateRole, Reading
from irrigation.wire import (
    DEFAULT_PREFIX,
    GateChannel,
    TopicParts,
    format_gate_ack,
    format_gate_command,
    format_readings,
    parse_gate_ack,
    parse_gate_command,
    parse_readings,
)

__all__ = [
    "EdgeState",
    "GateBehaviour",
    "GatePort",
    "InProcessGates",
    "IngestStats",
    "MqttGates",
    "MqttIngestor",
    "MqttSettings",
    "PendingCommand",
    "ReadingSink",
    "SimulatedGateDevice",
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


def _ack(client: aiomqtt.Client, message: aiomqtt.Message) -> None:
    # On a lost connection this does nothing: the broker sends the message again.
    if message.qos > 0:
        client._client.ack(message.mid, message.qos)


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


class _Session:
    """A persistent MQTT session that reconnects with backoff until cancelled."""

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


class MqttIngestor(_Session):
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
            _ack(client, message)


class GatePort(Protocol):
    """Something that gets a command to a gate and brings back its answer."""

    async def send(self, command: GateCommand, *, farm: str, device: str) -> GateAck:
        """Send ``command`` to gate ``device`` of ``command.paddy_id``; its ack, ok or not.

        Raises
        ------
        GateUnavailable
            The command could not be sent, or the gate did not answer in time.
        """
        ...


@dataclass(frozen=True, kw_only=True, slots=True)
class PendingCommand:
    """A command sent to a gate and not yet acknowledged."""

    command: GateCommand
    farm: str
    device: str
    sent_at: datetime
    deadline: datetime


class MqttGates(_Session):
    """Gate commands over MQTT: QoS 1 to ``…/<device>/cmd``, answers from ``…/<device>/ack``.

    :meth:`send` waits for the answer; a controller tick that must not block uses
    :meth:`post`, then :meth:`pending`, :meth:`expire` and the ``on_ack`` callback (which
    hears every answer, late ones too).
    """

    def __init__(
        self,
        settings: MqttSettings,
        *,
        ack_timeout_s: float = 30.0,
        on_ack: Callable[[GateAck], None] | None = None,
        on_error: Callable[[str], None] | None = None,
        clock: Clock | None = None,
    ) -> None:
        topic = f"{settings.topic_prefix}/+/+/+/{GateChannel.ACK}"
        super().__init__(settings, f"{settings.client_id}-gates", [topic], on_error=on_error)
        self._ack_timeout_s = ack_timeout_s
        self._on_ack = on_ack
        self._clock = clock or SystemClock()
        self._pending: dict[str, tuple[PendingCommand, asyncio.Future[GateAck]]] = {}

    def pending(self) -> list[PendingCommand]:
        """Commands sent and not yet answered, oldest first."""
        return [entry for entry, _ in self._pending.values()]

    def expire(self, now: datetime) -> list[PendingCommand]:
        """Forget and return the commands whose answer is overdue at ``now``."""
        overdue = [entry for entry, _ in self._pending.values() if entry.deadline <= now]
        for entry in overdue:
            _, future = self._pending.pop(entry.command.command_id)
            if not future.done():
                future.set_exception(GateUnavailable(f"command {entry.command.command_id} expired"))
                future.exception()  # retrieved: a post() nobody awaits must not log it
        return overdue

    async def post(self, command: GateCommand, *, farm: str, device: str) -> PendingCommand:
        """Hand ``command`` to the broker (QoS 1) and return without waiting for the gate.

        Raises
        ------
        GateUnavailable
            No connection to the broker, or the broker did not take the command.
        """
        entry, _ = await self._post(command, farm=farm, device=device)
        return entry

    async def _post(
        self, command: GateCommand, *, farm: str, device: str
    ) -> tuple[PendingCommand, asyncio.Future[GateAck]]:
        where = f"gate {farm}/{command.paddy_id}/{device}"
        parts = TopicParts(
            farm=farm, paddy_id=command.paddy_id, device_id=device, leaf=GateChannel.CMD
        )
        try:
            await self.wait_connected()
        except TimeoutError:
            raise GateUnavailable(f"{where}: no connection to the MQTT broker") from None
        client, now = self._client, self._clock.now()
        if client is None:
            raise GateUnavailable(f"{where}: the connection to the MQTT broker dropped")
        deadline = now + timedelta(seconds=self._ack_timeout_s)
        entry = PendingCommand(
            command=command, farm=farm, device=device, sent_at=now, deadline=deadline
        )
        future: asyncio.Future[GateAck] = asyncio.get_running_loop().create_future()
        self._pending[command.command_id] = (entry, future)
        try:
            topic = parts.topic(self.settings.topic_prefix)
            await client.publish(topic, format_gate_command(command), qos=self.settings.qos)
        except aiomqtt.MqttError as exc:
            self._pending.pop(command.command_id, None)
            raise GateUnavailable(f"{where}: the broker did not take the command: {exc}") from exc
        return entry, future

    async def send(self, command: GateCommand, *, farm: str, device: str) -> GateAck:
        """Send ``command`` and wait for the gate's answer (see :class:`GatePort`)."""
        _, future = await self._post(command, farm=farm, device=device)
        try:
            async with asyncio.timeout(self._ack_timeout_s):
                return await asyncio.shield(future)
        except TimeoutError:
            raise GateUnavailable(
                f"gate {farm}/{command.paddy_id}/{device} did not answer command"
                f" {command.command_id} within {self._ack_timeout_s:g} s"
            ) from None
        finally:
            self._pending.pop(command.command_id, None)

    async def _serve(self, client: aiomqtt.Client) -> None:
        async for message in client.messages:
            topic = message.topic.value
            try:
                ack = parse_gate_ack(topic, bytes(message.payload), received_at=self._clock.now())
            except BadReading as exc:
                self._on_error(str(exc))
            else:
                _, future = self._pending.pop(ack.command_id, (None, None))
                if future is not None and not future.done():
                    future.set_result(ack)
                if self._on_ack is not None:
                    self._on_ack(ack)
            _ack(client, message)


class InProcessGates:
    """Gates answered in the same process: the embedded default without a broker.

    Every command is acknowledged at once, except to devices named ``silent``.
    """

    def __init__(self, *, clock: Clock | None = None, silent: Iterable[str] = ()) -> None:
        self._clock = clock or SystemClock()
        self._silent = set(silent)
        self.openings_pct: dict[tuple[str, str, str], float] = {}
        """Each gate's opening by (farm, paddy, device)."""
        self.commands: list[GateCommand] = []

    async def send(self, command: GateCommand, *, farm: str, device: str) -> GateAck:
        """Set the gate and acknowledge (see :class:`GatePort`)."""
        if device in self._silent:
            raise GateUnavailable(f"gate {farm}/{command.paddy_id}/{device} does not answer")
        self.commands.append(command)
        opening = command.opening_pct if command.action is GateAction.OPEN else 0.0
        self.openings_pct[(farm, command.paddy_id, device)] = opening
        return GateAck(command_id=command.command_id, ok=True, at=self._clock.now())


class GateBehaviour(StrEnum):
    """How a simulated gate answers, for fault tests."""

    OBEY = "obey"
    REFUSE = "refuse"
    SILENT = "silent"


class SimulatedGateDevice(_Session):
    """A gate on the broker: hears ``…/<device>/cmd``, moves, and answers on ``…/ack``.

    Commands older than ``max_command_age_s`` are refused, as a real gate should (a queued
    "open" from hours ago is not an order any more).
    """

    def __init__(
        self,
        settings: MqttSettings,
        *,
        farm: str,
        paddy_id: str,
        device_id: str,
        role: GateRole = GateRole.INLET,
        behaviour: GateBehaviour = GateBehaviour.OBEY,
        delay_s: float = 0.0,
        max_command_age_s: float = 600.0,
        clock: Clock | None = None,
    ) -> None:
        self.parts = TopicParts(
            farm=farm, paddy_id=paddy_id, device_id=device_id, leaf=GateChannel.CMD
        )
        client_id = f"{settings.client_id}-gate-{farm}-{paddy_id}-{device_id}"
        super().__init__(settings, client_id, [self.parts.topic(settings.topic_prefix)])
        self.role, self.behaviour, self.delay_s = role, behaviour, delay_s
        self.max_command_age_s = max_command_age_s
        self._clock = clock or SystemClock()
        self.opening_pct = 0.0
        self.commands: list[GateCommand] = []

    def _answer(self, command: GateCommand) -> GateAck:
        now = self._clock.now()
        age_s = (now - command.issued_at).total_seconds()
        ok, detail = True, ""
        if self.behaviour is GateBehaviour.REFUSE:
            ok, detail = False, "motor fault"
        elif age_s > self.max_command_age_s:
            ok, detail = False, f"command is {age_s:.0f} s old"
        else:
            opening = command.opening_pct if command.action is GateAction.OPEN else 0.0
            self.opening_pct = opening
            detail = f"{command.action} {opening:g} %"
        return GateAck(command_id=command.command_id, ok=ok, at=now, detail=detail)

    async def _serve(self, client: aiomqtt.Client) -> None:
        prefix = self.settings.topic_prefix
        ack_topic = TopicParts(
            farm=self.parts.farm,
            paddy_id=self.parts.paddy_id,
            device_id=self.parts.device_id,
            leaf=GateChannel.ACK,
        ).topic(prefix)
        async for message in client.messages:
            try:
                command = parse_gate_command(
                    message.topic.value, bytes(message.payload), role=self.role, prefix=prefix
                )
            except BadReading as exc:
                self._on_error(str(exc))
                _ack(client, message)
                continue
            self.commands.append(command)
            if self.behaviour is not GateBehaviour.SILENT:
                await asyncio.sleep(self.delay_s)
                answer = format_gate_ack(self._answer(command))
                await client.publish(ack_topic, answer, qos=self.settings.qos)
            _ack(client, message)


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
