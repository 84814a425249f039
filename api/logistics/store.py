"""Storing depots, drop points, delivery vehicles and deliveries.

A delivery changes through :func:`change` only: it reads the delivery, lets a pure
function give the new one, and writes the new state, fields and events in one
transaction guarded by the row's ``version`` — a concurrent change in between makes it
fail with :class:`~api.errors.Conflict` rather than overwrite, and the events of a failed
change are not written.
"""

import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Engine, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from api.db import storage_errors
from api.errors import Conflict, NotFound
from api.logistics.records import (
    StoredDelivery,
    StoredDropPoint,
    delivery_of,
    drop_point_of,
    items_json,
    trip_json,
)
from api.logistics.tables import (
    DeliveryEventRow,
    DeliveryRow,
    DeliveryVehicleRow,
    DepotRow,
    DropPointRow,
)
from core.geo import GeoPoint
from logistics.drop_points import DropPointCheck
from logistics.lifecycle import Delivery, DeliveryState, Event
from logistics.model import DeliveryRequest, DeliveryVehicle, Depot, DropPoint
from mission_planner import PayloadRelease

__all__ = [
    "add_delivery_vehicle",
    "add_depot",
    "add_drop_point",
    "change",
    "create_delivery",
    "delivery_by_key",
    "get_delivery",
    "get_drop_point",
    "list_deliveries",
    "list_delivery_vehicles",
    "list_depots",
    "list_drop_points",
    "request_fingerprint",
    "same_or_conflict",
]

_log = logging.getLogger("tanbo.logistics.store")
_CHANGE_ATTEMPTS = 5
"""How often :func:`change` applies a change again when others keep landing first."""


def add_depot(engine: Engine, depot: Depot, *, now: datetime) -> None:
    """Register a depot.

    Raises
    ------
    Conflict
        A depot with that id exists.
    """
    row = DepotRow(id=depot.id, name=depot.name, lat_deg=depot.location.lat_deg,
                   lon_deg=depot.location.lon_deg, battery_swap_s=depot.battery_swap_s,
                   created_at=now)  # fmt: skip
    _insert(engine, row, f"depot {depot.id} exists")


def list_depots(engine: Engine) -> list[Depot]:
    """Every depot, by id."""
    with storage_errors(), Session(engine) as session:
        rows = session.exec(select(DepotRow).order_by(col(DepotRow.id))).all()
    return [
        Depot(id=r.id, name=r.name, location=GeoPoint(lat_deg=r.lat_deg, lon_deg=r.lon_deg),
              battery_swap_s=r.battery_swap_s)
        for r in rows
    ]  # fmt: skip


def add_drop_point(
    engine: Engine,
    drop: DropPoint,
    check: DropPointCheck,
    *,
    resident_id: str | None,
    now: datetime,
) -> StoredDropPoint:
    """Register a drop point that passed its check.

    Raises
    ------
    Conflict
        A drop point with that id exists.
    """
    row = DropPointRow(
        id=drop.id, name=drop.name, lat_deg=drop.location.lat_deg,
        lon_deg=drop.location.lon_deg, kind=drop.kind.value,
        releases=[r.value for r in drop.releases], clear_radius_m=drop.clear_radius_m,
        approach_from_deg=drop.approach_from_deg, resident_id=resident_id,
        reach=[
            {"depot_id": r.depot_id, "vehicle_id": r.vehicle_id, "route_m": round(r.route_m, 1),
             "max_payload_kg": r.max_payload_kg}
            for r in check.reach
        ],
        permissions=list(check.permissions), created_at=now,
    )  # fmt: skip
    _insert(engine, row, f"drop point {drop.id} exists")
    return get_drop_point(engine, drop.id)


