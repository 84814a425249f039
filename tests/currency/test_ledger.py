"""The ledger on SQLite and PostgreSQL against the sandbox over HTTP: intent first, then
the call, then the settlement; retries; refusals; resuming; reconciliation."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, update
from sqlmodel import Session, col

from api.currency import (
    ChargeRequest,
    CurrencyEntryRow,
    DiscrepancyKind,
    IdempotencyConflict,
    InsufficientBalance,
    InvalidRequest,
    Ledger,
    PlatformClient,
    PlatformConfig,
    PlatformUnavailable,
    RefundExceedsCharge,
    TransactionKind,
    TransactionStatus,
)
from tests.currency.conftest import API_KEY, Sandbox


def _key() -> str:
    return f"test-{uuid.uuid4()}"


def _platform_count(platform: Sandbox, key: str) -> int:
    return sum(r["outcome"] == "applied" for r in platform.client.requests_for(key))


def test_a_charge_is_recorded_sent_and_settled(ledger: Ledger, platform: Sandbox) -> None:
    account = platform.funded_account(20_000)
    entry = ledger.charge(
        account=account, amount_yen=12_000, reference="mission 42", description="spraying 0.6 ha"
    )
    assert entry.status == TransactionStatus.SUCCEEDED
    assert entry.platform_transaction_id is not None
    assert entry.attempts == 1
    platform_view = platform.client.get_transaction(entry.platform_transaction_id)
    assert (platform_view.account, platform_view.amount_yen) == (account, 12_000)
    assert platform_view.idempotency_key == entry.idempotency_key
    assert platform.client.wallet(account).balance_yen == 8_000


def test_the_same_key_twice_is_one_entry_and_one_charge(ledger: Ledger, platform: Sandbox) -> None:
    account, key = platform.funded_account(20_000), _key()
    first = ledger.charge(account=account, amount_yen=3_000, idempotency_key=key)
    second = ledger.charge(account=account, amount_yen=3_000, idempotency_key=key)
    assert second == first
    assert _platform_count(platform, key) == 1
    assert platform.client.wallet(account).balance_yen == 17_000
    with pytest.raises(IdempotencyConflict):
        ledger.charge(account=account, amount_yen=3_001, idempotency_key=key)
    assert len(platform.client.requests_for(key)) == 1  # refused locally, never sent


def test_a_refused_charge_is_failed_and_stays_refused(ledger: Ledger, platform: Sandbox) -> None:
    account, key = platform.funded_account(100), _key()
    with pytest.raises(InsufficientBalance):
        ledger.charge(account=account, amount_yen=101, idempotency_key=key)
    entry = ledger.by_key(key)
    assert entry is not None
    assert entry.status == TransactionStatus.FAILED
    assert entry.failure is not None
    assert "insufficient-balance" in entry.failure
    with pytest.raises(InsufficientBalance):
        ledger.charge(account=account, amount_yen=101, idempotency_key=key)
    assert len(platform.client.requests_for(key)) == 1


def test_refunds_partial_then_the_rest(ledger: Ledger, platform: Sandbox) -> None:
    account = platform.funded_account(10_000)
    charge = ledger.charge(account=account, amount_yen=6_000)
    partial = ledger.refund(charge.id, amount_yen=2_000)
    assert (partial.kind, partial.account, partial.amount_yen) == (
        TransactionKind.REFUND,
        account,
        2_000,
    )
    assert partial.refund_of == charge.platform_transaction_id
    with pytest.raises(RefundExceedsCharge):
        ledger.refund(charge.id, amount_yen=4_001)
    rest = ledger.refund(charge.id, idempotency_key=f"refund-rest-{charge.id}")
    assert rest.amount_yen == 4_000
    assert ledger.refund(charge.id, idempotency_key=f"refund-rest-{charge.id}") == rest
    assert platform.client.wallet(account).balance_yen == 10_000
    with pytest.raises(InvalidRequest, match="nothing is left"):
        ledger.refund(charge.id)


def test_points_are_granted(ledger: Ledger, platform: Sandbox) -> None:
    account = platform.funded_account(0)
    entry = ledger.grant_points(account=account, points=600, reference="field 7, 2026")
    assert (entry.kind, entry.points, entry.amount_yen) == (TransactionKind.POINTS, 600, 0)
    assert platform.client.wallet(account).points == 600


def test_no_answer_leaves_it_pending_until_resumed(engine: Engine, platform: Sandbox) -> None:
    account, key = platform.funded_account(5_000), _key()
    down = PlatformConfig(base_url="http://127.0.0.1:9", api_key=API_KEY, timeout_s=2.0)
    with PlatformClient(down) as unreachable:
        with pytest.raises(PlatformUnavailable, match="stays pending"):
            Ledger(engine, unreachable).charge(account=account, amount_yen=700, idempotency_key=key)
        report = Ledger(engine, unreachable).resume_pending()
    assert report.settled == ()
    assert len(report.still_pending) == 1
    with PlatformClient(platform.config()) as client:
        report = Ledger(engine, client).resume_pending()
    assert [e.idempotency_key for e in report.settled] == [key]
    assert report.settled[0].attempts == 3
    assert platform.client.wallet(account).balance_yen == 4_300


def test_a_pending_refusal_is_failed_on_resume(engine: Engine, platform: Sandbox) -> None:
    account = platform.funded_account(50)
    down = PlatformConfig(base_url="http://127.0.0.1:9", api_key=API_KEY, timeout_s=2.0)
    with PlatformClient(down) as unreachable, pytest.raises(PlatformUnavailable):
        Ledger(engine, unreachable).charge(account=account, amount_yen=51)
    with PlatformClient(platform.config()) as client:
        report = Ledger(engine, client).resume_pending()
    assert [e.status for e in report.failed] == [TransactionStatus.FAILED]


def _set(engine: Engine, key: str, **values: object) -> None:
    with engine.begin() as connection:
        connection.execute(
            update(CurrencyEntryRow)
            .where(col(CurrencyEntryRow.idempotency_key) == key)
            .values(**values)
        )


def test_reconcile_reports_and_fixes(ledger: Ledger, engine: Engine, platform: Sandbox) -> None:
    since = datetime.now(UTC) - timedelta(seconds=1)
    account = platform.funded_account(100_000)
    # the platform has it, the ledger does not (charged by another system, or a lost row)
    stray = platform.client.charge(
        ChargeRequest(account=account, amount_yen=1_111, idempotency_key=_key())
    )
    # the ledger has it pending, the platform applied it (the answer was lost)
    unsettled = ledger.charge(account=account, amount_yen=2_222)
    _set(engine, unsettled.idempotency_key, status="pending", platform_id=None, settled_at=None)
    # the amounts differ
    mismatched = ledger.charge(account=account, amount_yen=3_333)
    _set(engine, mismatched.idempotency_key, amount_yen=3_334)
    # the ledger says succeeded, the platform never heard of it
    now = datetime.now(UTC)
    with Session(engine) as session:
        session.add(
            CurrencyEntryRow(
                id=str(uuid.uuid4()),
                idempotency_key=_key(),
                kind="charge",
                account=account,
                amount_yen=4_444,
                points=0,
                description="",
                status="succeeded",
                platform_id="txn_phantom",
                origin="tanbo",
                attempts=1,
                created_at=now,
                updated_at=now,
                settled_at=now,
            )
        )
        session.commit()
    # in agreement
    ledger.grant_points(account=account, points=10)

    report = ledger.reconcile(since)  # the session's sandbox: other tests' transactions too
    found = [d for d in report.discrepancies if d.account == account]
    kinds = {d.kind: d for d in found}
    assert set(kinds) == {
        DiscrepancyKind.MISSING_LOCALLY,
        DiscrepancyKind.NOT_SETTLED,
        DiscrepancyKind.AMOUNT_MISMATCH,
        DiscrepancyKind.MISSING_ON_PLATFORM,
    }, found
    assert kinds[DiscrepancyKind.MISSING_LOCALLY].transaction_id == stray.id
    assert kinds[DiscrepancyKind.NOT_SETTLED].entry_id == unsettled.id
    assert "3334" in kinds[DiscrepancyKind.AMOUNT_MISMATCH].detail
    assert {d.kind for d in report.unresolved if d.account == account} == {
        DiscrepancyKind.AMOUNT_MISMATCH,
        DiscrepancyKind.MISSING_ON_PLATFORM,
    }
    adopted = ledger.by_key(stray.idempotency_key)
    assert adopted is not None
    assert (adopted.origin, adopted.status) == ("platform", TransactionStatus.SUCCEEDED)
    assert ledger.get(unsettled.id).status == TransactionStatus.SUCCEEDED

    again = ledger.reconcile(since)  # the fixed ones stay fixed; the rest are reported again
    assert {d.kind for d in again.discrepancies if d.account == account} == {
        DiscrepancyKind.AMOUNT_MISMATCH,
        DiscrepancyKind.MISSING_ON_PLATFORM,
    }


def test_reconcile_sends_what_never_left(engine: Engine, platform: Sandbox) -> None:
    since = datetime.now(UTC) - timedelta(seconds=1)
    account, key = platform.funded_account(1_000), _key()
    down = PlatformConfig(base_url="http://127.0.0.1:9", api_key=API_KEY, timeout_s=2.0)
    with PlatformClient(down) as unreachable, pytest.raises(PlatformUnavailable):
        Ledger(engine, unreachable).charge(account=account, amount_yen=250, idempotency_key=key)
    with PlatformClient(platform.config()) as client:
        report = Ledger(engine, client).reconcile(since)
        ours = [(d.kind, d.fixed) for d in report.discrepancies if d.account == account]
        assert ours == [(DiscrepancyKind.NOT_SENT, True)]
        again = Ledger(engine, client).reconcile(since).discrepancies
        assert [d for d in again if d.account == account] == []
    assert platform.client.wallet(account).balance_yen == 750


def test_reconcile_wants_aware_times_in_order(ledger: Ledger) -> None:
    with pytest.raises(InvalidRequest):
        ledger.reconcile(datetime(2026, 6, 1))  # naive
    with pytest.raises(InvalidRequest):
        ledger.reconcile(datetime(2026, 6, 2, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC))
