"""A delivery's fee and points in the city currency, through the ledger.

A delivery is charged when it is accepted (or, resident-paid, when the resident confirms
receipt signed in), with the idempotency key ``tanbo-delivery-<id>-fee``: a retried
request, a restart or a repeated call never charges twice. A delivery that ends cancelled,
failed or back at the pharmacy is refunded in full, once (``…-refund``). Points, when the
city grants them for a delivery, go to the resident who confirms (``…-points``). A
platform that does not answer leaves the entry pending in the ledger, which finishes it
later; the delivery goes on. A refused charge cancels the delivery, saying why.
"""

import logging
from dataclasses import replace

from sqlalchemy import Engine

from api.currency import CurrencyError, Ledger
from api.currency.errors import PlatformRefused
from api.currency.port import TransactionStatus
from api.logistics import store
from api.logistics.records import StoredDelivery
from core.clock import Clock
from logistics.lifecycle import DeliveryState, step
from logistics.model import Payer

__all__ = ["charge", "fee_key", "grant_points", "payer_account", "refund", "refund_key"]

_log = logging.getLogger("tanbo.logistics")


def fee_key(delivery_id: str) -> str:
    """The idempotency key of a delivery's fee: one charge per delivery, ever."""
    return f"tanbo-delivery-{delivery_id}-fee"


def refund_key(delivery_id: str) -> str:
    """The idempotency key of a delivery's refund."""
    return f"tanbo-delivery-{delivery_id}-refund"


def payer_account(delivery: StoredDelivery) -> str:
    """Who the fee is charged to: the pharmacy, or the resident (a request says so only for
    a resident known to the city identity, and the resident pays by confirming receipt
    signed in as themself: a pharmacy cannot charge a resident on its own)."""
    r = delivery.request
    if r.payer is Payer.RESIDENT and r.recipient.resident_id is not None:
        return r.recipient.resident_id
    return r.pharmacy_id


def charge(
    engine: Engine, ledger: Ledger | None, clock: Clock, delivery: StoredDelivery
) -> StoredDelivery:
    """Charge the delivery's fee once; the delivery with the charge's status."""
    if ledger is None or not delivery.fee_yen:
        return delivery
    try:
        entry = ledger.charge(
            account=payer_account(delivery), amount_yen=delivery.fee_yen,
            idempotency_key=fee_key(delivery.id), reference=f"delivery:{delivery.id}",
            description=f"drone delivery to {delivery.request.drop_point_id}",
        )  # fmt: skip
        status = entry.status.value
    except PlatformRefused as exc:
        now, why = clock.now(), f"the fee was refused: {exc}"

        def refused(d: StoredDelivery) -> StoredDelivery:
            moved = step(d.lifecycle, DeliveryState.CANCELLED, at=now, by="currency", note=why)
            return replace(d, lifecycle=moved, charge_status="refused")

        return store.change(engine, delivery.id, refused)
    except CurrencyError as exc:  # no answer: the ledger keeps it pending
        _log.warning("delivery %s: fee pending: %s", delivery.id, exc)
        status = "pending"
    return store.change(engine, delivery.id, lambda d: replace(d, charge_status=status))


def refund(engine: Engine, ledger: Ledger | None, delivery: StoredDelivery) -> StoredDelivery:
    """Refund a settled fee in full, once; the delivery with the refund's status."""
    if ledger is None or delivery.charge_key is None:
        return delivery
    charged = ledger.by_key(delivery.charge_key)
    if charged is None or charged.status is not TransactionStatus.SUCCEEDED:
        return delivery
    try:
        ledger.refund(charged.id, idempotency_key=refund_key(delivery.id),
                      reference=f"delivery:{delivery.id}",
                      description=f"delivery {delivery.state.value}")  # fmt: skip
        status = "refunded"
    except CurrencyError as exc:
        _log.warning("delivery %s: refund pending: %s", delivery.id, exc)
        status = "refund pending"
    return store.change(engine, delivery.id, lambda d: replace(d, charge_status=status))


def grant_points(ledger: Ledger | None, delivery: StoredDelivery, points: int) -> None:
    """Grant ``points`` to the resident who received the delivery, once."""
    resident = delivery.request.recipient.resident_id
    if ledger is None or points <= 0 or resident is None:
        return
    try:
        ledger.grant_points(
            account=resident, points=points,
            idempotency_key=f"tanbo-delivery-{delivery.id}-points",
            reference=f"delivery:{delivery.id}", description="ドローン配送の受け取り",
        )  # fmt: skip
    except CurrencyError as exc:  # the ledger keeps it pending and finishes it later
        _log.warning("delivery %s: points pending: %s", delivery.id, exc)
