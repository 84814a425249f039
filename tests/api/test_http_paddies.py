"""Paddy water over HTTP: register paddies and devices, post readings, override a gate,
read the audit log; a farmer sees only their own."""

import asyncio
import json
from pathlib import Path

from api.accounts import Role
from api.irrigation.service import DatabaseControlStore
from irrigation.gates_mqtt import InProcessGates
from irrigation.runner import IrrigationRunner
from tests.api.conftest import Api

PROBLEM = "application/problem+json"


def _field(api: Api, client, sample_data: Path) -> None:  # type: ignore[no-untyped-def]
    collection = json.loads((sample_data / "kasai_benchmark_fields.geojson").read_text())
    collection["features"] = collection["features"][:1]
    for feature in collection["features"]:
        feature["properties"]["variety"] = "コシヒカリ"
        feature["properties"]["transplanted_on"] = "2026-05-20"
    answer = client.post("/fields", json=collection)
    assert answer.status_code in (200, 201), answer.text


def test_a_paddy_from_a_field_takes_its_area_variety_and_date(api: Api, sample_data) -> None:  # type: ignore[no-untyped-def]
    _, farmer = api.person(Role.FARMER)
    _field(api, farmer, sample_data)
    created = farmer.post("/paddies", json={"id": "p-B000", "field_id": "B000"})
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["variety"] == "コシヒカリ"
    assert body["transplanted_on"] == "2026-05-20"
    assert 2000 < body["area_m2"] < 3100
    assert created.headers["Location"] == "/paddies/p-B000"
    stale = created.headers["ETag"]
    changed = farmer.patch(
        "/paddies/p-B000", json={"daily_water_limit_m3": 90}, headers={"If-Match": stale}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["daily_water_limit_m3"] == 90
    again = farmer.patch(
        "/paddies/p-B000", json={"daily_water_limit_m3": 80}, headers={"If-Match": stale}
    )
    assert again.status_code == 412
    bad = farmer.patch(
        "/paddies/p-B000",
        json={"outlet_crest_cm": 99},
        headers={"If-Match": changed.headers["ETag"]},
    )
    assert bad.status_code == 422
    assert bad.headers["content-type"] == PROBLEM
    assert "outlet crest" in bad.json()["detail"]


def _level(device: str, value: float, jst: str) -> dict[str, object]:
    return {
        "device_id": device,
        "metric": "water_level",
        "value": value,
        "time": f"2026-06-01T{jst}:00+09:00",
    }


def test_readings_are_stored_once_and_bad_items_named(api: Api) -> None:
    _, farmer = api.person(Role.FARMER)
    assert farmer.post("/paddies", json={"id": "p1", "area_m2": 1000}).status_code == 201
    device = {"id": "lv-1", "kind": "sensor", "paddy_id": "p1", "calibration": {"water_level": 0.5}}
    assert farmer.post("/water-devices", json=device).status_code == 201
    batch = [_level("lv-1", 4.0, "09:00"), _level("lv-1", 999, "08:50")]
    batch.append(_level("lv-x", 3.0, "08:50"))
    batch.append(_level("lv-1", 3.0, "09:06"))  # 6 min ahead of the API's clock (09:00 JST)
    first = farmer.post("/readings", json=batch)
    assert first.status_code == 200, first.text
    report = first.json()
    assert (report["stored"], report["duplicates"]) == (1, 0)
    assert [(r["index"], r["device_id"]) for r in report["rejected"]] == [
        (1, "lv-1"),
        (2, "lv-x"),
        (3, "lv-1"),
    ]
    assert "outside" in report["rejected"][0]["problem"]
    assert "clock is ahead" in report["rejected"][2]["problem"]
    retry = farmer.post("/readings", json=batch[:1]).json()
    assert (retry["stored"], retry["duplicates"]) == (0, 1)
    none_good = farmer.post("/readings", json=batch[2:])
    assert none_good.status_code == 422
    assert "lv-x" in none_good.json()["detail"]
    readings = farmer.get("/paddies/p1/readings").json()
    assert readings["count"] == 1
    assert readings["data"][0]["value"] == 4.5
    assert readings["data"][0]["device_time"].startswith("2026-06-01T00:00:00")
    assert farmer.get("/water-devices/lv-1").json()["last_seen_at"] is not None


def test_an_override_expires_is_ended_and_is_in_the_audit_log(api: Api) -> None:
    me, farmer = api.person(Role.FARMER)
    assert farmer.post("/paddies", json={"id": "p2", "area_m2": 1000}).status_code == 201
    made = farmer.post(
        "/paddies/p2/overrides", json={"action": "close", "minutes": 60, "reason": "清掃"}
    )
    assert made.status_code == 201, made.text
    assert [o["id"] for o in farmer.get("/paddies/p2/overrides").json()] == [made.json()["id"]]
    api.clock.advance(61 * 60)
    assert farmer.get("/paddies/p2/overrides").json() == []
    second = farmer.post("/paddies/p2/overrides", json={"action": "open", "minutes": 30}).json()
    ended = farmer.delete(f"/paddies/p2/overrides/{second['id']}")
    assert ended.status_code == 200
    assert ended.json()["cancelled_at"] is not None
    assert farmer.delete(f"/paddies/p2/overrides/{second['id']}").status_code == 404
    events = farmer.get("/paddies/p2/events").json()
    assert [e["kind"] for e in events["data"]] == ["override_end", "override", "override"]
    assert all(e["by"] == me for e in events["data"])


def test_a_farmer_sees_only_their_own_paddies_and_devices(api: Api) -> None:
    _, tanaka = api.person(Role.FARMER, name="田中")
    _, suzuki = api.person(Role.FARMER, name="鈴木")
    _, staff = api.person(Role.CITY_ADMIN)
    assert tanaka.post("/paddies", json={"id": "t1", "area_m2": 1000}).status_code == 201
    device = {"id": "t-lv", "kind": "sensor", "paddy_id": "t1"}
    assert tanaka.post("/water-devices", json=device).status_code == 201
    assert suzuki.get("/paddies/t1").status_code == 404
    assert suzuki.get("/paddies").json()["count"] == 0
    assert suzuki.get("/water-devices/t-lv").status_code == 404
    taken = suzuki.post("/water-devices", json={**device, "paddy_id": "t1"})
    assert taken.status_code == 404
    assert staff.get("/paddies").json()["count"] == 1
    assert staff.get("/water-devices").json()["count"] == 1
    gate = {"id": "t-gate", "kind": "gate", "paddy_id": "t1"}
    refused = tanaka.post("/water-devices", json=gate)
    assert refused.status_code == 422
    assert "role" in refused.json()["detail"]


def _uplink(device: str, payload: dict[str, object]) -> dict[str, object]:
    """A The Things Stack v3 uplink webhook body, as its data-formats page shows it."""
    return {
        "end_device_ids": {
            "device_id": device,
            "application_ids": {"application_id": "kasai-paddies"},
            "dev_eui": "70B3D57ED0061234",
        },
        "received_at": "2026-06-01T00:00:02.123456789Z",
        "uplink_message": {
            "f_port": 2,
            "f_cnt": 412,
            "frm_payload": "AaQ=",
            "decoded_payload": payload,
            "rx_metadata": [
                {"gateway_ids": {"gateway_id": "kasai-gw-1"}, "time": "2026-06-01T00:00:01.9Z"}
            ],
        },
    }


def test_a_lorawan_uplink_is_stored_once_with_its_problems_named(api: Api) -> None:
    _, farmer = api.person(Role.FARMER)
    assert farmer.post("/paddies", json={"id": "p3", "area_m2": 1000}).status_code == 201
    device = {"id": "lw-1", "kind": "sensor", "paddy_id": "p3"}
    assert farmer.post("/water-devices", json=device).status_code == 201
    body = _uplink("lw-1", {"water_level_cm": 4.2, "water_temperature": 99.0, "battery": 80})
    first = farmer.post("/readings/lorawan", json=body)
    assert first.status_code == 200, first.text
    report = first.json()
    assert report["stored"] == 2  # the level and the battery
    assert any("water_temperature" in r["problem"] for r in report["rejected"])
    again = farmer.post("/readings/lorawan", json=body).json()
    assert (again["stored"], again["duplicates"]) == (0, 2)
    levels = farmer.get("/paddies/p3/readings", params={"metric": "water_level"}).json()
    assert levels["data"][0]["value"] == 4.2
    assert levels["data"][0]["device_time"].startswith("2026-06-01T00:00:01.9")
    assert farmer.get("/water-devices/lw-1").json()["battery_pct"] == 80
    stranger = farmer.post("/readings/lorawan", json=_uplink("lw-x", {"water_level_cm": 3.0}))
    assert stranger.status_code == 422
    assert "lw-x" in stranger.json()["detail"]
    not_uplink = farmer.post("/readings/lorawan", json={"hello": "world"})
    assert not_uplink.status_code == 422
    assert "uplink_message" in not_uplink.json()["detail"]


def test_the_state_shows_the_target_and_what_the_controller_did(api: Api) -> None:
    _, farmer = api.person(Role.FARMER)
    # The API's clock stands at 2026-06-01 09:00 JST: day 3, deep water while rooting.
    paddy = {"id": "p4", "area_m2": 2000, "transplanted_on": "2026-05-29"}
    assert farmer.post("/paddies", json=paddy).status_code == 201
    for device in (
        {"id": "p4-lv", "kind": "sensor", "paddy_id": "p4"},
        {"id": "p4-in", "kind": "gate", "role": "inlet", "paddy_id": "p4"},
    ):
        assert farmer.post("/water-devices", json=device).status_code == 201
    before = farmer.get("/paddies/p4/state").json()
    assert before["target"]["stage"] == "rooting"
    assert before["target"]["stage_ja"].startswith("活着期")
    assert before["depth_cm"] is None
    assert before["at"] is None
    assert farmer.post("/readings", json=[_level("p4-lv", 2.5, "08:59")]).json()["stored"] == 1
    gates = InProcessGates(clock=api.clock)
    runner = IrrigationRunner(DatabaseControlStore(api.engine), gates, clock=api.clock)

    async def tick() -> None:
        await runner.tick()
        await runner.drain()

    asyncio.run(tick())
    after = farmer.get("/paddies/p4/state").json()
    assert after["depth_cm"] == 2.5
    assert after["within_band"] is False
    assert after["inlet"]["opening_pct"] == 100.0
    assert after["sensor"] == "ok"
    farm = farmer.get("/paddies/p4").json()["farm"]
    assert gates.openings_pct[(farm, "p4", "p4-in")] == 100.0


def test_the_targets_over_a_period_are_the_calendars_spans(api: Api) -> None:
    _, farmer = api.person(Role.FARMER)
    _, other = api.person(Role.FARMER, name="other")
    # The API's clock stands at 2026-06-01 09:00 JST: day 3 of deep water while rooting.
    paddy = {"id": "p9", "area_m2": 2000, "transplanted_on": "2026-05-29"}
    assert farmer.post("/paddies", json=paddy).status_code == 201
    day = farmer.get("/paddies/p9/targets")
    assert day.status_code == 200, day.text
    assert [(s["stage"], s["band_cm"], s["transition"]) for s in day.json()] == [
        ("rooting", [5.0, 7.0], False)
    ]
    assert day.json()[0]["end"].startswith("2026-06-01T00:00:00")  # now, in UTC
    week = farmer.get("/paddies/p9/targets", params={"since": "2026-05-28T00:00:00+09:00"})
    spans = week.json()
    assert [(s["stage"], s["transition"]) for s in spans] == [
        ("before_transplanting", False),
        ("rooting", True),
        ("rooting", False),
    ]
    assert spans[1]["start"].startswith("2026-05-28T15:00:00")  # 00:00 JST on 29 May
    assert spans[1]["stage_ja"].startswith("活着期")
    assert spans[0]["band_cm"] is None
    for params, words in (
        ({"since": "2026-05-28T00:00:00"}, "time zone"),
        ({"since": "2026-06-02T00:00:00+09:00"}, "before until"),
        ({"since": "2024-01-01T00:00:00+09:00"}, "at most 400 days"),
    ):
        refused = farmer.get("/paddies/p9/targets", params=params)
        assert refused.status_code == 422, (params, refused.text)
        assert refused.headers["content-type"] == PROBLEM
        assert words in refused.json()["detail"]
    assert other.get("/paddies/p9/targets").status_code == 404


def test_city_staff_declare_and_end_a_heavy_rain_warning(api: Api) -> None:
    _, staff = api.person(Role.CITY_ADMIN)
    _, farmer = api.person(Role.FARMER)
    made = staff.post("/water-warnings", json={"area": "*", "hours": 12, "reason": "大雨警報"})
    assert made.status_code == 201, made.text
    assert made.json()["ends_at"].startswith("2026-06-01T12:00")
    assert [w["reason"] for w in farmer.get("/water-warnings").json()] == ["大雨警報"]
    assert farmer.post("/water-warnings", json={"hours": 1}).status_code == 403
    ended = staff.delete(f"/water-warnings/{made.json()['id']}")
    assert ended.status_code == 200
    assert farmer.get("/water-warnings").json() == []
    assert staff.delete(f"/water-warnings/{made.json()['id']}").status_code == 404
    too_long = staff.post("/water-warnings", json={"hours": 500})
    assert too_long.status_code == 422


def test_calendar_edits_are_checked_before_they_are_kept(api: Api) -> None:
    _, farmer = api.person(Role.FARMER)
    made = farmer.post("/paddies", json={"id": "p5", "area_m2": 1000, "variety": "コシヒカリ"})
    assert made.status_code == 201
    tag = made.headers["ETag"]
    unknown = farmer.patch(
        "/paddies/p5", json={"calendar": {"flooding": {"depth_cm": 5}}}, headers={"If-Match": tag}
    )
    assert unknown.status_code == 422
    assert "no stage 'flooding'" in unknown.json()["detail"]
    too_deep = farmer.patch(
        "/paddies/p5", json={"calendar": {"rooting": {"depth_cm": 24.5}}}, headers={"If-Match": tag}
    )
    assert too_deep.status_code == 422
    assert "safe depth" in too_deep.json()["detail"]
    good = farmer.patch(
        "/paddies/p5", json={"calendar": {"rooting": {"depth_cm": 6.5}}}, headers={"If-Match": tag}
    )
    assert good.status_code == 200, good.text
    assert good.json()["calendar"] == {"rooting": {"depth_cm": 6.5}}
    low_levee = farmer.post(
        "/paddies", json={"id": "p6", "area_m2": 1000, "levee_height_cm": 10, "safe_margin_cm": 5,
                          "outlet_crest_cm": 8},
    )  # fmt: skip
    assert low_levee.status_code == 422
    assert "safe depth" in low_levee.json()["detail"]


def test_a_patch_is_checked_whole_and_cannot_undo_the_levee_guard(api: Api) -> None:
    _, farmer = api.person(Role.FARMER)
    _, other = api.person(Role.FARMER, name="other")
    made = farmer.post("/paddies", json={"id": "p7", "area_m2": 1000})
    tag = made.headers["ETag"]
    for body, words in (
        ({"safe_margin_cm": -10}, "safe_margin_cm"),
        ({"levee_height_cm": 500}, "levee_height_cm"),
        ({"area_m2": "abc"}, "area_m2"),
        ({"levee_height_cm": None}, "cannot be emptied"),
        ({"calendar": "x"}, "calendar"),
        ({"colour": "blue"}, "colour"),
    ):
        answer = farmer.patch("/paddies/p7", json=body, headers={"If-Match": tag})
        assert answer.status_code == 422, (body, answer.text)
        assert answer.headers["content-type"] == PROBLEM
        assert words in answer.text, (body, answer.text)
    other.post("/fields", json={"type": "FeatureCollection", "features": []})
    missing = farmer.patch("/paddies/p7", json={"field_id": "nope"}, headers={"If-Match": tag})
    assert missing.status_code == 404
    assert farmer.get("/paddies/p7").headers["ETag"] == tag  # nothing was changed


def test_one_gate_per_role_and_a_replaced_gate_is_detached_first(api: Api) -> None:
    _, farmer = api.person(Role.FARMER)
    assert farmer.post("/paddies", json={"id": "p8", "area_m2": 1000}).status_code == 201
    old = {"id": "p8-in-old", "kind": "gate", "role": "inlet", "paddy_id": "p8"}
    new = {"id": "p8-in-new", "kind": "gate", "role": "inlet", "paddy_id": "p8"}
    assert farmer.post("/water-devices", json=old).status_code == 201
    refused = farmer.post("/water-devices", json=new)
    assert refused.status_code == 409
    assert "p8-in-old" in refused.json()["detail"]
    detached = farmer.delete("/water-devices/p8-in-old")
    assert detached.status_code == 200
    assert detached.json()["paddy_id"] is None
    assert farmer.post("/water-devices", json=new).status_code == 201
    assert [d["id"] for d in farmer.get("/water-devices").json()["data"]] == ["p8-in-new"]
