"""The mission model: MAVLink numbers pinned to pymavlink's, items and missions validated."""

import dataclasses
import subprocess
import sys

import pytest
from pymavlink import mavutil

from core import GeoPoint
from mission_planner.errors import InvalidMission, InvalidMissionItem
from mission_planner.model import (
    MAX_ALTITUDE_M,
    Command,
    Fence,
    Frame,
    Mission,
    MissionItem,
    MissionType,
    RallyPoint,
)

MAVLINK = mavutil.mavlink
KASAI = GeoPoint(lat_deg=34.9283, lon_deg=134.8414)


def _waypoint(**fields: object) -> MissionItem:
    values: dict[str, object] = {
        "command": Command.NAV_WAYPOINT,
        "frame": Frame.GLOBAL_RELATIVE_ALT,
        "lat_deg": KASAI.lat_deg,
        "lon_deg": KASAI.lon_deg,
        "alt_m": 5.0,
    }
    values.update(fields)
    return MissionItem(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize("command", list(Command), ids=lambda c: c.name)
def test_every_command_is_pymavlinks(command: Command) -> None:
    assert command.value == getattr(MAVLINK, f"MAV_CMD_{command.name}")


@pytest.mark.parametrize("frame", list(Frame), ids=lambda f: f.name)
def test_every_frame_is_pymavlinks(frame: Frame) -> None:
    assert frame.value == getattr(MAVLINK, f"MAV_FRAME_{frame.name}")


@pytest.mark.parametrize("mission_type", list(MissionType), ids=lambda t: t.name)
def test_every_mission_type_is_pymavlinks(mission_type: MissionType) -> None:
    assert mission_type.value == getattr(MAVLINK, f"MAV_MISSION_TYPE_{mission_type.name}")


def test_commands_the_builder_needs_are_there() -> None:
    needed = {
        "NAV_WAYPOINT": 16,
        "NAV_LOITER_TIME": 19,
        "NAV_RETURN_TO_LAUNCH": 20,
        "NAV_LAND": 21,
        "NAV_TAKEOFF": 22,
        "DO_CHANGE_SPEED": 178,
        "DO_SET_SERVO": 183,
        "DO_SET_CAM_TRIGG_DIST": 206,
        "DO_GRIPPER": 211,
        "DO_SPRAYER": 216,
        "DO_WINCH": 42600,
        "NAV_FENCE_POLYGON_VERTEX_INCLUSION": 5001,
        "NAV_FENCE_POLYGON_VERTEX_EXCLUSION": 5002,
        "NAV_RALLY_POINT": 5100,
    }
    assert {name: Command[name].value for name in needed} == needed


def test_the_pure_layer_never_imports_pymavlink() -> None:
    code = (
        "import sys, mission_planner, mission_planner.build, mission_planner.export;"
        "assert 'pymavlink' not in sys.modules, 'pymavlink was imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_nav_and_position_flags() -> None:
    assert Command.NAV_TAKEOFF.is_nav
    assert not Command.DO_SPRAYER.is_nav
    assert Command.NAV_WAYPOINT.has_position
    assert not Command.NAV_RETURN_TO_LAUNCH.has_position
    assert Command.NAV_RALLY_POINT.is_fence_or_rally
    assert not Command.DO_WINCH.is_fence_or_rally


def test_item_is_frozen_and_keyword_only() -> None:
    item = _waypoint()
    with pytest.raises(dataclasses.FrozenInstanceError):
        item.alt_m = 10.0  # type: ignore[misc]
    with pytest.raises(TypeError):
        MissionItem(Command.NAV_WAYPOINT, Frame.MISSION)  # type: ignore[call-arg]


def test_numbers_are_stored_as_floats() -> None:
    item = _waypoint(alt_m=5, param1=2)
    assert type(item.alt_m) is float
    assert type(item.param1) is float


def test_altitude_above_cap_is_refused_naming_the_field() -> None:
    with pytest.raises(InvalidMissionItem, match=r"alt_m 150\.5 m is above the 150 m cap") as info:
        _waypoint(alt_m=150.5)
    assert info.value.field == "alt_m"
    assert _waypoint(alt_m=MAX_ALTITUDE_M).alt_m == 150.0


def test_cap_applies_to_terrain_frames_too() -> None:
    with pytest.raises(InvalidMissionItem, match="alt_m"):
        _waypoint(frame=Frame.GLOBAL_TERRAIN_ALT, alt_m=151.0)


def test_sea_level_altitudes_are_checked_against_home_in_the_mission() -> None:
    item = _waypoint(frame=Frame.GLOBAL, alt_m=230.0)  # fine alone: home is not known here
    assert Mission(home=KASAI, items=(item,), home_amsl_m=80.0).items == (item,)
    with pytest.raises(InvalidMissionItem, match=r"item 0 \(seq 1\): alt_m .* 170 m over home"):
        Mission(home=KASAI, items=(item,), home_amsl_m=60.0)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"lat_deg": 91.0}, "lat_deg", "outside -90..90"),
        ({"lon_deg": -181.0}, "lon_deg", "outside -180..180"),
        ({"param3": float("nan")}, "param3", "not a finite number"),
        ({"param1": float("inf")}, "param1", "not a finite number"),
        ({"alt_m": "5"}, "alt_m", "not a number"),
        ({"autocontinue": 1}, "autocontinue", "not True or False"),
        ({"command": 16}, "command", "not a Command"),
    ],
)
def test_bad_values_are_refused_naming_the_field(
    fields: dict[str, object], field: str, message: str
) -> None:
    with pytest.raises(InvalidMissionItem, match=message) as info:
        _waypoint(**fields)
    assert info.value.field == field
    assert str(info.value).startswith(field)


