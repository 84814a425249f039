"""No-spray and no-fly zones: kinds, buffers, import and the "which zones touch this field" query.

Each kind has a default drift buffer and a default restriction, both
configurable: houses, schools, hospitals, water, beehives, organic fields and
roads are no-spray; power lines, airports and densely inhabited districts (DID)
are no-fly. Buffers are applied in the field's local metric CRS.

>>> DEFAULT_BUFFERS_M[ZoneKind.SCHOOL], DEFAULT_RESTRICTIONS[ZoneKind.AIRPORT]
(30.0, <Restriction.NO_FLY: 'no_fly'>)
"""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import shapely
from shapely.geometry.base import BaseGeometry

from core.ids import ZoneId
from fields.attributes import first_value, id_text
from fields.crs import LocalCrs, to_local
from fields.importing import Problem
from fields.model import FieldRecord, Restriction, ZoneKind, ZoneRecord
from fields.read import SourceFile
from fields.validate import ZONE_RULES, check_polygon, coordinate_problem

__all__ = [
    "DEFAULT_BUFFERS_M",
    "DEFAULT_RESTRICTIONS",
    "ZoneImportPlan",
    "ZoneTouch",
    "buffered_zone",
    "effective_buffer_m",
    "plan_zone_import",
    "zones_touching",
]

DEFAULT_BUFFERS_M: Mapping[ZoneKind, float] = {
    ZoneKind.HOUSE: 10.0,
    ZoneKind.SCHOOL: 30.0,
    ZoneKind.HOSPITAL: 30.0,
    ZoneKind.WATER: 5.0,
    ZoneKind.BEEHIVE: 30.0,
    ZoneKind.ORGANIC_FIELD: 10.0,
    ZoneKind.ROAD: 5.0,
    ZoneKind.POWER_LINE: 30.0,
    ZoneKind.AIRPORT: 0.0,
    ZoneKind.DID: 0.0,
}
"""Drift buffer in metres around each kind, unless the zone or the settings say otherwise."""

DEFAULT_RESTRICTIONS: Mapping[ZoneKind, Restriction] = {
    kind: (
        Restriction.NO_FLY
        if kind in (ZoneKind.POWER_LINE, ZoneKind.AIRPORT, ZoneKind.DID)
        else Restriction.NO_SPRAY
    )
    for kind in ZoneKind
}
"""What each kind forbids, unless the import says otherwise."""

_LINEAL = ("Point", "MultiPoint", "LineString", "MultiLineString")


@dataclass(frozen=True, kw_only=True, slots=True)
class ZoneImportPlan:
    """What importing a zone file will do."""

    zones: tuple[ZoneRecord, ...]
    repaired: tuple[Problem, ...] = ()
    rejected: tuple[Problem, ...] = ()
    notes: tuple[str, ...] = ()


def plan_zone_import(
    source: SourceFile,
    *,
    kind: ZoneKind | None,
    restriction: Restriction | None = None,
    buffer_m: float | None = None,
    default_buffers_m: Mapping[ZoneKind, float] = DEFAULT_BUFFERS_M,
    default_kind: ZoneKind | None = None,
) -> ZoneImportPlan:
    """Validate a file's features as zones.

    ``kind`` applies to every feature; when it is None each feature's ``kind``
    attribute names its kind, and a feature without one takes ``default_kind`` (a
    feature whose ``kind`` is not a known kind is rejected, never guessed).

    Polygons are checked and repaired like fields (any size). Points and lines
    (a beehive, a power line) are kept as they are and need a buffer above zero.
    A feature's ``buffer_m`` attribute overrides ``buffer_m``, which overrides the
    kind's default; ``restriction`` overrides a feature's ``restriction`` attribute,
    which overrides the kind's default. Ids: the ``id`` attribute, else ``<file stem>-<index>``.
    """
    zones: list[ZoneRecord] = []
    rejected: list[Problem] = []
    repaired: list[Problem] = []
    seen: set[str] = set()
    for feature in source.features:
        props = feature.properties
        raw_id = first_value(props, ("id", "ID", "zone_id"))
        zone_id = id_text(raw_id) if raw_id is not None else f"{source.path.stem}-{feature.index}"
        label = feature.label(zone_id)
        own_buffer = props.get("buffer_m")
        try:
            buffer = float(own_buffer) if own_buffer is not None else buffer_m
        except (TypeError, ValueError):
            rejected.append(
                Problem(feature=label, reason=f"buffer_m {own_buffer!r} is not a number")
            )
            continue
        given = props.get("kind")
        zone_kind = kind or (_kind_of(given) if given not in (None, "") else default_kind)
        if zone_kind is None:
            known = ", ".join(k.value for k in ZoneKind)
            rejected.append(
                Problem(
                    feature=label,
                    reason=f"zone kind {props.get('kind')!r} is not one of {known}",
                )
            )
            continue
        effective = buffer if buffer is not None else default_buffers_m[zone_kind]
        if buffer is not None and buffer < 0:
            rejected.append(Problem(feature=label, reason=f"negative buffer {buffer} m"))
            continue
        geom = feature.geometry
        if geom is not None and geom.geom_type in _LINEAL:
            problem = coordinate_problem(geom)
            if problem is None and effective <= 0:
                problem = f"a {geom.geom_type} zone needs a buffer above 0 m"
            if problem is None and not geom.is_valid:
                problem = f"invalid {geom.geom_type} ({shapely.is_valid_reason(geom)})"
            if problem:
                rejected.append(Problem(feature=label, reason=problem))
                continue
            shape: BaseGeometry = shapely.force_2d(geom)
        else:
            verdict = check_polygon(geom, rules=ZONE_RULES)
            if verdict.rejected or verdict.geometry is None:
                rejected.append(Problem(feature=label, reason=verdict.rejected or "no geometry"))
                continue
            if verdict.repaired:
                repaired.append(Problem(feature=label, reason=verdict.repaired))
            shape = verdict.geometry
        if zone_id in seen:
            rejected.append(Problem(feature=label, reason=f"duplicate id {zone_id}"))
            continue
        seen.add(zone_id)
        zones.append(
            ZoneRecord(
                id=ZoneId(zone_id),
                kind=zone_kind,
                restriction=restriction
                or _restriction_of(props.get("restriction"))
                or DEFAULT_RESTRICTIONS[zone_kind],
                name=str(first_value(props, ("name", "Name", "名称")) or zone_id),
                geometry=shape,
                buffer_m=buffer,
                source=source.path.name,
                properties=props,
            )
        )
    return ZoneImportPlan(
        zones=tuple(zones),
        repaired=tuple(repaired),
        rejected=tuple(rejected),
        notes=source.notes,
    )


