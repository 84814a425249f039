"""Who may call what: every route against every role, tokens, machine clients."""

import base64
import json
import shutil
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlmodel import Session

from api import fleet_store, registry
from api.accounts import Role, issue_token, set_roles
from api.app import create_app
from api.config import load_settings
from api.scheduling import MissionKind, MissionRequest, PlanEstimate, request_mission
from core.geo import GeoPoint
from fleet import VehicleRecord
from tests.api.conftest import Api

PUBLIC = {
    ("GET", "/auth/login"),
    ("GET", "/auth/callback"),
    ("POST", "/auth/token"),
    ("POST", "/currency/webhooks"),  # signed by the platform (HMAC), not a bearer token
}
ANYONE = {Role.FARMER, Role.OPERATOR, Role.PHARMACY, Role.CITY_ADMIN}
OPEN_TO_ALL = {
    "/open-data", "/open-data/{dataset}.csv", "/open-data/{dataset}.geojson",
    "/console-settings",
}  # fmt: skip
"""MATRIX templates anyone may read without logging in (open data): 200 without a token,
where every other route answers 401."""
CREW = {Role.OPERATOR, Role.CITY_ADMIN}
INVOLVED = {Role.FARMER, *CREW}
KEEPERS = {Role.FARMER, Role.CITY_ADMIN}
MISSION = {
    "field_ids": ["B000"],
    "first_day": "2026-06-02",
    "last_day": "2026-06-03",
    "spray": {"swath_m": 5},
}

VEHICLE = {
    "registration": "SIM-AUTH",
    "model": "sim",
    "max_takeoff_weight_kg": 20.0,
    "battery_mah": 16000,
    "battery_cells": 12,
}

MAKERS = {Role.PHARMACY, Role.CITY_ADMIN}
DELIVERY = {
    "items": [{"name": "薬", "weight_kg": 0.2, "size_cm": [10, 10, 5]}],
    "recipient": {"name": "加西 花子", "phone": "0790-42-0000"},
    "drop_point_id": "none",
}
DEPOT = {"id": "AUTH-DEPOT", "name": "depot", "lat_deg": 34.9283, "lon_deg": 134.8414}
DROP_POINT = {
    "id": "AUTH-DROP",
    "name": "drop",
    "lat_deg": 34.9319,
    "lon_deg": 134.8063,
    "kind": "other",
    "releases": ["winch"],
    "clear_radius_m": 5.0,
}
STATION = {"registration": "SIM-HAVE", "depot_id": "none", "box_cm": [40, 30, 25],
           "empty_kg": 9.0, "endurance_min": 30.0}  # fmt: skip

