"""Building the ArduPilot mission from a flight plan, and its MISSION_ITEM_INT form."""

import itertools
import math
from dataclasses import dataclass, replace

import pytest
import shapely
from pymavlink.dialects.v20 import ardupilotmega as mavlink
from shapely import LineString

from core import GeoPoint, deg_to_e7
from fields import to_wgs84
from mission_planner.build import RELEASE_SETTLE_S, WINCH_RATE_M_S, build_mission, mission_items_int
from mission_planner.errors import InvalidMissionItem, UnflyablePlan
from mission_planner.model import (
    Command,
    Fence,
    Frame,
    Mission,
    MissionItem,
    MissionType,
    RallyPoint,
)
from mission_planner.plan import Action, FlightPlan, PayloadRelease, SprayerControl
from tests.mission_planner import flight_plans as fp

Place = tuple[float, float, float]  # lat, lon, alt above home


@dataclass(frozen=True)
class Flown:
    """A straight piece of flight between two NAV targets, with what was switched on."""

    start: Place
    end: Place
    spraying: bool
    trigger_m: float


def _fly(mission: Mission) -> list[Flown]:
    """Replay the items as ArduPilot does: DO commands act once the NAV before them is reached."""
    here: Place | None = None
    spraying, trigger_m, flown = False, 0.0, []
    for item in mission.items:
        if item.command == Command.DO_SPRAYER:
            spraying = item.param1 == 1.0
        elif item.command == Command.DO_SET_SERVO:
            spraying = item.param2 == 1900.0
        elif item.command == Command.DO_SET_CAM_TRIGG_DIST:
            trigger_m = item.param1
        elif item.command.has_position:
            there = (item.lat_deg, item.lon_deg, item.alt_m)
            if here is not None:
                flown.append(Flown(here, there, spraying, trigger_m))
            here = there
    return flown


def _geo_segments(plan: FlightPlan, action: Action) -> list[tuple[Place, Place]]:
    segments = []
    for leg in plan.legs:
        if leg.action != action:
            continue
        lonlat = shapely.get_coordinates(to_wgs84(LineString(leg.path), plan.crs))
        places = [(lat, lon, leg.altitude_m) for lon, lat in lonlat]
        segments += list(itertools.pairwise(places))
    return segments


def _close(a: Place, b: Place) -> bool:
    return abs(a[0] - b[0]) < 1e-9 and abs(a[1] - b[1]) < 1e-9 and abs(a[2] - b[2]) < 1e-6


def _along(piece: Flown, segments: list[tuple[Place, Place]]) -> bool:
    return any(_close(piece.start, s) and _close(piece.end, e) for s, e in segments)


def _moves(piece: Flown) -> bool:
    return not _close(piece.start, piece.end)


def _commands(mission: Mission) -> list[Command]:
    return [item.command for item in mission.items]


def test_takeoff_first_and_rtl_last() -> None:
    mission = build_mission(fp.two_sortie_spray())
    first, last = mission.items[0], mission.items[-1]
    assert first.command == Command.NAV_TAKEOFF
    assert first.alt_m == fp.TAKEOFF_M
    assert (first.lat_deg, first.lon_deg) == (mission.home.lat_deg, mission.home.lon_deg)
    assert last.command == Command.NAV_RETURN_TO_LAUNCH


def test_home_is_the_plans_home_in_wgs84() -> None:
    home = build_mission(fp.two_sortie_spray()).home
    assert home.lat_deg == pytest.approx(34.9283, abs=1e-9)
    assert home.lon_deg == pytest.approx(134.8414, abs=1e-9)


@pytest.mark.parametrize("sprayer", list(SprayerControl))
def test_sprayer_on_exactly_over_spray_legs(sprayer: SprayerControl) -> None:
    plan = fp.two_sortie_spray(sprayer)
    mission = build_mission(plan)
    spray = _geo_segments(plan, Action.SPRAY)
    flown = [piece for piece in _fly(mission) if _moves(piece)]
    for piece in flown:
        assert piece.spraying == _along(piece, spray), piece
    assert all(any(_close(p.start, s) and _close(p.end, e) for p in flown) for s, e in spray)


def test_sprayer_switch_comes_right_after_the_waypoint_that_starts_or_ends_spraying() -> None:
    mission = build_mission(fp.two_sortie_spray())
    for index, item in enumerate(mission.items):
        if item.command == Command.DO_SPRAYER:
            before = [i for i in mission.items[:index] if i.command.is_nav][-1]
            assert before.command == Command.NAV_WAYPOINT


