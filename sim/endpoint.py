"""One simulated vehicle on a TCP port: the asyncio I/O around the pure state and services.

Like ArduPilot SITL, the vehicle says nothing until a ground station connects,
serves one client at a time (a second connection is closed at once; a
disconnect frees the port for the next) and streams its telemetry to whoever is
connected. Incoming messages are dispatched by type through one table built from
each service's ``handlers``.

    async with SimVehicle(SimConfig(port=0)) as vehicle:
        print(vehicle.port)  # connect a ground station to tcp:127.0.0.1:<port>
        vehicle.inject("gust:8@270:30")  # a fault, while it runs (see sim.faults)

The failsafes (:mod:`sim.failsafe`) and the fault timers (:mod:`sim.injector`) run on
simulated time, stepped with the flight model.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable
from types import TracebackType

from sim.autopilot import Autopilot
from sim.commands import CommandService
from sim.config import SimConfig
from sim.errors import EndpointError
from sim.failsafe import FailsafeService
from sim.faults import Fault, FaultKind
from sim.flight import FlightController
from sim.ground_crew import GroundCrew
from sim.injector import FaultInjector
from sim.mission_items import MissionKind
from sim.mission_transfer import MissionService, MissionStore
from sim.params import ParamService, ParamTable
from sim.state import VehicleState
from sim.telemetry import StreamSchedule, Telemetry
from sim.wire import COMPONENT_ID, MavCodec, Message

__all__ = ["TICK_S", "SimVehicle"]

TICK_S = 0.02
"""Wall seconds between two steps of the vehicle's loop (flight, telemetry, retries)."""

_MAX_BUFFERED_BYTES = 1 << 20  # a client that stops reading loses telemetry, as over a radio

logger = logging.getLogger(__name__)

Clock = Callable[[], float]


