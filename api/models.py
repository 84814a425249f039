"""The database tables (SQLModel), and their translation to and from ``fields`` values.

Geometry is stored in WGS84 as WKB, with its bounding box in plain columns so a
spatial pre-filter works on SQLite and on PostgreSQL without PostGIS.
"""

from datetime import date, datetime
from typing import Any

import shapely
from sqlalchemy import JSON, CheckConstraint, Column, DateTime, LargeBinary
from sqlmodel import Field, SQLModel

from core.ids import FieldId, OwnerName, ZoneId
from fields import FieldRecord, LandUse, Restriction, ZoneKind, ZoneRecord

__all__ = [
    "FieldRow",
    "FlightLogRow",
    "InspectionRow",
    "VehicleRow",
    "ZoneRow",
    "field_record",
    "field_row",
    "zone_record",
    "zone_row",
]


def _utc() -> Any:
    return Column(DateTime(timezone=True), nullable=False)


class FieldRow(SQLModel, table=True):
    """A registered field."""

    __tablename__ = "field"
    __table_args__ = (
        CheckConstraint("area_m2 > 0", name="field_area_positive"),
        CheckConstraint("min_lon <= max_lon AND min_lat <= max_lat", name="field_bbox_ordered"),
    )

    id: str = Field(primary_key=True, max_length=200)
    owner: str = Field(index=True, max_length=200)
    name: str = Field(max_length=500)
    crop: str | None = Field(default=None, max_length=200)
    variety: str | None = Field(default=None, max_length=200)
    transplanted_on: date | None = None
    land_use: str | None = Field(default=None, max_length=20)
    municipality_code: str | None = Field(default=None, index=True, max_length=6)
    area_m2: float
    perimeter_m: float
    local_crs_epsg: int
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float
    geometry_wkb: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    properties: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    source: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(sa_column=_utc())
    updated_at: datetime = Field(sa_column=_utc())


class ZoneRow(SQLModel, table=True):
    """A no-spray or no-fly zone."""

    __tablename__ = "zone"
    __table_args__ = (CheckConstraint("buffer_m IS NULL OR buffer_m >= 0", name="zone_buffer"),)

    id: str = Field(primary_key=True, max_length=200)
    kind: str = Field(index=True, max_length=20)
    restriction: str = Field(max_length=10)
    name: str = Field(max_length=500)
    buffer_m: float | None = None
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float
    geometry_wkb: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    properties: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    source: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(sa_column=_utc())
    updated_at: datetime = Field(sa_column=_utc())


def _stored_geometry(geometry: Any, now: datetime) -> dict[str, Any]:
    """The columns every spatial row shares: WKB, its bounding box, the timestamps."""
    min_lon, min_lat, max_lon, max_lat = shapely.bounds(geometry).tolist()
    return {
        "min_lon": min_lon,
        "min_lat": min_lat,
        "max_lon": max_lon,
        "max_lat": max_lat,
        "geometry_wkb": shapely.to_wkb(geometry),
        "created_at": now,
        "updated_at": now,
    }


def field_row(record: FieldRecord, now: datetime) -> dict[str, Any]:
    """The column values for a field (``created_at`` included; keep the stored one on update)."""
    return {
        "id": record.id,
        "owner": record.owner,
        "name": record.name,
        "crop": record.crop,
        "variety": record.variety,
        "transplanted_on": record.transplanted_on,
        "land_use": record.land_use.value if record.land_use else None,
        "municipality_code": record.municipality_code,
        "area_m2": record.area_m2,
        "perimeter_m": record.perimeter_m,
        "local_crs_epsg": record.local_crs_epsg,
        "properties": record.properties,
        "source": record.source,
        **_stored_geometry(record.geometry, now),
    }


def field_record(row: FieldRow) -> FieldRecord:
    """The field value a row stores."""
    return FieldRecord(
        id=FieldId(row.id),
        owner=OwnerName(row.owner),
        name=row.name,
        geometry=shapely.from_wkb(row.geometry_wkb),
        area_m2=row.area_m2,
        perimeter_m=row.perimeter_m,
        local_crs_epsg=row.local_crs_epsg,
        crop=row.crop,
        variety=row.variety,
        transplanted_on=row.transplanted_on,
        land_use=LandUse(row.land_use) if row.land_use else None,
        municipality_code=row.municipality_code,
        source=row.source,
        properties=dict(row.properties),
    )


def zone_row(record: ZoneRecord, now: datetime) -> dict[str, Any]:
    """The column values for a zone."""
    return {
        "id": record.id,
        "kind": record.kind.value,
        "restriction": record.restriction.value,
        "name": record.name,
        "buffer_m": record.buffer_m,
        "properties": record.properties,
        "source": record.source,
        **_stored_geometry(record.geometry, now),
    }


