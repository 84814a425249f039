"""A scenario's field and zones in metres about its home, as shapely shapes.

Shapes are in the vehicle's own local frame (:class:`sim.physics.LocalFrame`: metres
north and east of home on an equirectangular plane, centimetres within a kilometre), with
x east and y north, so the simulator and the score measure on one plane.

>>> from sim.scenarios.model import Scenario
>>> frame = LocalFrame(lat0_deg=34.9283, lon0_deg=134.8414)
>>> ring = tuple(frame.to_global(n, e)[::-1] for n, e in [(0, 0), (0, 40), (80, 40), (80, 0)])
>>> s = Scenario(name="t", title="t", briefing="", field_name="K", field=ring)
>>> round(ScenarioGeometry.of(s).field.area, 6)
3200.0
"""

from dataclasses import dataclass

import shapely
from shapely.geometry import Polygon

from sim.physics import LocalFrame
from sim.scenarios.model import Ring, Scenario, ZoneKind

__all__ = ["ScenarioGeometry", "local_polygon"]


def local_polygon(ring: Ring, frame: LocalFrame) -> Polygon:
    """``ring`` ((lon, lat) pairs) as a polygon in metres (x east, y north) in ``frame``."""
    corners = []
    for lon, lat in ring:
        north, east = frame.to_local(lat, lon)
        corners.append((east, north))
    polygon = Polygon(corners)
    if not polygon.is_valid:
        polygon = shapely.make_valid(polygon)
    return polygon


@dataclass(frozen=True, kw_only=True, slots=True)
class ScenarioGeometry:
    """The field and the zones of a scenario in metres about its home."""

    frame: LocalFrame
    field: Polygon
    no_fly: dict[str, Polygon]
    no_spray: dict[str, Polygon]
    """Every zone nothing may be sprayed onto: the no-spray zones and the no-fly ones."""

    @classmethod
    def of(cls, scenario: Scenario) -> "ScenarioGeometry":
        """The shapes of ``scenario``, about its vehicle's home."""
        v = scenario.vehicle
        frame = LocalFrame(lat0_deg=v.home_lat_deg, lon0_deg=v.home_lon_deg)
        zones = {zone.name: local_polygon(zone.ring, frame) for zone in scenario.zones}
        no_fly = {z.name: zones[z.name] for z in scenario.zones if z.kind == ZoneKind.NO_FLY}
        field = local_polygon(scenario.field, frame)
        for shape in (field, *zones.values()):
            shapely.prepare(shape)
        return cls(frame=frame, field=field, no_fly=no_fly, no_spray=zones)

    def xy(self, lat_deg: float, lon_deg: float) -> tuple[float, float]:
        """(east, north) metres of a WGS84 position."""
        north, east = self.frame.to_local(lat_deg, lon_deg)
        return east, north
