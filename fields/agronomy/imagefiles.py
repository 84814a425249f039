"""From files on disk to bands by symbol: what each raster holds, and which band is which.

An image comes as one multiband GeoTIFF (a drone orthomosaic), as one file per band (DJI
Terra's ``result_NIR.tif``, a Sentinel-2 product's ``T53SNU_..._B04_10m.jp2``), or as a
folder or ``.SAFE`` product of either. Each file is opened once for its metadata only;
bands are then assigned to symbols: the user's band map first, then band descriptions,
then file names, then the sensor's band order when a lone multiband file names nothing.
Where one symbol is found at several resolutions (B02 at 10, 20 and 60 m) the finest wins.
All rasterio errors of opening are translated here into ``BadRaster``.
"""

import contextlib
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import rasterio
from affine import Affine
from rasterio.crs import CRS
from rasterio.enums import ColorInterp
from rasterio.errors import RasterioError

from fields.agronomy.bands import SYMBOLS, BandMap, SensorProfile, band_map_matches
from fields.agronomy.errors import BadRaster, BandProblem
from fields.agronomy.sentinel2 import band_files, product_date

__all__ = [
    "Assignment",
    "BandSource",
    "RasterFile",
    "assign_bands",
    "image_date",
    "scan_files",
    "translating_errors",
]


@contextlib.contextmanager
def translating_errors(path: Path) -> Iterator[None]:
    """Turn rasterio's and the OS's errors about ``path`` into ``BadRaster``."""
    try:
        yield
    except (RasterioError, OSError) as exc:
        raise BadRaster(f"{path.name}: cannot be read as a raster ({exc})") from exc


@dataclass(frozen=True, kw_only=True, slots=True)
class RasterFile:
    """The metadata of one raster file: bands, grid and tags."""

    path: Path
    descriptions: tuple[str, ...]
    alpha: tuple[bool, ...]
    dtypes: tuple[str, ...]
    nodata: tuple[float | None, ...]
    crs: CRS
    transform: Affine
    width: int
    height: int
    tags: Mapping[str, str]

    @property
    def spectral(self) -> tuple[int, ...]:
        """The 1-based numbers of its bands that are not alpha."""
        return tuple(i + 1 for i, a in enumerate(self.alpha) if not a)


@dataclass(frozen=True, kw_only=True, slots=True)
class BandSource:
    """Where the band of one symbol is: file, 1-based band number, and that file's grid.

    ``alpha`` is the number of the file's alpha band, whose zeros mark pixels outside the
    image (OpenDroneMap writes one); GDAL uses such a band as a mask by itself only for
    grey or RGB images, so Tanbo reads it.
    """

    symbol: str
    path: Path
    index: int
    description: str
    dtype: str
    nodata: float | None
    alpha: int | None
    crs: CRS
    transform: Affine
    width: int
    height: int

    @property
    def label(self) -> str:
        """How messages name it: ``R (band 3 "B04" of x.tif)``."""
        described = f' "{self.description}"' if self.description else ""
        return f"{self.symbol} (band {self.index}{described} of {self.path.name})"

    @property
    def pixel_area(self) -> float:
        """The area of one pixel, in its CRS units squared."""
        return abs(self.transform.a * self.transform.e - self.transform.b * self.transform.d)


def _expand(source: Path | Sequence[Path]) -> list[Path]:
    paths = [Path(source)] if isinstance(source, str | Path) else [Path(p) for p in source]
    if not paths:
        raise BadRaster("no image file given")
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = band_files(path)
            if not found:
                raise BadRaster(f"{path.name}: no .tif, .tiff or .jp2 files in this folder")
            files += found
        elif path.is_file():
            files.append(path)
        else:
            raise BadRaster(f"{path}: no such file or folder")
    return files


