"""Deliveries over HTTP on the demo's world: requests and their retries, refusals as
problem documents, who sees which delivery, dispatch with the codes sent to recipients
(never answered), confirmation, cancellation with the fee refunded, and the timeline."""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from api import fleet_store
from api.accounts import Role
from api.app import create_app
from api.config import load_settings
from api.db import connect, migrate
from api.demo.delivery_world import DROP_POINTS, build_world, vehicle_record
from api.logistics import store
from api.logistics.flights import delivery_flight
from api.logistics.progress import on_signal, start_loading
from api.logistics.service import DeliveryService
from api.logistics.temperature import record_readings
from api.serving import serving
from core.clock import FakeClock
from logistics import DeliveryVehicle, Signal, SignalKind, TemperatureReading
from tests.api.conftest import Api
from tests.currency.conftest import API_KEY, Sandbox, platform, sandbox  # noqa: F401 (fixtures)

PROBLEM = "application/problem+json"
GARDEN = next(d for d in DROP_POINTS if d.id == "GARDEN-E")


def _parcel(drop: str = "CENTRE-W", *, weight_kg: float = 0.4, **recipient: str) -> dict[str, Any]:
    return {
        "items": [{"name": "湿布", "weight_kg": weight_kg, "size_cm": [25, 15, 5]}],
        "recipient": recipient or {"name": "加西 花子", "phone": "0790-42-0000"},
        "drop_point_id": drop,
    }


@dataclass
class People:
    """The demo's world registered on the API, and everyone who acts in these tests."""

    api: Api
    service: DeliveryService
    pharmacy_id: str
    pharmacy: httpx.Client
    other_pharmacy: httpx.Client
    resident_id: str
    resident: httpx.Client
    stranger: httpx.Client
    operator_id: str
    operator: httpx.Client
    staff: httpx.Client


def _people(api: Api) -> People:
    service = api.services.extras["deliveries"]
    assert isinstance(service, DeliveryService)
    build_world(api.engine, service, clock=api.clock)
    pharmacy_id, pharmacy = api.person(Role.PHARMACY, name="加西薬局")
    _, other_pharmacy = api.person(Role.PHARMACY, name="北条薬局")
    resident_id, resident = api.person(Role.FARMER, name="加西 太郎")
    _, stranger = api.person(Role.FARMER, name="someone else")
    operator_id, operator = api.person(Role.OPERATOR)
    _, staff = api.person(Role.CITY_ADMIN)
    return People(api, service, pharmacy_id, pharmacy, other_pharmacy, resident_id, resident,
                  stranger, operator_id, operator, staff)  # fmt: skip


@pytest.fixture
def people(api: Api) -> People:
    return _people(api)


@pytest.fixture
def paid(
    database_url: str,
    tmp_path: Path,
    platform: Sandbox,  # noqa: F811
) -> Iterator[tuple[People, Sandbox]]:
    """The API charging through the currency sandbox, as the settings configure it."""
    engine = connect(database_url)
    migrate(engine)
    clock = FakeClock(datetime.fromisoformat("2026-06-01T00:00:00+00:00"))
    settings = load_settings(data_dir=tmp_path / "data", database_url=database_url,
                             currency_url=platform.url, currency_api_key=API_KEY)  # fmt: skip
    app = create_app(settings, engine=engine, clock=clock, migrate_schema=False)
    with serving(app) as base_url:
        api = Api(base_url=base_url, engine=engine, clock=clock, services=app.state.services)
        yield _people(api), platform
        for client in api.clients:
            client.close()
    engine.dispose()


