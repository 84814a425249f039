"""Webhook signatures (good, wrong secret, stale, tampered, replayed) and delivery by the
sandbox to a real receiver, applied to the ledger once per event id."""

import json
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from api.currency import (
    BadSignature,
    ChargeRequest,
    Ledger,
    MemoryReplayGuard,
    PlatformClient,
    PointsGrant,
    ReplayedWebhook,
    ReplayGuard,
    StaleWebhook,
    Transaction,
    TransactionKind,
    TransactionStatus,
    WebhookEvent,
    WebhookRejected,
    WebhookVerifier,
    event_to_json,
    sign,
    verify_signature,
)
from core.clock import FakeClock
from tests.currency.conftest import WEBHOOK_SECRET, Receiver, Sandbox, wait_for

NOW = datetime(2026, 6, 1, 0, 0, tzinfo=UTC)
SECRET = "whsec_unit"


def _body(event_id: str = "evt_1") -> bytes:
    transaction = Transaction(
        id="txn_1", kind=TransactionKind.POINTS, account="farmer-1", amount_yen=0, points=600,
        status=TransactionStatus.SUCCEEDED, idempotency_key="points-field-7", created_at=NOW,
    )  # fmt: skip
    event = WebhookEvent(
        id=event_id, type="transaction.succeeded", created_at=NOW, transaction=transaction
    )
    return json.dumps(event_to_json(event)).encode()


def _verifier(clock: FakeClock, guard: ReplayGuard | None = None) -> WebhookVerifier:
    return WebhookVerifier([SECRET], clock=clock, guard=guard)


def test_a_good_signature_gives_the_event() -> None:
    body, clock = _body(), FakeClock(NOW)
    header = sign(body, secret=SECRET, timestamp_s=int(NOW.timestamp()))
    clock.advance(30.0)
    event = _verifier(clock).verify(body, header)
    assert (event.id, event.transaction.points) == ("evt_1", 600)


@pytest.mark.parametrize(
    ("mutate", "error"),
    [
        (lambda body, header: (body, header.replace(header[-6:], "000000")), BadSignature),
        (lambda body, header: (body.replace(b"600", b"601"), header), BadSignature),
        (lambda body, header: (body + b" ", header), BadSignature),
        (lambda body, header: (body, None), BadSignature),
        (lambda body, header: (body, "v1=abc"), BadSignature),
        (lambda body, header: (body, "t=1,t=2,v1=abc"), BadSignature),
        (lambda body, header: (body, "t=soon,v1=abc"), BadSignature),
        (lambda body, header: (body, header.split(",")[0]), BadSignature),
        (lambda body, header: (body, "garbage"), BadSignature),
    ],
    ids=[
        "wrong-mac", "tampered-amount", "tampered-whitespace", "no-header", "no-timestamp",
        "two-timestamps", "bad-timestamp", "no-v1", "garbage",
    ],
)  # fmt: skip
def test_a_bad_signature_is_rejected(
    mutate: Callable[[bytes, str], tuple[bytes, str | None]], error: type[Exception]
) -> None:
    body = _body()
    signed = sign(body, secret=SECRET, timestamp_s=int(NOW.timestamp()))
    body, header = mutate(body, signed)
    with pytest.raises(error):
        _verifier(FakeClock(NOW)).verify(body, header)


def test_the_wrong_secret_is_rejected_and_a_rotated_one_accepted() -> None:
    body, t = _body(), int(NOW.timestamp())
    with pytest.raises(BadSignature):
        _verifier(FakeClock(NOW)).verify(body, sign(body, secret="whsec_other", timestamp_s=t))
    old_and_new = WebhookVerifier(["whsec_new", SECRET], clock=FakeClock(NOW))
    assert old_and_new.verify(body, sign(body, secret=SECRET, timestamp_s=t)).id == "evt_1"
    both = f"{sign(body, secret='whsec_new', timestamp_s=t)},v1={'0' * 64}"
    assert WebhookVerifier(["whsec_new"], clock=FakeClock(NOW)).verify(body, both).id == "evt_1"


