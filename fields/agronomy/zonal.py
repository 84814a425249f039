"""Index statistics per field and per zone, and their time series across image dates.

Every figure is coverage-weighted (a pixel half inside a field counts half) and read window
by window in bounded memory; ``fields.agronomy.exact`` says how and why.

Masked pixels (NaN, or the band's declared nodata) are left out of every figure but
``pixels`` and ``valid_fraction``. The parts of a field outside the image count as masked:
a field half off the image reports ``valid_fraction`` 0.5, as a field half under cloud
does, since in both cases only half of it was seen.

A field that cannot be measured (outside the image, every pixel masked, or an unusable
outline) comes back as a ``FieldProblem`` in its place, so one bad field never stops the
others; ``FieldProblem.error()`` gives the exception to raise when a caller wants one.
"""

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path

from shapely.geometry.base import BaseGeometry

from fields.agronomy.errors import AgronomyError, FieldOutsideImage
from fields.agronomy.exact import Coverage, measure, open_band
from fields.agronomy.model import FieldShape, IndexStats

__all__ = [
    "FieldProblem",
    "FieldStats",
    "FieldStatsResult",
    "ProblemReason",
    "index_time_series",
    "zonal_stats",
    "zone_stats",
]


class ProblemReason(StrEnum):
    """Why a field has no statistics."""

    OUTSIDE = "outside"
    """The field does not overlap the image."""
    MASKED = "masked"
    """The field overlaps the image but every pixel under it is masked."""
    BAD_GEOMETRY = "bad_geometry"
    """The outline is empty, invalid, or cannot be placed in the image's CRS."""


@dataclass(frozen=True, kw_only=True, slots=True)
class FieldStats:
    """The index statistics of one field (or zone) in one image."""

    field_id: str
    stats: IndexStats


@dataclass(frozen=True, kw_only=True, slots=True)
class FieldProblem:
    """Why one field (or zone) has no statistics in an image, in one line."""

    field_id: str
    reason: ProblemReason
    message: str
    pixels: float = 0.0
    """The field's area in pixels of the image (0 when its outline is unusable)."""

    def __post_init__(self) -> None:
        if self.pixels < 0:
            raise ValueError(f"field {self.field_id}: pixels {self.pixels}")

    def error(self) -> AgronomyError:
        """The exception a caller that wants to stop should raise."""
        if self.reason is ProblemReason.BAD_GEOMETRY:
            return AgronomyError(self.message)
        return FieldOutsideImage(self.message)

    def empty_stats(self) -> IndexStats:
        """Statistics with no valid pixel, to keep this image's date in a time series."""
        nan = math.nan
        return IndexStats(
            pixels=self.pixels, valid_fraction=0.0, mean=nan, median=nan, std=nan,
            min=nan, max=nan, p10=nan, p25=nan, p75=nan, p90=nan,
        )  # fmt: skip


FieldStatsResult = FieldStats | FieldProblem


def zonal_stats(
    raster: Path, fields: Sequence[FieldShape], *, band: int = 1
) -> list[FieldStatsResult]:
    """Coverage-weighted statistics of an index raster over each field.

    Parameters
    ----------
    raster
        A single-index GeoTIFF (any CRS, north-up), masked pixels NaN or the band's nodata.
    fields
        Field outlines in WGS84; reprojected to the raster's CRS when it differs.
    band
        The band to read, from 1.

    Returns
    -------
    list[FieldStatsResult]
        One item per field, in the order given: ``FieldStats`` (pixel counts in pixels of
        the raster, fractional at the edges; index values in the raster's units), or a
        ``FieldProblem`` for a field outside the image, wholly masked, or with an
        unusable outline.

    Raises
    ------
    BadRaster
        The file cannot be read, has no CRS, is not north-up, or fails while being read.
    BandProblem
        ``band`` is not a band of the file.
    """
    return _measure(raster, [(f.id, f.geometry) for f in fields], band=band)


def zone_stats(
    raster: Path,
    zones: Sequence[tuple[str | int, BaseGeometry]],
    *,
    band: int = 1,
) -> list[FieldStatsResult]:
    """Coverage-weighted statistics of an index raster over each zone.

    The same measurement as ``zonal_stats``, for zones given by label.

    Parameters
    ----------
    raster
        A single-index GeoTIFF (any CRS, north-up), masked pixels NaN or the band's nodata.
    zones
        ``(label, polygon or multipolygon in WGS84)`` pairs, e.g. ``(zone.zone, zone.geometry)``
        of a ``ZoneMap``.
    band
        The band to read, from 1.

    Returns
    -------
    list[FieldStatsResult]
        One item per zone, in the order given, its ``field_id`` being ``str(label)``.

    Raises
    ------
    BadRaster
        The file cannot be read, has no CRS, is not north-up, or fails while being read.
    BandProblem
        ``band`` is not a band of the file.
    """
    return _measure(raster, [(str(label), geom) for label, geom in zones], band=band)


def index_time_series(
    rasters: Sequence[tuple[date, Path]],
    fields: Sequence[FieldShape],
    *,
    band: int = 1,
) -> dict[str, list[tuple[date, IndexStats]]]:
    """The statistics of each field on each image date, oldest first.

    A date on which a field has no valid pixel (cloud, off the image) is kept, with
    ``valid_fraction`` 0 and NaN figures, so a gap in the series is visible.

    Parameters
    ----------
    rasters
        ``(image date, index GeoTIFF)`` pairs, in any order; one date may appear twice
        (two overlapping tiles), in which case both entries are kept in the order given.
    fields
        Field outlines in WGS84, each id once.
    band
        The band to read in every file, from 1.

    Returns
    -------
    dict[str, list[tuple[date, IndexStats]]]
        For each field id, one ``(date, stats)`` per image, sorted by date.

    Raises
    ------
    AgronomyError
        A field id appears twice.
    BadRaster
        One of the files cannot be read; it names the file. A broken file is not
        reported as a cloudy date.
    BandProblem
        ``band`` is not a band of one of the files.
    """
    ids = [f.id for f in fields]
    twice = sorted(i for i, n in Counter(ids).items() if n > 1)
    if twice:
        raise AgronomyError(f"field ids given more than once: {', '.join(twice[:5])}")
    series: dict[str, list[tuple[date, IndexStats]]] = {i: [] for i in ids}
    for day, path in sorted(rasters, key=lambda item: item[0]):
        for result in zonal_stats(path, fields, band=band):
            stats = result.stats if isinstance(result, FieldStats) else result.empty_stats()
            series[result.field_id].append((day, stats))
    return series


def _measure(
    raster: Path, items: Sequence[tuple[str, BaseGeometry]], *, band: int
) -> list[FieldStatsResult]:
    with open_band(raster, band) as ds:
        coverages = measure(ds, band, [geom for _, geom in items])
    return [
        _result(fid, coverage, raster.name)
        for (fid, _), coverage in zip(items, coverages, strict=True)
    ]


def _result(fid: str, coverage: Coverage, image: str) -> FieldStatsResult:
    if coverage.stats is not None:
        return FieldStats(field_id=fid, stats=coverage.stats)
    if not coverage.placed:
        reason = ProblemReason.BAD_GEOMETRY
        message = f"field {fid}: empty, invalid or non-polygonal outline, not measured in {image}"
    elif coverage.covered <= 0:
        reason, message = ProblemReason.OUTSIDE, f"field {fid}: outside the image {image}"
    else:
        reason = ProblemReason.MASKED
        message = f"field {fid}: every pixel under it in {image} is masked"
    return FieldProblem(field_id=fid, reason=reason, message=message, pixels=coverage.pixels)
