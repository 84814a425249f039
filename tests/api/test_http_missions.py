"""Missions over HTTP: request, approve with If-Match, booked by a scheduler tick, notices."""

import json
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection
from websockets.sync.client import connect as ws_connect

from api import fleet_store
from api.accounts import Role
from api.errors import Conflict
from api.routes import live
from api.scheduling import (
    SAMPLE_WEATHER,
    RecordedWeather,
    RecordingDispatch,
    SchedulingRules,
    StoredNotifier,
    run_cycle,
)
from fleet.registry import Sprayer
from tests.api.conftest import Api
from tests.fleet.test_registry import sprayer_drone

REQUEST = {
    "field_ids": ["B000", "B001"],
    "first_day": "2026-06-02",
    "last_day": "2026-06-04",
    "spray": {"swath_m": 5, "rate_l_ha": 80, "tank_l": 10, "endurance_min": 12},
    "note": "早めにお願いします",
}
SURVEY = {
    "field_ids": ["B000", "B001"],
    "first_day": "2026-06-02",
    "last_day": "2026-06-04",
    "survey": {"camera": "DJI Mavic 3M MS", "gsd_cm": 5, "front_overlap_pct": 80},
    "note": "生育状況の確認",
}
CAMERA = "JU3A7K9M2P4X"
"""A camera drone: no sprayer, no tank."""


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


def test_a_survey_mission_is_sized_by_its_plan_and_booked_on_a_camera_drone(
    api: Api,
    farm: tuple[str, httpx.Client, httpx.Client],
) -> None:
    _, farmer, operator = farm
    created = farmer.post("/missions", json=SURVEY)
    assert created.status_code == 201, created.text
    mission = created.json()
    assert mission["kind"] == "survey"
    assert mission["params"]["work"] == "survey"
    assert mission["params"]["camera"] == "DJI Mavic 3M MS"
    assert mission["sorties"] == 1
    assert mission["flight_time_s"] > 0
    assert mission["area_ha"] > 0
    assert mission["volume_l"] == 0
    path = created.headers["Location"]
    approved = operator.post(f"{path}/approve", headers={"If-Match": created.headers["ETag"]})
    assert approved.status_code == 200, approved.text
    _tick(api)  # only a sprayer: it waits for a vehicle that can survey
    assert farmer.get(path).json()["status"] == "approved"
    fleet_store.add_vehicle(
        api.engine, sprayer_drone(registration=CAMERA, sprayer=Sprayer(), tank_l=0.0, system_id=3)
    )
    _tick(api)
    booked = farmer.get(path).json()
    assert (booked["status"], booked["vehicle"]) == ("scheduled", CAMERA)
    assert booked["slot_start"] >= "2026-06-01T15:00:00"


def test_bad_survey_requests_are_named(api: Api, farm) -> None:  # type: ignore[no-untyped-def]
    _, farmer, _ = farm
    both = farmer.post("/missions", json={**SURVEY, "spray": REQUEST["spray"]})
    assert both.status_code == 422
    assert "exactly one of spray and survey" in both.json()["detail"]
    neither = farmer.post("/missions", json={k: v for k, v in SURVEY.items() if k != "survey"})
    assert neither.status_code == 422
    assert "exactly one of spray and survey" in neither.json()["detail"]
    unknown = farmer.post(
        "/missions", json={**SURVEY, "survey": {"camera": "Box Brownie", "gsd_cm": 2}}
    )
    assert unknown.status_code == 422
    assert "'Box Brownie'" in unknown.json()["detail"]
    two_heights = farmer.post(
        "/missions", json={**SURVEY, "survey": {"camera": "p4m", "gsd_cm": 2, "altitude_m": 40}}
    )
    assert two_heights.status_code == 422
    assert "gsd_cm and altitude_m" in two_heights.json()["detail"]
    extra = farmer.post("/missions", json={**SURVEY, "survey": {"camera": "p4m", "swath_m": 5}})
    assert extra.status_code == 422
    assert extra.json()["errors"][0]["where"] == "body.survey.swath_m"
    assert farmer.get("/missions").json()["count"] == 0


