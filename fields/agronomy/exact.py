"""What exactextract sees of each outline on a raster band, in bounded memory.

Why exact coverage: a 30 × 60 m paddy holds 18 Sentinel-2 pixels and about half of them
straddle its edge. Counting a pixel wholly in or out by its centre (rasterstats, a plain
rasterize) swings a small field's mean by the value of a few border pixels, and which ones
depends on where the field falls on the grid. exactextract weighs each pixel by the share
of its area inside the polygon, so every figure here is coverage-weighted.

Why feature-sequential: exactextract then reads, for one outline at a time, the window of
the raster under it, so memory holds one outline's pixels (at most ``_MAX_CELLS_IN_MEMORY``
per read; larger outlines are read in parts) whatever the size of the image or the number
of outlines. Its raster-sequential mode reads each chunk of the image once but keeps every
outline's pixel values until the end, so its memory grows with the fields' number and size:
on the benchmark (10,000 paddies on a Sentinel-2 tile, ``bench/agronomy.py``) it was 15 %
faster and peaked at 410 MB against 290 MB. The cost of feature-sequential, decompressing a
block again for each outline over it, is removed by handing the outlines over in the order
of the raster blocks under them (block row, then block column): a block is then decompressed
about once while it stays in GDAL's block cache. In the order given, the same run took eight
times as long. The cache is capped at ``_GDAL_CACHE_BYTES``, a few rows of blocks, which is all this
order needs; GDAL's default (5 % of RAM) would let a whole tile pile up on a large machine.

Why per-pixel values: exactextract hands over each outline's pixel values and covered shares,
and ``fields.agronomy.weighted`` computes every figure from them, as it does for management
zones. exactextract's own ``median`` and ``quantile`` operations interpolate between the
distinct values with no regard to how much area each has (396 pixels of 0.8 and 4 of 0.4 get
a median of 0.6, not 0.8). Each outline's arrays are reduced to its figures as soon as
exactextract finishes it (``_StatsWriter``), so they never pile up across outlines.

Outlines arrive in WGS84 and are reprojected vertex by vertex to the raster's CRS with
``rasterio.warp`` when it is not WGS84; at field sizes the edges' curvature is negligible.
"""

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import rasterio
import shapely
from exactextract import exact_extract
from exactextract.feature import Feature, FeatureSource, JSONFeature
from exactextract.operation import Operation
from exactextract.raster import RasterioRasterSource
from exactextract.writer import JSONWriter
from rasterio.crs import CRS
from rasterio.errors import RasterioError
from rasterio.io import DatasetReader
from rasterio.warp import transform
from shapely.geometry.base import BaseGeometry

from fields.agronomy.errors import BadRaster, BandProblem
from fields.agronomy.model import IndexStats
from fields.agronomy.weighted import weighted_index_stats

__all__ = ["Coverage", "measure", "open_band"]

_WGS84 = CRS.from_epsg(4326)
_GDAL_CACHE_BYTES = 64 * 1024 * 1024
_MAX_CELLS_IN_MEMORY = 4_000_000  # 16 MB of float32 per read
_Floats = npt.NDArray[np.float64]
_Objects = npt.NDArray[np.object_]


@dataclass(frozen=True, kw_only=True, slots=True)
class Coverage:
    """What one outline covers on a raster band, in pixels of that raster."""

    placed: bool
    """False when the outline is empty, invalid, not polygonal, or cannot be reprojected."""
    pixels: float = 0.0
    """The outline's area, off-image parts included."""
    covered: float = 0.0
    """Coverage of the image's pixels, masked or not."""
    stats: IndexStats | None = None
    """None when no valid pixel is covered."""


@contextmanager
def open_band(raster: Path, band: int) -> Iterator[DatasetReader]:
    """Open a georeferenced, north-up raster and check the band exists.

    Raises
    ------
    BadRaster
        The file cannot be opened, has no CRS, or its grid is not north-up.
    BandProblem
        ``band`` is not between 1 and the file's band count.
    """
    try:
        ds = rasterio.open(raster)
    except RasterioError as exc:
        raise BadRaster(f"{raster}: cannot be read as a raster ({exc})") from exc
    with ds:
        if ds.crs is None:
            raise BadRaster(f"{raster}: no coordinate reference system")
        if ds.transform.b != 0 or ds.transform.d != 0 or ds.transform.e >= 0:
            raise BadRaster(f"{raster}: only north-up grids are supported (no rotation)")
        if not 1 <= band <= ds.count:
            raise BandProblem(f"{raster}: no band {band} (the file has {ds.count})")
        yield ds


def measure(ds: DatasetReader, band: int, outlines: Sequence[BaseGeometry]) -> list[Coverage]:
    """Coverage-weighted statistics of one band over each WGS84 outline, in the order given.

    Parameters
    ----------
    ds
        The raster, open (``open_band``).
    band
        The band to read, from 1.
    outlines
        Polygons or multipolygons in WGS84 lon/lat; anything else comes back not placed.

    Returns
    -------
    list[Coverage]
        One per outline, in pixels of the raster: the outline's area, its coverage of
        the image, and its statistics when it covers at least part of a valid pixel.

    Raises
    ------
    BadRaster
        Reading the pixels failed part way (a corrupt block, a vanished file).
    """
    geoms = np.empty(len(outlines), dtype=object)
    geoms[:] = outlines
    placed = np.zeros(len(geoms), dtype=bool)
    usable = np.flatnonzero(~shapely.is_empty(geoms) & shapely.is_valid(geoms) & _polygonal(geoms))
    projected = _project(geoms[usable], ds.crs)
    ok = np.isfinite(shapely.bounds(projected)).all(axis=1)
    usable, projected = usable[ok], projected[ok]
    placed[usable] = True
    pixels = np.zeros(len(geoms))
    pixels[usable] = shapely.area(projected) / abs(ds.transform.a * ds.transform.e)
    left, bottom, right, top = ds.bounds
    xmin, ymin, xmax, ymax = shapely.bounds(projected).T
    near = (xmin < right) & (xmax > left) & (ymin < top) & (ymax > bottom)
    order = _block_order(ds, band, projected[near])
    found = _extract(ds, band, usable[near][order], projected[near][order], pixels)
    return [
        found[i] if i in found else Coverage(placed=bool(placed[i]), pixels=float(pixels[i]))
        for i in range(len(geoms))
    ]


