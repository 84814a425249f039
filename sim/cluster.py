"""Many simulated vehicles in one asyncio loop, numbered as ArduPilot SITL numbers instances.

Vehicle ``i`` (from 0) has system id ``i + 1`` and listens on TCP
``port_for(base.port, i)`` (5760, 5770, 5780 … by default); its home is
:data:`HOME_SPACING_M` metres east of vehicle ``i - 1``'s, so vehicle 1 stands on the
base config's home and the others in a line east of it, never on one another
(SITL's ``--auto-offset-line 90,SPACING`` does the same). Each vehicle may also
stream to ground stations over UDP (:class:`sim.udp.UdpOut`, SITL's ``--out``).

    async with SimCluster(3, SimConfig(port=5760)) as cluster:
        print(repr(cluster))  # SimCluster(3 vehicles on tcp 127.0.0.1:5760..5780, running)

The vehicles share one loop, so an overloaded loop makes every vehicle late. A
:class:`LagMonitor` runs beside them and says how late: how long past its due time
the loop wakes a task, and how much longer than a tick each vehicle waited between
two steps (its simulated world stood still that long behind the wall clock).
"""

import asyncio
import contextlib
import dataclasses
import errno
import math
import random
import socket
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from core.geo import GeoPoint
from sim.config import SimConfig, port_for
from sim.endpoint import TICK_S, SimVehicle
from sim.errors import EndpointError
from sim.physics import LocalFrame
from sim.udp import UdpOut

__all__ = [
    "HOME_SPACING_M",
    "LagMonitor",
    "LagReport",
    "LagStats",
    "PortUnavailable",
    "SimCluster",
    "VehicleStatus",
    "find_free_base_port",
    "vehicle_config",
]

HOME_SPACING_M = 10.0
"""Metres east between the homes of two consecutive vehicles, as SITL's
``--auto-offset-line 90,10``: far enough for ``tanbo fly`` to fly them together (it wants
spraying drones, 2–3 m across with their rotors, at least 8 m apart)."""

_LAG_WINDOW = 3000  # samples kept for the percentiles: a minute at 50 Hz


class PortUnavailable(EndpointError):
    """A vehicle of a cluster cannot listen on its TCP port."""

    def __init__(self, message: str, *, port: int, system_id: int, in_use: bool) -> None:
        super().__init__(message)
        self.port = port
        self.system_id = system_id
        self.in_use = in_use
        """The port is taken by another socket (EADDRINUSE), rather than refused otherwise."""


def vehicle_config(base: SimConfig, index: int, spacing_m: float = HOME_SPACING_M) -> SimConfig:
    """The config of vehicle ``index`` (from 0) of a cluster built on ``base``.

    System id ``index + 1``, port ``port_for(base.port, index)`` (0 stays 0: any free
    port), home ``index * spacing_m`` metres east of ``base``'s; the rest as ``base``.

    >>> c = vehicle_config(SimConfig(), 2)
    >>> c.system_id, c.port, round(c.home_lon_deg, 6)
    (3, 5780, 134.841619)
    """
    lat, lon = LocalFrame(lat0_deg=base.home_lat_deg, lon0_deg=base.home_lon_deg).to_global(
        0.0, index * spacing_m
    )
    return dataclasses.replace(
        base,
        system_id=index + 1,
        port=port_for(base.port, index) if base.port else 0,
        home_lat_deg=lat,
        home_lon_deg=lon,
    )


def find_free_base_port(count: int, host: str = "127.0.0.1", *, attempts: int = 50) -> int:
    """A base port whose ``count`` SITL ports (``port_for(base, i)``) are free now.

    Bases are drawn below Linux's ephemeral range (32768…), where client sockets take
    their ports. Another process may still take a port before it is listened on:
    callers that must not fail retry on :class:`PortUnavailable`.

    Raises
    ------
    EndpointError
        No free range found in ``attempts`` draws.
    """
    draw = random.SystemRandom()
    top = 32000 - port_for(0, count)
    for _ in range(attempts):
        base = draw.randrange(20000, top)
        if all(_is_free(host, port_for(base, i)) for i in range(count)):
            return base
    raise EndpointError(f"no {count} free TCP ports spaced 10 apart on {host}")


def _is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


@dataclass(frozen=True, kw_only=True, slots=True)
class LagStats:
    """How late, in wall seconds, over a window of samples (nearest-rank percentiles)."""

    samples: int
    p50_s: float
    p99_s: float
    max_s: float

    @classmethod
    def of(cls, values: Sequence[float]) -> "LagStats":
        """The statistics of ``values`` (all zero when there are none).

        >>> LagStats.of([0.0, 0.01, 0.02, 0.5])
        LagStats(samples=4, p50_s=0.01, p99_s=0.5, max_s=0.5)
        """
        if not values:
            return cls(samples=0, p50_s=0.0, p99_s=0.0, max_s=0.0)
        ordered = sorted(values)

        def rank(p: float) -> float:
            return ordered[max(math.ceil(p * len(ordered)) - 1, 0)]

        return cls(samples=len(ordered), p50_s=rank(0.5), p99_s=rank(0.99), max_s=ordered[-1])


