"""A MAVLink vehicle simulator in the ArduPilot Copter dialect.

Each :class:`SimVehicle` is one ArduPilot Copter on a TCP port (SITL's numbering:
``port_for(5760, i)``, system id ``i + 1``) that real ground-station code talks to
over a real socket: HEARTBEAT, SYS_STATUS, GLOBAL_POSITION_INT and HOME_POSITION
at rates a ground station sets; the parameter protocol over a realistic Copter
parameter set; the mission protocol for the mission, the fence and rally points;
COMMAND_LONG/COMMAND_INT for message intervals and requests, arming with
pre-arm refusals, and mode changes. The state and the
protocol services are plain values and methods; only :mod:`sim.endpoint` does I/O.

The simulator imports core and pymavlink only: fleet and the mission planner
meet it on the wire, as they would meet a real autopilot.
"""

from sim.autopilot import FORCE_MAGIC, Autopilot
from sim.commands import CommandRequest, CommandService
from sim.config import BASE_PORT, MissionCapacity, MissionRequest, SimConfig, port_for
from sim.endpoint import TICK_S, SimVehicle
from sim.errors import EndpointError, SimError
from sim.mission_items import MissionKind, StoredItem, check_fence, check_item
from sim.mission_transfer import MissionService, MissionStore, MissionTransfer
from sim.params import COPTER_PARAMS, ParamService, ParamSpec, ParamTable
from sim.state import CopterMode, Home, VehicleState
from sim.telemetry import StreamSchedule, Telemetry
from sim.wire import MavCodec

__all__ = [
    "BASE_PORT",
    "COPTER_PARAMS",
    "FORCE_MAGIC",
    "TICK_S",
    "Autopilot",
    "CommandRequest",
    "CommandService",
    "CopterMode",
    "EndpointError",
    "Home",
    "MavCodec",
    "MissionCapacity",
    "MissionKind",
    "MissionRequest",
    "MissionService",
    "MissionStore",
    "MissionTransfer",
    "ParamService",
    "ParamSpec",
    "ParamTable",
    "SimConfig",
    "SimError",
    "SimVehicle",
    "StoredItem",
    "StreamSchedule",
    "Telemetry",
    "VehicleState",
    "check_fence",
    "check_item",
    "port_for",
]
