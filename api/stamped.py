"""Records with their timestamps, pages of them, and updates that check the version.

The API's ETag of a resource is drawn from its ``updated_at``, which every write makes
strictly later than before; an update given the version it read changes the row only
if it is still that version (compare-and-set in one UPDATE), so two clients editing
the same field at once cannot overwrite each other unseen.
"""

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import Engine, delete, func, update
from sqlmodel import Session, col, select

from api.db import aware
from api.errors import NotFound, PreconditionFailed
from api.fleet_store import get_vehicle, update_vehicle
from api.models import FieldRow, VehicleRow, field_record
from core.clock import Clock, SystemClock
from fields import FieldRecord
from fleet import VehicleRecord

__all__ = [
    "Stamped",
    "delete_field_checked",
    "etag",
    "get_field_stamped",
    "get_vehicle_stamped",
    "page_fields",
    "update_field_checked",
    "update_vehicle_checked",
]

T = TypeVar("T")
_TICK = timedelta(microseconds=1)


@dataclass(frozen=True, kw_only=True, slots=True)
class Stamped(Generic[T]):
    """A stored record with when it was created and last changed."""

    record: T
    created_at: datetime
    updated_at: datetime


def etag(kind: str, key: str, updated_at: datetime) -> str:
    """The strong ETag of a stored resource version.

    >>> from datetime import UTC
    >>> etag("field", "A1", datetime(2026, 5, 1, tzinfo=UTC))
    '"aa091e8ff2522d21a0889475"'
    """
    text = f"{kind}\x00{key}\x00{aware(updated_at).isoformat()}"
    return '"' + hashlib.sha256(text.encode()).hexdigest()[:24] + '"'


def _stamped_field(row: FieldRow) -> Stamped[FieldRecord]:
    return Stamped(
        record=field_record(row),
        created_at=aware(row.created_at),
        updated_at=aware(row.updated_at),
    )


def page_fields(
    engine: Engine,
    *,
    owner: str | None = None,
    crop: str | None = None,
    municipality_code: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Stamped[FieldRecord]], int]:
    """A page of fields by id, filtered, and how many match in all."""
    wanted = [
        condition
        for given, condition in (
            (owner, col(FieldRow.owner) == owner),
            (crop, col(FieldRow.crop) == crop),
            (municipality_code, col(FieldRow.municipality_code) == municipality_code),
        )
        if given is not None
    ]
    with Session(engine) as session:
        # Counted on the table itself: a count over ``SELECT *`` would read every boundary.
        total = session.exec(select(func.count()).select_from(FieldRow).where(*wanted)).one()
        # The page's ids first: ordering whole rows would sort every boundary with them.
        ids = list(
            session.exec(
                select(FieldRow.id)
                .where(*wanted)
                .order_by(col(FieldRow.id))
                .offset(offset)
                .limit(limit)
            )
        )
        rows = session.exec(
            select(FieldRow).where(col(FieldRow.id).in_(ids)).order_by(col(FieldRow.id))
        )
        return [_stamped_field(r) for r in rows], int(total)


def get_field_stamped(engine: Engine, field_id: str) -> Stamped[FieldRecord]:
    """One field with its timestamps.

    Raises
    ------
    NotFound
        No field has that id.
    """
    with Session(engine) as session:
        row = session.get(FieldRow, field_id)
        if row is None:
            raise NotFound(f"no field with id {field_id!r}")
        return _stamped_field(row)


def _next_stamp(previous: datetime, clock: Clock | None) -> datetime:
    now = (clock or SystemClock()).now()
    return max(now, aware(previous) + _TICK)


def update_field_checked(
    engine: Engine,
    field_id: str,
    changes: Mapping[str, str | date | None],
    *,
    expected_updated_at: datetime,
    clock: Clock | None = None,
) -> Stamped[FieldRecord]:
    """Change a field's name, crop, variety or transplanting date if it is unchanged.

    Raises
    ------
    NotFound
        No field has that id.
    PreconditionFailed
        The field changed since ``expected_updated_at``; nothing was changed.
    ValueError
        A name that cannot be changed.
    """
    allowed = {"name", "crop", "variety", "transplanted_on"}
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise ValueError(f"cannot change {', '.join(unknown)}")
    with Session(engine) as session:
        row = session.get(FieldRow, field_id)
        if row is None:
            raise NotFound(f"no field with id {field_id!r}")
        stored = row.updated_at
        if aware(stored) != aware(expected_updated_at):
            raise PreconditionFailed(f"field {field_id} changed since the version given")
        result = session.execute(
            update(FieldRow)
            .where(col(FieldRow.id) == field_id, col(FieldRow.updated_at) == stored)
            .values(**dict(changes), updated_at=_next_stamp(stored, clock))
        )
        if _rowcount(result) != 1:
            session.rollback()
            raise PreconditionFailed(f"field {field_id} changed since the version given")
        session.commit()
    return get_field_stamped(engine, field_id)


def delete_field_checked(engine: Engine, field_id: str, *, expected_updated_at: datetime) -> None:
    """Delete a field if it is still the version given (compare-and-set).

    Raises
    ------
    PreconditionFailed
        The field changed (or went) since ``expected_updated_at``; nothing was deleted.
    """
    with Session(engine) as session:
        row = session.get(FieldRow, field_id)
        if row is None or aware(row.updated_at) != aware(expected_updated_at):
            raise PreconditionFailed(f"field {field_id} changed since the version given")
        result = session.execute(
            delete(FieldRow).where(
                col(FieldRow.id) == field_id, col(FieldRow.updated_at) == row.updated_at
            )
        )
        if _rowcount(result) != 1:
            session.rollback()
            raise PreconditionFailed(f"field {field_id} changed since the version given")
        session.commit()


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0))


def get_vehicle_stamped(engine: Engine, registration: str) -> Stamped[VehicleRecord]:
    """One vehicle with its timestamps.

    Raises
    ------
    fleet.errors.UnknownVehicle
        No vehicle has that registration.
    """
    record = get_vehicle(engine, registration)
    with Session(engine) as session:
        row = session.get(VehicleRow, registration)
        assert row is not None
        return Stamped(
            record=record, created_at=aware(row.created_at), updated_at=aware(row.updated_at)
        )


def update_vehicle_checked(
    engine: Engine,
    registration: str,
    changes: Mapping[str, Any],
    *,
    expected_updated_at: datetime,
    clock: Clock | None = None,
) -> Stamped[VehicleRecord]:
    """Change some of a vehicle's fields if it is still the version given.

    Raises
    ------
    fleet.errors.UnknownVehicle
        No vehicle has that registration.
    PreconditionFailed
        The vehicle changed since ``expected_updated_at``; nothing was changed.
    fleet.registry.InvalidRecord
        The changed vehicle breaks a rule (named); nothing was changed.
    """
    current = get_vehicle_stamped(engine, registration)
    if current.updated_at != aware(expected_updated_at):
        raise PreconditionFailed(f"vehicle {registration} changed since the version given")
    update_vehicle(
        engine,
        registration,
        changes,
        clock=clock,
        expected_updated_at=current.updated_at,
        next_updated_at=_next_stamp(current.updated_at, clock),
    )
    return get_vehicle_stamped(engine, registration)
