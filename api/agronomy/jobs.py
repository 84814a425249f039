"""The agronomy jobs the command line, the HTTP routes and the demo share: an image's indices
over a set of fields, each field's management zones, the files written for each.

One bad field never stops the others: each comes back as statistics or as a problem line.
A whole-image problem (not reflectance, a band missing, no field on the image) raises the
``fields.agronomy`` error that names it.
"""

import csv
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import shapely
from rasterio.warp import transform_bounds

from fields.agronomy.errors import AgronomyError, BadPrescription, FieldOutsideImage
from fields.agronomy.indices import write_index_rasters
from fields.agronomy.isoxml import write_taskdata
from fields.agronomy.mgmt_zones import management_zones
from fields.agronomy.model import FieldShape, IndexStats, ZoneMap
from fields.agronomy.prescription import Budget, NitrogenRule, Prescription, nitrogen_rule_named
from fields.agronomy.prescription_io import write_prescription
from fields.agronomy.products import Product
from fields.agronomy.rasters import Bounds, Image
from fields.agronomy.zonal import FieldProblem, FieldStats, zonal_stats
from fields.agronomy.zones_io import write_zone_map

__all__ = [
    "PRESCRIPTION_FORMATS",
    "STATS_COLUMNS",
    "IndexRun",
    "ZonesRun",
    "budget_for",
    "edited_rule",
    "fields_bounds",
    "index_fields",
    "write_prescription_files",
    "write_stats_csv",
    "zone_fields",
]

STATS_COLUMNS = (
    "field_id", "index", "image_date", "mean", "median", "std", "min", "max",
    "p10", "p25", "p75", "p90", "pixels", "valid_fraction",
)  # fmt: skip
"""The columns of ``stats.csv``: one row per field and index."""

PRESCRIPTION_FORMATS = ("geojson", "shp", "gpkg", "tif", "isoxml")
"""The files a prescription is written as (``isoxml``: a ``TASKDATA`` folder)."""

Progress = Callable[[], None]


@dataclass(frozen=True, kw_only=True, slots=True)
class IndexRun:
    """What ``index_fields`` wrote and measured."""

    image: Image
    rasters: dict[str, Path]
    """Index name → the index GeoTIFF, cut to the fields' bounds."""
    stats: dict[str, dict[str, IndexStats]] = field(default_factory=dict)
    """Field id → index name → statistics."""
    problems: list[str] = field(default_factory=list)
    """One line per field and index without statistics, naming both."""


@dataclass(frozen=True, kw_only=True, slots=True)
class ZonesRun:
    """What ``zone_fields`` wrote: each field's zones and their GeoJSON file."""

    zone_maps: dict[str, ZoneMap] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def fields_bounds(image: Image, fields: Sequence[FieldShape], margin_px: float = 2.0) -> Bounds:
    """The fields' bounds in the image's CRS, grown by a few pixels (an index raster cut to
    them still covers each boundary pixel).

    Raises
    ------
    FieldOutsideImage
        None of the fields overlaps the image.
    """
    west, south, east, north = shapely.union_all([f.geometry for f in fields]).bounds
    if image.crs.to_epsg() != 4326:
        west, south, east, north = transform_bounds(
            "EPSG:4326", image.crs, west, south, east, north
        )
    res_x, res_y = image.resolution
    left, bottom, right, top = image.bounds
    west, east = max(west - margin_px * res_x, left), min(east + margin_px * res_x, right)
    south, north = max(south - margin_px * res_y, bottom), min(north + margin_px * res_y, top)
    if west >= east or south >= north:
        names = ", ".join(f.id for f in fields[:5]) + (" …" if len(fields) > 5 else "")
        raise FieldOutsideImage(f"{image.name}: no field lies on the image ({names})")
    return (west, south, east, north)


def index_fields(
    image: Image,
    fields: Sequence[FieldShape],
    names: Sequence[str],
    out_dir: Path,
    *,
    advance: Progress | None = None,
) -> IndexRun:
    """Write each index over the fields' bounds and measure it over each field.

    Raises
    ------
    fields.agronomy.AgronomyError
        The image cannot give these indices (a band missing, raw counts), or no field is on it.
    """
    bounds = fields_bounds(image, fields)
    rasters = write_index_rasters(image, list(names), out_dir, bounds=bounds)
    run = IndexRun(image=image, rasters=rasters)
    for name, raster in rasters.items():
        for result in zonal_stats(raster, fields):
            if isinstance(result, FieldStats):
                run.stats.setdefault(result.field_id, {})[name] = result.stats
            else:
                run.problems.append(_problem_line(result, name))
        if advance is not None:
            advance()
    return run


