"""A small local HTTP API to a running simulator: its vehicles' status, faults in and out.

=======================================  =====================================================
``GET /vehicles``                        every vehicle's status (JSON)
``GET /vehicles/{sysid}``                one vehicle's status
``GET /vehicles/{sysid}/faults``         the faults in force on it
``POST /vehicles/{sysid}/faults``        inject ``{"fault": "gps-loss:20"}`` (:mod:`sim.faults`):
                                         201 with the fault as parsed
``DELETE /vehicles/{sysid}/faults/{k}``  end the fault of kind ``k`` now: 204
=======================================  =====================================================

Errors are RFC 9457 problem details (``application/problem+json``: ``type``
``about:blank``, ``title`` the status phrase, ``status``, ``detail`` naming what is
wrong): 400 for a bad body or fault spec (the detail names the bad part), 404 for an
unknown vehicle or route, or a fault not in force (with ``"in_force": false``), 405 for
a method a route does not take (with ``Allow``).

The server runs on the simulator's own event loop (:func:`asyncio.start_server`), so a
fault goes in between two steps of the vehicle, with no thread and no lock. It speaks
just enough HTTP/1.1 for ``curl`` and :class:`ControlClient`: one request per connection,
a ``Content-Length`` body of at most 64 KiB. It listens on 127.0.0.1 unless told
otherwise: anyone who can reach it can crash the vehicles.

    async with ControlServer(cluster.vehicles, port=5750) as control:
        ...  # curl -X POST localhost:5750/vehicles/1/faults -d '{"fault": "link-cut:20"}'
"""

import asyncio
import contextlib
import dataclasses
import errno
import http.client
import json
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from types import TracebackType
from typing import Any

from sim.endpoint import SimVehicle
from sim.errors import EndpointError, SimError
from sim.faults import Fault, FaultKind, parse_fault

__all__ = [
    "DEFAULT_CONTROL_PORT",
    "ControlClient",
    "ControlError",
    "ControlPortUnavailable",
    "ControlRefused",
    "ControlServer",
    "ControlUnreachable",
    "Response",
    "fault_json",
]

DEFAULT_CONTROL_PORT = 5750
"""The control API's port next to SITL's first (5760): ``tanbo sim --port BASE`` serves it on
BASE − 10 unless ``--control-port`` says otherwise (14550 is the ground stations')."""

_MAX_BYTES = 64 * 1024
_READ_TIMEOUT_S = 5.0
_VEHICLE = re.compile(r"^/vehicles/([^/]+)(/faults(?:/([^/]+))?)?/?$")

logger = logging.getLogger(__name__)

Json = dict[str, Any]


class ControlError(SimError):
    """A request to a simulator's control API that did not succeed."""


class ControlUnreachable(ControlError):
    """Nothing answers at the control API's address (no simulator running there)."""


class ControlPortUnavailable(EndpointError):
    """The control API cannot listen on its port."""

    def __init__(self, message: str, *, port: int, in_use: bool) -> None:
        super().__init__(message)
        self.port = port
        self.in_use = in_use
        """The port is taken by another socket (EADDRINUSE)."""


class ControlRefused(ControlError):
    """The control API refused a request; ``problem`` is its RFC 9457 body."""

    def __init__(self, status: int, problem: Json) -> None:
        super().__init__(str(problem.get("detail") or problem.get("title") or status))
        self.status = status
        self.problem = problem


@dataclass(frozen=True, kw_only=True, slots=True)
class Response:
    """An HTTP response: status, JSON body (None: none), extra headers."""

    status: int
    body: Json | None = None
    headers: tuple[tuple[str, str], ...] = ()

    @classmethod
    def problem(cls, status: HTTPStatus, detail: str, **extra: Any) -> "Response":
        """An RFC 9457 problem of ``status`` saying ``detail``."""
        body = {"type": "about:blank", "title": status.phrase, "status": int(status)}
        return cls(status=int(status), body={**body, "detail": detail, **extra})

    def encode(self) -> bytes:
        """The response as bytes on the wire (the connection closes after it)."""
        status = HTTPStatus(self.status)
        payload = b"" if self.body is None else json.dumps(self.body).encode() + b"\n"
        is_problem = self.status >= 400
        kind = "application/problem+json" if is_problem else "application/json"
        lines = [f"HTTP/1.1 {status.value} {status.phrase}", "Connection: close"]
        if payload:
            lines.append(f"Content-Type: {kind}")
        lines.append(f"Content-Length: {len(payload)}")
        lines += [f"{name}: {value}" for name, value in self.headers]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + payload


def fault_json(fault: Fault) -> Json:
    """A fault as JSON: its kind, its text form, and its fields."""
    return {"kind": str(fault.kind), "spec": fault.spec, **dataclasses.asdict(fault)}


