"""Errors of the city currency platform, its client, webhooks and the local ledger.

::

    TanboError                          (core)
    └── CurrencyError
        ├── InvalidRequest              a value refused before anything is sent or stored
        ├── PlatformUnavailable         no usable answer: the outcome is unknown, retry with the key
        ├── PlatformRefused             the platform answered no (a problem document)
        │   ├── IdempotencyConflict     a key reused for a different request
        │   ├── InsufficientBalance     the payer's wallet holds less than the amount
        │   ├── RefundExceedsCharge     more than is left of the charge
        │   ├── UnknownAccount          no wallet for that account
        │   └── UnknownTransaction      no transaction with that id
        ├── WebhookRejected             a webhook that must not be applied
        │   ├── BadSignature            missing, malformed or wrong (tampered body, wrong secret)
        │   ├── StaleWebhook            signed outside the tolerance window
        │   └── ReplayedWebhook         an event id already received
        └── LedgerStorageError          the ledger's database refused or could not be reached
                                        (also an api.errors.StorageError)
"""

from typing import Any, ClassVar

from api.errors import StorageError
from core.errors import TanboError

__all__ = [
    "BadSignature",
    "CurrencyError",
    "IdempotencyConflict",
    "InsufficientBalance",
    "InvalidRequest",
    "LedgerStorageError",
    "PlatformRefused",
    "PlatformUnavailable",
    "RefundExceedsCharge",
    "ReplayedWebhook",
    "StaleWebhook",
    "UnknownAccount",
    "UnknownTransaction",
    "WebhookRejected",
    "refusal_class",
]


class CurrencyError(TanboError):
    """Something the currency platform, its webhooks or the ledger refused or could not do."""


class InvalidRequest(CurrencyError, ValueError):
    """A value refused before anything is sent or stored (an amount that is not whole yen …)."""


class PlatformUnavailable(CurrencyError):
    """No final answer from the platform: no answer at all (it may or may not have applied the
    request), a server error, too many requests, or a refused API key.

    A ledger entry stays pending; sending it again with the same idempotency key is safe.
    """


class PlatformRefused(CurrencyError):
    """The platform answered with a problem document (RFC 9457): nothing was applied.

    Attributes
    ----------
    status
        The HTTP status, e.g. 402.
    problem_type
        The problem's ``type`` URI, e.g. ``urn:tanbo:currency:insufficient-balance``.
    detail
        What the platform said, for a person.
    problem
        The whole problem document.
    """

    TYPE_URI: ClassVar[str] = "about:blank"
    """The problem type the platform answers with for this refusal."""

    def __init__(
        self,
        detail: str,
        *,
        status: int,
        problem_type: str,
        problem: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.problem_type = problem_type
        self.detail = detail
        self.problem = dict(problem) if problem is not None else {}


class IdempotencyConflict(PlatformRefused):
    """An idempotency key already used for a different request (by the ledger or the platform)."""

    TYPE_URI = "urn:tanbo:currency:idempotency-key-reused"


class InsufficientBalance(PlatformRefused):
    """The payer's wallet holds less than the amount charged."""

    TYPE_URI = "urn:tanbo:currency:insufficient-balance"


class RefundExceedsCharge(PlatformRefused):
    """A refund larger than what is left of the charge, or of a transaction that is no charge."""

    TYPE_URI = "urn:tanbo:currency:refund-exceeds-charge"


class UnknownAccount(PlatformRefused):
    """The platform has no wallet for that account."""

    TYPE_URI = "urn:tanbo:currency:unknown-account"


class UnknownTransaction(PlatformRefused):
    """The platform (or the ledger) has no transaction with that id."""

    TYPE_URI = "urn:tanbo:currency:unknown-transaction"


class WebhookRejected(CurrencyError):
    """A webhook delivery that must not be applied."""


class BadSignature(WebhookRejected):
    """The signature header is missing or malformed, or no signature matches the body."""


class StaleWebhook(WebhookRejected):
    """The signed timestamp is outside the tolerance window (too old, or from the future)."""


class ReplayedWebhook(WebhookRejected):
    """An event whose id was already received: a replay, or a retry already applied."""


class LedgerStorageError(CurrencyError, StorageError):
    """The ledger's database refused the change or could not be reached."""


def refusal_class(problem_type: str) -> type[PlatformRefused]:
    """The refusal a problem ``type`` names (:class:`PlatformRefused` for one it does not know).

    >>> refusal_class("urn:tanbo:currency:insufficient-balance").__name__
    'InsufficientBalance'
    """
    for cls in (
        IdempotencyConflict,
        InsufficientBalance,
        RefundExceedsCharge,
        UnknownAccount,
        UnknownTransaction,
    ):
        if problem_type == cls.TYPE_URI:
            return cls
    return PlatformRefused
