"""Survey (monitoring) grids: parallel camera lines over a field, flown back and forth.

Lines run along a heading, one image footprint across track apart less the side
overlap. Each line's survey leg spans everything its image strip must see — the field
inside the band one footprint wide around the line, not just the field under the
line — so the strips together cover the whole field, concave corners included. The
first and last lines lie within half a footprint of the field's edges. Lines are
flown boustrophedon; a transit leg joins them, running ``turnaround_m`` beyond each
end so the drone is level and at speed when it crosses the edge. The camera fires
every ``trigger distance = footprint along track × (1 − front overlap)``.

Without a heading the planner tries the directions of the field's convex hull edges
(one of them gives the fewest lines), its longest edges and its minimum rotated
rectangle, and keeps the quickest flight.

>>> from shapely import box
>>> from fields import local_crs_for
>>> from mission_planner.cameras import PHANTOM_4_RTK
>>> plan = plan_survey(box(0, 0, 200, 100), crs=local_crs_for(134.84, 34.93),
...                    camera=PHANTOM_4_RTK, altitude_m=50.0, home=(-20.0, -20.0))
>>> plan.stats["lines"], plan.stats["angle_deg"], plan.stats["line_spacing_m"]
(2, 90.0, 26.25)
"""

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import product

import numpy as np
import numpy.typing as npt
import shapely
from shapely import LineString, MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from fields import LocalCrs
from mission_planner.cameras import Camera
from mission_planner.fence import DEFAULT_FENCE_MARGIN_M, fence_around, rally_point
from mission_planner.plan import Action, FlightPlan, Leg, Point
from mission_planner.refusals import PlanningError, PlanRefused, check_altitude

__all__ = ["MAX_OVERLAP", "TURN_ACCEL_M_S2", "TURN_SETTLE_S", "plan_survey", "turn_allowance_s"]

MAX_OVERLAP = 0.95
"""Overlaps must lie in [0, MAX_OVERLAP): at 95 % the lines or images would nearly coincide."""
TURN_ACCEL_M_S2 = 2.5
"""Braking and re-accelerating at each line end (ArduPilot's default WPNAV_ACCEL)."""
TURN_SETTLE_S = 2.0
"""Yawing and settling at each line end before the next line."""
_EDGE_MARGIN_M = 0.01
_MAX_CANDIDATES = 36

Array = npt.NDArray[np.float64]


def turn_allowance_s(speed_m_s: float) -> float:
    """Time a turn between two lines costs beyond its length flown at ``speed_m_s``.

    Stopping from ``v`` and starting again at ``a`` takes ``v / a`` longer than passing
    at constant speed; yawing and settling add :data:`TURN_SETTLE_S`.

    >>> turn_allowance_s(5.0)
    4.0
    """
    return speed_m_s / TURN_ACCEL_M_S2 + TURN_SETTLE_S


@dataclass(frozen=True, slots=True)
class _Grid:
    """One grid's lines in across-track order, each from its lower to its higher along-track end."""

    heading_deg: float
    starts: Array
    ends: Array


@dataclass(frozen=True, slots=True)
class _Route:
    points: Array  # run-in, start, end, run-out for each pass, in flight order
    passes: int
    heading_deg: float
    length_m: float


