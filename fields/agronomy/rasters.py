"""A multispectral image as Tanbo reads it: bands by symbol on one grid, read window by window.

``open_image`` reads metadata only — which band is which (``fields.agronomy.bands``), the
grid, the date — and returns a frozen :class:`Image`. The grid is that of the finest band
in the CRS most bands share: bands on another grid (Sentinel-2's 20 m red edge beside its
10 m red) are resampled onto it, nearest neighbour, so every value stays a measured one
and mask classes stay classes; a band in another CRS is reprojected, and only then.
Pixels are read later, a window at a time (``fields.agronomy.reading``), so a
10,980 × 10,980 Sentinel-2 tile never sits in memory whole.
"""

import math
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from types import MappingProxyType

from affine import Affine
from rasterio.crs import CRS
from rasterio.windows import Window

from fields.agronomy.bands import SYMBOLS, BandMap, SensorProfile, detect_sensor, get_profile
from fields.agronomy.bands import parse_band_map as _parse_band_map
from fields.agronomy.errors import FieldOutsideImage
from fields.agronomy.imagefiles import BandSource, RasterFile, assign_bands, image_date
from fields.agronomy.imagefiles import scan_files as _scan_files
from fields.agronomy.sentinel2 import l2a_offset, safe_root

__all__ = [
    "Bounds",
    "Image",
    "open_image",
    "split_window",
    "window_bounds",
    "window_for_bounds",
    "windows",
]

Bounds = tuple[float, float, float, float]
"""``(left, bottom, right, top)`` in the image CRS."""

