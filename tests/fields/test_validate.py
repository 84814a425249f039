"""Checking and repairing boundaries: check_polygon, the swap checks and every import rule."""

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import MultiPolygon, Point, Polygon, box
from shapely.affinity import translate
from shapely.geometry.base import BaseGeometry

from api.demo import DATA
from fields import (
    FIELD_RULES,
    ZONE_RULES,
    FieldImportPlan,
    FieldRecord,
    ImportOptions,
    SizeRules,
    check_polygon,
    local_crs_for,
    plan_field_import,
    read_features,
    to_local,
    to_wgs84,
)
from fields.validate import coordinate_problem, swapped
from tests.common import geometries as g

MAFF = "maff_fude_2024_sample.geojson"
INDIA = "india_smallholder_fields.geojson"
KASAI = "kasai_benchmark_fields.geojson"
LAT_95 = box(134.84, 95.0, 134.85, 95.1)  # written first: (134.85, 95)
LON_200 = box(199.9, 34.92, 200.0, 34.93)  # written first: (200, 34.92)


def _swap_xy(geom: BaseGeometry) -> BaseGeometry:
    return shapely.transform(geom, lambda c: c[:, ::-1])


def _plan(
    tmp_path: Path,
    features: list[tuple[dict[str, Any], Any]] | dict[str, Any],
    existing: tuple[FieldRecord, ...] = (),
    **options: Any,
) -> FieldImportPlan:
    """Write (properties, geometry) pairs or a GeoJSON document to a new file and plan it."""
    path = tmp_path / f"file{len(list(tmp_path.iterdir()))}.geojson"
    if isinstance(features, dict):
        path.write_text(json.dumps(features))
    else:
        g.feature_collection(features, path)
    return plan_field_import(read_features(path), list(existing), ImportOptions(**options))


def _sample(name: str) -> dict[str, Any]:
    return dict(json.loads((DATA / name).read_text()))


def _rejected(plan: FieldImportPlan) -> dict[str, str]:
    return {p.feature: p.reason for p in plan.rejected}


def _ids(plan: FieldImportPlan) -> list[str]:
    return [f.id for f in plan.fields]


# --- check_polygon, coordinate_problem, swapped --------------------------------------------


def test_coordinate_problem_names_a_swap_only_when_the_x_values_look_like_latitudes() -> None:
    assert (
        coordinate_problem(Point(0, 95))
        == "latitude 95 out of range (lat/lon swapped? the x values look like latitudes)"
    )
    assert coordinate_problem(Point(134.8, 95)) == "latitude 95 out of range -90..90"
    assert coordinate_problem(Point(200, 34.9)) == "longitude 200 out of range -180..180"
    assert coordinate_problem(Point(134.8, 34.9)) is None
    assert coordinate_problem(Polygon()) is None


@pytest.mark.parametrize(
    ("point", "expected", "result"),
    [
        ((26.3, 73.1), (73.11, 26.31), True),
        ((73.1, 26.3), (73.11, 26.31), False),
        ((134.8, 34.9), (34.9, 134.8), False),  # |lon| > 90 cannot be a latitude
        ((26.3, 73.1), (0.0, 0.0), False),  # far either way
    ],
)
def test_swapped_is_true_only_when_the_swap_brings_the_point_home(
    point: tuple[float, float], expected: tuple[float, float], result: bool
) -> None:
    assert swapped(point, expected) is result


REJECTS = [  # each rule that refuses a boundary, and the reason it gives
    pytest.param(None, "empty geometry", id="null"),
    pytest.param(Polygon(), "empty geometry", id="empty"),
    pytest.param(g.point(), "not a polygon but a Point", id="point"),
    pytest.param(g.line(), "not a polygon but a LineString", id="line"),
    pytest.param(LAT_95, "latitude 95 out of range -90..90", id="lat95"),
    pytest.param(LON_200, "longitude 200 out of range -180..180", id="lon200"),
    pytest.param(_swap_xy(g.paddy()), "latitude 134.841 out of range (lat/lon swapped?", id="xy"),
    pytest.param(g.tiny(), "too small: 0.25 m² (the minimum is 1 m²)", id="tiny"),
    pytest.param(g.rect(0, 0, 4e3, 4e3), "too large: 1,601 ha (the maximum", id="huge"),
]