def _scan(path: Path) -> RasterFile:
    with translating_errors(path), rasterio.open(path) as ds:
        if ds.crs is None:
            raise BadRaster(f"{path.name}: the raster declares no coordinate reference system")
        t = ds.transform
        if t.is_identity:
            raise BadRaster(f"{path.name}: the raster is not georeferenced (no geotransform)")
        if t.b != 0 or t.d != 0:
            raise BadRaster(f"{path.name}: a rotated grid; warp it north-up first (gdalwarp)")
        return RasterFile(
            path=path,
            descriptions=tuple(d or "" for d in ds.descriptions),
            alpha=tuple(c == ColorInterp.alpha for c in ds.colorinterp),
            dtypes=tuple(ds.dtypes),
            nodata=tuple(ds.nodatavals),
            crs=ds.crs,
            transform=t,
            width=ds.width,
            height=ds.height,
            tags=dict(ds.tags()),
        )


def scan_files(source: Path | Sequence[Path]) -> list[RasterFile]:
    """Open each raster of ``source`` (files, folders, a ``.SAFE`` product) for its metadata.

    Raises
    ------
    BadRaster
        A path does not exist, a folder holds no raster, or a file cannot be opened, has no
        CRS, is not georeferenced or is rotated.
    """
    return [_scan(p) for p in _expand(source)]


def _source(f: RasterFile, index: int, symbol: str) -> BandSource:
    return BandSource(
        symbol=symbol,
        path=f.path,
        index=index,
        description=f.descriptions[index - 1],
        dtype=f.dtypes[index - 1],
        nodata=f.nodata[index - 1],
        alpha=next((i + 1 for i, a in enumerate(f.alpha) if a), None),
        crs=f.crs,
        transform=f.transform,
        width=f.width,
        height=f.height,
    )


def _finest(symbol: str, found: list[BandSource]) -> BandSource:
    found = sorted(found, key=lambda s: s.pixel_area)
    if len(found) > 1 and found[0].pixel_area == found[1].pixel_area:
        raise BandProblem(
            f"{symbol} is found twice, as {found[0].label} and {found[1].label}; "
            f"say which with a band map (--band {symbol}=...)"
        )
    return found[0]


@dataclass(frozen=True, kw_only=True, slots=True)
class Assignment:
    """The bands found for each symbol, the mask band if any, and what was noticed."""

    bands: Mapping[str, BandSource]
    mask: BandSource | None
    notes: tuple[str, ...]


def _mapped(files: list[RasterFile], symbol: str, value: int | str) -> list[BandSource]:
    if isinstance(value, int):
        if len(files) > 1:
            raise BandProblem(
                f"band map {symbol}={value}: a band number needs a single multiband file; "
                "for a set of files give a name or file pattern"
            )
        if value not in files[0].spectral:
            name = files[0].path.name
            raise BandProblem(f"band map {symbol}={value}: {name} has no band {value}")
        return [_source(files[0], value, symbol)]
    glob = any(c in value for c in "*?[")
    for exact in (True, False):
        found = [
            _source(f, i, symbol)
            for f in files
            for i in f.spectral
            if band_map_matches(value, f.descriptions[i - 1], exact=exact)
            or (
                len(f.spectral) == 1
                and band_map_matches(value, f.path.name if glob else f.path.stem, exact=exact)
            )
        ]
        if found:
            return found
    names = ", ".join(f.path.name for f in files[:6])
    raise BandProblem(f"band map {symbol}={value}: no band or file of {names} is called that")


def _automatic(
    files: list[RasterFile], profile: SensorProfile, claimed: set[tuple[Path, int]]
) -> tuple[dict[str, list[BandSource]], list[BandSource]]:
    found: dict[str, list[BandSource]] = {}
    masks: list[BandSource] = []
    for f in files:
        for i in f.spectral:
            if (f.path, i) in claimed:
                continue
            names = [f.descriptions[i - 1]] + ([f.path.stem] if len(f.spectral) == 1 else [])
            if any(profile.is_mask(n) for n in names):
                masks.append(_source(f, i, "mask"))
                continue
            symbol = next((s for n in names if (s := profile.symbol_for(n)) is not None), None)
            if symbol is not None:
                found.setdefault(symbol, []).append(_source(f, i, symbol))
    return found, masks


def _by_order(
    f: RasterFile, profile: SensorProfile, mapped: dict[str, BandSource]
) -> dict[str, BandSource]:
    order = profile.band_order
    if len(f.spectral) < len(order):
        raise BandProblem(
            f"{f.path.name} has {len(f.spectral)} bands and names none of them, but a "
            f"{profile.name} image has {len(order)} ({' '.join(order)}); give a band map"
        )
    claimed = {b.index for b in mapped.values()}
    return {
        s: _source(f, i, s)
        for s, i in zip(order, f.spectral, strict=False)
        if s not in mapped and i not in claimed
    }


