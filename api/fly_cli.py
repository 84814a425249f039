"""``tanbo fly``: fly a mission file on one or several MAVLink vehicles, and log it.

For each ``--connect`` (with the vehicle registered under ``--vehicle``, or found in the
registry by its connection string) Tanbo uploads the mission and reads it back, checks
everything a careful operator checks, arms, starts the mission, shows its progress and
what the autopilot says, and when the vehicle has landed writes the flight log
(飛行日誌) to the database and to ``<data dir>/flight-logs.csv``. With several
vehicles the plan's sorties are shared between them.

Ctrl-C once: every vehicle returns to launch (RTL) and Tanbo keeps watching it land.
Twice: Tanbo stops watching (the vehicles carry on with RTL) and writes the logs of
what it saw.

Exit codes: 0 every flight completed; 1 a flight ended otherwise (failsafe, abort, lost
link, crash); 2 bad input or a refusal before take-off (one line naming it).
"""

import contextlib
import functools
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
from rich.live import Live
from rich.markup import escape
from rich.table import Table
from sqlalchemy import Engine

from api import fleet_store
from api.console import err, out, state_of
from api.flying import FlightFile, flight_log, load_flight_file, share_sorties, sorties_of
from core.errors import TanboError
from fleet.errors import FleetError, LinkError
from fleet.events import EventKind, VehicleEvent
from fleet.flight import Flight, FlightOptions, Outcome
from fleet.flightlog import FlightLog, append_csv
from fleet.link import Link
from fleet.preflight import require
from fleet.registry import VehicleRecord
from mission_planner.model import Mission

__all__ = ["fly"]

_SHOWN = {
    EventKind.ARMED, EventKind.DISARMED, EventKind.MODE_CHANGED, EventKind.LOW_BATTERY,
    EventKind.MISSION_COMPLETE, EventKind.FAILSAFE, EventKind.STATUS_TEXT,
    EventKind.LINK_LOST, EventKind.LINK_RESTORED,
}  # fmt: skip


@dataclass
class _Pilot:
    """One vehicle's share of the plan and how it went."""

    url: str
    vehicle: VehicleRecord | None
    link: Link | None = None
    system_id: int = 0
    sorties: list[Mission] = field(default_factory=list)
    flight: Flight | None = None
    """The sortie flying now (or last flown)."""
    flight_id: str = ""
    snapshot_saved: bool = False
    done: list[tuple[Flight, FlightLog | None]] = field(default_factory=list)
    error: str | None = None

    @property
    def sortie_number(self) -> int:
        return len(self.done) + (0 if self.flight is None or self._finished() else 1)

    def _finished(self) -> bool:
        return bool(self.done) and self.done[-1][0] is self.flight


