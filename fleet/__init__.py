"""Talking to vehicles over MAVLink: links, telemetry, commands, mission transfer, flights,
pre-flight checks, the vehicle registry and flight logs.

ArduPilot Copter is the reference (PX4 where it differs); the same code flies the
simulator in :mod:`sim` and a real drone, because they meet only on the wire:

* :mod:`fleet.transport` — TCP, UDP and serial from MAVProxy-style connection strings;
* :mod:`fleet.link` — a :class:`Link`: the reader thread, the ground station's heartbeat,
  one :class:`~fleet.telemetry.TelemetryTracker` per vehicle, events on an
  :class:`~fleet.events.EventBus`;
* :mod:`fleet.commands` — COMMAND_LONG with its ACK, modes, parameters;
* :mod:`fleet.transfer` and :mod:`fleet.validate` — mission, fence and rally transfers,
  each item checked before sending and every upload read back;
* :mod:`fleet.preflight` — the named checks before take-off;
* :mod:`fleet.flight` — one sortie flown and recorded;
* :mod:`fleet.registry` and :mod:`fleet.flightlog` — vehicles, daily inspections and the
  飛行日誌, as values (stored by :mod:`api.fleet_store`).
"""

from fleet.commands import Commander
from fleet.errors import (
    CommandFailed,
    FleetError,
    InvalidUpload,
    LinkError,
    PreflightFailed,
    TransferFailed,
    UnknownVehicle,
)
from fleet.events import EventBus, EventKind, VehicleEvent
from fleet.flight import Flight, FlightOptions, FlightRecord, Outcome, PlanInfo
from fleet.flightlog import FlightLog, FlightPurpose, FlightResult
from fleet.link import Link
from fleet.preflight import Check, Facts
from fleet.registry import InspectionRecord, Sprayer, SprayerKind, VehicleRecord
from fleet.telemetry import TelemetryTracker, VehicleStatus
from fleet.transfer import MissionTransfer, TransferResult
from fleet.validate import check_readback, validate_upload

__all__ = [
    "Check",
    "CommandFailed",
    "Commander",
    "EventBus",
    "EventKind",
    "Facts",
    "FleetError",
    "Flight",
    "FlightLog",
    "FlightOptions",
    "FlightPurpose",
    "FlightRecord",
    "FlightResult",
    "InspectionRecord",
    "InvalidUpload",
    "Link",
    "LinkError",
    "MissionTransfer",
    "Outcome",
    "PlanInfo",
    "PreflightFailed",
    "Sprayer",
    "SprayerKind",
    "TelemetryTracker",
    "TransferFailed",
    "TransferResult",
    "UnknownVehicle",
    "VehicleEvent",
    "VehicleRecord",
    "VehicleStatus",
    "check_readback",
    "validate_upload",
]