def _created(client: httpx.Client, body: dict[str, Any], **headers: str) -> dict[str, Any]:
    answer = client.post("/deliveries", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    delivery: dict[str, Any] = answer.json()
    return delivery


def _problem(answer: httpx.Response, status: int, kind: str) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == PROBLEM
    document: dict[str, Any] = answer.json()
    assert document["type"] == f"/problems/{kind}"
    return document


def test_a_pharmacy_requests_a_delivery_and_reads_it_back(people: People) -> None:
    answer = people.pharmacy.post("/deliveries", json=_parcel())
    assert answer.status_code == 201, answer.text
    delivery = answer.json()
    assert answer.headers["Location"] == f"/deliveries/{delivery['id']}"
    assert delivery["state"] == "accepted"
    assert delivery["pharmacy_id"] == people.pharmacy_id
    assert delivery["drop_point_id"] == "CENTRE-W"
    assert delivery["items"] == [
        {"name": "湿布", "weight_kg": 0.4, "size_cm": [25.0, 15.0, 5.0], "temperature": "ambient"}
    ]
    assert delivery["recipient"]["phone"] == "0790-42-0000"
    assert delivery["fee_yen"] > 500  # base + per km of the planned route
    assert delivery["charge_status"] is None  # no currency platform configured
    assert delivery["trip"] is None
    assert [(e["from_state"], e["to_state"]) for e in delivery["timeline"]] == [
        (None, "requested"),
        ("requested", "accepted"),
    ]
    assert delivery["timeline"][0]["by"] == f"pharmacy:{people.pharmacy_id}"
    again = people.pharmacy.get(answer.headers["Location"])
    assert again.status_code == 200
    assert again.json() == delivery


def test_a_retry_with_the_same_key_answers_the_same_delivery(people: People) -> None:
    key = {"Idempotency-Key": "rx-2026-0001"}
    first = _created(people.pharmacy, _parcel(), **key)
    retry = people.pharmacy.post("/deliveries", json=_parcel(), headers=key)
    assert retry.status_code == 200, retry.text
    assert retry.json()["id"] == first["id"]
    assert retry.headers["Location"] == f"/deliveries/{first['id']}"
    other_body = people.pharmacy.post("/deliveries", json=_parcel("GARDEN-E"), headers=key)
    assert "rx-2026-0001" in _problem(other_body, 409, "conflict")["detail"]
    # Keys are each pharmacy's own: another pharmacy's same key is another delivery.
    theirs = _created(people.other_pharmacy, _parcel(), **key)
    assert theirs["id"] != first["id"]
    assert people.pharmacy.get("/deliveries").json()["count"] == 1


def test_a_pharmacy_system_requests_with_client_credentials_and_retries_safely(
    people: People,
) -> None:
    created = people.pharmacy.post(f"/accounts/{people.pharmacy_id}/clients",
                                   json={"name": "薬局システム"})  # fmt: skip
    assert created.status_code == 201, created.text
    token = people.api.client().post(
        "/auth/token", data={"grant_type": "client_credentials", **created.json()}
    )
    assert token.status_code == 200, token.text
    system = people.api.client(token.json()["access_token"])
    key = {"Idempotency-Key": "pos-000123"}
    first = _created(system, _parcel(), **key)
    assert first["pharmacy_id"] == people.pharmacy_id  # the system acts for its pharmacy
    for _ in range(3):  # the POS retries after a timeout: still one delivery
        retry = system.post("/deliveries", json=_parcel(), headers=key)
        assert retry.status_code == 200
        assert retry.json()["id"] == first["id"]
    # The person and the system are one pharmacy: the same key is the same delivery.
    by_person = people.pharmacy.post("/deliveries", json=_parcel(), headers=key)
    assert by_person.json()["id"] == first["id"]
    assert people.pharmacy.get("/deliveries").json()["count"] == 1


def test_what_no_vehicle_can_carry_is_refused_and_nothing_is_stored(people: People) -> None:
    heavy = people.pharmacy.post("/deliveries", json=_parcel(weight_kg=3.0))
    assert "2.5 kg payload" in _problem(heavy, 422, "unserviceable")["detail"]
    mixed = _parcel()
    mixed["items"].append(
        {"name": "冷凍食品", "weight_kg": 0.5, "size_cm": [20, 15, 10], "temperature": "frozen"}
    )
    one_box = people.pharmacy.post("/deliveries", json=mixed)
    assert (
        "one box keeps one temperature" in _problem(one_box, 422, "bad-logistics-request")["detail"]
    )
    nowhere = people.pharmacy.post("/deliveries", json=_parcel("NOWHERE"))
    _problem(nowhere, 404, "not-found")
    unpaid = {**_parcel(), "payer": "resident"}  # a resident pays only from an account
    _problem(people.pharmacy.post("/deliveries", json=unpaid), 422, "invalid-request")
    assert people.staff.get("/deliveries").json()["count"] == 0


def test_a_drop_point_that_fails_its_checks_is_refused_with_every_problem(people: People) -> None:
    beside_the_house = {
        "id": "GARDEN-LAND", "name": "庭（着陸）", "lat_deg": GARDEN.location.lat_deg,
        "lon_deg": GARDEN.location.lon_deg, "kind": "garden", "releases": ["land", "gripper"],
        "clear_radius_m": 1.0,
    }  # fmt: skip
    answer = people.staff.post("/drop-points", json=beside_the_house)
    problems = _problem(answer, 422, "drop-point-refused")["problems"]
    assert len(problems) >= 4
    assert any(p.startswith("land: ") and "HOUSE-G1" in p for p in problems)
    assert any(p.startswith("gripper: ") and "open ground" in p for p in problems)
    assert people.staff.get("/drop-points/GARDEN-LAND").status_code == 404


def test_a_garden_is_shown_as_someones_only_to_them_and_city_staff(people: People) -> None:
    garden = {
        "id": "GARDEN-T", "name": "太郎さんの庭", "lat_deg": 34.9300, "lon_deg": 134.8200,
        "kind": "garden", "releases": ["winch"], "clear_radius_m": 4.0,
        "resident_id": people.resident_id,
    }  # fmt: skip
    made = people.staff.post("/drop-points", json=garden)
    assert made.status_code == 201, made.text
    assert made.headers["Location"] == "/drop-points/GARDEN-T"
    assert {r["vehicle_id"] for r in made.json()["reach"]} == {"SIM-DELIVERY-1", "SIM-DELIVERY-2"}
    seen = {
        who: client.get("/drop-points/GARDEN-T").json()["resident_id"]
        for who, client in [("resident", people.resident), ("staff", people.staff),
                            ("pharmacy", people.pharmacy), ("operator", people.operator)]
    }  # fmt: skip
    assert seen == {"resident": people.resident_id, "staff": people.resident_id,
                    "pharmacy": None, "operator": None}  # fmt: skip
    listed = people.stranger.get("/drop-points").json()
    assert listed["count"] == 4
    assert all(d["resident_id"] is None for d in listed["data"])


def test_one_pharmacy_cannot_see_or_cancel_anothers_delivery(people: People) -> None:
    theirs = _created(people.pharmacy, _parcel())
    path = f"/deliveries/{theirs['id']}"
    for answer in (
        people.other_pharmacy.get(path),
        people.other_pharmacy.get(f"{path}/timeline"),
        people.other_pharmacy.post(f"{path}/cancel", json={"reason": "mine now"}),
        people.other_pharmacy.post(f"{path}/recall", json={"reason": "mine now"}),
    ):
        _problem(answer, 404, "not-found")
    # Its own pharmacy may recall a drone, but only one carrying the parcel in the air.
    grounded = _problem(people.pharmacy.post(f"{path}/recall", json={}), 409, "conflict")
    assert "only a parcel in the air can be recalled" in grounded["detail"]
    assert people.other_pharmacy.get("/deliveries").json() == {
        "data": [], "count": 0, "limit": 50, "offset": 0,
    }  # fmt: skip
    assert people.pharmacy.get(path).json()["state"] == "accepted"  # nothing cancelled it
    # Operators see every delivery but not the recipient's phone; city staff see it.
    assert people.operator.get(path).json()["recipient"] == {
        "resident_id": None, "name": "加西 花子", "phone": None,
    }  # fmt: skip
    assert people.staff.get(path).json()["recipient"]["phone"] == "0790-42-0000"


def test_a_resident_sees_the_deliveries_for_them_and_no_others(people: People) -> None:
    mine = _created(people.pharmacy, _parcel("GARDEN-E", resident_id=people.resident_id))
    other = _created(people.pharmacy, _parcel())
    listed = people.resident.get("/deliveries").json()
    assert [d["id"] for d in listed["data"]] == [mine["id"]]
    assert listed["count"] == 1
    assert people.resident.get(f"/deliveries/{mine['id']}").status_code == 200
    _problem(people.resident.get(f"/deliveries/{other['id']}"), 404, "not-found")
    assert people.stranger.get("/deliveries").json()["count"] == 0
    _problem(people.stranger.get(f"/deliveries/{mine['id']}"), 404, "not-found")
    cancelled = people.resident.post(f"/deliveries/{mine['id']}/cancel", json={})
    _problem(cancelled, 403, "forbidden")  # the recipient does not cancel
    all_of_them = people.operator.get("/deliveries", params={"state": "accepted"}).json()
    assert {d["id"] for d in all_of_them["data"]} == {mine["id"], other["id"]}


def _code_sent_to(client: httpx.Client) -> str:
    notices = client.get("/notifications").json()["data"]
    (scheduled,) = [n for n in notices if n["kind"] == "delivery_scheduled"]
    found = re.search(r"\b(\d{6})\b", scheduled["text_en"])
    assert found is not None, scheduled
    return found.group(1)


def test_dispatch_is_for_operators_and_sends_the_code_only_to_the_recipient(
    people: People,
) -> None:
    delivery = _created(people.pharmacy, _parcel("GARDEN-E", resident_id=people.resident_id))
    _problem(people.stranger.post("/deliveries/dispatch"), 403, "forbidden")
    _problem(people.pharmacy.post("/deliveries/dispatch"), 403, "forbidden")
    answer = people.operator.post("/deliveries/dispatch")
    assert answer.status_code == 200, answer.text
    summary = answer.json()
    assert summary["notified"] == 1
    assert summary["unassigned"] == []
    (trip,) = summary["trips"]
    assert trip["delivery_id"] == delivery["id"]
    assert trip["vehicle_id"] in {"SIM-DELIVERY-1", "SIM-DELIVERY-2"}
    code = _code_sent_to(people.resident)
    assert code not in answer.text
    scheduled = people.pharmacy.get(f"/deliveries/{delivery['id']}")
    assert code not in scheduled.text
    assert scheduled.json()["state"] == "scheduled"
    assert scheduled.json()["trip"]["vehicle_id"] == trip["vehicle_id"]
    assert people.pharmacy.get("/notifications").json()["count"] == 0
    again = people.operator.post("/deliveries/dispatch").json()
    assert again["notified"] == 0  # already scheduled: no second code


def _fly_to_release(people: People, delivery_id: str) -> None:
    service = people.service
    flight = delivery_flight(service, store.get_delivery(service.engine, delivery_id))
    start_loading(service, delivery_id, by=f"operator:{people.operator_id}")
    people.api.clock.advance(60)
    on_signal(service, delivery_id, Signal(kind=SignalKind.TOOK_OFF), marks=flight.marks,
              vehicle_id=flight.vehicle_id)  # fmt: skip
    for seq in range(1, flight.marks.released_seq + 1):
        people.api.clock.advance(30)
        on_signal(service, delivery_id, Signal(kind=SignalKind.ITEM_REACHED, seq=seq),
                  marks=flight.marks, vehicle_id=flight.vehicle_id,
                  position=GARDEN.location)  # fmt: skip


def test_the_code_confirms_receipt_and_a_wrong_one_is_forbidden(people: People) -> None:
    delivery = _created(people.pharmacy, _parcel("GARDEN-E", resident_id=people.resident_id))
    path = f"/deliveries/{delivery['id']}"
    assert people.operator.post("/deliveries/dispatch").status_code == 200
    code = _code_sent_to(people.resident)
    wrong = "000000" if code != "000000" else "111111"
    early = people.stranger.post(f"{path}/confirm", json={"code": code})
    assert "scheduled" in _problem(early, 409, "illegal-transition")["detail"]
    _fly_to_release(people, delivery["id"])
    _problem(people.stranger.post(f"{path}/confirm", json={"code": wrong}), 403, "forbidden")
    _problem(people.stranger.post(f"{path}/confirm"), 403, "forbidden")  # not the resident
    _problem(people.stranger.post(f"{path}/confirm", json={"code": "12345"}), 422,
             "invalid-request")  # fmt: skip
    assert people.pharmacy.get(path).json()["state"] == "released"
    done = people.stranger.post(f"{path}/confirm", json={"code": code})
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "confirmed"
    assert done.json()["recipient"]["phone"] is None  # a code holder is not told more
    assert done.json()["timeline"][-1]["by"] == "recipient:code"
    _problem(people.stranger.post(f"{path}/confirm", json={"code": code}), 409,
             "illegal-transition")  # fmt: skip


def test_the_resident_confirms_as_themself_and_the_timeline_is_in_order(people: People) -> None:
    delivery = _created(people.pharmacy, _parcel("GARDEN-E", resident_id=people.resident_id))
    assert people.operator.post("/deliveries/dispatch").status_code == 200
    _fly_to_release(people, delivery["id"])
    people.api.clock.advance(120)
    done = people.resident.post(f"/deliveries/{delivery['id']}/confirm")
    assert done.status_code == 200, done.text
    released = done.json()
    assert released["release_position"] == {"lat_deg": GARDEN.location.lat_deg,
                                            "lon_deg": GARDEN.location.lon_deg}  # fmt: skip
    assert released["released_at"] is not None
    timeline = people.pharmacy.get(f"/deliveries/{delivery['id']}/timeline").json()
    assert [e["to_state"] for e in timeline] == [
        "requested", "accepted", "scheduled", "loading", "in_flight", "arrived", "released",
        "confirmed",
    ]  # fmt: skip
    assert [e["from_state"] for e in timeline[1:]] == [e["to_state"] for e in timeline[:-1]]
    times = [datetime.fromisoformat(e["at"]) for e in timeline]
    assert times == sorted(times)
    assert times[-1] - times[0] >= timedelta(seconds=180)  # the clock moved between steps
    assert timeline[-1]["by"] == f"resident:{people.resident_id}"
    assert timeline[3]["by"] == f"operator:{people.operator_id}"
    assert timeline == done.json()["timeline"]


def test_the_fee_is_charged_on_acceptance_and_refunded_on_cancel(
    paid: tuple[People, Sandbox],
) -> None:
    people, platform = paid  # noqa: F811
    platform.client.set_wallet(people.pharmacy_id, balance_yen=20_000)
    delivery = _created(people.pharmacy, _parcel())
    fee = delivery["fee_yen"]
    assert fee > 500
    assert delivery["charge_status"] == "succeeded"
    assert platform.client.wallet(people.pharmacy_id).balance_yen == 20_000 - fee
    cancelled = people.pharmacy.post(
        f"/deliveries/{delivery['id']}/cancel", json={"reason": "処方が変更されました"}
    )
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["state"] == "cancelled"
    assert cancelled.json()["charge_status"] == "refunded"
    assert cancelled.json()["timeline"][-1] == {
        "at": cancelled.json()["timeline"][-1]["at"], "from_state": "accepted",
        "to_state": "cancelled", "by": f"pharmacy:{people.pharmacy_id}",
        "note": "処方が変更されました",
    }  # fmt: skip
    assert platform.client.wallet(people.pharmacy_id).balance_yen == 20_000
    twice = people.pharmacy.post(f"/deliveries/{delivery['id']}/cancel", json={})
    _problem(twice, 409, "illegal-transition")
    assert platform.client.wallet(people.pharmacy_id).balance_yen == 20_000


def test_an_operator_cancels_any_delivery_in_their_own_name(people: People) -> None:
    delivery = _created(people.pharmacy, _parcel())
    answer = people.operator.post(f"/deliveries/{delivery['id']}/cancel", json={"reason": "強風"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["timeline"][-1]["by"] == f"operator:{people.operator_id}"
    listed = people.pharmacy.get("/deliveries", params={"state": ["cancelled"]}).json()
    assert [d["id"] for d in listed["data"]] == [delivery["id"]]


def test_depots_and_vehicles_are_registered_by_staff_and_read_by_anyone(people: People) -> None:
    depots = people.stranger.get("/depots").json()
    assert [d["id"] for d in depots["data"]] == ["KASAI-HALL"]
    depot = {"id": "HOJO", "name": "北条 depot", "lat_deg": 34.9331, "lon_deg": 134.8337}
    made = people.staff.post("/depots", json=depot)
    assert made.status_code == 201, made.text
    assert made.json()["battery_swap_s"] == 300.0
    vehicle = DeliveryVehicle(id="SIM-DELIVERY-3", depot_id="HOJO", payload_kg=2.0,
                              box_cm=(30, 20, 20), empty_kg=8.0, endurance_min=25.0)  # fmt: skip
    fleet_store.add_vehicle(
        people.api.engine, vehicle_record(vehicle, system_id=3, port=None), clock=people.api.clock
    )
    station = {"registration": "SIM-DELIVERY-3", "depot_id": "HOJO", "box_cm": [30, 20, 20],
               "empty_kg": 8.0, "endurance_min": 25.0}  # fmt: skip
    stationed = people.operator.post("/delivery-vehicles", json=station)
    assert stationed.status_code == 201, stationed.text
    assert stationed.json()["payload_kg"] == 2.0  # the register's
    gripper = {**station, "registration": "SIM-DELIVERY-1", "releases": ["gripper"]}
    _problem(people.operator.post("/delivery-vehicles", json=gripper), 422,
             "bad-logistics-request")  # fmt: skip
    unknown = {**station, "registration": "NOT-REGISTERED"}
    _problem(people.operator.post("/delivery-vehicles", json=unknown), 404, "not-found")
    fleet = people.pharmacy.get("/delivery-vehicles").json()
    assert [v["registration"] for v in fleet["data"]] == [
        "SIM-DELIVERY-1", "SIM-DELIVERY-2", "SIM-DELIVERY-3",
    ]  # fmt: skip


def test_registering_a_taken_id_is_a_conflict(people: People) -> None:
    depot = {"id": "KASAI-HALL", "name": "again", "lat_deg": 34.9283, "lon_deg": 134.8414}
    _problem(people.staff.post("/depots", json=depot), 409, "conflict")
    drop = GARDEN
    again = {"id": drop.id, "name": drop.name, "lat_deg": drop.location.lat_deg,
             "lon_deg": drop.location.lon_deg, "kind": "garden", "releases": ["winch"],
             "clear_radius_m": drop.clear_radius_m}  # fmt: skip
    _problem(people.staff.post("/drop-points", json=again), 409, "conflict")
    station = {"registration": "SIM-DELIVERY-1", "depot_id": "KASAI-HALL",
               "box_cm": [40, 30, 25], "empty_kg": 9.0, "endurance_min": 30.0}  # fmt: skip
    _problem(people.operator.post("/delivery-vehicles", json=station), 409, "conflict")


def test_an_unknown_recipient_or_a_window_already_past_is_a_422_and_nothing_is_stored(
    people: People,
) -> None:
    unknown = people.pharmacy.post("/deliveries", json=_parcel(resident_id="no-such-account"))
    assert (
        "not known to the city identity"
        in _problem(unknown, 422, "bad-logistics-request")["detail"]
    )
    past = {**_parcel(), "window": {"earliest": "2026-05-31T08:00:00+09:00",
                                    "latest": "2026-05-31T09:00:00+09:00"}}  # fmt: skip
    late = people.pharmacy.post("/deliveries", json=past)
    assert "window has passed" in _problem(late, 422, "bad-logistics-request")["detail"]
    assert people.pharmacy.get("/deliveries").json()["count"] == 0


def test_the_payload_temperature_log_is_part_of_the_proof_and_only_for_those_involved(
    people: People,
) -> None:
    insulin = {
        "name": "インスリン",
        "weight_kg": 0.3,
        "size_cm": [20, 12, 8],
        "temperature": "cool",
    }
    cool = {**_parcel("CLINIC-N"), "items": [insulin]}
    delivery = _created(people.pharmacy, cool)
    start = datetime.fromisoformat("2026-06-01T09:00:00+09:00")
    temperatures = [5.0, 5.5, 9.5, 10.0, 9.0, 6.0]  # a 3-minute spell over 8 °C
    readings = [TemperatureReading(at=start + timedelta(minutes=m), temperature_c=c)
                for m, c in enumerate(temperatures)]  # fmt: skip
    assert record_readings(people.api.engine, delivery["id"], readings, "box-sensor") == 6
    answer = people.pharmacy.get(f"/deliveries/{delivery['id']}/temperature")
    assert answer.status_code == 200, answer.text
    log = answer.json()
    assert (log["temperature"], log["range_c"], log["verdict"]) == ("cool", [2.0, 8.0], "excursion")
    assert log["readings_count"] == 6
    assert (log["min_c"], log["max_c"]) == (5.0, 10.0)
    (spell,) = log["excursions"]
    assert (spell["worst_c"], spell["minutes"]) == (10.0, 3.0)
    assert [r["temperature_c"] for r in log["readings"]] == temperatures
    assert people.stranger.get(f"/deliveries/{delivery['id']}/temperature").status_code == 404