def get_drop_point(engine: Engine, drop_point_id: str) -> StoredDropPoint:
    """One drop point.

    Raises
    ------
    NotFound
        No such drop point.
    """
    with storage_errors(), Session(engine) as session:
        row = session.get(DropPointRow, drop_point_id)
    if row is None:
        raise NotFound(f"no drop point {drop_point_id}")
    return drop_point_of(row)


def list_drop_points(engine: Engine) -> list[StoredDropPoint]:
    """Every drop point, by id."""
    with storage_errors(), Session(engine) as session:
        rows = session.exec(select(DropPointRow).order_by(col(DropPointRow.id))).all()
    return [drop_point_of(r) for r in rows]


def add_delivery_vehicle(engine: Engine, vehicle: DeliveryVehicle, *, now: datetime) -> None:
    """Station a registered vehicle (``vehicle.id`` is its registration) at a depot.

    Raises
    ------
    Conflict
        It is stationed already, or the registration or the depot is unknown.
    """
    length, width, height = vehicle.box_cm
    row = DeliveryVehicleRow(
        registration=vehicle.id, depot_id=vehicle.depot_id, box_l_cm=length, box_w_cm=width,
        box_h_cm=height, empty_kg=vehicle.empty_kg, endurance_min=vehicle.endurance_min,
        speed_m_s=vehicle.speed_m_s, cruise_altitude_m=vehicle.cruise_altitude_m,
        insulated=vehicle.insulated, charge_min=vehicle.charge_min,
        releases=[r.value for r in vehicle.releases], created_at=now,
    )  # fmt: skip
    _insert(engine, row, f"vehicle {vehicle.id} is stationed already, or unknown (or its depot)")


def list_delivery_vehicles(
    engine: Engine, *, payloads_kg: dict[str, float] | None = None
) -> list[DeliveryVehicle]:
    """Every stationed vehicle, by registration; its payload is the register's
    ``max_payload_kg`` (given as ``payloads_kg``, registration → kg)."""
    with storage_errors(), Session(engine) as session:
        rows = session.exec(
            select(DeliveryVehicleRow).order_by(col(DeliveryVehicleRow.registration))
        ).all()
    payloads = payloads_kg or {}
    return [
        DeliveryVehicle(
            id=r.registration, depot_id=r.depot_id,
            payload_kg=payloads.get(r.registration, 0.0) or 1e-9,
            box_cm=(r.box_l_cm, r.box_w_cm, r.box_h_cm), empty_kg=r.empty_kg,
            endurance_min=r.endurance_min, speed_m_s=r.speed_m_s,
            cruise_altitude_m=r.cruise_altitude_m,
            releases=tuple(PayloadRelease(x) for x in r.releases), insulated=r.insulated,
            charge_min=r.charge_min,
        )
        for r in rows
    ]  # fmt: skip


def request_fingerprint(request: DeliveryRequest) -> str:
    """What a retried creation must repeat exactly to be the same request."""
    body = {
        "items": items_json(request.items), "drop_point_id": request.drop_point_id,
        "recipient": _recipient(request), "payer": request.payer.value,
        "window": None if request.window is None else [
            request.window.earliest.isoformat(), request.window.latest.isoformat()],
    }  # fmt: skip
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _recipient(request: DeliveryRequest) -> dict[str, str | None]:
    r = request.recipient
    return {"resident_id": r.resident_id, "name": r.name, "phone": r.phone}