@pytest.mark.parametrize(("geom", "reason"), REJECTS)
def test_check_polygon_rejects_with_the_reason(geom: Any, reason: str) -> None:
    verdict = check_polygon(geom, rules=FIELD_RULES)
    assert verdict.geometry is None
    assert (verdict.rejected or "").startswith(reason)


@pytest.mark.parametrize(
    "shape",
    [g.paddy, g.polygon_with_hole, g.two_paddies, g.sliver, lambda: g.rect(0, 0, 3e3, 3e3)],
    ids=["paddy", "polygon_with_hole", "two_paddies", "sliver", "900ha"],
)
def test_valid_shapes_are_kept_as_they_are(shape: Any) -> None:
    verdict = check_polygon(shape(), rules=FIELD_RULES)
    assert (verdict.rejected, verdict.repaired) == (None, None)
    assert verdict.geometry is not None
    assert verdict.geometry.equals(shape())


def _local_sliver(area_m2: float) -> Polygon:
    """A 100 m strip of exactly area_m2 in Kasai's plane zone, brought back to WGS84."""
    crs = local_crs_for(*g.KASAI)
    origin = to_local(Point(g.KASAI), crs)
    return to_wgs84(box(origin.x, origin.y, origin.x + 100, origin.y + area_m2 / 100), crs)


def test_size_floor_keeps_the_one_square_metre_sliver_and_refuses_0_999_m2() -> None:
    assert check_polygon(g.sliver(), rules=FIELD_RULES).area_m2 == pytest.approx(1.0, rel=0.01)
    assert check_polygon(_local_sliver(1.001), rules=FIELD_RULES).rejected is None
    below = check_polygon(_local_sliver(0.999), rules=FIELD_RULES)
    assert below.rejected == "too small: 0.999 m² (the minimum is 1 m²)"
    assert check_polygon(_local_sliver(0.999), rules=ZONE_RULES).rejected is None


def test_polygon_whose_local_area_is_not_finite_is_not_accepted() -> None:
    # In range, but 180° wide: the transverse Mercator of its centroid cannot measure it.
    verdict = check_polygon(box(-90, 0, 90, 10), rules=FIELD_RULES)
    assert verdict.rejected is not None or math.isfinite(verdict.area_m2)


# --- the import rules ----------------------------------------------------------------------


@pytest.mark.parametrize(("geom", "reason"), REJECTS)
def test_bad_feature_is_rejected_by_id_with_its_reason_and_the_rest_imported(
    tmp_path: Path, geom: Any, reason: str
) -> None:
    plan = _plan(tmp_path, [({"id": "GOOD"}, g.paddy(0, 500)), ({"id": "BAD"}, geom)])
    assert _ids(plan) == ["GOOD"]
    assert [p.feature for p in plan.rejected] == ["BAD (#1)"]
    assert plan.rejected[0].reason.startswith(reason)


def test_india_field_written_lat_lon_among_correct_ones_is_rejected_as_swapped(
    tmp_path: Path,
) -> None:
    doc = _sample(INDIA)
    doc["features"] = doc["features"][:4]
    bad = shapely.geometry.shape(doc["features"][3]["geometry"])
    doc["features"][3]["geometry"] = json.loads(shapely.to_geojson(_swap_xy(bad)))
    assert coordinate_problem(_swap_xy(bad)) is None  # in range: only the context tells
    plan = _plan(tmp_path, doc)
    assert _ids(plan) == ["IN000", "IN001", "IN002"]
    assert list(_rejected(plan)) == ["IN003 (#3)"]
    assert "lat/lon swapped" in plan.rejected[0].reason


