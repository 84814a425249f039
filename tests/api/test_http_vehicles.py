"""Vehicles and flight logs over HTTP: register, read, change with If-Match, logs as CSV."""

import csv
import io

from pypdf import PdfReader

from api import fleet_store
from api.accounts import Role
from tests.api.conftest import Api
from tests.api.test_fleet_store import REG, flight

PROBLEM = "application/problem+json"
DRONE = {
    "registration": REG,
    "model": "AGRAS T25",
    "maker": "DJI",
    "max_takeoff_weight_kg": 52.0,
    "max_payload_kg": 20.0,
    "tank_l": 20.0,
    "battery_mah": 14000,
    "battery_cells": 14,
    "sprayer": {"kind": "ardupilot_sprayer"},
    "pump_max_l_min": 16.0,
}


def test_register_read_and_change_a_vehicle(api: Api) -> None:
    _, operator = api.person(Role.OPERATOR)
    created = operator.post("/vehicles", json=DRONE)
    assert created.status_code == 201, created.text
    assert created.headers["Location"] == f"/vehicles/{REG}"
    assert created.json()["tank_l"] == 20.0
    read = operator.get(f"/vehicles/{REG}")
    assert read.headers["ETag"] == created.headers["ETag"]
    changed = operator.patch(
        f"/vehicles/{REG}",
        json={"connection": "tcp:127.0.0.1:5760", "sprayer": {"kind": "none"}, "tank_l": 0},
        headers={"If-Match": read.headers["ETag"]},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["connection"] == "tcp:127.0.0.1:5760"
    assert changed.json()["sprayer"]["kind"] == "none"
    stale = operator.patch(
        f"/vehicles/{REG}", json={"notes": "late"}, headers={"If-Match": read.headers["ETag"]}
    )
    assert stale.status_code == 412
    assert operator.get(f"/vehicles/{REG}").json()["notes"] == ""
    page = operator.get("/vehicles").json()
    assert page["count"] == 1
    assert page["data"][0]["registration"] == REG


def test_bad_vehicles_are_refused_with_the_field_named(api: Api) -> None:
    _, operator = api.person(Role.OPERATOR)
    heavy = operator.post("/vehicles", json={**DRONE, "max_payload_kg": 60.0})
    assert heavy.status_code == 422
    assert heavy.headers["content-type"] == PROBLEM
    assert "max_payload_kg" in heavy.json()["detail"]
    bad_reg = operator.post("/vehicles", json={**DRONE, "registration": "X1"})
    assert bad_reg.status_code == 422
    assert operator.post("/vehicles", json=DRONE).status_code == 201
    twice = operator.post("/vehicles", json=DRONE)
    assert twice.status_code == 409
    assert twice.json()["type"] == "/problems/conflict"
    tag = operator.get(f"/vehicles/{REG}").headers["ETag"]
    refused = operator.patch(
        f"/vehicles/{REG}", json={"battery_cells": 40}, headers={"If-Match": tag}
    )
    assert refused.status_code == 422
    assert "battery_cells" in refused.json()["detail"]
    unknown = operator.patch(f"/vehicles/{REG}", json={"colour": "red"}, headers={"If-Match": tag})
    assert unknown.status_code == 422
    assert operator.get(f"/vehicles/{REG}").json()["battery_cells"] == 14
    assert operator.get("/vehicles/JU9999999999").status_code == 404


def test_flight_logs_page_filter_and_csv(api: Api) -> None:
    _, operator = api.person(Role.OPERATOR)
    assert operator.post("/vehicles", json=DRONE).status_code == 201
    for n in range(3):
        fleet_store.save_flight_log(api.engine, flight(n))
    page = operator.get("/flight-logs", params={"limit": 2}).json()
    assert page["count"] == 3
    assert len(page["data"]) == 2
    one = operator.get(f"/flight-logs/{page['data'][0]['flight_id']}")
    assert one.status_code == 200
    assert one.json()["registration"] == REG
    later = operator.get("/flight-logs", params={"date_from": "2026-06-03"}).json()
    assert later["count"] == 2
    exported = operator.get("/flight-logs.csv")
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert len(rows) == 1 + 3
    assert operator.get("/flight-logs/none").status_code == 404


def test_flight_logs_as_the_mlit_form_in_a_pdf(api: Api) -> None:
    _, operator = api.person(Role.OPERATOR)
    assert operator.post("/vehicles", json=DRONE).status_code == 201
    for n in range(3):
        fleet_store.save_flight_log(api.engine, flight(n))
    answer = operator.get("/flight-logs.pdf", params={"date_from": "2026-06-03"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    assert "flight-logs.pdf" in answer.headers["content-disposition"]
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(answer.content)).pages)
    assert "飛行日誌（飛行記録）" in text
    assert "2026/06/03〜" in text  # the chosen dates, under the title
    assert "2 件" in text  # the two flights from 3 June on, not the first
    assert text.count(REG) == 2
    _, farmer = api.person(Role.FARMER)
    assert farmer.get("/flight-logs.pdf").status_code == 403
