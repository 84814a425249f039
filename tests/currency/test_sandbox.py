"""The sandbox platform over real HTTP: idempotency, refunds, points, problems, the command."""

import socket
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import typer
from typer.testing import CliRunner

from api.currency import (
    ChargeRequest,
    IdempotencyConflict,
    InsufficientBalance,
    PlatformClient,
    PlatformConfig,
    PlatformUnavailable,
    PointsGrant,
    RefundExceedsCharge,
    RefundRequest,
    TransactionKind,
    UnknownAccount,
    UnknownTransaction,
)
from api.currency.cli import currency_sandbox
from tests.currency.conftest import API_KEY, REPO, Sandbox


def _key() -> str:
    return f"test-{uuid.uuid4()}"


def _charge(sandbox: Sandbox, account: str, amount_yen: int, key: str | None = None) -> str:
    request = ChargeRequest(account=account, amount_yen=amount_yen, idempotency_key=key or _key())
    return sandbox.client.charge(request).id


def test_a_retried_charge_is_applied_once(platform: Sandbox) -> None:
    account = platform.funded_account(10_000)
    request = ChargeRequest(account=account, amount_yen=2_500, idempotency_key=_key())
    first = platform.client.charge(request)
    again = platform.client.charge(request)
    assert again == first
    assert platform.client.wallet(account).balance_yen == 7_500
    outcomes = [r["outcome"] for r in platform.client.requests_for(request.idempotency_key)]
    assert outcomes == ["applied", "replayed"]


def test_a_key_reused_for_another_amount_is_refused(platform: Sandbox) -> None:
    account = platform.funded_account(10_000)
    key = _key()
    _charge(platform, account, 1_000, key)
    with pytest.raises(IdempotencyConflict) as caught:
        _charge(platform, account, 1_001, key)
    assert caught.value.status == 409
    assert platform.client.wallet(account).balance_yen == 9_000


def test_insufficient_balance_is_a_402_and_the_answer_is_kept(platform: Sandbox) -> None:
    account = platform.funded_account(500)
    key = _key()
    with pytest.raises(InsufficientBalance) as caught:
        _charge(platform, account, 501, key)
    assert caught.value.status == 402
    assert "500 yen" in caught.value.detail
    platform.client.top_up(account, 1_000)
    with pytest.raises(InsufficientBalance):  # same key, same request: the same answer
        _charge(platform, account, 501, key)
    assert platform.client.wallet(account).balance_yen == 1_500


def test_refunds_partial_then_the_rest_never_more(platform: Sandbox) -> None:
    account = platform.funded_account(10_000)
    charge_id = _charge(platform, account, 4_000)
    refund = platform.client.refund(
        RefundRequest(charge_id=charge_id, amount_yen=1_500, idempotency_key=_key())
    )
    assert (refund.kind, refund.refund_of, refund.account) == (
        TransactionKind.REFUND,
        charge_id,
        account,
    )
    with pytest.raises(RefundExceedsCharge) as caught:
        platform.client.refund(
            RefundRequest(charge_id=charge_id, amount_yen=2_501, idempotency_key=_key())
        )
    assert caught.value.status == 409
    platform.client.refund(
        RefundRequest(charge_id=charge_id, amount_yen=2_500, idempotency_key=_key())
    )
    with pytest.raises(RefundExceedsCharge):
        platform.client.refund(
            RefundRequest(charge_id=charge_id, amount_yen=1, idempotency_key=_key())
        )
    assert platform.client.get_transaction(charge_id).refunded_yen == 4_000
    assert platform.client.wallet(account).balance_yen == 10_000


def test_a_refund_of_a_refund_or_of_nothing_is_refused(platform: Sandbox) -> None:
    account = platform.funded_account()
    charge_id = _charge(platform, account, 1_000)
    refund = platform.client.refund(
        RefundRequest(charge_id=charge_id, amount_yen=100, idempotency_key=_key())
    )
    with pytest.raises(RefundExceedsCharge):
        platform.client.refund(
            RefundRequest(charge_id=refund.id, amount_yen=50, idempotency_key=_key())
        )
    with pytest.raises(UnknownTransaction):
        platform.client.refund(
            RefundRequest(charge_id="txn_nothing", amount_yen=50, idempotency_key=_key())
        )


def test_points_are_granted_to_a_wallet(platform: Sandbox) -> None:
    account = platform.funded_account(0)
    grant = platform.client.grant_points(
        PointsGrant(account=account, points=120, idempotency_key=_key(), reference="field 7")
    )
    assert (grant.kind, grant.points, grant.amount_yen, grant.reference) == (
        TransactionKind.POINTS,
        120,
        0,
        "field 7",
    )
    assert platform.client.wallet(account).points == 120
    with pytest.raises(UnknownAccount):
        platform.client.grant_points(
            PointsGrant(account="nobody-here", points=1, idempotency_key=_key())
        )


