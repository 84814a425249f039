"""Vegetation indices from reflectance bands, with formulas from the spyndex catalogue.

The formulas are those of the Awesome Spectral Indices catalogue (the ``spyndex``
package), evaluated on numpy arrays. Tanbo's names, the catalogue's, and the formulas:

======  =========  ==========================================  ============================
Tanbo   catalogue  formula                                     reference
======  =========  ==========================================  ============================
NDVI    NDVI       (N-R)/(N+R)                                 Rouse et al. 1974 [1]_
NDRE    NDREI      (N-RE1)/(N+RE1)                             Gitelson & Merzlyak 1994 [2]_
GNDVI   GNDVI      (N-G)/(N+G)                                 Gitelson et al. 1996 [3]_
SAVI    SAVI       (1.0+L)*(N-R)/(N+R+L), L = 0.5              Huete 1988 [4]_
OSAVI   OSAVI      (N-R)/(N+R+0.16)                            Rondeaux et al. 1996 [5]_
MSAVI2  MSAVI      0.5*(2.0*N+1-(((2*N+1)**2)-8*(N-R))**0.5)   Qi et al. 1994 [6]_
======  =========  ==========================================  ============================

.. [1] https://ntrs.nasa.gov/citations/19740022614
.. [2] https://doi.org/10.1016/1011-1344(93)06963-4
.. [3] https://doi.org/10.1016/S0034-4257(96)00072-7
.. [4] https://doi.org/10.1016/0034-4257(88)90106-X
.. [5] https://doi.org/10.1016/0034-4257(95)00186-7
.. [6] https://doi.org/10.1016/0034-4257(94)90134-1

``N`` is near infrared, ``R`` red, ``G`` green, ``RE1`` the first red-edge band (Sentinel-2
B05, the drone cameras' single red edge). SAVI's soil factor L is 0.5, Huete's value for
intermediate vegetation cover (the catalogue's default of 1 is for very sparse cover).

A pixel is masked in the result when any band it needs is masked, or the result is not
finite (a zero denominator, a negative root). Index rasters are written window by
window, so memory follows the window size, never the image size; they are float32
GeoTIFFs, tiled 256 × 256 and deflate-compressed, with **NaN as nodata** (declared as
the band's nodata) so that a reader that ignores nodata still cannot average a fill value
into a field's mean.
"""

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import CodeType, MappingProxyType

import numpy as np
import numpy.typing as npt
import rasterio
import spyndex
from affine import Affine
from rasterio.windows import Window

from fields.agronomy.bands import SYMBOLS
from fields.agronomy.errors import AgronomyError, BandProblem
from fields.agronomy.imagefiles import translating_errors
from fields.agronomy.rasters import Bounds, Image, split_window, window_for_bounds
from fields.agronomy.reading import ImageReader, Masked

__all__ = [
    "INDEX_NAMES",
    "IndexInfo",
    "bands_for",
    "compute_index",
    "index_info",
    "write_index_rasters",
]

INDEX_NAMES = ("NDVI", "NDRE", "GNDVI", "SAVI", "OSAVI", "MSAVI2")
"""The indices Tanbo computes."""

