"""A prescription as a GeoTIFF rate grid, the form most drone and spreader software loads.

One float32 band, the product rate per cell (kg/ha or L/ha), ``NODATA`` outside the
field; a cell takes the rate of the zone its centre lies in. The grid is in metres so
cells are square on the ground: by default in WGS 84 / UTM (EPSG:326xx north, 327xx
south), which every drone app knows, or in the field's local plane from ``fields.crs``
(a JGD2011 平面直角座標系 zone in Japan). Its origin is snapped to whole cells, so two
grids of one field line up. Tags carry the unit, product, field and index.

Read back, cells of equal rate become one polygon each (``rasterio.features.shapes``).
"""

import math
from pathlib import Path
from typing import Any, Literal

import numpy as np
import rasterio
import rasterio.features
import rasterio.warp
import shapely
from affine import Affine
from rasterio.crs import CRS
from rasterio.errors import RasterioError
from shapely import MultiPolygon, Polygon
from shapely.geometry import shape

from fields.agronomy.errors import BadPrescription
from fields.agronomy.prescription import Prescription
from fields.agronomy.rate_map import RateMap, RateZone, normal_unit
from fields.crs import LocalCrs, local_crs_for, to_local
from fields.errors import UnreadableFile

__all__ = ["NODATA", "GridCrs", "grid_crs_for", "read_rate_grid", "write_rate_grid"]

GridCrs = Literal["utm", "local"]
"""Which metric CRS a rate grid is written in."""

NODATA = -9999.0
"""Cells outside the field; negative, so software that ignores nodata cannot apply it."""

_RATE_DIGITS = 4
"""A float32 rate read back is rounded to this many decimals (83.3, not 83.30000305)."""


