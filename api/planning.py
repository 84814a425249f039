"""Planning jobs for the command line: read fields and zones, plan each field, write the files.

Each field gives ``DIR/<id>.plan`` (QGroundControl), ``DIR/<id>.waypoints`` (QGC WPL
110) and ``DIR/<id>.geojson`` (legs in flight order); ``DIR/summary.csv`` has a row
per field. A field that cannot be read or planned is reported and skipped; the
others are still planned.
"""

import csv
import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Engine

from api import registry
from core.errors import TanboError
from core.geo import GeoPoint
from fields import (
    FieldRecord,
    ImportOptions,
    LocalCrs,
    ZoneKind,
    ZoneRecord,
    id_text,
    identify,
    local_crs_for,
    plan_field_import,
    plan_zone_import,
    read_features,
    to_local,
)
from mission_planner import FlightPlan, build_mission, to_geojson, to_qgc_plan, to_waypoints
from mission_planner.safety import LocalZone, local_zones
from mission_planner.spray import SprayParams, SprayTarget, plan_spray

__all__ = [
    "SUMMARY_COLUMNS",
    "ZONE_REACH_M",
    "FieldToPlan",
    "LocalZone",
    "Outcome",
    "SprayJob",
    "TanboError",
    "describe_refusal",
    "home_in",
    "load_fields",
    "load_zones",
    "local_zones",
    "plan_documents",
    "plan_each",
    "plan_spray_job",
    "registry",
    "write_plan",
    "write_summary",
    "zones_near",
]

_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")
"""Ids that can name files: no path separators, no leading dot."""

SUMMARY_COLUMNS = (
    "id", "area_ha", "path_m", "turns", "sorties", "est_time_s", "coverage", "product",
)  # fmt: skip
"""The columns of ``summary.csv``; ``product`` is the liquid (L) or granules (kg) a spray
plan with a rate puts out, empty for other plans."""


@dataclass(frozen=True, kw_only=True, slots=True)
class FieldToPlan:
    """A field to plan: its id for file names and its boundary in WGS84."""

    id: str
    geometry: BaseGeometry


@dataclass(frozen=True, kw_only=True, slots=True)
class Outcome:
    """What happened to one field: its plan, or why there is none."""

    target: FieldToPlan
    plan: FlightPlan | None = None
    problem: str | None = None

    @property
    def id(self) -> str:
        """The field's id."""
        return self.target.id


def load_fields(
    source: str, ids: Sequence[str], engine: Callable[[], Engine]
) -> tuple[list[FieldToPlan], list[str]]:
    """Fields from a file (id: its ``id`` attribute, else its index) or registered ids.

    ``source`` is a file any ``fields import`` reads, or registered field ids
    separated by commas. Returns the fields and one line per feature refused.
    """
    path = Path(source)
    if not path.exists() and not path.suffix:
        wanted = [s for s in source.split(",") if s.strip()] + list(ids)
        if not wanted:
            return [], [f"{source!r}: no field ids given"]
        records = registry.list_fields(engine(), ids=wanted)
        missing = sorted(set(wanted) - {r.id for r in records})
        unknown = [f"{m}: no registered field with this id" for m in missing]
        return [FieldToPlan(id=r.id, geometry=r.geometry) for r in records], unknown
    read = read_features(path)
    checked = plan_field_import(read, [], ImportOptions())
    accepted = {f.id: f for f in checked.fields}
    rejected = {p.position: p.reason for p in checked.rejected}
    kept: list[FieldToPlan] = []
    problems: list[str] = []
    seen: set[str] = set()
    for position, feature in enumerate(read.features):
        # The contract of `tanbo plan`: a field's id is its `id` attribute, else its index.
        value = feature.properties.get("id")
        fid = id_text(value) if value not in (None, "") else str(feature.index)
        if ids and fid not in ids:
            seen.add(fid)
            continue
        if fid in seen:
            problems.append(f"{fid}: another field of {path.name} has this id")
            continue
        seen.add(fid)
        if not _SAFE_ID.fullmatch(fid):
            problems.append(f"{fid}: an id must be letters, digits, '.', '_' or '-' to name files")
            continue
        if position in rejected:
            problems.append(f"{fid}: {rejected[position]}")
            continue
        ident = identify(feature, read, ImportOptions())
        record: FieldRecord | None = accepted.get(ident.id) if ident.id is not None else None
        if record is not None:
            kept.append(FieldToPlan(id=fid, geometry=record.geometry))
    problems.extend(f"{w}: no such field in {path.name}" for w in ids if w not in seen)
    return kept, problems


def load_zones(
    sources: Sequence[Path], *, default_kind: ZoneKind
) -> tuple[list[ZoneRecord], list[str]]:
    """Zones from files; a feature's ``kind`` attribute, else ``default_kind``."""
    zones: list[ZoneRecord] = []
    problems: list[str] = []
    for path in sources:
        plan = plan_zone_import(read_features(path), kind=None, default_kind=default_kind)
        zones.extend(plan.zones)
        problems.extend(f"{path.name} {p}" for p in plan.rejected)
    return zones, problems


