"""What the agronomy routes compute on a stored image: a field's index statistics, its
series across images, its management zones and their prescription.

Index rasters are computed on demand over the field's bounds (a few pixels around it) and
kept in ``<data_dir>/agronomy/cache/<image id>/<key>/``, the key naming those bounds, so a
second question about the same field and image reads them instead of the image. They are
written in a private folder and renamed into place, so a reader never sees half a file.
"""

import dataclasses
import hashlib
import math
import os
import tempfile
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from shapely import MultiPolygon, Polygon

from api.agronomy.images import cache_folder, open_stored, scrubbed
from api.agronomy.jobs import fields_bounds
from api.agronomy.store import StoredImage
from fields import FieldRecord
from fields.agronomy.errors import AgronomyError
from fields.agronomy.index_grid import IndexGrid, index_grid
from fields.agronomy.indices import write_index_rasters
from fields.agronomy.mgmt_zones import management_zones
from fields.agronomy.model import FieldShape, IndexStats, ManagementZone, ZoneMap
from fields.agronomy.prescription import NitrogenRule, Prescription, prescribe
from fields.agronomy.products import Product
from fields.agronomy.rasters import Image
from fields.agronomy.zonal import FieldStats, ProblemReason, index_time_series, zonal_stats

__all__ = [
    "SeriesPoint",
    "field_index_grid",
    "field_indices",
    "field_series",
    "field_shape",
    "field_zones",
    "index_rasters",
    "prescription_for",
    "prescription_zones",
]


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class SeriesPoint:
    """A field's index statistics on one image."""

    image: StoredImage
    image_date: date
    stats: IndexStats


def field_shape(record: FieldRecord) -> FieldShape:
    """A registered field as the agronomy modules take it."""
    geometry = record.geometry
    if not isinstance(geometry, Polygon | MultiPolygon):
        raise ValueError(f"field {record.id}: a {geometry.geom_type}, not a polygon")
    return FieldShape(id=record.id, geometry=geometry)


def _key(image: Image, field: FieldShape) -> tuple[str, tuple[float, float, float, float]]:
    bounds = fields_bounds(image, [field])
    text = repr((image.crs.to_wkt(), tuple(round(b, 6) for b in bounds)))
    return hashlib.sha256(text.encode()).hexdigest()[:16], bounds


def index_rasters(
    data_dir: Path, stored: StoredImage, image: Image, field: FieldShape, names: Sequence[str]
) -> dict[str, Path]:
    """Each index's GeoTIFF over the field's bounds, from the cache or computed now.

    Raises
    ------
    FieldOutsideImage
        The field is not on the image.
    BandProblem
        The image lacks a band an index needs, or a band is not reflectance.
    """
    key, bounds = _key(image, field)
    folder = cache_folder(data_dir, stored.id) / key
    wanted = {name: folder / f"{image.name}_{name}.tif" for name in dict.fromkeys(names)}
    missing = [name for name, path in wanted.items() if not path.exists()]
    if missing:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=folder, prefix=".computing-") as work:
            with scrubbed(Path(work)):
                written = write_index_rasters(image, missing, Path(work), bounds=bounds)
            for name, path in written.items():
                os.replace(path, wanted[name])
    return wanted


def _stats(raster: Path, field: FieldShape) -> IndexStats:
    with scrubbed(raster.parent):
        (result,) = zonal_stats(raster, [field])
    if isinstance(result, FieldStats):
        return result.stats
    if result.reason is ProblemReason.MASKED:  # seen, but under cloud or nodata
        return result.empty_stats()
    raise result.error()


def field_indices(
    data_dir: Path, stored: StoredImage, field: FieldShape, names: Sequence[str]
) -> dict[str, IndexStats]:
    """Each index's statistics over the field on the image (valid_fraction 0 where every
    pixel over it is masked).

    Raises
    ------
    FieldOutsideImage
        The field is not on the image.
    BandProblem
        The image lacks a band an index needs, or a band is not reflectance.
    """
    image = open_stored(data_dir, stored)
    rasters = index_rasters(data_dir, stored, image, field, names)
    return {name: _stats(raster, field) for name, raster in rasters.items()}


