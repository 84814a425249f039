"""Reading the facts of drone work and deliveries from the database (paddy water: see
:mod:`.reading_water`).

Which records count:

- **Hectares sprayed and surveyed**: missions that *completed* in the period (the time of
  their change to ``completed``), each of their fields with its registered area
  (``field.area_m2``), once per completion, in the field's district. A field sprayed twice
  counts twice. Failed and aborted missions count nothing here (what they flew is in the
  flight logs), nor do flights flown outside the scheduler (``tanbo fly``): a flight log
  names no field. A field deleted since counts the mission's planned area shared evenly
  among its fields, in ``unknown``.
- **Flights and flight hours**: every finished flight log (not an ``in_progress``
  snapshot) dated in the period (飛行年月日, Japan time), its ``flight_time_s``. Its district
  is the one of its take-off place, else that of the largest field of the scheduler's
  mission it flew (a log of ``mission-<id>.plan`` flown by that mission's vehicle), else
  ``unknown``. Simulator vehicles (``SIM-…``) are counted, and counted apart as well.
- **Deliveries**: each delivery in the month it was confirmed (made), failed, or returned
  to the pharmacy, in the district of its drop point.
"""

import hashlib
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import shapely
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from api import fleet_store
from api.city_stats.districts import UNKNOWN, DistrictMap
from api.city_stats.model import DeliveryDone, DeliveryOutcome, FlightDone, WorkDone, WorkKind
from api.city_stats.months import JST, month_of
from api.db import as_utc, aware, storage_errors
from api.logistics.store import list_drop_points
from api.logistics.tables import DeliveryEventRow, DeliveryRow
from api.models import FieldRow
from api.scheduling.tables import MissionRow, StatusChangeRow
from fleet import FlightResult

__all__ = ["PlacedField", "placed_fields", "read_deliveries", "read_flights", "read_work"]

_CHUNK = 500
_MISSION_PLAN = re.compile(r"^mission-(\d+)\.plan$")
_OUTCOMES = {
    "confirmed": DeliveryOutcome.MADE,
    "failed": DeliveryOutcome.FAILED,
    "returned_to_pharmacy": DeliveryOutcome.RETURNED,
}


@dataclass(frozen=True, kw_only=True, slots=True)
class PlacedField:
    """A registered field as the city's figures need it."""

    owner: str
    area_ha: float
    district: str


def _chunks(ids: Iterable[str]) -> Iterable[list[str]]:
    ordered = sorted(set(ids))
    for i in range(0, len(ordered), _CHUNK):
        yield ordered[i : i + _CHUNK]


def placed_fields(
    engine: Engine, field_ids: Collection[str], districts: DistrictMap
) -> dict[str, PlacedField]:
    """The fields of ``field_ids`` that are registered, each in its district."""
    placed: dict[str, PlacedField] = {}
    with storage_errors(), Session(engine) as session:
        for ids in _chunks(field_ids):
            for row in session.exec(select(FieldRow).where(col(FieldRow.id).in_(ids))):
                centroid = shapely.from_wkb(row.geometry_wkb).centroid
                district = districts.of_field(
                    lon_deg=centroid.x, lat_deg=centroid.y, municipality_code=row.municipality_code
                )
                placed[row.id] = PlacedField(
                    owner=row.owner, area_ha=row.area_m2 / 10_000.0, district=district
                )
    return placed


def _completed(engine: Engine, start: datetime, end: datetime) -> list[tuple[MissionRow, datetime]]:
    """Missions that became completed in ``[start, end)``, with when."""
    query = (
        select(MissionRow, StatusChangeRow.at)
        .join(StatusChangeRow, col(StatusChangeRow.mission_id) == col(MissionRow.id))
        .where(
            col(StatusChangeRow.to_status) == "completed",
            col(StatusChangeRow.at) >= as_utc(start),
            col(StatusChangeRow.at) < as_utc(end),
        )
        .order_by(col(MissionRow.id))
    )
    with storage_errors(), Session(engine) as session:
        return [(mission, aware(at)) for mission, at in session.exec(query)]


