"""QGroundControl .plan files: what Tanbo writes, and reading what QGroundControl wrote."""

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given

from core import GeoPoint
from mission_planner.build import build_mission
from mission_planner.errors import InvalidMission, InvalidMissionItem, UnreadableMissionFile
from mission_planner.export import read_qgc_plan, to_qgc_plan
from mission_planner.model import Command, Fence, Frame, Mission, MissionItem
from tests.mission_planner import flight_plans as fp

DATA = Path(__file__).parent / "data"


def _text(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=4, allow_nan=False)


def _copter_plan() -> dict[str, Any]:
    document: dict[str, Any] = json.loads((DATA / "qgc_ardupilot_copter.plan").read_text())
    return document


@pytest.fixture(
    params=["two_sortie_spray", "survey", "delivery"],
)
def mission(request: pytest.FixtureRequest) -> Mission:
    return build_mission(getattr(fp, request.param)())


def test_plan_has_qgroundcontrols_top_level_shape(mission: Mission) -> None:
    plan = to_qgc_plan(mission)
    assert (plan["fileType"], plan["version"], plan["groundStation"]) == (
        "Plan",
        1,
        "QGroundControl",
    )
    body = plan["mission"]
    assert (body["version"], body["firmwareType"], body["vehicleType"]) == (2, 3, 2)
    assert body["plannedHomePosition"] == [mission.home.lat_deg, mission.home.lon_deg, 0.0]
    assert body["cruiseSpeed"] > 0
    assert body["hoverSpeed"] > 0
    assert plan["geoFence"]["version"] == 2
    assert plan["geoFence"]["circles"] == []
    assert plan["rallyPoints"]["version"] == 2
    assert list(plan) == sorted(plan)


def test_items_are_simple_items_numbered_from_one(mission: Mission) -> None:
    items = to_qgc_plan(mission)["mission"]["items"]
    assert len(items) == len(mission.items)
    for jump_id, (written, item) in enumerate(zip(items, mission.items, strict=True), 1):
        assert written["type"] == "SimpleItem"
        assert written["doJumpId"] == jump_id
        assert (written["command"], written["frame"]) == (item.command, item.frame)
        assert written["autoContinue"] is True
        assert len(written["params"]) == 7
        assert written["params"][4:] == [item.lat_deg, item.lon_deg, item.alt_m]
        if item.command.has_position:
            assert written["AltitudeMode"] == 1
            assert written["Altitude"] == item.alt_m
            assert written["AMSLAltAboveTerrain"] is None
        else:
            assert "Altitude" not in written


def test_unset_yaw_is_null_where_qgroundcontrol_writes_null() -> None:
    items = to_qgc_plan(build_mission(fp.two_sortie_spray()))["mission"]["items"]
    for written in items:
        if written["command"] in (16, 21, 22):
            assert written["params"][3] is None
        else:
            assert written["params"][3] is not None


def test_hover_speed_is_the_first_speed_set() -> None:
    assert to_qgc_plan(build_mission(fp.survey()))["mission"]["hoverSpeed"] == 6.0


def test_fence_and_rally_are_written() -> None:
    mission = build_mission(fp.delivery())
    plan = to_qgc_plan(mission)
    (polygon,) = plan["geoFence"]["polygons"]
    assert polygon["inclusion"] is True
    assert polygon["version"] == 1
    assert polygon["polygon"] == [[p.lat_deg, p.lon_deg] for p in mission.fence.inclusion[0]]
    home = mission.home
    assert plan["rallyPoints"]["points"] == [[home.lat_deg, home.lon_deg, 30.0]]


def test_written_plan_is_strict_json(mission: Mission, tmp_path: Path) -> None:
    path = tmp_path / "field.plan"
    path.write_text(json.dumps(to_qgc_plan(mission), indent=4, allow_nan=False))
    text = path.read_text()
    assert "NaN" not in text
    assert "Infinity" not in text
    assert json.loads(text)["fileType"] == "Plan"


def test_round_trip_gives_the_same_mission(mission: Mission) -> None:
    assert read_qgc_plan(_text(to_qgc_plan(mission))) == mission