@pytest.mark.parametrize("offset_s", [-301, 301])
def test_a_stale_or_future_timestamp_is_rejected(offset_s: int) -> None:
    body = _body()
    header = sign(body, secret=SECRET, timestamp_s=int(NOW.timestamp()) + offset_s)
    with pytest.raises(StaleWebhook):
        _verifier(FakeClock(NOW)).verify(body, header)
    assert (
        verify_signature(body, header, secrets=[SECRET], now_s=NOW.timestamp(), tolerance_s=302)
        == int(NOW.timestamp()) + offset_s
    )


def test_a_replayed_event_id_is_rejected() -> None:
    clock = FakeClock(NOW)
    verifier = _verifier(clock, guard=MemoryReplayGuard())
    body = _body("evt_once")
    verifier.verify(body, sign(body, secret=SECRET, timestamp_s=int(NOW.timestamp())))
    clock.advance(10.0)  # re-signed later: a fresh timestamp does not make it new
    with pytest.raises(ReplayedWebhook):
        verifier.verify(body, sign(body, secret=SECRET, timestamp_s=int(NOW.timestamp()) + 10))


def test_a_signed_body_that_is_no_event_is_rejected() -> None:
    body = b'{"id": "evt_1"}'
    with pytest.raises(WebhookRejected, match="not an event"):
        _verifier(FakeClock(NOW)).verify(
            body, sign(body, secret=SECRET, timestamp_s=int(NOW.timestamp()))
        )


def _deliveries(sandbox: Sandbox, transaction_id: str) -> list[dict[str, object]]:
    return [d for d in sandbox.client.webhook_deliveries() if d["transaction_id"] == transaction_id]


def test_events_are_delivered_signed_and_applied_once(
    engine: Engine, webhook_sandbox: Sandbox, receiver: Receiver
) -> None:
    account = webhook_sandbox.funded_account(5_000)
    verifier = WebhookVerifier([WEBHOOK_SECRET])
    applied: list[bool] = []
    with PlatformClient(webhook_sandbox.config()) as client:
        ledger = Ledger(engine, client)

        def handle(body: bytes, signature: str | None) -> int:
            event = verifier.verify(body, signature)
            if event.transaction.account == account:
                applied.append(ledger.apply_webhook(event))
            return 204

        receiver.handle = handle
        # charged elsewhere (not through this ledger): the webhook tells the ledger
        stray = client.charge(
            ChargeRequest(account=account, amount_yen=1_200, idempotency_key=f"{account}-stray")
        )
        wait_for(lambda: applied == [True], what="the event to be applied")
        adopted = ledger.by_key(stray.idempotency_key)
        assert adopted is not None
        assert (adopted.origin, adopted.amount_yen) == ("platform", 1_200)

        (delivery,) = _deliveries(webhook_sandbox, stray.id)
        assert delivery["state"] == "delivered"
        webhook_sandbox.client.redeliver(str(delivery["id"]))  # a replay, signed anew
        wait_for(lambda: len(applied) == 2, what="the redelivery")
        assert applied == [True, False]
        assert len(ledger.entries(account=account)) == 1


def test_a_failing_receiver_gets_the_event_again(
    webhook_sandbox: Sandbox, receiver: Receiver
) -> None:
    account = webhook_sandbox.funded_account(0)
    answers = [500, 503]

    def handle(body: bytes, _signature: str | None) -> int:
        if json.loads(body)["data"]["account"] != account:
            return 204
        return answers.pop(0) if answers else 204

    receiver.handle = handle
    grant = webhook_sandbox.client.grant_points(
        PointsGrant(account=account, points=5, idempotency_key=f"{account}-points")
    )

    def delivered() -> bool:
        return [d["state"] for d in _deliveries(webhook_sandbox, grant.id)] == ["delivered"]

    wait_for(delivered, what="delivery after two failures")
    assert _deliveries(webhook_sandbox, grant.id)[0]["attempts"] == 3
