"""Mission files: QGroundControl ``.plan``, ``QGC WPL 110`` ``.waypoints`` and GeoJSON for maps.

Writers take a :class:`~mission_planner.model.Mission` (GeoJSON takes the flight
plan itself); readers give one back, so plans made elsewhere can be flown.
"""

from mission_planner.export.geojson import COORDINATE_DECIMALS, MapZone, to_geojson
from mission_planner.export.qgc_plan import read_qgc_plan, to_qgc_plan
from mission_planner.export.waypoints import WAYPOINTS_HEADER, read_waypoints, to_waypoints

__all__ = [
    "COORDINATE_DECIMALS",
    "WAYPOINTS_HEADER",
    "MapZone",
    "read_qgc_plan",
    "read_waypoints",
    "to_geojson",
    "to_qgc_plan",
    "to_waypoints",
]