def test_round_trip_keeps_exclusions_home_altitude_and_odd_values() -> None:
    home = GeoPoint(lat_deg=34.9283, lon_deg=134.8414)
    offsets = ((0.0, 0.0), (0.001, 0.0), (0.0, 0.001))
    ring = tuple(GeoPoint(lat_deg=34.93 + dy, lon_deg=134.84 + dx) for dx, dy in offsets)
    items = (
        MissionItem(command=Command.NAV_TAKEOFF, frame=Frame.GLOBAL_RELATIVE_ALT, alt_m=12.0),
        MissionItem(
            command=Command.NAV_WAYPOINT,
            frame=Frame.GLOBAL,
            param1=3.0,
            param4=90.0,
            lat_deg=34.92912345678,
            lon_deg=134.8423456789,
            alt_m=120.0,
            autocontinue=False,
        ),
        MissionItem(command=Command.DO_SET_SERVO, frame=Frame.MISSION, param1=9, param2=1500),
    )
    mission = Mission(
        home=home, items=items, fence=Fence(inclusion=(ring,), exclusion=(ring,)), home_amsl_m=45.5
    )
    plan = to_qgc_plan(mission)
    assert plan["mission"]["items"][1]["AltitudeMode"] == 2
    assert plan["mission"]["items"][1]["params"][3] == 90.0
    assert [p["inclusion"] for p in plan["geoFence"]["polygons"]] == [True, False]
    assert read_qgc_plan(_text(plan)) == mission


@given(fp.missions())
def test_any_mission_survives_the_round_trip_as_strict_json(mission: Mission) -> None:
    assert read_qgc_plan(_text(to_qgc_plan(mission))) == mission


# Real QGroundControl files (see data/README.md)


def test_reads_a_real_qgroundcontrol_plan() -> None:
    mission = read_qgc_plan((DATA / "qgc_simple_square.plan").read_text())
    assert mission.home == GeoPoint(lat_deg=47.397742, lon_deg=8.545594)
    assert mission.home_amsl_m == 488.0
    assert [i.command for i in mission.items] == [Command.NAV_TAKEOFF] + [Command.NAV_WAYPOINT] * 4
    assert {i.frame for i in mission.items} == {Frame.GLOBAL_RELATIVE_ALT}
    assert {i.alt_m for i in mission.items} == {20.0}
    assert {i.param4 for i in mission.items} == {0.0}  # QGroundControl's null yaw
    second = mission.items[1]
    assert (second.lat_deg, second.lon_deg) == (47.398742, 8.546594)
    assert mission.fence.is_empty
    assert mission.rally == ()


def test_reads_the_older_coordinate_form() -> None:
    mission = read_qgc_plan((DATA / "qgc_section_test.plan").read_text())
    assert mission.home == GeoPoint(lat_deg=47.633389756176875, lon_deg=-122.09076300000001)
    assert [i.command for i in mission.items] == [
        Command.NAV_TAKEOFF,
        Command.NAV_WAYPOINT,
        Command.NAV_WAYPOINT,
        Command.DO_MOUNT_CONTROL,
        Command.NAV_WAYPOINT,
    ]
    assert (mission.items[1].lat_deg, mission.items[1].lon_deg, mission.items[1].alt_m) == (
        47.63369112,
        -122.08925023,
        20.0,
    )
    assert mission.items[3].alt_m == 2.0  # the mount mode, not an altitude
    assert mission.fence.is_empty


def test_a_null_terrain_altitude_is_refused_naming_the_item() -> None:
    text = (DATA / "qgc_ardupilot_copter.plan").read_text()
    with pytest.raises(UnreadableMissionFile, match=r"mission\.items\[5\]: alt_m is null"):
        read_qgc_plan(text)


def test_reads_an_ardupilot_copter_plan_once_its_altitudes_are_known() -> None:
    document = _copter_plan()
    document["mission"]["items"][5]["params"][6] = 664.0  # 80 m above home, AMSL
    mission = read_qgc_plan(_text(document))
    assert mission.home_amsl_m == 584.0
    assert [(i.command, i.frame) for i in mission.items] == [
        (Command.NAV_TAKEOFF, Frame.GLOBAL_RELATIVE_ALT),
        (Command.NAV_WAYPOINT, Frame.GLOBAL_RELATIVE_ALT),
        (Command.DO_CHANGE_SPEED, Frame.MISSION),
        (Command.NAV_WAYPOINT, Frame.GLOBAL),
        (Command.DO_SET_ROI, Frame.GLOBAL_RELATIVE_ALT),
        (Command.NAV_WAYPOINT, Frame.GLOBAL),
        (Command.NAV_LOITER_TIME, Frame.GLOBAL_RELATIVE_ALT),
        (Command.NAV_WAYPOINT, Frame.GLOBAL_TERRAIN_ALT),
        (Command.NAV_SPLINE_WAYPOINT, Frame.GLOBAL_RELATIVE_ALT),
        (Command.NAV_WAYPOINT, Frame.GLOBAL_RELATIVE_ALT),
        (Command.NAV_LAND, Frame.GLOBAL_RELATIVE_ALT),
    ]
    speed, loiter = mission.items[2], mission.items[6]
    assert (speed.param1, speed.param2, speed.param3) == (1.0, 10.0, -1.0)
    assert (loiter.param1, loiter.param3, loiter.alt_m) == (30.0, 50.0, 100.0)


