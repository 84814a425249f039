"""The ledger's data: its tables (migration 0005), the frozen values its callers see, and
the conversions between rows, requests, entries and the platform's transactions.

:class:`CurrencyEntryRow` is one transaction of the ledger and
:class:`CurrencyWebhookEventRow` one webhook event applied to it; :class:`LedgerEntry` is
a row as callers see it and :class:`ResumeReport` what
:meth:`~api.currency.ledger.Ledger.resume_pending` did. The functions serve the ledger's
own modules (:mod:`.ledger_store`, :mod:`.reconcile`); they are not re-exported.
"""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import CheckConstraint, Column, DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel

from api.currency.port import (
    MAX_ACCOUNT_CHARS,
    MAX_DESCRIPTION_CHARS,
    MAX_KEY_CHARS,
    MAX_REFERENCE_CHARS,
    ChargeRequest,
    PlatformRequest,
    PointsGrant,
    RefundRequest,
    Transaction,
    TransactionKind,
    TransactionStatus,
)

__all__ = [
    "CurrencyEntryRow",
    "CurrencyWebhookEventRow",
    "LedgerEntry",
    "ResumeReport",
    "adopted_row",
    "differences",
    "entry_of",
    "intent_row",
    "request_of",
    "same_request",
]


def _utc_column(nullable: bool = False) -> Any:
    return Column(DateTime(timezone=True), nullable=nullable)


class CurrencyEntryRow(SQLModel, table=True):
    """One transaction of the ledger (migration 0005)."""

    __tablename__ = "currency_entry"
    __table_args__ = (
        CheckConstraint("amount_yen >= 0 AND points >= 0", name="currency_entry_amounts"),
        CheckConstraint("kind IN ('charge', 'refund', 'points')", name="currency_entry_kind"),
        CheckConstraint(
            "status IN ('pending', 'succeeded', 'failed')", name="currency_entry_status"
        ),
        UniqueConstraint("idempotency_key", name="currency_entry_idempotency_key"),
        UniqueConstraint("platform_id", name="currency_entry_platform_id"),
    )

    id: str = Field(primary_key=True, max_length=36)
    idempotency_key: str = Field(max_length=MAX_KEY_CHARS)
    kind: str = Field(max_length=10)
    account: str = Field(index=True, max_length=MAX_ACCOUNT_CHARS)
    amount_yen: int
    points: int
    reference: str | None = Field(default=None, index=True, max_length=MAX_REFERENCE_CHARS)
    description: str = Field(max_length=MAX_DESCRIPTION_CHARS)
    refund_of: str | None = Field(default=None, max_length=40)
    """The platform id of the charge a refund gives back."""
    status: str = Field(index=True, max_length=10)
    platform_id: str | None = Field(default=None, max_length=40)
    failure_status: int | None = None
    failure_type: str | None = Field(default=None, max_length=200)
    failure_detail: str | None = Field(default=None, max_length=1000)
    origin: str = Field(max_length=10)
    """``tanbo`` (recorded before sending) or ``platform`` (adopted from the platform)."""
    attempts: int
    created_at: datetime = Field(sa_column=_utc_column())
    updated_at: datetime = Field(sa_column=_utc_column())
    settled_at: datetime | None = Field(default=None, sa_column=_utc_column(True))


class CurrencyWebhookEventRow(SQLModel, table=True):
    """A webhook event applied to the ledger, by the platform's event id (migration 0005)."""

    __tablename__ = "currency_webhook_event"

    id: str = Field(primary_key=True, max_length=100)
    type: str = Field(max_length=100)
    transaction_id: str = Field(max_length=40)
    received_at: datetime = Field(sa_column=_utc_column())


@dataclass(frozen=True, kw_only=True, slots=True)
class LedgerEntry:
    """A ledger row as callers see it."""

    id: str
    kind: TransactionKind
    account: str
    amount_yen: int
    points: int
    status: TransactionStatus
    idempotency_key: str
    reference: str | None
    description: str
    refund_of: str | None
    platform_transaction_id: str | None
    failure: str | None
    """The platform's refusal of a failed entry: ``<problem type>: <detail>``."""
    origin: str
    attempts: int
    created_at: datetime
    settled_at: datetime | None


