"""The vehicle registry, daily inspections and flight logs in the database.

One transaction per operation; database errors become :class:`~api.errors.StorageError`.

Decisions:

- **Vehicles are retired, not deleted, once they have history.** Flight logs and
  inspections are legal records (kept while the aircraft is registered, and after):
  :func:`retire_vehicle` marks the row and keeps everything; :func:`remove_vehicle`
  deletes only a vehicle with no flight log and no inspection (a mistyped entry) and
  refuses otherwise, naming what it has.
- **Saving a flight log is idempotent on its flight id.** The same log again changes
  nothing, so a retry after a crash never duplicates; an ``in_progress`` snapshot saved
  during the flight is replaced by the finished log; a late snapshot never overwrites a
  finished log; a *different* finished log under a finished log's id is refused.
"""

from collections.abc import Mapping
from dataclasses import fields, replace
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from sqlalchemy import Engine, delete, func, insert, text, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from api.db import storage_errors
from api.errors import Conflict, NotFound, PreconditionFailed, StorageError
from api.flight_log_pdf import write_pdf
from api.models import FlightLogRow, InspectionRow, VehicleRow
from core.clock import Clock, SystemClock
from core.geo import GeoPoint
from fleet.errors import UnknownVehicle
from fleet.flightlog import (
    Anomaly,
    FlightLog,
    FlightPurpose,
    FlightResult,
    Place,
    write_csv,
)
from fleet.registry import (
    AircraftCategory,
    CheckResult,
    InspectionItem,
    InspectionRecord,
    ReleaseKind,
    Sprayer,
    SprayerKind,
    VehicleRecord,
)

__all__ = [
    "Conflict",
    "Saved",
    "add_vehicle",
    "export_flight_logs_csv",
    "export_flight_logs_pdf",
    "get_flight_log",
    "get_inspection",
    "get_vehicle",
    "inspection_of_day",
    "list_flight_logs",
    "list_inspections",
    "list_vehicles",
    "remove_vehicle",
    "retire_vehicle",
    "save_flight_log",
    "save_inspection",
    "update_vehicle",
]


class Saved(StrEnum):
    """What :func:`save_flight_log` and :func:`save_inspection` did."""

    CREATED = "created"
    REPLACED = "replaced"
    UNCHANGED = "unchanged"


_storage = storage_errors


