"""``tanbo sim``: simulated ArduPilot Copters for ground stations, as SITL runs them.

Vehicle ``i`` (from 0) is a MAVLink 2 endpoint on TCP ``--port`` + 10·i with system
id i + 1; ``--udp-out HOST:PORT`` also streams every vehicle to a ground station
(QGroundControl and MAVProxy listen on 14550). Ctrl-C or SIGTERM stops it with exit
code 0 and a one-line summary. Bad input: exit code 2 and one line naming the option.

The simulator is imported when the command runs, so other commands do not pay for it.
"""

import asyncio
import contextlib
import logging
import math
import signal
import sys
import time
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.live import Live
from rich.logging import RichHandler
from rich.markup import escape
from rich.table import Table

from api.console import err, out

if TYPE_CHECKING:
    from sim import SimConfig
    from sim.cluster import SimCluster

__all__ = ["MAX_DRONES", "parse_wind", "sim"]

MAX_DRONES = 64
"""The most vehicles one ``tanbo sim`` runs (see bench/RESULTS.md for what keeps real time)."""

_REFRESH_S = 1.0
_HEARD_RECENTLY_S = 3.0


class _BadOption(Exception):
    """One option's value is wrong: printed as one line, exit code 2."""

    def __init__(self, option: str, problem: str) -> None:
        super().__init__(f"{option}: {problem}")


def parse_wind(text: str) -> tuple[float, float]:
    """Read ``MPS@DEG``: the wind's speed (m/s) and the direction it blows FROM (degrees).

    >>> parse_wind("3@270")  # 3 m/s from the west
    (3.0, 270.0)

    Raises
    ------
    ValueError
        Not two numbers joined by ``@``, a negative speed, or a direction outside 0..360.
    """
    speed_text, at, from_text = text.replace(" ", "").partition("@")
    try:
        speed_m_s, from_deg = float(speed_text), float(from_text)
    except ValueError:
        at = ""
    if not at or not (math.isfinite(speed_m_s) and math.isfinite(from_deg)):
        raise ValueError(f"expected MPS@DEG, e.g. 3@270 (3 m/s from the west), got {text!r}")
    if speed_m_s < 0.0:
        raise ValueError(f"wind speed {speed_m_s:g} m/s is negative")
    if not 0.0 <= from_deg <= 360.0:
        raise ValueError(f"wind direction {from_deg:g}° is outside 0..360")
    return speed_m_s, from_deg % 360.0


def _config(
    *, drones: int, home: str | None, speedup: float, wind: str | None, port: int
) -> "SimConfig":
    from core.geo import GeoPoint
    from sim import SimConfig, port_for

    if not 1 <= drones <= MAX_DRONES:
        raise _BadOption("--drones", f"{drones} is outside 1..{MAX_DRONES}")
    if not (math.isfinite(speedup) and speedup > 0.0):
        raise _BadOption("--speedup", f"{speedup:g} is not a positive number")
    last_base = 65535 - port_for(0, drones - 1)
    if port != 0 and not 1 <= port <= last_base:
        raise _BadOption("--port", f"{port} is outside 1..{last_base} for {drones} vehicles")
    default = SimConfig()
    lat_deg, lon_deg = default.home_lat_deg, default.home_lon_deg
    wind_m_s, wind_from_deg = default.wind_m_s, default.wind_from_deg
    if home is not None:
        try:
            point = GeoPoint.parse(home)
        except ValueError as exc:
            raise _BadOption("--home", f"{exc} (expected LAT,LON in degrees)") from exc
        lat_deg, lon_deg = point.lat_deg, point.lon_deg
    if wind is not None:
        try:
            wind_m_s, wind_from_deg = parse_wind(wind)
        except ValueError as exc:
            raise _BadOption("--wind", str(exc)) from exc
    return SimConfig(
        home_lat_deg=lat_deg,
        home_lon_deg=lon_deg,
        port=port,
        speedup=speedup,
        wind_m_s=wind_m_s,
        wind_from_deg=wind_from_deg,
    )


def _targets(texts: list[str]) -> list[tuple[str, int]]:
    from sim.udp import parse_udp_target

    try:
        return [parse_udp_target(text) for text in texts]
    except ValueError as exc:
        raise _BadOption("--udp-out", str(exc)) from exc