def fly(
    ctx: typer.Context,
    plan: Annotated[
        Path, typer.Argument(help="Mission file: .plan (QGroundControl) or .waypoints.")
    ],
    connect: Annotated[
        list[str] | None,
        typer.Option(
            "--connect",
            "-c",
            help="Vehicle link, e.g. tcp:127.0.0.1:5760, udpin:0.0.0.0:14550, "
            "serial:/dev/ttyUSB0:57600. Repeat for several vehicles.",
        ),
    ] = None,
    vehicle: Annotated[
        list[str] | None,
        typer.Option(
            "--vehicle",
            "-v",
            help="Registration of the vehicle on the matching --connect (or alone: its "
            "registered connection).",
        ),
    ] = None,
    pilot: Annotated[
        str, typer.Option(envvar="TANBO_PILOT", help="Pilot's name, for the flight log.")
    ] = "",
    endurance_min: Annotated[
        float, typer.Option(min=1.0, help="Flight time of a full battery with the load, min.")
    ] = 15.0,
    reserve_pct: Annotated[
        float, typer.Option(min=0.0, max=90.0, help="Battery left at landing, %.")
    ] = 20.0,
    turnaround_s: Annotated[
        float,
        typer.Option(
            min=0.0,
            help="Between sorties: seconds (vehicle time) for the crew to refill and swap the "
            "battery before the checks are run again.",
        ),
    ] = 60.0,
    turnaround_max_min: Annotated[
        float,
        typer.Option(
            min=0.1, help="Give up a vehicle whose checks do not pass so long after landing, min."
        ),
    ] = 15.0,
    timeout_min: Annotated[
        float, typer.Option(min=0.1, help="Stop watching a sortie after so long, min.")
    ] = 60.0,
) -> None:
    """Upload, check, arm and fly a mission, sortie by sortie; write each flight's log."""
    state = state_of(ctx)
    if not pilot.strip():
        raise typer.BadParameter("the flight log needs the pilot's name", param_hint="--pilot")
    try:
        flight_file = load_flight_file(plan)
    except TanboError as exc:
        raise typer.BadParameter(str(exc), param_hint="PLAN") from exc
    engine = state.db()
    pilots = _pilots(engine, connect or [], vehicle or [])
    shares = share_sorties(sorties_of(flight_file.mission), len(pilots))
    pilots = pilots[: len(shares)]
    for p, share in zip(pilots, shares, strict=True):
        p.sorties = share
    options = FlightOptions(endurance_s=endurance_min * 60.0, reserve_pct=reserve_pct)
    job = _Job(
        engine=engine, flight_file=flight_file, pilot=pilot, options=options,
        csv_path=state.settings.data_dir / "flight-logs.csv", turnaround_s=turnaround_s,
        turnaround_max_s=turnaround_max_min * 60.0, timeout_s=timeout_min * 60.0,
    )  # fmt: skip
    with ExitStack() as stack:
        for p in pilots:
            p.link = stack.enter_context(_opened(p.url))
        _in_parallel(pilots, functools.partial(_first_checks, job))
        refused = [p for p in pilots if p.error]
        if refused:
            for p in refused:
                err.print(f"tanbo fly: {escape(_who(p))}: {escape(p.error or '')}")
            raise typer.Exit(2)
        try:
            _fly_all(pilots, job)
        finally:
            for p in pilots:  # whatever stopped the flying, what flew is logged
                _finish_log(job, p)
    _summary(pilots, job.csv_path)
    flown = [f.record.outcome for p in pilots for f, _ in p.done]
    if any(p.error for p in pilots) or any(o != Outcome.COMPLETED for o in flown):
        raise typer.Exit(1)


@dataclass(frozen=True)
class _Job:
    engine: Engine
    flight_file: FlightFile
    pilot: str
    options: FlightOptions
    csv_path: Path
    turnaround_s: float
    turnaround_max_s: float
    timeout_s: float


def _pilots(engine: Engine, urls: list[str], registrations: list[str]) -> list[_Pilot]:
    """Pair each connection with its registered vehicle."""
    vehicles = fleet_store.list_vehicles(engine)
    by_reg = {v.registration: v for v in vehicles}
    by_url = {v.connection: v for v in vehicles if v.connection}
    if not urls and not registrations:
        raise typer.BadParameter("give --connect URL (or --vehicle REG with a registered link)")
    if urls and registrations and len(urls) != len(registrations):
        raise typer.BadParameter(
            f"{len(urls)} --connect but {len(registrations)} --vehicle: give one of each per "
            "vehicle, or only --connect",
            param_hint="--vehicle",
        )
    out_: list[_Pilot] = []
    for reg in registrations:
        if reg not in by_reg:
            raise typer.BadParameter(
                f"{reg}: no such registered vehicle (tanbo vehicles list)", param_hint="--vehicle"
            )
    if registrations:
        for i, reg in enumerate(registrations):
            record = by_reg[reg]
            url = urls[i] if urls else record.connection
            if not url:
                raise typer.BadParameter(
                    f"{reg} has no registered connection: give --connect", param_hint="--vehicle"
                )
            out_.append(_Pilot(url=url, vehicle=record))
    else:
        out_ = [_Pilot(url=url, vehicle=by_url.get(url)) for url in urls]
    seen: set[str] = set()
    for s in out_:
        if s.url in seen:
            raise typer.BadParameter(f"{s.url} is given twice", param_hint="--connect")
        seen.add(s.url)
    return out_


@contextmanager
def _opened(url: str) -> Iterator[Link]:
    try:
        link = Link(url)
    except LinkError as exc:
        raise typer.BadParameter(str(exc), param_hint="--connect") from exc
    try:
        yield link
    finally:
        link.close()


def _who(p: _Pilot) -> str:
    name = p.vehicle.registration if p.vehicle else "unregistered vehicle"
    return f"{name} on {p.url}"


