"""The visibility-graph detour: clearance from the zones, narrow gaps, walled-in ends."""

import itertools
import math

import pytest
import shapely
from shapely import LineString, Polygon, box

from mission_planner.detour import shortest_path_around


def _length(path: tuple[tuple[float, float], ...]) -> float:
    return sum(math.dist(a, b) for a, b in itertools.pairwise(path))


@pytest.mark.parametrize("clearance", [0.0, 1.0, 5.0, 20.0])
def test_corners_keep_the_clearance_and_segments_half_of_it(clearance: float) -> None:
    zones = [box(100, -50, 200, 80), shapely.Point(400, 20).buffer(60), box(250, -200, 280, -10)]
    path = shortest_path_around((0.0, 0.0), (600.0, 0.0), zones, clearance_m=clearance)
    assert path is not None
    blocked = shapely.union_all(zones)
    for corner in path[1:-1]:
        assert blocked.distance(shapely.Point(corner)) >= clearance - 1e-6
    assert blocked.distance(LineString(path)) >= clearance / 2 * 0.9  # a polygonal circle
    assert not LineString(path).intersects(blocked)


def test_the_detour_is_the_short_way_round_a_box() -> None:
    path = shortest_path_around((0.0, 0.0), (100.0, 0.0), [box(40, -10, 60, 30)], clearance_m=0.0)
    assert path is not None
    expected = 2 * math.hypot(40, 10) + 20
    assert _length(path) == pytest.approx(expected, abs=0.01)


def test_a_gap_is_flown_through_while_it_leaves_half_the_clearance() -> None:
    walls = [box(40, -500, 60, -5), box(40, 5, 60, 500)]  # a 10 m gap on the straight line
    straight = ((0.0, 0.0), (100.0, 0.0))
    assert shortest_path_around(*straight, walls, clearance_m=8.0) == straight
    detour = shortest_path_around(*straight, walls, clearance_m=12.0)
    assert detour is not None
    assert _length(detour) > 1000  # round the ends of the walls


def test_a_gap_narrower_than_twice_the_clearance_is_not_turned_in() -> None:
    walls = [box(40, -500, 60, -5), box(40, 5, 60, 500)]
    path = shortest_path_around((0.0, 30.0), (100.0, -30.0), walls, clearance_m=6.0)
    assert path is not None
    assert _length(path) > 1000
    path = shortest_path_around((0.0, 30.0), (100.0, -30.0), walls, clearance_m=2.0)
    assert path is not None
    assert _length(path) < 150


def test_an_end_close_to_a_zone_can_still_leave_it() -> None:
    zone = box(10, -50, 20, 50)
    path = shortest_path_around((9.5, 0.0), (40.0, 0.0), [zone], clearance_m=4.0)
    assert path is not None
    assert not LineString(path).intersects(zone)


def test_an_end_walled_in_has_no_path() -> None:
    ring = box(-50, -50, 50, 50).difference(box(-40, -40, 40, 40))
    assert isinstance(ring, Polygon)
    assert shortest_path_around((0.0, 0.0), (200.0, 0.0), [ring]) is None
    inside = shortest_path_around((0.0, 0.0), (10.0, 10.0), [ring])
    assert inside == ((0.0, 0.0), (10.0, 10.0))


def test_a_path_inside_a_courtyard_goes_round_its_obstacles() -> None:
    ring = box(-100, -100, 100, 100).difference(box(-90, -90, 90, 90))
    pillar = box(-5, -30, 5, 30)
    path = shortest_path_around((-50.0, 0.0), (50.0, 0.0), [ring, pillar], clearance_m=2.0)
    assert path is not None
    assert not LineString(path).intersects(shapely.union_all([ring, pillar]))


def test_an_end_inside_a_zone_has_no_path() -> None:
    assert shortest_path_around((0.0, 0.0), (100.0, 0.0), [box(-1, -1, 1, 1)]) is None
    assert shortest_path_around((0.0, 0.0), (100.0, 0.0), [box(100, 0, 110, 10)]) is None