# (method, path template, body, roles allowed). {me} is the caller's own account id.
MATRIX: list[tuple[str, str, object, set[Role]]] = [
    ("GET", "/me", None, ANYONE),
    ("GET", "/console-settings", None, ANYONE),
    ("PUT", "/me/city-data-consent", None, ANYONE),
    ("DELETE", "/me/city-data-consent", None, ANYONE),
    ("POST", "/auth/logout", None, ANYONE),
    ("GET", "/fields", None, {Role.FARMER, Role.OPERATOR, Role.CITY_ADMIN}),
    ("GET", "/fields/{field}", None, {Role.FARMER, Role.OPERATOR, Role.CITY_ADMIN}),
    ("PATCH", "/fields/{field}", {"crop": "rice"}, {Role.FARMER, Role.CITY_ADMIN}),
    ("DELETE", "/fields/{field}", None, {Role.FARMER, Role.CITY_ADMIN}),
    ("POST", "/fields/import", "upload", {Role.FARMER, Role.CITY_ADMIN}),
    (
        "POST",
        "/fields",
        {"type": "FeatureCollection", "features": []},
        {Role.FARMER, Role.CITY_ADMIN},
    ),
    ("GET", "/zones", None, ANYONE),
    ("GET", "/zones/{zone}", None, ANYONE),
    ("POST", "/zones/import", "upload", CREW),
    ("POST", "/plans/spray", {"field_ids": ["B000"], "swath_m": 5}, {Role.FARMER, *CREW}),
    ("POST", "/plans/survey", {"field_id": "B000", "camera": "p4m", "gsd_cm": 3}, INVOLVED),
    ("GET", "/vehicles", None, CREW),
    ("GET", "/fleet/status", None, CREW),
    ("POST", "/vehicles", VEHICLE, CREW),
    ("GET", "/vehicles/{vehicle}", None, CREW),
    ("PATCH", "/vehicles/{vehicle}", {"notes": "ok"}, CREW),
    ("POST", "/vehicles/{vehicle}/retire", None, CREW),
    ("GET", "/flight-logs", None, CREW),
    ("GET", "/flight-logs.csv", None, CREW),
    ("GET", "/flight-logs.pdf", None, CREW),
    ("GET", "/flight-logs/{log}", None, CREW),
    ("POST", "/missions", MISSION, {Role.FARMER}),
    ("GET", "/missions", None, INVOLVED),
    ("GET", "/missions/{mission}", None, INVOLVED),
    ("GET", "/missions/{mission}/history", None, INVOLVED),
    ("GET", "/missions/{mission}/plan", None, INVOLVED),
    ("POST", "/missions/{mission}/approve", None, CREW),
    ("POST", "/missions/{mission}/reject", {}, CREW),
    ("POST", "/missions/{mission}/abort", {}, CREW),
    ("POST", "/missions/{mission}/cancel", {}, {Role.FARMER, Role.CITY_ADMIN}),
    ("GET", "/notifications", None, ANYONE),
    ("POST", "/notifications/{notice}/read", None, ANYONE),
    ("GET", "/billing/entries", None, ANYONE),
    ("GET", "/accounts", None, {Role.CITY_ADMIN}),
    ("PUT", "/accounts/{me}/roles", {"roles": ["farmer"]}, {Role.CITY_ADMIN}),
    ("POST", "/accounts/{me}/clients", {"name": "system"}, {Role.CITY_ADMIN, Role.PHARMACY}),
    ("GET", "/paddies", None, KEEPERS),
    ("POST", "/paddies", {"id": "auth-p", "area_m2": 1000}, KEEPERS),
    ("GET", "/paddies/{paddy}", None, KEEPERS),
    ("PATCH", "/paddies/{paddy}", {"variety": "山田錦"}, KEEPERS),
    ("GET", "/paddies/{paddy}/readings", None, KEEPERS),
    ("GET", "/paddies/{paddy}/state", None, KEEPERS),
    ("GET", "/paddies/{paddy}/targets", None, KEEPERS),
    ("GET", "/paddies/{paddy}/events", None, KEEPERS),
    ("POST", "/paddies/{paddy}/overrides", {"action": "close", "minutes": 10}, KEEPERS),
    ("GET", "/paddies/{paddy}/overrides", None, KEEPERS),
    ("DELETE", "/paddies/{paddy}/overrides/{override}", None, KEEPERS),
    ("GET", "/water-devices", None, KEEPERS),
    ("POST", "/water-devices", {"id": "auth-d", "kind": "sensor", "paddy_id": "none"}, KEEPERS),
    ("GET", "/water-devices/{device}", None, KEEPERS),
    ("DELETE", "/water-devices/{device}", None, KEEPERS),
    ("POST", "/readings", [], KEEPERS),
    ("POST", "/readings/lorawan", {"end_device_ids": {}}, KEEPERS),
    ("GET", "/water-warnings", None, KEEPERS),
    ("POST", "/water-warnings", {"hours": 2}, {Role.CITY_ADMIN}),
    ("DELETE", "/water-warnings/{warning}", None, {Role.CITY_ADMIN}),
    ("POST", "/images", "upload", KEEPERS),
    ("GET", "/images", None, KEEPERS),
    ("GET", "/images/{image}", None, KEEPERS),
    ("DELETE", "/images/{image}", None, KEEPERS),
    ("GET", "/fields/{field}/indices", None, KEEPERS),
    ("GET", "/fields/{field}/indices/series", None, KEEPERS),
    ("GET", "/fields/{field}/indices/grid", None, KEEPERS),
    ("GET", "/fields/{field}/zones", None, KEEPERS),
    ("GET", "/fields/{field}/forecast?transplanted=2026-05-10", None, KEEPERS),
    ("GET", "/fields/{field}/forecast?transplanted=2026-05-10&zones=2", None, KEEPERS),
    (
        "GET",
        "/fields/{field}/forecast?transplanted=2026-05-10&prescription={prescription}",
        None,
        KEEPERS,
    ),
    ("POST", "/prescriptions", {"field_id": "B000", "image_id": "none"}, KEEPERS),
    ("GET", "/prescriptions", None, INVOLVED),
    ("GET", "/prescriptions/{prescription}", None, INVOLVED),
    ("GET", "/prescriptions/{prescription}/file", None, INVOLVED),
    ("POST", "/deliveries", DELIVERY, MAKERS),
    ("GET", "/deliveries", None, ANYONE),
    ("POST", "/deliveries/dispatch", None, CREW),
    ("GET", "/deliveries/{delivery}", None, ANYONE),
    ("GET", "/deliveries/{delivery}/timeline", None, ANYONE),
    ("GET", "/deliveries/{delivery}/temperature", None, ANYONE),
    ("GET", "/deliveries/{delivery}/position", None, ANYONE),
    ("POST", "/deliveries/{delivery}/cancel", {}, {Role.PHARMACY, *CREW}),
    ("POST", "/deliveries/{delivery}/recall", {}, {Role.PHARMACY, *CREW}),
    ("POST", "/deliveries/{delivery}/confirm", {"code": "123456"}, ANYONE),
    ("GET", "/depots", None, ANYONE),
    ("POST", "/depots", DEPOT, {Role.CITY_ADMIN}),
    ("GET", "/drop-points", None, ANYONE),
    ("GET", "/drop-points/{drop}", None, ANYONE),
    ("POST", "/drop-points", DROP_POINT, {Role.CITY_ADMIN}),
    ("GET", "/delivery-vehicles", None, ANYONE),
    ("POST", "/delivery-vehicles", STATION, CREW),
    ("GET", "/city/dashboard", None, {Role.CITY_ADMIN}),
    ("GET", "/city/dashboard?from=2026-04&to=2026-06", None, {Role.CITY_ADMIN}),
    ("GET", "/open-data", None, ANYONE),
    ("GET", "/open-data/{dataset}.csv", None, ANYONE),
    ("GET", "/open-data/{dataset}.geojson", None, ANYONE),
]


