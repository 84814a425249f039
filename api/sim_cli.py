"""``tanbo sim``: simulated ArduPilot Copters for ground stations, as SITL runs them.

Vehicle ``i`` (from 0) is a MAVLink 2 endpoint on TCP ``--port`` + 10·i with system
id i + 1; ``--udp-out HOST:PORT`` also streams every vehicle to a ground station
(QGroundControl and MAVProxy listen on 14550). A small HTTP API on 127.0.0.1,
``--control-port`` (``--port`` − 10 unless given: 5750), takes faults while it runs
(:mod:`sim.control`); ``tanbo sim fault SPEC`` and ``tanbo sim clear KIND`` are its
client. ``tanbo sim --scenario NAME|FILE.toml`` runs an operator exercise instead
(:mod:`sim.scenarios`): one vehicle set up by the scenario, its faults fired on a
timeline, and a score (:mod:`sim.score`) once the vehicle has landed and disarmed.
Ctrl-C or SIGTERM stops it with exit code 0 and a one-line summary. Bad input: exit
code 2 and one line naming the option.

The simulator is imported when the command runs, so other commands do not pay for it.
"""

import asyncio
import contextlib
import dataclasses
import json
import logging
import math
import signal
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.live import Live
from rich.logging import RichHandler
from rich.markup import escape
from rich.table import Table

from api.console import err, out

if TYPE_CHECKING:
    from sim import SimConfig
    from sim.cluster import SimCluster
    from sim.scenarios import Exercise, Scenario

__all__ = ["MAX_DRONES", "parse_wind", "sim", "sim_app"]

MAX_DRONES = 64
"""The most vehicles one ``tanbo sim`` runs (see bench/RESULTS.md for what keeps real time)."""

CONTROL_PORT = 5750
"""The control API's default port (``--port`` − 10; :data:`sim.control.DEFAULT_CONTROL_PORT`)."""

_REFRESH_S = 1.0
_EVENTS_S = 0.25
_LINGER_S = 2.0  # after an exercise ends: the ground station sees the vehicle disarmed
_HEARD_RECENTLY_S = 3.0

sim_app = typer.Typer(
    name="sim",
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


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
    *,
    drones: int,
    home: str | None,
    speedup: float | None,
    wind: str | None,
    port: int,
    ground_crew: float | None,
    scenario: "Scenario | None",
) -> "SimConfig":
    from core.geo import GeoPoint
    from sim import SimConfig, port_for
    from sim.scenarios import scenario_config

    if not 1 <= drones <= MAX_DRONES:
        raise _BadOption("--drones", f"{drones} is outside 1..{MAX_DRONES}")
    if speedup is not None and not (math.isfinite(speedup) and speedup > 0.0):
        raise _BadOption("--speedup", f"{speedup:g} is not a positive number")
    last_base = 65535 - port_for(0, drones - 1)
    if port != 0 and not 1 <= port <= last_base:
        raise _BadOption("--port", f"{port} is outside 1..{last_base} for {drones} vehicles")
    if ground_crew is not None and not (math.isfinite(ground_crew) and ground_crew >= 0.0):
        raise _BadOption("--ground-crew", f"{ground_crew:g} is not a number of seconds >= 0")
    if scenario is not None and drones != 1:
        raise _BadOption("--drones", "a scenario flies one vehicle")
    if scenario is not None and home is not None:
        raise _BadOption("--home", "the scenario sets home (its field does not move)")
    base = SimConfig() if scenario is None else scenario_config(scenario)
    changes: dict[str, Any] = {"port": port}
    if home is not None:
        try:
            point = GeoPoint.parse(home)
        except ValueError as exc:
            raise _BadOption("--home", f"{exc} (expected LAT,LON in degrees)") from exc
        changes |= {"home_lat_deg": point.lat_deg, "home_lon_deg": point.lon_deg}
    if wind is not None:
        try:
            changes["wind_m_s"], changes["wind_from_deg"] = parse_wind(wind)
        except ValueError as exc:
            raise _BadOption("--wind", str(exc)) from exc
    if speedup is not None:
        changes["speedup"] = speedup
    if ground_crew is not None:
        changes["ground_crew_s"] = ground_crew
    return dataclasses.replace(base, **changes)


