"""Points on the earth and in a local metric plane.

``GeoPoint`` is WGS84 in degrees, validated on construction; CLI flags and MAVLink
use lat/lon order, GeoJSON and shapely lon/lat: the names say which is which.

>>> GeoPoint.parse("34.9283,134.8414")
GeoPoint(lat_deg=34.9283, lon_deg=134.8414)
>>> GeoPoint(lat_deg=95.0, lon_deg=0.0)
Traceback (most recent call last):
...
ValueError: latitude 95.0 is outside -90..90
"""

import math
from dataclasses import dataclass

EARTH_RADIUS_M = 6_371_008.8
"""The mean earth radius (IUGG), for great-circle distances."""

__all__ = ["GeoPoint", "LocalPoint"]


@dataclass(frozen=True, kw_only=True, slots=True)
class GeoPoint:
    """A WGS84 position in degrees."""

    lat_deg: float
    lon_deg: float

    def __post_init__(self) -> None:
        if not -90.0 <= self.lat_deg <= 90.0:
            raise ValueError(f"latitude {self.lat_deg} is outside -90..90")
        if not -180.0 <= self.lon_deg <= 180.0:
            raise ValueError(f"longitude {self.lon_deg} is outside -180..180")

    @classmethod
    def parse(cls, text: str) -> "GeoPoint":
        """Read ``"LAT,LON"`` as written on a command line."""
        parts = text.replace(" ", "").split(",")
        if len(parts) != 2:
            raise ValueError(f"expected LAT,LON, got {text!r}")
        try:
            lat, lon = (float(p) for p in parts)
        except ValueError as exc:
            raise ValueError(f"expected LAT,LON in degrees, got {text!r}") from exc
        return cls(lat_deg=lat, lon_deg=lon)

    def distance_m(self, other: "GeoPoint") -> float:
        """Great-circle distance to ``other`` in metres (a sphere: within 0.5 %).

        >>> round(GeoPoint(lat_deg=35.0, lon_deg=135.0).distance_m(
        ...     GeoPoint(lat_deg=35.001, lon_deg=135.0)), 1)
        111.2
        """
        lat1, lat2 = math.radians(self.lat_deg), math.radians(other.lat_deg)
        dlon = math.radians(other.lon_deg - self.lon_deg)
        h = (
            math.sin((lat2 - lat1) / 2) ** 2
            + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
        )
        return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


@dataclass(frozen=True, kw_only=True, slots=True)
class LocalPoint:
    """A position in a local metric CRS: metres east and north of its origin."""

    x_m: float
    y_m: float
