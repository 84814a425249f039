"""Plans and zones over HTTP: a farmer's fields planned around the registered zones."""

import json
from pathlib import Path

import pytest

from api.accounts import Role
from tests.api.conftest import Api

SPRAY = {"field_ids": ["B000", "B001"], "swath_m": 5, "rate_l_ha": 80, "tank_l": 10}


@pytest.fixture
def farm(api: Api, sample_data: Path):  # type: ignore[no-untyped-def]
    _, farmer = api.person(Role.FARMER)
    _, operator = api.person(Role.OPERATOR)
    with (sample_data / "kasai_benchmark_fields.geojson").open("rb") as handle:
        assert farmer.post("/fields/import", files={"file": ("f.geojson", handle)}).is_success
    with (sample_data / "kasai_benchmark_no_spray.geojson").open("rb") as handle:
        zones = operator.post(
            "/zones/import", files={"file": ("z.geojson", handle)}, params={"kind": "house"}
        )
    assert zones.status_code == 200, zones.text
    assert zones.json()["created"]
    return farmer, operator


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_spray_plan_as_geojson_plan_and_waypoints(api: Api, farm) -> None:  # type: ignore[no-untyped-def]
    farmer, operator = farm
    answer = farmer.post("/plans/spray", json=SPRAY)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/geo+json"
    sorties = int(answer.headers["X-Tanbo-Sorties"])
    assert sorties > 1
    legs = [f for f in answer.json()["features"] if f["properties"].get("kind") == "leg"]
    assert {leg["properties"]["action"] for leg in legs} >= {"spray", "transit"}
    assert max(leg["properties"]["sortie"] for leg in legs) == sorties
    qgc = operator.post("/plans/spray", json=SPRAY, params={"format": "plan"})
    assert qgc.json()["fileType"] == "Plan"
    assert qgc.headers["content-disposition"] == 'attachment; filename="mission.plan"'
    wpl = operator.post("/plans/spray", json=SPRAY, params={"format": "waypoints"})
    assert wpl.text.startswith("QGC WPL 110")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_zones_are_listed_and_kept_dry(api: Api, farm) -> None:  # type: ignore[no-untyped-def]
    farmer, _ = farm
    page = farmer.get("/zones").json()
    assert page["count"] >= 1
    zone = farmer.get(f"/zones/{page['data'][0]['id']}").json()
    assert zone["kind"] == "house"
    assert zone["buffer_m"] > 0
    assert farmer.get("/zones/none").status_code == 404
    plan = farmer.post("/plans/spray", json={**SPRAY, "field_ids": ["B000"]}).json()
    kept = [f for f in plan["features"] if f["properties"].get("kind") == "zone"]
    assert kept, "the zones the plan kept dry are drawn with it"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_bad_plan_requests_are_named(api: Api, farm) -> None:  # type: ignore[no-untyped-def]
    farmer, _ = farm
    high = farmer.post("/plans/spray", json={**SPRAY, "altitude_m": 200})
    assert high.status_code == 422
    assert high.json()["errors"][0]["where"] == "body.altitude_m"
    half = farmer.post("/plans/spray", json={"field_ids": ["B000"], "swath_m": 5, "tank_l": 10})
    assert half.status_code == 422
    assert "tank_l and rate_l_ha" in half.json()["detail"]
    _, stranger = api.person(Role.FARMER)
    assert stranger.post("/plans/spray", json=SPRAY).status_code == 404
    assert farmer.post("/plans/spray", json={**SPRAY, "field_ids": ["nope"]}).status_code == 404
    bad_format = farmer.post("/plans/spray", json=SPRAY, params={"format": "kml"})
    assert bad_format.status_code == 422
    assert json.loads(bad_format.text)["type"] == "/problems/invalid-request"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_survey_plan_from_a_built_in_camera_or_a_spec(api: Api, farm) -> None:  # type: ignore[no-untyped-def]
    farmer, _ = farm
    answer = farmer.post(
        "/plans/survey", json={"field_id": "B001", "camera": "DJI Mavic 3M RGB", "gsd_cm": 2}
    )
    assert answer.status_code == 200, answer.text
    doc = answer.json()
    survey = doc["tanbo"]
    assert survey["gsd_cm"] == pytest.approx(2.0, rel=0.01)
    assert survey["image_count"] >= 4
    assert survey["line_spacing_m"] > 0
    assert survey["trigger_distance_m"] > 0
    legs = [f for f in doc["features"] if f["properties"].get("kind") == "leg"]
    assert any(leg["properties"]["action"] == "survey" for leg in legs)
    spec = {
        "sensor_width_mm": 13.2, "sensor_height_mm": 8.8, "focal_length_mm": 8.8,
        "image_width_px": 5472, "image_height_px": 3648,
    }  # fmt: skip
    wpl = farmer.post(
        "/plans/survey",
        json={"field_id": "B001", "camera_spec": spec, "altitude_m": 60},
        params={"format": "waypoints"},
    )
    assert wpl.text.startswith("QGC WPL 110")
    both = farmer.post("/plans/survey", json={"field_id": "B001", "camera": "p4m"})
    assert both.status_code == 422
    assert "gsd_cm and altitude_m" in both.json()["detail"]
    unknown = farmer.post(
        "/plans/survey", json={"field_id": "B001", "camera": "no such cam", "gsd_cm": 2}
    )
    assert unknown.status_code == 422
    assert "no such cam" in unknown.json()["detail"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_survey_into_a_no_fly_zone_is_refused_naming_it(  # type: ignore[no-untyped-def]
    api: Api, farm, tmp_path: Path
) -> None:
    farmer, operator = farm
    line = {"type": "LineString", "coordinates": [[134.8300, 34.91926], [134.8310, 34.91926]]}
    wires = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": "wires"}, "geometry": line},
    ]}  # fmt: skip
    path = tmp_path / "wires.geojson"
    path.write_text(json.dumps(wires))
    with path.open("rb") as handle:
        imported = operator.post(
            "/zones/import", files={"file": ("w.geojson", handle)}, params={"kind": "power_line"}
        )
    assert imported.json()["created"] == ["wires"], imported.text
    refused = farmer.post("/plans/survey", json={"field_id": "B001", "camera": "p4m", "gsd_cm": 2})
    assert refused.status_code == 422
    assert "enters no-fly zone wires (power_line)" in refused.json()["detail"]