def _utc(value: datetime | None) -> datetime | None:
    """A stored time as aware UTC (SQLite hands back naive UTC)."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _now(clock: Clock | None) -> datetime:
    return (clock or SystemClock()).now().astimezone(UTC)


# Vehicles


def _vehicle_row(v: VehicleRecord) -> dict[str, Any]:
    return {
        "registration": v.registration,
        "category": v.category.value,
        "model": v.model,
        "maker": v.maker,
        "serial_number": v.serial_number,
        "type_certificate_no": v.type_certificate_no,
        "airworthiness_certificate_no": v.airworthiness_certificate_no,
        "system_id": v.system_id,
        "connection": v.connection,
        "max_takeoff_weight_kg": v.max_takeoff_weight_kg,
        "max_payload_kg": v.max_payload_kg,
        "tank_l": v.tank_l,
        "pump_max_l_min": v.pump_max_l_min,
        "battery_mah": v.battery_mah,
        "battery_cells": v.battery_cells,
        "sprayer_kind": v.sprayer.kind.value,
        "sprayer_channel": v.sprayer.channel,
        "sprayer_pwm_on_us": v.sprayer.pwm_on_us,
        "sprayer_pwm_off_us": v.sprayer.pwm_off_us,
        "release": v.release.value,
        "notes": v.notes,
        "retired_at": _utc(v.retired_at),
    }


def _vehicle(row: VehicleRow) -> VehicleRecord:
    return VehicleRecord(
        registration=row.registration,
        category=AircraftCategory(row.category),
        model=row.model,
        maker=row.maker,
        serial_number=row.serial_number,
        type_certificate_no=row.type_certificate_no,
        airworthiness_certificate_no=row.airworthiness_certificate_no,
        system_id=row.system_id,
        connection=row.connection,
        max_takeoff_weight_kg=row.max_takeoff_weight_kg,
        max_payload_kg=row.max_payload_kg,
        tank_l=row.tank_l,
        pump_max_l_min=row.pump_max_l_min,
        battery_mah=row.battery_mah,
        battery_cells=row.battery_cells,
        sprayer=Sprayer(
            kind=SprayerKind(row.sprayer_kind),
            channel=row.sprayer_channel,
            pwm_on_us=row.sprayer_pwm_on_us,
            pwm_off_us=row.sprayer_pwm_off_us,
        ),
        release=ReleaseKind(row.release),
        notes=row.notes,
        retired_at=_utc(row.retired_at),
    )


def _vehicle_in(session: Session, registration: str) -> VehicleRow:
    row = session.get(VehicleRow, registration)
    if row is None:
        raise UnknownVehicle(f"no vehicle registered as {registration!r}")
    return row


def add_vehicle(engine: Engine, vehicle: VehicleRecord, *, clock: Clock | None = None) -> None:
    """Register a vehicle.

    Raises
    ------
    Conflict
        A vehicle (retired or not) already has that registration.
    StorageError
        The database refused or could not be reached; nothing was stored.
    """
    now = _now(clock)
    with _storage(), Session(engine) as session:
        if session.get(VehicleRow, vehicle.registration) is not None:
            raise Conflict(f"vehicle {vehicle.registration} is already registered")
        session.execute(
            insert(VehicleRow), [{**_vehicle_row(vehicle), "created_at": now, "updated_at": now}]
        )
        session.commit()


def get_vehicle(engine: Engine, registration: str) -> VehicleRecord:
    """One vehicle, retired or not.

    Raises
    ------
    fleet.errors.UnknownVehicle
        No vehicle has that registration.
    """
    with _storage(), Session(engine) as session:
        return _vehicle(_vehicle_in(session, registration))


def list_vehicles(engine: Engine, *, include_retired: bool = False) -> list[VehicleRecord]:
    """Registered vehicles by registration; retired ones only if asked."""
    query = select(VehicleRow).order_by(col(VehicleRow.registration))
    if not include_retired:
        query = query.where(col(VehicleRow.retired_at).is_(None))
    with _storage(), Session(engine) as session:
        return [_vehicle(row) for row in session.exec(query)]


_FIXED = frozenset({"registration", "retired_at"})


def update_vehicle(
    engine: Engine,
    registration: str,
    changes: Mapping[str, Any],
    *,
    clock: Clock | None = None,
    expected_updated_at: datetime | None = None,
    next_updated_at: datetime | None = None,
) -> VehicleRecord:
    """Change some of a vehicle's fields; the result is validated as a whole.

    With ``expected_updated_at``, the row changes only if it still carries that stamp
    (compare-and-set), else :class:`~api.errors.PreconditionFailed`.

    Parameters
    ----------
    changes
        Field names of :class:`~fleet.registry.VehicleRecord` and their new values;
        ``registration`` and ``retired_at`` cannot change (remove or retire instead).

    Raises
    ------
    fleet.errors.UnknownVehicle
        No vehicle has that registration.
    fleet.registry.InvalidRecord
        The changed vehicle breaks a rule (named); nothing was changed.
    ValueError
        A name that is not a changeable field.
    """
    known = {f.name for f in fields(VehicleRecord)} - _FIXED
    unknown = sorted(set(changes) - known)
    if unknown:
        raise ValueError(f"cannot change {', '.join(unknown)}")
    with _storage(), Session(engine) as session:
        changed = replace(_vehicle(_vehicle_in(session, registration)), **changes)
        query = update(VehicleRow).where(col(VehicleRow.registration) == registration)
        if expected_updated_at is not None:
            query = query.where(col(VehicleRow.updated_at) == expected_updated_at)
        result = session.execute(
            query.values(**_vehicle_row(changed), updated_at=next_updated_at or _now(clock))
        )
        if expected_updated_at is not None and getattr(result, "rowcount", 0) != 1:
            session.rollback()
            raise PreconditionFailed(f"vehicle {registration} changed since the version given")
        session.commit()
    return changed


def retire_vehicle(
    engine: Engine, registration: str, *, clock: Clock | None = None
) -> VehicleRecord:
    """Retire a vehicle: it stays, with its logs and inspections, and flies no more.

    Retiring a retired vehicle changes nothing.

    Raises
    ------
    fleet.errors.UnknownVehicle
        No vehicle has that registration.
    """
    now = _now(clock)
    with _storage(), Session(engine) as session:
        row = _vehicle_in(session, registration)
        if row.retired_at is None:
            session.execute(
                update(VehicleRow)
                .where(col(VehicleRow.registration) == registration)
                .values(retired_at=now, updated_at=now)
            )
            session.commit()
            return replace(_vehicle(row), retired_at=now)
        return _vehicle(row)


def remove_vehicle(engine: Engine, registration: str) -> None:
    """Delete a vehicle that has never flown nor been inspected (a mistaken entry).

    Raises
    ------
    fleet.errors.UnknownVehicle
        No vehicle has that registration.
    Conflict
        It has flight logs or inspections: those are kept, so retire it instead.
    """
    with _storage(), Session(engine) as session:
        _vehicle_in(session, registration)
        logs = session.exec(
            select(func.count()).where(col(FlightLogRow.registration) == registration)
        ).one()
        inspections = session.exec(
            select(func.count()).where(col(InspectionRow.registration) == registration)
        ).one()
        if logs or inspections:
            raise Conflict(
                f"vehicle {registration} has {logs} flight logs and {inspections} inspections, "
                "which are kept: retire it instead"
            )
        missions = session.execute(
            text("SELECT count(*) FROM mission WHERE vehicle = :registration"),
            {"registration": registration},
        ).scalar_one()
        if missions:
            raise Conflict(
                f"vehicle {registration} is booked for {missions} missions: retire it instead"
            )
        session.execute(delete(VehicleRow).where(col(VehicleRow.registration) == registration))
        session.commit()


# Daily inspections


def _inspection_row(i: InspectionRecord) -> dict[str, Any]:
    return {
        "id": i.id,
        "registration": i.registration,
        "inspected_on": i.inspected_on,
        "inspector": i.inspector,
        "place": i.place,
        "results": [{"item": r.item.value, "ok": r.ok, "note": r.note} for r in i.results],
        "remarks": i.remarks,
        "passed": i.passed,
    }


def _inspection(row: InspectionRow) -> InspectionRecord:
    return InspectionRecord(
        id=row.id,
        registration=row.registration,
        inspected_on=row.inspected_on,
        inspector=row.inspector,
        place=row.place,
        results=tuple(
            CheckResult(item=InspectionItem(r["item"]), ok=bool(r["ok"]), note=str(r["note"]))
            for r in row.results
        ),
        remarks=row.remarks,
    )


def save_inspection(
    engine: Engine, inspection: InspectionRecord, *, clock: Clock | None = None
) -> Saved:
    """Store a daily inspection; the same one again changes nothing.

    Raises
    ------
    fleet.errors.UnknownVehicle
        The inspected vehicle is not registered.
    Conflict
        A different inspection is stored under the same id.
    """
    with _storage(), Session(engine) as session:
        _vehicle_in(session, inspection.registration)
        stored = session.get(InspectionRow, inspection.id)
        if stored is not None:
            if _inspection(stored) == inspection:
                return Saved.UNCHANGED
            raise Conflict(f"a different inspection is stored as {inspection.id}")
        session.execute(
            insert(InspectionRow), [{**_inspection_row(inspection), "created_at": _now(clock)}]
        )
        session.commit()
    return Saved.CREATED


def get_inspection(engine: Engine, inspection_id: str) -> InspectionRecord:
    """One inspection.

    Raises
    ------
    NotFound
        No inspection has that id.
    """
    with _storage(), Session(engine) as session:
        row = session.get(InspectionRow, inspection_id)
        if row is None:
            raise NotFound(f"no inspection with id {inspection_id!r}")
        return _inspection(row)


def list_inspections(
    engine: Engine,
    *,
    registration: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> list[InspectionRecord]:
    """Inspections, oldest first; optionally of one vehicle, between two dates (inclusive)."""
    query = select(InspectionRow).order_by(
        col(InspectionRow.inspected_on), col(InspectionRow.created_at), col(InspectionRow.id)
    )
    if registration is not None:
        query = query.where(col(InspectionRow.registration) == registration)
    if date_from is not None:
        query = query.where(col(InspectionRow.inspected_on) >= date_from)
    if date_to is not None:
        query = query.where(col(InspectionRow.inspected_on) <= date_to)
    with _storage(), Session(engine) as session:
        return [_inspection(row) for row in session.exec(query)]


def inspection_of_day(engine: Engine, registration: str, day: date) -> InspectionRecord | None:
    """The vehicle's latest inspection on ``day`` (the one a flight that day refers to)."""
    found = list_inspections(engine, registration=registration, date_from=day, date_to=day)
    return found[-1] if found else None