def test_windows_far_off_or_too_long_are_refused(api: Api, farm) -> None:  # type: ignore[no-untyped-def]
    _, farmer, _ = farm
    for first, last in (("2026-06-02", "9999-12-31"), ("9999-12-30", "9999-12-30"),
                        ("2026-06-02", "2026-09-30")):  # fmt: skip
        answer = farmer.post("/missions", json={**REQUEST, "first_day": first, "last_day": last})
        assert answer.status_code == 422, (first, last, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
    assert farmer.get("/missions").json()["count"] == 0


def test_a_field_in_an_unfinished_mission_cannot_be_deleted(api: Api, farm) -> None:  # type: ignore[no-untyped-def]
    _, farmer, _ = farm
    created = farmer.post("/missions", json=REQUEST)
    refused = farmer.delete("/fields/B000", headers={"If-Match": "*"})
    assert refused.status_code == 409
    assert f"mission {created.json()['id']}" in refused.json()["detail"]
    farmer.post(f"{created.headers['Location']}/cancel", json={}, headers={"If-Match": "*"})
    assert farmer.delete("/fields/B000", headers={"If-Match": "*"}).status_code == 204


def _drain(socket: ClientConnection) -> None:
    """Read frames until the server closes the stream (which raises)."""
    while True:
        socket.recv(timeout=10)


def test_a_live_stream_ends_when_its_token_is_revoked(
    api: Api,
    farm,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    _, farmer, _ = farm
    monkeypatch.setattr(live, "RECHECK_S", 0.2)
    path = farmer.post("/missions", json=REQUEST).headers["Location"]
    token = farmer.headers["Authorization"].split()[1]
    url = api.base_url.replace("http", "ws") + f"{path}/live?access_token={token}"
    with ws_connect(url) as socket:
        first = json.loads(socket.recv(timeout=10))
        assert first["mission"]["status"] == "requested"
        assert farmer.post("/auth/logout").status_code == 204
        with pytest.raises(ConnectionClosed) as closed:
            _drain(socket)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4401


def test_the_planned_path_shows_spray_on_and_off_and_each_sortie(api: Api, farm) -> None:  # type: ignore[no-untyped-def]
    _, farmer, operator = farm
    created = farmer.post("/missions", json=REQUEST)
    mission = created.json()
    answer = farmer.get(f"/missions/{mission['id']}/plan")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/geo+json"
    assert answer.headers["X-Tanbo-Plan"] == "requested"
    legs = [f for f in answer.json()["features"] if f["properties"]["kind"] == "leg"]
    sorties = sorted({leg["properties"]["sortie"] for leg in legs})
    assert sorties == list(range(1, mission["sorties"] + 1))  # the sorties the request sized
    actions = {leg["properties"]["action"] for leg in legs}
    assert actions == {"spray", "transit"}
    assert all(leg["geometry"]["type"] == "LineString" for leg in legs)
    lon, lat = legs[0]["geometry"]["coordinates"][0]
    assert 134.0 < lon < 135.5
    assert 34.0 < lat < 35.5  # WGS 84, where the Kasai fields are
    assert operator.get(f"/missions/{mission['id']}/plan").status_code == 200
    _, stranger = api.person(Role.FARMER)
    assert stranger.get(f"/missions/{mission['id']}/plan").status_code == 404
    survey = farmer.post("/missions", json=SURVEY).json()
    legs = [f for f in farmer.get(f"/missions/{survey['id']}/plan").json()["features"]
            if f["properties"]["kind"] == "leg"]  # fmt: skip
    assert "survey" in {leg["properties"]["action"] for leg in legs}
    assert farmer.get("/missions/99999/plan").status_code == 404
