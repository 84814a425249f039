"""Byte transports under a MAVLink link: TCP, UDP and serial, from a connection string.

The strings are those of MAVProxy and pymavlink, so an operator's habits carry over:

===============================  ====================================================
``tcp:HOST:PORT``                connect to a TCP server (ArduPilot SITL: ``tcp:127.0.0.1:5760``)
``udpin:HOST:PORT`` / ``udp:``   listen on a UDP port and answer whoever sends (a telemetry
                                 radio bridge, SITL's ``--out``, QGroundControl's 14550)
``udpout:HOST:PORT``             send to a UDP address and read its replies
``serial:DEVICE[:BAUD]``         a serial port, e.g. ``serial:/dev/ttyUSB0:57600``; a bare
                                 ``/dev/…`` or ``COM3`` path works too (baud 57600)
===============================  ====================================================

A transport moves bytes and nothing else: framing and parsing belong to the link.
Each raises :class:`~fleet.errors.LinkError` with the address when it cannot open, and
reports a lost connection by returning ``None`` from :meth:`Transport.read`.

>>> parse_url("tcp:127.0.0.1:5760")
Endpoint(kind='tcp', host='127.0.0.1', port=5760, device='', baud=0)
>>> parse_url("serial:/dev/ttyUSB0:115200").baud
115200
>>> parse_url("tcp:nowhere")
Traceback (most recent call last):
...
fleet.errors.LinkError: connection 'tcp:nowhere': expected tcp:HOST:PORT
"""

import contextlib
import select
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from fleet.errors import LinkError

__all__ = ["Endpoint", "Transport", "open_transport", "parse_url"]

DEFAULT_BAUD = 57600
"""SiK telemetry radios' usual rate."""

