"""Flying scheduled deliveries: each vehicle takes its trips in take-off order, and every
delivery moves on with what its vehicle reports.

One thread per vehicle (:meth:`DeliveryRunner.fly_vehicle`). At the trip's loading time
the parcel goes in (scheduled → loading), at its take-off time the planner's mission goes
up and is read back, the pre-flight checks run and the vehicle flies it, exactly as
``tanbo fly`` flies any plan (:class:`fleet.flight.Flight`). The link's events become
:class:`logistics.Signal` values — armed (took off), mission item reached, the
autopilot's words, disarmed (landed, at the depot or not) — and
:func:`api.logistics.progress.on_signal` moves the delivery on. A watcher tells the
recipient once the vehicle is within :data:`NEAR_M` of the drop point. Every flight that
takes off gets its 飛行日誌 entry in the database (and the CSV when one is given).
"""

import hashlib
import json
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path

from api import fleet_store
from api.errors import Conflict
from api.flying import FlightFile, flight_log
from api.logistics import store
from api.logistics.flights import DeliveryFlight, delivery_flight
from api.logistics.progress import on_signal, start_loading
from api.logistics.records import StoredDelivery
from api.logistics.service import DeliveryService
from core.errors import TanboError
from core.geo import GeoPoint
from fleet.events import EventKind, VehicleEvent
from fleet.flight import Flight, FlightOptions, PlanInfo
from fleet.flightlog import append_csv
from fleet.link import Link
from logistics.lifecycle import DeliveryState, step
from logistics.telemetry import Signal, SignalKind
from mission_planner.delivery import loaded_endurance_min
from mission_planner.export.qgc_plan import to_qgc_plan

__all__ = ["AT_DEPOT_M", "NEAR_M", "DeliveryRunner", "VehicleLink"]

_log = logging.getLogger("tanbo.logistics.runner")
S = DeliveryState
NEAR_M = 500.0
"""The recipient is told the drone is near when it comes this close to the drop point, m."""
AT_DEPOT_M = 30.0
"""A landing this close to the depot is a landing at the depot, m."""
_TOLD = {S.IN_FLIGHT: "departed", S.RELEASED: "released", S.RETURNED_TO_PHARMACY: "returned",
         S.FAILED: "failed"}  # fmt: skip


@dataclass(frozen=True, kw_only=True, slots=True)
class VehicleLink:
    """A stationed vehicle's link and MAVLink system id."""

    registration: str
    link: Link
    system_id: int