def _in_parallel(pilots: list[_Pilot], work: Callable[[_Pilot], None]) -> None:
    threads = [threading.Thread(target=work, args=(p,), daemon=True) for p in pilots]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def _new_flight(job: _Job, p: _Pilot, mission: Mission) -> Flight:
    assert p.link is not None
    registration = p.vehicle.registration if p.vehicle else None
    p.flight = Flight(
        p.link, p.system_id, mission, job.flight_file.info,
        replace(job.options, registration=registration),
        on_event=functools.partial(_show, p),
    )  # fmt: skip
    p.flight_id = str(uuid.uuid4())
    p.snapshot_saved = False
    return p.flight


def _first_checks(job: _Job, p: _Pilot) -> None:
    """Find the vehicle, upload its first sortie and run every check; note a refusal."""
    assert p.link is not None
    try:
        wanted = p.vehicle.system_id if p.vehicle else None
        p.system_id = p.link.wait_for_vehicle(wanted, timeout_s=15.0)
        count = len(p.sorties)
        out.print(
            f"{escape(_who(p))}: vehicle {p.system_id}, {count} "
            f"{'sortie' if count == 1 else 'sorties'}; uploading and checking"
        )
        _new_flight(job, p, p.sorties[0]).prepare()
    except FleetError as exc:
        p.error = str(exc)


def _fly_all(pilots: list[_Pilot], job: _Job) -> None:
    """Fly every vehicle's sorties at once; Ctrl-C once sends them home, twice stops
    watching."""
    presses = 0
    stop = threading.Event()

    def on_interrupt(signum: int, frame: FrameType | None) -> None:
        nonlocal presses
        presses += 1
        stop.set()
        if presses == 1:
            out.print("Ctrl-C: every vehicle returns to launch; Ctrl-C again to stop watching")
            for p in pilots:
                if p.flight is not None:
                    p.flight.abort()
        else:
            raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, on_interrupt)
    threads = [
        threading.Thread(target=_fly_sorties, args=(job, p, stop), daemon=True) for p in pilots
    ]
    try:
        for t in threads:
            t.start()
        with Live(_progress(pilots), console=out, refresh_per_second=2, transient=True) as live:
            while any(t.is_alive() for t in threads):
                time.sleep(0.2)
                live.update(_progress(pilots))
                for p in pilots:
                    _snapshot(job, p)
    except KeyboardInterrupt:
        for p in pilots:
            if p.flight is not None:
                p.flight.note("operator stopped watching; the vehicle was returning to launch")
    finally:
        signal.signal(signal.SIGINT, previous)


def _fly_sorties(job: _Job, p: _Pilot, stop: threading.Event) -> None:
    """One vehicle: fly its sorties in turn, the crew's turn-around between them."""
    try:
        for number, mission in enumerate(p.sorties):
            if stop.is_set():
                return
            if number > 0:
                flight = _new_flight(job, p, mission)
                flight.upload()
                _turnaround(job, p, flight, stop)
            assert p.flight is not None
            p.flight.fly(timeout_s=job.timeout_s)
            p.done.append((p.flight, _save_log(job, p)))
            if p.flight.record.outcome != Outcome.COMPLETED:
                return  # a failsafe, an abort or a lost link ends this vehicle's job
    except FleetError as exc:
        p.error = str(exc)


def _turnaround(job: _Job, p: _Pilot, flight: Flight, stop: threading.Event) -> None:
    """Wait for the crew (``turnaround_s`` of vehicle time), then until the checks pass.

    Raises
    ------
    PreflightFailed
        The checks still fail ``turnaround_max_s`` after landing.
    """
    landed = flight.status.boot_s or 0.0
    out.print(f"{escape(_who(p))}: landed; refill the tank and swap the battery")
    told = ""
    while not stop.is_set():
        waited = (flight.status.boot_s or landed) - landed
        if waited >= job.turnaround_s:
            failed = [c for c in flight.check() if not c.ok]
            if not failed:
                out.print(f"{escape(_who(p))}: checks pass; next sortie")
                return
            if waited >= job.turnaround_max_s:
                require(failed)
            words = "; ".join(f"{c.name}: {c.detail}" for c in failed)
            if words != told:
                out.print(f"{escape(_who(p))}: waiting — {escape(words)}")
                told = words
        time.sleep(0.5)