_NETWORK_KINDS = {"tcp": "tcp", "udp": "udpin", "udpin": "udpin", "udpout": "udpout"}


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where a link goes: a parsed connection string."""

    kind: str
    host: str = ""
    port: int = 0
    device: str = ""
    baud: int = 0


def parse_url(url: str) -> Endpoint:
    """Read a connection string (see the module's table).

    Raises
    ------
    LinkError
        The string names no known transport, or its address is malformed.
    """
    text = url.strip()
    scheme, _, rest = text.partition(":")
    if scheme in _NETWORK_KINDS:
        kind = _NETWORK_KINDS[scheme]
        host, _, port_text = rest.rpartition(":")
        if not host or not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
            raise LinkError(f"connection {url!r}: expected {scheme}:HOST:PORT")
        return Endpoint(kind, host=host, port=int(port_text))
    if scheme == "serial" or text.startswith("/dev/") or text.upper().startswith("COM"):
        device = rest if scheme == "serial" else text
        baud = DEFAULT_BAUD
        head, _, tail = device.rpartition(":")
        if head and tail.isdigit():
            device, baud = head, int(tail)
        if not device:
            raise LinkError(f"connection {url!r}: expected serial:DEVICE[:BAUD]")
        return Endpoint("serial", device=device, baud=baud)
    raise LinkError(
        f"connection {url!r}: expected tcp:HOST:PORT, udpin:HOST:PORT, udpout:HOST:PORT "
        "or serial:DEVICE[:BAUD]"
    )


class HasFileno(Protocol):
    """A socket or a serial port: anything ``select`` can wait on."""

    def fileno(self) -> int: ...


class Transport(Protocol):
    """A byte pipe to one vehicle (or one radio carrying several)."""

    description: str

    def read(self, timeout_s: float) -> bytes | None:
        """Bytes that arrived within ``timeout_s`` (``b""`` if none); None once closed by
        the far end."""

    def write(self, data: bytes) -> None:
        """Send ``data``; dropped silently when the far end is gone (the link notices)."""

    def close(self) -> None:
        """Release the socket or port; safe to repeat."""


class _TcpTransport:
    def __init__(self, endpoint: Endpoint, timeout_s: float) -> None:
        self.description = f"tcp:{endpoint.host}:{endpoint.port}"
        try:
            self._sock = socket.create_connection((endpoint.host, endpoint.port), timeout_s)
        except OSError as exc:
            raise LinkError(f"cannot connect to {self.description}: {_why(exc)}") from exc
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock.settimeout(None)
        self._closed = False

    def read(self, timeout_s: float) -> bytes | None:
        if self._closed:
            return None
        return _read_when_ready(self._sock, self._receive, timeout_s)

    def _receive(self) -> bytes:
        data = self._sock.recv(65536)
        if not data:
            raise ConnectionResetError("closed by the far end")
        return data

    def write(self, data: bytes) -> None:
        if self._closed:
            return
        with contextlib.suppress(OSError):
            self._sock.sendall(data)

    def close(self) -> None:
        self._closed = True
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()


class _UdpTransport:
    """``udpin`` binds and answers the last sender; ``udpout`` sends to a fixed address."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.description = f"{endpoint.kind}:{endpoint.host}:{endpoint.port}"
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._peer: tuple[str, int] | None = None
        try:
            if endpoint.kind == "udpin":
                self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                self._sock.bind((endpoint.host, endpoint.port))
            else:
                self._peer = (socket.gethostbyname(endpoint.host), endpoint.port)
                self._sock.bind(("", 0))
        except OSError as exc:
            self._sock.close()
            raise LinkError(f"cannot open {self.description}: {_why(exc)}") from exc
        self._closed = False

    @property
    def local_port(self) -> int:
        """The UDP port this end is bound to."""
        port: int = self._sock.getsockname()[1]
        return port

    def read(self, timeout_s: float) -> bytes | None:
        if self._closed:
            return None
        return _read_when_ready(self._sock, self._receive, timeout_s)

    def _receive(self) -> bytes:
        data, self._peer = self._sock.recvfrom(65536)
        return data

    def write(self, data: bytes) -> None:
        if self._closed or self._peer is None:
            return
        with contextlib.suppress(OSError):
            self._sock.sendto(data, self._peer)

    def close(self) -> None:
        self._closed = True
        self._sock.close()


class _SerialTransport:
    def __init__(self, endpoint: Endpoint) -> None:
        import serial  # pyserial; imported here so network links never need it

        self.description = f"serial:{endpoint.device}:{endpoint.baud}"
        try:
            self._port = serial.Serial(endpoint.device, endpoint.baud, timeout=0)
        except (serial.SerialException, ValueError, OSError) as exc:
            raise LinkError(f"cannot open {self.description}: {exc}") from exc
        self._closed = False

    def read(self, timeout_s: float) -> bytes | None:
        if self._closed:
            return None
        return _read_when_ready(
            self._port, lambda: bytes(self._port.read(self._port.in_waiting or 1)), timeout_s
        )

    def write(self, data: bytes) -> None:
        if self._closed:
            return
        with contextlib.suppress(OSError):
            self._port.write(data)

    def close(self) -> None:
        self._closed = True
        with contextlib.suppress(OSError):
            self._port.close()


def open_transport(url: str, *, timeout_s: float = 5.0) -> Transport:
    """Open the transport a connection string names.

    Raises
    ------
    LinkError
        The string is malformed, or the address cannot be reached or bound.
    """
    endpoint = parse_url(url)
    if endpoint.kind == "tcp":
        return _TcpTransport(endpoint, timeout_s)
    if endpoint.kind in ("udpin", "udpout"):
        return _UdpTransport(endpoint)
    return _SerialTransport(endpoint)


def _read_when_ready(
    source: "int | HasFileno", receive: Callable[[], bytes], timeout_s: float
) -> bytes | None:
    """What ``receive`` returns once ``source`` is readable within ``timeout_s`` (``b""``
    with nothing to read yet); None when the source is gone or closed."""
    try:
        ready, _, _ = select.select([source], [], [], timeout_s)
        if not ready:
            return b""
        return receive()
    except (OSError, ValueError, TypeError):  # TypeError: closed under our feet
        return None


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__