def _control_port(control_port: int | None, port: int, drones: int) -> int:
    """The control API's port: as given, else ``port`` − 10 (any free one when that is not
    a port), never one of the vehicles'."""
    from sim import port_for

    if control_port is None:
        return port - 10 if port > 10 else 0
    if not 0 <= control_port <= 65535:
        raise _BadOption("--control-port", f"{control_port} is outside 0..65535")
    vehicle_ports = {port_for(port, i) for i in range(drones)} if port else set()
    if control_port in vehicle_ports:
        raise _BadOption("--control-port", f"{control_port} is a vehicle's TCP port")
    return control_port


def _targets(texts: list[str]) -> list[tuple[str, int]]:
    from sim.udp import parse_udp_target

    try:
        return [parse_udp_target(text) for text in texts]
    except ValueError as exc:
        raise _BadOption("--udp-out", str(exc)) from exc


@dataclasses.dataclass
class _Run:
    """What one ``tanbo sim`` runs: the vehicles, the control API's port, the exercise."""

    cluster: "SimCluster"
    control_port: int
    exercise: "Exercise | None" = None
    reason: str = "stopped"
    control_url: str = ""
    printed: dict[str, int] = dataclasses.field(
        default_factory=lambda: {"faults": 0, "failsafes": 0}
    )


@sim_app.callback(invoke_without_command=True)
def sim(
    ctx: typer.Context,
    drones: Annotated[
        int, typer.Option("--drones", "-n", help=f"How many vehicles (1..{MAX_DRONES}).")
    ] = 1,
    home: Annotated[
        str | None,
        typer.Option(
            metavar="LAT,LON",
            help="Home of vehicle 1 (default: Kasai); the others 10 m apart, east of it.",
            show_default=False,
        ),
    ] = None,
    speedup: Annotated[
        float | None,
        typer.Option(
            help="Simulated seconds per wall second (default 1, or the scenario's).",
            show_default=False,
        ),
    ] = None,
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
    control_port: Annotated[
        int | None,
        typer.Option(
            metavar="PORT",
            help="HTTP control API on 127.0.0.1 (faults): default BASE-10, 0 any free port.",
            show_default=False,
        ),
    ] = None,
    ground_crew: Annotated[
        float | None,
        typer.Option(
            metavar="SECONDS",
            help="A crew refills the tank and swaps the battery after the vehicle has stood "
            "disarmed so long (simulated seconds; default: nobody comes).",
            show_default=False,
        ),
    ] = None,
    scenario: Annotated[
        str | None,
        typer.Option(
            metavar="NAME|FILE.toml",
            help="Run an operator exercise (tanbo sim scenarios lists the built-in ones).",
            show_default=False,
        ),
    ] = None,
    score_out: Annotated[
        Path | None, typer.Option(metavar="FILE", help="Write the exercise's score there (JSON).")
    ] = None,
) -> None:
    """Run simulated ArduPilot Copters on SITL's TCP ports (5760, 5770, …) until Ctrl-C.

    Faults go in while it runs (tanbo sim fault, tanbo sim clear); --scenario runs an
    operator exercise and scores it once the vehicle has landed.
    """
    if ctx.invoked_subcommand is not None:
        return
    from sim import EndpointError
    from sim.cluster import PortUnavailable, SimCluster
    from sim.control import ControlPortUnavailable
    from sim.scenarios import Exercise, ScenarioError, load_scenario

    try:
        chosen = None if scenario is None else load_scenario(scenario)
        config = _config(
            drones=drones, home=home, speedup=speedup, wind=wind, port=port,
            ground_crew=ground_crew, scenario=chosen,
        )  # fmt: skip
        targets = _targets(udp_out or [])
        if duration is not None and not (math.isfinite(duration) and duration > 0.0):
            raise _BadOption("--duration", f"{duration:g} is not a positive number of seconds")
        if score_out is not None and chosen is None:
            raise _BadOption("--score-out", "goes with --scenario")
        if score_out is not None and not score_out.parent.is_dir():
            raise _BadOption("--score-out", f"no folder {score_out.parent}")
        run = _Run(
            cluster=SimCluster(drones, config, udp_targets=targets),
            control_port=_control_port(control_port, port, drones),
        )
    except (_BadOption, ScenarioError) as exc:
        _fail(str(exc))
    except ValueError as exc:  # the simulator's own range checks
        _fail(str(exc))
    if chosen is not None:
        run.exercise = Exercise(chosen, run.cluster.vehicles[0])
    live = not quiet and out.is_terminal and run.exercise is None
    _log_to_stderr()
    try:
        elapsed_s = asyncio.run(_serve(run, duration, quiet=quiet, live=live))
    except PortUnavailable as exc:
        hint = " — is SITL or another tanbo sim running? use --port" if exc.in_use else ""
        _fail(f"{exc}{hint}")
    except ControlPortUnavailable as exc:
        hint = " — is another tanbo sim running? use --control-port" if exc.in_use else ""
        _fail(f"{exc}{hint}")
    except EndpointError as exc:
        _fail(str(exc))
    except KeyboardInterrupt:  # a second Ctrl-C while stopping
        run.reason, elapsed_s = "SIGINT", math.nan
    if run.exercise is not None:
        _report(run.exercise, score_out)
    cluster = run.cluster
    plural = "s" if drones != 1 else ""
    took = "" if math.isnan(elapsed_s) else f" after {elapsed_s:.1f} s"
    worst_ms = max(cluster.lag.report().vehicle_max_s.values(), default=0.0) * 1000
    out.print(
        f"stopped {drones} vehicle{plural}{took} ({run.reason}); "
        f"largest step delay {worst_ms:.0f} ms"
    )


