"""Fields and zones as values: what the registry stores and the planners read.

Geometry is WGS84 lon/lat (shapely); areas and lengths were measured in the
field's local metric CRS (:mod:`fields.crs`) when the value was made.
"""

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from shapely.geometry.base import BaseGeometry

from core.ids import FieldId, OwnerName, ZoneId

__all__ = ["FieldRecord", "LandUse", "Restriction", "ZoneKind", "ZoneRecord"]


class LandUse(StrEnum):
    """What the land is used for (MAFF ``land_type``: 100 paddy, 200 upland)."""

    PADDY = "paddy"
    UPLAND = "upland"
    ORCHARD = "orchard"
    PASTURE = "pasture"
    OTHER = "other"


class ZoneKind(StrEnum):
    """What a zone protects or is: each kind has a default buffer and restriction."""

    HOUSE = "house"
    SCHOOL = "school"
    HOSPITAL = "hospital"
    WATER = "water"
    BEEHIVE = "beehive"
    ORGANIC_FIELD = "organic_field"
    ROAD = "road"
    POWER_LINE = "power_line"
    AIRPORT = "airport"
    DID = "did"


class Restriction(StrEnum):
    """What a zone forbids: spraying over it, or flying into it at all."""

    NO_SPRAY = "no_spray"
    NO_FLY = "no_fly"


@dataclass(frozen=True, kw_only=True, slots=True)
class FieldRecord:
    """A registered field."""

    id: FieldId
    owner: OwnerName
    name: str
    geometry: BaseGeometry
    area_m2: float
    perimeter_m: float
    local_crs_epsg: int
    crop: str | None = None
    variety: str | None = None
    transplanted_on: date | None = None
    land_use: LandUse | None = None
    municipality_code: str | None = None
    source: str | None = None
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True, slots=True)
class ZoneRecord:
    """A no-spray or no-fly zone; ``buffer_m`` None means the kind's default."""

    id: ZoneId
    kind: ZoneKind
    restriction: Restriction
    name: str
    geometry: BaseGeometry
    buffer_m: float | None = None
    source: str | None = None
    properties: dict[str, Any] = field(default_factory=dict)
