"""Bills and points in the city currency: the caller's entries, and the platform's webhooks."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from pydantic import BaseModel

from api.accounts import Role
from api.currency import (
    Ledger,
    LedgerEntry,
    TransactionKind,
    TransactionStatus,
    WebhookVerifier,
)
from api.deps import CurrentUser, ServicesDep
from api.errors import NotConfigured
from api.routes.common import Page, ProblemResponses

__all__ = ["router"]

router = APIRouter(tags=["billing"], responses=ProblemResponses)


class EntryPublic(BaseModel):
    """One charge, refund or points grant, as the ledger keeps it."""

    id: str
    kind: TransactionKind
    account: str
    amount_yen: int
    points: int
    status: TransactionStatus
    reference: str | None
    description: str
    created_at: datetime
    settled_at: datetime | None


async def _raw_body(request: Request) -> bytes:
    """The body exactly as sent: the signature is over these bytes."""
    return await request.body()


def _ledger(services: ServicesDep) -> Ledger:
    ledger: Ledger | None = services.extras.get("ledger")
    if ledger is None:
        raise NotConfigured("no currency platform is configured (set currency_url)")
    return ledger


def _public(entry: LedgerEntry) -> EntryPublic:
    return EntryPublic(
        id=entry.id,
        kind=entry.kind,
        account=entry.account,
        amount_yen=entry.amount_yen,
        points=entry.points,
        status=entry.status,
        reference=entry.reference,
        description=entry.description,
        created_at=entry.created_at,
        settled_at=entry.settled_at,
    )


@router.get("/billing/entries", response_model=Page[EntryPublic], summary="Bills and points")
def entries(
    services: ServicesDep,
    caller: CurrentUser,
    account: Annotated[str | None, Query(description="Whose (city staff only).")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Page[EntryPublic]:
    """The caller's charges, refunds and points (city staff: anyone's)."""
    if not caller.has(Role.CITY_ADMIN) or account is None:
        account = caller.account_id
    rows = list(_ledger(services).entries(account=account))
    data = [_public(e) for e in rows[offset : offset + limit]]
    return Page(data=data, count=len(rows), limit=limit, offset=offset)


@router.post(
    "/currency/webhooks",
    status_code=204,
    summary="Webhook from the currency platform",
    responses={400: ProblemResponses[422] | {"description": "Bad signature, stale or replayed."}},
)
def webhook(
    body: Annotated[bytes, Depends(_raw_body)],
    services: ServicesDep,
    webhook_signature: Annotated[str | None, Header()] = None,
) -> Response:
    """A signed event from the platform (HMAC-SHA256 over timestamp and body); applied once."""
    verifier: WebhookVerifier | None = services.extras.get("webhooks")
    if verifier is None:
        raise NotConfigured("no webhook secret is configured (set currency_webhook_secrets)")
    event = verifier.verify(body, webhook_signature)
    _ledger(services).apply_webhook(event)
    return Response(status_code=204)
