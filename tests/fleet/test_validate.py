"""Uploads checked before anything is sent, and read-backs compared as autopilots store them."""

import doctest
import math
import struct
from typing import Any

import pytest

import fleet.transfer
import fleet.validate
from fleet.errors import InvalidUpload, TransferFailed
from fleet.validate import MAX_COUNT, check_readback, validate_upload
from mission_planner import MissionType, build_mission, mission_items_int
from tests.mission_planner.flight_plans import two_sortie_spray

Row = dict[str, Any]

MISSION, FENCE, RALLY = MissionType.MISSION, MissionType.FENCE, MissionType.RALLY
WAYPOINT, TAKEOFF, CHANGE_SPEED, SPRAYER = 16, 22, 178, 216


def planned(kind: MissionType = MISSION) -> list[Row]:
    """The wire rows of a two-sortie spray plan, as mission_planner writes them."""
    return [dict(row) for row in mission_items_int(build_mission(two_sortie_spray()), kind)]


def index_of(rows: list[Row], command: int) -> int:
    return next(k for k, row in enumerate(rows) if row["command"] == command)


def refused(rows: list[Row], kind: MissionType = MISSION, **options: Any) -> InvalidUpload:
    with pytest.raises(InvalidUpload) as caught:
        validate_upload(rows, kind, **options)
    return caught.value


def f32(value: float) -> float:
    return float(struct.unpack("<f", struct.pack("<f", value))[0])


@pytest.mark.parametrize("kind", list(MissionType))
def test_a_planned_mission_passes_for_every_list(kind: MissionType) -> None:
    validate_upload(planned(kind), kind)


def test_a_nan_hold_time_names_the_item_and_the_field() -> None:
    rows = planned()
    rows[2]["param1"] = math.nan
    error = refused(rows)
    assert str(error) == "item 2 (NAV_WAYPOINT): param1 (hold time s) is NaN"
    assert (error.index, error.field, error.result) == (2, "param1", "INVALID")


@pytest.mark.parametrize("command", [WAYPOINT, TAKEOFF])
def test_nan_yaw_is_taken_where_ardupilot_reads_it_as_keep_heading(command: int) -> None:
    rows = planned()
    rows[index_of(rows, command)]["param4"] = math.nan
    validate_upload(rows, MISSION)


def test_nan_is_refused_where_mavlink_gives_it_no_meaning() -> None:
    rows = planned()
    at = index_of(rows, CHANGE_SPEED)
    rows[at]["param4"] = math.nan
    error = refused(rows)
    assert (error.index, error.field) == (at, "param4")


def test_infinity_is_refused_even_where_nan_is_allowed() -> None:
    rows = planned()
    rows[2]["param4"] = math.inf
    assert refused(rows).field == "param4"


@pytest.mark.parametrize(
    ("index", "change", "field", "words"),
    [
        (2, {"x": 910_000_000}, "x", "latitude"),
        (2, {"y": -1_810_000_000}, "y", "longitude"),
        (3, {"x": 2**31}, "x", "int32"),  # DO_CHANGE_SPEED: x is no position, but an int32
        (2, {"z": math.nan}, "z", "nan"),
        (2, {"z": 90_000.0}, "z", "83000"),
        (2, {"frame": 1}, "frame", "GLOBAL_RELATIVE_ALT"),  # LOCAL_NED
        (2, {"frame": 2}, "frame", "no latitude"),  # MISSION frame for a waypoint
        (2, {"param1": -1.0}, "param1", "outside 0..65535"),  # a uint16 on ArduPilot
        (3, {"param1": 7.0}, "param1", "speed type"),
        (2, {"command": 12345}, "command", "not a MAVLink command"),
        (2, {"command": 176}, "command", "not one ArduPilot Copter runs"),  # DO_SET_MODE
        (2, {"command": 5100}, "command", "fence or rally list"),
        (2, {"seq": 5}, "seq", "in order"),
        (2, {"mission_type": 1}, "mission_type", "mission list is 0"),
        (2, {"autocontinue": 0}, "autocontinue", "ignores"),
        (2, {"current": 2}, "current", "0..1"),
        (2, {"param2": "5"}, "param2", "not a number"),
        (2, {"x": 349283000.5}, "x", "not an integer"),
        (2, {"param1": True}, "param1", "not a number"),
        (0, {"command": TAKEOFF}, "command", "home"),
    ],
)
def test_a_bad_value_is_refused_naming_item_and_field(
    index: int, change: Row, field: str, words: str
) -> None:
    rows = planned()
    rows[index].update(change)
    error = refused(rows)
    assert (error.index, error.field) == (index, field)
    assert str(error).startswith(f"item {index}")
    assert words.lower() in str(error).lower()


