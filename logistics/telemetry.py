"""A delivery's state from what its vehicle reports, not from timers.

api/ turns the vehicle link's events into :class:`Signal` values (logistics/ never sees
MAVLink or fleet/); :func:`delivery_marks` reads, once, which mission items mean what:

- the first navigation item at the drop point: reaching it is ``arrived``;
- for a winch, the hover that follows the line being paid out (``DO_WINCH`` with a
  positive length): it ends once the parcel is down, and reaching it is ``released``;
  for a gripper, the autopilot's own word (ArduPilot says "Gripper Released" when a
  mission's ``DO_GRIPPER`` lets go), or the first item reached after the ``DO_GRIPPER``;
  for a landing, the ``NAV_LAND`` at the drop point is both;
- disarming back at the depot is the landing: with the parcel delivered it completes the
  delivery (:func:`logistics.lifecycle.record_landing`); with the parcel still aboard it
  was brought back (``returned_to_pharmacy``); elsewhere it is a failure.

>>> from datetime import UTC, datetime
>>> marks = DeliveryMarks(arrived_seq=3, released_seq=6)
>>> next_state(DeliveryState.IN_FLIGHT, Signal(kind=SignalKind.ITEM_REACHED, seq=3), marks)
<DeliveryState.ARRIVED: 'arrived'>
>>> next_state(DeliveryState.IN_FLIGHT, Signal(kind=SignalKind.ITEM_REACHED, seq=2), marks)
"""

from dataclasses import dataclass
from enum import StrEnum

from core.geo import GeoPoint
from logistics.errors import LogisticsError
from logistics.lifecycle import DeliveryState
from mission_planner.model import Command, Mission

__all__ = [
    "DROP_POSITION_M",
    "DeliveryMarks",
    "Signal",
    "SignalKind",
    "delivery_marks",
    "next_state",
]

DROP_POSITION_M = 2.0
"""A mission item this close to the drop point is at it, m."""
_GRIPPER_RELEASE = 0  # GRIPPER_ACTION_RELEASE
_GRIPPER_WORDS = "gripper released"


class SignalKind(StrEnum):
    """What a vehicle reported, as far as a delivery cares."""

    TOOK_OFF = "took_off"
    ITEM_REACHED = "item_reached"
    STATUS_TEXT = "status_text"
    LANDED = "landed"


@dataclass(frozen=True, kw_only=True, slots=True)
class Signal:
    """One report: the item reached (wire seq), the autopilot's text, or a landing and
    whether it was at the depot."""

    kind: SignalKind
    seq: int | None = None
    text: str = ""
    at_depot: bool = True


@dataclass(frozen=True, kw_only=True, slots=True)
class DeliveryMarks:
    """The wire seqs whose reaching means arrived and released."""

    arrived_seq: int
    released_seq: int
    gripper: bool = False
    """A gripper release: the autopilot's "Gripper Released" counts too."""


def delivery_marks(mission: Mission, drop: GeoPoint) -> DeliveryMarks:
    """Which items of a delivery mission mean arrived and released.

    Raises
    ------
    LogisticsError
        The mission never reaches the drop point, or has no release after it.
    """
    # Wire seq = index + 1: home is seq 0.
    items = list(enumerate(mission.items, start=1))
    arrived = next(
        (
            seq
            for seq, item in items
            if item.command.has_position
            and item.command.is_nav
            and GeoPoint(lat_deg=item.lat_deg, lon_deg=item.lon_deg).distance_m(drop)
            <= DROP_POSITION_M
        ),
        None,
    )
    if arrived is None:
        raise LogisticsError("the mission never reaches the drop point")
    for seq, item in items:
        if seq < arrived:
            continue
        if item.command is Command.NAV_LAND:
            return DeliveryMarks(arrived_seq=seq, released_seq=seq)
        lowering = item.command is Command.DO_WINCH and item.param3 > 0
        letting_go = item.command is Command.DO_GRIPPER and int(item.param2) == _GRIPPER_RELEASE
        if lowering or letting_go:
            after = next((s for s, i in items if s > seq and i.command.is_nav), None)
            if after is None:
                raise LogisticsError("the mission ends at the release")
            return DeliveryMarks(arrived_seq=arrived, released_seq=after, gripper=letting_go)
    raise LogisticsError("the mission has no release at the drop point")


def next_state(state: DeliveryState, signal: Signal, marks: DeliveryMarks) -> DeliveryState | None:
    """The state a signal moves a delivery to, or None when it changes nothing.

    A landing after the release is not a state of its own: callers pass it to
    :func:`logistics.lifecycle.record_landing`; this returns None for it.
    """
    s = DeliveryState
    if signal.kind is SignalKind.TOOK_OFF:
        return s.IN_FLIGHT if state is s.LOADING else None
    if signal.kind is SignalKind.ITEM_REACHED and signal.seq is not None:
        if state is s.LOADING and signal.seq >= 1:
            return s.IN_FLIGHT
        if state is s.IN_FLIGHT and signal.seq >= marks.arrived_seq:
            return s.RELEASED if signal.seq >= marks.released_seq else s.ARRIVED
        if state is s.ARRIVED and signal.seq >= marks.released_seq:
            return s.RELEASED
        return None
    if signal.kind is SignalKind.STATUS_TEXT:
        said = signal.text.strip().casefold() == _GRIPPER_WORDS
        return s.RELEASED if marks.gripper and said and state is s.ARRIVED else None
    if signal.kind is SignalKind.LANDED and state in (s.IN_FLIGHT, s.ARRIVED):
        return s.RETURNED_TO_PHARMACY if signal.at_depot else s.FAILED
    return None