def test_maff_feature_swapped_against_its_own_point_is_rejected(tmp_path: Path) -> None:
    doc = _sample(MAFF)
    first = doc["features"][0]
    swapped_geom = _swap_xy(shapely.geometry.shape(first["geometry"]))
    first["geometry"] = json.loads(shapely.to_geojson(swapped_geom))
    plan = _plan(tmp_path, doc)
    uuid = first["properties"]["polygon_uuid"]
    assert "swapped" in _rejected(plan)[f"{uuid} (#0)"]
    assert _ids(plan) == [doc["features"][1]["properties"]["polygon_uuid"]]
    # Where both readings are in range, the ministry's own point decides (no file consensus).
    india = shapely.geometry.shape(_sample(INDIA)["features"][0]["geometry"])
    props = {**first["properties"], "point_lng": india.centroid.x, "point_lat": india.centroid.y}
    alone = _plan(tmp_path, [(props, _swap_xy(india))])
    assert "lat/lon swapped" in _rejected(alone)[f"{uuid} (#0)"]


@pytest.mark.parametrize(
    ("shape", "area_m2", "geom_type"),
    [
        (g.bow_tie, 2 * 20 * 40 / 2, "MultiPolygon"),  # both triangles kept
        (g.spike, 40 * 40, "Polygon"),  # the spike has no area
        (g.hole_touching_shell_along_edge, 50 * 50 - 10 * 10, "Polygon"),  # the hole stays out
    ],
    ids=["bow_tie", "spike", "hole_touching_shell_along_edge"],
)
def test_self_intersecting_feature_is_repaired_reported_and_keeps_its_area(
    tmp_path: Path, shape: Any, area_m2: float, geom_type: str
) -> None:
    plan = _plan(tmp_path, [({"id": "X"}, shape())])
    assert plan.rejected == ()
    assert [p.feature for p in plan.repaired] == ["X (#0)"]
    assert plan.repaired[0].reason.startswith("invalid geometry (Self-intersection[")
    (field,) = plan.fields
    assert field.geometry.is_valid
    assert field.geometry.geom_type == geom_type
    assert field.area_m2 == pytest.approx(area_m2, rel=0.005)


def test_multipolygon_field_is_accepted_whole(tmp_path: Path) -> None:
    (field,) = _plan(tmp_path, [({"id": "X"}, g.two_paddies())]).fields
    assert field.geometry.geom_type == "MultiPolygon"
    assert field.area_m2 == pytest.approx(2 * 30 * 50, rel=0.005)


def test_overlap_with_a_stored_field_counts_only_for_the_same_owner(tmp_path: Path) -> None:
    stored = _plan(tmp_path, [({"id": "A"}, g.paddy())], owner="aiko").fields
    drawn_again = [({"id": "B"}, g.paddy(10, 10))]
    mine = _plan(tmp_path, drawn_again, stored, owner="aiko")
    assert _ids(mine) == []
    assert _rejected(mine) == {"B (#0)": "overlaps field A of aiko by 1,801.7 m²"}  # 20 m × 90 m
    assert _ids(_plan(tmp_path, drawn_again, stored, owner="kenji")) == ["B"]


def test_reimporting_the_same_id_is_an_update_not_an_overlap(tmp_path: Path) -> None:
    features = [({"id": "A"}, g.paddy()), ({"id": "B"}, g.paddy(30, 0))]
    stored = _plan(tmp_path, features).fields
    moved = [({"id": "A"}, g.paddy(5, 5)), ({"id": "B"}, g.paddy(35, 5))]
    again = _plan(tmp_path, moved, stored)
    assert again.rejected == ()
    assert sorted(_ids(again)) == ["A", "B"]
    assert again.updated_ids == {"A", "B"}
    assert _plan(tmp_path, features).updated_ids == frozenset()


