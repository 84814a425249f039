"""Deliveries: a pharmacy asks for a parcel to be flown to a drop point, operators dispatch,
the recipient confirms receipt, and every step is kept in the delivery's timeline.

A pharmacy sees and cancels only the deliveries it made; a resident sees those made for
them; operators and city staff see all (:mod:`api.routes.delivery_deps`). The fee is
charged when the request is accepted and refunded when a delivery ends undelivered
(:mod:`api.logistics.service`). The one-time code a recipient confirms with is never in an
answer: dispatch sends it to the recipient's notices, and only its hash is kept.
"""

from typing import Annotated, Any, Self

from fastapi import APIRouter, Body, Depends, Header, Path, Query, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from api.accounts import Principal, Role
from api.deps import CurrentUser, require
from api.errors import Forbidden
from api.logistics import store
from api.logistics.service import CODE_DIGITS, DeliveryService
from api.problems import PROBLEM_JSON, Problem
from api.routes.common import Page, ProblemResponses
from api.routes.delivery_deps import (
    STAFF,
    DeliveriesDep,
    DeliveryItem,
    DeliveryPublic,
    RecipientBody,
    TimelineEntry,
    Window,
    delivery_public,
    timeline_of,
    visible_delivery,
)
from logistics.lifecycle import DeliveryState
from logistics.model import DeliveryRequest, Item, Payer, Recipient, TimeWindow

__all__ = ["CancelBody", "ConfirmBody", "DeliveryCreate", "DispatchSummary", "router"]

router = APIRouter(prefix="/deliveries", tags=["deliveries"], responses=ProblemResponses)

_Makers = Annotated[Principal, Depends(require(Role.PHARMACY, Role.CITY_ADMIN))]
_Cancellers = Annotated[Principal, Depends(require(Role.PHARMACY, *STAFF))]
_Crew = Annotated[Principal, Depends(require(*STAFF))]
_DeliveryId = Annotated[str, Path(description="The delivery's id (from its creation).")]
_STATE_CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {
        "description": "The delivery's state does not allow this (e.g. already in the air).",
        "model": Problem,
        "content": {PROBLEM_JSON: {}},
    }
}


class DeliveryCreate(BaseModel):
    """A delivery request. All items share one temperature class (one box keeps one
    temperature); ``window`` null means as soon as possible."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {
                            "name": "インスリン注射液",
                            "weight_kg": 0.3,
                            "size_cm": [20, 12, 8],
                            "temperature": "cool",
                        }
                    ],
                    "recipient": {"resident_id": "3f6c1e0a-8d2b-4b7e-9c1d-5a2e7f90b314"},
                    "drop_point_id": "GARDEN-E",
                    "window": {
                        "earliest": "2026-06-01T10:00:00+09:00",
                        "latest": "2026-06-01T12:00:00+09:00",
                    },
                    "payer": "pharmacy",
                },
                {
                    "items": [{"name": "湿布", "weight_kg": 0.4, "size_cm": [25, 15, 5]}],
                    "recipient": {"name": "加西 花子", "phone": "0790-42-0000"},
                    "drop_point_id": "CENTRE-W",
                    "window": None,
                },
            ]
        },
    )

    items: list[DeliveryItem] = Field(min_length=1, max_length=50)
    recipient: RecipientBody
    drop_point_id: str = Field(min_length=1, max_length=64)
    window: Window | None = None
    payer: Payer = Payer.PHARMACY

    @model_validator(mode="after")
    def _a_resident_pays_from_an_account(self) -> Self:
        if self.payer is Payer.RESIDENT and self.recipient.resident_id is None:
            raise ValueError("payer 'resident' needs the recipient's resident_id")
        return self


class CancelBody(BaseModel):
    """Why a delivery is cancelled (or its drone recalled)."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reason": "処方が変更されました"}]}
    )

    reason: str = Field(default="", max_length=1000)


class ConfirmBody(BaseModel):
    """The one-time code from the recipient's notice; leave it out to confirm as the
    resident the delivery is for."""

    model_config = ConfigDict(extra="forbid")

    code: str | None = Field(default=None, pattern=rf"^[0-9]{{{CODE_DIGITS}}}$")


