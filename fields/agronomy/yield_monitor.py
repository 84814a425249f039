"""Yield-monitor points: a combine's yield map, averaged per field and per management zone.

A combine with a yield monitor logs a point every second or two: where it was and the yield
it measured there. Exports differ, so Tanbo reads the two plain forms most software writes:
a CSV with ``lon``, ``lat`` and a yield column, or GeoJSON points with the yield as a
property. The yield column and moisture follow the harvest records' rules
(``fields.agronomy.harvests``: ``yield_t_ha``, ``yield_kg_10a``, ``yield_kg_ha`` or ``yield``
with ``unit``; ``moisture_pct`` standardised to 15 %). Points are WGS84 longitude/latitude.
A point's season is its ``season`` (or ``year``) column, else the year of its time (``time``,
``timestamp``, ``datetime`` or ``date``, ISO 8601), the way combines stamp every reading.

A field's (or zone's) yield is the mean of the points inside it, reported with their count
and median, so a field crossed by a single pass is seen for what it is. Points with an
impossible yield (a monitor's start-of-pass zeros, a spike) are reported by line or feature
and left out. ``records_from_points`` turns a season's points into one harvest record per
field, the yield monitor's history.
"""

import csv
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import numpy as np
import shapely
from shapely import MultiPolygon, Polygon

from fields.agronomy.errors import AgronomyError
from fields.agronomy.harvests import HarvestRecord, RecordProblem, row_yield_t_ha, yield_column
from fields.agronomy.model import FieldShape, ZoneMap

__all__ = [
    "YIELD_MONITOR_SOURCE",
    "PointYield",
    "YieldPoint",
    "aggregate_points",
    "aggregate_points_by_zone",
    "read_yield_points",
    "records_from_points",
]

YIELD_MONITOR_SOURCE = "yield monitor"
"""How a record made from yield-monitor points names its source."""
_SEASON_COLUMNS = ("season", "year")
_TIME_COLUMNS = ("time", "timestamp", "datetime", "date")


@dataclass(frozen=True, kw_only=True, slots=True)
class YieldPoint:
    """One yield-monitor reading: WGS84 position and yield at 15 % moisture, t/ha."""

    lon: float
    lat: float
    yield_t_ha: float
    season: int | None = None
    """The season (year) harvested, when the file gave a season or a time."""
    day: date | None = None
    """The day harvested, when the file gave a time."""

    def __post_init__(self) -> None:
        if not (-180.0 <= self.lon <= 180.0 and -90.0 <= self.lat <= 90.0):
            raise AgronomyError(f"point ({self.lon:g}, {self.lat:g}) is not on Earth")
        if self.season is not None and not 1900 <= self.season <= 2100:
            raise AgronomyError(f"season {self.season} is not a year")


@dataclass(frozen=True, kw_only=True, slots=True)
class PointYield:
    """The yield of the points inside an area: mean and median t/ha, and how many."""

    mean_t_ha: float
    median_t_ha: float
    count: int

    @property
    def mean_kg_10a(self) -> float:
        """The mean in kg/10a."""
        return 100.0 * self.mean_t_ha


def _first(cells: Mapping[str, str], names: Sequence[str]) -> str:
    return next((cells[n].strip() for n in names if (cells.get(n) or "").strip()), "")


def _when(cells: Mapping[str, str]) -> tuple[int | None, date | None]:
    """The point's season and day: its season column, else its time's year (ValueError)."""
    time_text = _first(cells, _TIME_COLUMNS)
    day = datetime.fromisoformat(time_text).date() if time_text else None
    season_text = _first(cells, _SEASON_COLUMNS)
    if season_text:
        return int(season_text), day
    return (day.year if day is not None else None), day


def _point(cells: Mapping[str, str], column: str, dated: bool) -> YieldPoint:
    t_ha, _ = row_yield_t_ha(cells, column)
    season, day = _when(cells)
    if dated and season is None:
        raise ValueError("no season or time")
    return YieldPoint(
        lon=float(cells["lon"]), lat=float(cells["lat"]), yield_t_ha=t_ha, season=season, day=day
    )


def _dated(names: Sequence[str]) -> bool:
    """Whether the file gives its points a season (then a point without one is bad)."""
    return any(n in names for n in (*_SEASON_COLUMNS, *_TIME_COLUMNS))


def _read_csv(path: Path, text: str) -> tuple[list[YieldPoint], list[RecordProblem]]:
    reader = csv.reader(text.splitlines())
    header = [h.strip().lower() for h in next(reader, [])]
    if not {"lon", "lat"} <= set(header):
        raise AgronomyError(f"{path}:1: the header needs lon and lat")
    column = yield_column(header, f"{path}:1")
    dated = _dated(header)
    points, problems = [], []
    for line, row in enumerate(reader, start=2):
        if not any(c.strip() for c in row):
            continue
        try:
            points.append(_point(dict(zip(header, row, strict=False)), column, dated))
        except (ValueError, KeyError, AgronomyError) as exc:
            problems.append(RecordProblem(where=str(path), line=line, reason=str(exc)))
    return points, problems