def plan_survey(
    area: Polygon | MultiPolygon,
    *,
    crs: LocalCrs,
    camera: Camera,
    gsd_cm: float | None = None,
    altitude_m: float | None = None,
    front_overlap: float = 0.75,
    side_overlap: float = 0.65,
    angle_deg: float | None = None,
    speed_m_s: float = 5.0,
    turnaround_m: float = 10.0,
    crosshatch: bool = False,
    home: Point,
    takeoff_altitude_m: float | None = None,
    fence_margin_m: float = DEFAULT_FENCE_MARGIN_M,
) -> FlightPlan:
    """Plan a camera survey of an area.

    Parameters
    ----------
    area
        The work area in ``crs`` metres (a field, possibly with holes or in parts).
    crs
        The local metric CRS of ``area`` and ``home``.
    camera
        The camera, pointing straight down with its image width across track.
    gsd_cm, altitude_m
        Exactly one: the wanted ground sampling distance (cm/px), or the flight
        altitude above home (m) from which the GSD follows.
    front_overlap, side_overlap
        Image overlap along and across track, as fractions in [0, 0.95).
    angle_deg
        Heading of the lines in degrees clockwise from north; None searches for the
        quickest (fewest lines, shortest path).
    speed_m_s
        Ground speed along every leg, m/s.
    turnaround_m
        How far, in metres, the lines run on beyond the area's edge at each end.
    crosshatch
        Fly a second grid at +90° after the first (for 3D models).
    home
        Take-off and landing point in ``crs`` metres.
    takeoff_altitude_m
        Height of the take-off climb, m; defaults to the survey altitude.
    fence_margin_m
        How far the inclusion fence stands outside the area and the path, m.

    Returns
    -------
    FlightPlan
        Kind ``"survey"``: transit and survey legs from home back to home, the camera
        trigger distance, and stats ``gsd_cm``, ``altitude_m``, ``line_spacing_m``,
        ``trigger_distance_m``, ``image_count``, ``flight_time_s`` (path at speed plus
        :func:`turn_allowance_s` per turn), ``lines``, ``angle_deg``, ``path_m``.

    Raises
    ------
    PlanRefused
        Rule ``"altitude"`` (above 150 m, or a GSD that needs it), ``"overlap"``
        (outside [0, 0.95)), ``"empty"`` (no area to survey) or ``"geometry"``
        (an invalid polygon).
    PlanningError
        Both or neither of ``gsd_cm`` and ``altitude_m``, or a speed or turnaround
        that is not a positive distance.
    """
    altitude = _survey_altitude(camera, gsd_cm, altitude_m)
    takeoff = altitude if takeoff_altitude_m is None else takeoff_altitude_m
    check_altitude(takeoff, what="the take-off altitude")
    for name, overlap in (("front", front_overlap), ("side", side_overlap)):
        if not 0.0 <= overlap < MAX_OVERLAP:
            raise PlanRefused(
                f"{name} overlap {overlap:g} is outside [0, {MAX_OVERLAP:g})",
                rule="overlap",
                where=f"{name} overlap",
            )
    if not speed_m_s > 0 or not turnaround_m >= 0:
        raise PlanningError(
            f"speed {speed_m_s:g} m/s must be above 0, turnaround {turnaround_m:g} m not negative"
        )
    _check_area(area)

    across_m, along_m = camera.footprint_m(altitude)
    spacing_m = across_m * (1.0 - side_overlap)
    trigger_m = along_m * (1.0 - front_overlap)
    angles = [angle_deg % 180.0] if angle_deg is not None else _candidate_angles(area)
    home_xy = np.array(home, dtype=float)

    def route_for(heading: float) -> _Route:
        grids = [_grid(area, heading, spacing_m, across_m)]
        if crosshatch:
            grids.append(_grid(area, (heading + 90.0) % 180.0, spacing_m, across_m))
        return _best_route(grids, home_xy, turnaround_m)

    allowance = turn_allowance_s(speed_m_s)
    best = min(
        (route_for(heading) for heading in angles),
        key=lambda r: (r.length_m / speed_m_s + max(r.passes - 1, 0) * allowance, r.passes),
    )
    if best.passes == 0:
        raise PlanRefused("the survey area has nothing to image", rule="empty", where="the area")

    legs = _legs(home, best.points, altitude, speed_m_s)
    survey_lengths = [leg.length_m for leg in legs if leg.action is Action.SURVEY]
    path_m = sum(leg.length_m for leg in legs)
    fence = fence_around(
        [area, shapely.Point(home), LineString(best.points)], margin_m=fence_margin_m
    )
    return FlightPlan(
        kind="survey",
        crs=crs,
        home=home,
        legs=tuple(legs),
        fence=fence,
        rally=(rally_point(home, fence),),
        takeoff_altitude_m=takeoff,
        camera_trigger_distance_m=trigger_m,
        stats={
            "camera": camera.name,
            "gsd_cm": camera.gsd_cm(altitude),
            "altitude_m": altitude,
            "footprint_across_m": across_m,
            "footprint_along_m": along_m,
            "line_spacing_m": spacing_m,
            "trigger_distance_m": trigger_m,
            "image_count": sum(math.floor(length / trigger_m) + 1 for length in survey_lengths),
            "flight_time_s": path_m / speed_m_s + (best.passes - 1) * allowance,
            "lines": best.passes,
            "angle_deg": best.heading_deg,
            "path_m": path_m,
        },
    )