def sim(
    drones: Annotated[
        int, typer.Option("--drones", "-n", help=f"How many vehicles (1..{MAX_DRONES}).")
    ] = 1,
    home: Annotated[
        str | None,
        typer.Option(
            metavar="LAT,LON",
            help="Home of vehicle 1 (default: Kasai); the others 5 m apart, east of it.",
            show_default=False,
        ),
    ] = None,
    speedup: Annotated[float, typer.Option(help="Simulated seconds per wall second.")] = 1.0,
    wind: Annotated[
        str | None,
        typer.Option(metavar="MPS@DEG", help="Steady wind: 3@270 is 3 m/s FROM the west."),
    ] = None,
    port: Annotated[
        int, typer.Option(metavar="BASE", help="TCP port of vehicle 1; vehicle i on BASE+10·i.")
    ] = 5760,
    udp_out: Annotated[
        list[str] | None,
        typer.Option(
            "--udp-out",
            metavar="HOST:PORT",
            help="Also stream every vehicle to a ground station there (repeatable).",
        ),
    ] = None,
    duration: Annotated[
        float | None,
        typer.Option(
            metavar="SECONDS", help="Stop after so many wall seconds.", show_default=False
        ),
    ] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Only the ready line and the summary.")
    ] = False,
) -> None:
    """Run simulated ArduPilot Copters on SITL's TCP ports (5760, 5770, …) until Ctrl-C."""
    from sim import EndpointError
    from sim.cluster import PortUnavailable, SimCluster

    try:
        config = _config(drones=drones, home=home, speedup=speedup, wind=wind, port=port)
        targets = _targets(udp_out or [])
        if duration is not None and not (math.isfinite(duration) and duration > 0.0):
            raise _BadOption("--duration", f"{duration:g} is not a positive number of seconds")
    except _BadOption as exc:
        _fail(str(exc))
    except ValueError as exc:  # the simulator's own range checks
        _fail(str(exc))
    cluster = SimCluster(drones, config, udp_targets=targets)
    live = not quiet and out.is_terminal
    _log_to_stderr()
    try:
        reason, elapsed_s = asyncio.run(_serve(cluster, duration, quiet=quiet, live=live))
    except PortUnavailable as exc:
        hint = " — is SITL or another tanbo sim running? use --port" if exc.in_use else ""
        _fail(f"{exc}{hint}")
    except EndpointError as exc:
        _fail(str(exc))
    except KeyboardInterrupt:  # a second Ctrl-C while stopping
        reason, elapsed_s = "SIGINT", math.nan
    plural = "s" if drones != 1 else ""
    took = "" if math.isnan(elapsed_s) else f" after {elapsed_s:.1f} s"
    worst_ms = max(cluster.lag.report().vehicle_max_s.values(), default=0.0) * 1000
    out.print(
        f"stopped {drones} vehicle{plural}{took} ({reason}); largest step delay {worst_ms:.0f} ms"
    )


def _fail(message: str) -> NoReturn:
    err.print(f"tanbo: {escape(message)}")
    raise typer.Exit(2)


def _log_to_stderr() -> None:
    logger = logging.getLogger("sim")
    if not logger.handlers:
        logger.addHandler(RichHandler(console=err, show_path=False, level=logging.WARNING))


async def _serve(
    cluster: "SimCluster", duration_s: float | None, *, quiet: bool, live: bool
) -> tuple[str, float]:
    """Run ``cluster`` until a signal or ``duration_s``; why it stopped, and after how long."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    reason = f"--duration {duration_s:g} s" if duration_s is not None else "stopped"

    def on_signal(name: str) -> None:
        nonlocal reason
        reason = name
        stop.set()

    signals = (signal.SIGINT, signal.SIGTERM)
    for sig in signals:
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not on this platform
            loop.add_signal_handler(sig, on_signal, sig.name)
    started_s = time.monotonic()
    try:
        async with cluster:
            started_s = time.monotonic()
            _announce(cluster, duration_s, quiet=quiet)
            deadline_s = None if duration_s is None else started_s + duration_s
            if live:
                with Live(_status_table(cluster), console=out, auto_refresh=False) as display:
                    while not await _wait(stop, deadline_s, _REFRESH_S):
                        display.update(_status_table(cluster), refresh=True)
            else:
                while not await _wait(stop, deadline_s, math.inf):
                    pass
    finally:
        for sig in signals:
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)
    return reason, time.monotonic() - started_s


async def _wait(stop: asyncio.Event, deadline_s: float | None, most_s: float) -> bool:
    """Wait for ``stop`` at most ``most_s`` and not past ``deadline_s``; whether to stop now."""
    left_s = most_s if deadline_s is None else min(most_s, deadline_s - time.monotonic())
    if left_s <= 0.0:
        return True
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), None if math.isinf(left_s) else left_s)
    return stop.is_set() or (deadline_s is not None and time.monotonic() >= deadline_s)


def _announce(cluster: "SimCluster", duration_s: float | None, *, quiet: bool) -> None:
    when = f"stops after {duration_s:g} s; " if duration_s is not None else ""
    ready = f"ready: {cluster}; {when}Ctrl-C to stop"
    if quiet:
        out.print(escape(ready))
        return
    table = Table(show_edge=False, header_style="bold")
    for name in ("sysid", "connect to", "home (lat,lon)"):
        table.add_column(name)
    host = cluster.base.host
    for row in cluster.status():
        home = f"{row.home.lat_deg:.6f},{row.home.lon_deg:.6f}"
        table.add_row(str(row.system_id), f"tcp:{host}:{row.port}", home)
    out.print(table)
    links = next(iter(cluster.udp.values()))
    if links:
        out.print("each also streams to udp " + escape(", ".join(link.target for link in links)))
    b = cluster.base
    wind = f"wind {b.wind_m_s:g} m/s from {b.wind_from_deg:g}°" if b.wind_m_s else "no wind"
    out.print(f"speedup {b.speedup:g}, {wind}")
    out.print(escape(ready))
    sys.stdout.flush()


def _status_table(cluster: "SimCluster") -> Table:
    worst_ms = max(cluster.lag.report().vehicle_max_s.values(), default=0.0) * 1000
    table = Table(
        show_edge=False,
        header_style="bold",
        caption=f"largest step delay {worst_ms:.0f} ms · Ctrl-C to stop",
    )
    for name, justify in (
        ("sysid", "right"), ("tcp", "right"), ("mode", "left"), ("armed", "left"),
        ("alt m", "right"), ("battery %", "right"), ("ground station", "left"),
    ):  # fmt: skip
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for row in cluster.status():
        if cluster.udp[row.system_id]:
            heard = row.udp_heard_s is not None and row.udp_heard_s < _HEARD_RECENTLY_S
            station = "udp: heard" if heard else "udp: streaming"
        else:
            station = "connected" if row.connected else "—"
        table.add_row(
            str(row.system_id),
            str(row.port),
            row.mode,
            "ARMED" if row.armed else "disarmed",
            f"{row.alt_m:.1f}",
            f"{row.battery_pct:.0f}",
            station,
        )
    return table