def _fail(message: str, code: int = 2) -> NoReturn:
    err.print(f"tanbo: {escape(message)}")
    raise typer.Exit(code)


def _log_to_stderr() -> None:
    logger = logging.getLogger("sim")
    if not logger.handlers:
        logger.addHandler(RichHandler(console=err, show_path=False, level=logging.WARNING))


async def _serve(run: _Run, duration_s: float | None, *, quiet: bool, live: bool) -> float:
    """Run the vehicles and the control API until a signal, ``duration_s`` or the end of the
    exercise; how long it ran (``run.reason`` says why it stopped)."""
    from sim.control import ControlServer

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    cluster = run.cluster
    run.reason = f"--duration {duration_s:g} s" if duration_s is not None else "stopped"

    def on_signal(name: str) -> None:
        run.reason = name
        stop.set()

    def describe() -> dict[str, object]:
        exercise = run.exercise
        return {} if exercise is None else {"scenario": exercise.scenario.name}

    signals = (signal.SIGINT, signal.SIGTERM)
    for sig in signals:
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not on this platform
            loop.add_signal_handler(sig, on_signal, sig.name)
    started_s = time.monotonic()
    control = ControlServer(cluster.vehicles, port=run.control_port, describe=describe)
    try:
        async with cluster, control:
            started_s = time.monotonic()
            run.control_url = f"http://{control.host}:{control.port}"
            _announce(run, duration_s, quiet=quiet)
            deadline_s = None if duration_s is None else started_s + duration_s
            if run.exercise is not None:
                await _exercise(run, stop, deadline_s)
            elif live:
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
    return time.monotonic() - started_s


async def _exercise(run: _Run, stop: asyncio.Event, deadline_s: float | None) -> None:
    """Print the faults and failsafes as they come; end once the vehicle is down again."""
    exercise = run.exercise
    assert exercise is not None
    while not await _wait(stop, deadline_s, _EVENTS_S):
        _print_events(run)
        if exercise.over:
            run.reason = "the vehicle has landed: exercise over"
            await _wait(stop, time.monotonic() + _LINGER_S, _LINGER_S)
            break
    _print_events(run)


def _print_events(run: _Run) -> None:
    state = run.cluster.vehicles[0].state
    faults, failsafes = state.fault_log, state.failsafe_log
    for record in faults[run.printed["faults"] :]:
        out.print(f"{record.time_s:8.1f} s  fault {record.change}: {escape(record.fault.spec)}")
    for event in failsafes[run.printed["failsafes"] :]:
        out.print(f"{event.time_s:8.1f} s  failsafe {event.kind}: {event.action}")
    run.printed = {"faults": len(faults), "failsafes": len(failsafes)}
    sys.stdout.flush()


def _report(exercise: "Exercise", score_out: Path | None) -> None:
    from sim.scenarios import score_lines
    from sim.score import score

    result = score(exercise.trace(), exercise.scenario, exercise.geometry)
    for line in score_lines(result):
        out.print(escape(line))
    if score_out is not None:
        try:
            score_out.write_text(json.dumps(result.to_json(), indent=2) + "\n", encoding="utf-8")
        except OSError as exc:
            _fail(f"--score-out: cannot write {score_out}: {exc.strerror or exc}", code=1)
        out.print(f"score written to {escape(str(score_out))}")


