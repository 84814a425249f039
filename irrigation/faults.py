"""Simulated sensors and gates for the season simulation, and the faults put into them.

A level sensor reports the true depth with Gaussian noise, unless a fault silences it,
sticks it or makes it jump; a gate moves as told and acknowledges a few seconds later,
unless a fault keeps it silent (it neither moves nor answers).
"""

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from irrigation.model import GateAck, GateCommand, GateRole, Metric, Paddy, Reading

__all__ = ["Fault", "FaultKind", "SimGate", "actuate", "default_faults", "sense"]


class FaultKind(StrEnum):
    """What goes wrong."""

    SENSOR_SILENT = "sensor_silent"
    """The level sensor stops reporting."""
    SENSOR_STUCK = "sensor_stuck"
    """The level sensor repeats its last value, or ``stuck_cm`` (a stuck float)."""
    SENSOR_JUMP = "sensor_jump"
    """The level sensor reports ``size_cm`` too much."""
    GATE_SILENT = "gate_silent"
    """A gate neither moves nor answers."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Fault:
    """A fault from ``start_h`` after transplanting for ``hours``."""

    kind: FaultKind
    start_h: float
    hours: float
    role: GateRole = GateRole.INLET
    size_cm: float = 15.0
    stuck_cm: float | None = None

    def active(self, hours_in: float) -> bool:
        """Whether the fault is in at this many hours after transplanting."""
        return self.start_h <= hours_in < self.start_h + self.hours


def default_faults() -> tuple[Fault, ...]:
    """One fault of each kind, spread over a season (``--faults``)."""
    return (
        Fault(kind=FaultKind.SENSOR_SILENT, start_h=5 * 24 + 3, hours=6),
        Fault(kind=FaultKind.SENSOR_STUCK, start_h=12 * 24 + 8, hours=10),
        Fault(kind=FaultKind.SENSOR_JUMP, start_h=20 * 24 + 14, hours=2, size_cm=18.0),
        Fault(kind=FaultKind.GATE_SILENT, start_h=26 * 24 + 1, hours=30, role=GateRole.INLET),
        Fault(kind=FaultKind.GATE_SILENT, start_h=60 * 24 + 5, hours=30, role=GateRole.OUTLET),
        Fault(kind=FaultKind.SENSOR_SILENT, start_h=85 * 24 + 20, hours=12),
    )


@dataclass(kw_only=True, slots=True)
class SimGate:
    """A simulated gate: where it is, what it answers, whether it is broken."""

    opening: float = 0.0
    acks: list[GateAck] = field(default_factory=list)


def sense(
    depth_cm: float,
    now: datetime,
    paddy: Paddy,
    faults: Sequence[Fault],
    hours_in: float,
    last: float | None,
    rng: random.Random,
    noise_cm: float,
) -> Reading | None:
    """What the level sensor reports now, faults included (None: it says nothing)."""
    value = depth_cm + rng.gauss(0.0, noise_cm)
    for fault in faults:
        if not fault.active(hours_in):
            continue
        if fault.kind is FaultKind.SENSOR_SILENT:
            return None
        if fault.kind is FaultKind.SENSOR_STUCK:
            stuck = fault.stuck_cm if fault.stuck_cm is not None else last
            value = value if stuck is None else stuck
        if fault.kind is FaultKind.SENSOR_JUMP:
            value += fault.size_cm
    return Reading(
        device_id=f"{paddy.id}-level",
        metric=Metric.WATER_LEVEL,
        value=round(max(-50.0, min(100.0, value)), 2),
        device_time=now,
        received_at=now + timedelta(seconds=2),
        paddy_id=paddy.id,
    )


def actuate(
    gate: SimGate,
    command: GateCommand,
    faults: Sequence[Fault],
    hours_in: float,
    ack_delay_s: float,
) -> None:
    """Move a gate as told and queue its ack, unless a fault keeps it silent."""
    for fault in faults:
        silent = fault.kind is FaultKind.GATE_SILENT and fault.role is command.role
        if silent and fault.active(hours_in):
            return
    gate.opening = 0.0 if command.action.value == "close" else command.opening_pct / 100.0
    at = command.issued_at + timedelta(seconds=ack_delay_s)
    gate.acks.append(GateAck(command_id=command.command_id, ok=True, at=at))
