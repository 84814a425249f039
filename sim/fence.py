"""The geofence as ArduPilot's AC_Fence keeps it: a ceiling, a circle round home, and the
uploaded inclusion and exclusion zones, checked against the EKF's position.

Pure: :class:`FenceGeometry` reads the stored fence items once; :class:`FenceMonitor` is
given the parameters and a position and says which fences are newly breached. As in
ArduPilot, the ceiling (FENCE_ALT_MAX) and the circle (FENCE_RADIUS) each put up a
backup fence 20 m further out once breached, so flying on past it is a new breach; the
zones (FENCE_TYPE bit 4) are breached outside any inclusion zone or inside any
exclusion zone, once until the vehicle is back inside. A zone fence counts as present
only when zones have been uploaded.

>>> from sim.physics import Goal
>>> monitor = FenceMonitor()
>>> settings = FenceSettings(enabled=True, types=FenceType.ALT_MAX, alt_max_m=30.0)
>>> monitor.check(Goal(north_m=0, east_m=0, up_m=31.0), settings, FenceGeometry()).name
'ALT_MAX'
"""

import math
from dataclasses import dataclass, field
from enum import IntFlag

from sim.mission_items import StoredItem
from sim.physics import Goal, LocalFrame
from sim.wire import mavlink

__all__ = [
    "BACKUP_DISTANCE_M",
    "GIVE_UP_DISTANCE_M",
    "FenceGeometry",
    "FenceMonitor",
    "FenceSettings",
    "FenceType",
    "fence_names",
]

BACKUP_DISTANCE_M = 20.0
"""How far past a breached ceiling or circle the backup fence stands (AC_Fence), metres."""

GIVE_UP_DISTANCE_M = 100.0
"""Farther outside than this a breach lands instead of returning (AC_FENCE_GIVE_UP_DISTANCE)."""

Point = tuple[float, float]


class FenceType(IntFlag):
    """FENCE_TYPE's bits."""

    NONE = 0
    ALT_MAX = 1
    CIRCLE = 2
    POLYGON = 4


def fence_names(fences: FenceType) -> str:
    """The fences as ArduPilot names them in its messages.

    >>> fence_names(FenceType.ALT_MAX | FenceType.POLYGON)
    'Max Alt and Polygon fences'
    """
    names = [name for bit, name in _NAMES if fences & bit]
    if not names:
        return ""
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"{listed} fence{'s' if len(names) > 1 else ''}"


_NAMES = (
    (FenceType.ALT_MAX, "Max Alt"),
    (FenceType.CIRCLE, "Circle"),
    (FenceType.POLYGON, "Polygon"),
)


@dataclass(frozen=True, kw_only=True, slots=True)
class FenceSettings:
    """The FENCE_* parameters in SI units."""

    enabled: bool = False
    types: FenceType = FenceType.ALT_MAX | FenceType.CIRCLE | FenceType.POLYGON
    alt_max_m: float = 100.0
    radius_m: float = 300.0
    margin_m: float = 2.0


def _inside(point: Point, polygon: tuple[Point, ...]) -> bool:
    """Whether ``point`` is inside ``polygon`` (ray casting; edges count either way)."""
    x, y = point
    inside = False
    j = len(polygon) - 1
    for i, (xi, yi) in enumerate(polygon):
        xj, yj = polygon[j]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def _edge_distance(point: Point, polygon: tuple[Point, ...]) -> float:
    """Distance from ``point`` to the nearest edge of ``polygon``, metres."""
    best = math.inf
    x, y = point
    for i, (ax, ay) in enumerate(polygon):
        bx, by = polygon[i - 1]
        dx, dy = bx - ax, by - ay
        length2 = dx * dx + dy * dy
        t = 0.0 if length2 == 0.0 else max(0.0, min(1.0, ((x - ax) * dx + (y - ay) * dy) / length2))
        best = min(best, math.hypot(x - ax - t * dx, y - ay - t * dy))
    return best