# Flight logs


def _place(point: tuple[float | None, float | None], address: str | None) -> Place | None:
    lat, lon = point
    if lat is None or lon is None:
        return None
    return Place(point=GeoPoint(lat_deg=lat, lon_deg=lon), address=address or "")


def _log_row(log: FlightLog) -> dict[str, Any]:
    takeoff, landing = log.takeoff, log.landing
    return {
        "flight_id": log.flight_id,
        "registration": log.registration,
        "flight_date": log.flight_date,
        "pilot": log.pilot,
        "pilot_licence_no": log.pilot_licence_no,
        "purpose": log.purpose.value,
        "result": log.result.value,
        "route": log.route,
        "permissions": list(log.permissions),
        "takeoff_lat": takeoff.point.lat_deg if takeoff else None,
        "takeoff_lon": takeoff.point.lon_deg if takeoff else None,
        "takeoff_address": takeoff.address if takeoff else None,
        "takeoff_at": _utc(log.takeoff_at),
        "landing_lat": landing.point.lat_deg if landing else None,
        "landing_lon": landing.point.lon_deg if landing else None,
        "landing_address": landing.address if landing else None,
        "landing_at": _utc(log.landing_at),
        "flight_time_s": log.flight_time_s,
        "total_flight_time_s": log.total_flight_time_s,
        "anomalies": [
            {"at": a.at.astimezone(UTC).isoformat(), "text": a.text} for a in log.anomalies
        ],
        "inspection_id": log.inspection_id,
        "mission_name": log.mission_name,
        "mission_sha256": log.mission_sha256,
        "system_id": log.system_id,
        "area_sprayed_ha": log.area_sprayed_ha,
        "distance_m": log.distance_m,
        "max_altitude_m": log.max_altitude_m,
        "battery_used_pct": log.battery_used_pct,
        "battery_used_mah": log.battery_used_mah,
        "tank_used_l": log.tank_used_l,
        "items_reached": log.items_reached,
        "items_total": log.items_total,
    }


