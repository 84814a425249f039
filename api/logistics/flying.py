"""A running service flies its booked deliveries: each stationed vehicle with a trip
coming up is linked by its register entry's ``connection`` and flown by
:class:`~api.logistics.runner.DeliveryRunner`, one thread per vehicle.

:class:`DeliveryFleet` is started by :class:`api.background.Background` (``tanbo serve``);
only the process whose scheduler leads starts flights, as only it dispatches missions.
Every :attr:`FleetOptions.tick_s` it looks at the scheduled deliveries. A vehicle whose
first loading is less than :attr:`FleetOptions.lead_s` away is linked (its heartbeat
heard), and its thread flies its trips in take-off order until none is left; then the
link is closed.

A vehicle that cannot be reached (no connection in the register, nothing answering on
it) is *grounded* in this process: dispatch plans without it
(:attr:`DeliveryService.grounded`), so its trips go to the other vehicles or back to
accepted with the reason, and it is tried again every :attr:`FleetOptions.retry_s`.

At shutdown nothing takes off any more; a vehicle in the air returns to launch with its
parcel (the delivery goes back to accepted, to be flown again), is watched for
:attr:`FleetOptions.close_timeout_s` and logged.
"""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from api import fleet_store
from api.link_pool import LinkPool
from api.logistics import store
from api.logistics.runner import DeliveryRunner, VehicleLink
from api.logistics.service import DeliveryService
from core.errors import TanboError
from fleet.errors import LinkError
from fleet.link import Link
from logistics.lifecycle import DeliveryState

__all__ = ["DeliveryFleet", "FleetOptions"]

_log = logging.getLogger("tanbo.logistics.flying")


@dataclass(frozen=True, kw_only=True, slots=True)
class FleetOptions:
    """How a service flies its deliveries."""

    tick_s: float = 2.0
    """How often the scheduled trips are looked at, wall s."""
    lead_s: float = 300.0
    """Link a vehicle this long before its first loading, clock s."""
    open_timeout_s: float = 5.0
    """Wall seconds to open a vehicle's link."""
    heartbeat_timeout_s: float = 10.0
    """Wall seconds to hear the vehicle on its link."""
    retry_s: float = 60.0
    """Try a grounded vehicle again after so long, wall s."""
    close_timeout_s: float = 30.0
    """At shutdown, wall seconds to watch returning vehicles before giving up on them."""
    flight_timeout_s: float = 1800.0
    """Stop watching one flight after so long, wall s."""
    dispatch_s: float = 60.0
    """Dispatch again so often while accepted deliveries wait unplanned, wall s (a newly
    accepted one is dispatched at the next tick)."""

    def __post_init__(self) -> None:
        for name in self.__slots__:
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} is {getattr(self, name)}; it must be positive")


