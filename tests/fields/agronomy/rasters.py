"""Generated rasters with known answers, and field outlines over them, for agronomy tests.

Grids are north-up. ``KASAI_UTM53`` is the upper-left corner of a grid in WGS 84 / UTM
zone 53N (EPSG:32653) at Kasai city (134.84 E, 34.93 N); ``kasai_grid(10.0)`` is a 10 m
grid there. Build transforms with :func:`grid` (or ``Affine(...)`` directly): rasterio's
``from_origin`` multiplies affines with ``*``, which affine 3 deprecates, and the tests
run with warnings as errors.

The real Sentinel-2 sample shipped with spyndex (300 × 300 px at 10 m, B02 B03 B04 B08 as
L2A digital numbers, no georeference) is :func:`spyndex_sentinel_dn`.
"""

import json
from collections.abc import Sequence
from importlib.resources import files
from pathlib import Path

import numpy as np
import numpy.typing as npt
import rasterio
from affine import Affine
from rasterio.enums import ColorInterp
from shapely import Polygon, box

from fields.agronomy.model import FieldShape
from fields.crs import LocalCrs, to_wgs84

__all__ = [
    "KASAI_UTM53",
    "S2_PRODUCT",
    "UTM53",
    "field_over",
    "grid",
    "kasai_grid",
    "spyndex_sentinel_dn",
    "write_raster",
    "write_safe",
]

UTM53 = "EPSG:32653"
KASAI_UTM53 = (485_380.0, 3_865_300.0)
"""(easting, northing) in UTM 53N of a point in Kasai (134.84 E, 34.93 N), to 10 m."""


def grid(pixel: float, origin: tuple[float, float]) -> Affine:
    """A north-up transform: square pixels of ``pixel`` CRS units, upper-left at ``origin``."""
    return Affine(pixel, 0.0, origin[0], 0.0, -pixel, origin[1])


def kasai_grid(pixel_m: float = 10.0) -> Affine:
    """A north-up UTM 53N grid of ``pixel_m`` metres with its corner in Kasai."""
    return grid(pixel_m, KASAI_UTM53)


def write_raster(
    path: Path,
    arrays: npt.ArrayLike,
    *,
    crs: str | None = UTM53,
    transform: Affine | None = None,
    nodata: float | None = None,
    descriptions: Sequence[str] | None = None,
    tags: dict[str, str] | None = None,
    alpha: npt.ArrayLike | None = None,
    driver: str = "GTiff",
) -> Path:
    """Write ``arrays`` (one 2-D array, or bands × rows × cols) as a raster at ``path``.

    The dtype is the arrays'; ``alpha`` (0 = outside) is appended as an alpha band;
    ``driver="JP2OpenJPEG"`` writes lossless JPEG 2000, as Sentinel-2 products are.
    """
    data = np.asarray(arrays)
    if data.ndim == 2:
        data = data[np.newaxis]
    if alpha is not None:
        data = np.concatenate([data, np.asarray(alpha, dtype=data.dtype)[np.newaxis]])
    count, height, width = data.shape
    options = {"QUALITY": "100", "REVERSIBLE": "YES"} if driver == "JP2OpenJPEG" else {}
    with rasterio.open(
        path,
        "w",
        driver=driver,
        width=width,
        height=height,
        count=count,
        dtype=data.dtype.name,
        crs=crs,
        transform=transform if transform is not None else kasai_grid(),
        nodata=nodata,
        **options,
    ) as dst:
        if alpha is not None:
            dst.colorinterp = [ColorInterp.gray] * (count - 1) + [ColorInterp.alpha]
        dst.write(data)
        for i, text in enumerate(descriptions or (), start=1):
            dst.set_band_description(i, text)
        if tags:
            dst.update_tags(**tags)
    return path