@dataclass(frozen=True, kw_only=True, slots=True)
class FenceGeometry:
    """The uploaded zones in metres north and east of home.

    Attributes
    ----------
    inclusion, exclusion
        Polygons the vehicle must stay inside (every one of them) or outside.
    inclusion_circles, exclusion_circles
        Circles as (north, east, radius) in metres.
    """

    inclusion: tuple[tuple[Point, ...], ...] = ()
    exclusion: tuple[tuple[Point, ...], ...] = ()
    inclusion_circles: tuple[tuple[float, float, float], ...] = ()
    exclusion_circles: tuple[tuple[float, float, float], ...] = ()

    @classmethod
    def from_items(cls, items: list[StoredItem], frame: LocalFrame) -> "FenceGeometry":
        """The zones of a stored fence list (vertex runs as :func:`~sim.mission_items.check_fence`
        accepts them; return points are not zones)."""
        polygons: dict[int, list[tuple[Point, ...]]] = {}
        circles: dict[int, list[tuple[float, float, float]]] = {}
        k = 0
        while k < len(items):
            item = items[k]
            here = frame.to_local(item.x / 1e7, item.y / 1e7)
            if item.command in _VERTICES:
                count = max(1, int(item.param1))
                run = items[k : k + count]
                ring = tuple(frame.to_local(v.x / 1e7, v.y / 1e7) for v in run)
                polygons.setdefault(item.command, []).append(ring)
                k += count
                continue
            if item.command in _CIRCLES:
                circles.setdefault(item.command, []).append((*here, item.param1))
            k += 1
        return cls(
            inclusion=tuple(polygons.get(_INCLUSION, [])),
            exclusion=tuple(polygons.get(_EXCLUSION, [])),
            inclusion_circles=tuple(circles.get(_INCLUSION_CIRCLE, [])),
            exclusion_circles=tuple(circles.get(_EXCLUSION_CIRCLE, [])),
        )

    @property
    def empty(self) -> bool:
        """No zones were uploaded."""
        return not (
            self.inclusion or self.exclusion or self.inclusion_circles or self.exclusion_circles
        )

    def outside_m(self, point: Point) -> float | None:
        """How far ``point`` is outside the zones (metres), or None when it is within them."""
        worst: float | None = None

        def breach(distance: float) -> None:
            nonlocal worst
            worst = distance if worst is None else max(worst, distance)

        for ring in self.inclusion:
            if len(ring) >= 3 and not _inside(point, ring):
                breach(_edge_distance(point, ring))
        for ring in self.exclusion:
            if len(ring) >= 3 and _inside(point, ring):
                breach(_edge_distance(point, ring))
        for north, east, radius in self.inclusion_circles:
            away = math.dist(point, (north, east))
            if away > radius:
                breach(away - radius)
        for north, east, radius in self.exclusion_circles:
            away = math.dist(point, (north, east))
            if away < radius:
                breach(radius - away)
        return worst


_INCLUSION = int(mavlink.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION)
_EXCLUSION = int(mavlink.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_EXCLUSION)
_INCLUSION_CIRCLE = int(mavlink.MAV_CMD_NAV_FENCE_CIRCLE_INCLUSION)
_EXCLUSION_CIRCLE = int(mavlink.MAV_CMD_NAV_FENCE_CIRCLE_EXCLUSION)
_VERTICES = frozenset({_INCLUSION, _EXCLUSION})
_CIRCLES = frozenset({_INCLUSION_CIRCLE, _EXCLUSION_CIRCLE})


