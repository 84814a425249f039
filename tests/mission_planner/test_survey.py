"""Survey grids: the image strips cover the field, spacing and triggers follow the overlaps."""

import itertools
import math
from typing import Any

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely import LineString, MultiPolygon, Polygon
from shapely.affinity import rotate

from fields import LocalCrs, local_crs_for, to_local
from mission_planner.cameras import MAVIC_3M_MS, PHANTOM_4_RTK, REDEDGE_MX, Camera
from mission_planner.plan import Action, FlightPlan
from mission_planner.refusals import PlanningError, PlanRefused
from mission_planner.survey import plan_survey, turn_allowance_s
from tests.common import geometries as g

CRS = local_crs_for(*g.KASAI)


def _local(shape: Polygon | MultiPolygon, crs: LocalCrs = CRS) -> Polygon | MultiPolygon:
    local = to_local(shape, crs)
    assert isinstance(local, Polygon | MultiPolygon)
    return local


def _home() -> tuple[float, float]:
    x, y = to_local(shapely.Point(g.at(-30, -30)), CRS).coords[0]
    return (x, y)


def _l_shape() -> Polygon:
    return Polygon(
        [g.at(0, 0), g.at(120, 0), g.at(120, 40), g.at(40, 40), g.at(40, 150), g.at(0, 150)]
    )


def _triangle() -> Polygon:
    return Polygon([g.at(0, 0), g.at(180, 10), g.at(60, 140)])


FIELDS = {
    "paddy": g.paddy(),
    "polygon_with_hole": g.polygon_with_hole(),
    "two_paddies": g.two_paddies(),
    "l_shape": _l_shape(),
    "triangle": _triangle(),
    "large": g.rect(0, 0, 400, 250),
}


def assert_images_cover(plan: FlightPlan, field: Polygon | MultiPolygon) -> None:
    """The union of each survey leg grown by half the across-track footprint, flat-ended.

    A micrometre of slack lets strips that only abut (no side overlap) count as joined.
    """
    half = plan.stats["footprint_across_m"] / 2
    strips = [
        LineString(leg.path).buffer(half, cap_style="flat")
        for leg in plan.legs
        if leg.action is Action.SURVEY
    ]
    covered = shapely.union_all(strips).buffer(1e-6)
    missing = field.difference(covered).area
    assert covered.contains(field), f"{missing:.3f} m² of the field is not imaged"


def assert_flyable(plan: FlightPlan, home: tuple[float, float]) -> None:
    assert plan.kind == "survey"
    assert plan.legs[0].start == home
    assert plan.legs[-1].end == home
    for before, after in itertools.pairwise(plan.legs):
        assert before.end == after.start
    assert all(0 < leg.altitude_m <= 150 for leg in plan.legs)
    assert plan.takeoff_altitude_m <= 150
    assert plan.sorties == 1
    flown = shapely.union_all([LineString(leg.path) for leg in plan.legs])
    assert plan.fence.contains(flown)
    assert plan.fence.contains(shapely.Point(plan.rally[0]))


@pytest.mark.parametrize("name", list(FIELDS))
def test_survey_lines_image_the_whole_field(name: str) -> None:
    field = _local(FIELDS[name])
    plan = plan_survey(field, crs=CRS, camera=PHANTOM_4_RTK, altitude_m=40.0, home=_home())
    assert_images_cover(plan, field)
    assert_flyable(plan, _home())


@pytest.mark.parametrize("name", list(FIELDS))
def test_a_crosshatch_also_images_the_whole_field(name: str) -> None:
    field = _local(FIELDS[name])
    plan = plan_survey(
        field, crs=CRS, camera=REDEDGE_MX, altitude_m=60.0, crosshatch=True, home=_home()
    )
    assert_images_cover(plan, field)
    assert_flyable(plan, _home())


def test_spacing_and_trigger_follow_footprint_and_overlaps() -> None:
    field = _local(g.rect(0, 0, 300, 200))
    plan = plan_survey(
        field,
        crs=CRS,
        camera=PHANTOM_4_RTK,
        altitude_m=60.0,
        front_overlap=0.8,
        side_overlap=0.7,
        home=_home(),
    )
    # 60 m with a 13.2 × 8.8 mm sensor behind 8.8 mm: 90 m across, 60 m along.
    assert plan.stats["footprint_across_m"] == pytest.approx(90.0)
    assert plan.stats["line_spacing_m"] == pytest.approx(90.0 * 0.3)
    assert plan.stats["trigger_distance_m"] == pytest.approx(60.0 * 0.2)
    assert plan.camera_trigger_distance_m == pytest.approx(12.0)
    surveys = [leg for leg in plan.legs if leg.action is Action.SURVEY]
    for one, two in itertools.pairwise(surveys):
        gap = LineString(one.path).distance(shapely.Point(two.path[0]))
        assert gap == pytest.approx(27.0, abs=1e-6)


