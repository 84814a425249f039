"""Flying a plan on one or more vehicles, sortie by sortie: what ``tanbo fly`` and the demo
run, apart from how they show it.

Each vehicle (a :class:`Pilot`) gets its share of the plan's sorties. The first sortie of
every vehicle is uploaded and checked before any vehicle flies (:func:`first_checks`);
then each vehicle flies its sorties in turn (:func:`fly_sorties`), the crew's turn-around
between them (:func:`turnaround`: wait, then run the checks until they pass — the battery
check is what shows the swap). Each sortie's log is stored as soon as it lands, and a
snapshot once it is airborne (:func:`snapshot`), so neither a failsafe nor a ground
station that dies loses a flight.
"""

import contextlib
import functools
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import Engine

from api import fleet_store
from api.flying import FlightFile, flight_log
from core.errors import TanboError
from fleet.events import VehicleEvent
from fleet.flight import Flight, FlightOptions, Outcome
from fleet.flightlog import JST, FlightLog, append_csv
from fleet.link import Link
from fleet.preflight import require
from fleet.registry import SprayerKind, VehicleRecord
from mission_planner.model import Mission

__all__ = [
    "FlyJob",
    "Pilot",
    "finish_log",
    "first_checks",
    "fly_sorties",
    "in_parallel",
    "snapshot",
    "tank_left_l",
    "who",
]

Say = Callable[[str], None]
"""Where a line for the operator goes (plain text)."""


@dataclass
class Pilot:
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
    lock: threading.Lock = field(default_factory=threading.Lock)
    """Guards ``done``: the flying thread and the CLI both finish logs."""

    @property
    def sortie_number(self) -> int:
        return len(self.done) + (0 if self.flight is None or self._finished() else 1)

    def _finished(self) -> bool:
        return bool(self.done) and self.done[-1][0] is self.flight


@dataclass(frozen=True)
class FlyJob:
    """What every vehicle of one ``tanbo fly`` shares."""

    engine: Engine
    flight_file: FlightFile
    pilot: str
    options: FlightOptions
    csv_path: Path
    turnaround_s: float
    turnaround_max_s: float
    timeout_s: float
    say: Say = print
    warn: Say = print
    on_event: Callable[[Pilot, VehicleEvent], None] = lambda pilot, event: None


def tank_left_l(p: Pilot) -> float | None:
    """Litres left in the tank, estimated (MAVLink does not report a tank): the registered
    tank less the plan's L/ha over the area this sortie has sprayed so far; None when
    nothing sprays or nothing is known yet."""
    flight = p.flight
    if flight is None or p.vehicle is None or not p.vehicle.tank_l:
        return None
    rate, sprayed = flight.info.rate_l_ha, flight.sprayed_so_far_m2()
    if not rate or sprayed is None:
        return None
    return max(0.0, p.vehicle.tank_l - rate * sprayed / 10_000.0)


def who(p: Pilot) -> str:
    name = p.vehicle.registration if p.vehicle else "unregistered vehicle"
    return f"{name} on {p.url}"


def in_parallel(pilots: list[Pilot], work: Callable[[Pilot], None]) -> None:
    threads = [threading.Thread(target=work, args=(p,), daemon=True) for p in pilots]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def new_flight(job: FlyJob, p: Pilot, mission: Mission) -> Flight:
    assert p.link is not None
    registration = p.vehicle.registration if p.vehicle else None
    p.flight = Flight(
        p.link, p.system_id, mission, job.flight_file.info,
        replace(
            job.options,
            registration=registration,
            pump_max_l_min=p.vehicle.pump_max_l_min if p.vehicle else None,
            inspection=_inspection(job, p.vehicle),
            pump_servo=_pump_servo(p.vehicle),
        ),
        on_event=functools.partial(job.on_event, p),
    )  # fmt: skip
    p.flight_id = str(uuid.uuid4())
    p.snapshot_saved = False
    return p.flight


def _inspection(job: FlyJob, vehicle: VehicleRecord | None) -> str | None:
    """How today's daily inspection (日常点検) of a real aircraft went; None for a simulator
    or an unregistered vehicle (the registration check refuses that one)."""
    if vehicle is None or vehicle.simulated:
        return None
    found = fleet_store.inspection_of_day(job.engine, vehicle.registration, _today())
    if found is None:
        return "missing"
    return "passed" if found.passed else "failed"


def _pump_servo(vehicle: VehicleRecord | None) -> tuple[int, int] | None:
    """The registered servo pump's channel and off pulse, if the vehicle has one."""
    if vehicle is None or vehicle.sprayer.kind is not SprayerKind.SERVO_PUMP:
        return None
    channel, off = vehicle.sprayer.channel, vehicle.sprayer.pwm_off_us
    return None if channel is None or off is None else (channel, off)