def test_takeoff_must_climb() -> None:
    with pytest.raises(InvalidMissionItem, match="take-off must climb"):
        _waypoint(command=Command.NAV_TAKEOFF, alt_m=0.0)


def test_items_without_a_position_are_not_capped() -> None:
    item = MissionItem(command=Command.DO_MOUNT_CONTROL, frame=Frame.MISSION, alt_m=200.0)
    assert item.position is None


def test_error_placed_at_an_index_names_item_and_source() -> None:
    error = InvalidMissionItem("alt_m", "is too high").at(4, "leg 2")
    assert str(error) == "item 4 (seq 5), leg 2: alt_m is too high"
    assert (error.index, error.where, error.field) == (4, "leg 2", "alt_m")


def test_fence_and_rally_commands_do_not_belong_in_the_mission() -> None:
    vertex = _waypoint(command=Command.NAV_FENCE_POLYGON_VERTEX_INCLUSION, frame=Frame.GLOBAL)
    with pytest.raises(InvalidMissionItem, match=r"item 1 .*belongs in the fence"):
        Mission(home=KASAI, items=(_waypoint(), vertex))


def test_fence_polygons_need_three_open_vertices() -> None:
    a, b, c = (GeoPoint(lat_deg=34.93, lon_deg=134.84 + d) for d in (0.0, 0.001, 0.002))
    assert Fence(inclusion=((a, b, c),)).inclusion[0] == (a, b, c)
    with pytest.raises(InvalidMission, match="has 2 vertices"):
        Fence(inclusion=((a, b),))
    with pytest.raises(InvalidMission, match="repeats its first vertex"):
        Fence(exclusion=((a, b, c, a),))
    assert Fence().is_empty


@pytest.mark.parametrize("alt_m", [0.0, 151.0, float("nan")])
def test_rally_altitude_within_the_cap(alt_m: float) -> None:
    with pytest.raises(InvalidMission, match="rally point altitude"):
        RallyPoint(position=KASAI, alt_m=alt_m)


def test_mission_defaults_and_equality() -> None:
    mission = Mission(home=KASAI, items=(_waypoint(),))
    assert mission.fence == Fence()
    assert mission.rally == ()
    assert mission.home_amsl_m == 0.0
    assert mission == Mission(home=KASAI, items=(_waypoint(),))