def test_sea_level_items_above_the_cap_over_home_are_refused_by_place() -> None:
    document = _copter_plan()
    document["mission"]["items"][5]["params"][6] = 664.0
    document["mission"]["plannedHomePosition"][2] = 500.0  # item 3 is then 234 m over home
    with pytest.raises(InvalidMissionItem, match=r"item 3 \(seq 4\), mission\.items\[3\]: alt_m"):
        read_qgc_plan(_text(document))


def _survey(items: list[dict[str, Any]] | None) -> dict[str, Any]:
    transect: dict[str, Any] = {
        "CameraCalc": {"version": 1},
        "TurnAroundDistance": 10,
        "version": 1,
    }
    if items is not None:
        transect["Items"] = items
    return {
        "TransectStyleComplexItem": transect,
        "angle": 0,
        "complexItemType": "survey",
        "entryLocation": 0,
        "flyAlternateTransects": False,
        "polygon": [[34.93, 134.84], [34.93, 134.842], [34.931, 134.842]],
        "type": "ComplexItem",
        "version": 4,
    }


def _plan_with(*items: dict[str, Any]) -> str:
    document = to_qgc_plan(build_mission(fp.survey()))
    document["mission"]["items"] = list(items)
    return _text(document)


def test_survey_complex_items_are_read_through_their_expanded_items() -> None:
    written = to_qgc_plan(build_mission(fp.survey()))["mission"]["items"]
    takeoff, expanded = written[0], written[1:]
    mission = read_qgc_plan(_plan_with(takeoff, _survey(copy.deepcopy(expanded))))
    assert mission == build_mission(fp.survey())


@pytest.mark.parametrize("items", [None, []])
def test_a_complex_item_without_expanded_items_is_refused_by_name(
    items: list[dict[str, Any]] | None,
) -> None:
    takeoff = to_qgc_plan(build_mission(fp.survey()))["mission"]["items"][0]
    with pytest.raises(UnreadableMissionFile, match=r"mission\.items\[1\]: the 'survey' complex"):
        read_qgc_plan(_plan_with(takeoff, _survey(items)))


def test_a_structure_scan_is_refused_by_name() -> None:
    scan = {"complexItemType": "StructureScan", "type": "ComplexItem", "version": 2}
    with pytest.raises(UnreadableMissionFile, match=r"items\[0\]: the 'StructureScan'"):
        read_qgc_plan(_plan_with(scan))


def test_an_unknown_command_is_refused_naming_the_item() -> None:
    document = to_qgc_plan(build_mission(fp.survey()))
    document["mission"]["items"][2]["command"] = 177  # DO_JUMP
    with pytest.raises(UnreadableMissionFile, match=r"mission\.items\[2\]: command 177"):
        read_qgc_plan(_text(document))


def test_an_item_above_the_cap_names_index_and_place() -> None:
    document = to_qgc_plan(build_mission(fp.survey()))
    document["mission"]["items"][3]["params"][6] = 151.0
    with pytest.raises(InvalidMissionItem, match=r"item 3 \(seq 4\), mission\.items\[3\]: alt_m"):
        read_qgc_plan(_text(document))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not JSON"),
        ("[]", "fileType"),
        ('{"fileType": "Plan", "version": 2}', "plan file version 2"),
        ('{"fileType": "Plan", "version": 1}', "mission is missing"),
    ],
)
def test_what_is_not_a_plan_is_refused(text: str, message: str) -> None:
    with pytest.raises(UnreadableMissionFile, match=message):
        read_qgc_plan(text)


def test_circular_fences_are_refused() -> None:
    document = to_qgc_plan(build_mission(fp.survey()))
    circle = {"circle": {"center": [34.93, 134.84], "radius": 50}, "inclusion": True, "version": 1}
    document["geoFence"]["circles"] = [circle]
    with pytest.raises(UnreadableMissionFile, match="circular fences"):
        read_qgc_plan(_text(document))


def test_a_fence_polygon_of_two_vertices_is_refused_by_place() -> None:
    document = to_qgc_plan(build_mission(fp.survey()))
    document["geoFence"]["polygons"][0]["polygon"] = [[34.93, 134.84], [34.931, 134.84]]
    with pytest.raises(InvalidMission, match=r"geoFence\.polygons\[0\]"):
        read_qgc_plan(_text(document))


def test_a_rally_point_above_the_cap_is_refused_by_place() -> None:
    document = to_qgc_plan(build_mission(fp.survey()))
    document["rallyPoints"]["points"][0][2] = 200.0
    with pytest.raises(InvalidMission, match=r"rallyPoints\.points\[0\]"):
        read_qgc_plan(_text(document))
