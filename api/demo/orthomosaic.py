"""A generated multispectral drone orthomosaic over a demo field, for the agronomy demo.

No package ships a real drone multispectral image of a paddy, so the demo makes one and
says so: five reflectance bands (blue, green, red, red edge, NIR) at 0.5 m, as
OpenDroneMap writes a DJI Mavic 3M / MicaSense orthomosaic (float32 reflectance 0–1,
band descriptions naming the bands, NaN outside the flown area), in the field's UTM zone.

Each pixel mixes a rice canopy and bare wet soil by a vigour between 0 and 1. Vigour is
high over most of the field, with a weak patch (as where a paddy's inlet keeps the water
cold, or where less basal fertiliser landed) and a gentle gradient along the field, plus
pixel noise. The end members are typical published reflectances of green rice canopy and
of wet paddy soil; only the pattern is invented.
"""

import math
from pathlib import Path

import numpy as np
import rasterio
import shapely
from affine import Affine
from rasterio.crs import CRS
from rasterio.warp import transform_geom
from shapely.geometry.base import BaseGeometry

__all__ = ["BANDS", "write_orthomosaic"]

BANDS = ("blue", "green", "red", "rededge", "nir")
"""Band order and descriptions, as OpenDroneMap names a multispectral orthomosaic's bands."""

_CANOPY = np.array([0.03, 0.08, 0.04, 0.26, 0.46], dtype=np.float32)
_SOIL = np.array([0.09, 0.12, 0.15, 0.19, 0.23], dtype=np.float32)


def _utm(lon: float, lat: float) -> CRS:
    zone = math.floor((lon + 180.0) / 6.0) + 1
    return CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


def write_orthomosaic(
    field: BaseGeometry, path: Path, *, gsd_m: float = 0.5, margin_m: float = 10.0, seed: int = 7
) -> Path:
    """Write a five-band reflectance GeoTIFF over ``field`` (WGS84) and return its path.

    Parameters
    ----------
    field
        The field outline, longitude/latitude.
    path
        Where to write the GeoTIFF.
    gsd_m
        Ground sample distance, metres per pixel.
    margin_m
        Ground imaged around the field's bounds, metres.
    seed
        Seed of the pixel noise: the same seed writes the same image.
    """
    centre = field.centroid
    crs = _utm(centre.x, centre.y)
    local = shapely.geometry.shape(transform_geom("EPSG:4326", crs, field.__geo_interface__))
    west, south, east, north = local.bounds
    west, south = west - margin_m, south - margin_m
    east, north = east + margin_m, north + margin_m
    width = math.ceil((east - west) / gsd_m)
    height = math.ceil((north - south) / gsd_m)
    transform = Affine(gsd_m, 0.0, west, 0.0, -gsd_m, north)

    cols, rows = np.meshgrid(np.arange(width), np.arange(height))
    x = (west + (cols + 0.5) * gsd_m - (west + east) / 2) / max(east - west, 1.0)
    y = (north - (rows + 0.5) * gsd_m - (south + north) / 2) / max(north - south, 1.0)
    # A weak patch a third of the way along, a gentle gradient, pixel noise.
    patch = np.exp(-(((x + 0.18) / 0.22) ** 2 + ((y - 0.15) / 0.2) ** 2))
    vigour = 0.92 - 0.45 * patch - 0.12 * (y + 0.5)
    rng = np.random.default_rng(seed)
    vigour = np.clip(vigour + rng.normal(0.0, 0.03, vigour.shape), 0.05, 1.0)
    bands = vigour[None] * _CANOPY[:, None, None] + (1 - vigour[None]) * _SOIL[:, None, None]
    bands += rng.normal(0.0, 0.004, bands.shape)
    bands = np.clip(bands, 0.001, 1.0).astype(np.float32)
    # The flown area is a little larger than the field; outside it there is no data.
    flown = shapely.buffer(local, margin_m * 0.7)
    inside = shapely.contains_xy(flown, west + (cols + 0.5) * gsd_m, north - (rows + 0.5) * gsd_m)
    bands[:, ~inside] = np.nan

    path.parent.mkdir(parents=True, exist_ok=True)
    profile = {
        "driver": "GTiff",
        "width": width,
        "height": height,
        "count": len(BANDS),
        "dtype": "float32",
        "crs": crs,
        "transform": transform,
        "nodata": float("nan"),
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
        "compress": "deflate",
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(bands)
        for index, name in enumerate(BANDS, start=1):
            dst.set_band_description(index, name)
        dst.update_tags(
            TIFFTAG_DATETIME="2026:07:20 10:30:00",
            TIFFTAG_SOFTWARE="Tanbo demo (generated image, not a real survey)",
        )
    return path
