"""Reading an image's bands as reflectance, one window at a time, with masks applied.

Each read gives float32 reflectance (``DN * scale + offset``) as masked arrays, masked
where the file says no data (nodata value, alpha band or internal mask), where the value
is not finite, and where the mask band (Sentinel-2's SCL) has a class to drop. Bands on
another grid are read through a ``WarpedVRT`` onto the image grid, window by window.

Every read is checked, since a wrong scale gives plausible-looking but meaningless
indices: a band whose valid values are mostly above 1.5 holds raw counts, not
reflectance; a band with more than a quarter of its values below −0.05 has the wrong
offset; a floating-point band already in 0–1.5 that the profile scales was reflectance
already. Each is refused with a ``BandProblem`` naming the band and file.
"""

from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Self

import numpy as np
import numpy.typing as npt
import rasterio
from rasterio.enums import Resampling
from rasterio.io import DatasetReader
from rasterio.vrt import WarpedVRT
from rasterio.windows import Window

from fields.agronomy.bands import SYMBOLS
from fields.agronomy.errors import BandProblem
from fields.agronomy.imagefiles import BandSource, translating_errors
from fields.agronomy.rasters import Bounds, Image, window_for_bounds

__all__ = ["RAW_COUNT_LIMIT", "ImageReader", "Masked", "read_bands"]

RAW_COUNT_LIMIT = 1.5
"""Reflectance above this is taken as a raw count (bright snow and cloud stay under ~1.2)."""

_NEGATIVE_LIMIT = -0.05
_NEGATIVE_SHARE = 0.25

Masked = np.ma.MaskedArray[tuple[int, ...], np.dtype[np.float32]]
"""A float32 masked array of reflectance or of an index; masked pixels hold NaN."""