def zone_record(row: ZoneRow) -> ZoneRecord:
    """The zone value a row stores."""
    return ZoneRecord(
        id=ZoneId(row.id),
        kind=ZoneKind(row.kind),
        restriction=Restriction(row.restriction),
        name=row.name,
        geometry=shapely.from_wkb(row.geometry_wkb),
        buffer_m=row.buffer_m,
        source=row.source,
        properties=dict(row.properties),
    )


# Vehicles, their daily inspections and their flight logs (fleet.registry, fleet.flightlog).


class VehicleRow(SQLModel, table=True):
    """A registered aircraft; retired ones stay, so their flight logs keep their vehicle."""

    __tablename__ = "vehicle"
    __table_args__ = (
        CheckConstraint(
            "system_id IS NULL OR (system_id >= 1 AND system_id <= 255)", name="vehicle_system_id"
        ),
        CheckConstraint(
            "max_takeoff_weight_kg > 0 AND max_payload_kg >= 0 AND tank_l >= 0",
            name="vehicle_capacities",
        ),
        CheckConstraint(
            "battery_mah > 0 AND battery_cells >= 1 AND battery_cells <= 24",
            name="vehicle_battery",
        ),
    )

    registration: str = Field(primary_key=True, max_length=40)
    category: str = Field(max_length=20)
    model: str = Field(max_length=200)
    maker: str = Field(default="", max_length=200)
    serial_number: str = Field(default="", max_length=200)
    type_certificate_no: str | None = Field(default=None, max_length=100)
    airworthiness_certificate_no: str | None = Field(default=None, max_length=100)
    system_id: int | None = None
    connection: str | None = Field(default=None, max_length=500)
    max_takeoff_weight_kg: float
    max_payload_kg: float
    tank_l: float
    pump_max_l_min: float | None = None
    battery_mah: int
    battery_cells: int
    sprayer_kind: str = Field(max_length=30)
    sprayer_channel: int | None = None
    sprayer_pwm_on_us: int | None = None
    sprayer_pwm_off_us: int | None = None
    release: str = Field(max_length=20)
    notes: str = Field(default="", max_length=4000)
    retired_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    created_at: datetime = Field(sa_column=_utc())
    updated_at: datetime = Field(sa_column=_utc())


class InspectionRow(SQLModel, table=True):
    """A daily inspection (日常点検記録) of one vehicle."""

    __tablename__ = "inspection"

    id: str = Field(primary_key=True, max_length=36)
    registration: str = Field(
        foreign_key="vehicle.registration", ondelete="RESTRICT", index=True, max_length=40
    )
    inspected_on: date = Field(index=True)
    inspector: str = Field(max_length=200)
    place: str = Field(default="", max_length=500)
    results: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    remarks: str = Field(default="", max_length=4000)
    passed: bool
    created_at: datetime = Field(sa_column=_utc())


class FlightLogRow(SQLModel, table=True):
    """One flight's record (飛行記録); never deleted with its vehicle."""

    __tablename__ = "flight_log"
    __table_args__ = (
        CheckConstraint(
            "flight_time_s >= 0 AND distance_m >= 0 AND items_reached >= 0",
            name="flight_log_figures",
        ),
    )

    flight_id: str = Field(primary_key=True, max_length=36)
    registration: str = Field(
        foreign_key="vehicle.registration", ondelete="RESTRICT", index=True, max_length=40
    )
    flight_date: date = Field(index=True)
    pilot: str = Field(max_length=200)
    pilot_licence_no: str | None = Field(default=None, max_length=100)
    purpose: str = Field(max_length=30)
    result: str = Field(index=True, max_length=20)
    route: str = Field(default="", max_length=2000)
    permissions: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    takeoff_lat: float | None = None
    takeoff_lon: float | None = None
    takeoff_address: str | None = Field(default=None, max_length=500)
    takeoff_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    landing_lat: float | None = None
    landing_lon: float | None = None
    landing_address: str | None = Field(default=None, max_length=500)
    landing_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    flight_time_s: float
    total_flight_time_s: float | None = None
    anomalies: list[dict[str, str]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    inspection_id: str | None = Field(
        default=None, foreign_key="inspection.id", ondelete="RESTRICT", max_length=36
    )
    mission_name: str | None = Field(default=None, max_length=500)
    mission_sha256: str | None = Field(default=None, max_length=64)
    system_id: int | None = None
    area_sprayed_ha: float | None = None
    distance_m: float
    max_altitude_m: float | None = None
    battery_used_pct: float | None = None
    battery_used_mah: float | None = None
    tank_used_l: float | None = None
    items_reached: int
    items_total: int
    created_at: datetime = Field(sa_column=_utc())
    updated_at: datetime = Field(sa_column=_utc())
