"""The fleet watch: every registered vehicle Tanbo can reach, kept linked and shown live.

A ground station shows every vehicle it is connected to, flying or not: where it is, its
mode, its battery. :class:`FleetWatch` does that for a ``tanbo serve`` process. Every
``tick_s`` it reads the register, links each vehicle that has a connection (through the
process's :class:`~api.link_pool.LinkPool`, so the missions and delivery trips flown later
use the same link), tries again every ``retry_s`` one that did not answer, and lets go of
vehicles retired or given another connection. Only the process whose scheduler leads
links vehicles: it is the one that flies them, and a vehicle takes one connection.

:meth:`FleetWatch.snapshot` is what the operators' map shows (``GET /fleet/status`` and
the ``/fleet/live`` stream): one entry per registered vehicle, its telemetry when linked,
and what it is doing — the mission and sortie (with the litres left in its tank) or the
delivery it flies.
"""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from api import fleet_store
from api.link_pool import LinkPool
from core.errors import TanboError
from fleet.link import Link
from fleet.registry import VehicleRecord

__all__ = ["FleetWatch", "WatchOptions", "unlinked", "vehicle_work"]

_log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True, slots=True)
class WatchOptions:
    """How the fleet is watched."""

    tick_s: float = 2.0
    """How often the register is read and links are checked, wall s."""
    retry_s: float = 30.0
    """A vehicle that could not be linked is tried again after this long, wall s."""
    open_timeout_s: float = 2.0
    """How long opening one vehicle's connection may take, s."""


Work = Callable[[], dict[str, dict[str, Any]]]
"""What the vehicles are doing, by registration (missions, deliveries)."""


def vehicle_work(services_extras: dict[str, Any]) -> Work:
    """What the process's mission dispatcher and delivery fleet say each vehicle does."""

    def work() -> dict[str, dict[str, Any]]:
        doing: dict[str, dict[str, Any]] = {}
        dispatch = services_extras.get("dispatch")
        if dispatch is not None:
            doing.update(dispatch.by_vehicle())
        deliveries = services_extras.get("delivery_fleet")
        if deliveries is not None:
            for registration, delivery_id in deliveries.runner.carrying().items():
                doing.setdefault(registration, {})["delivery_id"] = delivery_id
        return doing

    return work