def create_delivery(
    engine: Engine, request: DeliveryRequest, lifecycle: Delivery, *, idempotency_key: str | None
) -> tuple[StoredDelivery, bool]:
    """Store a new delivery, or find the one the same pharmacy made with the same key.

    Returns
    -------
    delivery, created
        ``created`` False when the key was used before for the same request.

    Raises
    ------
    Conflict
        The key was used before for a different request.
    """
    if idempotency_key is not None:
        found = delivery_by_key(engine, request.pharmacy_id, idempotency_key)
        if found is not None:
            return same_or_conflict(found, request, idempotency_key), False
    window = request.window
    row = DeliveryRow(
        id=request.id, pharmacy_id=request.pharmacy_id, idempotency_key=idempotency_key,
        drop_point_id=request.drop_point_id, items=items_json(request.items),
        recipient=_recipient(request), resident_id=request.recipient.resident_id,
        window_start=None if window is None else window.earliest,
        window_end=None if window is None else window.latest, payer=request.payer.value,
        temperature=request.temperature.value, weight_kg=request.weight_kg,
        state=lifecycle.state.value, version=1, created_at=request.requested_at,
        updated_at=lifecycle.events[-1].at,
    )  # fmt: skip
    events = [_event_row(request.id, e) for e in lifecycle.events]
    raced: IntegrityError | None = None
    with storage_errors(), Session(engine) as session:
        session.add(row)
        try:
            session.flush()
            session.add_all(events)
            session.commit()
        except IntegrityError as exc:  # inside storage_errors, which would make it a 503
            session.rollback()
            raced = exc
    if raced is not None:
        if idempotency_key is not None:  # a concurrent retry won the race
            found = delivery_by_key(engine, request.pharmacy_id, idempotency_key)
            if found is not None:
                return same_or_conflict(found, request, idempotency_key), False
        raise Conflict(f"delivery {request.id} exists") from raced
    return get_delivery(engine, request.id), True


def same_or_conflict(found: StoredDelivery, request: DeliveryRequest, key: str) -> StoredDelivery:
    if request_fingerprint(found.request) != request_fingerprint(request):
        raise Conflict(
            f"Idempotency-Key {key!r} was used for delivery {found.id}, a different request"
        )
    return found


def delivery_by_key(engine: Engine, pharmacy_id: str, key: str) -> StoredDelivery | None:
    """The delivery a pharmacy made with an idempotency key, if any."""
    with storage_errors(), Session(engine) as session:
        row = session.exec(
            select(DeliveryRow).where(
                DeliveryRow.pharmacy_id == pharmacy_id, DeliveryRow.idempotency_key == key
            )
        ).first()
    return None if row is None else get_delivery(engine, row.id)


def get_delivery(engine: Engine, delivery_id: str) -> StoredDelivery:
    """One delivery with its whole history.

    Raises
    ------
    NotFound
        No such delivery.
    """
    with storage_errors(), Session(engine) as session:
        row = session.get(DeliveryRow, delivery_id)
        if row is None:
            raise NotFound(f"no delivery {delivery_id}")
        events = session.exec(
            select(DeliveryEventRow)
            .where(DeliveryEventRow.delivery_id == delivery_id)
            .order_by(col(DeliveryEventRow.id))
        ).all()
        return delivery_of(row, list(events))


def list_deliveries(
    engine: Engine,
    *,
    pharmacy_id: str | None = None,
    resident_id: str | None = None,
    states: Sequence[DeliveryState] | None = None,
    landed_since: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[StoredDelivery], int]:
    """Deliveries, newest first, with how many match; ``pharmacy_id`` and ``resident_id``
    together mean either (what one account made or receives); ``landed_since``: only those
    whose vehicle landed then or later."""
    query = select(DeliveryRow)
    if pharmacy_id is not None and resident_id is not None:
        query = query.where(
            (DeliveryRow.pharmacy_id == pharmacy_id) | (DeliveryRow.resident_id == resident_id)
        )
    elif pharmacy_id is not None:
        query = query.where(DeliveryRow.pharmacy_id == pharmacy_id)
    elif resident_id is not None:
        query = query.where(DeliveryRow.resident_id == resident_id)
    if states is not None:
        query = query.where(col(DeliveryRow.state).in_([s.value for s in states]))
    if landed_since is not None:
        query = query.where(col(DeliveryRow.landed_at) >= landed_since.astimezone(UTC))
    with storage_errors(), Session(engine) as session:
        total = session.exec(select(func.count()).select_from(query.subquery())).one()
        page = session.exec(
            query.order_by(col(DeliveryRow.created_at).desc(), col(DeliveryRow.id))
            .offset(offset)
            .limit(limit)
        ).all()
        # The page's events in one query, not one per delivery.
        events: dict[str, list[DeliveryEventRow]] = {r.id: [] for r in page}
        for event in session.exec(
            select(DeliveryEventRow)
            .where(col(DeliveryEventRow.delivery_id).in_(list(events)))
            .order_by(col(DeliveryEventRow.id))
        ):
            events[event.delivery_id].append(event)
        return [delivery_of(r, events[r.id]) for r in page], total


