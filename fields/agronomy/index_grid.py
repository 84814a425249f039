"""An index raster over one field as a small longitude/latitude grid, for a web map.

A browser map (MapLibre) lays an image over four corners in longitude/latitude, so the
field's pixels are put on a grid aligned with WGS84, of about the raster's own pixel size
(nearest pixel: values are never invented), at most ``max_px`` pixels a side. Pixels whose
centre is outside the field are NaN, so the map shows the field's pixels and nothing else.
Over a field (hundreds of metres) a grid regular in degrees is regular in Web Mercator to
far under a pixel.
"""

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TypeAlias

import numpy as np
import numpy.typing as npt
import shapely
from affine import Affine
from rasterio.crs import CRS
from rasterio.features import geometry_mask

from fields.agronomy.field_window import read_field_window
from fields.agronomy.field_window import reproject as reproject_geometry
from fields.agronomy.model import FieldShape

__all__ = ["IndexGrid", "index_grid"]

_Floats: TypeAlias = npt.NDArray[np.float64]
_WGS84 = CRS.from_epsg(4326)


@dataclass(frozen=True, kw_only=True, slots=True, eq=False)
class IndexGrid:
    """An index over a field on a WGS84-aligned grid, north row first."""

    values: _Floats
    """NaN outside the field and where the image has no valid pixel."""
    west_deg: float
    south_deg: float
    east_deg: float
    north_deg: float
    pixel_m: float
    """The grid's pixel size on the ground, metres (about the raster's, or coarser)."""

    def __post_init__(self) -> None:
        if self.values.ndim != 2 or 0 in self.values.shape:
            raise ValueError(f"an index grid needs rows and columns, not {self.values.shape}")
        if not (self.west_deg < self.east_deg and self.south_deg < self.north_deg):
            raise ValueError("an index grid's bounds must run west to east, south to north")


def index_grid(index_raster: Path, field: FieldShape, *, max_px: int = 400) -> IndexGrid:
    """The field's pixels of a single-band index raster on a longitude/latitude grid.

    Parameters
    ----------
    index_raster
        A single-band GeoTIFF, north up, in any CRS (as ``write_index_rasters`` writes).
    field
        The field outline, WGS84.
    max_px
        The most pixels along either side; a larger field is sampled more coarsely.

    Returns
    -------
    IndexGrid
        The grid over the field's bounds, NaN outside the field.

    Raises
    ------
    BadRaster
        The file cannot be read or is not a north-up single-band raster.
    FieldOutsideImage
        The field is not on the image, or every pixel over it is masked.
    ValueError
        ``max_px`` is under 1.
    """
    if max_px < 1:
        raise ValueError(f"max_px must be at least 1, not {max_px}")
    window = read_field_window(index_raster, field)
    west, south, east, north = field.geometry.bounds
    # The raster's pixel size on the ground, from its window's area in WGS84 (metres per
    # degree at the field's latitude: a sphere is plenty for sizing pixels).
    box = reproject_geometry(shapely.box(*window.bounds), window.crs, _WGS84)
    lat_m = 111_320.0
    lon_m = lat_m * math.cos(math.radians((south + north) / 2))
    ground = box.area * lat_m * lon_m
    pixel_m = math.sqrt(ground / window.values.size)
    width_m, height_m = (east - west) * lon_m, (north - south) * lat_m
    pixel_m = max(pixel_m, width_m / max_px, height_m / max_px)
    width = max(1, math.ceil(width_m / pixel_m))
    height = max(1, math.ceil(height_m / pixel_m))
    transform = Affine((east - west) / width, 0.0, west, 0.0, -(north - south) / height, north)
    grid = window.resampled(transform, _WGS84, (height, width))
    outside = geometry_mask([field.geometry], out_shape=grid.shape, transform=transform)
    grid[outside] = np.nan
    return IndexGrid(
        values=grid, west_deg=west, south_deg=south, east_deg=east, north_deg=north, pixel_m=pixel_m
    )
