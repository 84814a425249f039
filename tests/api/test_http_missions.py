"""Missions over HTTP: request, approve with If-Match, booked by a scheduler tick, notices."""

from datetime import datetime
from pathlib import Path

import httpx
import pytest

from api import fleet_store
from api.accounts import Role
from api.errors import Conflict
from api.scheduling import (
    SAMPLE_WEATHER,
    RecordedWeather,
    RecordingDispatch,
    SchedulingRules,
    StoredNotifier,
    run_cycle,
)
from tests.api.conftest import Api
from tests.fleet.test_registry import sprayer_drone

REQUEST = {
    "field_ids": ["B000", "B001"],
    "first_day": "2026-06-02",
    "last_day": "2026-06-04",
    "spray": {"swath_m": 5, "rate_l_ha": 80, "tank_l": 10, "endurance_min": 12},
    "note": "早めにお願いします",
}


@pytest.fixture
def farm(api: Api, sample_data: Path) -> tuple[str, httpx.Client, httpx.Client]:
    farmer_id, farmer = api.person(Role.FARMER)
    _, operator = api.person(Role.OPERATOR)
    with (sample_data / "kasai_benchmark_fields.geojson").open("rb") as handle:
        assert farmer.post("/fields/import", files={"file": ("f.geojson", handle)}).is_success
    fleet_store.add_vehicle(api.engine, sprayer_drone())
    return farmer_id, farmer, operator


def _tick(api: Api, dispatch: RecordingDispatch | None = None) -> None:
    run_cycle(
        api.engine,
        now=api.clock.now(),
        rules=SchedulingRules(),
        weather=RecordedWeather.read(SAMPLE_WEATHER),
        dispatch=dispatch or RecordingDispatch(),
        notifier=StoredNotifier(api.engine, clock=api.clock),
    )


def test_request_approve_book_and_tell_the_farmer(api: Api, farm) -> None:  # type: ignore[no-untyped-def]
    farmer_id, farmer, operator = farm
    created = farmer.post("/missions", json=REQUEST)
    assert created.status_code == 201, created.text
    mission = created.json()
    assert mission["status"] == "requested"
    assert mission["owner"] == farmer_id
    assert mission["sorties"] > 1
    assert mission["volume_l"] > 0
    assert created.headers["Location"] == f"/missions/{mission['id']}"
    path = created.headers["Location"]
    assert operator.post(f"{path}/approve").status_code == 428
    approved = operator.post(f"{path}/approve", headers={"If-Match": created.headers["ETag"]})
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    stale = operator.post(f"{path}/reject", json={}, headers={"If-Match": created.headers["ETag"]})
    assert stale.status_code == 412
    _tick(api)
    booked = farmer.get(path).json()
    assert booked["status"] == "scheduled"
    assert booked["vehicle"] == sprayer_drone().registration
    assert booked["slot_start"] >= "2026-06-01T15:00:00"
    with pytest.raises(Conflict, match="booked for 1 missions"):
        fleet_store.remove_vehicle(api.engine, booked["vehicle"])
    history = [h["to_status"] for h in farmer.get(f"{path}/history").json()]
    assert history == ["requested", "approved", "scheduled"]
    notices = farmer.get("/notifications").json()
    kinds = {n["kind"] for n in notices["data"]}
    assert {"approved", "scheduled"} <= kinds
    first = notices["data"][0]
    read = farmer.post(f"/notifications/{first['id']}/read")
    assert read.json()["read_at"] is not None
    assert farmer.get("/notifications", params={"unread_only": True}).json()["count"] == (
        notices["count"] - 1
    )
    # Notices are the recipient's own.
    assert operator.post(f"/notifications/{first['id']}/read").status_code == 404


def test_others_cannot_see_or_order_on_anothers_fields(api: Api, farm) -> None:  # type: ignore[no-untyped-def]
    _, farmer, operator = farm
    _, stranger = api.person(Role.FARMER)
    assert stranger.post("/missions", json=REQUEST).status_code == 404
    path = farmer.post("/missions", json=REQUEST).headers["Location"]
    assert stranger.get(path).status_code == 404
    assert stranger.get("/missions").json()["count"] == 0
    assert operator.get("/missions").json()["count"] == 1
    assert operator.post("/missions", json=REQUEST).status_code == 403
    _, pharmacy = api.person(Role.PHARMACY)
    assert pharmacy.get("/missions").status_code == 403
    assert stranger.post(f"{path}/approve", headers={"If-Match": "*"}).status_code == 403


def test_cancel_reject_and_abort(api: Api, farm) -> None:  # type: ignore[no-untyped-def]
    _, farmer, operator = farm
    first = farmer.post("/missions", json=REQUEST)
    path = first.headers["Location"]
    assert operator.post(f"{path}/cancel", json={}, headers={"If-Match": "*"}).status_code == 403
    cancelled = farmer.post(
        f"{path}/cancel", json={"reason": "rain"}, headers={"If-Match": first.headers["ETag"]}
    )
    assert cancelled.json()["status"] == "cancelled"
    again = farmer.post(f"{path}/cancel", json={}, headers={"If-Match": "*"})
    assert again.status_code == 409
    assert "cancelled" in again.json()["detail"]

    second = farmer.post("/missions", json=REQUEST).headers["Location"]
    rejected = operator.post(
        f"{second}/reject", json={"reason": "no pilot"}, headers={"If-Match": "*"}
    )
    assert rejected.json()["status"] == "rejected"
    assert rejected.json()["reason"] == "no pilot"

    third = farmer.post("/missions", json=REQUEST).headers["Location"]
    operator.post(f"{third}/approve", headers={"If-Match": "*"})
    _tick(api)
    booked = farmer.get(third).json()
    dispatch = RecordingDispatch()
    api.clock.advance(
        (datetime.fromisoformat(booked["slot_start"]) - api.clock.now()).total_seconds() + 1
    )
    _tick(api, dispatch)
    assert [m.id for m in dispatch.dispatched] == [booked["id"]]
    assert farmer.get(third).json()["status"] == "dispatched"
    aborted = operator.post(f"{third}/abort", json={}, headers={"If-Match": "*"})
    assert aborted.status_code == 200, aborted.text
    assert aborted.json()["status"] == "aborted"


def test_bad_requests_are_named(api: Api, farm) -> None:  # type: ignore[no-untyped-def]
    _, farmer, _ = farm
    backwards = farmer.post("/missions", json={**REQUEST, "first_day": "2026-06-09"})
    assert backwards.status_code == 422
    assert "before the first day" in backwards.json()["detail"]
    high = farmer.post("/missions", json={**REQUEST, "spray": {"swath_m": 5, "altitude_m": 151}})
    assert high.status_code == 422
    assert high.json()["errors"][0]["where"] == "body.spray.altitude_m"
    assert farmer.get("/missions/999999").status_code == 404
    assert farmer.get("/missions", params={"status": "flying"}).json()["count"] == 0
