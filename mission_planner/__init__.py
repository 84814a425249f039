"""Pure flight planning: spray coverage, survey grids, delivery routes and the safety check.

Values in, values out: planners take fields already projected by :mod:`fields.crs`
and return :class:`FlightPlan` values in local metres; exporters turn them into
MAVLink items and files.
"""

from mission_planner.build import build_mission, mission_items_int
from mission_planner.errors import (
    InvalidMission,
    InvalidMissionItem,
    MissionPlannerError,
    UnflyablePlan,
    UnreadableMissionFile,
)
from mission_planner.export import (
    read_qgc_plan,
    read_waypoints,
    to_geojson,
    to_qgc_plan,
    to_waypoints,
)
from mission_planner.model import (
    Command,
    Fence,
    Frame,
    Mission,
    MissionItem,
    MissionType,
    RallyPoint,
)
from mission_planner.plan import Action, FlightPlan, Leg, PayloadRelease, Point, SprayerControl

__all__ = [
    "Action",
    "Command",
    "Fence",
    "FlightPlan",
    "Frame",
    "InvalidMission",
    "InvalidMissionItem",
    "Leg",
    "Mission",
    "MissionItem",
    "MissionPlannerError",
    "MissionType",
    "PayloadRelease",
    "Point",
    "RallyPoint",
    "SprayerControl",
    "UnflyablePlan",
    "UnreadableMissionFile",
    "build_mission",
    "mission_items_int",
    "read_qgc_plan",
    "read_waypoints",
    "to_geojson",
    "to_qgc_plan",
    "to_waypoints",
]
