"""The MAVLink 2 codec of one simulated vehicle: ArduPilot's dialect, bytes in, bytes out.

pymavlink's ``MAVLink`` object numbers outgoing packets and keeps the parser's
state between reads, so each vehicle owns exactly one :class:`MavCodec`.

>>> codec = MavCodec(system_id=1)
>>> data = codec.encode(mavlink.MAVLink_heartbeat_message(2, 3, 0, 0, 3, 3))
>>> [msg.get_type() for msg in MavCodec(system_id=255).decode(data)]
['HEARTBEAT']
"""

from collections.abc import Callable
from typing import Any

from pymavlink.dialects.v20 import ardupilotmega as mavlink

__all__ = ["COMPONENT_ID", "MavCodec", "Message", "Send", "mavlink"]

COMPONENT_ID = 1
"""MAV_COMP_ID_AUTOPILOT1: the autopilot answers as component 1."""

Message = Any
"""A pymavlink message object (pymavlink ships no type information)."""

Send = Callable[[Message], None]
"""How a service hands a message to the endpoint for sending."""


class _Buffer:
    """A write-only file for pymavlink: the packed bytes wait here until taken."""

    def __init__(self) -> None:
        self.data = bytearray()

    def write(self, data: bytes) -> None:
        self.data += data

    def take(self) -> bytes:
        out = bytes(self.data)
        self.data.clear()
        return out


class MavCodec:
    """Packs and parses MAVLink 2 frames for one system id, component 1.

    Parameters
    ----------
    system_id
        The vehicle's MAVLink system id (1..255).
    """

    def __init__(self, system_id: int) -> None:
        if not 1 <= system_id <= 255:
            raise ValueError(f"system id {system_id} is outside 1..255")
        self._buffer = _Buffer()
        self._mav = mavlink.MAVLink(self._buffer, srcSystem=system_id, srcComponent=COMPONENT_ID)
        self._mav.robust_parsing = True  # garbage on the wire becomes BAD_DATA, not an exception
        self.system_id = system_id

    def encode(self, message: Message) -> bytes:
        """One message as a MAVLink 2 frame, with the next sequence number."""
        self._mav.send(message)
        return self._buffer.take()

    def decode(self, data: bytes) -> list[Message]:
        """Every complete, valid message in ``data`` (partial frames wait for the next call)."""
        messages = self._mav.parse_buffer(data) or []
        return [m for m in messages if m.get_type() != "BAD_DATA"]