def _log(row: FlightLogRow) -> FlightLog:
    return FlightLog(
        flight_id=row.flight_id,
        flight_date=row.flight_date,
        pilot=row.pilot,
        registration=row.registration,
        purpose=FlightPurpose(row.purpose),
        result=FlightResult(row.result),
        pilot_licence_no=row.pilot_licence_no,
        route=row.route,
        permissions=tuple(row.permissions),
        takeoff=_place((row.takeoff_lat, row.takeoff_lon), row.takeoff_address),
        takeoff_at=_utc(row.takeoff_at),
        landing=_place((row.landing_lat, row.landing_lon), row.landing_address),
        landing_at=_utc(row.landing_at),
        flight_time_s=row.flight_time_s,
        total_flight_time_s=row.total_flight_time_s,
        anomalies=tuple(
            Anomaly(at=datetime.fromisoformat(a["at"]), text=a["text"]) for a in row.anomalies
        ),
        inspection_id=row.inspection_id,
        mission_name=row.mission_name,
        mission_sha256=row.mission_sha256,
        system_id=row.system_id,
        area_sprayed_ha=row.area_sprayed_ha,
        distance_m=row.distance_m,
        max_altitude_m=row.max_altitude_m,
        battery_used_pct=row.battery_used_pct,
        battery_used_mah=row.battery_used_mah,
        tank_used_l=row.tank_used_l,
        items_reached=row.items_reached,
        items_total=row.items_total,
    )