def assign_bands(files: list[RasterFile], profile: SensorProfile, band_map: BandMap) -> Assignment:
    """Find the band of each symbol among ``files``.

    Raises
    ------
    BandProblem
        A band map entry finds no band, or two bands as good as each other; one band is
        given two symbols; no band at all is recognised.
    """
    notes: list[str] = []
    bands = {s: _finest(s, _mapped(files, s, v)) for s, v in band_map.items()}
    claimed = {(b.path, b.index) for b in bands.values()}
    if len(claimed) < len(bands):
        raise BandProblem(f"band map: two symbols are given the same band ({dict(band_map)})")
    found, masks = _automatic(files, profile, claimed)
    if not found and not masks and len(files) == 1 and profile.band_order:
        bands |= _by_order(files[0], profile, bands)
        notes.append(
            f"{files[0].path.name} names no band: bands taken in the {profile.name} order "
            + " ".join(profile.band_order)
        )
    for symbol, sources in found.items():
        if symbol not in bands:
            bands[symbol] = _finest(symbol, sources)
    if not bands:
        described = ", ".join(repr(d) for f in files for d in f.descriptions if d) or "none"
        raise BandProblem(
            f"no band of {', '.join(f.path.name for f in files[:6])} is recognised "
            f"(band descriptions: {described[:200]}); give the sensor (--sensor "
            "dji-p4-multispectral) or a band map (--band N=5 --band R=3)"
        )
    used = {b.path for b in bands.values()} | {m.path for m in masks}
    notes += [f"ignored {f.path.name}: no band recognised" for f in files if f.path not in used]
    taken = {(b.path, b.index) for b in (*bands.values(), *masks)}
    notes += [
        f"band {i} of {f.path.name} ({f.descriptions[i - 1] or 'no description'}) is not "
        "recognised; name it with a band map if it is needed"
        for f in files
        if f.path in used and len(f.spectral) > 1
        for i in f.spectral
        if (f.path, i) not in taken
    ]
    ordered = {s: bands[s] for s in SYMBOLS if s in bands}
    mask = min(masks, key=lambda m: m.pixel_area) if masks else None
    return Assignment(bands=ordered, mask=mask, notes=tuple(notes))


_DATE_TAGS = (
    "ACQUISITION_DATE",
    "ACQUISITIONDATE",
    "DATE_ACQUIRED",
    "SENSING_TIME",
    "SENSING_DATE",
    "PRODUCT_START_TIME",
    "DATATAKE_1_DATATAKE_SENSING_START",
    "DATETIMEORIGINAL",
    "EXIF_DATETIMEORIGINAL",
)
_DATE = re.compile(r"(?<!\d)((?:19[7-9]|20\d)\d)[-_:/]?(0[1-9]|1[0-2])[-_:/]?([0-3]\d)(?!\d)")


def _parse_date(text: str) -> date | None:
    for match in _DATE.finditer(text):
        try:
            return date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            continue
    return None


def image_date(files: list[RasterFile]) -> tuple[date | None, str]:
    """The acquisition date: from acquisition tags, a Sentinel-2 name, a file name, or
    ``TIFFTAG_DATETIME`` (which OpenDroneMap sets to the mean capture time), in that order.

    Returns
    -------
    tuple
        The date or None, and a note saying where it came from.
    """
    for f in files:
        for key, value in f.tags.items():
            if key.upper() in _DATE_TAGS and (found := _parse_date(value)):
                return found, f"image date {found} from the tag {key} of {f.path.name}"
    paths = [f.path for f in files]
    if found := product_date(paths):
        return found, f"image date {found} from the Sentinel-2 name"
    for f in files:
        if found := _parse_date(f.path.name):
            return found, f"image date {found} from the file name {f.path.name}"
    for f in files:
        stamp = f.tags.get("TIFFTAG_DATETIME")
        if stamp and (found := _parse_date(stamp)):
            return found, f"image date {found} from TIFFTAG_DATETIME of {f.path.name}"
    return None, "image date unknown"
