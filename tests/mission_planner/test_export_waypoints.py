"""QGC WPL 110 .waypoints files, as MAVProxy and Mission Planner load them."""

from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import assume, given

from core import GeoPoint
from mission_planner.build import build_mission
from mission_planner.errors import InvalidMissionItem, UnreadableMissionFile
from mission_planner.export import read_waypoints, to_waypoints
from mission_planner.model import Command, Fence, Frame, Mission, MissionItem
from tests.mission_planner import flight_plans as fp

# The example of mavlink.io's "File Formats" page (CC BY 4.0), with the tabs it asks for.
MAVLINK_IO_EXAMPLE = (
    "QGC WPL 110\n"
    "0\t1\t0\t16\t0.149999999999999994\t0\t0\t0\t8.54800000000000004\t47.3759999999999977\t550\t1\n"
    "1\t0\t0\t16\t0.149999999999999994\t0\t0\t0\t8.54800000000000004\t47.3759999999999977\t550\t1\n"
    "2\t0\t0\t16\t0.149999999999999994\t0\t0\t0\t8.54800000000000004\t47.3759999999999977\t550\t1\n"
)


@pytest.fixture(params=["two_sortie_spray", "survey", "delivery"])
def mission(request: pytest.FixtureRequest) -> Mission:
    return build_mission(getattr(fp, request.param)())


def test_file_starts_with_the_header_and_home_on_line_0(mission: Mission) -> None:
    lines = to_waypoints(mission).splitlines()
    assert lines[0] == "QGC WPL 110"
    home = lines[1].split("\t")
    assert home[:4] == ["0", "1", "0", "16"]
    assert (float(home[8]), float(home[9]), float(home[10])) == (
        mission.home.lat_deg,
        mission.home.lon_deg,
        0.0,
    )
    assert len(lines) == len(mission.items) + 2


def test_each_item_is_a_tab_separated_line_of_twelve_fields(mission: Mission) -> None:
    lines = to_waypoints(mission).splitlines()[2:]
    for index, (line, item) in enumerate(zip(lines, mission.items, strict=True), 1):
        fields = line.split("\t")
        assert len(fields) == 12
        assert fields[:4] == [str(index), "0", str(int(item.frame)), str(int(item.command))]
        numbers = [float(f) for f in fields[4:11]]
        assert numbers == [
            item.param1,
            item.param2,
            item.param3,
            item.param4,
            item.lat_deg,
            item.lon_deg,
            item.alt_m,
        ]
        assert fields[11] == "1"
        assert "e" not in line.lower()


def test_round_trip_gives_the_same_mission_without_fence_and_rally(mission: Mission) -> None:
    back = read_waypoints(to_waypoints(mission))
    assert back == replace(mission, fence=Fence(), rally=())


def test_round_trip_keeps_odd_values(tmp_path: Path) -> None:
    items = (
        MissionItem(
            command=Command.NAV_WAYPOINT,
            frame=Frame.GLOBAL,
            param1=0.00001,
            param4=-45.5,
            lat_deg=-0.000012345,
            lon_deg=179.99999999,
            alt_m=99.25,
            autocontinue=False,
        ),
        MissionItem(command=Command.DO_SET_SERVO, frame=Frame.MISSION, param1=9, param2=1900),
    )
    mission = Mission(home=GeoPoint(lat_deg=-0.0001, lon_deg=179.9), items=items, home_amsl_m=12.5)
    path = tmp_path / "odd.waypoints"
    path.write_text(to_waypoints(mission))
    assert read_waypoints(path.read_text()) == mission


@given(fp.missions(with_fence_and_rally=False))
def test_any_mission_survives_the_round_trip(mission: Mission) -> None:
    assume((mission.home.lat_deg, mission.home.lon_deg) != (0.0, 0.0))  # read as "home unknown"
    assert read_waypoints(to_waypoints(mission)) == mission


def test_reads_the_mavlink_io_example() -> None:
    mission = read_waypoints(MAVLINK_IO_EXAMPLE)
    assert mission.home == GeoPoint(lat_deg=8.54800000000000004, lon_deg=47.3759999999999977)
    assert mission.home_amsl_m == 550.0
    assert len(mission.items) == 2
    assert {(i.command, i.frame, i.param1) for i in mission.items} == {
        (Command.NAV_WAYPOINT, Frame.GLOBAL, 0.15)
    }


