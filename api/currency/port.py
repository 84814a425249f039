"""The currency platform's interface: what Tanbo asks of ねっぴ〜Pay, and what it gets back.

Three writes — :class:`ChargeRequest`, :class:`RefundRequest`, :class:`PointsGrant` — each
carry an idempotency key: sending the same request twice with the same key applies it
once, and the platform answers the second time as it did the first. Amounts are whole
yen, points whole points (1 pt = 1 yen). Any platform adapter implements
:class:`CurrencyPlatform`: :class:`api.currency.client.PlatformClient` speaks the sandbox's
HTTP API; the real platform, once its API is published, gets an adapter of its own.

The JSON form of a transaction (:func:`transaction_to_json`) is the one the sandbox
answers with and its webhooks carry:

>>> t = transaction_from_json({
...     "id": "txn_1", "kind": "charge", "account": "farmer-1", "amount_yen": 1500,
...     "points": 0, "status": "succeeded", "idempotency_key": "spray-42",
...     "created_at": "2026-06-01T09:00:00+09:00", "reference": "mission 42",
... })
>>> t.amount_yen, t.created_at.isoformat()
(1500, '2026-06-01T00:00:00+00:00')
>>> transaction_to_json(t)["created_at"]
'2026-06-01T00:00:00+00:00'
"""

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol

from api.currency.errors import InvalidRequest, PlatformUnavailable

__all__ = [
    "MAX_ACCOUNT_CHARS",
    "MAX_DESCRIPTION_CHARS",
    "MAX_KEY_CHARS",
    "MAX_REFERENCE_CHARS",
    "ChargeRequest",
    "CurrencyPlatform",
    "PlatformRequest",
    "PointsGrant",
    "RefundRequest",
    "Transaction",
    "TransactionKind",
    "TransactionStatus",
    "send",
    "transaction_from_json",
    "transaction_to_json",
]

MAX_ACCOUNT_CHARS = 200
MAX_KEY_CHARS = 255
MAX_REFERENCE_CHARS = 200
MAX_DESCRIPTION_CHARS = 500
_KEY = re.compile(r"^[\x21-\x7e]+$")  # printable ASCII, no spaces: it travels in a header


class TransactionKind(StrEnum):
    """What a transaction did."""

    CHARGE = "charge"
    """Yen moved from the payer's wallet to Tanbo's operator."""
    REFUND = "refund"
    """Yen of an earlier charge moved back to its payer."""
    POINTS = "points"
    """Points granted to an account (reduced pesticide use, …)."""


class TransactionStatus(StrEnum):
    """Where a transaction stands."""

    PENDING = "pending"
    """Recorded by the ledger; the platform's answer is not known yet (local only)."""
    SUCCEEDED = "succeeded"
    """Applied by the platform."""
    FAILED = "failed"
    """Refused by the platform: nothing moved."""