def change(
    engine: Engine, delivery_id: str, how: Callable[[StoredDelivery], StoredDelivery]
) -> StoredDelivery:
    """Apply ``how`` to the stored delivery and store the result, or nothing.

    Optimistic: when another change lands between the read and the write, ``how`` is
    applied again to the delivery as it now is (it must decide from what it is given).

    Raises
    ------
    NotFound
        No such delivery.
    Conflict
        It kept changing under us (:data:`_CHANGE_ATTEMPTS` times).
    logistics.LogisticsError
        Whatever ``how`` raises (an illegal step …): nothing is stored.
    """
    for attempt in range(1, _CHANGE_ATTEMPTS + 1):
        before = get_delivery(engine, delivery_id)
        after = how(before)
        if after == before:
            return before
        if _store_change(engine, before, after):
            return get_delivery(engine, delivery_id)
        _log.info("delivery %s changed meanwhile (attempt %d)", delivery_id, attempt)
    raise Conflict(f"delivery {delivery_id} changed meanwhile; try again")


def _store_change(engine: Engine, before: StoredDelivery, after: StoredDelivery) -> bool:
    """Store ``after`` if the delivery is still at ``before``'s version; whether it was."""
    delivery_id = before.id
    new_events = after.lifecycle.events[len(before.lifecycle.events) :]
    if after.lifecycle.events[: len(before.lifecycle.events)] != before.lifecycle.events:
        raise ValueError("a change may only add events to a delivery's history")
    release = after.release_at
    values = {
        "state": after.state.value, "version": before.version + 1,
        "trip": trip_json(after.trip), "code_hash": after.code_hash,
        "confirm_by": after.confirm_by, "escalated_at": after.escalated_at,
        "released_at": after.released_at,
        "release_lat_deg": None if release is None else release.lat_deg,
        "release_lon_deg": None if release is None else release.lon_deg,
        "landed_at": after.lifecycle.landed_at, "fee_yen": after.fee_yen,
        "charge_key": after.charge_key, "charge_status": after.charge_status,
        "code_attempts": after.code_attempts, "recall_note": after.recall_note,
        "updated_at": (new_events[-1].at if new_events else before.lifecycle.events[-1].at),
    }  # fmt: skip
    with storage_errors(), Session(engine) as session:
        done = session.execute(
            update(DeliveryRow)
            .where(col(DeliveryRow.id) == delivery_id, col(DeliveryRow.version) == before.version)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if cast("CursorResult[Any]", done).rowcount != 1:
            session.rollback()
            return False
        session.add_all(_event_row(delivery_id, e) for e in new_events)
        session.commit()
    return True


def _event_row(delivery_id: str, event: Event) -> DeliveryEventRow:
    return DeliveryEventRow(
        delivery_id=delivery_id, at=event.at,
        from_state=None if event.from_state is None else event.from_state.value,
        to_state=event.to_state.value, by=event.by[:200], note=event.note[:1000],
    )  # fmt: skip


def _insert(engine: Engine, row: object, taken: str) -> None:
    # IntegrityError is a DBAPIError: caught inside storage_errors, or it becomes a 503.
    with storage_errors(), Session(engine) as session:
        session.add(row)
        try:
            session.commit()
        except IntegrityError as exc:
            raise Conflict(taken) from exc
