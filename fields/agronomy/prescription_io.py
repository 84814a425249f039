"""Prescriptions as the files spreaders, drones and GIS load, and rate maps read back.

Written by extension: GeoJSON, Shapefile and GeoPackage polygons in WGS84, one feature per
zone, and a GeoTIFF rate grid (:mod:`fields.agronomy.rate_grid`). The GeoJSON properties
``field_id, zone, index_mean, n_kg_ha, rate, unit, product`` are a contract: the spray
planner reads them back; a Shapefile carries the same in ≤ 10-character upper-case names,
with a .prj and a UTF-8 .cpg so 硫安 stays 硫安.

Reading is meant for Tanbo's own files and for rate files from other software, which
agree only on "polygons with a number": the rate column is named by the caller or found
among the usual names, and anything that would put a wrong dose on the ground (no CRS, a
negative or missing rate, a line where a zone should be) is refused, naming the feature.
"""

import dataclasses
import math
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import pyogrio
import shapely
from shapely import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from fields.agronomy.errors import BadPrescription
from fields.agronomy.prescription import Prescription
from fields.agronomy.rate_grid import GridCrs, read_rate_grid, write_rate_grid
from fields.agronomy.rate_map import RateMap, RateZone, normal_unit
from fields.crs import area_m2, local_crs_for
from fields.errors import NoCoordinateSystem, UnsupportedFormat
from fields.read import SourceFeature, read_features

__all__ = [
    "RATE_COLUMNS",
    "WRITE_SUFFIXES",
    "RateMap",
    "RateZone",
    "read_prescription",
    "write_prescription",
]

WRITE_SUFFIXES: dict[str, str] = {
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".shp": "ESRI Shapefile",
    ".gpkg": "GPKG",
    ".tif": "GTiff",
    ".tiff": "GTiff",
}
"""Extensions :func:`write_prescription` writes, and the GDAL driver behind each."""

RATE_COLUMNS: tuple[str, ...] = (
    "rate",
    "rate_l_ha",
    "rate_kg_ha",
    "target_rate",
    "target_rat",  # target_rate cut to a Shapefile's 10 characters
    "tgt_rate",
    "rx_rate",
    "app_rate",
    "appl_rate",
    "product_rate",
    "dose",
    "n",
    "n_kg_ha",
)
"""Rate column names tried in this order, ignoring case, when none is given."""

_SHAPEFILE_NAMES = {
    "field_id": "FIELD_ID",
    "zone": "ZONE",
    "index": "INDEX",
    "index_mean": "IDX_MEAN",
    "n_kg_ha": "N_KG_HA",
    "rate": "RATE",
    "unit": "UNIT",
    "product": "PRODUCT",
    "area_ha": "AREA_HA",
}
_N_COLUMNS = {"n", "n_kg_ha"}
_LABEL_COLUMNS = ("zone", "zone_id", "name", "id")
_GRID_SUFFIXES = (".tif", ".tiff")
_OVERLAP_M2 = 0.01
"""Zones may share edges; overlapping by more than this is refused."""


def _rows(p: Prescription) -> list[dict[str, Any]]:
    digits = max(0, -math.floor(math.log10(p.rate_step))) + 1
    return [
        {
            "field_id": p.field_id,
            "zone": z.zone,
            "index": p.index,
            "index_mean": round(z.index_mean, 4),
            "n_kg_ha": round(z.n_kg_ha, 2),
            "rate": round(z.rate, digits),
            "unit": p.unit,
            "product": p.product.name,
            "area_ha": round(z.area_m2 / 10_000.0, 6),
        }
        for z in p.zones
    ]