def _survey_altitude(camera: Camera, gsd_cm: float | None, altitude_m: float | None) -> float:
    if (gsd_cm is None) == (altitude_m is None):
        raise PlanningError("give either a GSD (cm/px) or an altitude (m), not both or neither")
    if gsd_cm is not None:
        if not gsd_cm > 0:
            raise PlanningError(f"a GSD of {gsd_cm:g} cm/px is not above 0")
        altitude = camera.altitude_m_for_gsd(gsd_cm)
        check_altitude(altitude, what=f"the altitude for {gsd_cm:g} cm/px with {camera.name}")
        return altitude
    assert altitude_m is not None
    check_altitude(altitude_m, what="the survey altitude")
    return altitude_m


def _check_area(area: BaseGeometry) -> None:
    if not isinstance(area, Polygon | MultiPolygon):
        raise PlanningError(f"a survey area is a polygon, not a {area.geom_type}")
    if area.is_empty or not area.area > 0:
        raise PlanRefused("the survey area is empty", rule="empty", where="the area")
    if not area.is_valid:
        reason = shapely.is_valid_reason(area)
        raise PlanRefused(f"the survey area is invalid ({reason})", rule="geometry", where=reason)


def _heading(dx: Array, dy: Array) -> Array:
    """Headings (degrees clockwise from north, folded into [0, 180)) of vectors."""
    return np.round(np.degrees(np.arctan2(dx, dy)) % 180.0, 6) % 180.0


def _edges(rings: Iterable[Array]) -> tuple[Array, Array]:
    """Headings and lengths of the edges of some rings."""
    headings, lengths = [], []
    for ring in rings:
        d = np.diff(ring, axis=0)
        headings.append(_heading(d[:, 0], d[:, 1]))
        lengths.append(np.hypot(d[:, 0], d[:, 1]))
    return np.concatenate(headings), np.concatenate(lengths)


def _candidate_angles(area: Polygon | MultiPolygon) -> list[float]:
    """Line headings worth trying: hull edges first (the narrowest width is across one)."""
    parts = area.geoms if isinstance(area, MultiPolygon) else [area]
    candidates: list[float] = []
    rectangle = area.minimum_rotated_rectangle
    sources = [[np.asarray(area.convex_hull.exterior.coords)]]
    if isinstance(rectangle, Polygon):
        sources.append([np.asarray(rectangle.exterior.coords)])
    sources.append([np.asarray(part.exterior.coords) for part in parts])
    for rings in sources:
        headings, lengths = _edges(rings)
        for heading in headings[np.argsort(-lengths, kind="stable")]:
            value = float(heading)
            if all(abs(value - seen) % 180.0 > 0.05 for seen in candidates):
                candidates.append(value)
    return candidates[:_MAX_CANDIDATES] or [0.0]


def _to_track(heading_deg: float, origin: Array) -> tuple[Callable[[Array], Array], Array]:
    """A map from (x, y) to (along, across) track coordinates, and the along-track unit vector."""
    rad = math.radians(heading_deg)
    u = np.array([math.sin(rad), math.cos(rad)])

    def forward(c: Array) -> Array:
        d = c - origin
        return np.column_stack((d @ u, d[:, 1] * u[0] - d[:, 0] * u[1]))

    return forward, u


