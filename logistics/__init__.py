"""Drone delivery of medicine and food: requests, drop points, dispatch, the lifecycle.

Pure: values in, values out. Dispatch assigns requests to vehicles with OR-tools
(:mod:`logistics.dispatch`; the greedy baseline it is measured against is in
:mod:`logistics.greedy`); every flight is the planner's delivery route. api/ stores
deliveries and wires them to fleet/.
"""

from logistics.cold_chain import (
    DEFAULT_TOLERANCE_S,
    ColdChainSummary,
    ColdChainVerdict,
    Excursion,
    TemperatureReading,
    clean_log,
    excursions,
    summary,
)
from logistics.dispatch import Changes, dispatch, redispatch
from logistics.drop_points import (
    APPROACH_LENGTH_M,
    RELEASE_CLEARANCE_M,
    RELEASE_OPEN_RADIUS_M,
    DropPointCheck,
    Reach,
    check_drop_point,
    local_point,
)
from logistics.errors import BadRequest, DropPointRefused, IllegalTransition, LogisticsError
from logistics.feasibility import Option, Places, flight_plan, options_for
from logistics.lifecycle import (
    ALLOWED,
    TERMINAL,
    Delivery,
    DeliveryState,
    Event,
    record_landing,
    step,
)
from logistics.model import (
    DeliveryRequest,
    DeliveryVehicle,
    Depot,
    DropPoint,
    DropPointKind,
    Item,
    Payer,
    Recipient,
    TemperatureClass,
    TimeWindow,
    fits_in,
)
from logistics.schedule import (
    DEFAULT_MAX_AIR_S,
    NOT_IN_TIME,
    DispatchPlan,
    DispatchRules,
    Hold,
    Trip,
    Unassigned,
    VehicleState,
    clear_of_holds,
)
from logistics.telemetry import (
    DROP_POSITION_M,
    DeliveryMarks,
    Signal,
    SignalKind,
    delivery_marks,
    next_state,
)
from logistics.timing import Timing, earliest_timing, make_trip

__all__ = [
    "ALLOWED",
    "APPROACH_LENGTH_M",
    "DEFAULT_MAX_AIR_S",
    "DEFAULT_TOLERANCE_S",
    "DROP_POSITION_M",
    "NOT_IN_TIME",
    "RELEASE_CLEARANCE_M",
    "RELEASE_OPEN_RADIUS_M",
    "TERMINAL",
    "BadRequest",
    "Changes",
    "ColdChainSummary",
    "ColdChainVerdict",
    "Delivery",
    "DeliveryMarks",
    "DeliveryRequest",
    "DeliveryState",
    "DeliveryVehicle",
    "Depot",
    "DispatchPlan",
    "DispatchRules",
    "DropPoint",
    "DropPointCheck",
    "DropPointKind",
    "DropPointRefused",
    "Event",
    "Excursion",
    "Hold",
    "IllegalTransition",
    "Item",
    "LogisticsError",
    "Option",
    "Payer",
    "Places",
    "Reach",
    "Recipient",
    "Signal",
    "SignalKind",
    "TemperatureClass",
    "TemperatureReading",
    "TimeWindow",
    "Timing",
    "Trip",
    "Unassigned",
    "VehicleState",
    "check_drop_point",
    "clean_log",
    "clear_of_holds",
    "delivery_marks",
    "dispatch",
    "earliest_timing",
    "excursions",
    "fits_in",
    "flight_plan",
    "local_point",
    "make_trip",
    "next_state",
    "options_for",
    "record_landing",
    "redispatch",
    "step",
    "summary",
]
