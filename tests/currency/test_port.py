"""The interface's values: validated on construction, and their JSON form."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

import api.currency
from api.currency import (
    ChargeRequest,
    InvalidRequest,
    PlatformUnavailable,
    PointsGrant,
    RefundRequest,
    Transaction,
    TransactionKind,
    TransactionStatus,
    transaction_from_json,
    transaction_to_json,
)

JST = timezone(timedelta(hours=9))


@pytest.mark.parametrize(
    "changes",
    [
        {"amount_yen": 0},
        {"amount_yen": -100},
        {"amount_yen": 100.0},
        {"amount_yen": True},
        {"account": " "},
        {"account": "x" * 201},
        {"idempotency_key": ""},
        {"idempotency_key": "has space"},
        {"idempotency_key": "ねっぴ"},
        {"idempotency_key": "k" * 256},
        {"description": "d" * 501},
    ],
)
def test_a_charge_request_refuses_bad_values(changes: dict[str, object]) -> None:
    values: dict[str, object] = {"account": "farmer-1", "amount_yen": 100, "idempotency_key": "k"}
    with pytest.raises(InvalidRequest):
        ChargeRequest(**{**values, **changes})  # type: ignore[arg-type]


def test_refunds_and_points_are_whole_numbers_above_zero() -> None:
    with pytest.raises(InvalidRequest):
        RefundRequest(charge_id="txn_1", amount_yen=0, idempotency_key="k")
    with pytest.raises(InvalidRequest):
        PointsGrant(account="farmer-1", points=-1, idempotency_key="k")


def test_a_transaction_is_stored_in_utc_and_round_trips() -> None:
    transaction = Transaction(
        id="txn_9", kind=TransactionKind.REFUND, account="farmer-1", amount_yen=500, points=0,
        status=TransactionStatus.SUCCEEDED, idempotency_key="refund-9",
        created_at=datetime(2026, 6, 1, 9, 0, tzinfo=JST), refund_of="txn_8",
    )  # fmt: skip
    assert transaction.created_at == datetime(2026, 6, 1, 0, 0, tzinfo=UTC)
    assert transaction_from_json(transaction_to_json(transaction)) == transaction
    with pytest.raises(InvalidRequest):
        Transaction(
            id="t", kind=TransactionKind.CHARGE, account="a", amount_yen=1, points=0,
            status=TransactionStatus.SUCCEEDED, idempotency_key="k",
            created_at=datetime(2026, 6, 1),  # naive
        )  # fmt: skip


def test_an_answer_that_is_no_transaction_is_unusable() -> None:
    with pytest.raises(PlatformUnavailable):
        transaction_from_json({"id": "txn_1", "kind": "gift"})


def test_the_public_surface_is_pinned() -> None:
    assert api.currency.__all__ == [
        "DEFAULT_TOLERANCE_S", "MAX_ACCOUNT_CHARS", "MAX_DESCRIPTION_CHARS",
        "MAX_KEY_CHARS", "MAX_REFERENCE_CHARS", "SIGNATURE_HEADER", "BadSignature",
        "ChargeRequest", "CurrencyEntryRow", "CurrencyError", "CurrencyPlatform",
        "CurrencyWebhookEventRow", "Discrepancy", "DiscrepancyKind",
        "IdempotencyConflict", "InsufficientBalance", "InvalidRequest", "Ledger",
        "LedgerEntry", "LedgerStorageError", "MemoryReplayGuard", "PlatformClient",
        "PlatformConfig", "PlatformRefused", "PlatformRequest", "PlatformUnavailable",
        "PointsGrant", "PricingConfig", "Quote", "ReconcileReport",
        "RefundExceedsCharge", "RefundRequest", "ReplayGuard", "ReplayedWebhook",
        "ResumeReport", "SandboxClient", "Service", "StaleWebhook", "Transaction",
        "TransactionKind", "TransactionStatus", "UnknownAccount", "UnknownTransaction",
        "Wallet", "WebhookEvent", "WebhookRejected", "WebhookVerifier", "event_to_json",
        "new_idempotency_key", "parse_event", "points_for_reduction", "quote_delivery",
        "quote_spraying", "quote_survey", "refusal_class", "round_yen", "send", "sign",
        "transaction_from_json", "transaction_to_json", "verify_signature",
    ]  # fmt: skip