@pytest.mark.parametrize(
    ("second", "accepted"),
    [
        (g.paddy(10, 10), False),  # overlaps by 20 m × 90 m
        (g.paddy(30, 0), True),  # shares an edge only
        (g.rect(29.8, 0, 30, 100), True),  # 20 m² sliver < 1 % of 3,000 m²
        (g.rect(29.0, 0, 30, 100), False),  # 100 m² > 1 %
    ],
    ids=["overlapping", "touching", "sliver-within-tolerance", "sliver-beyond-tolerance"],
)
def test_second_of_two_overlapping_features_is_rejected(
    tmp_path: Path, second: Polygon, accepted: bool
) -> None:
    plan = _plan(tmp_path, [({"id": "A"}, g.paddy()), ({"id": "B"}, second)])
    assert _ids(plan) == (["A", "B"] if accepted else ["A"])
    if not accepted:
        assert _rejected(plan)["B (#1)"].startswith("overlaps field A of this file by ")


def test_duplicate_id_in_one_file_rejects_the_second(tmp_path: Path) -> None:
    plan = _plan(tmp_path, [({"id": "A"}, g.paddy()), ({"id": "A"}, g.paddy(500, 0))])
    assert len(plan.fields) == 1
    assert plan.fields[0].geometry.equals(g.paddy())
    assert _rejected(plan) == {"A (#1)": "duplicate id A (also A (#0))"}


def test_id_registered_to_another_owner_is_rejected(tmp_path: Path) -> None:
    stored = _plan(tmp_path, [({"id": "A"}, g.paddy())], owner="aiko").fields
    plan = _plan(tmp_path, [({"id": "A"}, g.paddy(500, 0))], stored, owner="kenji")
    assert _ids(plan) == []
    assert _rejected(plan) == {"A (#0)": "id A is registered to another owner (aiko)"}


def test_maff_polygon_replaces_its_stored_predecessor_instead_of_overlapping(
    tmp_path: Path,
) -> None:
    owner = "sapporo"
    current = _sample(MAFF)
    previous = _sample(MAFF)
    for feature in previous["features"]:
        props = feature["properties"]
        props["polygon_uuid"] = props.pop("last_polygon_uuid")
        del props["prev_last_polygon_uuid"], props["history"]
    stored = _plan(tmp_path, previous, owner=owner).fields
    plan = _plan(tmp_path, current, stored, owner=owner)
    assert plan.rejected == ()
    assert len(plan.fields) == 2
    assert plan.replaces == {
        f["properties"]["polygon_uuid"]: (f["properties"]["last_polygon_uuid"],)
        for f in current["features"]
    }
    for feature in current["features"]:  # without the lineage the same polygons overlap
        for key in ("last_polygon_uuid", "prev_last_polygon_uuid", "history"):
            del feature["properties"][key]
    orphans = _plan(tmp_path, current, stored, owner=owner)
    assert [r.split(" of ")[0] for r in _rejected(orphans).values()] == [
        f"overlaps field {f['properties']['polygon_uuid']}" for f in previous["features"]
    ]


# --- real inputs ---------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "count"), [(INDIA, 100), (KASAI, 48), (MAFF, 2)])
def test_every_real_field_is_accepted_untouched(name: str, count: int) -> None:
    plan = plan_field_import(read_features(DATA / name), [], ImportOptions())
    assert len(plan.fields) == count
    assert plan.rejected == ()
    assert plan.repaired == ()


HOSTILE = {  # id: its name, and what that name promises ("repaired: ..." if kept but mended)
    "H-SWAP": ("a paddy written lat,lon", "latitude 134.84 out of range (lat/lon swapped?"),
    "H-BOWTIE": ("a bow-tie drawn by hand", "repaired: invalid geometry (Self-intersection["),
    "H-POINT": ("a pin, not a boundary", "not a polygon but a Point"),
    "H-TINY": ("a 0.5 m² sliver", "too small: 0.555 m²"),
    "H-HUGE": ("the whole prefecture", "too large: 648,803 ha"),
    "H-OVERLAP": ("B000 drawn again under another id", "overlaps field B000 of unassigned by"),
    "H-EMPTY": ("no geometry", "empty geometry"),
    "H-DATE": ("a bad date", "transplanting date '2026-13-45' is not a date"),
}