def unlinked(
    v: VehicleRecord, why: str | None, doing: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A vehicle's entry with nothing heard from it (``why`` says why, if known)."""
    doing = doing or {}
    return {
        "registration": v.registration,
        "model": v.model,
        "simulated": v.simulated,
        "tank_l": v.tank_l,
        "max_payload_kg": v.max_payload_kg,
        "linked": False,
        "connected": False,
        "why": why or (None if v.connection else "the register gives it no connection"),
        "mission_id": doing.get("mission_id"),
        "sortie": doing.get("sortie"),
        "sorties": doing.get("sorties"),
        "tank_left_l": doing.get("tank_left_l"),
        "delivery_id": doing.get("delivery_id"),
    }


class FleetWatch:
    """Keeps the registered vehicles linked and tells what each reports.

    Parameters
    ----------
    engine
        The database (the register).
    links
        The process's links, shared with the flights.
    leading
        Whether this process flies the fleet now (only then does it link vehicles).
    work
        What the vehicles are doing (see :func:`vehicle_work`).
    options
        How the fleet is watched.
    """

    def __init__(
        self,
        engine: Engine,
        links: LinkPool,
        *,
        leading: Callable[[], bool] = lambda: True,
        work: Work = dict,
        options: WatchOptions | None = None,
    ) -> None:
        self._engine = engine
        self._pool = links
        self._leading = leading
        self._work = work
        self.options = options or WatchOptions()
        self._lock = threading.Lock()
        self._vehicles: list[VehicleRecord] = []
        self._held: dict[str, Link] = {}
        """Registration → the link this watch holds for it."""
        self._tried: dict[str, float] = {}
        self._why: dict[str, str] = {}
        """Registration → why it is not linked (in words)."""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Watch in a thread of its own (the first look at once)."""
        self._thread = threading.Thread(target=self._run, name="tanbo-fleet-watch",
                                        daemon=True)  # fmt: skip
        self._thread.start()

    def close(self) -> None:
        """Stop watching and let go of every link this watch holds."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(self.options.tick_s + self.options.open_timeout_s + 5.0)
        with self._lock:
            held, self._held = self._held, {}
        for link in held.values():
            self._pool.release(link)

    def tick(self) -> None:
        """Read the register; link what should be linked, let go of what should not."""
        vehicles = fleet_store.list_vehicles(self._engine)
        with self._lock:
            self._vehicles = vehicles
        leading = self._leading()
        wanted = {v.registration: v.connection for v in vehicles if v.connection and leading}
        for registration, link in list(self._held.items()):
            if wanted.get(registration) != link.url or link.closed:
                self._let_go(registration)
        now = time.monotonic()
        for registration, url in wanted.items():
            if registration in self._held or self._stop.is_set():
                continue
            if now - self._tried.get(registration, -1e9) < self.options.retry_s:
                continue
            self._tried[registration] = now
            try:
                link = self._pool.acquire(url, open_timeout_s=self.options.open_timeout_s)
            except (TanboError, OSError) as exc:
                self._why[registration] = f"not reachable: {exc}"
                continue
            with self._lock:
                self._held[registration] = link
            self._why.pop(registration, None)

    def snapshot(self) -> list[dict[str, Any]]:
        """Every registered vehicle as the operators' map shows it, by registration."""
        with self._lock:
            vehicles = list(self._vehicles)
            held = dict(self._held)
        doing = self._work()
        return [self._entry(v, held.get(v.registration), doing.get(v.registration, {}))
                for v in vehicles]  # fmt: skip

    # -- inside -----------------------------------------------------------------------

    def _entry(self, v: VehicleRecord, link: Link | None, doing: dict[str, Any]) -> dict[str, Any]:
        why = self._why.get(v.registration)
        if why is None and not self._leading():
            why = "linked by the Tanbo process that flies the fleet"
        entry = unlinked(v, why, doing)
        entry["linked"] = link is not None and not link.closed
        if link is None or link.closed:
            return entry
        status = self._status(v, link)
        if status is None:
            return entry
        heard_ago = None if status.last_heard_s is None else time.monotonic() - status.last_heard_s
        entry.update(
            connected=status.connected,
            heard_s_ago=None if heard_ago is None else round(heard_ago, 1),
            system_id=status.system_id,
            mode=status.mode,
            armed=status.armed,
            lat_deg=status.lat_deg,
            lon_deg=status.lon_deg,
            alt_rel_m=status.alt_rel_m,
            heading_deg=status.heading_deg,
            groundspeed_m_s=status.groundspeed_m_s,
            battery_pct=status.battery_pct,
            mission_seq=status.mission_seq,
            mission_total=status.mission_total,
        )
        return entry

    @staticmethod
    def _status(v: VehicleRecord, link: Link) -> Any:
        system_id = v.system_id
        if system_id is None:  # the register leaves it to the link: the first one heard
            heard = sorted(link.trackers)
            if not heard:
                return None
            system_id = heard[0]
        return link.tracker(system_id).status

    def _let_go(self, registration: str) -> None:
        with self._lock:
            link = self._held.pop(registration, None)
        if link is not None:
            self._pool.release(link)
            self._tried.pop(registration, None)  # linked again at the next look

    def _run(self) -> None:
        wait_s = 0.0
        while not self._stop.wait(wait_s):
            wait_s = self.options.tick_s
            try:
                self.tick()
            except Exception:  # the database may be away now: the next look retries
                _log.exception("fleet watch: the register was not read")