def _today() -> date:
    return datetime.now(JST).date()


def first_checks(job: FlyJob, p: Pilot) -> None:
    """Find the vehicle, upload its first sortie and run every check; note a refusal."""
    assert p.link is not None
    try:
        wanted = p.vehicle.system_id if p.vehicle else None
        p.system_id = p.link.wait_for_vehicle(wanted, timeout_s=15.0)
        count = len(p.sorties)
        job.say(
            f"{who(p)}: vehicle {p.system_id}, {count} "
            f"{'sortie' if count == 1 else 'sorties'}; uploading and checking"
        )
        new_flight(job, p, p.sorties[0]).prepare()
    except TanboError as exc:
        p.error = str(exc)


def fly_sorties(job: FlyJob, p: Pilot, stop: threading.Event) -> None:
    """One vehicle: fly its sorties in turn, the crew's turn-around between them. Nothing
    takes off once ``stop`` is set (the operator's Ctrl-C)."""
    try:
        for number, mission in enumerate(p.sorties):
            if number > 0:
                previous = p.flight
                assert previous is not None
                flight = new_flight(job, p, mission)
                if not turnaround(job, p, previous, flight, stop):
                    return
            assert p.flight is not None
            if stop.is_set():
                return
            p.flight.fly(timeout_s=job.timeout_s, stop=stop)
            finish_log(job, p)
            if p.flight.record.outcome != Outcome.COMPLETED:
                return  # a failsafe, an abort or a lost link ends this vehicle's job
    except TanboError as exc:
        p.error = str(exc)


def turnaround(
    job: FlyJob, p: Pilot, previous: Flight, flight: Flight, stop: threading.Event
) -> bool:
    """Wait for the crew (``turnaround_s`` of vehicle time since the landing), upload the
    next sortie, then run the checks until they pass. False if stopped first.

    A real battery swap reboots the autopilot: its clock starts again from zero, and the
    wait is then counted from the reboot.

    Raises
    ------
    PreflightFailed
        The checks still fail ``turnaround_max_s`` after landing.
    """
    landed = previous.status.boot_s or 0.0
    job.say(f"{who(p)}: landed; refill the tank and swap the battery")
    told = ""
    uploaded = False
    while not stop.is_set():
        now = flight.status.boot_s or landed
        if now < landed:  # rebooted
            landed = now
        waited = now - landed
        if waited >= job.turnaround_s:
            if not uploaded:  # after the swap: a rebooted autopilot has forgotten the rates
                flight.upload()
                uploaded = True
            failed = [c for c in flight.check() if not c.ok]
            if not failed:
                job.say(f"{who(p)}: checks pass; next sortie")
                return not stop.is_set()
            if waited >= job.turnaround_max_s:
                require(failed)
            words = "; ".join(f"{c.name}: {c.detail}" for c in failed)
            if words != told:
                job.say(f"{who(p)}: waiting — {words}")
                told = words
        time.sleep(0.5)
    return False


def log_of(job: FlyJob, p: Pilot, *, in_progress: bool) -> FlightLog | None:
    flight = p.flight
    if flight is None or flight.record.takeoff_at is None or p.vehicle is None:
        return None
    inspected = None
    if not p.vehicle.simulated:
        day = flight.record.takeoff_at.astimezone(JST).date()
        found = fleet_store.inspection_of_day(job.engine, p.vehicle.registration, day)
        inspected = found.id if found is not None else None
    return flight_log(
        flight.record, job.flight_file, pilot=job.pilot, registration=p.vehicle.registration,
        flight_id=p.flight_id, inspection_id=inspected, in_progress=in_progress,
    )  # fmt: skip


def snapshot(job: FlyJob, p: Pilot) -> None:
    """Store an in-progress log once a sortie is airborne: a ground station that dies
    mid-flight still leaves the flight in the database."""
    if p.snapshot_saved or (p.done and p.done[-1][0] is p.flight):
        return
    log = log_of(job, p, in_progress=True)
    if log is None:
        return
    p.snapshot_saved = True
    with contextlib.suppress(TanboError):
        fleet_store.save_flight_log(job.engine, log)


def save_log(job: FlyJob, p: Pilot) -> FlightLog | None:
    """Store the finished sortie's log in the database and the CSV; a failure of one
    keeps the other, and is said."""
    log = log_of(job, p, in_progress=False)
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
        job.warn(f"tanbo fly: flight log of {who(p)} not saved to {problem}")
    return log


def finish_log(job: FlyJob, p: Pilot) -> None:
    """Store the log of the pilot's current sortie, once (the flying thread calls it when
    the sortie ends, the CLI again for a sortie cut short: Ctrl-C twice, an error)."""
    with p.lock:
        if p.flight is None or (p.done and p.done[-1][0] is p.flight):
            return
        p.done.append((p.flight, save_log(job, p)))