def test_the_outer_lines_lie_within_half_a_footprint_of_the_edges() -> None:
    field = _local(g.rect(0, 0, 300, 200))
    plan = plan_survey(field, crs=CRS, camera=PHANTOM_4_RTK, altitude_m=60.0, home=_home())
    surveys = [LineString(leg.path) for leg in plan.legs if leg.action is Action.SURVEY]
    for outer in (surveys[0], surveys[-1]):
        assert field.exterior.distance(outer.interpolate(0.5, normalized=True)) <= 45.0 + 1e-6


def test_a_gsd_sets_the_altitude() -> None:
    field = _local(g.paddy())
    plan = plan_survey(field, crs=CRS, camera=PHANTOM_4_RTK, gsd_cm=2.0, home=_home())
    # 2 cm × 8.8 mm × 5472 px / (13.2 mm × 100) = 72.96 m
    assert plan.stats["altitude_m"] == pytest.approx(72.96)
    assert plan.stats["gsd_cm"] == pytest.approx(2.0)
    assert [leg.altitude_m for leg in plan.legs] == pytest.approx([72.96] * len(plan.legs))


def test_lines_are_flown_back_and_forth_with_run_ins() -> None:
    field = _local(g.rect(0, 0, 200, 200))
    plan = plan_survey(
        field, crs=CRS, camera=MAVIC_3M_MS, altitude_m=30.0, turnaround_m=12.0, home=_home()
    )
    legs = plan.legs
    directions = []
    for i, leg in enumerate(legs):
        if leg.action is not Action.SURVEY:
            continue
        (x0, y0), (x1, y1) = leg.path
        unit = np.array([x1 - x0, y1 - y0]) / leg.length_m
        directions.append(unit)
        run_in = np.array(legs[i - 1].path[-2])
        assert np.linalg.norm(np.array(leg.start) - unit * 12.0 - run_in) < 1e-6
        run_out = np.array(legs[i + 1].path[1])
        assert np.linalg.norm(np.array(leg.end) + unit * 12.0 - run_out) < 1e-6
    for one, two in itertools.pairwise(directions):
        assert one @ two == pytest.approx(-1.0)


def test_crosshatch_doubles_the_lines_of_a_square_field() -> None:
    field = _local(g.rect(0, 0, 150, 150))
    single = plan_survey(
        field, crs=CRS, camera=PHANTOM_4_RTK, altitude_m=30.0, angle_deg=0.0, home=_home()
    )
    double = plan_survey(
        field,
        crs=CRS,
        camera=PHANTOM_4_RTK,
        altitude_m=30.0,
        angle_deg=0.0,
        crosshatch=True,
        home=_home(),
    )
    assert double.stats["lines"] == 2 * single.stats["lines"]
    surveys = [leg for leg in double.legs if leg.action is Action.SURVEY]
    first, last = (LineString(leg.path) for leg in (surveys[0], surveys[-1]))
    (x0, y0), (x1, y1) = first.coords
    (u0, v0), (u1, v1) = last.coords
    assert (x1 - x0) * (u1 - u0) + (y1 - y0) * (v1 - v0) == pytest.approx(0.0, abs=1e-6)


def test_the_automatic_angle_runs_along_a_long_thin_field() -> None:
    strip = rotate(shapely.box(0, 0, 400, 50), 30.0, origin=(0, 0))
    x0, y0 = to_local(shapely.Point(g.KASAI), CRS).coords[0]
    field = shapely.affinity.translate(strip, x0, y0)
    plan = plan_survey(field, crs=CRS, camera=PHANTOM_4_RTK, altitude_m=20.0, home=(x0, y0))
    # The long side points 30° counter-clockwise from east: a heading of 60°.
    assert plan.stats["angle_deg"] == pytest.approx(60.0, abs=0.01)
    given_angle = plan_survey(
        field, crs=CRS, camera=PHANTOM_4_RTK, altitude_m=20.0, angle_deg=150.0, home=(x0, y0)
    )
    assert plan.stats["lines"] < given_angle.stats["lines"]
    assert plan.stats["flight_time_s"] < given_angle.stats["flight_time_s"]


def test_stats_add_up() -> None:
    field = _local(_l_shape())
    plan = plan_survey(field, crs=CRS, camera=PHANTOM_4_RTK, altitude_m=35.0, home=_home())
    surveys = [leg for leg in plan.legs if leg.action is Action.SURVEY]
    trigger = plan.stats["trigger_distance_m"]
    assert plan.stats["lines"] == len(surveys)
    assert plan.stats["image_count"] == sum(math.floor(s.length_m / trigger) + 1 for s in surveys)
    assert plan.stats["path_m"] == pytest.approx(plan.path_m)
    expected = plan.path_m / 5.0 + (len(surveys) - 1) * turn_allowance_s(5.0)
    assert plan.stats["flight_time_s"] == pytest.approx(expected)
    assert {leg.speed_m_s for leg in plan.legs} == {5.0}