def write_prescription(
    p: Prescription, path: Path, *, cell_m: float = 2.0, grid_crs: GridCrs = "utm"
) -> None:
    """Write a prescription to ``path``, the format chosen by its extension.

    Parameters
    ----------
    p
        The prescription.
    path
        ``.geojson``/``.json``, ``.shp``, ``.gpkg`` (zone polygons in WGS84) or
        ``.tif``/``.tiff`` (a float32 rate grid; see
        :func:`fields.agronomy.rate_grid.write_rate_grid`).
    cell_m
        Grid cell size in metres, for a GeoTIFF only.
    grid_crs
        ``"utm"`` (WGS 84 / UTM, the default) or ``"local"`` (``fields.crs``'s plane),
        for a GeoTIFF only.

    Raises
    ------
    UnsupportedFormat
        The extension is not one of :data:`WRITE_SUFFIXES`.
    BadPrescription
        A GeoTIFF cell size that is not positive, or too coarse for any zone.
    """
    suffix = path.suffix.lower()
    if suffix not in WRITE_SUFFIXES:
        known = ", ".join(sorted(WRITE_SUFFIXES))
        raise UnsupportedFormat(f"{path.name}: cannot write {suffix or '(none)'}; use {known}")
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix in _GRID_SUFFIXES:
        write_rate_grid(p, path, cell_m=cell_m, grid_crs=grid_crs)
        return
    rows = _rows(p)
    options: dict[str, str] = {}
    if suffix == ".shp":
        rows = [{_SHAPEFILE_NAMES[k]: v for k, v in row.items()} for row in rows]
        options = {"ENCODING": "UTF-8"}
    elif WRITE_SUFFIXES[suffix] == "GeoJSON":
        options = {"AUTODETECT_JSON_STRINGS": "NO"}
    frame = gpd.GeoDataFrame(rows, geometry=[z.geometry for z in p.zones], crs="EPSG:4326")
    if path.exists() and suffix != ".shp":
        path.unlink()
    pyogrio.write_dataframe(frame, path, driver=WRITE_SUFFIXES[suffix], layer_options=options)


def read_prescription(
    path: Path,
    *,
    rate_column: str | None = None,
    unit: str | None = None,
    product: str | None = None,
    layer: str | None = None,
) -> RateMap:
    """Read a rate map: Tanbo's own prescription files, or another program's rate polygons.

    Parameters
    ----------
    path
        A polygon file Tanbo reads (GeoJSON, Shapefile, zipped Shapefile, GeoPackage …)
        or a GeoTIFF rate grid, whose cells of equal rate become one zone each.
    rate_column
        The column holding the rate; by default the first of :data:`RATE_COLUMNS` that is
        present and numeric (any case).
    unit
        ``"kg/ha"`` or ``"L/ha"``, for a file that does not say; refused if the file (or
        the column name, as ``rate_l_ha``) says otherwise.
    product
        The product's name, for a file that does not say.
    layer
        Only this layer of a multi-layer file.

    Returns
    -------
    RateMap
        One :class:`RateZone` per feature (or per rate of a grid), in WGS84.

    Raises
    ------
    BadPrescription
        No numeric rate column (the message lists the columns), a missing, negative or
        non-finite rate, a feature that is not a polygon, zones that overlap, no CRS, or
        units that disagree.
    UnreadableFile, UnsupportedFormat
        The file cannot be read at all.
    """
    if path.suffix.lower() in _GRID_SUFFIXES:
        return read_rate_grid(path, unit=unit, product=product)
    try:
        source = read_features(path, layer=layer)
    except NoCoordinateSystem as exc:
        raise BadPrescription(f"{path.name}: no CRS, so the rates cannot be placed") from exc
    if any(note.startswith("no CRS declared") for note in source.notes):
        raise BadPrescription(
            f"{path.name}: no CRS declared (a Shapefile without its .prj?); "
            "a rate map must say where it is"
        )
    features = source.features
    if not features:
        raise BadPrescription(f"{path.name}: no features")
    column = _rate_column(path, features, rate_column)
    zones = _distinct_labels([_zone(path, f, column) for f in features])
    _refuse_overlaps(path, zones)
    return RateMap(
        source=path.name,
        rate_column=column,
        unit=_unit(path, features, column, unit),
        product=_product(features, column, product),
        field_ids=tuple(dict.fromkeys(z.field_id for z in zones if z.field_id)),
        zones=zones,
    )


def _columns(features: Sequence[SourceFeature]) -> list[str]:
    return list(dict.fromkeys(k for f in features for k in f.properties))


def _key(f: SourceFeature, name: str) -> str | None:
    """The feature's property named ``name``, ignoring case."""
    wanted = name.casefold()
    return next((k for k in f.properties if k.casefold() == wanted), None)


def _value(f: SourceFeature, name: str) -> Any:
    key = _key(f, name)
    return None if key is None else f.properties[key]