def test_set_servo_sprayer_uses_the_plans_channel_and_pwm() -> None:
    plan = replace(fp.two_sortie_spray(SprayerControl.DO_SET_SERVO), sprayer_servo=11)
    mission = build_mission(plan)
    servo = [i for i in mission.items if i.command == Command.DO_SET_SERVO]
    assert Command.DO_SPRAYER not in _commands(mission)
    assert {i.param1 for i in servo} == {11.0}
    assert [i.param2 for i in servo] == [1900.0, 1100.0, 1900.0, 1100.0, 1900.0, 1100.0]


def test_the_pump_output_changes_mid_pass_without_the_sprayer_going_off() -> None:
    plan = fp.variable_rate_spray()
    servo = [
        (i.param1, i.param2) for i in build_mission(plan).items if i.command == Command.DO_SET_SERVO
    ]
    # on at 10 L/ha, 20 L/ha from the boundary, off; after the refill on at 20 L/ha, off
    assert servo == [(9.0, 1300.0), (9.0, 1500.0), (9.0, 1100.0), (9.0, 1500.0), (9.0, 1100.0)]


def test_the_pump_output_comes_right_after_the_boundary_waypoint() -> None:
    plan = fp.variable_rate_spray()
    mission = build_mission(plan)
    change = next(
        k
        for k, i in enumerate(mission.items)
        if i.command == Command.DO_SET_SERVO and i.param2 == 1500
    )
    before = mission.items[change - 1]
    assert before.command == Command.NAV_WAYPOINT
    boundary = to_wgs84(shapely.Point(fp.at(10, 25)), plan.crs)
    assert (before.lon_deg, before.lat_deg) == pytest.approx((boundary.x, boundary.y), abs=1e-9)


def test_a_pump_output_needs_a_servo_sprayer() -> None:
    plan = replace(fp.variable_rate_spray(), sprayer=SprayerControl.DO_SPRAYER)
    with pytest.raises(UnflyablePlan, match="DO_SET_SERVO"):
        build_mission(plan)


def test_sprayer_is_off_before_every_transit_and_landing() -> None:
    mission = build_mission(fp.two_sortie_spray())
    spraying = False
    for item in mission.items:
        if item.command == Command.DO_SPRAYER:
            spraying = item.param1 == 1.0
        if item.command in (Command.NAV_LAND, Command.NAV_RETURN_TO_LAUNCH):
            assert not spraying


def test_sortie_boundary_lands_at_home_and_takes_off_again() -> None:
    plan = fp.two_sortie_spray()
    mission = build_mission(plan)
    commands = _commands(mission)
    assert commands.count(Command.NAV_LAND) == plan.sorties - 1
    land = commands.index(Command.NAV_LAND)
    landing, takeoff = mission.items[land], mission.items[land + 1]
    assert (landing.lat_deg, landing.lon_deg, landing.alt_m) == (
        mission.home.lat_deg,
        mission.home.lon_deg,
        0.0,
    )
    assert takeoff.command == Command.NAV_TAKEOFF
    assert takeoff.alt_m == fp.TAKEOFF_M


def test_speed_is_set_when_it_changes_and_again_after_each_takeoff() -> None:
    mission = build_mission(fp.two_sortie_spray())
    speeds = [i.param2 for i in mission.items if i.command == Command.DO_CHANGE_SPEED]
    # sortie 1: 5 (transit), 3 (spray legs and the turn), 5 (home); sortie 2: 5, 3, 5
    assert speeds == [5.0, 3.0, 5.0, 5.0, 3.0, 5.0]
    change = next(i for i in mission.items if i.command == Command.DO_CHANGE_SPEED)
    assert (change.param1, change.param3, change.frame) == (1.0, -1.0, Frame.MISSION)


def test_no_waypoint_repeats_the_one_before() -> None:
    mission = build_mission(fp.two_sortie_spray())
    navs = [i for i in mission.items if i.command.is_nav]
    for before, after in itertools.pairwise(navs):
        if after.command == Command.NAV_WAYPOINT:
            assert (before.lat_deg, before.lon_deg, before.alt_m) != (
                after.lat_deg,
                after.lon_deg,
                after.alt_m,
            )


def test_every_leg_vertex_is_a_waypoint_at_the_leg_altitude() -> None:
    plan = fp.two_sortie_spray()
    mission = build_mission(plan)
    targets = [(i.lat_deg, i.lon_deg, i.alt_m) for i in mission.items if i.command.has_position]
    for leg in plan.legs:
        lonlat = shapely.get_coordinates(to_wgs84(LineString(leg.path), plan.crs))
        for lon, lat in lonlat:
            assert any(_close((lat, lon, leg.altitude_m), t) for t in targets)