def _read_geojson(path: Path, text: str) -> tuple[list[YieldPoint], list[RecordProblem]]:
    try:
        features = json.loads(text)["features"]
    except (ValueError, KeyError, TypeError) as exc:
        raise AgronomyError(f"{path}: not a GeoJSON FeatureCollection") from exc
    names = {k.lower() for f in features for k in (f.get("properties") or {})}
    column = yield_column(sorted(names), str(path))
    dated = _dated(sorted(names))
    points, problems = [], []
    for number, feature in enumerate(features, start=1):
        try:
            geometry = feature["geometry"]
            if geometry["type"] != "Point":
                raise ValueError(f"a {geometry['type']}, not a Point")
            lon, lat = geometry["coordinates"][:2]
            props = {k.lower(): str(v) for k, v in (feature.get("properties") or {}).items()}
            cells = {**props, "lon": str(lon), "lat": str(lat)}
            points.append(_point(cells, column, dated))
        except (ValueError, KeyError, TypeError, AgronomyError) as exc:
            problems.append(RecordProblem(where=f"{path} feature", line=number, reason=str(exc)))
    return points, problems


def read_yield_points(
    path: Path,
) -> tuple[tuple[YieldPoint, ...], tuple[RecordProblem, ...]]:
    """Read yield-monitor points from a CSV or GeoJSON file; bad points are reported.

    Parameters
    ----------
    path
        ``.csv`` (``lon``, ``lat``, a yield column, optionally ``moisture_pct`` and a season
        or time column) or ``.geojson``/``.json`` (Point features, the same among the
        properties).

    Returns
    -------
    points, problems
        Usable points (t/ha at 15 % moisture), and one problem per bad line or feature.

    Raises
    ------
    AgronomyError
        The file cannot be read or has no usable header or yield column.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise AgronomyError(f"{path}: cannot read it ({exc})") from exc
    if path.suffix.lower() in (".geojson", ".json"):
        points, problems = _read_geojson(path, text)
    else:
        points, problems = _read_csv(path, text)
    return tuple(points), tuple(problems)


def _inside(points: Sequence[YieldPoint], area: Polygon | MultiPolygon) -> PointYield | None:
    lon = np.array([p.lon for p in points])
    lat = np.array([p.lat for p in points])
    values = np.array([p.yield_t_ha for p in points])[shapely.contains_xy(area, lon, lat)]
    if len(values) == 0:
        return None
    return PointYield(
        mean_t_ha=float(values.mean()), median_t_ha=float(np.median(values)), count=len(values)
    )


def aggregate_points(
    points: Sequence[YieldPoint], shapes: Sequence[FieldShape]
) -> dict[str, PointYield]:
    """Each field's yield from the points inside its outline; fields with none are left out.

    Parameters
    ----------
    points
        Yield-monitor points (WGS84).
    shapes
        Field outlines (WGS84).

    Returns
    -------
    dict
        Field id → its points' yield.
    """
    if not points:
        return {}
    found = {s.id: _inside(points, s.geometry) for s in shapes}
    return {k: v for k, v in found.items() if v is not None}


def aggregate_points_by_zone(points: Sequence[YieldPoint], zones: ZoneMap) -> dict[int, PointYield]:
    """Each management zone's yield from the points inside it; zones with none are left out.

    Parameters
    ----------
    points
        Yield-monitor points (WGS84).
    zones
        One field's management zones (WGS84).

    Returns
    -------
    dict
        Zone number → its points' yield.
    """
    if not points:
        return {}
    found = {z.zone: _inside(points, z.geometry) for z in zones.zones}
    return {k: v for k, v in found.items() if v is not None}


def records_from_points(
    points: Sequence[YieldPoint], shapes: Sequence[FieldShape], *, source: str
) -> tuple[tuple[HarvestRecord, ...], int]:
    """One harvest record per field and season: the mean of the season's points inside it.

    Parameters
    ----------
    points
        Yield-monitor points (WGS84), each with its season.
    shapes
        The fields (WGS84).
    source
        What made the points (file names), named in each record's source after
        ``YIELD_MONITOR_SOURCE``.

    Returns
    -------
    records, outside
        Records by season and field (harvested on the field's last point day, when known),
        and how many points fell inside no field.

    Raises
    ------
    AgronomyError
        A point has no season.
    """
    undated = sum(p.season is None for p in points)
    if undated:
        raise AgronomyError(f"{source}: {undated} point(s) carry no season or time")
    if not points:
        return (), 0
    lon = np.array([p.lon for p in points])
    lat = np.array([p.lat for p in points])
    values = np.array([p.yield_t_ha for p in points])
    seasons = np.array([p.season for p in points])
    inside = np.zeros(len(points), dtype=bool)
    records: list[HarvestRecord] = []
    for shape in shapes:
        in_field = shapely.contains_xy(shape.geometry, lon, lat)
        inside |= in_field
        for season in sorted({int(s) for s in seasons[in_field]}):
            chosen = in_field & (seasons == season)
            found = values[chosen]
            days = [p.day for p, c in zip(points, chosen, strict=True) if c and p.day]
            records.append(
                HarvestRecord(
                    field_id=shape.id,
                    season=season,
                    yield_t_ha=float(found.mean()),
                    harvested=max(days) if days else None,
                    source=(
                        f"{YIELD_MONITOR_SOURCE}: {source}, mean of {len(found)} points"
                        f" (median {float(np.median(found)):.2f} t/ha)"
                    ),
                )
            )
    records.sort(key=lambda r: (r.season, r.field_id))
    return tuple(records), int((~inside).sum())