def test_hostile_file_gives_the_rejects_and_repairs_its_names_describe() -> None:
    stored = plan_field_import(read_features(DATA / KASAI), [], ImportOptions()).fields
    source = read_features(DATA / "hostile_fields.geojson")
    plan = plan_field_import(source, list(stored), ImportOptions())
    named = {f.properties["id"]: (f.properties["name"], f.index) for f in source.features}
    assert {i: n for i, (n, _) in named.items() if i != "H-GOOD"} == {
        i: n for i, (n, _) in HOSTILE.items()
    }
    assert _ids(plan) == ["H-BOWTIE", "H-GOOD"]
    got = {**_rejected(plan), **{p.feature: f"repaired: {p.reason}" for p in plan.repaired}}
    assert sorted(got) == sorted(f"{i} (#{named[i][1]})" for i in HOSTILE)
    for i, (_, reason) in HOSTILE.items():
        assert got[f"{i} (#{named[i][1]})"].startswith(reason)


# --- property-based --------------------------------------------------------------------------


@st.composite
def hostile_polygons(draw: st.DrawFn) -> BaseGeometry:
    """A hostile boundary near Kasai city hall, drawn in metres east/north of it."""
    s = 10.0 ** draw(st.floats(-6, 4))  # 1 µm .. 10 km
    unit = st.floats(-1, 1)
    kind = draw(st.sampled_from(["walk", "bow_tie", "spike", "sliver", "hole"]))
    holes: list[list[tuple[float, float]]] = []
    if kind == "walk":
        steps = draw(st.lists(st.tuples(unit, unit), min_size=3, max_size=30))
        shell = [(x, y) for x, y in np.cumsum(np.array(steps) * s, axis=0).tolist()]
    elif kind == "bow_tie":
        h = s * draw(st.floats(0.01, 10))
        shell = [(0, 0), (s, h), (s, 0), (0, h)]
    elif kind == "spike":  # a vertex that goes out and back
        out, y = s * draw(st.floats(0.01, 10)), s * draw(st.floats(0, 1))
        shell = [(0, 0), (s, 0), (s, y), (s + out, y), (s, y), (s, s), (0, s)]
    elif kind == "sliver":
        w = draw(st.floats(1e-9, 1))
        shell = [(0, 0), (s, 0), (s, w), (0, w)]
    else:  # a hole inside, touching or crossing the shell
        shell = [(0, 0), (s, 0), (s, s), (0, s)]
        x0, y0 = (s * draw(st.sampled_from([0.0, 0.25, 0.9]) | st.floats(-0.5, 1.2)) for _ in "xy")
        d = s * draw(st.sampled_from([0.1, 0.5]) | st.floats(0.01, 1.5))
        holes = [[(x0, y0), (x0 + d, y0), (x0 + d, y0 + d), (x0, y0 + d)]]
    if draw(st.booleans()):  # duplicate consecutive vertices
        i = draw(st.integers(0, len(shell) - 1))
        shell = [*shell[: i + 1], shell[i], *shell[i:]]
    if draw(st.booleans()):  # collinear runs
        ends = zip(shell, [*shell[1:], shell[0]], strict=True)
        shell = [q for a, b in ends for q in (a, ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2))]
    if draw(st.integers(0, 9)) == 9:  # a non-finite coordinate (never the closing vertex)
        i = draw(st.integers(1, len(shell) - 1))
        bad = draw(st.sampled_from([math.nan, math.inf, -math.inf]))
        shell[i] = (bad, shell[i][1]) if draw(st.booleans()) else (shell[i][0], bad)
    with np.errstate(invalid="ignore"):  # shapely warns when it is handed NaN
        geom: BaseGeometry = Polygon(
            [g.at(*p) for p in shell], [[g.at(*p) for p in holes[0]]] if holes else None
        )
        if draw(st.integers(0, 4)) == 4:  # two parts, maybe overlapping
            dx = s * draw(st.floats(0, 2))
            geom = MultiPolygon([geom, translate(geom, g.at(dx, 0)[0] - g.KASAI[0])])
        if draw(st.integers(0, 4)) == 4:
            geom = shapely.force_3d(geom, draw(st.floats(-100, 100)))
    return geom