def _show(p: _Pilot, event: VehicleEvent) -> None:
    if event.kind not in _SHOWN:
        return
    detail = f": {event.detail}" if event.detail else ""
    line = f"{_who(p)}: {event.kind.value.replace('_', ' ')}{detail}"
    style = "bold red" if event.kind in (EventKind.FAILSAFE, EventKind.LINK_LOST) else None
    out.print(escape(line), style=style)


def _progress(pilots: list[_Pilot]) -> Table:
    table = Table(show_edge=False, header_style="bold")
    for name in ("vehicle", "sortie", "mode", "item", "alt m", "m/s", "battery %", "flown m"):
        table.add_column(name, justify="left" if name in ("vehicle", "mode") else "right")
    for p in pilots:
        if p.flight is None:
            continue
        st = p.flight.status
        table.add_row(
            escape(_who(p)),
            f"{max(p.sortie_number, 1)}/{len(p.sorties)}",
            st.mode or "?",
            f"{st.mission_seq or 0}/{p.flight.record.items_total}",
            f"{st.alt_rel_m or 0.0:.1f}",
            f"{st.groundspeed_m_s or 0.0:.1f}",
            f"{st.battery_pct or 0.0:.0f}",
            f"{p.flight.flown_m:.0f}",
        )
    return table


def _log_of(job: _Job, p: _Pilot, *, in_progress: bool) -> FlightLog | None:
    flight = p.flight
    if flight is None or flight.record.takeoff_at is None or p.vehicle is None:
        return None
    return flight_log(
        flight.record, job.flight_file, pilot=job.pilot,
        registration=p.vehicle.registration, flight_id=p.flight_id, in_progress=in_progress,
    )  # fmt: skip


def _snapshot(job: _Job, p: _Pilot) -> None:
    """Store an in-progress log once a sortie is airborne: a ground station that dies
    mid-flight still leaves the flight in the database."""
    if p.snapshot_saved or (p.done and p.done[-1][0] is p.flight):
        return
    log = _log_of(job, p, in_progress=True)
    if log is None:
        return
    p.snapshot_saved = True
    with contextlib.suppress(TanboError):
        fleet_store.save_flight_log(job.engine, log)


def _save_log(job: _Job, p: _Pilot) -> FlightLog | None:
    """Store the finished sortie's log in the database and the CSV; a failure of one
    keeps the other, and is said."""
    log = _log_of(job, p, in_progress=False)
    if log is None:
        return None
    problems = []
    try:
        append_csv(log, job.csv_path, vehicle=p.vehicle)
    except OSError as exc:
        problems.append(f"CSV {job.csv_path}: {exc.strerror or exc}")
    try:
        fleet_store.save_flight_log(job.engine, log)
    except TanboError as exc:
        problems.append(f"database: {exc}")
    for problem in problems:
        err.print(f"tanbo fly: flight log of {escape(_who(p))} not saved to {escape(problem)}")
    return log


def _finish_log(job: _Job, p: _Pilot) -> None:
    """A sortie cut short (Ctrl-C twice, an error) still gets its log."""
    if p.flight is not None and not (p.done and p.done[-1][0] is p.flight):
        p.done.append((p.flight, _save_log(job, p)))


def _summary(pilots: list[_Pilot], csv_path: Path) -> None:
    for p in pilots:
        out.print(f"[bold]{escape(_who(p))}[/bold]")
        for number, (flight, log) in enumerate(p.done, 1):
            rec = flight.record
            out.print(
                f"  sortie {number}: {rec.outcome.value}, {rec.flight_time_s / 60.0:.1f} min, "
                f"{rec.distance_m:.0f} m flown, max {rec.max_alt_m:.1f} m, items "
                f"{min(rec.items_reached, rec.items_total)}/{rec.items_total}"
            )
            details = []
            if rec.battery_start_pct is not None and rec.battery_end_pct is not None:
                details.append(f"battery {rec.battery_start_pct:.0f} → {rec.battery_end_pct:.0f} %")
            if rec.sprayed_m2:
                details.append(f"sprayed {rec.sprayed_m2 / 10_000.0:.3f} ha")
            if log is not None:
                details.append(f"log {log.flight_id}")
            if details:
                out.print("    " + ", ".join(details))
            for anomaly in rec.anomalies:
                out.print(f"    ! {escape(anomaly.text)}", style="yellow")
        if p.error:
            out.print(f"  {escape(p.error)}", style="red")
    out.print(f"flight logs: the database and {escape(str(csv_path))}")