def test_reads_mission_planner_and_qgroundcontrol_habits() -> None:
    text = (
        "\ufeffQGC WPL 110\r\n"
        "0\t1\t0\t16\t0\t0\t0\t0\t34.9283\t134.8414\t52.000000\t1\r\n"
        "1\t0\t3\t22\t0.000000\t0.000000\t0.000000\tnan\t34.9283\t134.8414\t10.000000\t1\r\n"
        "2 0 3 16 0 0 0 nan 34.929 134.842 10 1\r\n"
        "\r\n"
    )
    mission = read_waypoints(text)
    assert mission.home_amsl_m == 52.0
    assert [i.command for i in mission.items] == [Command.NAV_TAKEOFF, Command.NAV_WAYPOINT]
    assert {i.param4 for i in mission.items} == {0.0}


def test_home_at_zero_falls_back_to_the_first_placed_item() -> None:
    text = (
        "QGC WPL 110\n"
        "0\t1\t0\t16\t0\t0\t0\t0\t0\t0\t0\t1\n"
        "1\t0\t2\t178\t1\t5\t-1\t0\t0\t0\t0\t1\n"
        "2\t0\t3\t16\t0\t0\t0\t0\t34.929\t134.842\t10\t1\n"
    )
    assert read_waypoints(text).home == GeoPoint(lat_deg=34.929, lon_deg=134.842)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "not a waypoint file"),
        ("QGC WPL 120\n", "not a waypoint file"),
        ("QGC WPL 110\n", "no home line"),
        ("QGC WPL 110\n0\t1\t0\t16\t0\t0\t0\t0\t34.9\t134.8\t0\n", "line 2: 11 fields"),
        (
            "QGC WPL 110\n0\t1\t0\t16\t0\t0\t0\t0\t34.9\t134.8\t0\t1\n"
            "2\t0\t3\t16\t0\t0\t0\t0\t34.9\t134.8\t5\t1\n",
            "line 3: index 2, expected 1",
        ),
        (
            "QGC WPL 110\n0\t1\t0\t16\t0\t0\t0\t0\t34.9\t134.8\t0\t1\n"
            "1\t0\t3\t177\t1\t0\t0\t0\t0\t0\t0\t1\n",
            "line 3: command 177",
        ),
        (
            "QGC WPL 110\n0\t1\t0\t16\t0\t0\t0\t0\t34.9\t134.8\t0\t1\n"
            "1\t0\t3\t16\t0\t0\t0\t0\tnorth\t134.8\t5\t1\n",
            "line 3: lat 'north'",
        ),
    ],
)
def test_broken_files_are_refused_naming_the_line(text: str, message: str) -> None:
    with pytest.raises(UnreadableMissionFile, match=message):
        read_waypoints(text)


def test_an_item_above_the_cap_names_its_index_line_and_field() -> None:
    text = (
        "QGC WPL 110\n"
        "0\t1\t0\t16\t0\t0\t0\t0\t34.9283\t134.8414\t0\t1\n"
        "1\t0\t3\t22\t0\t0\t0\t0\t34.9283\t134.8414\t10\t1\n"
        "2\t0\t3\t16\t0\t0\t0\t0\t34.929\t134.842\t180\t1\n"
    )
    with pytest.raises(InvalidMissionItem, match=r"item 1 \(seq 2\), line 4: alt_m 180") as info:
        read_waypoints(text)
    assert info.value.field == "alt_m"


def test_a_sea_level_item_too_high_over_home_names_its_line() -> None:
    text = (
        "QGC WPL 110\n"
        "0\t1\t0\t16\t0\t0\t0\t0\t34.9283\t134.8414\t40\t1\n"
        "1\t0\t0\t16\t0\t0\t0\t0\t34.929\t134.842\t200\t1\n"
    )
    with pytest.raises(InvalidMissionItem, match=r"item 0 \(seq 1\), line 3: alt_m"):
        read_waypoints(text)


def test_pymavlink_loads_our_file_as_mavproxy_does(mission: Mission, tmp_path: Path) -> None:
    """MAVProxy's wp module loads files with pymavlink's MAVWPLoader: it must read ours whole."""
    from pymavlink import mavwp

    path = tmp_path / "mission.waypoints"
    path.write_text(to_waypoints(mission))
    loader = mavwp.MAVWPLoader()
    assert loader.load(str(path)) == len(mission.items) + 1  # home on line 0
    loaded = [loader.wp(i) for i in range(loader.count())]
    assert loaded[0].x == pytest.approx(mission.home.lat_deg, abs=1e-7)
    assert loaded[0].y == pytest.approx(mission.home.lon_deg, abs=1e-7)
    for item, wp in zip(mission.items, loaded[1:], strict=True):
        assert wp.command == item.command
        assert wp.frame == item.frame
        assert wp.x == pytest.approx(item.lat_deg, abs=1e-7)
        assert wp.y == pytest.approx(item.lon_deg, abs=1e-7)
        assert wp.z == pytest.approx(item.alt_m, abs=1e-6)
        assert wp.param1 == pytest.approx(item.param1, abs=1e-6)
