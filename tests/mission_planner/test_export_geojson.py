"""The GeoJSON export and its leg contract (features of kind "leg": LineStrings in flight order)."""

import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import shapely
from shapely import LineString, box
from shapely.geometry.base import BaseGeometry

from fields import to_wgs84
from mission_planner.build import build_mission
from mission_planner.export import COORDINATE_DECIMALS, to_geojson
from mission_planner.plan import FlightPlan
from tests.mission_planner import flight_plans as fp

ACTIONS = {"spray", "transit", "survey", "deliver"}
KINDS = {"leg", "field", "zone", "waypoint", "fence", "home", "rally"}


@dataclass(frozen=True)
class Zone:
    """What the planners hold for a zone (like ``mission_planner.safety.LocalZone``)."""

    id: str
    kind: str
    restriction: str
    shape: BaseGeometry
    buffered: BaseGeometry


@pytest.fixture(params=["two_sortie_spray", "variable_rate_spray", "survey", "delivery"])
def plan(request: pytest.FixtureRequest) -> FlightPlan:
    result: FlightPlan = getattr(fp, request.param)()
    return result


def _legs(collection: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in collection["features"] if f["properties"]["kind"] == "leg"]


def test_is_a_feature_collection_of_known_kinds(plan: FlightPlan) -> None:
    collection = to_geojson(plan)
    assert collection["type"] == "FeatureCollection"
    for feature in collection["features"]:
        assert feature["type"] == "Feature"
        assert feature["properties"]["kind"] in KINDS


def test_legs_come_first_in_flight_order_with_the_contract_properties(plan: FlightPlan) -> None:
    collection = to_geojson(plan)
    features = collection["features"]
    legs = features[: len(plan.legs)]
    assert legs == _legs(collection)
    for index, (feature, leg) in enumerate(zip(legs, plan.legs, strict=True)):
        properties = feature["properties"]
        assert feature["geometry"]["type"] == "LineString"
        assert type(properties["sortie"]) is int
        assert properties["sortie"] == leg.sortie >= 1
        assert properties["action"] in ACTIONS
        assert properties["action"] == leg.action.value
        assert properties["altitude_m"] == leg.altitude_m
        assert properties["index"] == index
        expected = shapely.get_coordinates(to_wgs84(LineString(leg.path), plan.crs))
        written = feature["geometry"]["coordinates"]
        assert len(written) == len(expected)
        for (lon, lat), (x, y) in zip(written, expected, strict=True):
            assert abs(lon - x) <= 10**-COORDINATE_DECIMALS
            assert abs(lat - y) <= 10**-COORDINATE_DECIMALS


def test_legs_join_end_to_start(plan: FlightPlan) -> None:
    legs = _legs(to_geojson(plan))
    for before, after in itertools.pairwise(legs):
        assert before["geometry"]["coordinates"][-1] == after["geometry"]["coordinates"][0]


def test_coordinates_are_longitude_then_latitude(plan: FlightPlan) -> None:
    home = next(f for f in to_geojson(plan)["features"] if f["properties"]["kind"] == "home")
    lon, lat = home["geometry"]["coordinates"]
    assert (lon, lat) == pytest.approx((134.8414, 34.9283), abs=1e-7)


def test_is_strict_json_that_reads_back_equal(plan: FlightPlan, tmp_path: Path) -> None:
    collection = to_geojson(plan)
    path = tmp_path / "plan.geojson"
    path.write_text(json.dumps(collection, allow_nan=False))
    assert json.loads(path.read_text()) == collection


def test_sorties_are_numbered_from_one() -> None:
    sorties = [f["properties"]["sortie"] for f in _legs(to_geojson(fp.two_sortie_spray()))]
    assert sorties == [1, 1, 1, 1, 1, 2, 2, 2]


def test_other_features_follow_the_legs() -> None:
    plan = fp.two_sortie_spray()
    field = box(*fp.at(5, -5), *fp.at(25, 55))
    shed = box(*fp.at(12, 20), *fp.at(14, 22))
    zone = Zone("z1", "house", "no_spray", shed, shed.buffer(3.0))
    collection = to_geojson(plan, field=field, zones=[zone])
    kinds = [f["properties"]["kind"] for f in collection["features"]]
    first_other = kinds.index("field")
    assert set(kinds[:first_other]) == {"leg"}
    assert "leg" not in kinds[first_other:]
    assert kinds.count("zone") == 2
    zones = [f for f in collection["features"] if f["properties"]["kind"] == "zone"]
    assert [z["properties"]["buffered"] for z in zones] == [False, True]
    assert zones[0]["properties"] | {"buffered": None} == {
        "kind": "zone",
        "id": "z1",
        "zone_kind": "house",
        "restriction": "no_spray",
        "buffered": None,
    }
    assert kinds.count("fence") == 1
    assert kinds.count("home") == 1
    assert kinds.count("rally") == len(plan.rally)


def test_waypoints_are_the_missions_positioned_items() -> None:
    plan = fp.delivery()
    mission = build_mission(plan)
    waypoints = [
        f
        for f in to_geojson(plan, mission=mission)["features"]
        if f["properties"]["kind"] == "waypoint"
    ]
    placed = [(seq, i) for seq, i in enumerate(mission.items, 1) if i.command.has_position]
    assert [w["properties"]["seq"] for w in waypoints] == [seq for seq, _ in placed]
    first = waypoints[0]
    assert first["properties"]["command"] == "NAV_TAKEOFF"
    assert first["geometry"]["coordinates"] == pytest.approx(
        [mission.items[0].lon_deg, mission.items[0].lat_deg], abs=1e-8
    )


def test_variable_rate_legs_carry_their_rate_and_the_plan_its_product() -> None:
    plan = fp.variable_rate_spray()
    collection = to_geojson(plan)
    legs = _legs(collection)
    rates = [(f["properties"].get("rate_l_ha"), f["properties"].get("rate_zone")) for f in legs]
    assert rates == [
        (None, None), (10.0, "low"), (20.0, "high"), (None, None),
        (None, None), (20.0, "high"), (None, None),
    ]  # fmt: skip
    assert [f["properties"].get("pump_pwm_us") for f in legs if "rate_l_ha" in f["properties"]] == [
        1300,
        1500,
        1500,
    ]
    tanbo = collection["tanbo"]
    # 25 m × 0.005 L/m at 10 L/ha, then 15 m and 10 m × 0.01 L/m at 20 L/ha
    assert tanbo["product_by_zone_l"] == {"low": 0.125, "high": 0.25}
    assert tanbo["product_total_l"] == 0.375
    assert "rate_l_ha" not in tanbo


def test_constant_rate_legs_keep_the_contract_properties_only() -> None:
    for feature in _legs(to_geojson(fp.two_sortie_spray())):
        assert set(feature["properties"]) == {
            "kind", "index", "sortie", "action", "altitude_m", "speed_m_s", "length_m",
        }  # fmt: skip
