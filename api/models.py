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

__all__ = ["FieldRow", "ZoneRow", "field_record", "field_row", "zone_record", "zone_row"]


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