class ImageReader:
    """An image's files held open for many window reads; use as a context manager::

    with ImageReader(image) as reader:
        for window in windows(image, 1024):
            bands = reader.read(("N", "R"), window=window)
    """

    def __init__(self, image: Image) -> None:
        self.image = image
        self._datasets: dict[Path, DatasetReader] = {}
        self._warped: dict[Path, WarpedVRT] = {}

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close every file opened for reading."""
        for handle in (*self._warped.values(), *self._datasets.values()):
            handle.close()
        self._warped.clear()
        self._datasets.clear()

    def _handle(self, source: BandSource) -> DatasetReader | WarpedVRT:
        path = source.path
        if path not in self._datasets:
            with translating_errors(path):
                self._datasets[path] = rasterio.open(path)
        dataset = self._datasets[path]
        if not self.image.needs_warp(source):
            return dataset
        if path not in self._warped:
            nodata = self.image.sensor.nodata if source.nodata is None else source.nodata
            with translating_errors(path):
                self._warped[path] = WarpedVRT(
                    dataset,
                    crs=self.image.crs,
                    transform=self.image.transform,
                    width=self.image.width,
                    height=self.image.height,
                    resampling=Resampling.nearest,
                    src_nodata=nodata,
                    add_alpha=not any(c.name == "alpha" for c in dataset.colorinterp),
                )
        return self._warped[path]

    def _raw(
        self, source: BandSource, window: Window
    ) -> tuple[npt.NDArray[np.generic], npt.NDArray[np.bool_]]:
        handle = self._handle(source)
        with translating_errors(source.path):
            data = handle.read(source.index, window=window, masked=True)
            alpha = handle.read(source.alpha, window=window) if source.alpha else None
        raw = np.asarray(data.data)
        invalid = np.ma.getmaskarray(data).copy()
        if alpha is not None:
            invalid |= alpha == 0
        nodata = self.image.sensor.nodata
        if source.nodata is None and nodata is not None:
            invalid |= raw == nodata
        if np.issubdtype(raw.dtype, np.floating):
            invalid |= ~np.isfinite(raw)
        return raw, invalid

    def _masked_out(self, window: Window) -> npt.NDArray[np.bool_] | None:
        mask = self.image.mask
        if mask is None:
            return None
        classes, invalid = self._raw(mask, window)
        drop = np.isin(classes, list(self.image.sensor.mask_classes))
        return np.asarray(invalid | drop)

    def read(
        self,
        symbols: Iterable[str],
        *,
        window: Window | None = None,
        bounds: Bounds | None = None,
    ) -> dict[str, Masked]:
        """Reflectance of the bands ``symbols`` over a window (or bounds, or everything).

        Parameters
        ----------
        symbols
            Band symbols, such as ``("N", "R")``.
        window
            A window of the image grid (see ``fields.agronomy.rasters.windows``).
        bounds
            ``(left, bottom, right, top)`` in the image CRS, instead of a window.

        Returns
        -------
        dict
            Symbol -> float32 masked array of reflectance, masked pixels holding NaN.

        Raises
        ------
        BandProblem
            The image lacks a band, or a band holds raw counts or badly offset values.
        BadRaster
            A file cannot be read.
        FieldOutsideImage
            ``bounds`` do not overlap the image.
        ValueError
            Both ``window`` and ``bounds`` are given.
        """
        if window is not None and bounds is not None:
            raise ValueError("give a window or bounds, not both")
        if bounds is not None:
            window = window_for_bounds(self.image, bounds)
        if window is None:
            window = Window(0, 0, self.image.width, self.image.height)
        wanted = list(dict.fromkeys(symbols))
        missing = [s for s in wanted if s not in self.image.bands]
        if missing:
            named = ", ".join(f"{s} ({SYMBOLS.get(s, '?')})" for s in missing)
            raise BandProblem(
                f"{self.image.name} has no {named} band; it has {' '.join(self.image.symbols)}"
            )
        dropped = self._masked_out(window)
        return {s: self._band(self.image.bands[s], window, dropped) for s in wanted}

    def _band(
        self, source: BandSource, window: Window, dropped: npt.NDArray[np.bool_] | None
    ) -> Masked:
        raw, invalid = self._raw(source, window)
        profile = self.image.sensor
        values = raw.astype(np.float32) * np.float32(profile.scale) + np.float32(profile.offset)
        _check(source, raw[~invalid], values[~invalid], self.image)
        if dropped is not None:
            invalid |= dropped
        values[invalid] = np.nan
        return np.ma.MaskedArray(values, mask=invalid, fill_value=np.float32(np.nan))


def _check(
    source: BandSource,
    raw: npt.NDArray[np.generic],
    values: npt.NDArray[np.float32],
    image: Image,
) -> None:
    if values.size == 0:
        return
    profile = image.sensor
    high = np.count_nonzero(values > RAW_COUNT_LIMIT)
    if 2 * high > values.size:
        scaled = f" ({float(values.max()):.2f} after the scale {profile.scale:g})"
        raise BandProblem(
            f"{source.label} holds values up to {float(raw.max()):,.0f}"
            f"{scaled if profile.scale != 1 else ''}: raw counts, not reflectance; give the "
            "sensor (--sensor sentinel-2-l2a) or a scale"
        )
    if profile.scale != 1 and raw.dtype.kind == "f" and float(raw.max()) <= RAW_COUNT_LIMIT:
        raise BandProblem(
            f"{source.label} holds reflectance already (0 to {float(raw.max()):.2f}), but the "
            f"{profile.name} profile multiplies it by {profile.scale:g}; give a scale of 1"
        )
    low = np.count_nonzero(values < _NEGATIVE_LIMIT)
    if low > _NEGATIVE_SHARE * values.size:
        raise BandProblem(
            f"{source.label}: {100 * low / values.size:.0f}% of its reflectance is below "
            f"{_NEGATIVE_LIMIT} (down to {float(values.min()):.3f}); the offset "
            f"{profile.offset:g} looks wrong for this image"
        )


def read_bands(
    image: Image,
    symbols: Iterable[str],
    *,
    window: Window | None = None,
    bounds: Bounds | None = None,
) -> dict[str, Masked]:
    """Reflectance of some bands over one window or bounds; see :meth:`ImageReader.read`.

    Opens and closes the files; to read many windows, hold an :class:`ImageReader`.

    Raises
    ------
    BandProblem
        The image lacks a band, or a band holds raw counts or badly offset values.
    BadRaster
        A file cannot be read.
    FieldOutsideImage
        ``bounds`` do not overlap the image.
    """
    with ImageReader(image) as reader:
        return reader.read(symbols, window=window, bounds=bounds)