@dataclass(frozen=True, kw_only=True, slots=True)
class LagReport:
    """What a :class:`LagMonitor` saw since it was last reset.

    Attributes
    ----------
    loop
        How long past its due time the loop woke the monitor's own sleep: every
        task's sleep (each vehicle's tick) is woken as late.
    vehicles
        At each sample, the worst vehicle's delay: how much longer than one tick the
        gap between two of its steps was (zero for a vehicle stepping on time).
    vehicle_max_s
        The largest delay of each vehicle, by system id.
    """

    loop: LagStats
    vehicles: LagStats
    vehicle_max_s: dict[int, float]


class LagMonitor:
    """Samples, every ``interval_s``, how late the loop and each watched vehicle are.

    A vehicle's simulated clock is set, at each step, to the wall time of that step
    (times the speedup), so the monitor reads from ``state.time_s`` when each vehicle
    last stepped. A vehicle's delay is then the gap between two of its steps beyond
    one tick (or, while it has not stepped again, the time since its last step beyond
    one tick). Sampling at half a tick sees every step of a vehicle on time.

    Parameters
    ----------
    interval_s
        Wall seconds between samples.
    window
        Samples kept for the percentiles; older ones are dropped.
    """

    def __init__(self, interval_s: float = TICK_S / 2, window: int = _LAG_WINDOW) -> None:
        self.interval_s = interval_s
        self._watched: list[tuple[SimVehicle, float]] = []
        self._last_step_s: dict[int, float] = {}
        self._loop_late: deque[float] = deque(maxlen=window)
        self._vehicle_late: deque[float] = deque(maxlen=window)
        self._vehicle_max: dict[int, float] = {}
        self._task: asyncio.Task[None] | None = None

    def watch(self, vehicle: SimVehicle, started_s: float) -> None:
        """Watch ``vehicle``, started at ``time.monotonic()`` ``started_s``."""
        self._watched.append((vehicle, started_s))
        self._last_step_s[vehicle.config.system_id] = started_s
        self._vehicle_max.setdefault(vehicle.config.system_id, 0.0)

    def reset(self) -> None:
        """Forget the samples so far: the next report covers only what follows."""
        self._loop_late.clear()
        self._vehicle_late.clear()
        self._vehicle_max = dict.fromkeys(self._vehicle_max, 0.0)

    def report(self) -> LagReport:
        """What was sampled since the last :meth:`reset`."""
        return LagReport(
            loop=LagStats.of(self._loop_late),
            vehicles=LagStats.of(self._vehicle_late),
            vehicle_max_s=dict(self._vehicle_max),
        )

    def start(self) -> None:
        """Start sampling on the running loop."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="sim-lag-monitor")

    async def stop(self) -> None:
        """Stop sampling; the samples stay for :meth:`report`."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        while True:
            due = time.monotonic() + self.interval_s
            await asyncio.sleep(self.interval_s)
            self.sample(time.monotonic(), due)

    def sample(self, now_s: float, due_s: float) -> None:
        """Record one sample taken at ``now_s`` by a wake-up that was due at ``due_s``."""
        self._loop_late.append(max(now_s - due_s, 0.0))
        worst = 0.0
        for vehicle, started_s in self._watched:
            sysid = vehicle.config.system_id
            last_s = self._last_step_s[sysid]
            step_s = started_s + vehicle.state.time_s / vehicle.config.speedup
            if step_s > last_s:  # stepped since the last sample: how late that step came
                self._last_step_s[sysid] = step_s
                late = step_s - last_s - TICK_S
            else:  # not yet: how late the next step is already
                late = now_s - last_s - TICK_S
            late = max(late, 0.0)
            worst = max(worst, late)
            if late > self._vehicle_max[sysid]:
                self._vehicle_max[sysid] = late
        if self._watched:
            self._vehicle_late.append(worst)


@dataclass(frozen=True, kw_only=True, slots=True)
class VehicleStatus:
    """One line of a cluster's status, for printing."""

    system_id: int
    port: int
    home: GeoPoint
    mode: str
    armed: bool
    alt_m: float
    battery_pct: float
    connected: bool
    """A ground station is connected over TCP, or a UDP link is open."""
    udp_heard_s: float | None
    """Seconds since a UDP ground station last sent something; None: never, or no UDP."""


