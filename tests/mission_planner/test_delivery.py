"""Delivery routes: round every no-fly zone the shortest way, refused when they cannot be flown."""

import math
from typing import Any

import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely import LineString, Polygon

from fields import local_crs_for, to_local
from mission_planner.build import release_hover_s
from mission_planner.delivery import (
    BVLOS,
    CLIMB_POWER_FACTOR,
    CLIMB_RATE_M_S,
    CRUISE_POWER_FACTOR,
    DROP_HOVER_S,
    DROPPING_OBJECTS,
    LEVEL_3_5,
    LEVEL_4,
    OVER_DID,
    loaded_endurance_min,
    plan_delivery,
)
from mission_planner.plan import Action, FlightPlan, PayloadRelease, Point
from mission_planner.refusals import PlanningError, PlanRefused
from tests.common import geometries as g

CRS = local_crs_for(*g.KASAI)
VEHICLE: dict[str, Any] = {
    "payload_kg": 1.0,
    "vehicle_empty_kg": 6.0,
    "endurance_min": 40.0,
    "release": PayloadRelease.WINCH,
}


def _point(east_m: float, north_m: float) -> Point:
    x, y = to_local(shapely.Point(g.at(east_m, north_m)), CRS).coords[0]
    return (x, y)


def _zone(east_m: float, north_m: float, width_m: float, height_m: float) -> Polygon:
    local = to_local(g.rect(east_m, north_m, width_m, height_m), CRS)
    assert isinstance(local, Polygon)
    return local


def _plan(pickup: Point, drop: Point, zones: list[Polygon], **options: Any) -> FlightPlan:
    return plan_delivery(pickup, drop, crs=CRS, no_fly=zones, **{**VEHICLE, **options})


def outbound(plan: FlightPlan) -> LineString:
    return LineString(plan.legs[0].path)


def assert_avoids(plan: FlightPlan, zones: list[Polygon]) -> None:
    for leg in plan.legs:
        line = LineString(leg.path)
        for zone in zones:
            assert not line.intersects(zone), "the route touches a no-fly zone"


def assert_round_trip(plan: FlightPlan, pickup: Point, drop: Point) -> None:
    assert plan.kind == "delivery"
    assert plan.home == pickup
    out, back = plan.legs
    assert (out.action, back.action) == (Action.DELIVER, Action.TRANSIT)
    assert (out.start, out.end) == (pickup, drop)
    assert (back.start, back.end) == (drop, pickup)
    assert back.path == out.path[::-1]
    assert plan.fence.contains(outbound(plan))


def test_nothing_in_the_way_is_the_straight_line() -> None:
    pickup, drop = _point(0, 0), _point(1000, 300)
    aside = _zone(200, 500, 100, 100)
    plan = _plan(pickup, drop, [aside])
    assert plan.legs[0].path == (pickup, drop)
    assert plan.stats["distance_m"] == pytest.approx(2 * math.dist(pickup, drop))
    assert plan.stats["detour_m"] == pytest.approx(0.0)
    assert_round_trip(plan, pickup, drop)


def test_a_zone_on_the_line_is_flown_round_the_short_way() -> None:
    pickup, drop = _point(0, 0), _point(1000, 0)
    zone = _zone(400, -100, 200, 400)  # reaches 100 m south of the line, 300 m north
    plan = _plan(pickup, drop, [zone])
    assert_avoids(plan, [zone])
    assert_round_trip(plan, pickup, drop)
    x0, y0, x1, y1 = zone.bounds
    long_way = LineString([pickup, (x0, y1), (x1, y1), drop]).length
    short_way = LineString([pickup, (x0, y0), (x1, y0), drop]).length
    assert math.dist(pickup, drop) < outbound(plan).length < long_way
    assert outbound(plan).length == pytest.approx(short_way, abs=10.0)  # the corners' clearance


def test_a_line_grazing_a_corner_goes_round_even_with_a_hairs_breadth_of_clearance() -> None:
    # Found by hypothesis: a near-zero buffer of the zone rounded the corner away.
    triangle = to_local(Polygon([g.at(0, 0), g.at(101.6, 0), g.at(0, 11)]), CRS)
    assert isinstance(triangle, Polygon)
    plan = _plan(_point(0, -1), _point(1000, 9), [triangle], clearance_m=1.8e-41)
    assert_avoids(plan, [triangle])


