"""Management zones as GeoJSON: what ``tanbo agronomy zones`` writes and ``prescribe`` reads.

One FeatureCollection per field, WGS84, a feature per zone with its statistics::

    {"type": "FeatureCollection", "index": "NDVI", "image_date": "2026-07-20",
     "features": [{"type": "Feature", "geometry": {...},
                   "properties": {"field_id": "B001", "zone": 1, "area_m2": 1520.5,
                                  "mean": 0.61, "median": 0.62, ...}}]}

Reading accepts several fields in one file (the zones of each are grouped by ``field_id``).
"""

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import shapely
from shapely import MultiPolygon, Polygon

from fields.agronomy.errors import BadPrescription
from fields.agronomy.model import IndexStats, ManagementZone, ZoneMap

__all__ = ["read_zone_maps", "write_zone_map", "zone_map_document"]

_STATS = ("pixels", "valid_fraction", "mean", "median", "std", "min", "max")
_PERCENTILES = ("p10", "p25", "p75", "p90")


def _number(value: float) -> float | None:
    return None if math.isnan(value) else round(value, 6)


def zone_map_document(zone_map: ZoneMap) -> dict[str, Any]:
    """The GeoJSON FeatureCollection of one field's zones."""
    features = []
    for zone in zone_map.zones:
        stats = {name: _number(getattr(zone.stats, name)) for name in _STATS + _PERCENTILES}
        features.append(
            {
                "type": "Feature",
                "geometry": shapely.geometry.mapping(zone.geometry),
                "properties": {
                    "field_id": zone_map.field_id,
                    "zone": zone.zone,
                    "index": zone_map.index,
                    "area_m2": round(zone.area_m2, 2),
                    **stats,
                },
            }
        )
    return {
        "type": "FeatureCollection",
        "index": zone_map.index,
        "image_date": zone_map.image_date,
        "features": features,
    }


def write_zone_map(zone_map: ZoneMap, path: Path) -> Path:
    """Write one field's zones as GeoJSON to ``path`` and return it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(zone_map_document(zone_map), ensure_ascii=False, allow_nan=False)
    path.write_text(text, encoding="utf-8")
    return path


def _stats(props: Mapping[str, Any], where: str) -> IndexStats:
    values: dict[str, float] = {}
    for name in _STATS + _PERCENTILES:
        raw = props.get(name)
        try:
            values[name] = math.nan if raw is None else float(raw)
        except (TypeError, ValueError) as exc:
            raise BadPrescription(f"{where}: {name} = {raw!r} is not a number") from exc
    return IndexStats(**values)


def read_zone_maps(path: Path) -> list[ZoneMap]:
    """Read the zone maps ``write_zone_map`` wrote (one or several fields per file).

    Raises
    ------
    BadPrescription
        The file is not a zones GeoJSON: not JSON, no features, a feature without
        ``field_id``/``zone``/``mean``, or a geometry that is not a polygon.
    """
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        features = document["features"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BadPrescription(f"{path.name}: not a zones GeoJSON ({exc})") from exc
    index = str(document.get("index") or "NDVI")
    image_date = document.get("image_date")
    grouped: dict[str, list[ManagementZone]] = {}
    for number, feature in enumerate(features, start=1):
        where = f"{path.name} feature {number}"
        props = feature.get("properties") or {}
        if any(props.get(name) is None for name in ("field_id", "zone", "area_m2", "mean")):
            raise BadPrescription(f"{where}: needs field_id, zone, area_m2 and mean properties")
        try:
            geometry = shapely.geometry.shape(feature["geometry"])
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise BadPrescription(f"{where}: unreadable geometry") from exc
        if not isinstance(geometry, Polygon | MultiPolygon) or geometry.is_empty:
            raise BadPrescription(f"{where}: a zone must be a polygon, not {geometry.geom_type}")
        try:
            zone = ManagementZone(
                zone=int(props["zone"]),
                geometry=geometry,
                area_m2=float(props["area_m2"]),
                stats=_stats(props, where),
            )
        except (TypeError, ValueError) as exc:
            raise BadPrescription(f"{where}: {exc}") from exc
        grouped.setdefault(str(props["field_id"]), []).append(zone)
    if not grouped:
        raise BadPrescription(f"{path.name}: no zones in the file")
    try:  # ZoneMap checks the zones are numbered 1..n
        return [
            ZoneMap(
                field_id=field_id,
                index=index,
                zones=tuple(sorted(zones, key=lambda z: z.zone)),
                image_date=str(image_date) if image_date else None,
            )
            for field_id, zones in grouped.items()
        ]
    except ValueError as exc:
        raise BadPrescription(f"{path.name}: {exc}") from exc
