"""The scheduler's fleet: a dispatched mission planned, handed to its vehicle and flown.

:class:`FleetDispatch` is the :class:`~api.scheduling.DispatchPort` the scheduler calls at a
mission's slot. :meth:`~FleetDispatch.dispatch` does, before it returns, what can be
refused in words (:mod:`api.fleet_dispatch_plan`): the vehicle (registered, not retired,
reachable by a connection, fit for the work), the fields, the plan parameters and the
plan itself, made exactly as ``POST /plans/spray`` (or ``/plans/survey``) makes it
(registered zones, the settings' buffers) and kept as files under
``<data dir>/missions/<id>/``. A survey flies the same way; the sprayer's set-up (the
pump rate, SPRAY_ENABLE and its check) is done only for a plan that sprays. Then a thread
of the mission's own flies that ``.plan`` file the way ``tanbo fly`` does
(:mod:`api.flight_ops`): link, upload and checks, sortie after sortie with the crew's
turnaround between, each sortie's 飛行日誌 stored as it lands (and a snapshot once airborne).

Progress goes back through :func:`~api.scheduling.record_progress`::

    first take-off of the mission  → took_off
    every sortie completed         → completed
    anything else (a refusal at the checks, a lost link, a failsafe, a crash, an abort)
                                   → failed, with the reason in words

An abort — :meth:`FleetDispatch.abort`, or the mission aborted (or otherwise ended) in
the database by any API process — is what ``tanbo fly`` does on Ctrl-C: the vehicle
returns to launch, the sprayer is switched off, nothing takes off again, and what flew
is logged. :meth:`FleetDispatch.close` does it to every mission at shutdown.
"""

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from api.config import Settings
from api.errors import ConfigError
from api.fleet_dispatch_plan import DispatchRefused, mission_dir, prepare_flight
from api.flight_ops import (
    FlyJob,
    Pilot,
    finish_log,
    first_checks,
    fly_sorties,
    snapshot,
    tank_left_l,
    who,
)
from api.flying import sorties_of
from api.link_pool import LinkPool
from api.scheduling import (
    FINAL,
    Mission,
    Notifier,
    ProgressEvent,
    ProgressKind,
    get_mission,
    record_progress,
)
from core.clock import Clock, SystemClock
from core.errors import TanboError
from fleet.errors import LinkError
from fleet.events import EventKind, VehicleEvent
from fleet.flight import FlightOptions, FlightRecord, Outcome

__all__ = ["DispatchOptions", "DispatchRefused", "FleetDispatch", "mission_dir"]

logger = logging.getLogger(__name__)

_POLL_S = 0.2
"""How often a mission's thread looks at its flight (take-off, snapshots), wall s."""
_LOGGED = frozenset({EventKind.FAILSAFE, EventKind.LINK_LOST, EventKind.LOW_BATTERY})
_OUTCOME_WORDS = {
    Outcome.FAILSAFE: "in a failsafe",
    Outcome.ABORTED: "aborted",
    Outcome.CRASHED: "in a crash",
    Outcome.LINK_LOST: "with the link lost",
    Outcome.NOT_FLOWN: "without flying",
}


@dataclass(frozen=True, kw_only=True, slots=True)
class DispatchOptions:
    """How dispatched missions are flown (``tanbo fly``'s options; built by api/config)."""

    endurance_min: float = 15.0
    """Flight time of a full battery with the load, min, when the mission does not say."""
    reserve_pct: float = 20.0
    """Battery left at landing, %."""
    turnaround_s: float = 60.0
    """Between sorties: vehicle seconds for the crew to refill and swap the battery."""
    turnaround_max_s: float = 900.0
    """Give the mission up when the checks still fail so long after a landing, vehicle s."""
    sortie_timeout_s: float = 3600.0
    """Stop watching a sortie after so long, wall s."""
    open_timeout_s: float = 5.0
    """Wall seconds to open the vehicle's link."""
    status_poll_s: float = 2.0
    """How often a flying mission's status is read back: an abort recorded by another API
    process reaches the vehicle within this, wall s."""
    close_timeout_s: float = 30.0
    """At shutdown, wall seconds to watch the vehicles returning before giving up on them."""

    def __post_init__(self) -> None:
        for name in ("endurance_min", "turnaround_max_s", "sortie_timeout_s", "open_timeout_s",
                     "status_poll_s", "close_timeout_s"):  # fmt: skip
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} is {getattr(self, name)}; it must be positive")
        if not 0 <= self.reserve_pct < 100:
            raise ValueError(f"reserve_pct is {self.reserve_pct}; it must be 0 to 100")
        if not self.turnaround_s >= 0:
            raise ValueError(f"turnaround_s is {self.turnaround_s}; it must not be negative")