def _numeric(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _rate_column(path: Path, features: Sequence[SourceFeature], wanted: str | None) -> str:
    columns = _columns(features)
    by_fold = {c.casefold(): c for c in reversed(columns)}
    if wanted is not None:
        column = wanted if wanted in columns else by_fold.get(wanted.casefold())
        if column is None:
            raise BadPrescription(
                f"{path.name}: no column {wanted!r}; columns: {', '.join(columns) or '(none)'}"
            )
        bad = next((f for f in features if not _numeric(f.properties.get(column, 0))), None)
        if bad is not None:
            raise BadPrescription(
                f"{path.name}: column {column} is not numeric "
                f"({bad.label()} has {bad.properties[column]!r})"
            )
        return column
    for name in RATE_COLUMNS:
        column = by_fold.get(name)
        values = [f.properties[column] for f in features if column in f.properties]
        if column is not None and values and all(_numeric(v) for v in values):
            return column
    raise BadPrescription(
        f"{path.name}: no numeric rate column among {', '.join(columns) or '(no columns)'}; "
        f"name one (looked for {', '.join(RATE_COLUMNS)})"
    )


def _label(f: SourceFeature) -> str | None:
    """The zone's own name, from the first label column it has."""
    for name in _LABEL_COLUMNS:
        value = _value(f, name)
        if value is not None and str(value).strip():
            return str(value)
    return None


def _zone(path: Path, f: SourceFeature, column: str) -> RateZone:
    own = _label(f)
    label = own if own is not None else f.label()
    where = f.label() if own is None else f"zone {own} ({f.label()})"
    geom = f.geometry
    if geom is None or geom.is_empty:
        raise BadPrescription(f"{path.name}: {where} has no geometry")
    if not isinstance(geom, Polygon | MultiPolygon):
        raise BadPrescription(f"{path.name}: {where} is a {geom.geom_type}, not a polygon")
    rate: Any = f.properties.get(column)
    if not _numeric(rate) or not math.isfinite(rate) or rate < 0:
        raise BadPrescription(f"{path.name}: {where} has rate {rate!r} in {column}")
    if not geom.is_valid:
        geom = _polygonal(shapely.make_valid(geom))
        if geom is None:
            raise BadPrescription(f"{path.name}: {where} is not a valid polygon")
    field_id = _value(f, "field_id")
    return RateZone(
        label=label,
        geometry=geom,
        rate=float(rate),
        field_id=None if field_id is None else str(field_id),
    )


def _unit(
    path: Path, features: Sequence[SourceFeature], column: str, given: str | None
) -> str | None:
    folded = column.casefold()
    if folded in _N_COLUMNS or folded.endswith("_kg_ha"):
        stated: set[str] = {"kg/ha"}
    elif folded.endswith("_l_ha"):
        stated = {"L/ha"}
    else:
        raw = {str(v) for f in features if (v := _value(f, "unit")) is not None}
        stated = {normal_unit(u, where=f"{path.name}: unit") for u in raw}
    if len(stated) > 1:
        raise BadPrescription(f"{path.name}: rates in more than one unit: {sorted(stated)}")
    if given is not None:
        wanted = normal_unit(given, where="the unit asked for")
        if stated and stated != {wanted}:
            raise BadPrescription(
                f"{path.name}: {column} is in {stated.pop()}, not the {wanted} asked for"
            )
        return wanted
    return stated.pop() if stated else None


def _product(features: Sequence[SourceFeature], column: str, given: str | None) -> str | None:
    if column.casefold() in _N_COLUMNS:
        return "N"
    if given is not None:
        return given
    names = [str(v) for f in features if (v := _value(f, "product")) is not None]
    return names[0] if names else None


def _polygonal(geom: BaseGeometry) -> Polygon | MultiPolygon | None:
    """The polygons of a repaired geometry (make_valid may add lines or points)."""
    if isinstance(geom, Polygon | MultiPolygon):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if isinstance(g, Polygon | MultiPolygon)]
    merged = shapely.union_all(parts) if parts else None
    return merged if isinstance(merged, Polygon | MultiPolygon) else None


def _distinct_labels(zones: list[RateZone]) -> tuple[RateZone, ...]:
    """Zones whose label repeats get their position added (``2 #5``), so each is named once."""
    counts = Counter(z.label for z in zones)
    return tuple(
        dataclasses.replace(z, label=f"{z.label} #{i}") if counts[z.label] > 1 else z
        for i, z in enumerate(zones)
    )


def _refuse_overlaps(path: Path, zones: Sequence[RateZone]) -> None:
    """Two zones over the same ground would give it two rates."""
    geoms = [z.geometry for z in zones]
    centre = shapely.union_all(geoms).centroid
    crs = local_crs_for(centre.x, centre.y)
    # "intersects", not "overlaps": a zone drawn wholly inside another must be caught too.
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    for i, j in zip(left.tolist(), right.tolist(), strict=True):
        if i >= j or (common := geoms[i].intersection(geoms[j])).area == 0:
            continue  # the same zone, or neighbours sharing an edge
        if (shared := area_m2(common, crs)) > _OVERLAP_M2:
            raise BadPrescription(
                f"{path.name}: zones {zones[i].label} and {zones[j].label} overlap "
                f"({shared:.1f} m²), which would give that ground two rates"
            )
