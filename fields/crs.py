"""The local metric CRS: every length and area in Tanbo is computed here.

Geometry is stored and exchanged in WGS84 (lon/lat); for metres it is projected
into a conformal plane close to the field: the JGD2011 plane rectangular zone
(平面直角座標系, EPSG:6669–6687) in Japan, the UTM zone elsewhere. This is the only
module that imports pyproj.

>>> local_crs_for(134.8414, 34.9283).name          # Kasai city, Hyogo
'JGD2011 / Japan Plane Rectangular CS V'
>>> local_crs_for(141.26, 43.04, municipality_code="011011").epsg   # Sapporo: zone XII
6680
>>> local_crs_for(73.1, 26.3).name                  # Rajasthan, India
'WGS 84 / UTM zone 43N'
"""

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt
import shapely
from pyproj import CRS, Geod, Transformer
from shapely.geometry.base import BaseGeometry

__all__ = [
    "LocalCrs",
    "area_m2",
    "geodesic_area_m2",
    "local_crs_for",
    "perimeter_m",
    "to_local",
    "to_wgs84",
]

_JGD2011_ZONE_I_EPSG = 6669  # zones I..XIX are EPSG:6669..6687
# Prefecture (first two digits of a 全国地方公共団体コード) -> the plane zones it uses.
# Split prefectures list every zone; the one with the nearest origin is taken.
_PREFECTURE_ZONES: dict[int, tuple[int, ...]] = {
    1: (11, 12, 13),
    **dict.fromkeys((2, 3, 4, 5, 6), (10,)),
    **dict.fromkeys((7, 8, 9, 10, 11, 12, 14), (9,)),
    13: (9, 14, 18, 19),
    **dict.fromkeys((15, 19, 20, 22), (8,)),
    **dict.fromkeys((16, 17, 21, 23), (7,)),
    **dict.fromkeys((18, 24, 25, 26, 27, 29, 30), (6,)),
    **dict.fromkeys((28, 31, 33), (5,)),
    **dict.fromkeys((32, 34, 35), (3,)),
    **dict.fromkeys((36, 37, 38, 39), (4,)),
    **dict.fromkeys((40, 41, 43, 44, 45), (2,)),
    42: (1,),
    46: (2, 1),
    47: (15, 16, 17),
}
# Without a municipality code, these zones cover the four main islands and Okinawa;
# the far islands (XIV, XVIII, XIX) are only chosen from a Tokyo code.
_GEOD = Geod(ellps="WGS84")
_MAINLAND_ZONES = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 15, 16, 17)
_JAPAN_LON = (122.0, 154.0)
_JAPAN_LAT = (20.0, 46.0)


@dataclass(frozen=True, kw_only=True, slots=True)
class LocalCrs:
    """A projected CRS in metres, chosen for a place."""

    epsg: int
    name: str


@cache
def _crs(epsg: int) -> CRS:
    return CRS.from_epsg(epsg)


@cache
def _zone_origin(zone: int) -> tuple[float, float]:
    operation = _crs(_JGD2011_ZONE_I_EPSG + zone - 1).coordinate_operation
    assert operation is not None
    params = {p.name: p.value for p in operation.params}
    return float(params["Longitude of natural origin"]), float(params["Latitude of natural origin"])


def _nearest_zone(lon: float, lat: float, zones: tuple[int, ...]) -> int:
    def distance(zone: int) -> float:
        lon0, lat0 = _zone_origin(zone)
        return math.hypot((lon - lon0) * math.cos(math.radians(lat)), lat - lat0)

    return min(zones, key=distance)


def local_crs_for(lon: float, lat: float, *, municipality_code: str | None = None) -> LocalCrs:
    """Choose the metric CRS for a place.

    Parameters
    ----------
    lon, lat
        A point of the field in WGS84 degrees (its centroid will do).
    municipality_code
        The 6- or 5-digit Japanese local government code (MAFF ``local_government_cd``),
        if known; it fixes the prefecture and so the plane zone exactly.

    Returns
    -------
    LocalCrs
        A JGD2011 plane zone in Japan, otherwise the WGS84 UTM zone.
    """
    zones: tuple[int, ...] | None = None
    if municipality_code and municipality_code[:2].isdigit():
        zones = _PREFECTURE_ZONES.get(int(municipality_code[:2]))
    if zones is None and (
        _JAPAN_LON[0] <= lon <= _JAPAN_LON[1] and _JAPAN_LAT[0] <= lat <= _JAPAN_LAT[1]
    ):
        zones = _MAINLAND_ZONES
    if zones is not None:
        epsg = _JGD2011_ZONE_I_EPSG + _nearest_zone(lon, lat, zones) - 1
    else:
        zone = min(int((lon + 180.0) // 6.0) + 1, 60)
        epsg = (32600 if lat >= 0 else 32700) + zone
    return LocalCrs(epsg=epsg, name=_crs(epsg).name)


@cache
def _transformer(src: int, dst: int) -> Transformer:
    return Transformer.from_crs(_crs(src), _crs(dst), always_xy=True)


def _reproject(geom: BaseGeometry, src: int, dst: int) -> BaseGeometry:
    transform = _transformer(src, dst).transform

    def apply(coords: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        x, y = transform(coords[:, 0], coords[:, 1])
        return np.column_stack((x, y))

    fn: Callable[[npt.NDArray[np.float64]], npt.NDArray[np.float64]] = apply
    return shapely.transform(geom, fn)


def to_local(geom: BaseGeometry, crs: LocalCrs) -> BaseGeometry:
    """Project a WGS84 lon/lat geometry into ``crs`` (metres)."""
    return _reproject(geom, 4326, crs.epsg)


def to_wgs84(geom: BaseGeometry, crs: LocalCrs) -> BaseGeometry:
    """Bring a geometry in ``crs`` metres back to WGS84 lon/lat."""
    return _reproject(geom, crs.epsg, 4326)


def area_m2(geom: BaseGeometry, crs: LocalCrs) -> float:
    """Area in square metres of a WGS84 geometry, measured in ``crs``."""
    return float(to_local(geom, crs).area)


def perimeter_m(geom: BaseGeometry, crs: LocalCrs) -> float:
    """Boundary length in metres (holes included) of a WGS84 geometry, measured in ``crs``."""
    return float(to_local(geom, crs).length)


def geodesic_area_m2(geom: BaseGeometry) -> float:
    """Area on the WGS84 ellipsoid, the reference that planar areas are checked against.

    Rings are oriented first (shell counter-clockwise, holes clockwise), as pyproj
    subtracts a hole only when it runs against its shell.
    """
    area, _ = _GEOD.geometry_area_perimeter(shapely.orient_polygons(geom))
    return abs(float(area))