def test_a_missing_field_is_named() -> None:
    rows = planned()
    del rows[4]["z"]
    error = refused(rows)
    assert (error.index, error.field) == (4, "z")
    assert "missing" in str(error)


def test_do_sprayer_is_ardupilot_only() -> None:
    rows = planned()
    validate_upload(rows, MISSION, autopilot="ardupilot")
    error = refused(rows, autopilot="px4")
    assert error.index == index_of(rows, SPRAYER)
    assert "not supported by PX4" in str(error)


def test_px4_takes_commands_without_a_position_only_in_the_mission_frame() -> None:
    rows = [row for row in planned() if row["command"] != SPRAYER]
    rows = [{**row, "seq": k} for k, row in enumerate(rows)]
    validate_upload(rows, MISSION, autopilot="px4")
    at = index_of(rows, CHANGE_SPEED)
    rows[at]["frame"] = 3
    validate_upload(rows, MISSION, autopilot="ardupilot")
    assert refused(rows, autopilot="px4").field == "frame"


def test_the_fence_list_takes_only_fence_items() -> None:
    rows = planned(FENCE)
    rows[1]["command"] = WAYPOINT
    error = refused(rows, FENCE)
    assert (error.index, error.field) == (1, "command")
    assert "not a fence item" in str(error)


def test_the_rally_list_takes_only_rally_points() -> None:
    rows = planned(RALLY)
    rows[0]["command"] = 20
    assert "only NAV_RALLY_POINT" in str(refused(rows, RALLY))


def _polygon(count: float, vertices: int, command: int = 5001, start: int = 0) -> list[Row]:
    square = planned(FENCE)
    return [
        {**square[k % 4], "seq": start + k, "command": command, "param1": count}
        for k in range(vertices)
    ]


@pytest.mark.parametrize(
    ("rows", "index", "words"),
    [
        (_polygon(5.0, 4), 0, "list ends after 4"),
        (_polygon(2.0, 2), 0, "at least 3"),
        (_polygon(4.5, 4), 0, "whole number"),
        (_polygon(4.0, 2) + _polygon(3.0, 2, start=2), 2, "starts at item 0"),
        (_polygon(4.0, 2) + _polygon(4.0, 2, 5002, start=2), 2, "starts at item 0"),
    ],
)
def test_a_fence_polygon_with_a_wrong_vertex_count_is_refused(
    rows: list[Row], index: int, words: str
) -> None:
    error = refused(rows, FENCE)
    assert (error.index, error.field) == (index, "param1")
    assert words in str(error)


def test_polygons_back_to_back_pass() -> None:
    rows = _polygon(4.0, 4) + _polygon(3.0, 3, 5002, start=4) + _polygon(4.0, 4, start=7)
    validate_upload(rows, FENCE)


def test_a_jump_must_land_on_an_item_of_the_list() -> None:
    rows = planned()
    rows[3].update(command=177, param1=float(len(rows)), param2=1.0, param3=0.0)
    error = refused(rows)
    assert (error.index, error.field) == (3, "param1")
    assert "target item" in str(error)
    rows[3]["param1"] = 1.0
    validate_upload(rows, MISSION)