def field_over(
    transform: Affine, *, rows: tuple[int, int], cols: tuple[int, int], epsg: int = 32653
) -> tuple[Polygon, FieldShape]:
    """A rectangular field covering pixel ``rows`` × ``cols`` (end exclusive) of a grid.

    Returns
    -------
    tuple
        The field in the grid's CRS, and as a WGS84 ``FieldShape`` (for a projected grid).
    """
    x0, y0 = transform @ (cols[0], rows[0])
    x1, y1 = transform @ (cols[1], rows[1])
    local = box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
    wgs84 = to_wgs84(local, LocalCrs(epsg=epsg, name=f"EPSG:{epsg}"))
    assert isinstance(wgs84, Polygon)
    return local, FieldShape(id="test-field", geometry=wgs84)


def spyndex_sentinel_dn() -> dict[str, npt.NDArray[np.uint16]]:
    """spyndex's real Sentinel-2 L2A sample: band name -> 300 × 300 digital numbers."""
    text = (files("spyndex.data") / "S2_10m.json").read_text(encoding="utf-8")
    cube = np.asarray(json.loads(text), dtype=np.uint16)
    return dict(zip(("B02", "B03", "B04", "B08"), cube, strict=True))


S2_PRODUCT = "S2B_MSIL2A_20240715T015659_N0510_R060_T53SNU_20240715T041152.SAFE"
"""A Sentinel-2 L2A product name of processing baseline 05.10, sensed 15 July 2024."""

_MTD = """<?xml version="1.0" encoding="UTF-8"?>
<n1:Level-2A_User_Product xmlns:n1="https://psd-14.sentinel2.eo.esa.int/PSD/User_Product_Level-2A.xsd">
  <n1:General_Info>
    <Product_Info>
      <PRODUCT_START_TIME>2024-07-15T01:56:59.024Z</PRODUCT_START_TIME>
      <PROCESSING_BASELINE>05.10</PROCESSING_BASELINE>
    </Product_Info>
    <Product_Image_Characteristics>
      <QUANTIFICATION_VALUES_LIST>
        <BOA_QUANTIFICATION_VALUE unit="none">10000</BOA_QUANTIFICATION_VALUE>
      </QUANTIFICATION_VALUES_LIST>
      <BOA_ADD_OFFSET_VALUES_LIST>
{offsets}
      </BOA_ADD_OFFSET_VALUES_LIST>
    </Product_Image_Characteristics>
  </n1:General_Info>
</n1:Level-2A_User_Product>
"""


def write_safe(
    folder: Path,
    bands: dict[str, tuple[int, npt.NDArray[np.uint16]]],
    *,
    offset_dn: int | None = -1000,
    product: str = S2_PRODUCT,
) -> Path:
    """Write a minimal L2A ``.SAFE`` product: JPEG 2000 band files and ``MTD_MSIL2A.xml``.

    ``bands`` maps a band name ("B04", "SCL") to its resolution in metres and its digital
    numbers; every band covers the same ground from :data:`KASAI_UTM53`. ``offset_dn``
    None writes metadata without BOA_ADD_OFFSET (baselines before 04.00).
    """
    root = folder / product
    tile, sensed = product.split("_")[5], product.split("_")[2]
    img_data = root / "GRANULE" / f"L2A_{tile}_A046000_{sensed}" / "IMG_DATA"
    for name, (res_m, data) in bands.items():
        (img_data / f"R{res_m}m").mkdir(parents=True, exist_ok=True)
        path = img_data / f"R{res_m}m" / f"{tile}_{sensed}_{name}_{res_m}m.jp2"
        write_raster(path, data, transform=kasai_grid(res_m), driver="JP2OpenJPEG")
    offsets = (
        ""
        if offset_dn is None
        else "\n".join(
            f'<BOA_ADD_OFFSET band_id="{i}">{offset_dn}</BOA_ADD_OFFSET>' for i in range(13)
        )
    )
    (root / "MTD_MSIL2A.xml").write_text(_MTD.format(offsets=offsets), encoding="utf-8")
    return root
