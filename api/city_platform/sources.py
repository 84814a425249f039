"""What the city data platform is given, read from the database in one go: fields, paddies
with their devices and newest readings, registered drones, depots, drop points,
deliveries, and who consented.

Read through the stores that own the tables where they answer the question; the two
questions no store asks yet (the newest reading of each device and metric, which
vehicles are stationed where) are read here, read-only.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, and_, func
from sqlmodel import Session, col, select

from api import fleet_store
from api.accounts import city_data_consents
from api.db import aware, storage_errors
from api.irrigation.paddies import StoredPaddy, list_devices, list_paddies
from api.irrigation.tables import ReadingRow
from api.logistics import store as delivery_store
from api.logistics.records import StoredDelivery, StoredDropPoint
from api.logistics.tables import DeliveryVehicleRow
from api.models import FieldRow, field_record
from fields import FieldRecord
from fleet.registry import VehicleRecord
from irrigation import Device, Metric, Reading
from logistics.model import Depot

__all__ = ["CityData", "StoredField", "newest_readings", "read_city_data"]


@dataclass(frozen=True, kw_only=True, slots=True)
class StoredField:
    """A field and when it was registered and last changed."""

    record: FieldRecord
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, kw_only=True, slots=True)
class CityData:
    """Everything one publish looks at."""

    fields: tuple[StoredField, ...]
    paddies: tuple[StoredPaddy, ...]
    water_devices: tuple[Device, ...]
    newest_readings: tuple[Reading, ...]
    """The newest reading of each (device, metric)."""
    vehicles: tuple[VehicleRecord, ...]
    """Registered vehicles not retired."""
    stationed_at: dict[str, str]
    """Delivery vehicles: registration → depot id."""
    depots: dict[str, Depot]
    drop_points: dict[str, StoredDropPoint]
    deliveries: tuple[StoredDelivery, ...]
    consents: dict[str, datetime | None]
    """Every account id → when it consented to city data publishing (None: not)."""


def _fields(engine: Engine) -> tuple[StoredField, ...]:
    with storage_errors(), Session(engine) as session:
        rows = session.exec(select(FieldRow).order_by(col(FieldRow.id))).all()
        return tuple(
            StoredField(
                record=field_record(r), created_at=aware(r.created_at),
                updated_at=aware(r.updated_at),
            )
            for r in rows
        )  # fmt: skip


def newest_readings(engine: Engine) -> tuple[Reading, ...]:
    """The newest reading (by device time) of each device and metric, calibrated."""
    newest = (
        select(
            col(ReadingRow.device_id).label("device_id"),
            col(ReadingRow.metric).label("metric"),
            func.max(ReadingRow.device_time).label("device_time"),
        )
        .group_by(col(ReadingRow.device_id), col(ReadingRow.metric))
        .subquery()
    )
    query = (
        select(ReadingRow)
        .join(
            newest,
            and_(
                col(ReadingRow.device_id) == newest.c.device_id,
                col(ReadingRow.metric) == newest.c.metric,
                col(ReadingRow.device_time) == newest.c.device_time,
            ),
        )
        .order_by(col(ReadingRow.device_id), col(ReadingRow.metric))
    )
    with storage_errors(), Session(engine) as session:
        return tuple(
            Reading(
                device_id=r.device_id, metric=Metric(r.metric), value=r.value,
                device_time=aware(r.device_time), received_at=aware(r.received_at),
                paddy_id=r.paddy_id,
            )
            for r in session.exec(query)
        )  # fmt: skip


def _stationed(engine: Engine) -> dict[str, str]:
    with storage_errors(), Session(engine) as session:
        rows = session.exec(select(DeliveryVehicleRow)).all()
        return {r.registration: r.depot_id for r in rows}


def read_city_data(engine: Engine) -> CityData:
    """Read what one publish needs.

    Raises
    ------
    api.errors.StorageError
        The database could not be read.
    """
    deliveries, _ = delivery_store.list_deliveries(engine, limit=10_000_000)
    return CityData(
        fields=_fields(engine),
        paddies=tuple(list_paddies(engine)),
        water_devices=tuple(list_devices(engine)),
        newest_readings=newest_readings(engine),
        vehicles=tuple(fleet_store.list_vehicles(engine)),
        stationed_at=_stationed(engine),
        depots={d.id: d for d in delivery_store.list_depots(engine)},
        drop_points={p.drop.id: p for p in delivery_store.list_drop_points(engine)},
        deliveries=tuple(sorted(deliveries, key=lambda d: d.id)),
        consents=city_data_consents(engine),
    )
