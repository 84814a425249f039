"""Named test shapes near Kasai city hall, in WGS84 lon/lat, reused through parametrize.

Sizes are given in metres and converted with a local flat-earth approximation,
good to well under a percent at these sizes.
"""

import json
import math
from pathlib import Path
from typing import Any

from shapely import LineString, MultiPolygon, Point, Polygon

KASAI = (134.8414, 34.9283)
"""(lon, lat) of Kasai city hall."""

_M_PER_DEG_LAT = 110_940.0
_M_PER_DEG_LON = 111_320.0 * math.cos(math.radians(KASAI[1]))


def at(east_m: float, north_m: float, origin: tuple[float, float] = KASAI) -> tuple[float, float]:
    """The (lon, lat) of a point east_m, north_m metres from origin."""
    return origin[0] + east_m / _M_PER_DEG_LON, origin[1] + north_m / _M_PER_DEG_LAT


def rect(east_m: float, north_m: float, width_m: float, height_m: float) -> Polygon:
    """A rectangle with its south-west corner east_m, north_m from Kasai city hall."""
    return Polygon(
        [
            at(east_m, north_m),
            at(east_m + width_m, north_m),
            at(east_m + width_m, north_m + height_m),
            at(east_m, north_m + height_m),
        ]
    )


def paddy(east_m: float = 0.0, north_m: float = 0.0) -> Polygon:
    """A 30 m × 100 m paddy (3,000 m²)."""
    return rect(east_m, north_m, 30, 100)


def polygon_with_hole() -> Polygon:
    """A 60 m square paddy with a 10 m shed in the middle."""
    return Polygon(rect(0, 0, 60, 60).exterior.coords, [rect(25, 25, 10, 10).exterior.coords])


def bow_tie() -> Polygon:
    """A self-intersecting figure eight, 40 m across: invalid, repairable into two triangles."""
    return Polygon([at(0, 0), at(40, 40), at(40, 0), at(0, 40)])


def spike() -> Polygon:
    """A 40 m square with a zero-width spike sticking out: invalid, repairable."""
    return Polygon([at(0, 0), at(40, 0), at(40, 20), at(70, 20), at(40, 20), at(40, 40), at(0, 40)])


def hole_touching_shell_along_edge() -> Polygon:
    """A hole that shares part of an edge with the shell: invalid, repairable."""
    return Polygon(rect(0, 0, 50, 50).exterior.coords, [rect(0, 10, 10, 10).exterior.coords])


def sliver() -> Polygon:
    """A 100 m × 1 cm strip: valid, 1 m², right at the size floor."""
    return rect(0, 0, 100, 0.01)


def tiny() -> Polygon:
    """A 0.5 m × 0.5 m square (0.25 m²): too small to be a field."""
    return rect(0, 0, 0.5, 0.5)


def two_paddies() -> MultiPolygon:
    """One field in two parts either side of a 2 m ditch."""
    return MultiPolygon([rect(0, 0, 30, 50), rect(32, 0, 30, 50)])


def point() -> Point:
    """A pin, not a boundary."""
    return Point(*KASAI)


def line() -> LineString:
    """A path, not a boundary."""
    return LineString([at(0, 0), at(100, 0)])


def feature_collection(
    features: list[tuple[dict[str, Any], Any]], path: Path, crs: str | None = None
) -> Path:
    """Write (properties, geometry) pairs as a GeoJSON file; geometry None is a null geometry."""
    doc: dict[str, Any] = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": props,
                "geometry": None if geom is None else json.loads(_geojson(geom)),
            }
            for props, geom in features
        ],
    }
    if crs is not None:
        doc["crs"] = {"type": "name", "properties": {"name": crs}}
    path.write_text(json.dumps(doc))
    return path


def _geojson(geom: Any) -> str:
    import shapely

    return str(shapely.to_geojson(geom))