class SimVehicle:
    """A simulated ArduPilot Copter speaking MAVLink 2 on ``config.host:config.port``.

    Parameters
    ----------
    config
        Where it stands, its system id, port and timings.
    clock
        Wall-clock seconds, monotonic; ``time.monotonic`` unless a test injects one.
        Simulated time runs ``config.speedup`` times faster.
    """

    def __init__(self, config: SimConfig | None = None, *, clock: Clock | None = None) -> None:
        self.config = config or SimConfig()
        self._clock: Clock = clock or time.monotonic
        self.state = VehicleState.at_start(self.config)
        self.params = ParamTable.copter(system_id=self.config.system_id)
        self.missions = MissionStore(self.state)
        self.schedule = StreamSchedule()
        self.telemetry = Telemetry(self.state, self._mission_total)
        self._codec = MavCodec(self.config.system_id)
        self._param_service = ParamService(self.params, self.send)
        self._mission_service = MissionService(
            self.missions, self.state, self.send, self.config, self._clock
        )
        self.commands = CommandService(self.schedule, self.telemetry, self.send, self._clock)
        self.autopilot = Autopilot(self.state, self.params, self.commands, self.send)
        self.flight = FlightController(
            self.state, self.params, self.missions, self.send, self.config,
            self.autopilot.change_mode, self.commands,
        )  # fmt: skip
        self.autopilot.on_mode = self.flight.enter_mode
        self.failsafe = FailsafeService(
            self.state, self.params, self.missions, self.autopilot, self.flight, self.send
        )
        self.faults = FaultInjector(self.state, self.params, self.flight, self._set_link)
        self.ground_crew = GroundCrew(self.state, self.config, self.failsafe.battery_replaced)
        self.flight.after_step.append(self.ground_crew.update)
        self._handlers: dict[str, Callable[[Message], None]] = {
            **self._param_service.handlers,
            **self._mission_service.handlers,
            **self.commands.handlers,
            **self.autopilot.handlers,
            **self.flight.handlers,
            **self.failsafe.handlers,
            "HEARTBEAT": self._heartbeat,
            "REQUEST_DATA_STREAM": self._request_data_stream,
        }
        self._server: asyncio.Server | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._loop_task: asyncio.Task[None] | None = None
        self._client_tasks: set[asyncio.Task[None]] = set()
        self._started_s = 0.0
        self._home_sent = False
        self._peers: list[Callable[[bytes], None]] = []
        self.link_up = True
        """False while the radio link is cut (a fault): nothing is sent or received."""

    # -- lifecycle -----------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The TCP port the vehicle listens on (the chosen one when started with port 0)."""
        if self._server is None:
            raise EndpointError("the vehicle is not listening; start() it first")
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    @property
    def connected(self) -> bool:
        """A ground station is connected (over TCP, or a peer is attached)."""
        return self._writer is not None or bool(self._peers)

    def add_peer(self, write: Callable[[bytes], None]) -> None:
        """Also send every outgoing frame to ``write`` (a second link, e.g. UDP to a
        ground station, as SITL's ``--out``); what that peer sends back goes to
        :meth:`receive`."""
        self._peers.append(write)
        self._home_sent = False

    def remove_peer(self, write: Callable[[bytes], None]) -> None:
        """Stop sending to a peer added with :meth:`add_peer`."""
        with contextlib.suppress(ValueError):
            self._peers.remove(write)

    def receive(self, messages: Iterable[Message]) -> None:
        """Messages decoded from a peer's link: dispatched unless the link is cut."""
        if not self.link_up:
            return
        for message in messages:
            self.dispatch(message)

    async def start(self) -> None:
        """Listen for a ground station and start the vehicle's clock.

        Raises
        ------
        EndpointError
            The address cannot be listened on (e.g. the port is taken).
        """
        if self._server is not None:
            return
        try:
            self._server = await asyncio.start_server(
                self._on_connect, self.config.host, self.config.port
            )
        except OSError as exc:
            where = f"{self.config.host}:{self.config.port}"
            raise EndpointError(f"cannot listen on {where}: {exc.strerror or exc}") from exc
        self._started_s = self._clock()
        self._loop_task = asyncio.create_task(self._run(), name=f"sim-{self.config.system_id}")

    async def stop(self) -> None:
        """Close the client's connection and the port, and stop the loop; safe to repeat."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
        if self._writer is not None:
            self._writer.close()
        # A client's reader ends by itself once its connection is closed: let it, because
        # asyncio reports a cancelled connection handler as an error.
        clients = set(self._client_tasks)
        if clients:
            _, stuck = await asyncio.wait(clients, timeout=1.0)
            for task in stuck:  # pragma: no cover - a reader that did not see its close
                task.cancel()
        if self._loop_task is not None:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
            self._loop_task = None
        if server is not None:
            await server.wait_closed()

    async def __aenter__(self) -> "SimVehicle":
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # -- faults --------------------------------------------------------------------------

    def inject(self, fault: Fault | str) -> None:
        """Put ``fault`` (a :mod:`sim.faults` value or its text form, e.g. ``"link-cut:30"``)
        into the vehicle now, at the simulated time the wall clock has reached.

        Raises
        ------
        ValueError
            The text names no fault, or the motor is not one the frame has.
        """
        self._catch_up()
        self.faults.inject(fault)

    def clear(self, kind: FaultKind | str) -> bool:
        """End the fault of ``kind`` (e.g. ``"gust"``) now; False if none was in force.

        Raises
        ------
        ValueError
            ``kind`` names no kind of fault.
        """
        self._catch_up()
        return self.faults.clear(kind)

    def _set_link(self, up: bool) -> None:
        self.link_up = up

    def _sim_time_s(self) -> float:
        """Simulated seconds since start that the wall clock has reached."""
        if self._server is None:  # not started: time stands still
            return self.state.time_s
        return (self._clock() - self._started_s) * self.config.speedup

    def _catch_up(self) -> None:
        self.flight.advance_to(max(self.state.time_s, self._sim_time_s()))

    def _heartbeat(self, message: Message) -> None:
        # stamped with the simulated time it arrived at, not that of the last step
        self.failsafe.heartbeat(message, max(self.state.time_s, self._sim_time_s()))

    # -- sending -------------------------------------------------------------------------

    def send(self, message: Message) -> None:
        """Send ``message`` to the connected ground station and the peers; dropped when
        nobody is connected or the link is cut."""
        if not self.link_up:
            return
        writer = self._writer
        tcp = (
            writer is not None
            and not writer.is_closing()
            and writer.transport.get_write_buffer_size() <= _MAX_BUFFERED_BYTES
        )
        if not tcp and not self._peers:
            return
        frame = self._codec.encode(message)
        if tcp:
            assert writer is not None
            writer.write(frame)
        for peer in self._peers:
            peer(frame)

    # -- the loop ------------------------------------------------------------------------

    async def _run(self) -> None:
        while True:
            self.step()
            await asyncio.sleep(TICK_S)

    def step(self) -> None:
        """One step: fly on to the simulated time now, retry transfers, send what telemetry
        is due."""
        now = self._clock()
        self.flight.advance_to(max(self.state.time_s, self._sim_time_s()))
        self._mission_service.tick()
        if not self.connected:
            return
        if not self._home_sent and self.state.home is not None:
            self._home_sent = True
            self.send(self.telemetry.home_position())
        for msg_id in self.schedule.due(now):
            message = self.telemetry.build(msg_id)
            if message is not None:
                self.send(message)

    # -- receiving -----------------------------------------------------------------------

    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._writer is not None:  # one client per port, as SITL
            writer.close()
            return
        task = asyncio.current_task()
        assert task is not None
        self._client_tasks.add(task)
        self._writer = writer
        self._home_sent = False
        try:
            while data := await reader.read(4096):
                messages = self._codec.decode(data)
                if self.link_up:
                    for message in messages:
                        self.dispatch(message)
        except (ConnectionError, OSError) as exc:
            logger.info("vehicle %d: client dropped: %s", self.config.system_id, exc)
        finally:
            self._writer = None
            self._client_tasks.discard(task)
            writer.close()

    def dispatch(self, message: Message) -> None:
        """Hand ``message`` to its service, unless it is addressed to another vehicle."""
        target = getattr(message, "target_system", 0)
        component = getattr(message, "target_component", 0)
        if target not in (0, self.config.system_id) or component not in (0, COMPONENT_ID):
            return
        handler = self._handlers.get(message.get_type())
        if handler is None:
            return
        try:
            handler(message)
        except (ValueError, TypeError, AttributeError, OverflowError, IndexError):
            # A malformed message must not stop the vehicle; say what it was and go on.
            logger.exception("vehicle %d: cannot handle %s", self.config.system_id, message)

    def _request_data_stream(self, message: Message) -> None:
        self.schedule.set_stream(
            message.req_stream_id,
            float(message.req_message_rate),
            bool(message.start_stop),
            self._clock(),
        )

    def _mission_total(self) -> int:
        return self.missions.count(MissionKind.MISSION)