@settings(max_examples=1000, deadline=None)
@given(geom=hostile_polygons(), rules=st.sampled_from([FIELD_RULES, ZONE_RULES]))
def test_check_polygon_never_raises_and_its_verdict_is_consistent(
    geom: BaseGeometry, rules: SizeRules
) -> None:
    verdict = check_polygon(geom, rules=rules)
    if verdict.rejected is not None:
        assert isinstance(verdict.rejected, str)
        assert verdict.rejected.strip()
        assert verdict.geometry is None
        return
    geom, crs = verdict.geometry, verdict.local_crs
    assert None not in (geom, crs)
    assert geom.geom_type in ("Polygon", "MultiPolygon")
    assert not geom.is_empty
    assert geom.is_valid
    assert not geom.has_z
    assert all(shapely.is_ccw(p.exterior) for p in shapely.get_parts(geom))
    assert math.isfinite(verdict.area_m2)
    assert verdict.area_m2 > 0
    assert rules.min_area_m2 is None or verdict.area_m2 >= rules.min_area_m2
    assert rules.max_area_m2 is None or verdict.area_m2 <= rules.max_area_m2
    assert verdict.area_m2 == pytest.approx(float(to_local(geom, crs).area), rel=1e-9)


_any_feature = st.one_of(
    hostile_polygons(),
    st.builds(g.paddy, st.floats(-60, 60), st.floats(-150, 150)),
    st.sampled_from([None, g.point(), g.line(), g.two_paddies(), _swap_xy(g.paddy())]),
)


@settings(max_examples=200, deadline=None)
@given(features=st.lists(st.tuples(st.integers(0, 5), _any_feature), min_size=1, max_size=8))
def test_every_feature_is_either_imported_or_rejected(
    tmp_path_factory: pytest.TempPathFactory, features: list[tuple[int, Any]]
) -> None:
    ids = [f"F{k}" for k, _ in features]
    written = [({"id": i}, geom) for i, (_, geom) in zip(ids, features, strict=True)]
    plan = _plan(tmp_path_factory.mktemp("hostile"), written)
    rejected = [int(p.feature.rsplit("#", 1)[1].rstrip(")")) for p in plan.rejected]
    assert rejected == sorted(set(rejected))  # each once, in file order
    assert [p.feature for p in plan.rejected] == [f"{ids[i]} (#{i})" for i in rejected]
    kept = [ids[i] for i in range(len(ids)) if i not in rejected]
    assert sorted(_ids(plan)) == sorted(kept)
    assert len(set(kept)) == len(kept)
    for field in plan.fields:
        assert field.geometry.is_valid
        assert 1.0 <= field.area_m2 <= 1e7


def test_an_id_longer_than_the_registry_stores_is_rejected(tmp_path: Path) -> None:
    long_id = "x" * 201
    path = g.feature_collection(
        [({"id": long_id}, g.paddy()), ({"id": "ok"}, g.paddy(100, 0))], tmp_path / "ids.geojson"
    )
    plan = plan_field_import(read_features(path), [], ImportOptions())
    assert [f.id for f in plan.fields] == ["ok"]
    assert plan.rejected[0].reason == "id is longer than 200 characters"
