"""What the delivery routes share: the delivery service, who may see what of a delivery,
and the delivery as an answer shows it.

A delivery is seen by the account that made it (a pharmacy, or city staff for one), by
the resident it is for (``recipient.resident_id``, whatever their roles), and by
operators and city staff; to anyone else it answers 404, as if absent. The recipient's
phone number is shown to the maker, the recipient and city staff, not to operators (they
fly to the drop point, they need nobody's number).
"""

from typing import Annotated

from fastapi import Depends
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from api.accounts import Principal, Role
from api.deps import ServicesDep
from api.errors import NotConfigured, NotFound
from api.logistics import store
from api.logistics.records import StoredDelivery
from api.logistics.service import DeliveryService
from logistics.lifecycle import DeliveryState
from logistics.model import Payer, TemperatureClass
from mission_planner import PayloadRelease

__all__ = [
    "STAFF",
    "DeliveriesDep",
    "DeliveryItem",
    "DeliveryPublic",
    "Position",
    "RecipientBody",
    "TimelineEntry",
    "TripPublic",
    "Window",
    "delivery_public",
    "involved",
    "sees_phone",
    "timeline_of",
    "visible_delivery",
]

STAFF = (Role.OPERATOR, Role.CITY_ADMIN)
"""Roles that see every delivery."""
_Side = Annotated[float, Field(gt=0, le=500)]


class DeliveryItem(BaseModel):
    """One thing to carry; sides in cm, as measured."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    name: str = Field(min_length=1, max_length=200)
    weight_kg: float = Field(gt=0, le=100)
    size_cm: tuple[_Side, _Side, _Side] = Field(description="Length, width, height, cm.")
    temperature: TemperatureClass = TemperatureClass.AMBIENT


class RecipientBody(BaseModel):
    """Who receives: a resident's account id, or a name and a phone number."""

    model_config = ConfigDict(extra="forbid")

    resident_id: str | None = Field(default=None, min_length=1, max_length=200)
    name: str | None = Field(default=None, min_length=1, max_length=200)
    phone: str | None = Field(default=None, min_length=3, max_length=40)


class Window(BaseModel):
    """When the recipient can take the parcel: it arrives no earlier, no later."""

    model_config = ConfigDict(extra="forbid")

    earliest: AwareDatetime
    latest: AwareDatetime


class TripPublic(BaseModel):
    """The flight dispatch planned for a delivery."""

    vehicle_id: str
    depot_id: str
    release: PayloadRelease
    takeoff_at: AwareDatetime
    drop_at: AwareDatetime
    landed_at: AwareDatetime = Field(description="When the vehicle is due back at its depot.")
    route_m: float = Field(description="The way out, round the no-fly zones, m.")
    permissions: list[str] = Field(description="Aviation Act permissions the flight needs.")


class Position(BaseModel):
    """A WGS84 position."""

    lat_deg: float
    lon_deg: float


class TimelineEntry(BaseModel):
    """One step of a delivery's life: when, from which state to which, by whom or what
    (``pharmacy:ID``, ``dispatcher``, ``vehicle:ID``, ``resident:ID``, ``recipient:code``)."""

    at: AwareDatetime
    from_state: DeliveryState | None
    to_state: DeliveryState
    by: str
    note: str


class DeliveryPublic(BaseModel):
    """A delivery as it is now, with its whole timeline (oldest first)."""

    id: str
    pharmacy_id: str = Field(description="The account that made the request.")
    state: DeliveryState
    drop_point_id: str
    items: list[DeliveryItem]
    recipient: RecipientBody = Field(
        description="The phone number only for the maker, the recipient and city staff."
    )
    window: Window | None
    payer: Payer
    fee_yen: int | None
    charge_status: str | None = Field(
        description="succeeded, pending, refused, refunded, refund pending; null: no charge."
    )
    trip: TripPublic | None
    released_at: AwareDatetime | None
    release_position: Position | None = Field(description="Where the vehicle let go of it.")
    confirm_by: AwareDatetime | None = Field(description="Unconfirmed by then, it is escalated.")
    escalated_at: AwareDatetime | None
    recall: str | None = Field(
        description="Who ordered the drone home with the parcel while it flew, and why."
    )
    created_at: AwareDatetime
    timeline: list[TimelineEntry]


def timeline_of(delivery: StoredDelivery) -> list[TimelineEntry]:
    """A delivery's steps, oldest first."""
    return [
        TimelineEntry(at=e.at, from_state=e.from_state, to_state=e.to_state, by=e.by, note=e.note)
        for e in delivery.lifecycle.events
    ]


def delivery_public(delivery: StoredDelivery, caller: Principal) -> DeliveryPublic:
    """What ``caller`` sees of ``delivery`` (the phone number only if :func:`sees_phone`)."""
    request, trip, where = delivery.request, delivery.trip, delivery.release_at
    r = request.recipient
    window = request.window
    return DeliveryPublic(
        id=delivery.id, pharmacy_id=request.pharmacy_id, state=delivery.state,
        drop_point_id=request.drop_point_id,
        items=[DeliveryItem(name=i.name, weight_kg=i.weight_kg, size_cm=i.size_cm,
                            temperature=i.temperature) for i in request.items],
        recipient=RecipientBody(resident_id=r.resident_id, name=r.name,
                                phone=r.phone if sees_phone(caller, delivery) else None),
        window=None if window is None else Window(earliest=window.earliest, latest=window.latest),
        payer=request.payer, fee_yen=delivery.fee_yen, charge_status=delivery.charge_status,
        trip=None if trip is None else TripPublic(
            vehicle_id=trip.vehicle_id, depot_id=trip.depot_id, release=trip.release,
            takeoff_at=trip.takeoff_at, drop_at=trip.drop_at, landed_at=trip.landed_at,
            route_m=trip.route_m, permissions=list(trip.permissions)),
        released_at=delivery.released_at,
        release_position=None if where is None else Position(lat_deg=where.lat_deg,
                                                             lon_deg=where.lon_deg),
        confirm_by=delivery.confirm_by, escalated_at=delivery.escalated_at,
        recall=delivery.recall_note,
        created_at=delivery.created_at or request.requested_at, timeline=timeline_of(delivery),
    )  # fmt: skip


def _deliveries(services: ServicesDep) -> DeliveryService:
    service = services.extras.get("deliveries")
    if not isinstance(service, DeliveryService):
        raise NotConfigured("deliveries are not set up on this server")
    return service


DeliveriesDep = Annotated[DeliveryService, Depends(_deliveries)]
"""The app's delivery service (``services.extras["deliveries"]``, made by ``create_app``)."""


def involved(caller: Principal, delivery: StoredDelivery) -> bool:
    """Whether ``caller`` may see ``delivery``: staff, its maker, or its resident."""
    request = delivery.request
    return caller.has(*STAFF) or caller.account_id in (
        request.pharmacy_id,
        request.recipient.resident_id,
    )


def sees_phone(caller: Principal, delivery: StoredDelivery) -> bool:
    """Whether ``caller`` may read the recipient's phone number."""
    request = delivery.request
    return caller.has(Role.CITY_ADMIN) or caller.account_id in (
        request.pharmacy_id,
        request.recipient.resident_id,
    )


def visible_delivery(
    service: DeliveryService, caller: Principal, delivery_id: str
) -> StoredDelivery:
    """The delivery, if ``caller`` may see it.

    Raises
    ------
    NotFound
        No such delivery, or not one the caller may see (the same answer).
    """
    delivery = store.get_delivery(service.engine, delivery_id)
    if not involved(caller, delivery):
        raise NotFound(f"no delivery {delivery_id}")
    return delivery