def _grid(area: BaseGeometry, heading_deg: float, spacing_m: float, width_m: float) -> _Grid:
    """The survey lines along ``heading_deg``, each spanning its footprint band's share of area."""
    origin = np.asarray(area.centroid.coords[0])
    forward, u = _to_track(heading_deg, origin)
    flat = shapely.transform(area, forward)
    s_min, t_min, s_max, t_max = flat.bounds
    height = t_max - t_min + 2 * _EDGE_MARGIN_M
    count = 1 if height <= width_m else math.ceil((height - width_m) / spacing_m) + 1
    ts = (t_min + t_max) / 2 + spacing_m * (np.arange(count) - (count - 1) / 2)
    bands = shapely.box(s_min - 1.0, ts - width_m / 2, s_max + 1.0, ts + width_m / 2)
    bounds = shapely.bounds(shapely.intersection(flat, bands))
    keep = ~np.isnan(bounds[:, 0])
    s0, s1, t = bounds[keep, 0] - _EDGE_MARGIN_M, bounds[keep, 2] + _EDGE_MARGIN_M, ts[keep]
    v = np.array([-u[1], u[0]])
    return _Grid(
        heading_deg=heading_deg,
        starts=origin + np.outer(s0, u) + np.outer(t, v),
        ends=origin + np.outer(s1, u) + np.outer(t, v),
    )


def _passes(grid: _Grid, reverse: bool, flip: bool, turnaround_m: float) -> Array:
    """Run-in, start, end and run-out of each line, boustrophedon, as an (n*4, 2) array."""
    starts, ends = (grid.starts[::-1], grid.ends[::-1]) if reverse else (grid.starts, grid.ends)
    forward = (np.arange(len(starts)) % 2 == 0) != flip
    a = np.where(forward[:, None], starts, ends)
    b = np.where(forward[:, None], ends, starts)
    direction = b - a
    norm = np.hypot(direction[:, 0], direction[:, 1])[:, None]
    unit = np.divide(direction, norm, out=np.zeros_like(direction), where=norm > 0)
    points = np.stack((a - unit * turnaround_m, a, b, b + unit * turnaround_m), axis=1)
    return points.reshape(-1, 2)


def _best_route(grids: Sequence[_Grid], home: Array, turnaround_m: float) -> _Route:
    """The order and direction of each grid's lines that makes the shortest round trip."""
    best: _Route | None = None
    for choice in product(product((False, True), repeat=2), repeat=len(grids)):
        parts = [
            _passes(g, rev, flip, turnaround_m)
            for g, (rev, flip) in zip(grids, choice, strict=True)
        ]
        points = np.concatenate(parts)
        path = np.concatenate((home[None, :], points, home[None, :]))
        length = float(np.hypot(*np.diff(path, axis=0).T).sum())
        if best is None or length < best.length_m:
            best = _Route(points, len(points) // 4, grids[0].heading_deg, length)
    assert best is not None
    return best


def _polyline(points: Iterable[Point]) -> tuple[Point, ...]:
    """The points without consecutive repeats."""
    out: list[Point] = []
    for p in points:
        if not out or math.dist(out[-1], p) > 1e-9:
            out.append(p)
    return tuple(out)


def _legs(home: Point, points: Array, altitude_m: float, speed_m_s: float) -> list[Leg]:
    def leg(path: Iterable[Point], action: Action) -> Leg | None:
        line = _polyline(path)
        if len(line) < 2:
            return None
        return Leg(path=line, action=action, sortie=1, altitude_m=altitude_m, speed_m_s=speed_m_s)

    xy = [(float(x), float(y)) for x, y in points]
    legs: list[Leg | None] = []
    tail: list[Point] = [home]
    for i in range(0, len(xy), 4):
        run_in, start, end, run_out = xy[i : i + 4]
        legs.append(leg([*tail, run_in, start], Action.TRANSIT))
        legs.append(leg([start, end], Action.SURVEY))
        tail = [end, run_out]
    legs.append(leg([*tail, home], Action.TRANSIT))
    return [item for item in legs if item is not None]
