"""The city's districts (大字・地区) and which district a place belongs to.

A districts file is a GeoJSON FeatureCollection in longitude/latitude (RFC 7946) of
polygons, each named by a ``name`` property (or ``S_NAME``, the name column of e-Stat's
小地域 boundaries); features of one name are one district. A field belongs to the district
containing its centroid, a flight to the district of its take-off, a delivery to the
district of its drop point. Without a file, fields are grouped by their municipality code
and what has no field (a delivery, a flight of no known mission) is ``unknown``.

>>> square = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}
>>> districts = read_districts({"type": "FeatureCollection", "features": [
...     {"type": "Feature", "properties": {"name": "北条"}, "geometry": square}]})
>>> districts.at(lon_deg=0.5, lat_deg=0.5), districts.at(lon_deg=2.0, lat_deg=0.5)
('北条', None)
>>> DistrictMap().of_field(lon_deg=0.5, lat_deg=0.5, municipality_code="282201")
'282201'
"""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry

from api.errors import ConfigError

__all__ = [
    "NAME_PROPERTIES",
    "UNKNOWN",
    "District",
    "DistrictMap",
    "load_districts",
    "read_districts",
]

UNKNOWN = "unknown"
"""The district of what cannot be placed."""

NAME_PROPERTIES = ("name", "S_NAME")
"""Where a district's name is looked for in its feature's properties, in this order."""


@dataclass(frozen=True, kw_only=True, slots=True)
class District:
    """A named district and its area (lon/lat)."""

    name: str
    geometry: BaseGeometry


@dataclass(frozen=True, kw_only=True, slots=True)
class DistrictMap:
    """The city's districts (none: group by municipality code), with a lookup by point."""

    districts: tuple[District, ...] = ()
    source: str = ""
    """Where they came from (the file's name), for the answers that cite it."""
    _tree: shapely.STRtree | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.districts:
            tree = shapely.STRtree([d.geometry for d in self.districts])
            object.__setattr__(self, "_tree", tree)

    @property
    def names(self) -> tuple[str, ...]:
        """The districts' names, in the file's order."""
        return tuple(d.name for d in self.districts)

    def at(self, *, lon_deg: float, lat_deg: float) -> str | None:
        """The district containing a point (the first in the file's order), if any."""
        if self._tree is None:
            return None
        point = shapely.Point(lon_deg, lat_deg)
        hits = self._tree.query(point, predicate="intersects")
        return self.districts[int(min(hits))].name if len(hits) else None

    def of_point(self, point: tuple[float, float] | None) -> str:
        """The district of a ``(lon, lat)`` place; ``unknown`` without districts or outside."""
        if point is None:
            return UNKNOWN
        return self.at(lon_deg=point[0], lat_deg=point[1]) or UNKNOWN

    def of_field(self, *, lon_deg: float, lat_deg: float, municipality_code: str | None) -> str:
        """The district of a field by its centroid; without districts, its municipality."""
        if self._tree is None:
            return municipality_code or UNKNOWN
        return self.at(lon_deg=lon_deg, lat_deg=lat_deg) or UNKNOWN

    def geometry_of(self, name: str) -> BaseGeometry | None:
        """A district's area, if it is one of the file's."""
        return next((d.geometry for d in self.districts if d.name == name), None)


def _name(properties: Mapping[str, Any] | None, number: int) -> str:
    for key in NAME_PROPERTIES:
        value = (properties or {}).get(key)
        if isinstance(value, str | int) and str(value).strip():
            return str(value).strip()
    names = " or ".join(NAME_PROPERTIES)
    raise ConfigError(f"districts file: feature #{number} has no {names} property")


def read_districts(collection: Mapping[str, Any], *, source: str = "") -> DistrictMap:
    """The districts of a GeoJSON FeatureCollection (lon/lat polygons, named).

    Raises
    ------
    ConfigError
        Not a FeatureCollection of named polygons in longitude/latitude.
    """
    if collection.get("type") != "FeatureCollection":
        raise ConfigError("districts file: not a GeoJSON FeatureCollection")
    parts: dict[str, list[BaseGeometry]] = {}
    features: Sequence[Any] = collection.get("features") or []
    for number, feature in enumerate(features):
        name = _name(feature.get("properties"), number)
        try:
            geometry = shapely.geometry.shape(feature.get("geometry"))
        except (AttributeError, TypeError, ValueError, shapely.errors.GEOSException) as exc:
            raise ConfigError(f"districts file: district {name}: {exc}") from exc
        if geometry.geom_type not in ("Polygon", "MultiPolygon") or geometry.is_empty:
            raise ConfigError(f"districts file: district {name} is a {geometry.geom_type}")
        min_x, min_y, max_x, max_y = geometry.bounds
        if not (-180 <= min_x <= max_x <= 180 and -90 <= min_y <= max_y <= 90):
            raise ConfigError(f"districts file: district {name} is not in longitude/latitude")
        parts.setdefault(name, []).append(shapely.make_valid(geometry))
    if not parts:
        raise ConfigError("districts file: no districts")
    districts = tuple(
        District(name=name, geometry=shapely.union_all(pieces)) for name, pieces in parts.items()
    )
    return DistrictMap(districts=districts, source=source)


def load_districts(path: Path | None) -> DistrictMap:
    """The districts of the file at ``path``; None: no districts (municipality codes).

    Raises
    ------
    ConfigError
        The file cannot be read, or is not a districts file (see :func:`read_districts`).
    """
    if path is None:
        return DistrictMap()
    try:
        collection = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"districts_file {path}: {exc}") from exc
    if not isinstance(collection, dict):
        raise ConfigError(f"districts_file {path}: not a GeoJSON object")
    return read_districts(collection, source=path.name)
