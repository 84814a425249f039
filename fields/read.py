"""Reading features from files, in whatever format and CRS they come.

GeoJSON, GeoPackage, Shapefile (also zipped), FlatGeobuf, KML/KMZ through
GDAL (pyogrio), GeoParquet through pyarrow. Every layer of a multi-layer file is
read. Coordinates are kept as written (for the lat/lon swap check) and also
brought to WGS84; attributes are kept as plain JSON values.
"""

import contextlib
import math
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path, PurePosixPath
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
from pyogrio.errors import DataLayerError, DataSourceError, FieldError, GeometryError
from shapely.geometry.base import BaseGeometry

from fields.errors import NoCoordinateSystem, UnreadableFile, UnsupportedFormat
from fields.sniff import check_content, skip_unneeded_drivers

__all__ = ["FORMATS", "SourceFeature", "SourceFile", "read_features"]

skip_unneeded_drivers()

FORMATS: dict[str, str] = {
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".gpkg": "GeoPackage",
    ".shp": "Shapefile",
    ".zip": "Shapefile (zipped)",
    ".fgb": "FlatGeobuf",
    ".parquet": "GeoParquet",
    ".geoparquet": "GeoParquet",
    ".kml": "KML",
    ".kmz": "KML (zipped)",
}
"""File extensions Tanbo reads, and the format each names."""

# Geographic CRSs that differ from WGS84 by centimetres: coordinates are taken as they are.
_WGS84_LIKE = {"EPSG:4326", "OGC:CRS84", "EPSG:6668", "EPSG:4612", "EPSG:4979", "EPSG:4269"}


@dataclass(frozen=True, kw_only=True, slots=True)
class SourceFeature:
    """One feature as read: its place in the file, its geometry and attributes."""

    index: int
    layer: str | None
    raw_geometry: BaseGeometry | None
    geometry: BaseGeometry | None
    properties: dict[str, Any]

    def label(self, id_value: str | None = None) -> str:
        """How reports name this feature: its id if it has one, else its position."""
        where = f"#{self.index}" if self.layer is None else f"{self.layer}#{self.index}"
        return f"{id_value} ({where})" if id_value else f"feature {where}"


@dataclass(frozen=True, kw_only=True, slots=True)
class SourceFile:
    """Everything read from one file."""

    path: Path
    format: str
    crs: str
    crs_is_geographic: bool
    features: tuple[SourceFeature, ...]
    notes: tuple[str, ...] = ()


@contextlib.contextmanager
def _translating_errors(path: Path) -> Iterator[None]:
    try:
        yield
    except (
        DataSourceError,
        DataLayerError,
        FieldError,
        GeometryError,
        ValueError,
        OSError,
        zipfile.BadZipFile,
    ) as exc:
        kind = FORMATS.get(path.suffix.lower(), "a vector file")
        raise UnreadableFile(f"{path.name}: cannot be read as {kind} ({_gist(exc, path)})") from exc