@dataclass(kw_only=True)
class DeliveryRunner:
    """Flies the scheduled deliveries of some vehicles."""

    service: DeliveryService
    links: Mapping[str, VehicleLink]
    pilot: str
    csv_path: Path | None = None
    on_change: Callable[[StoredDelivery], None] = lambda delivery: None
    """Told of each delivery after each change the runner makes (a display)."""
    poll_s: float = 0.05
    flight_timeout_s: float = 1800.0
    _flying: dict[str, Flight] = field(default_factory=dict, repr=False)
    """Delivery id → the flight carrying it now."""
    _carrying: dict[str, str] = field(default_factory=dict, repr=False)
    """Vehicle → the delivery it is flying now."""
    _recalled: set[str] = field(default_factory=set, repr=False)

    def recall(self, delivery_id: str) -> bool:
        """Bring a delivery's drone home with the parcel (nobody to receive it, the spot
        blocked): RTL, as an operator would order it; whether it was in the air."""
        flight = self._flying.get(delivery_id)
        if flight is None:
            return False
        self._recalled.add(delivery_id)
        flight.abort()
        return True

    def carrying(self) -> dict[str, str]:
        """The delivery each vehicle is flying now (linked, loaded or in the air)."""
        return dict(self._carrying)

    def return_all(self, why: str) -> None:
        """Bring every vehicle in the air home with its parcel (the service stops): RTL;
        each delivery goes back to accepted, to be flown again."""
        for delivery_id, flight in list(self._flying.items()):
            _log.warning("delivery %s: returning to launch: %s", delivery_id, why)
            flight.abort()

    def stop_watching(self) -> None:
        """End the watching of every flight now (the vehicles carry on with what they do)."""
        for flight in list(self._flying.values()):
            flight.note("Tanbo shut down; the vehicle was returning to launch")
            flight.stop_watching()

    def fly_vehicle(self, registration: str, stop: threading.Event) -> None:
        """Fly this vehicle's scheduled trips, in take-off order, until none is left."""
        while not stop.is_set():
            first = self._next_trip(registration)
            if first is None:
                return
            self.fly_delivery(first, stop)

    def _next_trip(self, registration: str) -> StoredDelivery | None:
        """The vehicle's scheduled delivery that takes off first, if any."""
        waiting, _ = store.list_deliveries(self.service.engine, states=[S.SCHEDULED],
                                           limit=10_000)  # fmt: skip
        mine = [d for d in waiting if d.trip is not None and d.trip.vehicle_id == registration]
        return min(mine, key=lambda d: d.trip.takeoff_at if d.trip else datetime.max,
                   default=None)  # fmt: skip

    def fly_delivery(self, delivery: StoredDelivery, stop: threading.Event) -> StoredDelivery:
        """Load, fly and follow one scheduled delivery; the delivery as it ended."""
        assert delivery.trip is not None
        trip = delivery.trip
        loading = timedelta(seconds=self.service.rules.loading_s)
        if not self._wait_for_loading(delivery, trip.takeoff_at - loading, stop):
            return store.get_delivery(self.service.engine, delivery.id)
        try:
            loaded = start_loading(self.service, delivery.id, by=f"depot:{trip.depot_id}",
                                   trip=trip)  # fmt: skip
        except Conflict:  # dispatched again or cancelled meanwhile: the caller looks again
            return store.get_delivery(self.service.engine, delivery.id)
        self._changed(loaded)
        if not self._wait_until(trip.takeoff_at, stop):
            return self._unload(loaded.id, "the flights were stopped before take-off")
        delivery = store.get_delivery(self.service.engine, delivery.id)
        if delivery.state is not S.LOADING:  # cancelled while it was being loaded
            return delivery
        spec = delivery_flight(self.service, delivery)
        vehicle = self.links[trip.vehicle_id]
        flight = self._flight(spec, vehicle, delivery)
        watching = threading.Event()
        watcher = threading.Thread(target=self._watch, args=(spec, flight, watching),
                                   daemon=True)  # fmt: skip
        watcher.start()
        self._flying[delivery.id] = flight
        self._carrying[trip.vehicle_id] = delivery.id
        try:
            flight.prepare()
            if store.get_delivery(self.service.engine, delivery.id).state is not S.LOADING:
                raise TanboError("cancelled while the mission was being uploaded: not flown")
            flight.fly(timeout_s=self.flight_timeout_s, stop=stop)
        except TanboError as exc:
            _log.warning("delivery %s: %s", delivery.id, exc)
        finally:
            self._flying.pop(delivery.id, None)
            self._carrying.pop(trip.vehicle_id, None)
            watching.set()
            watcher.join()
        self._save_log(spec, flight, delivery)
        ended = store.get_delivery(self.service.engine, delivery.id)
        if flight.record.takeoff_at is None and ended.state is S.LOADING:
            # Refused on the ground: back to dispatch, the parcel unloaded.
            ended = self._back_to_dispatch(ended, flight)
        elif ended.state in (S.IN_FLIGHT, S.ARRIVED):
            ended = self._came_back(ended, spec, flight)
        elif ended.state in (S.RELEASED, S.CONFIRMED) and flight.record.landing_at is not None:
            ended = self._landed(ended, spec, flight)
        # The flight took what it took: the rest is planned again from where things stand
        # (unless the service is stopping: the next start plans it).
        if not stop.is_set():
            self.service.dispatch()
        return ended

    def _flight(self, spec: DeliveryFlight, vehicle: VehicleLink, d: StoredDelivery) -> Flight:
        stationed = {v.id: v for v in self.service.vehicles()}[spec.vehicle_id]
        endurance_min = loaded_endurance_min(
            stationed.endurance_min, stationed.empty_kg, d.request.weight_kg
        )
        options = FlightOptions(
            endurance_s=endurance_min * 60.0, speed_m_s=stationed.speed_m_s,
            reserve_pct=self.service.rules.reserve_fraction * 100.0,
            registration=spec.vehicle_id,
        )  # fmt: skip
        info = PlanInfo(kind="delivery", permissions=spec.plan.permissions,
                        source=f"delivery {d.id}")  # fmt: skip

        def on_event(event: VehicleEvent) -> None:
            self._on_event(spec, event, flight)

        flight = Flight(vehicle.link, vehicle.system_id, spec.mission, info, options,
                        on_event=on_event)  # fmt: skip
        return flight

    def _on_event(self, spec: DeliveryFlight, event: VehicleEvent, flight: Flight) -> None:
        signal = _signal(event)
        if signal is None:
            return
        try:
            before = store.get_delivery(self.service.engine, spec.delivery_id)
            after = on_signal(self.service, spec.delivery_id, signal, marks=spec.marks,
                              vehicle_id=spec.vehicle_id, position=flight.position())  # fmt: skip
        except TanboError:  # a report the delivery cannot take is logged, never fatal
            _log.exception("delivery %s: %s not applied", spec.delivery_id, signal)
            return
        if after.state is not before.state:
            kind = _TOLD.get(after.state)
            if kind is not None:
                self._tell(after, kind)
        self._changed(after)

    def _watch(self, spec: DeliveryFlight, flight: Flight, done: threading.Event) -> None:
        """While it flies: tell the recipient once the drone is near; turn it round once a
        recall is recorded (by any process; read about every second)."""
        told_near, polls = False, 0
        look_every = max(1, round(1.0 / (self.poll_s * 4)))
        while not done.wait(self.poll_s * 4):
            here = flight.position()
            airborne = here is not None and flight.record.takeoff_at is not None
            if (
                not told_near
                and airborne
                and here is not None
                and here.distance_m(spec.drop) <= NEAR_M
            ):
                told_near = True
                try:
                    self._tell(store.get_delivery(self.service.engine, spec.delivery_id), "near")
                except TanboError:  # the database may be away: the watch (and recalls) go on
                    _log.exception("delivery %s: 'near' not told", spec.delivery_id)
            polls += 1
            if polls % look_every or spec.delivery_id in self._recalled:
                continue
            try:
                now = store.get_delivery(self.service.engine, spec.delivery_id)
            except TanboError:  # the database may be away: the next look retries
                _log.exception("delivery %s: not read", spec.delivery_id)
                continue
            if now.recall_note:
                _log.warning("delivery %s: %s", spec.delivery_id, now.recall_note)
                flight.note(now.recall_note)
                self.recall(spec.delivery_id)

    def _tell(self, delivery: StoredDelivery, kind: str) -> None:
        self.service.tell(delivery, kind)

    def _came_back(
        self, delivery: StoredDelivery, spec: DeliveryFlight, flight: Flight
    ) -> StoredDelivery:
        """The flight ended with the parcel aboard: the operator recalled it (back to the
        pharmacy), a fault brought it back to the depot (a failsafe, a lost link, Tanbo's own
        return on a low battery: to be flown again), or it came down elsewhere (failed)."""
        rec = flight.record
        at_depot = _at_depot(rec.landing_place, spec)
        why = "; ".join(a.text for a in rec.anomalies[-3:]) or rec.outcome.value
        signal = Signal(kind=SignalKind.LANDED, at_depot=at_depot)
        recalled = delivery.id in self._recalled or bool(delivery.recall_note)
        if rec.landing_at is None:
            back = self._not_seen_landing(delivery, spec, why, recalled=recalled)
        elif at_depot and not recalled:
            back = self.service.back_to_dispatch(
                delivery.id, from_states={S.IN_FLIGHT, S.ARRIVED}, by=f"vehicle:{spec.vehicle_id}",
                note=f"vehicle fault ({why}): the parcel is back at the depot, to be flown again",
            )  # fmt: skip
        else:
            back = on_signal(self.service, delivery.id, signal, marks=spec.marks,
                             vehicle_id=spec.vehicle_id, position=rec.landing_place,
                             note=delivery.recall_note or "")  # fmt: skip
            kind = _TOLD.get(back.state)
            if kind is not None:
                self._tell(back, kind)
        self._changed(back)
        return back

    def _landed(
        self, delivery: StoredDelivery, spec: DeliveryFlight, flight: Flight
    ) -> StoredDelivery:
        """The parcel delivered, the drone has landed: recorded once its flight log is kept,
        so a delivery whose vehicle returned always has its 飛行日誌."""
        rec = flight.record
        at_depot = _at_depot(rec.landing_place, spec)
        back = on_signal(self.service, delivery.id, Signal(kind=SignalKind.LANDED,
                         at_depot=at_depot), marks=spec.marks, vehicle_id=spec.vehicle_id,
                         position=rec.landing_place)  # fmt: skip
        self._changed(back)
        return back

    def _not_seen_landing(
        self, delivery: StoredDelivery, spec: DeliveryFlight, why: str, *, recalled: bool
    ) -> StoredDelivery:
        """Tanbo stopped watching before the drone landed (the service shut down while it
        flew home, or the watch timed out): never called failed on that alone. A recalled
        parcel goes back to the pharmacy; any other back to dispatch, to be flown again once
        the crew has seen it back at the depot."""
        now, by = self.service.clock.now(), f"vehicle:{spec.vehicle_id}"
        target = S.RETURNED_TO_PHARMACY if recalled else S.ACCEPTED
        note = f"Tanbo stopped watching before the drone landed ({why})"
        if delivery.recall_note:
            note += f"; {delivery.recall_note}"

        def settle(d: StoredDelivery) -> StoredDelivery:
            if d.state not in (S.IN_FLIGHT, S.ARRIVED):
                return d
            moved = step(d.lifecycle, target, at=now, by=by, note=note)
            return replace(d, lifecycle=moved, trip=None if target is S.ACCEPTED else d.trip)

        back = self.service.settle_if_over(store.change(self.service.engine, delivery.id, settle))
        kind = _TOLD.get(back.state)
        if kind is not None and back.state is not delivery.state:
            self._tell(back, kind)
        return back

    def _back_to_dispatch(self, delivery: StoredDelivery, flight: Flight) -> StoredDelivery:
        failed = [c for c in flight.record.checks if not c.ok]
        why = "; ".join(f"{c.name}: {c.detail}" for c in failed) or "not flown"
        back = self.service.back_to_dispatch(
            delivery.id, from_states={S.LOADING},
            by=f"vehicle:{delivery.trip.vehicle_id if delivery.trip else '?'}",
            note=f"refused on the ground: {why}",
        )  # fmt: skip
        self._changed(back)
        return back

    def _save_log(self, spec: DeliveryFlight, flight: Flight, d: StoredDelivery) -> None:
        if flight.record.takeoff_at is None:
            return
        exported = json.dumps(to_qgc_plan(spec.mission), sort_keys=True).encode()
        source = FlightFile(
            path=Path(f"delivery-{d.id}.plan"), mission=spec.mission,
            info=PlanInfo(kind="delivery", permissions=spec.plan.permissions),
            sha256=hashlib.sha256(exported).hexdigest(),
        )  # fmt: skip
        log = flight_log(flight.record, source, pilot=self.pilot, registration=spec.vehicle_id)
        try:
            fleet_store.save_flight_log(self.service.engine, log)
            if self.csv_path is not None:
                append_csv(log, self.csv_path)
        except (TanboError, OSError):
            _log.exception("delivery %s: flight log not saved", d.id)

    def _changed(self, delivery: StoredDelivery) -> None:
        try:
            self.on_change(delivery)
        except Exception:  # a display's failure must not stop a flight
            _log.exception("on_change failed")

    def _wait_for_loading(
        self, delivery: StoredDelivery, at: datetime, stop: threading.Event
    ) -> bool:
        """Wait for the loading time; False when stopped, or when dispatch meanwhile moved
        the delivery or put an earlier trip before it on this vehicle (looked at about
        every second)."""
        assert delivery.trip is not None
        vehicle, look_every = delivery.trip.vehicle_id, max(1, round(1.0 / self.poll_s))
        polls = 0
        while self.service.clock.now() < at:
            if stop.wait(self.poll_s):
                return False
            polls += 1
            if polls % look_every:
                continue
            first = self._next_trip(vehicle)
            if first is None or first.id != delivery.id or first.trip != delivery.trip:
                return False
        return True

    def _unload(self, delivery_id: str, why: str) -> StoredDelivery:
        """Take a loaded parcel out again (nothing took off): back to accepted."""
        back = self.service.back_to_dispatch(delivery_id, from_states={S.LOADING},
                                             by="dispatcher", note=why)  # fmt: skip
        self._changed(back)
        return back

    def _wait_until(self, at: datetime, stop: threading.Event) -> bool:
        while self.service.clock.now() < at:
            if stop.wait(self.poll_s):
                return False
        return True


def _at_depot(landed: GeoPoint | None, spec: DeliveryFlight) -> bool:
    return landed is not None and landed.distance_m(spec.mission.home) <= AT_DEPOT_M


def _signal(event: VehicleEvent) -> Signal | None:
    """The delivery's reading of a vehicle event while it flies; its landing is read from
    the flight's record once the flight is over (see ``_landed`` and ``_came_back``)."""
    if event.kind is EventKind.ARMED:
        return Signal(kind=SignalKind.TOOK_OFF)
    if event.kind is EventKind.ITEM_REACHED and event.value is not None:
        return Signal(kind=SignalKind.ITEM_REACHED, seq=int(event.value))
    if event.kind is EventKind.STATUS_TEXT:
        return Signal(kind=SignalKind.STATUS_TEXT, text=event.detail)
    return None
