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

import functools
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
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
from api.flight_ops import (
    FlyJob,
    Pilot,
    finish_log,
    first_checks,
    fly_sorties,
    in_parallel,
    snapshot,
    tank_left_l,
    who,
)
from api.flying import load_flight_file, returning_home, share_sorties, sorties_of
from core.errors import TanboError
from fleet.errors import LinkError
from fleet.events import EventKind, VehicleEvent
from fleet.flight import FlightOptions, Outcome
from fleet.link import Link

__all__ = ["fly"]

_SHOWN = {
    EventKind.ARMED, EventKind.DISARMED, EventKind.MODE_CHANGED, EventKind.LOW_BATTERY,
    EventKind.MISSION_COMPLETE, EventKind.FAILSAFE, EventKind.STATUS_TEXT,
    EventKind.LINK_LOST, EventKind.LINK_RESTORED,
}  # fmt: skip


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
        # Several vehicles: each lands on its own pad (RTL), not all on the plan's home.
        p.sorties = share if len(shares) == 1 else [returning_home(m) for m in share]
    options = FlightOptions(endurance_s=endurance_min * 60.0, reserve_pct=reserve_pct)
    job = FlyJob(
        engine=engine, flight_file=flight_file, pilot=pilot, options=options,
        csv_path=state.settings.data_dir / "flight-logs.csv", turnaround_s=turnaround_s,
        turnaround_max_s=turnaround_max_min * 60.0, timeout_s=timeout_min * 60.0,
        say=_say, warn=_warn, on_event=_show,
    )  # fmt: skip
    with ExitStack() as stack:
        for p in pilots:
            p.link = stack.enter_context(_opened(p.url))
        in_parallel(pilots, functools.partial(first_checks, job))
        _check_separation(pilots)
        refused = [p for p in pilots if p.error]
        if refused:
            for p in refused:
                err.print(f"tanbo fly: {escape(who(p))}: {escape(p.error or '')}")
            raise typer.Exit(2)
        try:
            _fly_all(pilots, job)
        finally:
            for p in pilots:  # whatever stopped the flying, what flew is logged
                finish_log(job, p)
    _summary(pilots, job.csv_path)
    flown = [f.record.outcome for p in pilots for f, _ in p.done]
    if any(p.error for p in pilots) or any(o != Outcome.COMPLETED for o in flown):
        raise typer.Exit(1)


def _pilots(engine: Engine, urls: list[str], registrations: list[str]) -> list[Pilot]:
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
    out_: list[Pilot] = []
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
            out_.append(Pilot(url=url, vehicle=record))
    else:
        out_ = [Pilot(url=url, vehicle=by_url.get(url)) for url in urls]
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


def _fly_all(pilots: list[Pilot], job: FlyJob) -> None:
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
        threading.Thread(target=fly_sorties, args=(job, p, stop), daemon=True) for p in pilots
    ]
    try:
        for t in threads:
            t.start()
        with Live(_progress(pilots), console=out, refresh_per_second=2, transient=True) as live:
            while any(t.is_alive() for t in threads):
                time.sleep(0.2)
                live.update(_progress(pilots))
                for p in pilots:
                    snapshot(job, p)
    except KeyboardInterrupt:
        for p in pilots:
            if p.flight is not None:
                p.flight.note("operator stopped watching; the vehicle was returning to launch")
                p.flight.stop_watching()
        for t in threads:  # let each flight record how it stood before its log is written
            t.join(timeout=5.0)
    finally:
        signal.signal(signal.SIGINT, previous)


MIN_SEPARATION_M = 8.0
"""Vehicles flying one plan together must stand at least this far apart (each then lands
where it took off). Tanbo does not deconflict their paths in the air: the sorties of one
plan cover different passes, but crossing transits are the operator's to watch."""


def _check_separation(pilots: list[Pilot]) -> None:
    """Refuse vehicles standing too close together to take off side by side."""
    for i, a in enumerate(pilots):
        for b in pilots[i + 1 :]:
            if a.flight is None or b.flight is None or a.error or b.error:
                continue
            here, there = a.flight.position(), b.flight.position()
            if here is None or there is None:
                continue
            gap = here.distance_m(there)
            if gap < MIN_SEPARATION_M:
                b.error = (
                    f"separation: stands {gap:.1f} m from {who(a)} "
                    f"(at least {MIN_SEPARATION_M:g} m apart to fly together)"
                )


def _say(text: str) -> None:
    out.print(escape(text))


def _warn(text: str) -> None:
    err.print(escape(text))


def _show(p: Pilot, event: VehicleEvent) -> None:
    if event.kind not in _SHOWN:
        return
    detail = f": {event.detail}" if event.detail else ""
    line = f"{who(p)}: {event.kind.value.replace('_', ' ')}{detail}"
    style = "bold red" if event.kind in (EventKind.FAILSAFE, EventKind.LINK_LOST) else None
    out.print(escape(line), style=style)


def _progress(pilots: list[Pilot]) -> Table:
    table = Table(show_edge=False, header_style="bold")
    columns = ("vehicle", "sortie", "mode", "item", "alt m", "m/s", "battery %", "flown m",
               "left m", "tank L")  # fmt: skip
    for name in columns:
        table.add_column(name, justify="left" if name in ("vehicle", "mode") else "right")
    for p in pilots:
        if p.flight is None:
            continue
        st = p.flight.status
        left = p.flight.remaining_m()
        table.add_row(
            escape(who(p)),
            f"{max(p.sortie_number, 1)}/{len(p.sorties)}",
            st.mode or "?",
            f"{st.mission_seq or 0}/{p.flight.record.items_total}",
            f"{st.alt_rel_m or 0.0:.1f}",
            f"{st.groundspeed_m_s or 0.0:.1f}",
            f"{st.battery_pct or 0.0:.0f}",
            f"{p.flight.flown_m:.0f}",
            "—" if left is None else f"{left:.0f}",
            _tank_left(p),
        )
    return table


def _tank_left(p: Pilot) -> str:
    left = tank_left_l(p)
    return "—" if left is None else f"~{left:.1f}"


def _summary(pilots: list[Pilot], csv_path: Path) -> None:
    for p in pilots:
        out.print(f"[bold]{escape(who(p))}[/bold]")
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
