"""A MAVLink vehicle simulator in the ArduPilot Copter dialect.

Each :class:`SimVehicle` is one ArduPilot Copter on a TCP port (SITL's numbering:
``port_for(5760, i)``, system id ``i + 1``) that real ground-station code talks to
over a real socket: HEARTBEAT, SYS_STATUS, GLOBAL_POSITION_INT and HOME_POSITION
at rates a ground station sets; the parameter protocol over a realistic Copter
parameter set; the mission protocol for the mission, the fence and rally points;
COMMAND_LONG/COMMAND_INT for message intervals and requests, arming with
pre-arm refusals, and mode changes. It flies: a kinematic flight model
(:mod:`sim.physics`) with speed, acceleration and yaw-rate limits and wind, a
battery and a spray tank (:mod:`sim.energy`), AUTO missions run as ArduPilot runs
them (:mod:`sim.mission_run`), GUIDED take-off, RTL and LAND (:mod:`sim.flight`),
and the payload commands (:mod:`sim.payload`); ATTITUDE, VFR_HUD, BATTERY_STATUS,
EXTENDED_SYS_STATE and GPS_RAW_INT (a noisy, time-correlated fix: :mod:`sim.gps`)
report it. ArduPilot's failsafes act on it (:mod:`sim.failsafe`: battery low and
critical, ground-station heartbeat lost, geofence breached (:mod:`sim.fence`), EKF
without GPS, crash), each stopping the sprayer; faults are put in while it runs
(:mod:`sim.faults` values, ``SimVehicle.inject``/``clear``, :mod:`sim.injector`): a
cut link, a lost GPS, a battery drop, a failed motor, a gust; an optional ground crew
refills and swaps the battery between sorties (:mod:`sim.ground_crew`). Several vehicles
run as SITL numbers them (:mod:`sim.cluster`), also streaming over UDP to a ground station
(:mod:`sim.udp`), from an asyncio program or a thread (:mod:`sim.background`); a small
local HTTP API puts faults in while they run (:mod:`sim.control`), and operator
exercises are scored (:mod:`sim.scenarios`, :mod:`sim.score`). The state, the flight
model and the protocol services are plain values and methods; only the endpoint, the
UDP and control servers do I/O.

The simulator imports core and pymavlink only: fleet and the mission planner
meet it on the wire, as they would meet a real autopilot.
"""

from sim.autopilot import FORCE_MAGIC, NEEDS_POSITION, Autopilot
from sim.battery_monitor import BatteryMonitor, BatterySettings
from sim.commands import CommandRequest, CommandService
from sim.config import BASE_PORT, MissionCapacity, MissionRequest, SimConfig, port_for
from sim.endpoint import TICK_S, SimVehicle
from sim.energy import Airframe, Battery
from sim.errors import EndpointError, SimError
from sim.failsafe import FailsafeService
from sim.failsafe_actions import FailsafeAction, Responder
from sim.faults import (
    BatteryDrop,
    Fault,
    FaultChange,
    FaultKind,
    FaultRecord,
    GpsLoss,
    Gust,
    LinkCut,
    MotorFailure,
    parse_fault,
)
from sim.fence import FenceGeometry, FenceMonitor, FenceSettings, FenceType
from sim.fence_failsafe import FenceFailsafe
from sim.flight import MAX_STEP_S, FlightController
from sim.gps import GpsError, GpsReceiver
from sim.injector import FaultInjector
from sim.mission_items import MissionKind, StoredItem, check_fence, check_item
from sim.mission_run import MissionRunner, NavSettings
from sim.mission_transfer import MissionService, MissionStore, MissionTransfer
from sim.params import COPTER_PARAMS, ParamService, ParamSpec, ParamTable
from sim.payload import PUMP_SERVO, PayloadService
from sim.physics import Goal, Limits, LocalFrame, Motion, Wind, fly, tumble
from sim.state import (
    BatteryLevel,
    CopterMode,
    FailsafeEvent,
    FailsafeKind,
    FenceStatus,
    Home,
    SprayEvent,
    VehicleState,
)
from sim.telemetry import StreamSchedule, Telemetry
from sim.wire import MavCodec

__all__ = [
    "BASE_PORT",
    "COPTER_PARAMS",
    "FORCE_MAGIC",
    "MAX_STEP_S",
    "NEEDS_POSITION",
    "PUMP_SERVO",
    "TICK_S",
    "Airframe",
    "Autopilot",
    "Battery",
    "BatteryDrop",
    "BatteryLevel",
    "BatteryMonitor",
    "BatterySettings",
    "CommandRequest",
    "CommandService",
    "CopterMode",
    "EndpointError",
    "FailsafeAction",
    "FailsafeEvent",
    "FailsafeKind",
    "FailsafeService",
    "Fault",
    "FaultChange",
    "FaultInjector",
    "FaultKind",
    "FaultRecord",
    "FenceFailsafe",
    "FenceGeometry",
    "FenceMonitor",
    "FenceSettings",
    "FenceStatus",
    "FenceType",
    "FlightController",
    "Goal",
    "GpsError",
    "GpsLoss",
    "GpsReceiver",
    "Gust",
    "Home",
    "Limits",
    "LinkCut",
    "LocalFrame",
    "MavCodec",
    "MissionCapacity",
    "MissionKind",
    "MissionRequest",
    "MissionRunner",
    "MissionService",
    "MissionStore",
    "MissionTransfer",
    "Motion",
    "MotorFailure",
    "NavSettings",
    "ParamService",
    "ParamSpec",
    "ParamTable",
    "PayloadService",
    "Responder",
    "SimConfig",
    "SimError",
    "SimVehicle",
    "SprayEvent",
    "StoredItem",
    "StreamSchedule",
    "Telemetry",
    "VehicleState",
    "Wind",
    "check_fence",
    "check_item",
    "fly",
    "parse_fault",
    "port_for",
    "tumble",
]