class SimCluster:
    """``count`` simulated vehicles in one asyncio loop, as SITL's numbered instances.

    Parameters
    ----------
    count
        How many vehicles (1..255: one system id each).
    base
        What every vehicle shares: timings, speedup, wind, host; ``base.port`` is the
        first vehicle's port (0: each vehicle on any free port) and ``base``'s home the
        first vehicle's home. ``system_id`` is ignored.
    udp_targets
        ``(host, port)`` ground stations every vehicle also streams to, each vehicle from
        its own UDP socket.
    spacing_m
        Metres east between consecutive homes.

    Raises
    ------
    ValueError
        ``count`` out of range, or the last vehicle's port beyond 65535.
    """

    def __init__(
        self,
        count: int,
        base: SimConfig | None = None,
        *,
        udp_targets: Sequence[tuple[str, int]] = (),
        spacing_m: float = HOME_SPACING_M,
    ) -> None:
        base = base or SimConfig()
        if not 1 <= count <= 255:
            raise ValueError(f"{count} vehicles: a cluster has 1..255 (one system id each)")
        if base.port and port_for(base.port, count - 1) > 65535:
            raise ValueError(
                f"{count} vehicles from port {base.port} need ports up to "
                f"{port_for(base.port, count - 1)}, beyond 65535"
            )
        self.base = base
        self.vehicles = tuple(SimVehicle(vehicle_config(base, i, spacing_m)) for i in range(count))
        self.udp: dict[int, list[UdpOut]] = {
            v.config.system_id: [UdpOut(v, host, port) for host, port in udp_targets]
            for v in self.vehicles
        }
        """Each vehicle's UDP links, by system id."""
        self.lag = LagMonitor()
        self.started_s: float | None = None
        """``time.monotonic()`` when the last vehicle started; None while stopped."""

    @property
    def running(self) -> bool:
        """All vehicles are listening."""
        return self.started_s is not None

    @property
    def ports(self) -> list[int]:
        """Each vehicle's TCP port (the chosen ones once started with port 0)."""
        return [_port_of(v) for v in self.vehicles]

    async def start(self) -> None:
        """Start every vehicle (then their UDP links and the lag monitor), in order.

        If one cannot start, those already started are stopped again before raising.

        Raises
        ------
        PortUnavailable
            A vehicle cannot listen on its port; the error names the port and the vehicle.
        EndpointError
            A UDP link cannot be opened.
        """
        if self.running:
            return
        self.lag = LagMonitor()
        try:
            for vehicle in self.vehicles:
                await _start_vehicle(vehicle)
                self.lag.watch(vehicle, time.monotonic())
            for links in self.udp.values():
                for link in links:
                    await link.start()
        except BaseException:
            await self.stop()
            raise
        self.lag.start()
        self.started_s = time.monotonic()

    async def stop(self) -> None:
        """Stop the monitor, the UDP links and every vehicle; safe to repeat."""
        self.started_s = None
        await self.lag.stop()
        for links in self.udp.values():
            for link in links:
                await link.stop()
        await asyncio.gather(*(vehicle.stop() for vehicle in self.vehicles))

    async def __aenter__(self) -> "SimCluster":
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def status(self) -> list[VehicleStatus]:
        """What each vehicle is doing now, in system-id order."""
        now = time.monotonic()
        rows = []
        for v in self.vehicles:
            s, links = v.state, self.udp[v.config.system_id]
            heard = [link.heard_s for link in links if link.heard_s is not None]
            rows.append(
                VehicleStatus(
                    system_id=v.config.system_id,
                    port=_port_of(v),
                    home=GeoPoint(lat_deg=v.config.home_lat_deg, lon_deg=v.config.home_lon_deg),
                    mode=s.mode.name,
                    armed=s.armed,
                    alt_m=s.alt_m,
                    battery_pct=s.battery_pct,
                    connected=v.connected,
                    udp_heard_s=now - max(heard) if heard else None,
                )
            )
        return rows

    def __str__(self) -> str:
        ports = self.ports
        if self.base.port == 0:  # chosen by the system: not a range
            where = ",".join(map(str, ports)) if len(ports) <= 3 else f"{len(ports)} free ports"
        else:
            where = f"{ports[0]}" if len(ports) == 1 else f"{ports[0]}..{ports[-1]}"
        udp = sorted({link.target for links in self.udp.values() for link in links})
        count = len(self.vehicles)
        plural = "s" if count != 1 else ""
        text = f"{count} vehicle{plural} on tcp {self.base.host}:{where}"
        return text + (f", udp to {', '.join(udp)}" if udp else "")

    def __repr__(self) -> str:
        return f"SimCluster({self}, {'running' if self.running else 'stopped'})"


def _port_of(vehicle: SimVehicle) -> int:
    try:
        return vehicle.port
    except EndpointError:  # not listening: the port it was given
        return vehicle.config.port


async def _start_vehicle(vehicle: SimVehicle) -> None:
    try:
        await vehicle.start()
    except EndpointError as exc:
        cause = exc.__cause__
        in_use = isinstance(cause, OSError) and cause.errno == errno.EADDRINUSE
        cfg = vehicle.config
        message = (
            f"port {cfg.port} is in use (vehicle {cfg.system_id})"
            if in_use
            else f"vehicle {cfg.system_id}: {exc}"
        )
        raise PortUnavailable(
            message, port=cfg.port, system_id=cfg.system_id, in_use=in_use
        ) from exc