def test_overlapping_zones_are_flown_round_as_one() -> None:
    pickup, drop = _point(0, 0), _point(800, 0)
    zones = [_zone(300, -60, 100, 200), _zone(380, -150, 100, 120), _zone(200, 50, 300, 40)]
    plan = _plan(pickup, drop, zones)
    assert_avoids(plan, zones)
    assert_round_trip(plan, pickup, drop)


def test_a_drop_inside_a_zone_is_refused_by_name() -> None:
    zones = [_zone(-500, -500, 50, 50), _zone(900, -50, 200, 100)]
    with pytest.raises(PlanRefused, match="zone 2 of 2") as info:
        _plan(_point(0, 0), _point(1000, 0), zones)
    assert info.value.rule == "no-fly"
    assert "drop" in info.value.where


def test_a_pickup_inside_a_zone_is_refused() -> None:
    with pytest.raises(PlanRefused) as info:
        _plan(_point(0, 0), _point(1000, 0), [_zone(-20, -20, 40, 40)])
    assert info.value.rule == "no-fly"
    assert "pickup" in info.value.where


def test_a_drop_walled_in_by_zones_is_refused() -> None:
    ring = _zone(800, -200, 400, 400).difference(_zone(900, -100, 200, 200))
    assert isinstance(ring, Polygon)
    with pytest.raises(PlanRefused, match="no way round") as info:
        _plan(_point(0, 0), _point(1000, 0), [ring])
    assert info.value.rule == "no-fly"


def test_energy_follows_the_mass_to_the_1_5_model() -> None:
    pickup, drop = _point(0, 0), _point(2000, 0)
    plan = _plan(pickup, drop, [], payload_kg=2.0, vehicle_empty_kg=8.0, endurance_min=40.0)
    d = math.dist(pickup, drop)
    climb_s = 60.0 / CLIMB_RATE_M_S
    hover_s = release_hover_s(plan.payload_release, 60.0) / 2  # the line out, then in
    assert hover_s > DROP_HOVER_S / 2
    cruise_s = d / 10.0
    assert plan.stats["flight_time_s"] == pytest.approx(2 * (cruise_s + 2 * climb_s + hover_s))
    # Hover-equivalent seconds: cruising and climbing cost more than hovering.
    half_s = cruise_s * CRUISE_POWER_FACTOR + climb_s * CLIMB_POWER_FACTOR + climb_s + hover_s
    loaded_s = 40.0 * 60 * (8.0 / 10.0) ** 1.5
    assert plan.stats["energy_used_fraction"] == pytest.approx(half_s / loaded_s + half_s / 2400.0)
    assert loaded_endurance_min(40.0, 8.0, 0.0) == 40.0


def test_a_flight_that_eats_into_the_reserve_is_refused() -> None:
    pickup, drop = _point(0, 0), _point(4000, 0)
    light = _plan(pickup, drop, [], payload_kg=0.5, endurance_min=40.0)
    assert light.stats["energy_used_fraction"] <= 0.75
    with pytest.raises(PlanRefused, match="reserve") as info:
        _plan(pickup, drop, [], payload_kg=5.0, endurance_min=40.0)
    assert info.value.rule == "energy"


def test_a_detour_can_exhaust_the_battery_the_straight_line_would_not() -> None:
    pickup, drop = _point(0, 0), _point(3000, 0)
    options = {"payload_kg": 3.0, "endurance_min": 40.0}
    assert _plan(pickup, drop, [], **options).stats["energy_used_fraction"] <= 0.75
    wall = _zone(1400, -3000, 200, 5000)
    with pytest.raises(PlanRefused) as info:
        _plan(pickup, drop, [wall], **options)
    assert info.value.rule == "energy"


@pytest.mark.parametrize("altitude", [150.1, 400.0, 0.0])
def test_cruise_altitudes_outside_the_cap_are_refused(altitude: float) -> None:
    with pytest.raises(PlanRefused) as info:
        _plan(_point(0, 0), _point(500, 0), [], cruise_altitude_m=altitude)
    assert info.value.rule == "altitude"


@pytest.mark.parametrize(
    ("release", "permissions"),
    [
        (PayloadRelease.GRIPPER, (DROPPING_OBJECTS,)),
        (PayloadRelease.WINCH, (DROPPING_OBJECTS,)),
        (PayloadRelease.LAND, ()),
    ],
)
def test_releasing_in_the_air_needs_the_dropping_objects_permission(
    release: PayloadRelease, permissions: tuple[str, ...]
) -> None:
    plan = _plan(_point(0, 0), _point(250, 0), [], release=release)  # within sight
    assert plan.payload_release is release
    assert plan.permissions == permissions
    assert all(leg.altitude_m == 60.0 and leg.speed_m_s == 10.0 for leg in plan.legs)


