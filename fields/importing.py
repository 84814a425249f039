"""Turning the features of a file into fields to register: pure, no database.

The registry (``api``) reads the file, asks :func:`identify` which ids and
owners it touches, loads those fields, and hands everything to
:func:`plan_field_import`. The plan says which fields to write, which stored
fields they replace, and every feature it repaired or rejected, with the reason.
"""

import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from core.ids import FieldId, OwnerName
from fields import fude
from fields.attributes import first_value, id_text, text_or_none
from fields.crs import LocalCrs, to_local
from fields.model import FieldRecord, LandUse
from fields.read import SourceFeature, SourceFile
from fields.validate import FIELD_RULES, SizeRules, check_polygon, coordinate_problem, swapped

__all__ = [
    "MAX_ID_LENGTH",
    "FieldImportPlan",
    "Identity",
    "ImportOptions",
    "Problem",
    "identify",
    "plan_field_import",
    "reference_point",
]

MAX_ID_LENGTH = 200
"""Longest field id the registry stores."""

_ID_KEYS = ("id", "ID", "Id", "field_id", "fid")
_NAME_KEYS = ("name", "Name", "NAME", "field_name", "名称")
_CROP_KEYS = ("crop",)
_VARIETY_KEYS = ("variety", "品種")
_DATE_KEYS = ("transplanted_on", "transplanting_date", "transplanted", "田植日")
_OWNER_KEYS = ("owner",)


@dataclass(frozen=True, kw_only=True, slots=True)
class ImportOptions:
    """How to read a file's features as fields."""

    owner: OwnerName | None = None
    """Owner of every field in the file, over any ``owner`` attribute."""
    default_owner: str = "unassigned"
    id_property: str | None = None
    """The attribute that holds each field's stable id (default: found automatically)."""
    crop: str | None = None
    variety: str | None = None
    transplanted_on: date | None = None
    rules: SizeRules = FIELD_RULES
    overlap_tolerance_m2: float = 1.0
    overlap_tolerance_ratio: float = 0.01
    """Overlap allowed between two fields of one owner: the larger of m² and this share
    of the smaller field (digitised neighbours overlap by slivers)."""
    swap_within_km: float = 100.0


@dataclass(frozen=True, kw_only=True, slots=True)
class Problem:
    """A feature that was rejected or repaired, and why."""

    feature: str
    reason: str
    position: int = 0
    """The feature's place in the file (across layers), for reporting in file order."""

    def __str__(self) -> str:
        return f"{self.feature}: {self.reason}"


@dataclass(frozen=True, kw_only=True, slots=True)
class Identity:
    """Who a feature says it is: its stable id and owner, or why it has none."""

    id: FieldId | None
    owner: OwnerName
    problem: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class FieldImportPlan:
    """What importing a file will do."""

    fields: tuple[FieldRecord, ...]
    updated_ids: frozenset[FieldId]
    replaces: dict[FieldId, tuple[FieldId, ...]] = field(default_factory=dict)
    repaired: tuple[Problem, ...] = ()
    rejected: tuple[Problem, ...] = ()
    notes: tuple[str, ...] = ()


def identify(feature: SourceFeature, source: SourceFile, options: ImportOptions) -> Identity:
    """The stable id and owner of a feature.

    The id is, in order: the ``--id-property`` attribute, MAFF ``polygon_uuid``, an
    ``id`` attribute, else ``<file stem>-<index>`` (stable while the file keeps its
    name and order).
    """
    props = feature.properties
    owner = options.owner or OwnerName(
        str(first_value(props, _OWNER_KEYS) or options.default_owner).strip()
    )
    if options.id_property is not None:
        value = props.get(options.id_property)
        if value is None or id_text(value) == "":
            return Identity(
                id=None, owner=owner, problem=f"no value in id property {options.id_property!r}"
            )
        return Identity(id=FieldId(id_text(value)), owner=owner)
    if fude.is_fude(props):
        return Identity(id=FieldId(id_text(props["polygon_uuid"])), owner=owner)
    value = first_value(props, _ID_KEYS)
    if value is not None:
        return Identity(id=FieldId(id_text(value)), owner=owner)
    stem = source.path.stem
    place = f"{feature.layer}-{feature.index}" if feature.layer else str(feature.index)
    return Identity(id=FieldId(f"{stem}-{place}"), owner=owner)


def _parse_date(value: Any) -> date:
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value).strip()[:10])