def test_every_route_has_an_authorisation_case(tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = create_app(load_settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path}/x.db"))
    # From the OpenAPI document: this FastAPI nests included routers, so app.routes no
    # longer lists their APIRoutes (and the check would pass with nothing to check).
    routes = {
        (method.upper(), path) for path, item in app.openapi()["paths"].items() for method in item
    }
    assert len(routes) >= 35, "no routes found: the check would be vacuous"
    covered = {(m, p.replace("{me}", "{account_id}").split("?")[0]) for m, p, _, _ in MATRIX}
    covered |= PUBLIC
    named = {
        (
            m,
            p.replace("{field}", "{field_id}")
            .replace("{vehicle}", "{registration}")
            .replace("{log}", "{flight_id}")
            .replace("{zone}", "{zone_id}")
            .replace("{mission}", "{mission_id}")
            .replace("{notice}", "{notification_id}")
            .replace("{paddy}", "{paddy_id}")
            .replace("{override}", "{override_id}")
            .replace("{device}", "{device_id}")
            .replace("{warning}", "{warning_id}")
            .replace("{image}", "{image_id}")
            .replace("{prescription}", "{prescription_id}")
            .replace("{delivery}", "{delivery_id}")
            .replace("{drop}", "{drop_point_id}")
            .replace("{dataset}", "{dataset_id}"),
        )
        for m, p in covered
    }
    assert routes - named == set(), "routes without an authorisation case"


def _call(
    client: httpx.Client, method: str, path: str, body: object, sample: bytes
) -> httpx.Response:
    if body == "upload":
        return client.post(path, files={"file": ("f.geojson", sample)})
    headers = {"If-Match": "*"} if method in {"PATCH", "DELETE"} else {}
    return client.request(method, path, json=body, headers=headers)


def _one_field(sample_data: Path) -> bytes:
    collection = json.loads((sample_data / "kasai_benchmark_fields.geojson").read_text())
    collection["features"] = collection["features"][:1]
    return json.dumps(collection).encode()


def _reset(api: Api) -> None:
    """No field, one vehicle: each role starts from the same state."""
    with Session(api.engine) as session:
        for table in ("notification", "mission_status_change", "mission_booking", "mission"):
            session.execute(text(f"DELETE FROM {table}"))
        session.commit()
    registry.delete_fields(api.engine, [f.id for f in registry.list_fields(api.engine)])
    for vehicle in fleet_store.list_vehicles(api.engine, include_retired=True):
        fleet_store.remove_vehicle(api.engine, vehicle.registration)
    fleet_store.add_vehicle(api.engine, VehicleRecord(**{**VEHICLE, "registration": "SIM-HAVE"}))


def _mission_of(api: Api, owner: str) -> int:
    """A requested mission of ``owner``'s field B000."""
    request = MissionRequest(
        kind=MissionKind.SPRAY,
        field_ids=("B000",),
        window_start=api.clock.now(),
        window_end=api.clock.now() + timedelta(days=2),
        estimate=PlanEstimate(sorties=1, flight_time_s=600.0),
        place=GeoPoint(lat_deg=34.93, lon_deg=134.84),
    )
    return request_mission(api.engine, request, owner=owner, clock=api.clock).id


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # roles, not storage
@pytest.mark.parametrize(("method", "template", "body", "allowed"), MATRIX)
def test_route_answers_by_role(api: Api, sample_data, method, template, body, allowed) -> None:  # type: ignore[no-untyped-def]
    sample = _one_field(sample_data)
    for role in sorted(Role):
        _reset(api)
        me, client = api.person(role, name=f"as {role}")
        # A farmer or staff acts on their own field; the others on a farmer's.
        if role in {Role.FARMER, Role.CITY_ADMIN}:
            owner_id, owner = me, client
        else:
            owner_id, owner = api.person(Role.FARMER)
        imported = owner.post("/fields/import", files={"file": ("f.geojson", sample)})
        assert imported.status_code == 200
        path = template.format(
            me=me,
            field="B000",
            vehicle="SIM-HAVE",
            log="none",
            zone="none",
            mission=_mission_of(api, owner_id),
            notice=0,
            paddy="none",
            override=1,
            device="none",
            warning=1,
            image="none",
            prescription="none",
            delivery="none",
            drop="none",
            dataset="activity-by-district-month",
        )
        answer = _call(client, method, path, body, sample)
        if role in allowed:
            assert answer.status_code not in (401, 403), (role, answer.text)
            assert answer.status_code < 500, (role, answer.text)
        else:
            assert answer.status_code == 403, (role, answer.text)
            assert answer.headers["content-type"] == "application/problem+json"
        anonymous = _call(api.client(), method, path, body, sample).status_code
        assert anonymous == (200 if template in OPEN_TO_ALL else 401), (template, anonymous)


def test_tokens_expire_and_revoke(api: Api) -> None:
    me, _ = api.person(Role.FARMER)
    client = api.client(issue_token(api.engine, me, clock=api.clock).access_token)
    assert client.get("/me").json()["id"] == me
    api.clock.advance(timedelta(hours=8, seconds=1).total_seconds())
    expired = client.get("/me")
    assert expired.status_code == 401
    assert expired.headers["www-authenticate"].startswith("Bearer")
    fresh = api.client(issue_token(api.engine, me, clock=api.clock).access_token)
    assert fresh.post("/auth/logout").status_code == 204
    assert fresh.get("/me").status_code == 401


def test_a_disabled_account_is_shut_out(api: Api) -> None:
    me, client = api.person(Role.FARMER)
    set_roles(api.engine, me, [Role.FARMER], disabled=True)
    assert client.get("/me").status_code == 401


def test_malformed_authorization_is_401(api: Api) -> None:
    for header in ("Bearer", "Basic abc", "Bearer not-a-token", "token"):
        answer = httpx.get(f"{api.base_url}/me", headers={"Authorization": header})
        assert answer.status_code == 401, header


def test_pharmacy_system_uses_client_credentials(api: Api) -> None:
    pharmacy_id, pharmacy = api.person(Role.PHARMACY, name="加西薬局")
    _, other_pharmacy = api.person(Role.PHARMACY)
    created = pharmacy.post(f"/accounts/{pharmacy_id}/clients", json={"name": "POS"})
    assert created.status_code == 201
    creds = created.json()
    assert (
        other_pharmacy.post(f"/accounts/{pharmacy_id}/clients", json={"name": "x"}).status_code
        == 403
    )
    anonymous = api.client()
    by_form = anonymous.post(
        "/auth/token",
        data={"grant_type": "client_credentials", **creds},
    )
    assert by_form.status_code == 200, by_form.text
    assert by_form.json()["token_type"] == "Bearer"
    assert by_form.json()["expires_in"] == 3600
    basic = base64.b64encode(f"{creds['client_id']}:{creds['client_secret']}".encode()).decode()
    by_basic = anonymous.post(
        "/auth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert by_basic.status_code == 200
    machine = api.client(by_basic.json()["access_token"])
    assert machine.get("/me").json()["id"] == pharmacy_id
    # A machine cannot mint further clients, and a wrong secret gets nothing.
    assert machine.post(f"/accounts/{pharmacy_id}/clients", json={"name": "y"}).status_code == 403
    wrong = anonymous.post(
        "/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": creds["client_id"],
            "client_secret": "x",
        },
    )
    assert wrong.status_code == 401
    assert wrong.headers["content-type"] == "application/problem+json"
    other_grant = anonymous.post("/auth/token", data={"grant_type": "password", **creds})
    assert other_grant.status_code == 422
    assert other_grant.json()["errors"][0]["where"] == "body.grant_type"


def test_staff_set_roles(api: Api) -> None:
    me, farmer = api.person(Role.FARMER)
    _, staff = api.person(Role.CITY_ADMIN)
    page = staff.get("/accounts", params={"role": "farmer"}).json()
    assert [a["id"] for a in page["data"]] == [me]
    changed = staff.put(f"/accounts/{me}/roles", json={"roles": ["farmer", "operator"]})
    assert changed.json()["roles"] == ["farmer", "operator"]
    assert farmer.get("/vehicles").status_code == 200
    assert staff.put("/accounts/nobody/roles", json={"roles": []}).status_code == 404
    assert staff.put(f"/accounts/{me}/roles", json={"roles": ["pilot"]}).status_code == 422


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_database_gone_is_a_503_not_a_leak(api: Api) -> None:
    _, farmer = api.person(Role.FARMER)
    database = Path(str(api.engine.url.database))
    api.engine.dispose()
    shutil.rmtree(database.parent)  # nothing to reopen: every query now fails
    answer = farmer.get("/me")
    assert answer.status_code == 503
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["detail"] == "the database cannot be reached; try again shortly"
    assert str(database) not in answer.text