def _polygonal(geoms: _Objects) -> npt.NDArray[np.bool_]:
    kinds = shapely.get_type_id(geoms)
    return np.isin(kinds, [shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON])


def _project(geoms: _Objects, crs: CRS) -> _Objects:
    """The outlines in ``crs``; an empty polygon where one cannot be transformed."""
    if crs == _WGS84 or len(geoms) == 0:
        return geoms
    try:
        return _transformed(geoms, crs)
    except Exception:  # rasterio raises GDAL's CPLE_* classes, which it does not export
        pass
    one_by_one = [_transformed_or_empty(np.array([g], dtype=object), crs) for g in geoms]
    return np.concatenate(one_by_one)  # find the culprit, keep the others


def _transformed(geoms: _Objects, crs: CRS) -> _Objects:
    coords = shapely.get_coordinates(geoms)
    xs, ys = transform(_WGS84, crs, coords[:, 0], coords[:, 1])
    moved: _Objects = shapely.set_coordinates(geoms.copy(), np.column_stack([xs, ys]))
    return moved


def _transformed_or_empty(geoms: _Objects, crs: CRS) -> _Objects:
    try:
        return _transformed(geoms, crs)
    except Exception:  # as above: one outline's failure must not stop the others
        return np.array([shapely.Polygon()], dtype=object)  # bounds NaN: not placed


def _block_order(ds: DatasetReader, band: int, geoms: _Objects) -> npt.NDArray[np.intp]:
    """Indices sorting the outlines by the raster block under their centroid."""
    block_h, block_w = ds.block_shapes[band - 1]
    x, y = shapely.get_coordinates(shapely.centroid(geoms)).T
    inverse = ~ds.transform
    cols = inverse.a * x + inverse.b * y + inverse.c
    rows = inverse.d * x + inverse.e * y + inverse.f
    return np.lexsort((cols, cols // block_w, rows // block_h))


def _extract(
    ds: DatasetReader, band: int, indices: npt.NDArray[np.intp], geoms: _Objects, pixels: _Floats
) -> dict[int, Coverage]:
    """One exactextract pass, in the order given: each outline's coverage by its index."""
    if len(geoms) == 0:
        return {}
    source = RasterioRasterSource(ds, band)
    ops = [
        Operation("count", "covered", source, None, {"default_value": 0}),
        Operation("values", "values", source, None),
        Operation("coverage", "coverage", source, None),
    ]
    features = _WkbFeatures(indices.tolist(), shapely.to_wkb(geoms).tolist(), ds.crs.to_wkt())
    writer = _StatsWriter(pixels)
    try:
        with rasterio.Env(GDAL_CACHEMAX=_GDAL_CACHE_BYTES):
            exact_extract(
                source, features, ops, include_cols=["id"], strategy="feature-sequential",
                max_cells_in_memory=_MAX_CELLS_IN_MEMORY, output=writer,
            )  # fmt: skip
    except (RasterioError, RuntimeError) as exc:
        raise BadRaster(f"{ds.name}: failed while reading pixels ({exc})") from exc
    return writer.coverages


class _StatsWriter(JSONWriter):  # type: ignore[misc]  # exactextract ships no type hints
    """Reduces each outline's pixel values and covered shares to its statistics as soon as
    exactextract hands them over, so only one outline's pixels are held at a time."""

    def __init__(self, pixels: _Floats) -> None:
        super().__init__()
        self._pixels = pixels
        self.coverages: dict[int, Coverage] = {}

    def write(self, feature: Feature) -> None:
        row = JSONFeature()
        feature.copy_to(row)
        index, figures = int(row.feature["id"]), row.feature["properties"]
        pixels = float(self._pixels[index])
        stats = weighted_index_stats(figures["values"], figures["coverage"], pixels=pixels)
        self.coverages[index] = Coverage(
            placed=True,
            pixels=pixels,
            covered=float(figures["covered"]),
            stats=stats if not math.isnan(stats.mean) else None,  # no valid pixel covered
        )


class _WkbFeatures(FeatureSource):  # type: ignore[misc]  # exactextract ships no type hints
    """Outlines handed to exactextract as WKB, ids being their index in the caller's list."""

    def __init__(self, ids: list[int], wkbs: list[bytes], srs_wkt: str) -> None:
        super().__init__()
        self._ids, self._wkbs, self._srs_wkt = ids, wkbs, srs_wkt

    def count(self) -> int:
        return len(self._ids)

    def __iter__(self) -> Iterator[Feature]:
        for fid, wkb in zip(self._ids, self._wkbs, strict=True):
            yield _WkbFeature(fid, wkb)

    def srs_wkt(self) -> str:
        return self._srs_wkt


class _WkbFeature(Feature):  # type: ignore[misc]  # as above
    def __init__(self, fid: int, wkb: bytes) -> None:
        Feature.__init__(self)
        self._fid, self._wkb = fid, wkb

    def get(self, name: str) -> int:
        return self._fid

    def geometry(self) -> bytes:
        return self._wkb

    def fields(self) -> list[str]:
        return ["id"]