@dataclass(eq=False, kw_only=True)
class _Run:
    """One mission in flight: its thread, its vehicle's pilot, how it is being stopped."""

    mission_id: int
    job: FlyJob
    pilot: Pilot
    stop: threading.Event = field(default_factory=threading.Event)
    give_up: threading.Event = field(default_factory=threading.Event)
    """Set at shutdown once the vehicles were given time to land: stop watching."""
    finished: threading.Event = field(default_factory=threading.Event)
    stopped_by: str | None = None
    in_checks: bool = True
    """Linking and checking, before anything flies: an abort closes the link."""
    told_takeoff: bool = False
    thread: threading.Thread | None = None

    @property
    def registration(self) -> str:
        assert self.pilot.vehicle is not None
        return self.pilot.vehicle.registration


class FleetDispatch:
    """Flies dispatched missions on their vehicles; one serves a whole API process.

    Parameters
    ----------
    engine
        The database: the registry, the flight logs and the missions' progress.
    settings
        The data directory (plan files, ``flight-logs.csv``) and the zone buffers.
    clock
        Times the progress events (the scheduler's clock).
    pilot_name
        The person responsible for the flights, for the 飛行日誌.
    notifier
        Tells the farmer of the progress (as the scheduler's notices).
    options
        How the flights are run.
    links
        The process's links (shared with the fleet watch and the delivery drones).

    Raises
    ------
    ConfigError
        No pilot's name.
    """

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        *,
        clock: Clock | None = None,
        pilot_name: str,
        notifier: Notifier | None = None,
        options: DispatchOptions | None = None,
        links: LinkPool | None = None,
    ) -> None:
        if not pilot_name.strip():
            raise ConfigError("the flight logs need the pilot's name")
        self._engine = engine
        self._settings = settings
        self._clock = clock or SystemClock()
        self._pilot_name = pilot_name.strip()
        self._notifier = notifier
        self._options = options or DispatchOptions()
        self._lock = threading.Lock()
        self._runs: dict[int, _Run] = {}
        self._closed = False
        self._links = links or LinkPool()

    # -- the port ----------------------------------------------------------------------

    def dispatch(self, mission: Mission) -> None:
        """Plan ``mission``, check its vehicle, start its flight in a thread; return then.

        Raises
        ------
        DispatchRefused
            The mission cannot be flown (the vehicle, a field, the parameters or the plan,
            in words); nothing was started.
        """
        with self._lock:  # before the plan's files are written: they may be flying now
            self._check_free(mission.id, mission.vehicle)
        ready = prepare_flight(self._engine, self._settings, mission)
        vehicle, flight_file = ready.vehicle, ready.flight_file
        options = FlightOptions(
            endurance_s=(ready.endurance_min or self._options.endurance_min) * 60.0,
            reserve_pct=self._options.reserve_pct,
            speed_m_s=ready.speed_m_s,
        )
        say = _Say(mission.id)
        job = FlyJob(
            engine=self._engine, flight_file=flight_file, pilot=self._pilot_name,
            options=options, csv_path=self._settings.data_dir / "flight-logs.csv",
            turnaround_s=self._options.turnaround_s,
            turnaround_max_s=self._options.turnaround_max_s,
            timeout_s=self._options.sortie_timeout_s, say=say.info, warn=say.warning,
            on_event=say.event,
        )  # fmt: skip
        pilot = Pilot(url=ready.connection, vehicle=vehicle,
                      sorties=sorties_of(flight_file.mission))  # fmt: skip
        run = _Run(mission_id=mission.id, job=job, pilot=pilot)
        run.thread = threading.Thread(
            target=self._fly, args=(run,), name=f"mission {mission.id}", daemon=True
        )
        with self._lock:
            self._check_free(mission.id, vehicle.registration)
            for done in [i for i, r in self._runs.items() if r.finished.is_set()]:
                del self._runs[done]
            self._runs[mission.id] = run
            run.thread.start()
        logger.info("mission %s: %s flies %s", mission.id, who(pilot), flight_file.path)

    def abort(self, mission_id: int) -> bool:
        """Stop a mission's flight as ``tanbo fly`` does on Ctrl-C (return to launch, the
        sprayer off, nothing takes off again, the logs kept); whether it was flying here."""
        with self._lock:
            run = self._runs.get(mission_id)
        if run is None or run.finished.is_set():
            return False
        self._stop(run, "aborted by the operator")
        return True

    def live(self, mission_id: int) -> dict[str, Any] | None:
        """What the vehicle flying ``mission_id`` reports now (None: not flying here).

        Position, height above home, heading, speed, mode, armed, battery, the mission item
        it is on and the sortie, as the link's telemetry has them this moment.
        """
        with self._lock:
            run = self._runs.get(mission_id)
        if run is None or run.finished.is_set() or run.pilot.link is None:
            return None
        status = run.pilot.link.tracker(run.pilot.system_id).status
        return {
            "registration": run.registration,
            "sortie": run.pilot.sortie_number,
            "sorties": len(run.pilot.sorties),
            "connected": status.connected,
            "mode": status.mode,
            "armed": status.armed,
            "lat_deg": status.lat_deg,
            "lon_deg": status.lon_deg,
            "alt_rel_m": status.alt_rel_m,
            "heading_deg": status.heading_deg,
            "groundspeed_m_s": status.groundspeed_m_s,
            "battery_pct": status.battery_pct,
            "mission_seq": status.mission_seq,
            "mission_total": status.mission_total,
        }

    def by_vehicle(self) -> dict[str, dict[str, Any]]:
        """What each vehicle flying a mission here is doing: the mission, the sortie and
        the litres left in its tank (estimated), by registration."""
        with self._lock:
            runs = [r for r in self._runs.values() if not r.finished.is_set()]
        return {
            run.registration: {
                "mission_id": run.mission_id,
                "sortie": run.pilot.sortie_number,
                "sorties": len(run.pilot.sorties),
                "tank_left_l": tank_left_l(run.pilot),
            }
            for run in runs
        }

    def running(self) -> list[int]:
        """The missions being flown now, by id."""
        with self._lock:
            return sorted(i for i, run in self._runs.items() if not run.finished.is_set())

    def close(self) -> None:
        """Refuse new missions, send every vehicle home, watch them land (at most
        :attr:`DispatchOptions.close_timeout_s`), write the logs, join the threads."""
        with self._lock:
            self._closed = True
            runs = list(self._runs.values())
        for run in runs:
            if not run.finished.is_set():
                self._stop(run, "the fleet dispatcher shut down")
        deadline = time.monotonic() + self._options.close_timeout_s
        for run in runs:
            assert run.thread is not None
            run.thread.join(max(0.0, deadline - time.monotonic()))
        for run in runs:
            run.give_up.set()
        for run in runs:
            assert run.thread is not None
            run.thread.join(10.0)
            if run.thread.is_alive():
                logger.error("mission %s: its thread did not end", run.mission_id)

    def _check_free(self, mission_id: int, registration: str | None) -> None:
        """Refuse a second flight of one mission or one vehicle (called under the lock)."""
        if self._closed:
            raise DispatchRefused(f"mission {mission_id}: the fleet dispatcher is shut down")
        for other in self._runs.values():
            if other.finished.is_set():
                continue
            if other.mission_id == mission_id:
                raise DispatchRefused(f"mission {mission_id} is flying already")
            if other.registration == registration:
                raise DispatchRefused(
                    f"mission {mission_id}: vehicle {registration} is still flying "
                    f"mission {other.mission_id}"
                )

    # -- the mission's thread ----------------------------------------------------------

    def _fly(self, run: _Run) -> None:
        try:
            kind, reason = self._fly_mission(run)
        except Exception as exc:  # a bug: bring the vehicle home, fail the mission now
            logger.exception("mission %s: flying it failed", run.mission_id)
            self._stop(run, "Tanbo's flight control failed")
            kind, reason = ProgressKind.FAILED, f"Tanbo's flight control failed: {exc!r}"
        run.finished.set()
        self._tell(run.mission_id, kind, reason)

    def _fly_mission(self, run: _Run) -> tuple[ProgressKind, str]:
        p, job = run.pilot, run.job
        try:
            link = self._links.acquire(p.url, open_timeout_s=self._options.open_timeout_s)
        except LinkError as exc:
            return ProgressKind.FAILED, f"{run.registration}: no link: {exc}"
        try:
            with self._lock:
                p.link = link
            if not run.stop.is_set():
                first_checks(job, p)
                self._read_status(run)  # the watchdog may have failed it meanwhile
            with self._lock:
                run.in_checks = False
            if run.stop.is_set():
                return ProgressKind.FAILED, f"{who(p)}: {run.stopped_by}: nothing took off"
            if p.error is not None:
                return ProgressKind.FAILED, f"{who(p)}: refused before take-off: {p.error}"
            flyer = threading.Thread(
                target=fly_sorties, args=(job, p, run.stop), daemon=True,
                name=f"mission {run.mission_id} sorties",
            )  # fmt: skip
            flyer.start()
            try:
                self._watch(run, flyer)
            finally:
                finish_log(job, p)  # whatever stopped the flying, what flew is logged
            self._note_takeoff(run)
            return _ending(run)
        finally:
            self._links.release(link)

    def _watch(self, run: _Run, flyer: threading.Thread) -> None:
        """While the sorties fly: snapshots, the take-off, aborts recorded elsewhere."""
        next_read = time.monotonic() + self._options.status_poll_s
        while flyer.is_alive():
            flyer.join(_POLL_S)
            snapshot(run.job, run.pilot)
            self._note_takeoff(run)
            if time.monotonic() >= next_read:
                next_read = time.monotonic() + self._options.status_poll_s
                self._read_status(run)
            if run.give_up.is_set() and run.pilot.flight is not None:
                run.pilot.flight.note("Tanbo shut down; the vehicle was returning to launch")
                run.pilot.flight.stop_watching()
                flyer.join(5.0)
                return

    def _read_status(self, run: _Run) -> None:
        try:
            mission = get_mission(self._engine, run.mission_id)
        except TanboError:
            logger.exception("mission %s: its status could not be read", run.mission_id)
            return
        if mission.status in FINAL:
            why = f": {mission.reason}" if mission.reason else ""
            self._stop(run, f"the mission was {mission.status.value}{why}")

    def _note_takeoff(self, run: _Run) -> None:
        if run.told_takeoff:
            return
        with run.pilot.lock:
            flights = [f for f, _ in run.pilot.done] + [run.pilot.flight]
        if any(f is not None and f.record.takeoff_at is not None for f in flights):
            run.told_takeoff = True
            self._tell(run.mission_id, ProgressKind.TOOK_OFF, "")

    def _stop(self, run: _Run, why: str) -> None:
        """Nothing takes off any more; a flying vehicle returns to launch (RTL, the sprayer
        off); checks under way are cut short by closing the link (nothing flies yet)."""
        with self._lock:
            if run.stopped_by is None:
                run.stopped_by = why
            run.stop.set()  # before the flight is read: a sortie starting now sees it
            link = run.pilot.link if run.in_checks else None
            flight = run.pilot.flight
        if link is not None:
            self._links.discard(link)
        elif flight is not None:
            flight.abort()

    def _tell(self, mission_id: int, kind: ProgressKind, reason: str) -> None:
        event = ProgressEvent(kind=kind, at=self._clock.now(), reason=reason)
        try:
            record_progress(self._engine, mission_id, event, notifier=self._notifier)
        except TanboError:
            logger.exception("mission %s: progress %s not recorded", mission_id, kind.value)