@dataclass(kw_only=True, slots=True)
class FenceMonitor:
    """Which fences are breached, remembered between checks as AC_Fence remembers them.

    Attributes
    ----------
    breaches
        The fences breached now.
    distances_m
        How far past each breached fence the vehicle was at the last check, metres.
    """

    breaches: FenceType = FenceType.NONE
    distances_m: dict[FenceType, float] = field(default_factory=dict)
    _backup_alt_m: float = 0.0
    _backup_radius_m: float = 0.0

    @staticmethod
    def present(settings: FenceSettings, geometry: FenceGeometry) -> FenceType:
        """The fences configured (zones only once uploaded)."""
        types = settings.types & (FenceType.ALT_MAX | FenceType.CIRCLE | FenceType.POLYGON)
        return types if not geometry.empty else types & ~FenceType.POLYGON

    def enabled(self, settings: FenceSettings, geometry: FenceGeometry) -> FenceType:
        """The fences being checked (none while FENCE_ENABLE is 0)."""
        return self.present(settings, geometry) if settings.enabled else FenceType.NONE

    def breached(
        self, position: Goal, settings: FenceSettings, geometry: FenceGeometry
    ) -> FenceType:
        """The enabled fences ``position`` is outside of, remembering nothing."""
        fences = self.enabled(settings, geometry)
        out = FenceType.NONE
        if fences & FenceType.ALT_MAX and position.up_m >= settings.alt_max_m:
            out |= FenceType.ALT_MAX
        if fences & FenceType.CIRCLE and math.hypot(position.north_m, position.east_m) >= (
            settings.radius_m
        ):
            out |= FenceType.CIRCLE
        point = (position.north_m, position.east_m)
        if fences & FenceType.POLYGON and geometry.outside_m(point) is not None:
            out |= FenceType.POLYGON
        return out

    def check(self, position: Goal, settings: FenceSettings, geometry: FenceGeometry) -> FenceType:
        """The fences newly breached at ``position`` (a backup fence passed counts again);
        :attr:`breaches` is updated, cleared fences dropped."""
        fences = self.enabled(settings, geometry)
        self.breaches &= fences
        new = FenceType.NONE
        if fences & FenceType.ALT_MAX:
            new |= self._alt_max(position.up_m, settings.alt_max_m)
        if fences & FenceType.CIRCLE:
            new |= self._circle(math.hypot(position.north_m, position.east_m), settings.radius_m)
        if fences & FenceType.POLYGON:
            new |= self._zones(geometry.outside_m((position.north_m, position.east_m)))
        return new

    def _alt_max(self, up_m: float, alt_max_m: float) -> FenceType:
        if up_m < alt_max_m:
            self._clear(FenceType.ALT_MAX)
            self._backup_alt_m = 0.0
            return FenceType.NONE
        self.distances_m[FenceType.ALT_MAX] = up_m - alt_max_m
        fresh = not self.breaches & FenceType.ALT_MAX
        if fresh or (self._backup_alt_m and up_m >= self._backup_alt_m):
            self.breaches |= FenceType.ALT_MAX
            self._backup_alt_m = up_m + BACKUP_DISTANCE_M
            return FenceType.ALT_MAX
        return FenceType.NONE

    def _circle(self, away_m: float, radius_m: float) -> FenceType:
        if away_m < radius_m:
            self._clear(FenceType.CIRCLE)
            self._backup_radius_m = 0.0
            return FenceType.NONE
        self.distances_m[FenceType.CIRCLE] = away_m - radius_m
        fresh = not self.breaches & FenceType.CIRCLE
        if fresh or (self._backup_radius_m and away_m >= self._backup_radius_m):
            self.breaches |= FenceType.CIRCLE
            self._backup_radius_m = away_m + BACKUP_DISTANCE_M
            return FenceType.CIRCLE
        return FenceType.NONE

    def _zones(self, outside_m: float | None) -> FenceType:
        if outside_m is None:
            self._clear(FenceType.POLYGON)
            return FenceType.NONE
        self.distances_m[FenceType.POLYGON] = outside_m
        if self.breaches & FenceType.POLYGON:
            return FenceType.NONE
        self.breaches |= FenceType.POLYGON
        return FenceType.POLYGON

    def _clear(self, fence: FenceType) -> None:
        self.breaches &= ~fence
        self.distances_m.pop(fence, None)

    def breach_distance_m(self, fences: FenceType) -> float:
        """How far past the farthest of ``fences`` the vehicle is, metres (0 if none)."""
        return max((d for f, d in self.distances_m.items() if fences & f), default=0.0)