def test_survey_triggers_the_camera_only_along_survey_legs() -> None:
    plan = fp.survey()
    mission = build_mission(plan)
    survey = _geo_segments(plan, Action.SURVEY)
    for piece in (p for p in _fly(mission) if _moves(p)):
        assert (piece.trigger_m == 12.5) == _along(piece, survey), piece
    starts = [i for i in mission.items if i.command == Command.DO_SET_CAM_TRIGG_DIST]
    assert [(i.param1, i.param3) for i in starts] == [(12.5, 1.0), (0.0, 0.0)] * 2


def test_survey_without_a_trigger_distance_is_refused() -> None:
    with pytest.raises(UnflyablePlan, match="camera_trigger_distance_m"):
        build_mission(fp.survey(trigger_m=None))


def _after_drop(mission: Mission) -> list[MissionItem]:
    drop = [i for i in mission.items if i.command == Command.NAV_WAYPOINT][2]
    index = mission.items.index(drop)
    return list(mission.items[index + 1 :])


def test_gripper_releases_after_hovering_at_the_drop_point() -> None:
    mission = build_mission(fp.delivery(PayloadRelease.GRIPPER))
    hover, release = _after_drop(mission)[:2]
    assert hover.command == Command.NAV_LOITER_TIME
    assert hover.param1 == RELEASE_SETTLE_S
    assert (release.command, release.param1, release.param2) == (Command.DO_GRIPPER, 1.0, 0.0)


def test_winch_lowers_by_the_drop_height_then_winds_back_while_hovering() -> None:
    mission = build_mission(fp.delivery(PayloadRelease.WINCH))
    items = _after_drop(mission)
    commands = [i.command for i in items[:5]]
    assert commands == [
        Command.NAV_LOITER_TIME,
        Command.DO_WINCH,
        Command.NAV_LOITER_TIME,
        Command.DO_WINCH,
        Command.NAV_LOITER_TIME,
    ]
    lower, wind = items[1], items[3]
    assert (lower.param2, lower.param3, lower.param4) == (1.0, 30.0, WINCH_RATE_M_S)
    assert (wind.param3, wind.param4) == (-30.0, -WINCH_RATE_M_S)
    assert items[2].param1 >= 30.0 / WINCH_RATE_M_S


def test_land_delivery_lands_at_the_drop_point_and_takes_off() -> None:
    mission = build_mission(fp.delivery(PayloadRelease.LAND))
    drop = [i for i in mission.items if i.command == Command.NAV_WAYPOINT][2]
    landing, takeoff = _after_drop(mission)[:2]
    assert landing.command == Command.NAV_LAND
    assert (landing.lat_deg, landing.lon_deg, landing.alt_m) == (drop.lat_deg, drop.lon_deg, 0.0)
    assert takeoff.command == Command.NAV_TAKEOFF


def test_delivery_without_a_release_is_refused() -> None:
    with pytest.raises(UnflyablePlan, match="payload_release"):
        build_mission(fp.delivery(None))


def test_altitude_above_the_cap_names_the_item_leg_and_field() -> None:
    legs = [fp.leg([(0, 0), (10, 0)], Action.TRANSIT), fp.leg([(10, 0), (0, 0)], Action.SPRAY)]
    legs[1] = replace(legs[1], altitude_m=160.0)
    with pytest.raises(InvalidMissionItem, match=r"item 4 \(seq 5\), leg 1: alt_m 160.0 m") as info:
        build_mission(fp.plan(legs))
    assert (info.value.index, info.value.where, info.value.field) == (4, "leg 1", "alt_m")


def test_takeoff_altitude_above_the_cap_is_refused() -> None:
    plan = replace(fp.two_sortie_spray(), takeoff_altitude_m=200.0)
    with pytest.raises(InvalidMissionItem, match=r"item 0 .*take-off: alt_m"):
        build_mission(plan)


@pytest.mark.parametrize(
    ("legs", "message"),
    [
        ([], "no legs"),
        (
            [
                fp.leg([(0, 0), (1, 0)], Action.TRANSIT, sortie=2),
                fp.leg([(1, 0), (0, 0)], Action.TRANSIT, sortie=1),
            ],
            "leg 1 is in sortie 1",
        ),
        ([fp.leg([(0, 0), (1, 0)], Action.TRANSIT, speed_m_s=0.0)], "not a positive speed"),
    ],
)
def test_unflyable_plans_are_refused(legs: list[object], message: str) -> None:
    with pytest.raises(UnflyablePlan, match=message):
        build_mission(fp.plan(legs))  # type: ignore[arg-type]