def _ending(run: _Run) -> tuple[ProgressKind, str]:
    """How the mission ended, from what its vehicle flew."""
    p = run.pilot
    total = len(p.sorties)
    flown: list[FlightRecord] = [f.record for f, _ in p.done if f.record.takeoff_at is not None]
    if (
        p.error is None
        and len(flown) == total
        and all(r.outcome == Outcome.COMPLETED for r in flown)
    ):
        return ProgressKind.COMPLETED, ""  # an abort that came after the work was done
    words = [run.stopped_by] if run.stopped_by else []
    last = flown[-1] if flown else None
    if p.error is not None:
        words.append(f"sortie {len(flown) + 1} of {total}: {p.error}")
    elif last is not None and last.outcome != Outcome.COMPLETED:
        ended = f"sortie {len(flown)} of {total} ended {_OUTCOME_WORDS[last.outcome]}"
        notes = [a.text for a in last.anomalies][-3:]
        words.append(ended + (f" ({'; '.join(notes)})" if notes else ""))
    else:
        words.append(f"{len(flown)} of {total} sorties flown")
    return ProgressKind.FAILED, f"{who(p)}: " + "; ".join(words)


@dataclass(frozen=True, slots=True)
class _Say:
    """Where ``tanbo fly``'s lines go for a dispatched mission: the log."""

    mission_id: int

    def info(self, text: str) -> None:
        logger.info("mission %s: %s", self.mission_id, text)

    def warning(self, text: str) -> None:
        logger.warning("mission %s: %s", self.mission_id, text)

    def event(self, pilot: Pilot, event: VehicleEvent) -> None:
        if event.kind in _LOGGED:
            detail = f": {event.detail}" if event.detail else ""
            self.warning(f"{who(pilot)}: {event.kind.value.replace('_', ' ')}{detail}")
