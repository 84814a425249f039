"""The city currency platform (ねっぴ〜Pay): its interface, the HTTP adapter, signed webhooks,
the local ledger, prices and points, and the sandbox platform.

::

    Ledger ──(pending row first)──► CurrencyPlatform ◄── PlatformClient ──HTTP──► sandbox
      ▲                                  (port)                                   │
      └──────── apply_webhook ◄── WebhookVerifier ◄──── signed POST ──────────────┘

See :mod:`api.currency.ledger` for how a charge survives the process dying mid-request;
its tables and values are in :mod:`.ledger_tables`, its storage in :mod:`.ledger_store`,
reconciliation in :mod:`.reconcile`. The sandbox server (:mod:`api.currency.sandbox`,
FastAPI, with :mod:`.sandbox_runtime`, :mod:`.sandbox_store` and :mod:`.sandbox_webhooks`)
and its command (:mod:`api.currency.cli`) are imported from their modules, so a ledger
does not load them.
"""

from api.currency.client import (
    PlatformClient,
    PlatformConfig,
    SandboxClient,
    Wallet,
)
from api.currency.errors import (
    BadSignature,
    CurrencyError,
    IdempotencyConflict,
    InsufficientBalance,
    InvalidRequest,
    LedgerStorageError,
    PlatformRefused,
    PlatformUnavailable,
    RefundExceedsCharge,
    ReplayedWebhook,
    StaleWebhook,
    UnknownAccount,
    UnknownTransaction,
    WebhookRejected,
    refusal_class,
)
from api.currency.ledger import Ledger, new_idempotency_key
from api.currency.ledger_tables import (
    CurrencyEntryRow,
    CurrencyWebhookEventRow,
    LedgerEntry,
    ResumeReport,
)
from api.currency.port import (
    MAX_ACCOUNT_CHARS,
    MAX_DESCRIPTION_CHARS,
    MAX_KEY_CHARS,
    MAX_REFERENCE_CHARS,
    ChargeRequest,
    CurrencyPlatform,
    PlatformRequest,
    PointsGrant,
    RefundRequest,
    Transaction,
    TransactionKind,
    TransactionStatus,
    send,
    transaction_from_json,
    transaction_to_json,
)
from api.currency.pricing import (
    PricingConfig,
    Quote,
    Service,
    points_for_reduction,
    quote_delivery,
    quote_spraying,
    quote_survey,
    round_yen,
)
from api.currency.reconcile import Discrepancy, DiscrepancyKind, ReconcileReport
from api.currency.webhooks import (
    DEFAULT_TOLERANCE_S,
    SIGNATURE_HEADER,
    MemoryReplayGuard,
    ReplayGuard,
    WebhookEvent,
    WebhookVerifier,
    event_to_json,
    parse_event,
    sign,
    verify_signature,
)

__all__ = [
    "DEFAULT_TOLERANCE_S",
    "MAX_ACCOUNT_CHARS",
    "MAX_DESCRIPTION_CHARS",
    "MAX_KEY_CHARS",
    "MAX_REFERENCE_CHARS",
    "SIGNATURE_HEADER",
    "BadSignature",
    "ChargeRequest",
    "CurrencyEntryRow",
    "CurrencyError",
    "CurrencyPlatform",
    "CurrencyWebhookEventRow",
    "Discrepancy",
    "DiscrepancyKind",
    "IdempotencyConflict",
    "InsufficientBalance",
    "InvalidRequest",
    "Ledger",
    "LedgerEntry",
    "LedgerStorageError",
    "MemoryReplayGuard",
    "PlatformClient",
    "PlatformConfig",
    "PlatformRefused",
    "PlatformRequest",
    "PlatformUnavailable",
    "PointsGrant",
    "PricingConfig",
    "Quote",
    "ReconcileReport",
    "RefundExceedsCharge",
    "RefundRequest",
    "ReplayGuard",
    "ReplayedWebhook",
    "ResumeReport",
    "SandboxClient",
    "Service",
    "StaleWebhook",
    "Transaction",
    "TransactionKind",
    "TransactionStatus",
    "UnknownAccount",
    "UnknownTransaction",
    "Wallet",
    "WebhookEvent",
    "WebhookRejected",
    "WebhookVerifier",
    "event_to_json",
    "new_idempotency_key",
    "parse_event",
    "points_for_reduction",
    "quote_delivery",
    "quote_spraying",
    "quote_survey",
    "refusal_class",
    "round_yen",
    "send",
    "sign",
    "transaction_from_json",
    "transaction_to_json",
    "verify_signature",
]
