"""Pure flight planning: spray coverage (at one rate or by zone), survey grids, delivery routes
and the safety check.

Values in, values out: planners take fields already projected by :mod:`fields.crs`
and return :class:`FlightPlan` values in local metres; exporters turn them into
MAVLink items and files.
"""

from mission_planner.build import build_mission
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
from mission_planner.plan import (
    PWM_RANGE_US,
    Action,
    FlightPlan,
    Leg,
    PayloadRelease,
    Point,
    SprayerControl,
    SprayRate,
)
from mission_planner.rate_control import PumpCalibration, RateMode, VariableRateControl, spray_rate
from mission_planner.variable_rate import (
    DEFAULT_ZONE,
    MIN_PIECE_M,
    RateMap,
    RateZone,
    apply_rates,
    rate_summary,
)
from mission_planner.wire import mission_items_int

__all__ = [
    "DEFAULT_ZONE",
    "MIN_PIECE_M",
    "PWM_RANGE_US",
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
    "PumpCalibration",
    "RallyPoint",
    "RateMap",
    "RateMode",
    "RateZone",
    "SprayRate",
    "SprayerControl",
    "UnflyablePlan",
    "UnreadableMissionFile",
    "VariableRateControl",
    "apply_rates",
    "build_mission",
    "mission_items_int",
    "rate_summary",
    "read_qgc_plan",
    "read_waypoints",
    "spray_rate",
    "to_geojson",
    "to_qgc_plan",
    "to_waypoints",
]
