"""Readings stored once each: by (device, metric, device time), with the arrival time, the
registry's paddy and calibration; read back in device-time order."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, bindparam, delete, func, update
from sqlmodel import Session, col, select

from api.db import as_utc, aware, insert_or_ignore, storage_errors
from api.irrigation.tables import DeviceRow, ReadingRow
from core.clock import Clock, SystemClock
from irrigation import Metric, Reading

__all__ = [
    "StoreResult",
    "count_readings",
    "delete_readings",
    "readings",
    "store_readings",
]


@dataclass(frozen=True, kw_only=True, slots=True)
class StoreResult:
    """What a batch of readings did: stored, already there, from unregistered devices."""

    stored: int
    duplicates: int
    unregistered: tuple[str, ...] = ()


def store_readings(
    engine: Engine,
    batch: Sequence[Reading],
    *,
    source: str,
    clock: Clock | None = None,
) -> StoreResult:
    """Store readings once each, in one transaction: a reading whose (device, metric,
    device time) is stored already — a QoS 1 redelivery, a retried webhook — is counted
    as a duplicate and left. The registry decides the paddy (else the topic's) and the
    calibration; battery readings and arrival times update the devices.
    """
    if not batch:
        return StoreResult(stored=0, duplicates=0)
    now = (clock or SystemClock()).now()
    ids = sorted({r.device_id for r in batch})
    with storage_errors(), engine.begin() as connection:
        known = {
            row.id: row
            for row in connection.execute(select(DeviceRow).where(col(DeviceRow.id).in_(ids)))
        }
        rows: list[dict[str, Any]] = []
        for reading in batch:
            device = known.get(reading.device_id)
            offset = (device.calibration or {}).get(reading.metric.value, 0.0) if device else 0.0
            rows.append(
                {
                    "device_id": reading.device_id,
                    "paddy_id": (device.paddy_id if device else None) or reading.paddy_id,
                    "metric": reading.metric.value,
                    "raw_value": reading.value,
                    "value": reading.value + offset,
                    "device_time": reading.device_time.astimezone(UTC),
                    "received_at": (reading.received_at or now).astimezone(UTC),
                    "source": source,
                }
            )
        # RETURNING names only the rows inserted: the duplicates are what is left over.
        inserted = connection.execute(
            insert_or_ignore(engine, ReadingRow).returning(col(ReadingRow.id)), rows
        ).all()
        stored = len(inserted)
        seen: dict[str, datetime] = {}
        battery: dict[str, Reading] = {}
        for reading in batch:
            if reading.device_id not in known:
                continue
            arrived = as_utc(reading.received_at or now)
            if arrived > seen.get(reading.device_id, arrived - timedelta(seconds=1)):
                seen[reading.device_id] = arrived
            if reading.metric is Metric.BATTERY:
                newest = battery.get(reading.device_id)
                if newest is None or reading.device_time > newest.device_time:
                    battery[reading.device_id] = reading
        # One statement per batch, not per device: a device seen earlier than it already
        # was (a late reading) changes nothing.
        not_newer = (col(DeviceRow.last_seen_at).is_(None)) | (
            col(DeviceRow.last_seen_at) <= bindparam("seen")
        )
        if battery:
            connection.execute(
                update(DeviceRow)
                .where(col(DeviceRow.id) == bindparam("did"), not_newer)
                .values(battery_pct=bindparam("pct")),
                [{"did": d, "pct": r.value, "seen": seen[d]} for d, r in battery.items()],
            )
        if seen:
            connection.execute(
                update(DeviceRow)
                .where(col(DeviceRow.id) == bindparam("did"), not_newer)
                .values(last_seen_at=bindparam("seen")),
                [{"did": d, "seen": at} for d, at in seen.items()],
            )
    return StoreResult(
        stored=stored,
        duplicates=len(batch) - stored,
        unregistered=tuple(sorted(set(ids) - set(known))),
    )


def delete_readings(
    engine: Engine, paddy_id: str, *, since: datetime, until: datetime | None = None
) -> int:
    """Forget a paddy's readings measured (device time) from ``since`` (until ``until``):
    retention, or a replay of a simulated day. Returns how many went."""
    where = [col(ReadingRow.paddy_id) == paddy_id, col(ReadingRow.device_time) >= as_utc(since)]
    if until is not None:
        where.append(col(ReadingRow.device_time) < as_utc(until))
    with storage_errors(), engine.begin() as connection:
        return int(connection.execute(delete(ReadingRow).where(*where)).rowcount)


def count_readings(engine: Engine, *, device_prefix: str | None = None) -> int:
    """How many readings are stored (those of devices whose id starts ``device_prefix``)."""
    query = select(func.count()).select_from(ReadingRow)
    if device_prefix is not None:
        query = query.where(col(ReadingRow.device_id).startswith(device_prefix))
    with storage_errors(), Session(engine) as session:
        return int(session.exec(query).one())


def _reading_of(row: ReadingRow) -> Reading:
    return Reading(
        device_id=row.device_id,
        metric=Metric(row.metric),
        value=row.value,
        device_time=aware(row.device_time),
        received_at=aware(row.received_at),
        paddy_id=row.paddy_id,
    )


def readings(
    engine: Engine,
    paddy_id: str,
    *,
    metric: Metric | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 1000,
    offset: int = 0,
) -> tuple[list[Reading], int]:
    """A paddy's readings in device-time order (calibrated), a page and the count."""
    where = [col(ReadingRow.paddy_id) == paddy_id]
    if metric is not None:
        where.append(col(ReadingRow.metric) == metric.value)
    if since is not None:
        where.append(col(ReadingRow.device_time) >= as_utc(since))
    if until is not None:
        where.append(col(ReadingRow.device_time) < as_utc(until))
    with storage_errors(), Session(engine) as session:
        count = session.exec(select(func.count()).select_from(ReadingRow).where(*where)).one()
        rows = session.exec(
            select(ReadingRow)
            .where(*where)
            .order_by(col(ReadingRow.device_time), col(ReadingRow.id))
            .offset(offset)
            .limit(limit)
        )
        return [_reading_of(row) for row in rows], int(count)
