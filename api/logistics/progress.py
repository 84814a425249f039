"""A delivery moves on as its vehicle reports (:mod:`logistics.telemetry`), and is
escalated when its recipient does not confirm in time.

Every change goes through :func:`api.logistics.store.change`; a report that changes nothing
(a repeated item, a text about something else) stores nothing. A report that skips a state
(the release reached with the arrival missed, after a lost packet) passes through the
skipped one at the same time, so the history stays whole.
"""

from dataclasses import replace
from datetime import datetime
from functools import partial

from api.errors import Conflict
from api.logistics import store
from api.logistics.records import StoredDelivery, TripRecord
from api.logistics.service import DeliveryService
from core.geo import GeoPoint
from logistics.lifecycle import ALLOWED, DeliveryState, record_landing, step
from logistics.telemetry import DeliveryMarks, Signal, SignalKind, next_state

__all__ = ["escalate_overdue", "on_signal", "start_loading"]

S = DeliveryState


def start_loading(
    service: DeliveryService, delivery_id: str, *, by: str, trip: TripRecord | None = None
) -> StoredDelivery:
    """The parcel goes into the vehicle's box: scheduled → loading.

    Raises
    ------
    Conflict
        ``trip`` is given and the delivery is no longer booked on it (dispatched again, or
        cancelled, since the vehicle took it up).
    """
    now = service.clock.now()

    def load(d: StoredDelivery) -> StoredDelivery:
        if trip is not None and (d.state is not S.SCHEDULED or d.trip != trip):
            raise Conflict(f"delivery {d.id} is no longer booked on that trip ({d.state.value})")
        return replace(d, lifecycle=step(d.lifecycle, S.LOADING, at=now, by=by))

    return store.change(service.engine, delivery_id, load)


def on_signal(
    service: DeliveryService,
    delivery_id: str,
    signal: Signal,
    *,
    marks: DeliveryMarks,
    vehicle_id: str,
    position: GeoPoint | None = None,
    note: str = "",
) -> StoredDelivery:
    """Move a delivery on by one report from its vehicle.

    ``position`` is where the vehicle is (kept as the release position when the report
    releases the parcel); ``note`` says why, when more is known than the report says. A
    delivery that ends undelivered is refunded.
    """
    now = service.clock.now()
    by = f"vehicle:{vehicle_id}"

    def moved(d: StoredDelivery) -> StoredDelivery:
        if signal.kind is SignalKind.LANDED and d.state in (S.RELEASED, S.CONFIRMED):
            where = "" if signal.at_depot else "landed away from the depot"
            return replace(d, lifecycle=record_landing(d.lifecycle, at=now, by=by, note=where))
        target = next_state(d.state, signal, marks)
        if target is None:
            return d
        lifecycle = d.lifecycle
        if target not in ALLOWED[lifecycle.state] and S.ARRIVED in ALLOWED[lifecycle.state]:
            lifecycle = step(lifecycle, S.ARRIVED, at=now, by=by, note="arrival not reported")
        said = _note(signal) + (f"; {note}" if note else "")
        lifecycle = step(lifecycle, target, at=now, by=by, note=said)
        if target is S.RELEASED:
            return replace(d, lifecycle=lifecycle, released_at=now, release_at=position,
                           confirm_by=now + service.confirm_within)  # fmt: skip
        return replace(d, lifecycle=lifecycle)

    return service.settle_if_over(store.change(service.engine, delivery_id, moved))


def _note(signal: Signal) -> str:
    if signal.kind is SignalKind.ITEM_REACHED:
        return f"mission item {signal.seq} reached"
    if signal.kind is SignalKind.STATUS_TEXT:
        return f"autopilot: {signal.text}"
    if signal.kind is SignalKind.LANDED:
        return "landed at the depot" if signal.at_depot else "landed away from the depot"
    return signal.kind.value.replace("_", " ")


def escalate_overdue(service: DeliveryService) -> list[StoredDelivery]:
    """Released deliveries past their confirmation time, escalated once each (the
    pharmacy is told by the caller); returns those escalated now."""
    now = service.clock.now()
    released, _ = store.list_deliveries(service.engine, states=[S.RELEASED], limit=10_000)
    done = []
    for d in released:
        if d.escalated_at is None and d.confirm_by is not None and d.confirm_by < now:
            done.append(store.change(service.engine, d.id, partial(_escalate, now)))
    return done


def _escalate(now: datetime, d: StoredDelivery) -> StoredDelivery:
    return d if d.escalated_at is not None else replace(d, escalated_at=now)
