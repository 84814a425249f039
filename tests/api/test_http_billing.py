"""Bills and the currency platform's webhooks over HTTP, against the sandbox platform."""

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from api.accounts import Role
from api.app import create_app
from api.background import Background
from api.billing import Billing, sweep
from api.config import load_settings
from api.currency import ChargeRequest, PlatformClient, WebhookEvent
from api.currency.webhooks import event_to_json, sign
from api.db import connect, migrate
from api.scheduling import (
    MissionKind,
    MissionRequest,
    MissionStatus,
    PlanEstimate,
    request_mission,
)
from api.serving import serving
from core.clock import FakeClock
from core.geo import GeoPoint
from tests.api.conftest import Api
from tests.currency.conftest import Sandbox, run_sandbox
from tests.scheduling.conftest import force_status

SECRET = "whsec_api_test"


@pytest.fixture
def billed(tmp_path: Path, sqlite_url: str) -> Iterator[tuple[Api, Sandbox]]:
    (tmp_path / "sandbox").mkdir()
    with run_sandbox(tmp_path / "sandbox") as sandbox:
        engine = connect(sqlite_url)
        migrate(engine)
        clock = FakeClock(datetime.now(UTC))
        settings = load_settings(
            data_dir=tmp_path / "data",
            database_url=sqlite_url,
            currency_url=sandbox.url,
            currency_api_key=sandbox.config().api_key,
            currency_webhook_secrets=(SECRET,),
        )
        app = create_app(settings, engine=engine, clock=clock, migrate_schema=False)
        with serving(app) as base_url:
            api = Api(base_url=base_url, engine=engine, clock=clock, services=app.state.services)
            yield api, sandbox
            for client in api.clients:
                client.close()
        engine.dispose()


def _post(api: Api, body: bytes, signature: str | None) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["Webhook-Signature"] = signature
    return httpx.post(f"{api.base_url}/currency/webhooks", content=body, headers=headers)


def test_a_signed_event_is_applied_once_and_forgeries_are_refused(billed) -> None:  # type: ignore[no-untyped-def]
    api, sandbox = billed
    farmer_id, farmer = api.person(Role.FARMER)
    sandbox.client.set_wallet(farmer_id, balance_yen=10_000)
    ledger = api.services.extras["ledger"]
    entry = ledger.charge(account=farmer_id, amount_yen=1_200, reference="mission:7")
    # A charge the platform made that the ledger has not heard of (its answer was lost).
    with PlatformClient(sandbox.config()) as platform:
        lost = platform.charge(
            ChargeRequest(account=farmer_id, amount_yen=800, idempotency_key="lost-answer-1")
        )
    event = WebhookEvent(
        id="evt_1", type="transaction.succeeded", created_at=api.clock.now(), transaction=lost
    )
    body = json.dumps(event_to_json(event)).encode()
    now_s = int(api.clock.now().timestamp())
    assert _post(api, body, None).status_code == 400
    forged = _post(api, body, sign(body, secret="not-the-secret", timestamp_s=now_s))
    assert forged.status_code == 400
    assert forged.headers["content-type"] == "application/problem+json"
    stale = _post(api, body, sign(body, secret=SECRET, timestamp_s=now_s - 3_600))
    assert stale.status_code == 400
    tampered = body.replace(b"800", b"8")
    assert _post(api, tampered, sign(body, secret=SECRET, timestamp_s=now_s)).status_code == 400
    good = sign(body, secret=SECRET, timestamp_s=now_s)
    assert _post(api, body, good).status_code == 204
    assert _post(api, body, good).status_code == 204  # a redelivery changes nothing
    page = farmer.get("/billing/entries").json()
    assert page["count"] == 2
    assert sorted(e["amount_yen"] for e in page["data"]) == [800, 1_200]
    assert {e["status"] for e in page["data"]} == {"succeeded"}
    assert entry.reference == "mission:7"
    _, stranger = api.person(Role.FARMER)
    assert stranger.get("/billing/entries").json()["count"] == 0
    assert stranger.get("/billing/entries", params={"account": farmer_id}).json()["count"] == 0
    _, staff = api.person(Role.CITY_ADMIN)
    assert staff.get("/billing/entries", params={"account": farmer_id}).json()["count"] == 2


def test_without_a_platform_billing_says_so(api: Api) -> None:
    _, farmer = api.person(Role.FARMER)
    answer = farmer.get("/billing/entries")
    assert answer.status_code == 404
    assert "currency_url" in answer.json()["detail"]
    assert _post(api, b"{}", "t=1,v1=00").status_code == 404


def test_settling_adopts_what_the_platform_did_and_the_ledger_missed(billed) -> None:  # type: ignore[no-untyped-def]
    api, sandbox = billed
    farmer_id, farmer = api.person(Role.FARMER)
    sandbox.client.set_wallet(farmer_id, balance_yen=10_000)
    with PlatformClient(sandbox.config()) as platform:
        platform.charge(
            ChargeRequest(account=farmer_id, amount_yen=500, idempotency_key="answer-lost-2")
        )
    assert farmer.get("/billing/entries").json()["count"] == 0
    api.clock.advance(600)  # reconciliation leaves the last few minutes for the next round
    Background(api.services).settle_currency()
    page = farmer.get("/billing/entries").json()
    assert [(e["amount_yen"], e["status"]) for e in page["data"]] == [(500, "succeeded")]


def test_a_completed_mission_the_process_never_charged_is_charged_once(billed) -> None:  # type: ignore[no-untyped-def]
    api, sandbox = billed
    farmer_id, farmer = api.person(Role.FARMER)
    sandbox.client.set_wallet(farmer_id, balance_yen=10_000)
    request = MissionRequest(
        kind=MissionKind.SPRAY,
        field_ids=("B000",),
        window_start=api.clock.now(),
        window_end=api.clock.now() + timedelta(days=1),
        estimate=PlanEstimate(sorties=1, flight_time_s=600.0, area_ha=0.25, volume_l=2.5),
        place=GeoPoint(lat_deg=34.93, lon_deg=134.84),
        params={"work": "spray", "swath_m": 5.0},
    )
    mission = request_mission(api.engine, request, owner=farmer_id, clock=api.clock)
    force_status(api.engine, mission.id, MissionStatus.COMPLETED)  # died before charging
    billing = Billing(ledger=api.services.extras["ledger"])
    assert sweep(api.engine, billing) == [mission.id]
    assert sweep(api.engine, billing) == []
    page = farmer.get("/billing/entries").json()
    assert [(e["amount_yen"], e["reference"]) for e in page["data"]] == [
        (5_000, f"mission:{mission.id}")
    ]
    assert sandbox.client.wallet(farmer_id).balance_yen == 5_000