def test_transactions_are_listed_oldest_first_page_by_page(platform: Sandbox) -> None:
    account = platform.funded_account()
    since = datetime.now(UTC) - timedelta(seconds=1)
    ids = [_charge(platform, account, 10 + i) for i in range(5)]
    params: dict[str, str | int] = {"since": since.isoformat(), "limit": 2}
    seen: list[str] = []
    headers = {"Authorization": f"Bearer {API_KEY}"}
    while True:
        page = httpx.get(f"{platform.url}/v1/transactions", params=params, headers=headers).json()
        seen += [t["id"] for t in page["data"] if t["account"] == account]
        if page["next_cursor"] is None:
            break
        params["after"] = page["next_cursor"]
    assert seen == ids
    listed = [t.id for t in platform.client.list_transactions(since=since) if t.account == account]
    assert listed == ids


def test_errors_are_problem_documents(platform: Sandbox) -> None:
    url, good = platform.url, {"Authorization": f"Bearer {API_KEY}"}
    body = {"account": "x", "amount_yen": 1}
    cases = [
        (httpx.post(f"{url}/v1/charges", json=body, headers={"Authorization": "Bearer no"}), 401),
        (httpx.post(f"{url}/v1/charges", json=body, headers=good), 400),  # no Idempotency-Key
        (
            httpx.post(
                f"{url}/v1/charges",
                json={"account": "x", "amount_yen": 1.5},
                headers={**good, "Idempotency-Key": _key()},
            ),
            422,
        ),
        (httpx.get(f"{url}/v1/transactions/txn_none", headers=good), 404),
        (httpx.get(f"{url}/no/such/route", headers=good), 404),
    ]
    for response, status in cases:
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["status"] == status
        assert problem["title"]
        assert problem["detail"]


def test_a_rejected_body_does_not_use_up_the_key(platform: Sandbox) -> None:
    account = platform.funded_account(1_000)
    key, headers = _key(), {"Authorization": f"Bearer {API_KEY}"}
    bad = httpx.post(
        f"{platform.url}/v1/charges",
        json={"account": account, "amount_yen": -5},
        headers={**headers, "Idempotency-Key": key},
    )
    assert bad.status_code == 422
    _charge(platform, account, 5, key)
    assert platform.client.wallet(account).balance_yen == 995


def _nothing_listens() -> str:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return f"http://127.0.0.1:{port}"


def test_a_wrong_api_key_or_no_platform_is_not_final(platform: Sandbox) -> None:
    request = ChargeRequest(account="x", amount_yen=1, idempotency_key=_key())
    wrong = PlatformConfig(base_url=platform.url, api_key="sk_wrong")
    with PlatformClient(wrong) as client, pytest.raises(PlatformUnavailable, match="401"):
        client.charge(request)
    nowhere = PlatformConfig(base_url=_nothing_listens(), api_key=API_KEY, timeout_s=2.0)
    with PlatformClient(nowhere) as client, pytest.raises(PlatformUnavailable, match="reach"):
        client.charge(request)


_cli = typer.Typer()
_cli.command()(currency_sandbox)


@pytest.mark.parametrize(
    ("flags", "named"),
    [
        (["--port", "70000"], "--port"),
        (["--answer-delay", "-1"], "--answer-delay"),
        (["--webhook-url", "http://127.0.0.1:9/hook"], "--webhook-secret"),
        (["--webhook-secret", "s"], "--webhook-url"),
        (["--webhook-url", "ftp://x", "--webhook-secret", "s"], "--webhook-url"),
        (["--api-key", " "], "--api-key"),
        (["--webhook-attempts", "0"], "--webhook-attempts"),
    ],
)
def test_bad_flags_exit_2_with_one_line(tmp_path: Path, flags: list[str], named: str) -> None:
    result = CliRunner().invoke(_cli, ["--data-dir", str(tmp_path), *flags])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert named in lines[0]


def test_a_port_in_use_exits_2_naming_it(platform: Sandbox, tmp_path: Path) -> None:
    port = platform.url.rsplit(":", 1)[1]
    command = [sys.executable, "-m", "api.currency.cli", "--data-dir", str(tmp_path)]
    done = subprocess.run(
        [*command, "--port", port], cwd=REPO, capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1, done.stderr
    assert "--port" in done.stderr
    assert "in use" in done.stderr
