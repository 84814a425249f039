"""A vehicle's second link over UDP to a ground station, as ArduPilot SITL's ``--out``.

SITL started with ``--out udp:127.0.0.1:14550`` sends every frame from a socket of
its own (an ephemeral local port) to that address, where QGroundControl or MAVProxy
listens, and takes what comes back to that socket as from the ground station.
Several vehicles may stream to the same address, each from its own socket: the
ground station tells them apart by system id and answers each at its source
address. :class:`UdpOut` is that link for one :class:`~sim.endpoint.SimVehicle`;
it keeps streaming whether or not anyone listens, as SITL does.

>>> parse_udp_target("127.0.0.1:14550")
('127.0.0.1', 14550)
>>> parse_udp_target("udp:[::1]:14551")
('::1', 14551)
"""

import asyncio
import contextlib
import logging
import socket
import time
from collections.abc import Callable
from typing import Any

from sim.endpoint import SimVehicle
from sim.errors import EndpointError
from sim.wire import MavCodec

__all__ = ["UdpOut", "parse_udp_target"]

_MAX_BUFFERED_BYTES = 1 << 20  # a target that cannot keep up loses frames, as over a radio

logger = logging.getLogger(__name__)


def parse_udp_target(text: str) -> tuple[str, int]:
    """Read a UDP destination written ``HOST:PORT`` (IPv6 as ``[ADDR]:PORT``).

    SITL's own spelling with a ``udp:`` prefix is accepted too.

    Parameters
    ----------
    text
        E.g. ``127.0.0.1:14550``, ``gcs.local:14550``, ``[::1]:14550``.

    Returns
    -------
    tuple[str, int]
        The host (without brackets) and the port (1..65535).

    Raises
    ------
    ValueError
        Not of that form; the message says what was expected and what was given.
    """
    body = text.strip()
    body = body.removeprefix("udp:")
    if body.startswith("["):
        host, sep, port_text = body[1:].partition("]:")
        if not sep or ":" not in host:
            raise ValueError(f"expected [IPv6]:PORT, got {text!r}")
    else:
        host, sep, port_text = body.rpartition(":")
        if not sep or ":" in host:
            raise ValueError(f"expected HOST:PORT (IPv6 as [ADDR]:PORT), got {text!r}")
    if not host or any(c.isspace() for c in host):
        raise ValueError(f"no host in {text!r} (expected HOST:PORT)")
    if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise ValueError(f"port {port_text!r} in {text!r} is not a number in 1..65535")
    return host, int(port_text)


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, on_datagram: Callable[[bytes], None], target: str) -> None:
        self._on_datagram = on_datagram
        self._target = target

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self._on_datagram(data)

    def error_received(self, exc: Exception) -> None:
        # Nobody listening yet (ICMP port unreachable): SITL streams on regardless.
        logger.debug("udp out to %s: %s", self._target, exc)


class UdpOut:
    """Streams a vehicle's frames to ``host:port`` from an ephemeral UDP port and hands
    what the ground station sends back to :meth:`SimVehicle.receive`.

    Parameters
    ----------
    vehicle
        The vehicle whose frames are sent (added as a peer on :meth:`start`).
    host, port
        Where the ground station listens (QGroundControl and MAVProxy: port 14550).
        A host name is looked up as IPv4, as SITL does; an IPv6 literal is used as is.
    """

    def __init__(self, vehicle: SimVehicle, host: str, port: int) -> None:
        if not 1 <= port <= 65535:
            raise ValueError(f"UDP port {port} is outside 1..65535")
        self.vehicle = vehicle
        self.host = host
        self.port = port
        self._codec = MavCodec(255)  # parser state for this stream only; the id is unused
        self._transport: asyncio.DatagramTransport | None = None
        self.heard_s: float | None = None
        """``time.monotonic()`` when the ground station last sent something; None: never."""

    @property
    def target(self) -> str:
        """Where frames go, ``HOST:PORT``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @property
    def local_port(self) -> int:
        """The ephemeral UDP port frames are sent from (and replies come back to)."""
        if self._transport is None:
            raise EndpointError("the UDP link is not open; start() it first")
        port: int = self._transport.get_extra_info("sockname")[1]
        return port

    async def start(self) -> None:
        """Open the socket and start streaming the vehicle's frames to the target.

        Raises
        ------
        EndpointError
            The target cannot be resolved or the socket cannot be opened.
        """
        if self._transport is not None:
            return
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        loop = asyncio.get_running_loop()
        try:
            transport, _ = await loop.create_datagram_endpoint(
                lambda: _Protocol(self._received, self.target),
                remote_addr=(self.host, self.port),
                family=family,
            )
        except OSError as exc:  # socket.gaierror included
            raise EndpointError(f"cannot send UDP to {self.target}: {exc.strerror or exc}") from exc
        self._transport = transport
        self.vehicle.add_peer(self._write)

    async def stop(self) -> None:
        """Stop streaming and close the socket; safe to repeat."""
        self.vehicle.remove_peer(self._write)
        transport, self._transport = self._transport, None
        if transport is not None:
            transport.close()
            await asyncio.sleep(0)  # let the transport's close callback run

    async def __aenter__(self) -> "UdpOut":
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def __repr__(self) -> str:
        state = f"from :{self.local_port}" if self._transport is not None else "closed"
        return f"UdpOut(system {self.vehicle.config.system_id} -> {self.target}, {state})"

    def _write(self, frame: bytes) -> None:
        transport = self._transport
        if transport is None or transport.is_closing():
            return
        # Selector transports queue what the socket cannot take at once (not in typeshed).
        buffered: int = getattr(transport, "get_write_buffer_size", lambda: 0)()
        if buffered > _MAX_BUFFERED_BYTES:
            return
        with contextlib.suppress(OSError):  # reported to error_received by asyncio anyway
            transport.sendto(frame)

    def _received(self, data: bytes) -> None:
        self.heard_s = time.monotonic()
        self.vehicle.receive(self._codec.decode(data))