def home_in(home: GeoPoint | None, field_local: BaseGeometry, crs: LocalCrs) -> tuple[float, float]:
    """Home in local metres: the given point, else the field's south-west-most corner."""
    if home is not None:
        p = to_local(shapely.Point(home.lon_deg, home.lat_deg), crs)
        return (float(p.x), float(p.y))
    coords = shapely.get_coordinates(field_local)
    corner = min(coords.tolist(), key=lambda xy: xy[0] + xy[1])
    return (float(corner[0]), float(corner[1]))


def plan_each(
    fields: Sequence[FieldToPlan], plan_one: Callable[[FieldToPlan, LocalCrs], FlightPlan]
) -> Iterator[Outcome]:
    """Plan each field in its own local CRS; a refusal becomes the outcome's problem."""
    for f in fields:
        c = f.geometry.centroid
        crs = local_crs_for(c.x, c.y)
        try:
            yield Outcome(target=f, plan=plan_one(f, crs))
        except (TanboError, ValueError) as exc:
            yield Outcome(target=f, problem=describe_refusal(exc))


def describe_refusal(exc: Exception) -> str:
    """A refusal in one line: the message, and the rule and place when it names them."""
    rule, where = getattr(exc, "rule", ""), getattr(exc, "where", "")
    return f"{exc} ({rule} at {where})" if rule and where else str(exc)


def write_plan(
    out: Path,
    name: str,
    plan: FlightPlan,
    *,
    field: BaseGeometry | None = None,
    zones: Sequence[LocalZone] = (),
) -> None:
    """Write ``name``.plan, .waypoints and .geojson into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    for extension, text in plan_documents(plan, field=field, zones=zones).items():
        (out / f"{name}.{extension}").write_text(text)


def plan_documents(
    plan: FlightPlan, *, field: BaseGeometry | None = None, zones: Sequence[LocalZone] = ()
) -> dict[str, str]:
    """The plan as file contents by extension: ``plan``, ``waypoints`` and ``geojson``."""
    mission = build_mission(plan)
    doc = to_geojson(plan, field=field, zones=zones, mission=mission)
    return {
        "plan": json.dumps(to_qgc_plan(mission), indent=2, allow_nan=False),
        "waypoints": to_waypoints(mission),
        "geojson": json.dumps(doc, allow_nan=False),
    }


@dataclass(frozen=True, kw_only=True, slots=True)
class SprayJob:
    """Several fields sprayed in one mission, with what its files show beside the path."""

    plan: FlightPlan
    work: BaseGeometry
    """The fields together, in the plan's metric CRS."""
    zones: list[LocalZone]


def plan_spray_job(
    targets: Sequence[tuple[str, BaseGeometry]],
    params: SprayParams,
    *,
    home: GeoPoint | None,
    zones: Sequence[ZoneRecord],
    buffers_m: dict[ZoneKind, float],
) -> SprayJob:
    """Plan fields (id, WGS84 geometry) as one spray mission, nearest first from home.

    Raises
    ------
    mission_planner.MissionPlannerError, ValueError
        The mission cannot be planned safely (the rule and place are named).
    """
    together = shapely.union_all([geometry for _, geometry in targets])
    crs = local_crs_for(together.centroid.x, together.centroid.y)
    local = {fid: to_local(geometry, crs) for fid, geometry in targets}
    work = shapely.union_all(list(local.values()))
    home_local = home_in(home, work, crs)
    near = zones_near(zones, crs, buffers_m, work, home_local)
    plan = plan_spray(
        [SprayTarget(id=fid, field=geom) for fid, geom in local.items()],
        crs=crs,
        home=home_local,
        params=params,
        zones=near,
    )
    return SprayJob(plan=plan, work=work, zones=near)


def write_summary(out: Path, rows: Sequence[dict[str, Any]]) -> Path:
    """``summary.csv``: one row per planned field."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / "summary.csv"
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(SUMMARY_COLUMNS), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


ZONE_REACH_M = 2_000.0
"""Zones this far from the fields and home are left out: no flight goes that far round."""


def zones_near(
    zones: Sequence[ZoneRecord],
    crs: LocalCrs,
    buffers_m: dict[ZoneKind, float],
    work: BaseGeometry,
    home: tuple[float, float],
) -> list[LocalZone]:
    """Zones in ``crs`` that a flight between home and the work area could meet.

    Everything within :data:`ZONE_REACH_M` of the convex hull of the work area and
    home: the flights out and back, and their detours, stay inside that.
    """
    around = shapely.union_all([work, shapely.Point(home)]).convex_hull
    return [
        z for z in local_zones(zones, crs, buffers_m) if z.buffered.distance(around) < ZONE_REACH_M
    ]
