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
            self._ack(client, message)


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
                self._ack(client, message)
                continue
            self.commands.append(command)
            if self.behaviour is not GateBehaviour.SILENT:
                await asyncio.sleep(self.delay_s)
                answer = format_gate_ack(self._answer(command))
                await client.publish(ack_topic, answer, qos=self.settings.qos)
            self._ack(client, message)