def test_out_of_sight_is_level_3_5_and_over_a_did_level_4() -> None:
    far = _plan(_point(0, 0), _point(2000, 0), [])
    assert far.permissions == (DROPPING_OBJECTS, BVLOS, LEVEL_3_5)
    town = _zone(800, -300, 400, 600)  # a DID the straight route crosses
    over = plan_delivery(
        _point(0, 0), _point(2000, 0), crs=CRS, did=[town],
        **{k: v for k, v in VEHICLE.items() if k != "release"}, release=PayloadRelease.LAND,
    )  # fmt: skip
    assert over.permissions == (OVER_DID, BVLOS, LEVEL_4)
    near_town = _plan(_point(0, 0), _point(250, 0), [])
    assert BVLOS not in near_town.permissions


@pytest.mark.parametrize(
    "options",
    [{"payload_kg": -1.0}, {"endurance_min": 0.0}, {"reserve_fraction": 1.0}, {"speed_m_s": 0.0}],
)
def test_impossible_vehicle_figures_are_planning_errors(options: dict[str, float]) -> None:
    with pytest.raises(PlanningError):
        _plan(_point(0, 0), _point(500, 0), [], **options)


def test_pickup_and_drop_in_one_place_is_a_planning_error() -> None:
    with pytest.raises(PlanningError, match="same place"):
        _plan(_point(0, 0), _point(0, 0), [])


@st.composite
def zones(draw: st.DrawFn) -> list[Polygon]:
    """Up to six rectangles and triangles, 10–400 m, within 1 km of Kasai city hall."""
    shapes: list[Polygon] = []
    for _ in range(draw(st.integers(0, 6))):
        east, north = draw(st.floats(-200, 1200)), draw(st.floats(-600, 600))
        width, height = draw(st.floats(10, 400)), draw(st.floats(10, 400))
        if draw(st.booleans()):
            shapes.append(_zone(east, north, width, height))
        else:
            corners = [g.at(east, north), g.at(east + width, north), g.at(east, north + height)]
            local = to_local(Polygon(corners), CRS)
            assert isinstance(local, Polygon)
            shapes.append(local)
    return shapes


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    no_fly=zones(),
    pickup=st.tuples(st.floats(-300, 0), st.floats(-500, 500)),
    drop=st.tuples(st.floats(1000, 1300), st.floats(-500, 500)),
    clearance=st.floats(0.0, 10.0),
)
def test_random_routes_never_enter_a_zone_and_reach_both_ends(
    no_fly: list[Polygon],
    pickup: tuple[float, float],
    drop: tuple[float, float],
    clearance: float,
) -> None:
    start, goal = _point(*pickup), _point(*drop)
    inside = any(zone.intersects(shapely.Point(p)) for zone in no_fly for p in (start, goal))
    outcome = _attempt(start, goal, no_fly, clearance_m=clearance, endurance_min=600.0)
    if isinstance(outcome, PlanRefused):
        assert outcome.rule == "no-fly"
        if not inside:
            # Refused only when the ends lie apart in the free space round the zones grown
            # by the clearance (every corner of the route stands that far out).
            grown = shapely.union_all(no_fly).buffer(1.01 * clearance + 0.01)
            free = shapely.box(*shapely.union_all([grown, LineString([start, goal])]).bounds)
            free = free.buffer(100.0).difference(grown)
            pieces = getattr(free, "geoms", [free])
            assert not any(
                piece.contains(shapely.Point(start)) and piece.contains(shapely.Point(goal))
                for piece in pieces
            ), "refused although a way round the zones exists"
        return
    assert not inside
    assert_avoids(outcome, no_fly)
    assert_round_trip(outcome, start, goal)
    assert outbound(outcome).length >= math.dist(start, goal) - 1e-6
    blocked = shapely.union_all(no_fly) if no_fly else None
    for corner in outbound(outcome).coords[1:-1]:
        assert blocked is not None
        # 0.1 mm: coordinates here are ~50 km from the CRS origin, and the grown corners
        # pass through GEOS's union and buffering (three nearly coincident zones once put
        # one 10.1 µm inside a 3 m clearance).
        assert blocked.distance(shapely.Point(corner)) >= clearance - 1e-4


def _attempt(
    start: Point, goal: Point, zones: list[Polygon], **options: Any
) -> FlightPlan | PlanRefused:
    try:
        return _plan(start, goal, zones, **options)
    except PlanRefused as refusal:
        return refusal