@pytest.mark.parametrize(
    "options",
    [{"altitude_m": 150.5}, {"gsd_cm": 5.0}, {"altitude_m": 0.0}, {"altitude_m": -10.0}],
)
def test_altitudes_above_150_m_or_not_above_ground_are_refused(options: dict[str, Any]) -> None:
    with pytest.raises(PlanRefused) as info:
        plan_survey(_local(g.paddy()), crs=CRS, camera=PHANTOM_4_RTK, home=_home(), **options)
    assert info.value.rule == "altitude"


def test_a_take_off_above_150_m_is_refused() -> None:
    with pytest.raises(PlanRefused, match="150 m") as info:
        plan_survey(
            _local(g.paddy()),
            crs=CRS,
            camera=PHANTOM_4_RTK,
            altitude_m=50.0,
            takeoff_altitude_m=160.0,
            home=_home(),
        )
    assert info.value.rule == "altitude"


@pytest.mark.parametrize(("front", "side"), [(0.95, 0.6), (0.7, -0.1), (1.2, 0.6), (0.7, 0.99)])
def test_overlaps_outside_0_to_95_percent_are_refused(front: float, side: float) -> None:
    with pytest.raises(PlanRefused) as info:
        plan_survey(
            _local(g.paddy()),
            crs=CRS,
            camera=PHANTOM_4_RTK,
            altitude_m=50.0,
            front_overlap=front,
            side_overlap=side,
            home=_home(),
        )
    assert info.value.rule == "overlap"


def test_an_empty_area_is_refused() -> None:
    with pytest.raises(PlanRefused) as info:
        plan_survey(Polygon(), crs=CRS, camera=PHANTOM_4_RTK, altitude_m=50.0, home=_home())
    assert info.value.rule == "empty"


def test_an_invalid_area_is_refused() -> None:
    with pytest.raises(PlanRefused) as info:
        plan_survey(
            _local(g.bow_tie()), crs=CRS, camera=PHANTOM_4_RTK, altitude_m=50.0, home=_home()
        )
    assert info.value.rule == "geometry"


@pytest.mark.parametrize(
    "options", [{}, {"altitude_m": 50.0, "gsd_cm": 2.0}, {"altitude_m": 50.0, "speed_m_s": 0.0}]
)
def test_gsd_or_altitude_exactly_once_and_a_speed(options: dict[str, Any]) -> None:
    with pytest.raises(PlanningError):
        plan_survey(_local(g.paddy()), crs=CRS, camera=PHANTOM_4_RTK, home=_home(), **options)


def test_planning_is_deterministic() -> None:
    field = _local(_triangle())
    one = plan_survey(field, crs=CRS, camera=REDEDGE_MX, gsd_cm=3.0, home=_home())
    two = plan_survey(field, crs=CRS, camera=REDEDGE_MX, gsd_cm=3.0, home=_home())
    assert one.legs == two.legs


@st.composite
def star_fields(draw: st.DrawFn) -> Polygon:
    """A star-shaped (so simple) polygon of 3–10 corners, 10–300 m across, within 3 km of Kasai."""
    east = draw(st.floats(-3000, 3000))
    north = draw(st.floats(-3000, 3000))
    radius = draw(st.floats(10, 300))
    count = draw(st.integers(3, 10))
    gaps = draw(st.lists(st.floats(0.2, 1.0), min_size=count, max_size=count))
    reach = draw(st.lists(st.floats(0.3, 1.0), min_size=count, max_size=count))
    turns = np.cumsum(gaps) / sum(gaps) * 2 * math.pi
    corners = [
        g.at(east + radius * r * math.cos(a), north + radius * r * math.sin(a))
        for a, r in zip(turns, reach, strict=True)
    ]
    return Polygon(corners)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    shape=star_fields(),
    camera=st.sampled_from([PHANTOM_4_RTK, REDEDGE_MX, MAVIC_3M_MS]),
    altitude=st.floats(15, 150),
    front=st.floats(0.0, 0.9),
    side=st.floats(0.0, 0.9),
    crosshatch=st.booleans(),
    angle=st.one_of(st.none(), st.floats(0, 360)),
)
def test_random_fields_are_imaged_whole_within_the_rules(
    shape: Polygon,
    camera: Camera,
    altitude: float,
    front: float,
    side: float,
    crosshatch: bool,
    angle: float | None,
) -> None:
    field = _local(shape)
    home = _home()
    plan = plan_survey(
        field,
        crs=CRS,
        camera=camera,
        altitude_m=altitude,
        front_overlap=front,
        side_overlap=side,
        crosshatch=crosshatch,
        angle_deg=angle,
        home=home,
    )
    assert_images_cover(plan, field)
    assert_flyable(plan, home)
    assert plan.stats["image_count"] >= plan.stats["lines"] >= 1