def _checked_geometry(feature: SourceFeature, source: SourceFile) -> BaseGeometry | None:
    """The geometry whose coordinates are judged: as written if in degrees, else in WGS84."""
    return feature.raw_geometry if source.crs_is_geographic else feature.geometry


def reference_point(
    geometries: Iterable[BaseGeometry | None], *, min_count: int = 3
) -> tuple[float, float] | None:
    """The median (lon, lat) of in-range geometries: where a file's fields are."""
    points = [
        (c.x, c.y)
        for g in geometries
        if g is not None and not g.is_empty and coordinate_problem(g) is None
        for c in (g.centroid,)
    ]
    if len(points) < min_count:
        return None
    return statistics.median(p[0] for p in points), statistics.median(p[1] for p in points)


def _swap_problem(
    geom: BaseGeometry | None,
    props: dict[str, Any],
    consensus: tuple[float, float] | None,
    within_km: float,
) -> str | None:
    if geom is None or geom.is_empty or coordinate_problem(geom) is not None:
        return None
    expected = fude.representative_point(props) or consensus
    if expected is None:
        return None
    c = geom.centroid
    if swapped((c.x, c.y), expected, within_km=within_km):
        return (
            f"lat/lon swapped: it lies at lat {c.y:.5f}, lon {c.x:.5f}, but swapped it falls "
            f"where expected (lat {expected[1]:.5f}, lon {expected[0]:.5f}); swap the coordinates"
        )
    return None


def plan_field_import(
    source: SourceFile, existing: Sequence[FieldRecord], options: ImportOptions
) -> FieldImportPlan:
    """Validate every feature of a file and decide what to register.

    Parameters
    ----------
    source
        The file as read by :func:`fields.read.read_features`.
    existing
        Stored fields that share an id or an owner with the file's features.
    options
        Owner, id attribute, defaults and tolerances.

    Returns
    -------
    FieldImportPlan
        Valid features become fields (repaired ones too, reported); the rest are
        rejected one by one with the reason. Nothing is stored here.
    """
    rejected: list[Problem] = []
    repaired: list[Problem] = []
    by_id = {f.id: f for f in existing}
    consensus = reference_point(_checked_geometry(f, source) for f in source.features)
    candidates: list[_Candidate] = []
    seen: dict[FieldId, str] = {}
    for position, feature in enumerate(source.features):
        ident = identify(feature, source, options)
        label = feature.label(ident.id)

        def problem(reason: str, label: str = label, position: int = position) -> Problem:
            return Problem(feature=label, reason=reason, position=position)

        if ident.id is None:
            rejected.append(problem(ident.problem or "no id"))
            continue
        if len(ident.id) > MAX_ID_LENGTH:
            rejected.append(problem(f"id is longer than {MAX_ID_LENGTH} characters"))
            continue
        record_or_reason = _field_from(feature, source, ident, options, consensus, existing)
        if isinstance(record_or_reason, str):
            rejected.append(problem(record_or_reason))
            continue
        record, repair = record_or_reason
        if ident.id in seen:
            rejected.append(problem(f"duplicate id {ident.id} (also {seen[ident.id]})"))
            continue
        stored = by_id.get(ident.id)
        if stored is not None and stored.owner != record.owner:
            rejected.append(
                problem(f"id {ident.id} is registered to another owner ({stored.owner})")
            )
            continue
        seen[ident.id] = label
        if repair:
            repaired.append(problem(repair))
        lineage = frozenset(
            old
            for old in map(FieldId, fude.lineage(feature.properties))
            if old in by_id and by_id[old].owner == record.owner
        )
        candidates.append(_Candidate(record=record, lineage=lineage, problem=problem))
    accepted, overlap_rejects = _without_overlaps(candidates, existing, options)
    rejected.extend(overlap_rejects)
    rejected.sort(key=lambda p: p.position)
    return FieldImportPlan(
        fields=tuple(c.record for c in accepted),
        updated_ids=frozenset(c.record.id for c in accepted if c.record.id in by_id),
        replaces={c.record.id: tuple(sorted(c.lineage)) for c in accepted if c.lineage},
        repaired=tuple(repaired),
        rejected=tuple(rejected),
        notes=source.notes,
    )