@dataclass(frozen=True, kw_only=True, slots=True)
class ResumeReport:
    """What :meth:`~api.currency.ledger.Ledger.resume_pending` did with the pending entries."""

    settled: tuple[LedgerEntry, ...]
    failed: tuple[LedgerEntry, ...]
    still_pending: tuple[str, ...]
    """Ids of entries the platform did not answer for (it is down): try again later."""


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def entry_of(row: CurrencyEntryRow) -> LedgerEntry:
    """The entry a row holds, as callers see it."""
    failure = None if row.failure_type is None else f"{row.failure_type}: {row.failure_detail}"
    return LedgerEntry(
        id=row.id,
        kind=TransactionKind(row.kind),
        account=row.account,
        amount_yen=row.amount_yen,
        points=row.points,
        status=TransactionStatus(row.status),
        idempotency_key=row.idempotency_key,
        reference=row.reference,
        description=row.description,
        refund_of=row.refund_of,
        platform_transaction_id=row.platform_id,
        failure=failure,
        origin=row.origin,
        attempts=row.attempts,
        created_at=_utc(row.created_at),
        settled_at=None if row.settled_at is None else _utc(row.settled_at),
    )


def request_of(row: CurrencyEntryRow) -> PlatformRequest:
    """The request a row records, with its key: what sending it (again) sends."""
    common: dict[str, Any] = {
        "idempotency_key": row.idempotency_key,
        "reference": row.reference,
        "description": row.description,
    }
    if row.kind == TransactionKind.CHARGE:
        return ChargeRequest(account=row.account, amount_yen=row.amount_yen, **common)
    if row.kind == TransactionKind.REFUND:
        assert row.refund_of is not None
        return RefundRequest(charge_id=row.refund_of, amount_yen=row.amount_yen, **common)
    return PointsGrant(account=row.account, points=row.points, **common)


def _kind_of(request: PlatformRequest) -> TransactionKind:
    if isinstance(request, ChargeRequest):
        return TransactionKind.CHARGE
    if isinstance(request, RefundRequest):
        return TransactionKind.REFUND
    return TransactionKind.POINTS


def intent_row(request: PlatformRequest, account: str, now: datetime) -> CurrencyEntryRow:
    """A new pending row for ``request`` (step 1, the intent)."""
    return CurrencyEntryRow(
        id=str(uuid.uuid4()),
        idempotency_key=request.idempotency_key,
        kind=_kind_of(request).value,
        account=account,
        amount_yen=getattr(request, "amount_yen", 0),
        points=getattr(request, "points", 0),
        reference=request.reference,
        description=request.description,
        refund_of=getattr(request, "charge_id", None),
        status=TransactionStatus.PENDING.value,
        origin="tanbo",
        attempts=0,
        created_at=now,
        updated_at=now,
    )


def adopted_row(t: Transaction, now: datetime) -> CurrencyEntryRow:
    """A settled row for a transaction of the platform's that the ledger lacks."""
    return CurrencyEntryRow(
        id=str(uuid.uuid4()),
        idempotency_key=t.idempotency_key,
        kind=t.kind.value,
        account=t.account,
        amount_yen=t.amount_yen,
        points=t.points,
        reference=t.reference,
        description=t.description,
        refund_of=t.refund_of,
        status=TransactionStatus.SUCCEEDED.value,
        platform_id=t.id,
        origin="platform",
        attempts=0,
        created_at=t.created_at,
        updated_at=now,
        settled_at=now,
    )


def same_request(row: CurrencyEntryRow, other: CurrencyEntryRow) -> bool:
    """Whether two rows record the same request (a key used again for it is no conflict)."""
    fields = ("kind", "account", "amount_yen", "points", "reference", "description", "refund_of")
    return all(getattr(row, name) == getattr(other, name) for name in fields)


def differences(row: CurrencyEntryRow, t: Transaction) -> tuple[list[str], list[str]]:
    """The amounts, then the other details, in which a row and a transaction differ."""
    amounts = [
        f"{name}: ledger {getattr(row, name)}, platform {getattr(t, name)}"
        for name in ("amount_yen", "points")
        if getattr(row, name) != getattr(t, name)
    ]
    details = [
        f"{name}: ledger {mine!r}, platform {theirs!r}"
        for name, mine, theirs in (
            ("kind", row.kind, t.kind.value),
            ("account", row.account, t.account),
            ("refund_of", row.refund_of, t.refund_of),
            ("platform id", row.platform_id, t.id),
        )
        if mine is not None and mine != theirs
    ]
    return amounts, details