def _save_log(session: Session, log: FlightLog, now: datetime) -> Saved:
    _vehicle_in(session, log.registration)
    if log.inspection_id is not None and session.get(InspectionRow, log.inspection_id) is None:
        raise NotFound(f"flight log {log.flight_id}: no inspection with id {log.inspection_id!r}")
    stored = session.get(FlightLogRow, log.flight_id)
    if stored is None:
        session.execute(
            insert(FlightLogRow), [{**_log_row(log), "created_at": now, "updated_at": now}]
        )
        return Saved.CREATED
    before = _log(stored)
    if before == log or log.result is FlightResult.IN_PROGRESS:
        return Saved.UNCHANGED
    if before.result is not FlightResult.IN_PROGRESS:
        raise Conflict(
            f"flight log {log.flight_id} is stored, finished ({before.result.value}), "
            "and differs from this one; it is kept as it was"
        )
    session.execute(
        update(FlightLogRow)
        .where(col(FlightLogRow.flight_id) == log.flight_id)
        .values(**_log_row(log), updated_at=now)
    )
    return Saved.REPLACED


def save_flight_log(engine: Engine, log: FlightLog, *, clock: Clock | None = None) -> Saved:
    """Store a flight log in one transaction; idempotent on its flight id.

    Returns
    -------
    Saved
        ``created``; ``replaced`` when it finishes a stored ``in_progress`` snapshot;
        ``unchanged`` when the same log (or a snapshot of a finished one) is saved again.

    Raises
    ------
    fleet.errors.UnknownVehicle
        Its vehicle is not registered.
    NotFound
        It refers to an inspection that is not stored.
    Conflict
        A different finished log is stored under its flight id (that one is kept).
    StorageError
        The database refused or could not be reached; nothing was stored.
    """
    now = _now(clock)
    for attempt in (1, 2):
        try:
            with _storage(), Session(engine) as session:
                saved = _save_log(session, log, now)
                session.commit()
                return saved
        except StorageError as exc:
            # Two savers of one flight raced to insert it: the loser compares again.
            if attempt == 2 or not isinstance(exc.__cause__, IntegrityError):
                raise
    raise AssertionError("unreachable")


def get_flight_log(engine: Engine, flight_id: str) -> FlightLog:
    """One flight log.

    Raises
    ------
    NotFound
        No flight log has that id.
    """
    with _storage(), Session(engine) as session:
        row = session.get(FlightLogRow, flight_id)
        if row is None:
            raise NotFound(f"no flight log with id {flight_id!r}")
        return _log(row)


def list_flight_logs(
    engine: Engine,
    *,
    registration: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> list[FlightLog]:
    """Flight logs in the order flown; optionally one vehicle's, between two dates (inclusive).

    Dates are flight dates (飛行年月日, Japan time).
    """
    query = select(FlightLogRow).order_by(
        col(FlightLogRow.flight_date),
        col(FlightLogRow.takeoff_at).asc().nulls_last(),
        col(FlightLogRow.created_at),
        col(FlightLogRow.flight_id),
    )
    if registration is not None:
        query = query.where(col(FlightLogRow.registration) == registration)
    if date_from is not None:
        query = query.where(col(FlightLogRow.flight_date) >= date_from)
    if date_to is not None:
        query = query.where(col(FlightLogRow.flight_date) <= date_to)
    with _storage(), Session(engine) as session:
        return [_log(row) for row in session.exec(query)]


def export_flight_logs_csv(
    engine: Engine,
    dest: Path | TextIO,
    *,
    registration: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> int:
    """Write the chosen flight logs as the MLIT CSV (see :func:`fleet.flightlog.write_csv`).

    Returns
    -------
    int
        The number of flights written.
    """
    logs = list_flight_logs(engine, registration=registration, date_from=date_from, date_to=date_to)
    vehicles = {v.registration: v for v in list_vehicles(engine, include_retired=True)}
    return write_csv(logs, dest, vehicles=vehicles)


def export_flight_logs_pdf(
    engine: Engine,
    dest: BinaryIO,
    *,
    printed_at: datetime,
    registration: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> int:
    """Write the chosen flight logs as the MLIT 飛行記録 table in a PDF (see
    :func:`api.flight_log_pdf.write_pdf`); the number of flights written."""
    logs = list_flight_logs(engine, registration=registration, date_from=date_from, date_to=date_to)
    vehicles = {v.registration: v for v in list_vehicles(engine, include_retired=True)}
    chosen = "、".join(
        part for part in (
            f"登録記号 {registration}" if registration else "",
            "〜".join(d.strftime("%Y/%m/%d") if d else "" for d in (date_from, date_to))
            if date_from or date_to else "",
        ) if part
    )  # fmt: skip
    return write_pdf(logs, dest, vehicles=vehicles, chosen=chosen, printed_at=printed_at)
