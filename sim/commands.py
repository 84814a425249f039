"""COMMAND_LONG and COMMAND_INT, each answered with one COMMAND_ACK.

Both forms are read into one :class:`CommandRequest` and dispatched by command
number; a command the vehicle does not know is answered MAV_RESULT_UNSUPPORTED,
as ArduPilot does.
"""

from collections.abc import Callable
from dataclasses import dataclass

from sim.telemetry import StreamSchedule, Telemetry
from sim.wire import Message, Send, mavlink

__all__ = ["CommandRequest", "CommandService"]

Clock = Callable[[], float]


@dataclass(frozen=True, kw_only=True, slots=True)
class CommandRequest:
    """A command from either message: ``params`` are param1..param7 as floats (COMMAND_INT's
    x and y are int degrees * 1e7, as sent)."""

    command: int
    params: tuple[float, float, float, float, float, float, float]
    sysid: int
    compid: int

    @classmethod
    def from_long(cls, msg: Message) -> "CommandRequest":
        """From COMMAND_LONG."""
        p = (msg.param1, msg.param2, msg.param3, msg.param4, msg.param5, msg.param6, msg.param7)
        return cls(
            command=msg.command, params=p, sysid=msg.get_srcSystem(), compid=msg.get_srcComponent()
        )

    @classmethod
    def from_int(cls, msg: Message) -> "CommandRequest":
        """From COMMAND_INT."""
        p = (msg.param1, msg.param2, msg.param3, msg.param4, float(msg.x), float(msg.y), msg.z)
        return cls(
            command=msg.command, params=p, sysid=msg.get_srcSystem(), compid=msg.get_srcComponent()
        )


CommandHandler = Callable[[CommandRequest], int]
"""Carries a command out and returns its MAV_RESULT."""


class CommandService:
    """Answers commands; other services add their own with :meth:`register`."""

    def __init__(
        self, schedule: StreamSchedule, telemetry: Telemetry, send: Send, clock: Clock
    ) -> None:
        self._schedule = schedule
        self._telemetry = telemetry
        self._send = send
        self._clock = clock
        self._commands: dict[int, CommandHandler] = {
            mavlink.MAV_CMD_SET_MESSAGE_INTERVAL: self.set_message_interval,
            mavlink.MAV_CMD_REQUEST_MESSAGE: self.request_message,
            mavlink.MAV_CMD_GET_HOME_POSITION: self.get_home_position,
            mavlink.MAV_CMD_REQUEST_AUTOPILOT_CAPABILITIES: self.autopilot_capabilities,
        }
        self.handlers: dict[str, Callable[[Message], None]] = {
            "COMMAND_LONG": lambda m: self.run(CommandRequest.from_long(m)),
            "COMMAND_INT": lambda m: self.run(CommandRequest.from_int(m)),
        }

    def register(self, command: int, handler: CommandHandler) -> None:
        """Answer ``command`` with ``handler`` from now on."""
        self._commands[command] = handler

    def run(self, request: CommandRequest) -> None:
        """Carry ``request`` out and send its COMMAND_ACK."""
        handler = self._commands.get(request.command)
        result = mavlink.MAV_RESULT_UNSUPPORTED if handler is None else handler(request)
        self._send(
            mavlink.MAVLink_command_ack_message(
                request.command, result, 0, 0, request.sysid, request.compid
            )
        )

    def set_message_interval(self, request: CommandRequest) -> int:
        """MAV_CMD_SET_MESSAGE_INTERVAL: param1 the message id, param2 microseconds
        (-1 stops it, 0 restores its default)."""
        msg_id, interval_us = int(request.params[0]), request.params[1]
        if not self._schedule.set_interval(msg_id, interval_us, self._clock()):
            self._send(_info(f"No ap_message for mavlink id ({msg_id})"))
            return int(mavlink.MAV_RESULT_DENIED)
        return int(mavlink.MAV_RESULT_ACCEPTED)

    def request_message(self, request: CommandRequest) -> int:
        """MAV_CMD_REQUEST_MESSAGE: send message param1 once, now."""
        msg_id = int(request.params[0])
        if not self._schedule.knows(msg_id):
            return int(mavlink.MAV_RESULT_DENIED)
        return self._send_now(msg_id)

    def autopilot_capabilities(self, request: CommandRequest) -> int:
        """MAV_CMD_REQUEST_AUTOPILOT_CAPABILITIES (the older way): send AUTOPILOT_VERSION."""
        return self._send_now(mavlink.MAVLINK_MSG_ID_AUTOPILOT_VERSION)

    def get_home_position(self, request: CommandRequest) -> int:
        """MAV_CMD_GET_HOME_POSITION: send HOME_POSITION, or FAILED before home is set."""
        return self._send_now(mavlink.MAVLINK_MSG_ID_HOME_POSITION)

    def _send_now(self, msg_id: int) -> int:
        message = self._telemetry.build(msg_id)
        if message is None:
            return int(mavlink.MAV_RESULT_FAILED)
        self._send(message)
        return int(mavlink.MAV_RESULT_ACCEPTED)


def _info(text: str) -> Message:
    return mavlink.MAVLink_statustext_message(mavlink.MAV_SEVERITY_INFO, text.encode())