class DispatchedTrip(BaseModel):
    """A delivery given a trip."""

    delivery_id: str
    vehicle_id: str
    takeoff_at: AwareDatetime
    drop_at: AwareDatetime


class LeftOver(BaseModel):
    """A delivery dispatch could not serve now, and why."""

    delivery_id: str
    reason: str


class DispatchSummary(BaseModel):
    """What a dispatch run planned. Recipients newly scheduled were sent their codes."""

    solver: str
    trips: list[DispatchedTrip]
    unassigned: list[LeftOver]
    notified: int = Field(description="Recipients sent a one-time code by this run.")


def _request(body: DeliveryCreate, service: DeliveryService, caller: Principal) -> DeliveryRequest:
    """The domain's request (which checks what the schema cannot)."""
    window = body.window
    return DeliveryRequest(
        id=service.new_id(), pharmacy_id=caller.account_id,
        items=tuple(Item(name=i.name, weight_kg=i.weight_kg, size_cm=i.size_cm,
                         temperature=i.temperature) for i in body.items),
        recipient=Recipient(resident_id=body.recipient.resident_id, name=body.recipient.name,
                            phone=body.recipient.phone),
        drop_point_id=body.drop_point_id, requested_at=service.clock.now(),
        window=None if window is None else TimeWindow(earliest=window.earliest,
                                                      latest=window.latest),
        payer=body.payer,
    )  # fmt: skip


@router.post(
    "",
    response_model=DeliveryPublic,
    status_code=201,
    summary="Request a delivery",
    responses={
        200: {"model": DeliveryPublic, "description": "A retry: the delivery that key made."},
        409: {
            "description": "The Idempotency-Key was used for a different request.",
            "model": Problem,
            "content": {PROBLEM_JSON: {}},
        },
    },
)
def request_delivery(
    body: DeliveryCreate,
    response: Response,
    service: DeliveriesDep,
    caller: _Makers,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=200,
            description="Makes a retry safe: the same key and body again answer 200 with "
            "the delivery made the first time; the same key with another body, 409.",
        ),
    ] = None,
) -> DeliveryPublic:
    """Ask for a parcel to be flown to a registered drop point. It is accepted at once when
    some stationed vehicle can carry it (the fee is charged then), refused with 422 when
    none can, dispatched by the running service at its next tick (or by an operator at once)."""
    stored, created = service.request(
        _request(body, service, caller), idempotency_key=idempotency_key
    )
    response.status_code = 201 if created else 200
    response.headers["Location"] = f"/deliveries/{stored.id}"
    return delivery_public(stored, caller)