async def _wait(stop: asyncio.Event, deadline_s: float | None, most_s: float) -> bool:
    """Wait for ``stop`` at most ``most_s`` and not past ``deadline_s``; whether to stop now."""
    left_s = most_s if deadline_s is None else min(most_s, deadline_s - time.monotonic())
    if left_s <= 0.0:
        return True
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), None if math.isinf(left_s) else left_s)
    return stop.is_set() or (deadline_s is not None and time.monotonic() >= deadline_s)


def _announce(run: _Run, duration_s: float | None, *, quiet: bool) -> None:
    cluster = run.cluster
    when = f"stops after {duration_s:g} s; " if duration_s is not None else ""
    ready = f"ready: {cluster}, control on {run.control_url}; {when}Ctrl-C to stop"
    if run.exercise is not None:
        from sim.scenarios import briefing_lines

        for line in briefing_lines(run.exercise.scenario):
            out.print(escape(line))
    if quiet:
        out.print(escape(ready))
        sys.stdout.flush()
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
    port = run.control_url.rsplit(":", 1)[-1]
    out.print(f"faults: tanbo sim fault SPEC [--vehicle N] --control-port {port}")
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


_VEHICLE_OPTION = typer.Option(
    "--vehicle", metavar="SYSID", help="The vehicle's system id (1 is the first)."
)
_CONTROL_OPTION = typer.Option(
    metavar="PORT", help="The running tanbo sim's control port (its --port − 10)."
)


@sim_app.command("fault")
def fault(
    spec: Annotated[
        str,
        typer.Argument(
            metavar="SPEC",
            help="link-cut[:S], gps-loss[:S], battery:PCT, motor[:N] or gust:MPS@DEG[:S].",
        ),
    ],
    vehicle: Annotated[int, _VEHICLE_OPTION] = 1,
    control_port: Annotated[int, _CONTROL_OPTION] = CONTROL_PORT,
) -> None:
    """Put a fault into a vehicle of a running tanbo sim (S: simulated seconds it lasts)."""
    from sim.control import ControlClient, ControlError
    from sim.faults import parse_fault

    try:
        parse_fault(spec)
    except ValueError as exc:
        _fail(str(exc))
    try:
        reply = ControlClient(control_port).inject(vehicle, spec)
    except ControlError as exc:
        _fail(str(exc))
    parsed = reply.get("fault", {}).get("spec", spec)
    out.print(
        f"vehicle {vehicle}: {escape(str(parsed))} injected at {reply.get('time_s', 0.0):.1f} s "
        "(simulated)"
    )


@sim_app.command("clear")
def clear(
    kinds: Annotated[
        list[str],
        typer.Argument(metavar="KIND...", help="link-cut, gps-loss, battery, motor or gust."),
    ],
    vehicle: Annotated[int, _VEHICLE_OPTION] = 1,
    control_port: Annotated[int, _CONTROL_OPTION] = CONTROL_PORT,
) -> None:
    """End faults of a vehicle of a running tanbo sim now (exit 1 if one was not in force)."""
    from sim.control import ControlClient, ControlError, ControlRefused
    from sim.faults import FaultKind

    for kind in kinds:
        if kind not in set(FaultKind):
            _fail(f"unknown fault kind {kind!r}; known: {', '.join(FaultKind)}")
    client = ControlClient(control_port)
    missing = 0
    for kind in kinds:
        try:
            client.clear(vehicle, kind)
        except ControlRefused as exc:
            if exc.problem.get("in_force") is not False:
                _fail(str(exc))
            err.print(f"tanbo: {escape(str(exc))}")
            missing += 1
            continue
        except ControlError as exc:
            _fail(str(exc))
        out.print(f"vehicle {vehicle}: {kind} cleared")
    if missing:
        raise typer.Exit(1)


@sim_app.command("scenarios")
def scenarios() -> None:
    """List the built-in operator exercises (tanbo sim --scenario NAME runs one)."""
    from sim.scenarios import ScenarioGeometry, builtin_names, load_scenario

    table = Table(show_edge=False, header_style="bold")
    for name in ("name", "title", "field", "faults"):
        table.add_column(name)
    for name in builtin_names():
        scenario = load_scenario(name)
        area_ha = ScenarioGeometry.of(scenario).field.area / 10_000
        faults = ", ".join(entry.fault.spec for entry in scenario.timeline)
        table.add_row(
            name, escape(scenario.title), f"{escape(scenario.field_name)} {area_ha:.2f} ha", faults
        )
    out.print(table)