class DeliveryFleet:
    """Flies the booked deliveries of one service.

    Parameters
    ----------
    service
        The deliveries, their places and the clock.
    pilot
        The person responsible for the flights, for the 飛行日誌.
    csv_path
        Where the 飛行日誌 CSV is appended (None: the database only).
    leading
        Whether this process may start flights now (the scheduler's leadership).
    options
        How the flights are run.
    links
        The process's links (shared with the fleet watch and the missions' flights).
    """

    def __init__(
        self,
        service: DeliveryService,
        *,
        pilot: str,
        csv_path: Path | None = None,
        leading: Callable[[], bool] = lambda: True,
        options: FleetOptions | None = None,
        links: LinkPool | None = None,
    ) -> None:
        self.service = service
        self._pool = links or LinkPool()
        self.options = options or FleetOptions()
        self._leading = leading
        self._links: dict[str, VehicleLink] = {}
        self.runner = DeliveryRunner(
            service=service, links=self._links, pilot=pilot, csv_path=csv_path,
            flight_timeout_s=self.options.flight_timeout_s,
        )  # fmt: skip
        service.turn_round = self.runner.recall
        self._lock = threading.Lock()
        self._threads: dict[str, threading.Thread] = {}
        self._tried: dict[str, float] = {}
        """Registration → when (monotonic) a grounded vehicle was last tried."""
        self._seen: set[str] = set()
        """The accepted deliveries the last dispatch run saw."""
        self._dispatched_at = time.monotonic()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    def start(self) -> None:
        """Look at the scheduled trips every tick, in a thread of its own."""
        self._ticker = threading.Thread(target=self._tick_every, name="tanbo-delivery-fleet",
                                        daemon=True)  # fmt: skip
        self._ticker.start()

    def flying(self) -> list[str]:
        """The vehicles whose threads fly (or wait for) trips now, by registration."""
        with self._lock:
            return sorted(r for r, t in self._threads.items() if t.is_alive())

    def tick(self) -> list[str]:
        """Link and start the vehicles whose trips come up, try grounded vehicles again;
        the vehicles started."""
        if self._stop.is_set() or not self._leading():
            return []
        self._dispatch_waiting(also=self._retry_grounded())
        now = self.service.clock.now()
        started = []
        for registration, loading_at in sorted(self._first_loadings().items()):
            if registration in self.flying() or registration in self.service.grounded:
                continue
            if loading_at - timedelta(seconds=self.options.lead_s) > now:
                continue
            link = self._link(registration)
            if link is None:
                self.service.dispatch()  # its trips go to the others, or back to accepted
                continue
            self._start(link)
            started.append(registration)
        return started

    def close(self) -> None:
        """Start nothing more; bring the vehicles in the air home with their parcels,
        watch them land (at most :attr:`FleetOptions.close_timeout_s`), join the threads."""
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join(self.options.tick_s + self.options.heartbeat_timeout_s + 5.0)
        self.runner.return_all("the service shut down")
        deadline = time.monotonic() + self.options.close_timeout_s
        with self._lock:
            threads = list(self._threads.values())
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self.runner.stop_watching()
        for thread in threads:
            thread.join(10.0)
            if thread.is_alive():
                _log.error("%s: its thread did not end", thread.name)

    # -- inside -----------------------------------------------------------------------

    def _first_loadings(self) -> dict[str, datetime]:
        """Each vehicle's first loading time among the scheduled deliveries."""
        scheduled, _ = store.list_deliveries(
            self.service.engine, states=[DeliveryState.SCHEDULED], limit=10_000
        )
        loading = timedelta(seconds=self.service.rules.loading_s)
        first: dict[str, datetime] = {}
        for d in scheduled:
            if d.trip is None:
                continue
            at = d.trip.takeoff_at - loading
            first[d.trip.vehicle_id] = min(at, first.get(d.trip.vehicle_id, at))
        return first

    def _dispatch_waiting(self, *, also: bool) -> None:
        """Dispatch when a delivery was accepted since the last run, when accepted ones
        still wait and :attr:`FleetOptions.dispatch_s` has passed, or ``also`` (a grounded
        vehicle answers again)."""
        accepted, _ = store.list_deliveries(
            self.service.engine, states=[DeliveryState.ACCEPTED], limit=10_000
        )
        waiting = {d.id for d in accepted}
        due = time.monotonic() - self._dispatched_at >= self.options.dispatch_s
        if also or (waiting and (waiting - self._seen or due)):
            self._dispatched_at = time.monotonic()
            self._seen = waiting
            self.service.dispatch()

    def _link(self, registration: str) -> VehicleLink | None:
        """The vehicle's link, its heartbeat heard; None (and the vehicle grounded, in
        words) when it cannot be reached."""
        self._tried[registration] = time.monotonic()
        link: Link | None = None
        try:
            record = fleet_store.get_vehicle(self.service.engine, registration)
            if not record.connection:
                raise LinkError("the register gives it no connection")
            link = self._pool.acquire(record.connection,
                                      open_timeout_s=self.options.open_timeout_s)  # fmt: skip
            system_id = link.wait_for_vehicle(
                record.system_id, timeout_s=self.options.heartbeat_timeout_s
            )
        except (TanboError, OSError) as exc:
            if link is not None:
                self._pool.release(link)
            why = f"not reachable: {exc}"
            if self.service.grounded.get(registration) != why:
                _log.warning("delivery vehicle %s %s; dispatch plans without it", registration,
                             why)  # fmt: skip
            self.service.grounded[registration] = why
            return None
        if self.service.grounded.pop(registration, None) is not None:
            _log.info("delivery vehicle %s answers again", registration)
        return VehicleLink(registration=registration, link=link, system_id=system_id)

    def _retry_grounded(self) -> bool:
        """Try each grounded vehicle again once :attr:`FleetOptions.retry_s` has passed;
        whether one answered (dispatch should plan with it again)."""
        back = False
        for registration in sorted(self.service.grounded):
            since = self._tried.get(registration, 0.0)
            if time.monotonic() - since < self.options.retry_s:
                continue
            link = self._link(registration)
            if link is not None:
                self._pool.release(link.link)
                back = True
        return back

    def _start(self, link: VehicleLink) -> None:
        registration = link.registration
        thread = threading.Thread(target=self._fly, args=(link,), daemon=True,
                                  name=f"delivery vehicle {registration}")  # fmt: skip
        with self._lock:
            self._links[registration] = link
            self._threads[registration] = thread
        thread.start()

    def _fly(self, link: VehicleLink) -> None:
        try:
            self.runner.fly_vehicle(link.registration, self._stop)
        except Exception:  # a bug: the next tick links the vehicle again for what is left
            _log.exception("delivery vehicle %s: flying failed", link.registration)
        finally:
            self._pool.release(link.link)
            with self._lock:
                self._links.pop(link.registration, None)

    def _tick_every(self) -> None:
        while not self._stop.wait(self.options.tick_s):
            try:
                self.tick()
            except Exception:  # the database may be away now: the next tick retries
                _log.exception("deliveries not flown this tick")
