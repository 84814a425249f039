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
and the payload commands (:mod:`sim.payload`); ATTITUDE, VFR_HUD, BATTERY_STATUS and
EXTENDED_SYS_STATE report it. The state, the flight model and the protocol
services are plain values and methods; only :mod:`sim.endpoint` does I/O.

The simulator imports core and pymavlink only: fleet and the mission planner
meet it on the wire, as they would meet a real autopilot.
"""

from sim.autopilot import FORCE_MAGIC, Autopilot
from sim.commands import CommandRequest, CommandService
from sim.config import BASE_PORT, MissionCapacity, MissionRequest, SimConfig, port_for
from sim.endpoint import TICK_S, SimVehicle
from sim.energy import Airframe, Battery
from sim.errors import EndpointError, SimError
from sim.flight import MAX_STEP_S, FlightController
from sim.mission_items import MissionKind, StoredItem, check_fence, check_item
from sim.mission_run import MissionRunner, NavSettings
from sim.mission_transfer import MissionService, MissionStore, MissionTransfer
from sim.params import COPTER_PARAMS, ParamService, ParamSpec, ParamTable
from sim.payload import PUMP_SERVO, PayloadService
from sim.physics import Goal, Limits, LocalFrame, Motion, Wind, fly
from sim.state import CopterMode, Home, SprayEvent, VehicleState
from sim.telemetry import StreamSchedule, Telemetry
from sim.wire import MavCodec

__all__ = [
    "BASE_PORT",
    "COPTER_PARAMS",
    "FORCE_MAGIC",
    "MAX_STEP_S",
    "PUMP_SERVO",
    "TICK_S",
    "Airframe",
    "Autopilot",
    "Battery",
    "CommandRequest",
    "CommandService",
    "CopterMode",
    "EndpointError",
    "FlightController",
    "Goal",
    "Home",
    "Limits",
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
    "NavSettings",
    "ParamService",
    "ParamSpec",
    "ParamTable",
    "PayloadService",
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
    "port_for",
]
