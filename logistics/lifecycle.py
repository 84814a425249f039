"""A delivery's lifecycle: its states, the steps allowed between them, and the audit trail.

The main line::

    requested → accepted → scheduled → loading → in_flight → arrived → released
              → confirmed → vehicle_returned

with branches: ``cancelled`` (before the parcel leaves the ground), ``failed`` (the
vehicle or the release failed; the parcel's fate is then the pharmacy's to settle),
``returned_to_pharmacy`` (the drone flew the parcel back: nobody to receive it, the spot
blocked, a weather hold in the air). A vehicle that fails before take-off sends its
delivery from ``scheduled`` or ``loading`` back to ``accepted`` for re-dispatch, and so
does one that brings the parcel back after a fault in the air (``in_flight`` or
``arrived`` → ``accepted``): the parcel is at the depot, to be flown again.

Every step is an :class:`Event` — when, from which state to which, who or what caused it
(``pharmacy:P1``, ``vehicle:DRONE-2``, ``resident:R7``, ``dispatcher``) — appended to the
delivery; nothing is overwritten. The drone usually lands before the resident confirms:
the landing is recorded as it happens, and the delivery reaches ``vehicle_returned`` when
both have happened, at the later of the two.

>>> from datetime import UTC, datetime
>>> t = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
>>> d = Delivery.new("D1", at=t, by="pharmacy:P1")
>>> d = step(d, DeliveryState.ACCEPTED, at=t, by="dispatcher")
>>> d.state, [e.to_state.value for e in d.events]
(<DeliveryState.ACCEPTED: 'accepted'>, ['requested', 'accepted'])
>>> step(d, DeliveryState.RELEASED, at=t, by="vehicle:X")
Traceback (most recent call last):
...
logistics.errors.IllegalTransition: delivery D1 is accepted: it cannot become released
"""

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from logistics.errors import BadRequest, IllegalTransition

__all__ = ["ALLOWED", "TERMINAL", "Delivery", "DeliveryState", "Event", "record_landing", "step"]


class DeliveryState(StrEnum):
    """Where a delivery is in its life."""

    REQUESTED = "requested"
    ACCEPTED = "accepted"
    SCHEDULED = "scheduled"
    LOADING = "loading"
    IN_FLIGHT = "in_flight"
    ARRIVED = "arrived"
    RELEASED = "released"
    CONFIRMED = "confirmed"
    VEHICLE_RETURNED = "vehicle_returned"
    FAILED = "failed"
    CANCELLED = "cancelled"
    RETURNED_TO_PHARMACY = "returned_to_pharmacy"


S = DeliveryState
ALLOWED: dict[DeliveryState, frozenset[DeliveryState]] = {
    S.REQUESTED: frozenset({S.ACCEPTED, S.CANCELLED}),
    S.ACCEPTED: frozenset({S.SCHEDULED, S.CANCELLED, S.FAILED}),
    S.SCHEDULED: frozenset({S.LOADING, S.ACCEPTED, S.CANCELLED, S.FAILED}),
    S.LOADING: frozenset({S.IN_FLIGHT, S.ACCEPTED, S.CANCELLED, S.FAILED}),
    S.IN_FLIGHT: frozenset({S.ARRIVED, S.ACCEPTED, S.RETURNED_TO_PHARMACY, S.FAILED}),
    S.ARRIVED: frozenset({S.RELEASED, S.ACCEPTED, S.RETURNED_TO_PHARMACY, S.FAILED}),
    S.RELEASED: frozenset({S.CONFIRMED, S.FAILED}),
    S.CONFIRMED: frozenset({S.VEHICLE_RETURNED}),
    S.VEHICLE_RETURNED: frozenset(),
    S.FAILED: frozenset(),
    S.CANCELLED: frozenset(),
    S.RETURNED_TO_PHARMACY: frozenset(),
}
"""The steps each state allows."""
TERMINAL = frozenset(s for s, nexts in ALLOWED.items() if not nexts)
"""States a delivery never leaves."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Event:
    """One step of a delivery's life."""

    at: datetime
    from_state: DeliveryState | None
    to_state: DeliveryState
    by: str
    """Who or what caused it: ``pharmacy:ID``, ``vehicle:ID``, ``resident:ID``, ``dispatcher``."""
    note: str = ""


@dataclass(frozen=True, kw_only=True, slots=True)
class Delivery:
    """A delivery's state and its whole history."""

    id: str
    state: DeliveryState
    events: tuple[Event, ...]
    landed_at: datetime | None = None
    """When the vehicle that carried it landed back, once it has."""

    @classmethod
    def new(cls, delivery_id: str, *, at: datetime, by: str) -> "Delivery":
        """A delivery just requested."""
        _aware(at)
        first = Event(at=at, from_state=None, to_state=S.REQUESTED, by=by)
        return cls(id=delivery_id, state=S.REQUESTED, events=(first,))

    def entered(self, state: DeliveryState) -> datetime | None:
        """When the delivery last entered ``state``, if it has."""
        return next((e.at for e in reversed(self.events) if e.to_state is state), None)


def _aware(at: datetime) -> None:
    if at.tzinfo is None:
        raise BadRequest("a delivery's times need a time zone")


def step(
    delivery: Delivery, to: DeliveryState, *, at: datetime, by: str, note: str = ""
) -> Delivery:
    """The delivery after one step.

    Raises
    ------
    IllegalTransition
        The current state does not allow ``to``.
    BadRequest
        ``at`` has no time zone or lies before the last event.
    """
    _aware(at)
    if to not in ALLOWED[delivery.state]:
        raise IllegalTransition(delivery.id, delivery.state.value, to.value)
    if at < delivery.events[-1].at:
        raise BadRequest(
            f"delivery {delivery.id}: a step at {at.isoformat()} before its last "
            f"({delivery.events[-1].at.isoformat()})"
        )
    event = Event(at=at, from_state=delivery.state, to_state=to, by=by, note=note)
    moved = replace(delivery, state=to, events=(*delivery.events, event))
    if to is S.CONFIRMED and moved.landed_at is not None:
        return step(
            moved, S.VEHICLE_RETURNED, at=at, by=by,
            note=f"the vehicle had landed at {moved.landed_at.isoformat()}",
        )  # fmt: skip
    return moved


def record_landing(delivery: Delivery, *, at: datetime, by: str, note: str = "") -> Delivery:
    """The vehicle that carried the delivery has landed back at its depot.

    After confirmation it completes the delivery; before, it is kept until the resident
    confirms. Landing with the parcel still aboard is ``returned_to_pharmacy`` or
    ``failed``, which callers step to themselves.
    """
    _aware(at)
    if delivery.state is S.CONFIRMED:
        returned = step(delivery, S.VEHICLE_RETURNED, at=at, by=by, note=note)
        return replace(returned, landed_at=at)
    if delivery.state is S.RELEASED:
        return replace(delivery, landed_at=at)
    raise IllegalTransition(delivery.id, delivery.state.value, "landed back")