def _gist(exc: BaseException, path: Path) -> str:
    """The first sentence of a library's message, without the path or GDAL's advice on drivers."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    text = text.replace(f"'{path}' ", "").replace(f"{path}: ", "")
    return text.split(";")[0].split(". ")[0].rstrip(".")


def read_features(path: Path, *, layer: str | None = None) -> SourceFile:
    """Read every feature of a vector file.

    Parameters
    ----------
    path
        A file in one of :data:`FORMATS`.
    layer
        Only this layer of a multi-layer file (GeoPackage, KML); default all.

    Raises
    ------
    UnsupportedFormat
        The extension is not one Tanbo reads.
    UnreadableFile
        The file is missing, empty of layers, or not valid for its format.
    NoCoordinateSystem
        No CRS is declared and the coordinates are not in degrees.
    """
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        known = ", ".join(sorted(FORMATS))
        raise UnsupportedFormat(f"{path.name}: unknown file type {suffix or '(none)'}; use {known}")
    if not path.exists():
        raise UnreadableFile(f"{path}: no such file")
    check_content(path)
    notes: list[str] = []
    with _translating_errors(path):
        frames = _read_frames(path, suffix, layer)
        if not frames:
            raise UnreadableFile(f"{path.name}: no layer with features")
        crs = frames[0][1].crs
        for name, frame in frames[1:]:
            if frame.crs != crs:
                frames = [(n, f.to_crs(crs) if f.crs is not None else f) for n, f in frames]
                notes.append(f"layers in different CRSs; layer {name} reprojected")
                break
    raw = pd.concat([f.assign(_layer=n) for n, f in frames], ignore_index=True)
    raw_gdf = gpd.GeoDataFrame(raw, geometry=frames[0][1].geometry.name, crs=crs)
    if raw_gdf.crs is None:
        raw_gdf = _assume_wgs84(path, raw_gdf)
        notes.append("no CRS declared; coordinates read as WGS84 longitude/latitude")
    crs_id = raw_gdf.crs.to_string()
    geographic = bool(raw_gdf.crs.is_geographic)
    if crs_id in _WGS84_LIKE:
        wgs84 = raw_gdf.geometry
    else:
        with np.errstate(invalid="ignore"):
            wgs84 = raw_gdf.geometry.to_crs("EPSG:4326")
    layers = list(raw_gdf["_layer"])
    multi_layer = len(frames) > 1
    # A feature's number counts within its own layer.
    numbers = raw_gdf.groupby("_layer", sort=False, dropna=False).cumcount().tolist()
    features = tuple(
        SourceFeature(
            index=numbers[i],
            layer=layers[i] if multi_layer else None,
            raw_geometry=_geometry_or_none(raw_geom),
            geometry=_geometry_or_none(geom),
            properties=props,
        )
        for i, (raw_geom, geom, props) in enumerate(
            zip(raw_gdf.geometry, wgs84, _records(raw_gdf), strict=True)
        )
    )
    return SourceFile(
        path=path,
        format=FORMATS[suffix],
        crs=crs_id,
        crs_is_geographic=geographic,
        features=features,
        notes=tuple(notes),
    )


def _read_frames(
    path: Path, suffix: str, layer: str | None
) -> list[tuple[str | None, gpd.GeoDataFrame]]:
    if suffix in (".parquet", ".geoparquet"):
        return [(None, gpd.read_parquet(path))]
    if suffix == ".zip":
        return _read_zipped_shapefiles(path, layer)
    if layer is not None:
        return [(layer, pyogrio.read_dataframe(path, layer=layer))]
    names = [str(row[0]) for row in pyogrio.list_layers(path)]
    frames: list[tuple[str | None, gpd.GeoDataFrame]] = [
        (name, pyogrio.read_dataframe(path, layer=name)) for name in names
    ]
    frames = [(n, f) for n, f in frames if len(f)]
    if len(names) == 1 and frames:
        return [(None, frames[0][1])]
    return frames


def _read_zipped_shapefiles(
    path: Path, layer: str | None
) -> list[tuple[str | None, gpd.GeoDataFrame]]:
    """Every Shapefile in a zip, at its root or in folders (as zipping a folder makes)."""
    with zipfile.ZipFile(path) as archive:
        members = [
            m
            for m in archive.namelist()
            if m.lower().endswith(".shp") and not m.startswith("__MACOSX/")
        ]
    if layer is not None:
        members = [m for m in members if PurePosixPath(m).stem == layer]
    if not members:
        raise UnreadableFile(f"{path.name}: no Shapefile (.shp) in the zip")
    frames: list[tuple[str | None, gpd.GeoDataFrame]] = [
        (PurePosixPath(m).stem, pyogrio.read_dataframe(f"/vsizip/{path.resolve()}/{m}"))
        for m in members
    ]
    frames = [(n, f) for n, f in frames if len(f)]
    if len(members) == 1 and frames:
        return [(None, frames[0][1])]
    return frames


def _assume_wgs84(path: Path, gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    minx, miny, maxx, maxy = gdf.total_bounds
    if all(math.isfinite(v) for v in (minx, miny, maxx, maxy)) and (
        minx >= -180 and maxx <= 180 and miny >= -180 and maxy <= 180
    ):
        return gdf.set_crs("EPSG:4326")
    raise NoCoordinateSystem(
        f"{path.name}: no CRS declared and the coordinates (up to {max(abs(maxx), abs(maxy)):.0f}) "
        "are not degrees; add a .prj or convert to EPSG:4326"
    )


def _geometry_or_none(geom: Any) -> BaseGeometry | None:
    if geom is None or (isinstance(geom, float) and math.isnan(geom)):
        return None
    return geom if isinstance(geom, BaseGeometry) else None


def _records(gdf: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    columns = [c for c in gdf.columns if c not in (gdf.geometry.name, "_layer")]
    return [
        {c: v for c, v in zip(columns, (_plain(x) for x in row), strict=True) if v is not None}
        for row in gdf[columns].itertuples(index=False, name=None)
    ]


def _plain(value: Any) -> Any:
    """A JSON-able Python value for a cell (numpy scalars, NaN, timestamps)."""
    if value is None:
        return None
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, pd.Timestamp | datetime):
        return None if pd.isna(value) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, bytes):
        return value.hex()
    return value