def _kind_of(value: object) -> ZoneKind | None:
    try:
        return ZoneKind(str(value).strip().lower()) if value is not None else None
    except ValueError:
        return None


def _restriction_of(value: object) -> Restriction | None:
    try:
        return Restriction(str(value).strip().lower()) if value is not None else None
    except ValueError:
        return None


def effective_buffer_m(
    zone: ZoneRecord, default_buffers_m: Mapping[ZoneKind, float] = DEFAULT_BUFFERS_M
) -> float:
    """The zone's own buffer, else its kind's default."""
    return zone.buffer_m if zone.buffer_m is not None else default_buffers_m[zone.kind]


def buffered_zone(
    zone: ZoneRecord,
    crs: LocalCrs,
    default_buffers_m: Mapping[ZoneKind, float] = DEFAULT_BUFFERS_M,
) -> BaseGeometry:
    """The zone grown by its buffer, in ``crs`` metres."""
    buffer = effective_buffer_m(zone, default_buffers_m)
    local = to_local(zone.geometry, crs)
    return local.buffer(buffer) if buffer > 0 else local


@dataclass(frozen=True, kw_only=True, slots=True)
class ZoneTouch:
    """A zone that reaches a field once buffered."""

    zone: ZoneRecord
    buffer_m: float
    overlap_m2: float
    """Area of the field inside the buffered zone."""
    distance_m: float
    """Distance from the field to the zone itself (0 when they touch before buffering)."""


def zones_touching(
    field: FieldRecord,
    zones: Sequence[ZoneRecord],
    default_buffers_m: Mapping[ZoneKind, float] = DEFAULT_BUFFERS_M,
) -> list[ZoneTouch]:
    """The zones whose buffered shape touches a field, nearest first.

    Parameters
    ----------
    field
        A registered field.
    zones
        Candidate zones (all of them will do; far ones are skipped cheaply).
    default_buffers_m
        Buffer per kind for zones without their own.

    Returns
    -------
    list[ZoneTouch]
        With the field's area inside each buffered zone and the unbuffered distance.
    """
    if not zones:
        return []
    centroid = field.geometry.centroid
    crs = LocalCrs(epsg=field.local_crs_epsg, name="")
    local_field = to_local(field.geometry, crs)
    buffers = [effective_buffer_m(z, default_buffers_m) for z in zones]
    # A cheap pre-filter in degrees; a degree of longitude shrinks with latitude.
    reach_deg = max(buffers) / (111_000.0 * max(0.05, math.cos(math.radians(centroid.y))))
    window = field.geometry.buffer(reach_deg * 1.5 + 1e-6)
    hits = shapely.STRtree([z.geometry for z in zones]).query(window, predicate="intersects")
    touches: list[ZoneTouch] = []
    for i in sorted(hits.tolist()):
        zone, buffer = zones[i], buffers[i]
        local_zone = to_local(zone.geometry, crs)
        grown = local_zone.buffer(buffer) if buffer > 0 else local_zone
        if not grown.intersects(local_field):
            continue
        touches.append(
            ZoneTouch(
                zone=zone,
                buffer_m=buffer,
                overlap_m2=float(grown.intersection(local_field).area),
                distance_m=float(local_zone.distance(local_field)),
            )
        )
    touches.sort(key=lambda t: (t.distance_m, t.zone.id))
    return touches