def field_series(
    data_dir: Path, images: Sequence[StoredImage], field: FieldShape, index: str
) -> tuple[list[SeriesPoint], list[str]]:
    """The field's statistics of one index on each dated image, oldest first, and one line
    for each image left out (no date, not on the field, no band for the index).

    An image where the field is under cloud stays in, with ``valid_fraction`` 0.
    """
    problems = [
        f"{s.name} ({s.id}): no image date; give image_date when uploading"
        for s in images
        if s.image_date is None
    ]
    measured: list[tuple[StoredImage, date, Path]] = []
    for stored in sorted(images, key=lambda s: (s.image_date or date.min, s.created_at)):
        if stored.image_date is None:
            continue
        try:
            image = open_stored(data_dir, stored)
            raster = index_rasters(data_dir, stored, image, field, [index])[index]
        except AgronomyError as exc:
            problems.append(f"{stored.name} ({stored.id}): {exc}")
            continue
        measured.append((stored, stored.image_date, raster))
    series = index_time_series([(day, raster) for _, day, raster in measured], [field])
    return [
        SeriesPoint(image=stored, image_date=day, stats=stats)
        for (stored, _, _), (day, stats) in zip(measured, series[field.id], strict=True)
    ], problems


def field_zones(
    data_dir: Path,
    stored: StoredImage,
    field: FieldShape,
    *,
    index: str,
    n_zones: int,
    min_zone_area_m2: float,
) -> ZoneMap:
    """The field's management zones from one index on the image.

    Raises
    ------
    FieldOutsideImage
        The field is not on the image, or every pixel over it is masked.
    NotEnoughData
        Too few valid pixels for the zones asked for.
    BandProblem
        The image lacks a band the index needs, or a band is not reflectance.
    """
    image = open_stored(data_dir, stored)
    raster = index_rasters(data_dir, stored, image, field, [index])[index]
    with scrubbed(raster.parent):
        zone_map = management_zones(
            raster, field, n_zones=n_zones, min_zone_area_m2=min_zone_area_m2, index=index
        )
    if zone_map.image_date is None and stored.image_date is not None:
        zone_map = dataclasses.replace(zone_map, image_date=stored.image_date.isoformat())
    return zone_map


def field_index_grid(
    data_dir: Path, stored: StoredImage, field: FieldShape, *, index: str, max_px: int
) -> IndexGrid:
    """The index's pixels over the field on a longitude/latitude grid (for a web map).

    Raises
    ------
    FieldOutsideImage
        The field is not on the image, or every pixel over it is masked.
    BandProblem
        The image lacks a band the index needs, or a band is not reflectance.
    """
    image = open_stored(data_dir, stored)
    raster = index_rasters(data_dir, stored, image, field, [index])[index]
    with scrubbed(raster.parent):
        return index_grid(raster, field, max_px=max_px)


def prescription_for(
    zone_map: ZoneMap,
    rule: NitrogenRule,
    product: Product,
    *,
    rate_step: float,
    own_target: bool,
) -> Prescription:
    """The zones' prescription. A rule given its own target (``own_target``) is taken to be
    written for the zones' index; a preset's target belongs to its own index.

    Raises
    ------
    BadPrescription
        The rule's index is not the zones', a zone has no valid pixel, or the budget
        cannot be met.
    """
    if own_target and rule.index.casefold() != zone_map.index.casefold():
        rule = dataclasses.replace(rule, index=zone_map.index)
    return prescribe(zone_map, rule, product, rate_step=rate_step)


def prescription_zones(prescription: Prescription) -> ZoneMap:
    """The zone map a prescription was made on, rebuilt from what it keeps: each zone's
    outline, area and index mean, the index and the image date. A prescription keeps no
    other statistic, so those are NaN (``pixels`` too), and ``valid_fraction`` is 1 where
    the mean is known."""
    unknown = dict.fromkeys(("median", "std", "min", "max", "p10", "p25", "p75", "p90"), math.nan)
    zones = tuple(
        ManagementZone(
            zone=z.zone,
            geometry=z.geometry,
            area_m2=z.area_m2,
            stats=IndexStats(
                pixels=math.nan,
                valid_fraction=0.0 if math.isnan(z.index_mean) else 1.0,
                mean=z.index_mean,
                **unknown,
            ),
        )
        for z in prescription.zones
    )
    return ZoneMap(
        field_id=prescription.field_id,
        index=prescription.index,
        zones=zones,
        image_date=prescription.image_date,
    )