def _problem_line(problem: FieldProblem, index: str) -> str:
    return f"{problem.message} ({index})"


def write_stats_csv(run: IndexRun, path: Path) -> Path:
    """``stats.csv``: one row per field and index (see ``STATS_COLUMNS``)."""
    date_text = run.image.date.isoformat() if run.image.date else ""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(STATS_COLUMNS)
        for field_id, by_index in sorted(run.stats.items()):
            for index, s in by_index.items():
                values = [s.mean, s.median, s.std, s.min, s.max, s.p10, s.p25, s.p75, s.p90]
                writer.writerow(
                    [field_id, index, date_text]
                    + ["" if math.isnan(v) else round(v, 5) for v in values]
                    + [round(s.pixels, 2), round(s.valid_fraction, 4)]
                )
    return path


def zone_fields(
    index_raster: Path,
    fields: Sequence[FieldShape],
    out_dir: Path,
    *,
    index: str,
    n_zones: int,
    min_zone_area_m2: float,
    image_date: str | None = None,
    advance: Progress | None = None,
) -> ZonesRun:
    """Each field's management zones from one index raster, as ``<field>_zones.geojson``."""
    run = ZonesRun()
    for f in fields:
        try:
            zone_map = management_zones(
                index_raster, f, n_zones=n_zones, min_zone_area_m2=min_zone_area_m2, index=index
            )
        except AgronomyError as exc:
            run.problems.append(f"{f.id}: {exc}")
        else:
            if image_date is not None and zone_map.image_date is None:
                zone_map = ZoneMap(
                    field_id=zone_map.field_id,
                    index=zone_map.index,
                    zones=zone_map.zones,
                    image_date=image_date,
                )
            run.zone_maps[f.id] = zone_map
            run.files[f.id] = write_zone_map(zone_map, out_dir / f"{f.id}_zones.geojson")
        if advance is not None:
            advance()
    return run


def edited_rule(
    preset: str,
    *,
    target_index: float | None = None,
    base_n_kg_ha: float | None = None,
    response_kg_ha_per_unit: float | None = None,
    min_n_kg_ha: float | None = None,
    max_n_kg_ha: float | None = None,
    budget: Budget | None = None,
) -> NitrogenRule:
    """A preset N rule with the figures given instead of its own (named "… (edited)").

    Raises
    ------
    BadPrescription
        No preset has that name, or the edited figures do not make a rule.
    """
    rule = nitrogen_rule_named(preset)
    figures = (target_index, base_n_kg_ha, response_kg_ha_per_unit, min_n_kg_ha, max_n_kg_ha)
    return NitrogenRule(
        name=rule.name if all(v is None for v in figures) else f"{rule.name} (edited)",
        index=rule.index,
        target_index=rule.target_index if target_index is None else target_index,
        base_n_kg_ha=rule.base_n_kg_ha if base_n_kg_ha is None else base_n_kg_ha,
        response_kg_ha_per_unit=rule.response_kg_ha_per_unit
        if response_kg_ha_per_unit is None
        else response_kg_ha_per_unit,
        min_n_kg_ha=rule.min_n_kg_ha if min_n_kg_ha is None else min_n_kg_ha,
        max_n_kg_ha=rule.max_n_kg_ha if max_n_kg_ha is None else max_n_kg_ha,
        budget=budget or rule.budget,
    )


def budget_for(
    product: Product, *, n_kg: float | None = None, product_amount: float | None = None
) -> Budget | None:
    """The field's budget in kg N, or in product (kg of a solid, L of a liquid); None if
    neither is given.

    Raises
    ------
    BadPrescription
        Both are given, or the amount is negative.
    """
    if n_kg is not None and product_amount is not None:
        raise BadPrescription("give one budget: in kg N or in product, not both")
    if n_kg is not None:
        return Budget(n_kg=n_kg)
    if product_amount is None:
        return None
    if product.form == "solid":
        return Budget(product_kg=product_amount)
    return Budget(product_l=product_amount)


def write_prescription_files(
    p: Prescription, out_dir: Path, formats: list[str], *, stem: str | None = None
) -> list[Path]:
    """Write ``p`` in each format into ``out_dir`` as ``<stem>_rx.<ext>`` (ISOXML in a
    ``<stem>_isoxml`` folder), the stem the field id unless given; the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = p.field_id if stem is None else stem
    written: list[Path] = []
    for fmt in formats:
        if fmt == "isoxml":
            written.append(write_taskdata(p, out_dir / f"{stem}_isoxml", overwrite=True))
        else:
            path = out_dir / f"{stem}_rx.{fmt}"
            write_prescription(p, path)
            written.append(path)
    return written