@router.get("", response_model=Page[DeliveryPublic], summary="List deliveries")
def list_deliveries(
    service: DeliveriesDep,
    caller: CurrentUser,
    state: Annotated[
        list[DeliveryState] | None, Query(description="Only deliveries in these states.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500, description="Most deliveries to answer.")] = 50,
    offset: Annotated[int, Query(ge=0, description="How many to skip.")] = 0,
) -> Page[DeliveryPublic]:
    """Deliveries, newest first: those the caller made or receives; all for operators and
    city staff."""
    mine = None if caller.has(*STAFF) else caller.account_id
    rows, total = store.list_deliveries(
        service.engine, pharmacy_id=mine, resident_id=mine, states=state or None,
        limit=limit, offset=offset,
    )  # fmt: skip
    data = [delivery_public(d, caller) for d in rows]
    return Page(data=data, count=total, limit=limit, offset=offset)


@router.post("/dispatch", response_model=DispatchSummary, summary="Dispatch deliveries")
def dispatch_deliveries(service: DeliveriesDep, caller: _Crew) -> DispatchSummary:
    """Plan every accepted and scheduled delivery over the stationed vehicles. Each newly
    scheduled recipient is sent the one-time code in a notice; codes are never answered."""
    done = service.dispatch()
    plan = done.plan
    return DispatchSummary(
        solver=plan.solver,
        trips=[
            DispatchedTrip(delivery_id=t.request_id, vehicle_id=t.vehicle_id,
                           takeoff_at=t.takeoff_at, drop_at=t.drop_at)
            for t in plan.trips
        ],
        unassigned=[LeftOver(delivery_id=u.request_id, reason=u.reason) for u in plan.unassigned],
        notified=len(done.codes),
    )  # fmt: skip


@router.get("/{delivery_id}", response_model=DeliveryPublic, summary="Read a delivery")
def read_delivery(
    delivery_id: _DeliveryId, service: DeliveriesDep, caller: CurrentUser
) -> DeliveryPublic:
    """One delivery: its state, trip, fee and timeline."""
    return delivery_public(visible_delivery(service, caller, delivery_id), caller)


@router.get(
    "/{delivery_id}/timeline", response_model=list[TimelineEntry], summary="A delivery's timeline"
)
def delivery_timeline(
    delivery_id: _DeliveryId, service: DeliveriesDep, caller: CurrentUser
) -> list[TimelineEntry]:
    """Every step of the delivery, oldest first: when, from what to what, by whom, why."""
    return timeline_of(visible_delivery(service, caller, delivery_id))


@router.post(
    "/{delivery_id}/cancel",
    response_model=DeliveryPublic,
    summary="Cancel a delivery",
    responses=_STATE_CONFLICT,
)
def cancel_delivery(
    delivery_id: _DeliveryId, body: CancelBody, service: DeliveriesDep, caller: _Cancellers
) -> DeliveryPublic:
    """Cancel before the parcel leaves the ground (409 after); the fee is refunded. The
    pharmacy that made it, operators or city staff."""
    by = _who(service, caller, delivery_id)
    return delivery_public(service.cancel(delivery_id, by=by, reason=body.reason), caller)


def _who(service: DeliveryService, caller: Principal, delivery_id: str) -> str:
    """The caller as a delivery's history names them, if they may cancel or recall it."""
    current = visible_delivery(service, caller, delivery_id)
    if current.request.pharmacy_id == caller.account_id:
        return f"pharmacy:{caller.account_id}"
    if caller.has(*STAFF):
        role = Role.CITY_ADMIN if caller.has(Role.CITY_ADMIN) else Role.OPERATOR
        return f"{role.value}:{caller.account_id}"
    raise Forbidden("only the pharmacy that made it, operators or city staff may do this")


@router.post(
    "/{delivery_id}/recall",
    response_model=DeliveryPublic,
    status_code=202,
    summary="Recall a drone with its parcel",
    responses={
        409: {
            "description": "The parcel is not in the air (not yet taken off, or released).",
            "model": Problem,
            "content": {PROBLEM_JSON: {}},
        }
    },
)
def recall_delivery(
    delivery_id: _DeliveryId, body: CancelBody, service: DeliveriesDep, caller: _Cancellers
) -> DeliveryPublic:
    """Order the drone carrying the parcel home (nobody will receive it, the spot is
    blocked): the flying service turns it round within about a second, and the delivery
    ends returned to the pharmacy, refunded, once it lands. Accepted (202) while the parcel
    is in the air; asked again, it changes nothing. The pharmacy that made it, operators or
    city staff."""
    return delivery_public(
        service.recall(delivery_id, by=_who(service, caller, delivery_id), reason=body.reason),
        caller,
    )


@router.post(
    "/{delivery_id}/confirm",
    response_model=DeliveryPublic,
    summary="Confirm receipt",
    responses={
        **_STATE_CONFLICT,
        403: {
            "description": "Not the delivery's code, and not the resident it is for.",
            "model": Problem,
            "content": {PROBLEM_JSON: {}},
        },
    },
)
def confirm_delivery(
    delivery_id: _DeliveryId,
    service: DeliveriesDep,
    caller: CurrentUser,
    body: Annotated[ConfirmBody | None, Body(examples=[{"code": "042917"}, {}])] = None,
) -> DeliveryPublic:
    """Confirm the parcel was received, once it is released: with the one-time code by
    anyone who holds it, or with no code by the resident the delivery is for."""
    code = None if body is None else body.code
    resident = caller.account_id if code is None else None
    done = service.confirm(delivery_id, code=code, resident_id=resident)
    return delivery_public(done, caller)