def _check_positive(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidRequest(f"{name} must be a whole number above 0, not {value!r}")


def _check_text(name: str, value: str | None, limit: int, *, required: bool) -> None:
    if value is None and not required:
        return
    if not isinstance(value, str) or (required and not value.strip()):
        raise InvalidRequest(f"{name} must be a non-empty string, not {value!r}")
    if len(value) > limit:
        raise InvalidRequest(f"{name} is {len(value)} characters long; at most {limit}")


def _check_key(key: str) -> None:
    _check_text("idempotency_key", key, MAX_KEY_CHARS, required=True)
    if not _KEY.match(key):
        raise InvalidRequest(f"idempotency_key {key!r} must be printable ASCII without spaces")


@dataclass(frozen=True, kw_only=True, slots=True)
class ChargeRequest:
    """Charge ``account`` ``amount_yen`` for a service (spraying, a survey, a delivery)."""

    account: str
    amount_yen: int
    idempotency_key: str
    reference: str | None = None
    description: str = ""

    def __post_init__(self) -> None:
        _check_text("account", self.account, MAX_ACCOUNT_CHARS, required=True)
        _check_positive("amount_yen", self.amount_yen)
        _check_key(self.idempotency_key)
        _check_text("reference", self.reference, MAX_REFERENCE_CHARS, required=False)
        _check_text("description", self.description, MAX_DESCRIPTION_CHARS, required=False)


@dataclass(frozen=True, kw_only=True, slots=True)
class RefundRequest:
    """Give back ``amount_yen`` of the charge ``charge_id`` (partly or in full)."""

    charge_id: str
    amount_yen: int
    idempotency_key: str
    reference: str | None = None
    description: str = ""

    def __post_init__(self) -> None:
        _check_text("charge_id", self.charge_id, MAX_ACCOUNT_CHARS, required=True)
        _check_positive("amount_yen", self.amount_yen)
        _check_key(self.idempotency_key)
        _check_text("reference", self.reference, MAX_REFERENCE_CHARS, required=False)
        _check_text("description", self.description, MAX_DESCRIPTION_CHARS, required=False)


@dataclass(frozen=True, kw_only=True, slots=True)
class PointsGrant:
    """Grant ``points`` to ``account`` (1 pt = 1 yen), e.g. for reduced pesticide use."""

    account: str
    points: int
    idempotency_key: str
    reference: str | None = None
    description: str = ""

    def __post_init__(self) -> None:
        _check_text("account", self.account, MAX_ACCOUNT_CHARS, required=True)
        _check_positive("points", self.points)
        _check_key(self.idempotency_key)
        _check_text("reference", self.reference, MAX_REFERENCE_CHARS, required=False)
        _check_text("description", self.description, MAX_DESCRIPTION_CHARS, required=False)


PlatformRequest = ChargeRequest | RefundRequest | PointsGrant
"""Any of the three writes."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Transaction:
    """A transaction as the platform (or the ledger) knows it.

    ``account`` is the payer of a charge, the payer refunded, or the account granted points.
    ``amount_yen`` is 0 for points; ``points`` is 0 for charges and refunds. ``refund_of``
    is the charge a refund gives back; ``refunded_yen`` how much of a charge was refunded.
    """

    id: str
    kind: TransactionKind
    account: str
    amount_yen: int
    points: int
    status: TransactionStatus
    idempotency_key: str
    created_at: datetime
    reference: str | None = None
    description: str = ""
    refund_of: str | None = None
    refunded_yen: int = 0

    def __post_init__(self) -> None:
        if self.created_at.tzinfo is None:
            raise InvalidRequest("created_at must be timezone-aware")
        object.__setattr__(self, "created_at", self.created_at.astimezone(UTC))


class CurrencyPlatform(Protocol):
    """A currency platform: the sandbox's HTTP API, and later the real one.

    Every write is idempotent by its key. A refusal raises a
    :class:`~api.currency.errors.PlatformRefused` (nothing applied); no usable answer
    raises :class:`~api.currency.errors.PlatformUnavailable` (outcome unknown).
    """

    def charge(self, request: ChargeRequest) -> Transaction:
        """Charge the payer; the charge transaction."""
        ...

    def refund(self, request: RefundRequest) -> Transaction:
        """Refund part or all of a charge; the refund transaction."""
        ...

    def grant_points(self, request: PointsGrant) -> Transaction:
        """Grant points; the points transaction."""
        ...

    def get_transaction(self, transaction_id: str) -> Transaction:
        """One transaction by the platform's id."""
        ...

    def list_transactions(
        self, *, since: datetime, until: datetime | None = None
    ) -> Iterator[Transaction]:
        """Every transaction created in ``[since, until)``, oldest first."""
        ...


def send(platform: CurrencyPlatform, request: PlatformRequest) -> Transaction:
    """Send any of the three writes to ``platform``."""
    if isinstance(request, ChargeRequest):
        return platform.charge(request)
    if isinstance(request, RefundRequest):
        return platform.refund(request)
    return platform.grant_points(request)


def transaction_to_json(transaction: Transaction) -> dict[str, Any]:
    """The JSON object of a transaction (times in ISO 8601, UTC)."""
    return {
        "id": transaction.id,
        "kind": transaction.kind.value,
        "account": transaction.account,
        "amount_yen": transaction.amount_yen,
        "points": transaction.points,
        "status": transaction.status.value,
        "idempotency_key": transaction.idempotency_key,
        "created_at": transaction.created_at.isoformat(),
        "reference": transaction.reference,
        "description": transaction.description,
        "refund_of": transaction.refund_of,
        "refunded_yen": transaction.refunded_yen,
    }


def transaction_from_json(data: Mapping[str, Any]) -> Transaction:
    """Read a transaction's JSON object.

    Raises
    ------
    PlatformUnavailable
        The object is not a transaction (the answer cannot be used).
    """
    try:
        return Transaction(
            id=str(data["id"]),
            kind=TransactionKind(data["kind"]),
            account=str(data["account"]),
            amount_yen=int(data["amount_yen"]),
            points=int(data["points"]),
            status=TransactionStatus(data["status"]),
            idempotency_key=str(data["idempotency_key"]),
            created_at=datetime.fromisoformat(data["created_at"]),
            reference=data.get("reference"),
            description=str(data.get("description") or ""),
            refund_of=data.get("refund_of"),
            refunded_yen=int(data.get("refunded_yen") or 0),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise PlatformUnavailable(
            f"the platform sent something that is no transaction: {exc}"
        ) from exc
