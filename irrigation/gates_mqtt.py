"""Gates over MQTT: commands out to ``…/<device>/cmd``, acknowledgements back on ``…/ack``.

:class:`GatePort` is the port: a command in, the gate's answer out. :class:`MqttGates` sends over
the broker, each command at QoS 1, and matches every answer to its command; :class:`InProcessGates`
answers in the same process, the embedded default without a broker; :class:`SimulatedGateDevice`
is a gate on the broker for tests and the demo, with a :class:`GateBehaviour` for faults. Both
MQTT clients are sessions of :class:`irrigation.mqtt.MqttSession`: persistent, reconnecting,
and sending the PUBACK of a message only once it has been dealt with.
"""

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

import aiomqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from core.clock import Clock, SystemClock
from irrigation.errors import BadReading, GateUnavailable
from irrigation.model import GateAck, GateAction, GateCommand, GateRole
from irrigation.mqtt import MqttSession, MqttSettings
from irrigation.wire import (
    GateChannel,
    TopicParts,
    format_gate_ack,
    format_gate_command,
    parse_gate_ack,
    parse_gate_command,
    parse_topic,
)

__all__ = [
    "GateBehaviour",
    "GatePort",
    "InProcessGates",
    "MqttGates",
    "PendingCommand",
    "SimulatedGateDevice",
]


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


class MqttGates(MqttSession):
    """Gate commands over MQTT: QoS 1 to ``…/<device>/cmd``, answers from ``…/<device>/ack``.

    :meth:`send` waits for the answer; a controller tick that must not block uses
    :meth:`post`, then :meth:`pending`, :meth:`expire` and the ``on_ack`` callback.

    An answer counts only from the gate its command went to: its ``id`` must name a pending
    command *and* its topic that command's farm, paddy and device (ids are guessable, and with
    per-device ACLs on the broker the topic is what a gate cannot forge). Any other answer is
    told to ``on_error`` in one line and ignored. A late answer (its command expired or
    answered already) can no longer be matched to an address, so ``on_ack`` hears it only if
    its topic's paddy is the paddy its id begins with (ids are ``<paddy>/<role>/<UTC time>``,
    see :func:`irrigation.control_state.command_id`).

    Parameters
    ----------
    ack_timeout_s
        How long :meth:`send` waits for an answer; the deadline of every pending command.
    command_expiry_s
        The MQTT 5 Message Expiry Interval of each command: a broker still holding it for a
        gate that is offline drops it after this long, so the gate never comes back to a
        stale "open".
    on_ack
        Hears every answer that counts, late ones too.
    on_error
        Told one line per answer that cannot be read or does not count.
    """

    def __init__(
        self,
        settings: MqttSettings,
        *,
        ack_timeout_s: float = 30.0,
        command_expiry_s: int = 300,
        on_ack: Callable[[GateAck], None] | None = None,
        on_error: Callable[[str], None] | None = None,
        clock: Clock | None = None,
    ) -> None:
        if command_expiry_s < 1:
            raise ValueError(f"command_expiry_s must be at least 1 s, not {command_expiry_s}")
        topic = f"{settings.topic_prefix}/+/+/+/{GateChannel.ACK}"
        super().__init__(settings, f"{settings.client_id}-gates", [topic], on_error=on_error)
        self._ack_timeout_s = ack_timeout_s
        self._command_expiry_s = command_expiry_s
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
        props = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
        props.MessageExpiryInterval = self._command_expiry_s
        try:
            topic, payload = parts.topic(self.settings.topic_prefix), format_gate_command(command)
            await client.publish(topic, payload, qos=self.settings.qos, properties=props)
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
            self._hear(message.topic.value, bytes(message.payload))
            self._ack(client, message)

    def _hear(self, topic: str, payload: bytes) -> None:
        try:
            parts = parse_topic(topic, prefix=self.settings.topic_prefix)
            ack = parse_gate_ack(topic, payload, received_at=self._clock.now())
        except BadReading as exc:
            self._on_error(str(exc))
            return
        entry, future = self._pending.get(ack.command_id, (None, None))
        if entry is None:
            if parts.paddy_id != ack.command_id.split("/", 1)[0]:
                self._on_error(
                    f"{topic}: ack of command {ack.command_id}, which is not pending"
                    f" and not one for paddy {parts.paddy_id}: ignored"
                )
                return
        else:
            sent_to = (entry.farm, entry.command.paddy_id, entry.device)
            if (parts.farm, parts.paddy_id, parts.device_id) != sent_to:
                self._on_error(
                    f"{topic}: ack of command {ack.command_id}, which was sent to gate"
                    f" {'/'.join(sent_to)}: ignored"
                )
                return
            del self._pending[ack.command_id]
            if future is not None and not future.done():
                future.set_result(ack)
        if self._on_ack is not None:
            self._on_ack(ack)


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


class SimulatedGateDevice(MqttSession):
    """A gate on the broker: hears ``…/<device>/cmd``, moves, and answers on ``…/ack``.

    Commands older than ``max_command_age_s`` are refused, as a real gate should (a queued
    "open" from hours ago is not an order any more), whether or not the broker honoured the
    command's message expiry. Its session is persistent, so a command sent while it is
    offline waits for it at the broker until that expiry.
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
                self._ack(client, message)
                continue
            self.commands.append(command)
            if self.behaviour is not GateBehaviour.SILENT:
                await asyncio.sleep(self.delay_s)
                answer = format_gate_ack(self._answer(command))
                await client.publish(ack_topic, answer, qos=self.settings.qos)
            self._ack(client, message)
