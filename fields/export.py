"""Writing fields and zones to files others open: GeoJSON, GeoPackage, FlatGeobuf, GeoParquet, KML.

Tanbo's own columns come first (``id``, ``owner``, ``name``, ``area_ha`` …), then
the attributes the field came with, so an exported file imports back as the same
fields, and a MAFF file keeps its ministry columns.
"""

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import pyogrio

from fields.errors import UnsupportedFormat
from fields.model import FieldRecord, ZoneRecord

__all__ = ["WRITE_FORMATS", "field_rows", "write_fields", "write_zones"]

WRITE_FORMATS: dict[str, str] = {
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".gpkg": "GPKG",
    ".fgb": "FlatGeobuf",
    ".parquet": "GeoParquet",
    ".kml": "LIBKML",
}
"""Extensions Tanbo writes, and the GDAL driver (or GeoParquet) behind each."""


def field_rows(fields: Sequence[FieldRecord]) -> list[dict[str, Any]]:
    """One attribute row per field: Tanbo's columns, then the original attributes."""
    rows = []
    for f in fields:
        own: dict[str, Any] = {
            "id": f.id,
            "owner": f.owner,
            "name": f.name,
            "crop": f.crop,
            "variety": f.variety,
            "transplanted_on": f.transplanted_on.isoformat() if f.transplanted_on else None,
            "land_use": f.land_use.value if f.land_use else None,
            "municipality_code": f.municipality_code,
            "area_ha": round(f.area_m2 / 10_000.0, 6),
            "perimeter_m": round(f.perimeter_m, 3),
        }
        rows.append(own | {k: v for k, v in f.properties.items() if k not in own})
    return rows


def _zone_rows(zones: Sequence[ZoneRecord]) -> list[dict[str, Any]]:
    rows = []
    for z in zones:
        own: dict[str, Any] = {
            "id": z.id,
            "kind": z.kind.value,
            "restriction": z.restriction.value,
            "name": z.name,
            "buffer_m": z.buffer_m,
        }
        rows.append(own | {k: v for k, v in z.properties.items() if k not in own})
    return rows


def _write(path: Path, rows: list[dict[str, Any]], geometries: list[Any]) -> None:
    suffix = path.suffix.lower()
    if suffix not in WRITE_FORMATS:
        known = ", ".join(sorted(WRITE_FORMATS))
        raise UnsupportedFormat(f"{path.name}: cannot write {suffix or '(none)'}; use {known}")
    frame = gpd.GeoDataFrame(rows, geometry=geometries, crs="EPSG:4326")
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".parquet":
        frame.to_parquet(path)
        return
    if path.exists():
        path.unlink()
    driver = WRITE_FORMATS[suffix]
    # GDAL would turn JSON-looking text (MAFF's `history`) into JSON; keep attributes as they were.
    options = {"AUTODETECT_JSON_STRINGS": "NO"} if driver == "GeoJSON" else {}
    pyogrio.write_dataframe(frame, path, driver=driver, layer_options=options)


def write_fields(path: Path, fields: Sequence[FieldRecord]) -> None:
    """Write fields in WGS84 to ``path``, the format chosen by its extension.

    Raises
    ------
    UnsupportedFormat
        The extension is not one of :data:`WRITE_FORMATS`.
    """
    _write(path, field_rows(fields), [f.geometry for f in fields])


def write_zones(path: Path, zones: Sequence[ZoneRecord]) -> None:
    """Write zones in WGS84 to ``path``, the format chosen by its extension."""
    _write(path, _zone_rows(zones), [z.geometry for z in zones])