def test_fence_is_the_plans_fence_clockwise_and_rally_at_the_highest_altitude() -> None:
    plan = fp.survey()
    mission = build_mission(plan)
    (ring,) = mission.fence.inclusion
    assert mission.fence.exclusion == ()
    assert len(ring) == 4
    polygon = shapely.Polygon([(p.lon_deg, p.lat_deg) for p in ring])
    assert not polygon.exterior.is_ccw
    assert polygon.equals(to_wgs84(plan.fence, plan.crs))
    assert mission.rally == (RallyPoint(position=mission.home, alt_m=40.0),)


# MISSION_ITEM_INT


def _mission(*items: MissionItem, **options: object) -> Mission:
    return Mission(
        home=GeoPoint(lat_deg=34.9283, lon_deg=134.8414),
        items=items,
        **options,  # type: ignore[arg-type]
    )


def test_mission_items_put_home_at_seq_0_and_items_from_1() -> None:
    mission = build_mission(fp.two_sortie_spray())
    rows = mission_items_int(mission)
    assert [r["seq"] for r in rows] == list(range(len(mission.items) + 1))
    home = rows[0]
    assert (home["command"], home["frame"], home["current"], home["z"]) == (16, 0, 1, 0.0)
    assert (home["x"], home["y"]) == (
        deg_to_e7(mission.home.lat_deg),
        deg_to_e7(mission.home.lon_deg),
    )
    for row, item in zip(rows[1:], mission.items, strict=True):
        assert (row["command"], row["frame"], row["current"]) == (item.command, item.frame, 0)
        assert row["z"] == item.alt_m
        assert row["mission_type"] == 0


def test_e7_rounds_to_the_nearest_integer() -> None:
    item = MissionItem(
        command=Command.NAV_WAYPOINT,
        frame=Frame.GLOBAL_RELATIVE_ALT,
        lat_deg=34.92830006,
        lon_deg=-135.12345674,
        alt_m=5.0,
    )
    row = mission_items_int(_mission(item))[1]
    assert (row["x"], row["y"]) == (349283001, -1351234567)
    assert type(row["x"]) is int


def test_every_value_is_a_plain_number_and_pymavlink_packs_it() -> None:
    mission = build_mission(fp.two_sortie_spray())
    link = mavlink.MAVLink(None)
    for mission_type in MissionType:
        for row in mission_items_int(mission, mission_type):
            assert all(type(v) in (int, float) for v in row.values()), row
            message = mavlink.MAVLink_mission_item_int_message(1, 1, **row)
            decoded = link.decode(bytearray(message.pack(link)))
            assert decoded.x == row["x"]
            assert decoded.command == row["command"]


def test_fence_vertices_carry_their_polygons_vertex_count() -> None:
    def ring(*offsets: tuple[float, float]) -> tuple[GeoPoint, ...]:
        return tuple(GeoPoint(lat_deg=34.93 + dy, lon_deg=134.84 + dx) for dx, dy in offsets)

    field = ring((0, 0), (0.002, 0), (0.002, 0.002), (0, 0.002))
    shed = ring((0.0005, 0.0005), (0.001, 0.0005), (0.0005, 0.001))
    mission = _mission(fence=Fence(inclusion=(field,), exclusion=(shed,)))
    rows = mission_items_int(mission, MissionType.FENCE)
    assert [r["seq"] for r in rows] == list(range(7))
    assert [r["command"] for r in rows] == [5001] * 4 + [5002] * 3
    assert [r["param1"] for r in rows] == [4.0] * 4 + [3.0] * 3
    assert {r["mission_type"] for r in rows} == {1}
    assert rows[4]["x"] == deg_to_e7(shed[0].lat_deg)


def test_rally_points_are_nav_rally_point_items_relative_to_home() -> None:
    mission = build_mission(fp.delivery())
    (row,) = mission_items_int(mission, MissionType.RALLY)
    assert (row["seq"], row["command"], row["frame"], row["z"], row["mission_type"]) == (
        0,
        5100,
        3,
        30.0,
        2,
    )


def test_home_altitude_goes_into_seq_0() -> None:
    assert mission_items_int(_mission(home_amsl_m=52.5))[0]["z"] == 52.5


def test_positions_survive_the_e7_encoding_within_a_centimetre() -> None:
    mission = build_mission(fp.two_sortie_spray())
    for row, item in zip(mission_items_int(mission)[1:], mission.items, strict=True):
        assert abs(row["x"] / 1e7 - item.lat_deg) <= 0.5e-7
        assert math.isclose(row["y"] / 1e7, item.lon_deg, abs_tol=0.5e-7)