def _field_from(
    feature: SourceFeature,
    source: SourceFile,
    ident: Identity,
    options: ImportOptions,
    consensus: tuple[float, float] | None,
    existing: Sequence[FieldRecord],
) -> tuple[FieldRecord, str | None] | str:
    props = feature.properties
    checked = _checked_geometry(feature, source)
    if checked is not None and not checked.is_empty:
        problem = coordinate_problem(checked)
        if problem:
            return problem
    if consensus is None:
        own = [f.geometry for f in existing if f.owner == ident.owner]
        consensus = reference_point(own, min_count=1)
    swap = _swap_problem(checked, props, consensus, options.swap_within_km)
    if swap:
        return swap
    is_fude = fude.is_fude(props)
    code = fude.municipality_code(props) if is_fude else None
    verdict = check_polygon(feature.geometry, rules=options.rules, municipality_code=code)
    if verdict.rejected or verdict.geometry is None or verdict.local_crs is None:
        return verdict.rejected or "no geometry"
    raw_date = first_value(props, _DATE_KEYS)
    try:
        transplanted = _parse_date(raw_date) if raw_date is not None else options.transplanted_on
    except ValueError:
        return f"transplanting date {raw_date!r} is not a date (YYYY-MM-DD)"
    land_use = fude.land_use_of(props.get("land_type")) if is_fude else None
    if land_use is None and props.get("land_use") in {u.value for u in LandUse}:
        land_use = LandUse(props["land_use"])
    record = FieldRecord(
        id=FieldId(str(ident.id)),
        owner=ident.owner,
        name=str(first_value(props, _NAME_KEYS) or ident.id),
        geometry=verdict.geometry,
        area_m2=verdict.area_m2,
        perimeter_m=verdict.perimeter_m,
        local_crs_epsg=verdict.local_crs.epsg,
        crop=text_or_none(first_value(props, _CROP_KEYS)) or options.crop,
        variety=text_or_none(first_value(props, _VARIETY_KEYS)) or options.variety,
        transplanted_on=transplanted,
        land_use=land_use,
        municipality_code=code or text_or_none(props.get("municipality_code")),
        source=source.path.name,
        properties=props,
    )
    return record, verdict.repaired


def _overlap(a: FieldRecord, b: FieldRecord, options: ImportOptions) -> float | None:
    """The overlap of two fields in m² if it is more than the tolerance, else None."""
    inter = shapely.intersection(a.geometry, b.geometry)
    if inter.is_empty:
        return None
    crs = LocalCrs(epsg=a.local_crs_epsg, name="")
    area = float(to_local(inter, crs).area)
    allowed = max(
        options.overlap_tolerance_m2,
        options.overlap_tolerance_ratio * min(a.area_m2, b.area_m2),
    )
    return area if area > allowed else None


@dataclass(frozen=True, kw_only=True, slots=True)
class _Candidate:
    record: FieldRecord
    lineage: frozenset[FieldId]
    problem: Callable[[str], Problem]


def _without_overlaps(
    candidates: list[_Candidate], existing: Sequence[FieldRecord], options: ImportOptions
) -> tuple[list[_Candidate], list[Problem]]:
    """Drop candidates that overlap a stored field or an earlier candidate of the same owner."""
    if not candidates:
        return [], []
    geoms = np.array([c.record.geometry for c in candidates], dtype=object)
    ids = {c.record.id for c in candidates}
    retired = {i for c in candidates for i in c.lineage}
    stored = [f for f in existing if f.id not in ids and f.id not in retired]
    stored_hits: dict[int, list[int]] = {}
    if stored:
        tree = shapely.STRtree([f.geometry for f in stored])
        cand_idx, stored_idx = tree.query(geoms, predicate="intersects")
        for c, s in zip(cand_idx.tolist(), stored_idx.tolist(), strict=True):
            stored_hits.setdefault(c, []).append(s)
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    earlier: dict[int, list[int]] = {}
    for i, j in zip(left.tolist(), right.tolist(), strict=True):
        if j < i:
            earlier.setdefault(i, []).append(j)
    accepted: list[_Candidate] = []
    kept: set[int] = set()
    problems: list[Problem] = []
    for i, cand in enumerate(candidates):
        record = cand.record
        clash = None
        for s in stored_hits.get(i, []):
            other = stored[s]
            if other.owner == record.owner and (area := _overlap(record, other, options)):
                clash = f"overlaps field {other.id} of {other.owner} by {area:,.1f} m²"
                break
        for j in [] if clash else earlier.get(i, []):
            other = candidates[j].record
            if (
                j in kept
                and other.owner == record.owner
                and (area := _overlap(record, other, options))
            ):
                clash = f"overlaps field {other.id} of this file by {area:,.1f} m²"
                break
        if clash:
            problems.append(cand.problem(clash))
            continue
        kept.add(i)
        accepted.append(cand)
    return accepted, problems
