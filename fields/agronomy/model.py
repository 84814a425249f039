"""The values the agronomy modules pass each other: field outlines, index statistics, zones.

Geometries are WGS84 longitude/latitude, as everywhere outside a planner; areas are
measured in the field's local metric CRS (``fields.crs``).
"""

import math
from dataclasses import dataclass

from shapely import MultiPolygon, Polygon

__all__ = ["FieldShape", "IndexStats", "ManagementZone", "ZoneMap"]


@dataclass(frozen=True, kw_only=True, slots=True)
class FieldShape:
    """A field outline to measure an image over: its id and its WGS84 polygon."""

    id: str
    geometry: Polygon | MultiPolygon

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("a field needs an id")
        if self.geometry.is_empty:
            raise ValueError(f"field {self.id}: empty geometry")


@dataclass(frozen=True, kw_only=True, slots=True)
class IndexStats:
    """Statistics of an index over an area, pixels weighted by the share of them inside it.

    ``pixels`` is the covered pixel count (fractional at the boundary), ``valid_fraction``
    the share of that coverage whose pixels were not masked (nodata, cloud, shadow).
    The other figures are over the valid pixels only, and NaN when there are none.
    """

    pixels: float
    valid_fraction: float
    mean: float
    median: float
    std: float
    min: float
    max: float
    p10: float
    p25: float
    p75: float
    p90: float

    def __post_init__(self) -> None:
        if self.pixels < 0 or not 0.0 <= self.valid_fraction <= 1.0:
            raise ValueError(f"pixels {self.pixels}, valid_fraction {self.valid_fraction}")

    @property
    def has_data(self) -> bool:
        """Whether any valid pixel lay in the area."""
        return self.valid_fraction > 0 and not math.isnan(self.mean)


@dataclass(frozen=True, kw_only=True, slots=True)
class ManagementZone:
    """One management zone of a field: zone 1 has the lowest index, the last the highest."""

    zone: int
    geometry: Polygon | MultiPolygon
    area_m2: float
    stats: IndexStats

    def __post_init__(self) -> None:
        if self.zone < 1 or self.area_m2 <= 0:
            raise ValueError(f"zone {self.zone}: area {self.area_m2} m²")


@dataclass(frozen=True, kw_only=True, slots=True)
class ZoneMap:
    """The management zones of one field, from one index on one image date."""

    field_id: str
    index: str
    zones: tuple[ManagementZone, ...]
    image_date: str | None = None
    """ISO date of the image, when known."""

    def __post_init__(self) -> None:
        numbers = [z.zone for z in self.zones]
        if numbers != list(range(1, len(numbers) + 1)):
            raise ValueError(f"field {self.field_id}: zones must be numbered 1..n, got {numbers}")