def read_work(
    engine: Engine, districts: DistrictMap, *, start: datetime, end: datetime
) -> list[WorkDone]:
    """Each field of each mission completed in ``[start, end)`` (see the module)."""
    completed = _completed(engine, start, end)
    fields = placed_fields(engine, {f for m, _ in completed for f in m.field_ids}, districts)
    work: list[WorkDone] = []
    for mission, at in completed:
        kind = WorkKind(mission.kind)
        share_ha = mission.area_ha / max(1, len(mission.field_ids))
        for field_id in mission.field_ids:
            placed = fields.get(field_id)
            work.append(
                WorkDone(
                    month=month_of(at),
                    district=placed.district if placed else UNKNOWN,
                    kind=kind,
                    area_ha=placed.area_ha if placed else share_ha,
                    party=mission.owner,
                )
            )
    return work


def _missions(engine: Engine, ids: Collection[int]) -> dict[int, MissionRow]:
    with storage_errors(), Session(engine) as session:
        rows = session.exec(select(MissionRow).where(col(MissionRow.id).in_(sorted(ids))))
        return {row.id: row for row in rows if row.id is not None}


def read_flights(
    engine: Engine, districts: DistrictMap, *, start: datetime, end: datetime
) -> list[FlightDone]:
    """Each finished flight dated in ``[start, end)`` (Japan dates; see the module)."""
    first_day = start.astimezone(JST).date()
    last_day = (end.astimezone(JST) - timedelta(microseconds=1)).date()
    logs = [
        log
        for log in fleet_store.list_flight_logs(engine, date_from=first_day, date_to=last_day)
        if log.result is not FlightResult.IN_PROGRESS
    ]
    linked: dict[str, int] = {}
    for log in logs:
        found = _MISSION_PLAN.match(log.mission_name or "")
        if found:
            linked[log.flight_id] = int(found[1])
    missions = _missions(engine, set(linked.values())) if linked else {}
    fields = placed_fields(engine, {f for m in missions.values() for f in m.field_ids}, districts)
    flights: list[FlightDone] = []
    for log in logs:
        mission = missions.get(linked.get(log.flight_id, -1))
        if mission is not None and mission.vehicle != log.registration:
            mission = None  # a file of that name flown by hand, not the scheduler's mission
        takeoff = log.takeoff.point if log.takeoff else None
        district = (
            districts.at(lon_deg=takeoff.lon_deg, lat_deg=takeoff.lat_deg) if takeoff else None
        )
        if district is None and mission is not None:
            known = [fields[f] for f in mission.field_ids if f in fields]
            district = max(known, key=lambda f: f.area_ha).district if known else None
        flights.append(
            FlightDone(
                month=month_of(log.flight_date),
                district=district or UNKNOWN,
                flight_h=log.flight_time_s / 3600.0,
                party=mission.owner if mission is not None else f"pilot:{log.pilot}",
                simulated=log.simulated,
            )
        )
    return flights


def _recipient(row: DeliveryRow) -> str:
    """Who received, as a party: the resident's account, else a digest of name and phone."""
    if row.resident_id:
        return f"resident:{row.resident_id}"
    who = f"{row.recipient.get('name') or ''}|{row.recipient.get('phone') or ''}"
    return "recipient:" + hashlib.sha256(who.encode()).hexdigest()[:16]


def read_deliveries(
    engine: Engine, districts: DistrictMap, *, start: datetime, end: datetime
) -> list[DeliveryDone]:
    """Each delivery confirmed, failed or returned in ``[start, end)`` (see the module)."""
    places = {
        p.drop.id: (p.drop.location.lon_deg, p.drop.location.lat_deg)
        for p in list_drop_points(engine)
    }
    query = (
        select(DeliveryRow, DeliveryEventRow.at, DeliveryEventRow.to_state)
        .join(DeliveryEventRow, col(DeliveryEventRow.delivery_id) == col(DeliveryRow.id))
        .where(
            col(DeliveryEventRow.to_state).in_(sorted(_OUTCOMES)),
            col(DeliveryEventRow.at) >= as_utc(start),
            col(DeliveryEventRow.at) < as_utc(end),
        )
        .order_by(col(DeliveryEventRow.id))
    )
    with storage_errors(), Session(engine) as session:
        return [
            DeliveryDone(
                month=month_of(aware(at)),
                district=districts.of_point(places.get(row.drop_point_id)),
                outcome=_OUTCOMES[state],
                party=_recipient(row),
            )
            for row, at, state in session.exec(query)
        ]