def test_more_items_than_mission_count_carries_is_refused() -> None:
    rows = planned(RALLY) * (MAX_COUNT + 1)
    error = refused(rows, RALLY)
    assert str(MAX_COUNT) in str(error)


def test_an_empty_list_is_a_valid_upload() -> None:
    validate_upload([], MISSION)


# -- reading back ----------------------------------------------------------------------


def as_ardupilot_keeps(rows: list[Row]) -> list[Row]:
    """What ArduPilot Copter sends back for ``rows``: home in item 0, frames without _INT,
    commands without a position stripped of x, y, z, whole-second hold times, float32."""
    home = {**rows[0], "x": 349_283_001, "y": 1_348_414_002, "z": 50.0, "current": 0}
    back = [home]
    for row in rows[1:]:
        row = {**row}
        if row["command"] in (CHANGE_SPEED, SPRAYER, 20):
            row.update(frame=0, x=0, y=0, z=0.0)
        else:
            row.update(
                frame={6: 3}.get(row["frame"], row["frame"]), z=math.trunc(row["z"] * 100) / 100
            )
        if row["command"] == WAYPOINT:
            row.update(param1=float(math.trunc(row["param1"])), param2=0.0, param4=0.0)
        back.append({k: f32(v) if isinstance(v, float) else v for k, v in row.items()})
    return back


def test_a_read_back_is_compared_as_ardupilot_stores_items() -> None:
    rows = planned()
    rows[2].update(param1=1.7, param2=2.0, param4=math.nan, frame=6, z=5.004)
    speed = index_of(rows, CHANGE_SPEED)
    rows[speed]["param2"] = 0.1  # float32 comes back as 0.10000000149
    check_readback(rows, as_ardupilot_keeps(rows), MISSION)


@pytest.mark.parametrize(
    ("index", "change", "words"),
    [
        (2, {"x": 349_283_001}, "item 2 (NAV_WAYPOINT): x reads back as 349283001"),
        (2, {"z": 5.5}, "item 2 (NAV_WAYPOINT): z"),
        (2, {"frame": 0}, "item 2 (NAV_WAYPOINT): frame"),  # above sea level, not home
        (2, {"param1": 3.0}, "param1 (hold time s)"),
        (3, {"param2": 4.0}, "item 3 (DO_CHANGE_SPEED): param2 (speed m/s)"),
        (3, {"command": SPRAYER}, "item 3 (DO_CHANGE_SPEED): command"),
    ],
)
def test_a_read_back_difference_names_the_item_and_field(
    index: int, change: Row, words: str
) -> None:
    rows = planned()
    back = as_ardupilot_keeps(rows)
    back[index].update(change)
    with pytest.raises(TransferFailed) as caught:
        check_readback(rows, back, MISSION)
    assert caught.value.result == "MISMATCH"
    assert words in str(caught.value)


def test_a_read_back_of_another_length_is_a_mismatch() -> None:
    rows = planned(FENCE)
    with pytest.raises(TransferFailed, match="read back 3 fence items") as caught:
        check_readback(rows, rows[:3], FENCE)
    assert caught.value.result == "MISMATCH"


def test_px4_yaw_may_come_back_wrapped() -> None:
    rows = [row for row in planned() if row["command"] != SPRAYER]
    rows = [{**row, "seq": k} for k, row in enumerate(rows)]
    rows[2]["param4"] = -90.0
    back = [dict(row) for row in rows]
    back[2]["param4"] = 270.0
    check_readback(rows, back, MISSION, autopilot="px4")
    back[2]["param4"] = 180.0
    with pytest.raises(TransferFailed, match="param4"):
        check_readback(rows, back, MISSION, autopilot="px4")


@pytest.mark.parametrize("module", [fleet.validate, fleet.transfer])
def test_the_docstring_examples_hold(module: Any) -> None:
    failures, tried = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert tried > 0
    assert failures == 0