_CATALOGUE_NAMES = {"NDRE": "NDREI", "MSAVI2": "MSAVI"}
_CONSTANTS: dict[str, dict[str, float]] = {"SAVI": {"L": 0.5}}
_BLOCK = 256
_GDAL_CACHE_BYTES = 256 * 2**20
"""GDAL's block cache while writing, the bound on memory beside the window arrays (rasterio
takes GDAL_CACHEMAX in bytes: a small number starves the cache and every read decodes again)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class IndexInfo:
    """One index as the catalogue gives it: formula, bands, constants, reference."""

    name: str
    catalogue_name: str
    long_name: str
    formula: str
    bands: tuple[str, ...]
    constants: Mapping[str, float]
    reference: str
    code: CodeType

    def formula_text(self) -> str:
        """The formula with its constants, as written into index rasters."""
        given = ", ".join(f"{k} = {v:g}" for k, v in self.constants.items())
        return f"{self.formula}, {given}" if given else self.formula


def _info(name: str) -> IndexInfo:
    catalogue = _CATALOGUE_NAMES.get(name, name)
    entry = spyndex.indices[catalogue]
    constants = _CONSTANTS.get(name, {})
    return IndexInfo(
        name=name,
        catalogue_name=catalogue,
        long_name=str(entry.long_name),
        formula=str(entry.formula),
        bands=tuple(b for b in entry.bands if b not in constants),
        constants=MappingProxyType(constants),
        reference=str(entry.reference),
        code=compile(str(entry.formula), f"<spyndex {catalogue}>", "eval"),
    )


_INDICES: Mapping[str, IndexInfo] = MappingProxyType({n: _info(n) for n in INDEX_NAMES})


def index_info(name: str) -> IndexInfo:
    """The catalogue entry of one of :data:`INDEX_NAMES` (any case).

    Raises
    ------
    AgronomyError
        Tanbo does not compute an index of that name.
    """
    info = _INDICES.get(name.strip().upper())
    if info is None:
        raise AgronomyError(f"unknown index {name!r}; Tanbo computes {', '.join(INDEX_NAMES)}")
    return info


def bands_for(name: str) -> tuple[str, ...]:
    """The band symbols an index needs, such as ``("N", "R")`` for NDVI.

    Raises
    ------
    AgronomyError
        Tanbo does not compute an index of that name.
    """
    return index_info(name).bands


def _require(info: IndexInfo, have: Iterable[str], where: str) -> None:
    have = tuple(have)
    missing = [b for b in info.bands if b not in have]
    if missing:
        needed = ", ".join(f"{b} ({SYMBOLS[b]})" for b in missing)
        raise BandProblem(
            f"{info.name} needs {needed}, which {where} does not have (it has {' '.join(have)})"
        )


def compute_index(name: str, bands: Mapping[str, Masked]) -> Masked:
    """Compute one index from reflectance bands.

    Parameters
    ----------
    name
        One of :data:`INDEX_NAMES`.
    bands
        Symbol -> reflectance (0–1) masked arrays of one shape, as ``read_bands`` gives.

    Returns
    -------
    numpy.ma.MaskedArray
        float32, masked where any input is masked or the result is not finite (masked
        pixels hold NaN).

    Raises
    ------
    AgronomyError
        Unknown index.
    BandProblem
        A band the index needs is not among ``bands``.
    """
    info = index_info(name)
    _require(info, bands, "the bands given")
    arrays: dict[str, object] = dict(info.constants)
    invalid: npt.NDArray[np.bool_] | None = None
    for symbol in info.bands:
        band = bands[symbol]
        arrays[symbol] = np.ma.getdata(band).astype(np.float32, copy=False)
        band_mask = np.ma.getmaskarray(band)
        invalid = band_mask if invalid is None else invalid | band_mask
    with np.errstate(all="ignore"):
        result = np.asarray(eval(info.code, {"__builtins__": {}}, arrays), dtype=np.float32)
    assert invalid is not None
    invalid = invalid | ~np.isfinite(result)
    result[invalid] = np.nan
    return np.ma.MaskedArray(result, mask=invalid, fill_value=np.float32(np.nan))


def _tags(info: IndexInfo, image: Image) -> dict[str, str]:
    used = "; ".join(
        f"{s}={image.bands[s].path.name} band {image.bands[s].index}" for s in info.bands
    )
    return {
        "INDEX": info.name,
        "INDEX_LONG_NAME": info.long_name,
        "FORMULA": info.formula_text(),
        "CATALOGUE": f"{info.catalogue_name} in spyndex {spyndex.__version__}",
        "REFERENCE": info.reference,
        "BANDS": used,
        "SENSOR": image.sensor.name,
        "REFLECTANCE": f"DN * {image.sensor.scale:g} + {image.sensor.offset:g}",
        "IMAGE_DATE": image.date.isoformat() if image.date else "",
        "SOURCE": image.name,
        "TIFFTAG_SOFTWARE": "Tanbo",
    }


def _profile(image: Image, area: Window) -> dict[str, object]:
    t = image.transform
    origin = t @ (area.col_off, area.row_off)
    return {
        "driver": "GTiff",
        "dtype": "float32",
        "count": 1,
        "width": int(area.width),
        "height": int(area.height),
        "crs": image.crs,
        "transform": Affine(t.a, t.b, origin[0], t.d, t.e, origin[1]),
        "nodata": math.nan,
        "tiled": True,
        "blockxsize": _BLOCK,
        "blockysize": _BLOCK,
        "compress": "deflate",
        "predictor": 3,
        "BIGTIFF": "IF_SAFER",
    }


def write_index_rasters(
    image: Image,
    names: Iterable[str],
    out_dir: Path,
    *,
    bounds: Bounds | None = None,
    window_size: int = 1024,
) -> dict[str, Path]:
    """Compute indices over the image window by window and write one GeoTIFF each.

    Parameters
    ----------
    image
        An opened image (``open_image``).
    names
        Indices from :data:`INDEX_NAMES`.
    out_dir
        Folder for the files, created if missing; each is ``<image name>_<INDEX>.tif``.
    bounds
        ``(left, bottom, right, top)`` in the image CRS to crop to (whole pixels).
    window_size
        Pixels per window side; memory grows with its square, not with the image.

    Returns
    -------
    dict
        Index name -> path of its single-band float32 GeoTIFF (NaN nodata, the image CRS
        and grid, tags INDEX, FORMULA, REFERENCE, SENSOR, IMAGE_DATE, BANDS).

    Raises
    ------
    AgronomyError
        Unknown index.
    BandProblem
        The image lacks a band an index needs, or a band is not reflectance (no file is
        left behind then).
    BadRaster
        A file cannot be read or written.
    FieldOutsideImage
        ``bounds`` do not overlap the image.
    """
    infos = [index_info(n) for n in dict.fromkeys(names)]
    for info in infos:
        _require(info, image.symbols, image.name)
    area = window_for_bounds(image, bounds) if bounds else Window(0, 0, image.width, image.height)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {i.name: out_dir / f"{image.name}_{i.name}.tif" for i in infos}
    parts = {n: p.with_name(f".{p.name}.part") for n, p in paths.items()}
    symbols = list(dict.fromkeys(b for i in infos for b in i.bands))
    try:
        with rasterio.Env(GDAL_CACHEMAX=_GDAL_CACHE_BYTES), ImageReader(image) as reader:
            _write(image, infos, parts, area, symbols, reader, window_size)
        for name, part in parts.items():
            part.replace(paths[name])
    finally:
        for part in parts.values():
            part.unlink(missing_ok=True)
    return paths


def _write(
    image: Image,
    infos: list[IndexInfo],
    parts: dict[str, Path],
    area: Window,
    symbols: list[str],
    reader: ImageReader,
    window_size: int,
) -> None:
    profile = _profile(image, area)
    outputs = {}
    try:
        for info in infos:
            with translating_errors(parts[info.name]):
                outputs[info.name] = rasterio.open(parts[info.name], "w", **profile)
            outputs[info.name].update_tags(**_tags(info, image))
            outputs[info.name].set_band_description(1, info.name)
        for window in split_window(area, window_size):
            bands = reader.read(symbols, window=window)
            target = Window(
                window.col_off - area.col_off, window.row_off - area.row_off,
                window.width, window.height,
            )  # fmt: skip
            for info in infos:
                values = compute_index(info.name, bands).filled(np.float32(np.nan))
                with translating_errors(parts[info.name]):
                    outputs[info.name].write(values, 1, window=target)
    finally:
        for out in outputs.values():
            out.close()
