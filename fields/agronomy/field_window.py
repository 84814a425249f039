"""The pixels of an index raster over one field, and how much of each the field covers.

Zones and maps look at one field at a time, so only the window of whole pixels around the
field is read, whatever the size of the image. Which pixels belong to the field is not a
yes/no at the edge: a pixel the outline cuts is covered in part, and exactextract gives that
share exactly. A pixel counts as *inside* when at least half of it lies in the field, as
*touched* when any of it does.

Geometries go between the raster's CRS and WGS84 through rasterio (GDAL), the raster side of
the rule that only ``fields.crs`` imports pyproj. Rasters must be north up (no rotation), as
drone orthomosaics and satellite tiles are.
"""

import math
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
import rasterio
import shapely
from affine import Affine
from exactextract import exact_extract
from exactextract.feature import JSONFeatureSource
from exactextract.raster import NumPyRasterSource
from rasterio.crs import CRS
from rasterio.errors import RasterioError
from rasterio.warp import Resampling, transform_geom
from rasterio.warp import reproject as warp
from rasterio.windows import Window
from shapely import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from fields.agronomy.errors import BadRaster, FieldOutsideImage
from fields.agronomy.model import FieldShape

__all__ = ["FieldWindow", "exactextract_inputs", "polygonal", "read_field_window", "reproject"]

_DATE_TAGS = ("ACQUISITION_DATE", "IMAGE_DATE", "DATE", "TIFFTAG_DATETIME")
_DATE = re.compile(r"(\d{4})[-:](\d{2})[-:](\d{2})")

_Floats: TypeAlias = npt.NDArray[np.float64]


@dataclass(frozen=True, kw_only=True, slots=True, eq=False)
class FieldWindow:
    """The pixels of a single-band raster around one field, in the raster's own CRS."""

    values: _Floats
    """The band as float64, NaN where masked (nodata, NaN, ±inf)."""
    coverage: _Floats
    """Share of each pixel's area inside the field, 0 to 1."""
    transform: Affine
    """Pixel to raster CRS of the window, north up."""
    crs: CRS
    field_geometry: Polygon | MultiPolygon
    """The field outline in the raster CRS."""
    image_date: str | None = None
    """ISO date from the file's tags, when it has one."""

    def __post_init__(self) -> None:
        if self.values.shape != self.coverage.shape:
            raise ValueError(f"values {self.values.shape} and coverage {self.coverage.shape}")

    @property
    def touched(self) -> npt.NDArray[np.bool_]:
        """Pixels any part of which lies in the field."""
        return self.coverage > 0

    @property
    def inside(self) -> npt.NDArray[np.bool_]:
        """Pixels at least half in the field; the touched ones for a field under half a pixel."""
        inside = self.coverage >= 0.5
        return inside if inside.any() else self.touched

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(left, bottom, right, top) of the window in the raster CRS."""
        height, width = self.values.shape
        t = self.transform
        return t.c, t.f + t.e * height, t.c + t.a * width, t.f

    def resampled(self, transform: Affine, crs: CRS, shape: tuple[int, int]) -> _Floats:
        """The values on another grid (``shape`` pixels of ``transform`` in ``crs``), each
        taking the nearest pixel's value; NaN where the window has none."""
        grid = np.full(shape, np.nan)
        warp(
            self.values, grid, src_transform=self.transform, src_crs=self.crs,
            dst_transform=transform, dst_crs=crs, resampling=Resampling.nearest,
            src_nodata=np.nan, dst_nodata=np.nan,
        )  # fmt: skip
        return grid


def read_field_window(index_raster: Path, field: FieldShape) -> FieldWindow:
    """Read the pixels of a single-band raster around a field, and how much of each it covers.

    Parameters
    ----------
    index_raster
        A single-band GeoTIFF, north up, in any CRS; NaN or the declared nodata is masked.
    field
        The field outline, WGS84.

    Returns
    -------
    FieldWindow
        The smallest window of whole pixels holding the field's part of the image.

    Raises
    ------
    BadRaster
        The file cannot be read, has more than one band, or is not georeferenced north up.
    FieldOutsideImage
        The field does not overlap the image, or every pixel over it is masked.
    """
    with _raster_errors(index_raster), rasterio.open(index_raster) as ds:
        _check_raster(ds, index_raster)
        field_geometry = polygonal(reproject(field.geometry, "EPSG:4326", ds.crs))
        window = _window_over(ds, field_geometry.bounds)
        if window is None:
            raise FieldOutsideImage(f"field {field.id} lies outside {index_raster}")
        data = ds.read(1, window=window, masked=True)
        t = ds.transform
        transform = Affine(
            t.a, 0.0, t.c + window.col_off * t.a, 0.0, t.e, t.f + window.row_off * t.e
        )
        crs, tags = ds.crs, ds.tags()
    values = np.ma.filled(np.ma.asarray(data, dtype=np.float64), np.nan)
    values[~np.isfinite(values)] = np.nan
    shell = FieldWindow(
        values=values,
        coverage=np.zeros_like(values),
        transform=transform,
        crs=crs,
        field_geometry=field_geometry,
        image_date=_image_date(tags),
    )
    coverage = _coverage(shell)
    if not np.isfinite(values[coverage > 0]).any():
        raise FieldOutsideImage(f"field {field.id}: no valid pixel over it in {index_raster}")
    return FieldWindow(
        values=values,
        coverage=coverage,
        transform=transform,
        crs=crs,
        field_geometry=field_geometry,
        image_date=shell.image_date,
    )