def grid_crs_for(p: Prescription, grid_crs: GridCrs) -> LocalCrs:
    """The CRS a grid of ``p`` is written in: the UTM zone of its centre, or the local plane."""
    centre = shapely.union_all([z.geometry for z in p.zones]).centroid
    if grid_crs == "local":
        return local_crs_for(centre.x, centre.y)
    zone = min(int((centre.x + 180.0) // 6.0) + 1, 60)
    north = centre.y >= 0
    return LocalCrs(
        epsg=(32600 if north else 32700) + zone,
        name=f"WGS 84 / UTM zone {zone}{'N' if north else 'S'}",
    )


def write_rate_grid(
    p: Prescription, path: Path, *, cell_m: float = 2.0, grid_crs: GridCrs = "utm"
) -> LocalCrs:
    """Write ``p`` as a single-band float32 GeoTIFF of product rates.

    Parameters
    ----------
    p
        The prescription.
    path
        The ``.tif`` to write (replaced if it exists).
    cell_m
        Cell size in metres.
    grid_crs
        ``"utm"`` (WGS 84 / UTM zone of the field) or ``"local"`` (``fields.crs``).

    Returns
    -------
    LocalCrs
        The CRS the grid was written in.

    Raises
    ------
    BadPrescription
        ``cell_m`` is not positive, or so coarse that no cell centre falls in a zone.
    """
    if not (math.isfinite(cell_m) and cell_m > 0):
        raise BadPrescription(f"field {p.field_id}: cell size {cell_m} m must be positive")
    crs = grid_crs_for(p, grid_crs)
    shapes = [(to_local(z.geometry, crs), z.rate) for z in p.zones]
    minx, miny, maxx, maxy = shapely.union_all([g for g, _ in shapes]).bounds
    west, south = math.floor(minx / cell_m) * cell_m, math.floor(miny / cell_m) * cell_m
    width = max(1, math.ceil((maxx - west) / cell_m))
    height = max(1, math.ceil((maxy - south) / cell_m))
    # Built directly: rasterio's from_origin multiplies Affines, which affine now deprecates.
    transform = Affine(cell_m, 0.0, west, 0.0, -cell_m, south + height * cell_m)
    rates = rasterio.features.rasterize(
        shapes, out_shape=(height, width), transform=transform, fill=NODATA, dtype="float32"
    )
    if not (rates != NODATA).any():
        raise BadPrescription(
            f"field {p.field_id}: no {cell_m:g} m cell has its centre in a zone; use smaller cells"
        )
    profile: dict[str, Any] = {
        "driver": "GTiff",
        "width": width,
        "height": height,
        "count": 1,
        "dtype": "float32",
        "crs": CRS.from_epsg(crs.epsg),
        "transform": transform,
        "nodata": NODATA,
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(rates, 1)
        dst.update_tags(
            field_id=p.field_id,
            unit=p.unit,
            product=p.product.name,
            index=p.index,
            image_date=p.image_date or "",
            software="Tanbo",
        )
        dst.set_band_description(1, f"rate {p.unit}")
        dst.units = (p.unit,)
    return crs


def read_rate_grid(path: Path, *, unit: str | None = None, product: str | None = None) -> RateMap:
    """Read a rate GeoTIFF back as polygons, one zone per distinct rate (lowest first).

    NaN cells count as nodata, like the declared nodata value; the unit and product come
    from the tags Tanbo writes, or from the arguments for other grids.

    Raises
    ------
    UnreadableFile
        The file is not a raster GDAL opens.
    BadPrescription
        No CRS, a negative or infinite rate (the cell is named), no rate cell at all, or
        a unit other than the file's.
    """
    try:
        with rasterio.open(path) as src:
            if src.crs is None:
                raise BadPrescription(f"{path.name}: no CRS, so the rates cannot be placed")
            band = src.read(1, masked=True)
            tags = src.tags()
            crs, transform = src.crs, src.transform
    except RasterioError as exc:
        raise UnreadableFile(f"{path.name}: cannot be read as a GeoTIFF ({exc})") from exc
    values = np.ma.filled(band.astype("float64"), np.nan)
    valid = ~np.isnan(values)
    _check_cells(path, values, valid)
    values = np.round(np.where(valid, values, 0.0), _RATE_DIGITS)
    zones = tuple(
        RateZone(label=str(number), geometry=geom, rate=rate, field_id=tags.get("field_id"))
        for number, (rate, geom) in enumerate(_polygons(values, valid, transform, crs), 1)
    )
    if not zones:
        raise BadPrescription(f"{path.name}: every cell is nodata")
    return RateMap(
        source=path.name,
        rate_column="band 1",
        unit=_grid_unit(path, tags.get("unit"), unit),
        product=product or tags.get("product") or None,
        field_ids=(tags["field_id"],) if tags.get("field_id") else (),
        zones=zones,
    )


def _check_cells(path: Path, values: np.ndarray[Any, Any], valid: np.ndarray[Any, Any]) -> None:
    bad = valid & (~np.isfinite(values) | (values < 0))
    if bad.any():
        row, col = (int(i) for i in np.argwhere(bad)[0])
        raise BadPrescription(
            f"{path.name}: cell row {row}, column {col} has rate {values[row, col]} "
            f"({int(bad.sum())} such cells)"
        )


def _polygons(
    values: np.ndarray[Any, Any], valid: np.ndarray[Any, Any], transform: Any, crs: Any
) -> list[tuple[float, Polygon | MultiPolygon]]:
    parts: dict[float, list[Any]] = {}
    for geojson, value in rasterio.features.shapes(
        values.astype("float32"), mask=valid, transform=transform
    ):
        parts.setdefault(round(float(value), _RATE_DIGITS), []).append(geojson)
    out = []
    for rate in sorted(parts):
        wgs84 = rasterio.warp.transform_geom(crs, "EPSG:4326", parts[rate])
        merged = shapely.union_all([shape(g) for g in wgs84])
        if isinstance(merged, Polygon | MultiPolygon):
            out.append((rate, merged))
    return out


def _grid_unit(path: Path, tagged: str | None, given: str | None) -> str | None:
    stated = normal_unit(tagged, where=f"{path.name}: unit tag") if tagged else None
    if given is None:
        return stated
    wanted = normal_unit(given, where="the unit asked for")
    if stated is not None and stated != wanted:
        raise BadPrescription(f"{path.name}: the grid is in {stated}, not the {wanted} asked for")
    return wanted