class ControlServer:
    """Serves the control API for ``vehicles`` (looked up by system id).

    Parameters
    ----------
    vehicles
        The vehicles to control.
    host, port
        Where to listen (port 0: any free port, read it back from :attr:`port`).
    describe
        Extra members for ``GET /vehicles`` (e.g. the scenario being run).
    """

    def __init__(
        self,
        vehicles: Sequence[SimVehicle],
        *,
        host: str = "127.0.0.1",
        port: int = DEFAULT_CONTROL_PORT,
        describe: Callable[[], Json] | None = None,
    ) -> None:
        self.vehicles = {v.config.system_id: v for v in vehicles}
        self.host = host
        self._port = port
        self._describe = describe
        self._server: asyncio.Server | None = None

    @property
    def port(self) -> int:
        """The port listened on (the chosen one when asked for 0)."""
        if self._server is None:
            return self._port
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    async def start(self) -> None:
        """Listen.

        Raises
        ------
        ControlPortUnavailable
            The port cannot be listened on; ``in_use`` says whether it is taken.
        """
        try:
            self._server = await asyncio.start_server(self._on_connect, self.host, self._port)
        except OSError as exc:
            in_use = exc.errno == errno.EADDRINUSE
            why = "is in use" if in_use else f"cannot be listened on: {exc.strerror or exc}"
            message = f"control port {self._port} {why}"
            raise ControlPortUnavailable(message, port=self._port, in_use=in_use) from exc

    async def stop(self) -> None:
        """Stop listening; safe to repeat."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
            await server.wait_closed()

    async def __aenter__(self) -> "ControlServer":
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            response = await asyncio.wait_for(self._read_and_handle(reader), _READ_TIMEOUT_S)
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            response = Response.problem(HTTPStatus.BAD_REQUEST, "incomplete or oversized request")
        except (ConnectionError, OSError):
            writer.close()
            return
        with contextlib.suppress(ConnectionError, OSError):
            writer.write(response.encode())
            await writer.drain()
        writer.close()

    async def _read_and_handle(self, reader: asyncio.StreamReader) -> Response:
        head = await reader.readuntil(b"\r\n\r\n")
        if len(head) > _MAX_BYTES:
            return Response.problem(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "header too large")
        request_line, *header_lines = head.decode("latin-1").split("\r\n")
        parts = request_line.split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            return Response.problem(
                HTTPStatus.BAD_REQUEST, f"not an HTTP/1.x request line: {request_line!r}"
            )
        method, target, _ = parts
        headers = {}
        for line in header_lines:
            name, colon, value = line.partition(":")
            if colon:
                headers[name.strip().lower()] = value.strip()
        try:
            length = int(headers.get("content-length", "0"))
        except ValueError:
            return Response.problem(HTTPStatus.BAD_REQUEST, "Content-Length is not a number")
        if not 0 <= length <= _MAX_BYTES:
            return Response.problem(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"body over {_MAX_BYTES} bytes"
            )
        body = await reader.readexactly(length) if length else b""
        return self.handle(method, target.split("?", 1)[0], body)

    # -- the routes (no I/O: testable without a socket) ----------------------------------

    def handle(self, method: str, path: str, body: bytes = b"") -> Response:
        """Answer one request."""
        if path.rstrip("/") == "/vehicles":
            if method != "GET":
                return _not_allowed(method, "GET")
            extra = self._describe() if self._describe is not None else {}
            rows = [self.status(v) for v in self.vehicles.values()]
            return Response(status=200, body={**extra, "count": len(rows), "vehicles": rows})
        match = _VEHICLE.match(path)
        if match is None:
            return Response.problem(HTTPStatus.NOT_FOUND, f"no route {path!r}; try /vehicles")
        sysid_text, faults, kind = match.groups()
        vehicle = self.vehicles.get(int(sysid_text)) if sysid_text.isdigit() else None
        if vehicle is None:
            known = ", ".join(map(str, self.vehicles))
            return Response.problem(
                HTTPStatus.NOT_FOUND, f"no vehicle {sysid_text} (system ids: {known})"
            )
        if faults is None:
            return self.status_of(method, vehicle)
        if kind is None:
            return self._faults(method, vehicle, body)
        if method != "DELETE":
            return _not_allowed(method, "DELETE")
        return self._clear(vehicle, kind)

    def status_of(self, method: str, vehicle: SimVehicle) -> Response:
        """``GET /vehicles/{sysid}``."""
        if method != "GET":
            return _not_allowed(method, "GET")
        return Response(status=200, body=self.status(vehicle))

    def _faults(self, method: str, vehicle: SimVehicle, body: bytes) -> Response:
        sysid = vehicle.config.system_id
        if method == "GET":
            active = [fault_json(f) for f in vehicle.faults.active.values()]
            return Response(status=200, body={"sysid": sysid, "faults": active})
        if method != "POST":
            return _not_allowed(method, "GET, POST")
        try:
            data = json.loads(body or b"null")
        except (ValueError, UnicodeDecodeError):
            return Response.problem(HTTPStatus.BAD_REQUEST, "the body is not JSON")
        spec = data.get("fault") if isinstance(data, dict) else None
        if not isinstance(spec, str):
            return Response.problem(
                HTTPStatus.BAD_REQUEST, 'the body needs "fault": a fault spec such as "gps-loss:20"'
            )
        try:
            fault = parse_fault(spec)
            vehicle.inject(fault)
        except ValueError as exc:
            return Response.problem(HTTPStatus.BAD_REQUEST, str(exc), fault=spec)
        location = f"/vehicles/{sysid}/faults/{fault.kind}"
        reply = {"sysid": sysid, "time_s": vehicle.state.time_s, "fault": fault_json(fault)}
        return Response(status=201, body=reply, headers=(("Location", location),))

    def _clear(self, vehicle: SimVehicle, kind: str) -> Response:
        sysid = vehicle.config.system_id
        try:
            cleared = vehicle.clear(kind)
        except ValueError as exc:
            return Response.problem(HTTPStatus.BAD_REQUEST, str(exc))
        if not cleared:
            return Response.problem(
                HTTPStatus.NOT_FOUND,
                f"vehicle {sysid} has no {FaultKind(kind)} fault in force",
                in_force=False,
            )
        return Response(status=204)

    @staticmethod
    def status(vehicle: SimVehicle) -> Json:
        """What a vehicle is doing now, as JSON."""
        s = vehicle.state
        try:
            port: int | None = vehicle.port
        except EndpointError:
            port = None
        return {
            "sysid": vehicle.config.system_id, "port": port, "time_s": s.time_s,
            "mode": s.mode.name, "armed": s.armed, "lat_deg": s.lat_deg, "lon_deg": s.lon_deg,
            "alt_m": s.alt_m, "battery_pct": s.battery_pct, "tank_l": s.tank_l,
            "spraying": s.pump_pct > 0.0, "link_up": vehicle.link_up, "gps_ok": s.gps_ok,
            "ground_station": vehicle.connected,
            "faults": [fault_json(f) for f in vehicle.faults.active.values()],
            "failsafes": [
                {"time_s": e.time_s, "kind": str(e.kind), "action": e.action}
                for e in s.failsafe_log
            ],
        }  # fmt: skip


def _not_allowed(method: str, allowed: str) -> Response:
    problem = Response.problem(HTTPStatus.METHOD_NOT_ALLOWED, f"{method} is not allowed here")
    return dataclasses.replace(problem, headers=(("Allow", allowed),))


class ControlClient:
    """Talks to a simulator's control API (what ``tanbo sim fault`` and ``clear`` use).

    Parameters
    ----------
    port, host
        Where the API listens.
    timeout_s
        Seconds to wait for an answer.
    """

    def __init__(
        self, port: int = DEFAULT_CONTROL_PORT, host: str = "127.0.0.1", timeout_s: float = 5.0
    ) -> None:
        self.port = port
        self.host = host
        self.timeout_s = timeout_s

    def request(self, method: str, path: str, body: Json | None = None) -> Json | None:
        """Send one request; the JSON answer (None when empty).

        Raises
        ------
        ControlUnreachable
            Nothing listens there.
        ControlRefused
            The API answered with an error (its problem details attached).
        """
        connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout_s)
        payload = None if body is None else json.dumps(body).encode()
        headers = {} if payload is None else {"Content-Type": "application/json"}
        try:
            connection.request(method, path, body=payload, headers=headers)
            response = connection.getresponse()
            status, raw = response.status, response.read()
        except (ConnectionError, TimeoutError, OSError, http.client.HTTPException) as exc:
            where = f"{self.host}:{self.port}"
            raise ControlUnreachable(
                f"no tanbo sim answers on {where} ({exc}); is one running? (--control-port)"
            ) from exc
        finally:
            connection.close()
        try:
            data = json.loads(raw) if raw else None
        except ValueError:
            data = None
        if status >= 400:
            problem = data if isinstance(data, dict) else {"status": status}
            raise ControlRefused(status, problem)
        return data if isinstance(data, dict) else None

    def vehicles(self) -> Json:
        """``GET /vehicles``."""
        return self.request("GET", "/vehicles") or {}

    def inject(self, sysid: int, spec: str) -> Json:
        """``POST /vehicles/{sysid}/faults``: the fault as the simulator parsed it."""
        return self.request("POST", f"/vehicles/{sysid}/faults", {"fault": spec}) or {}

    def clear(self, sysid: int, kind: str) -> None:
        """``DELETE /vehicles/{sysid}/faults/{kind}``."""
        self.request("DELETE", f"/vehicles/{sysid}/faults/{kind}")