_EDGE = 1e-6
"""Pixels a bound may overshoot a pixel edge by and still be taken as on it."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Image:
    """A multispectral image: its bands by symbol, its grid, sensor and date."""

    name: str
    """The file or folder it was opened from, for messages and output file names."""
    sensor: SensorProfile
    sensor_note: str
    bands: Mapping[str, BandSource]
    mask: BandSource | None
    crs: CRS
    transform: Affine
    width: int
    height: int
    date: date | None
    notes: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "bands", MappingProxyType(dict(self.bands)))
        if not self.bands:
            raise ValueError(f"image {self.name}: no band")
        if self.width < 1 or self.height < 1:
            raise ValueError(f"image {self.name}: {self.width} × {self.height} px")

    @property
    def symbols(self) -> tuple[str, ...]:
        """The band symbols the image has, in wavelength order."""
        return tuple(s for s in SYMBOLS if s in self.bands)

    @property
    def resolution(self) -> tuple[float, float]:
        """Pixel width and height in CRS units (metres, or degrees for EPSG:4326)."""
        return abs(self.transform.a), abs(self.transform.e)

    @property
    def bounds(self) -> Bounds:
        """``(left, bottom, right, top)`` of the grid in its CRS."""
        return window_bounds(self, Window(0, 0, self.width, self.height))

    def needs_warp(self, source: BandSource) -> bool:
        """Whether a band's file lies on another grid than the image's."""
        return (source.crs, source.transform, source.width, source.height) != (
            self.crs,
            self.transform,
            self.width,
            self.height,
        )

    def describe(self) -> str:
        """One line for a person: sensor, bands, size, CRS, date."""
        x_res, _ = self.resolution
        unit = "°" if self.crs.is_geographic else " m"
        when = self.date.isoformat() if self.date else "date unknown"
        return (
            f"{self.name}: {self.sensor_note}; bands {' '.join(self.symbols)}; "
            f"{self.width} × {self.height} px at {x_res:g}{unit}; {self.crs.to_string()}; {when}"
        )


def _grid(bands: Mapping[str, BandSource]) -> BandSource:
    counts = Counter(b.crs.to_wkt() for b in bands.values())
    crs_wkt = counts.most_common(1)[0][0]
    return min((b for b in bands.values() if b.crs.to_wkt() == crs_wkt), key=lambda b: b.pixel_area)


def _profile(
    sensor: str | SensorProfile | None, files: list[RasterFile]
) -> tuple[SensorProfile, str]:
    if isinstance(sensor, SensorProfile):
        return sensor, f"{sensor.name}, as given"
    if sensor is not None:
        profile = get_profile(sensor)
        return profile, f"{profile.name}, as given"
    names = [n for f in files for n in (*f.descriptions, f.path.name, f.path.parent.name)]
    names += sorted({root.name for f in files if (root := safe_root(f.path)) is not None})
    tags = [str(v) for f in files for v in f.tags.values()]
    return detect_sensor(names, tags)


def _scaled(
    profile: SensorProfile, files: list[RasterFile], scale: float | None, offset: float | None
) -> tuple[SensorProfile, list[str]]:
    notes: list[str] = []
    if offset is None and profile.name == "sentinel-2-l2a" and profile.offset == 0.0:
        found = l2a_offset(f.path for f in files)
        offset = found.offset
        notes.append(found.note)
    changes: dict[str, float] = {}
    if scale is not None:
        changes["scale"] = scale
    if offset is not None:
        changes["offset"] = offset
    if changes:
        profile = replace(profile, **changes)  # type: ignore[arg-type]
    return profile, notes


def open_image(
    source: Path | Sequence[Path],
    *,
    sensor: str | SensorProfile | None = None,
    band_map: BandMap | Sequence[str] | None = None,
    scale: float | None = None,
    offset: float | None = None,
) -> Image:
    """Open a multispectral image for reading: find its bands, grid, sensor and date.

    Parameters
    ----------
    source
        A multiband raster, a folder of one file per band, a Sentinel-2 ``.SAFE`` product,
        or a list of files and folders.
    sensor
        A built-in profile name (``sentinel-2-l2a``, ``dji-mavic-3m``,
        ``dji-p4-multispectral``, ``micasense-rededge``, ``generic``) or a profile; if
        None it is detected from the band names and tags, and ``Image.sensor_note`` says
        which was chosen and why.
    band_map
        Symbol -> 1-based band number or name/file glob, or ``["N=4", "R=3"]``; overrides
        the profile for the bands it names.
    scale, offset
        Reflectance = ``DN * scale + offset``, overriding the profile's (a Sentinel-2
        product's offset is otherwise found from its metadata or name).

    Returns
    -------
    Image
        Metadata only; no pixel is read.

    Raises
    ------
    BadRaster
        A path is missing or not a georeferenced raster.
    BandProblem
        The sensor is unknown, the band map is wrong, or no band is recognised.
    """
    files = _scan_files(source)
    profile, sensor_note = _profile(sensor, files)
    profile, notes = _scaled(profile, files, scale, offset)
    mapping = _parse_band_map(band_map if band_map is not None else {})
    assignment = assign_bands(files, profile, mapping)
    grid = _grid(assignment.bands)
    when, date_note = image_date(files)
    first = Path(source) if isinstance(source, str | Path) else Path(source[0])
    image = Image(
        name=first.stem if first.is_file() else first.name.removesuffix(".SAFE"),
        sensor=profile,
        sensor_note=sensor_note,
        bands=assignment.bands,
        mask=assignment.mask,
        crs=grid.crs,
        transform=grid.transform,
        width=grid.width,
        height=grid.height,
        date=when,
    )
    warped = [
        f"{b.label} is {'reprojected' if b.crs != grid.crs else 'resampled'} onto the grid"
        for b in (*assignment.bands.values(), *([assignment.mask] if assignment.mask else []))
        if image.needs_warp(b)
    ]
    return replace(image, notes=(*notes, *assignment.notes, *warped, date_note))


def windows(image: Image, size: int = 1024, *, bounds: Bounds | None = None) -> Iterator[Window]:
    """Windows of at most ``size`` × ``size`` pixels tiling the image, or its part in ``bounds``.

    Raises
    ------
    FieldOutsideImage
        ``bounds`` do not overlap the image.
    ValueError
        ``size`` is below 1.
    """
    area = window_for_bounds(image, bounds) if bounds else Window(0, 0, image.width, image.height)
    return split_window(area, size)


def split_window(area: Window, size: int) -> Iterator[Window]:
    """Windows of at most ``size`` × ``size`` pixels tiling ``area``, row by row.

    Raises
    ------
    ValueError
        ``size`` is below 1.
    """
    if size < 1:
        raise ValueError(f"window size {size} px")
    col0, row0 = int(area.col_off), int(area.row_off)
    col_end, row_end = col0 + int(area.width), row0 + int(area.height)
    for row in range(row0, row_end, size):
        for col in range(col0, col_end, size):
            yield Window(col, row, min(size, col_end - col), min(size, row_end - row))


def window_for_bounds(image: Image, bounds: Bounds) -> Window:
    """The whole pixels of the image that ``bounds`` (in the image CRS) touch.

    Raises
    ------
    FieldOutsideImage
        The bounds do not overlap the image.
    ValueError
        The bounds are not ``(left, bottom, right, top)`` with left < right, bottom < top.
    """
    left, bottom, right, top = bounds
    if not (left < right and bottom < top):
        raise ValueError(f"bounds {bounds} are not (left, bottom, right, top)")
    t = image.transform
    cols = sorted(((left - t.c) / t.a, (right - t.c) / t.a))
    rows = sorted(((top - t.f) / t.e, (bottom - t.f) / t.e))
    col0 = max(0, math.floor(cols[0] + _EDGE))
    col1 = min(image.width, math.ceil(cols[1] - _EDGE))
    row0 = max(0, math.floor(rows[0] + _EDGE))
    row1 = min(image.height, math.ceil(rows[1] - _EDGE))
    if col1 <= col0 or row1 <= row0:
        raise FieldOutsideImage(
            f"bounds {tuple(round(b, 6) for b in bounds)} do not overlap the image {image.name} "
            f"({tuple(round(b, 6) for b in image.bounds)}, {image.crs.to_string()})"
        )
    return Window(col0, row0, col1 - col0, row1 - row0)


def window_bounds(image: Image, window: Window) -> Bounds:
    """``(left, bottom, right, top)`` of a window of the image grid, in its CRS."""
    t = image.transform
    x0, y0 = t @ (window.col_off, window.row_off)
    x1, y1 = t @ (window.col_off + window.width, window.row_off + window.height)
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)
