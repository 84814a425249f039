"""Geometry checks and repair for field and zone boundaries.

Each check returns a verdict instead of raising: a rejected feature is reported
by id with its reason while the rest of the file is imported.

>>> from shapely import Polygon
>>> bow_tie = Polygon([(134.84, 34.92), (134.841, 34.921), (134.841, 34.92), (134.84, 34.921)])
>>> verdict = check_polygon(bow_tie, rules=FIELD_RULES)
>>> verdict.repaired is not None, verdict.geometry.geom_type
(True, 'MultiPolygon')
"""

import math
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from fields.crs import LocalCrs, local_crs_for, to_local

__all__ = [
    "FIELD_RULES",
    "ZONE_RULES",
    "PolygonVerdict",
    "SizeRules",
    "check_polygon",
    "coordinate_problem",
    "swapped",
]

_POLYGONAL = ("Polygon", "MultiPolygon")


@dataclass(frozen=True, kw_only=True, slots=True)
class SizeRules:
    """The plausible size of a boundary; ``None`` leaves that side open."""

    min_area_m2: float | None = 1.0
    max_area_m2: float | None = 1_000.0 * 10_000.0


FIELD_RULES = SizeRules()
"""Fields: at least 1 m², at most 1,000 ha."""

ZONE_RULES = SizeRules(min_area_m2=None, max_area_m2=None)
"""Zones: any size (a beehive's footprint, a whole airport)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class PolygonVerdict:
    """A checked boundary: the geometry to keep, or why it was refused."""

    geometry: BaseGeometry | None = None
    local_crs: LocalCrs | None = None
    area_m2: float = 0.0
    perimeter_m: float = 0.0
    repaired: str | None = None
    rejected: str | None = None


def coordinate_problem(geom: BaseGeometry) -> str | None:
    """Why lon/lat coordinates are impossible, or None when they are in range.

    >>> from shapely import Point
    >>> coordinate_problem(Point(34.92, 134.84))
    'latitude 134.84 out of range (lat/lon swapped? the x values look like latitudes)'
    >>> coordinate_problem(Point(134.84, 34.92)) is None
    True
    """
    coords = shapely.get_coordinates(geom)
    if len(coords) == 0:
        return None
    if not np.isfinite(coords).all():
        return "coordinates out of range (not finite after reprojection)"
    xs, ys = coords[:, 0], coords[:, 1]
    bad_lat = ys[(ys < -90) | (ys > 90)]
    bad_lon = xs[(xs < -180) | (xs > 180)]
    if len(bad_lat):
        if (abs(xs) <= 90).all() and (abs(ys) <= 180).all():
            return (
                f"latitude {float(bad_lat[0]):g} out of range "
                "(lat/lon swapped? the x values look like latitudes)"
            )
        return f"latitude {float(bad_lat[0]):g} out of range -90..90"
    if len(bad_lon):
        return f"longitude {float(bad_lon[0]):g} out of range -180..180"
    return None


def _km_between(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in km between two (lon, lat) points."""
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(h)))


def swapped(
    point: tuple[float, float], expected: tuple[float, float], *, within_km: float = 100.0
) -> bool:
    """Whether a (lon, lat) point is far from where it is expected but near it once swapped.

    >>> swapped((26.30, 73.10), expected=(73.11, 26.31))
    True
    >>> swapped((73.10, 26.30), expected=(73.11, 26.31))
    False
    """
    lon, lat = point
    if abs(lon) > 90:
        return False
    here = _km_between(point, expected)
    there = _km_between((lat, lon), expected)
    return here > within_km and there <= within_km


def _polygonal_part(geom: BaseGeometry) -> BaseGeometry:
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in _POLYGONAL]
    polygons = [q for p in parts for q in shapely.get_parts(p)]
    if not polygons:
        return shapely.Polygon()
    if len(polygons) == 1:
        return polygons[0]
    return shapely.MultiPolygon(polygons)


def check_polygon(
    geom: BaseGeometry | None,
    *,
    rules: SizeRules,
    municipality_code: str | None = None,
) -> PolygonVerdict:
    """Check a WGS84 boundary, repair it if it is invalid, and measure it.

    Parameters
    ----------
    geom
        The boundary in WGS84 lon/lat, as read.
    rules
        The plausible size.
    municipality_code
        Fixes the Japanese plane zone for measuring (see :func:`fields.crs.local_crs_for`).

    Returns
    -------
    PolygonVerdict
        ``rejected`` names the problem; otherwise ``geometry`` is a valid Polygon or
        MultiPolygon, 2-D, exterior rings counter-clockwise, and ``repaired`` says what
        was mended, if anything.
    """
    if geom is None or geom.is_empty:
        return PolygonVerdict(rejected="empty geometry")
    if geom.geom_type not in _POLYGONAL:
        return PolygonVerdict(rejected=f"not a polygon but a {geom.geom_type}")
    problem = coordinate_problem(geom)
    if problem:
        return PolygonVerdict(rejected=problem)
    geom = shapely.force_2d(geom)
    repaired = None
    if not geom.is_valid:
        reason = shapely.is_valid_reason(geom)
        # "structure" keeps holes that touch their shell and rings' intended area;
        # the default "linework" would fill such a hole in.
        geom = _polygonal_part(shapely.make_valid(geom, method="structure", keep_collapsed=False))
        if geom.is_empty:
            return PolygonVerdict(rejected=f"invalid geometry ({reason}) with no area left to keep")
        repaired = f"invalid geometry ({reason}) repaired"
    geom = shapely.orient_polygons(geom)
    centroid = geom.centroid
    crs = local_crs_for(centroid.x, centroid.y, municipality_code=municipality_code)
    local = to_local(geom, crs)
    area = float(local.area)
    if not math.isfinite(area):
        return PolygonVerdict(rejected=f"cannot be measured in {crs.name}: it spans too far")
    if rules.min_area_m2 is not None and area < rules.min_area_m2:
        return PolygonVerdict(
            rejected=f"too small: {area:.3g} m² (the minimum is {rules.min_area_m2:g} m²)"
        )
    if rules.max_area_m2 is not None and area > rules.max_area_m2:
        return PolygonVerdict(
            rejected=f"too large: {area / 10_000:,.0f} ha (the maximum is "
            f"{rules.max_area_m2 / 10_000:,.0f} ha)"
        )
    return PolygonVerdict(
        geometry=geom,
        local_crs=crs,
        area_m2=area,
        perimeter_m=float(local.length),
        repaired=repaired,
    )