def reproject(geom: BaseGeometry, src: CRS | str, dst: CRS | str) -> BaseGeometry:
    """Move a geometry between CRSs (vertices only), with rasterio's GDAL transform."""
    return shapely.geometry.shape(transform_geom(src, dst, shapely.geometry.mapping(geom)))


def polygonal(geom: BaseGeometry) -> Polygon | MultiPolygon:
    """The valid polygonal part of ``geom``: a Polygon if in one piece, else a MultiPolygon.

    Raises
    ------
    ValueError
        ``geom`` has no polygonal part.
    """
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    parts: list[Polygon] = []
    for part in shapely.get_parts(geom):
        if isinstance(part, Polygon) and not part.is_empty:
            parts.append(part)
        elif isinstance(part, MultiPolygon):
            parts.extend(part.geoms)
    if not parts:
        raise ValueError(f"no polygonal part in a {geom.geom_type}")
    return parts[0] if len(parts) == 1 else MultiPolygon(parts)


def exactextract_inputs(
    window: FieldWindow, values: npt.NDArray[Any], geoms: Sequence[BaseGeometry]
) -> tuple[NumPyRasterSource, JSONFeatureSource]:
    """An exactextract raster of ``values`` on the window's grid, and ``geoms`` (raster CRS)
    as its features, ids 0..n-1, both tagged with the window's CRS."""
    wkt = window.crs.to_wkt()
    raster = NumPyRasterSource(values, *window.bounds, srs_wkt=wkt)
    features = JSONFeatureSource(
        [
            {"id": i, "type": "Feature", "properties": {}, "geometry": shapely.geometry.mapping(g)}
            for i, g in enumerate(geoms)
        ],
        srs_wkt=wkt,
    )
    return raster, features


def _coverage(window: FieldWindow) -> _Floats:
    ones = np.ones_like(window.values)
    raster, features = exactextract_inputs(window, ones, [window.field_geometry])
    (row,) = exact_extract(raster, features, ["cell_id", "coverage"])
    coverage = np.zeros(ones.size)
    coverage[np.asarray(row["properties"]["cell_id"], dtype=np.int64)] = row["properties"][
        "coverage"
    ]
    return coverage.reshape(ones.shape)


@contextmanager
def _raster_errors(path: Path) -> Iterator[None]:
    try:
        yield
    except RasterioError as exc:
        raise BadRaster(f"{path}: {exc}") from exc


def _check_raster(ds: Any, path: Path) -> None:
    if ds.count != 1:
        raise BadRaster(f"{path}: {ds.count} bands; an index raster has one")
    if ds.crs is None:
        raise BadRaster(f"{path}: no coordinate reference system")
    t = ds.transform
    if t.b != 0 or t.d != 0 or t.a <= 0 or t.e >= 0:
        raise BadRaster(f"{path}: not georeferenced north up (transform {tuple(t)[:6]})")


def _window_over(ds: Any, bounds: tuple[float, float, float, float]) -> Window | None:
    left, bottom, right, top = bounds
    t = ds.transform
    col0, col1 = math.floor((left - t.c) / t.a), math.ceil((right - t.c) / t.a)
    row0, row1 = math.floor((top - t.f) / t.e), math.ceil((bottom - t.f) / t.e)
    col0, row0 = max(col0, 0), max(row0, 0)
    col1, row1 = min(col1, ds.width), min(row1, ds.height)
    if col1 <= col0 or row1 <= row0:
        return None
    return Window(col0, row0, col1 - col0, row1 - row0)


def _image_date(tags: dict[str, str]) -> str | None:
    """ISO date of the image from the usual GeoTIFF tags, if one is there."""
    for key in _DATE_TAGS:
        found = _DATE.match(tags.get(key, ""))
        if found:
            return "-".join(found.groups())
    return None
