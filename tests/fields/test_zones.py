"""Zone import: kinds, defaults, buffers, points and lines."""

from pathlib import Path

import pytest

from fields import Restriction, ZoneKind, plan_zone_import, read_features
from tests.common.geometries import feature_collection, line, point, rect


def zones_from(tmp_path: Path, features: list, **options: object) -> object:
    path = feature_collection(features, tmp_path / "zones.geojson")
    return plan_zone_import(read_features(path), **options)  # type: ignore[arg-type]


def test_a_feature_without_kind_takes_the_default_and_a_wrong_kind_is_refused(
    tmp_path: Path,
) -> None:
    plan = zones_from(
        tmp_path,
        [({"id": "S", "kind": "school"}, rect(0, 0, 20, 20)),
         ({"id": "H"}, rect(50, 0, 10, 10)),
         ({"id": "P", "kind": "powerline"}, line())],
        kind=None,
        default_kind=ZoneKind.HOUSE,
    )  # fmt: skip
    assert {z.id: z.kind for z in plan.zones} == {"S": ZoneKind.SCHOOL, "H": ZoneKind.HOUSE}
    (refused,) = plan.rejected
    assert refused.feature.startswith("P")
    assert "zone kind 'powerline' is not one of" in refused.reason


def test_restriction_and_buffer_come_from_the_kind_unless_given(tmp_path: Path) -> None:
    plan = zones_from(
        tmp_path,
        [({"id": "A", "kind": "airport"}, rect(0, 0, 200, 200)),
         ({"id": "B", "kind": "beehive", "buffer_m": 80}, point()),
         ({"id": "W", "kind": "water", "restriction": "no_fly"}, rect(300, 0, 20, 20))],
        kind=None,
    )  # fmt: skip
    by_id = {z.id: z for z in plan.zones}
    assert by_id["A"].restriction == Restriction.NO_FLY
    assert by_id["B"].buffer_m == 80
    assert by_id["B"].geometry.geom_type == "Point"
    assert by_id["W"].restriction == Restriction.NO_FLY


@pytest.mark.parametrize("buffer_m", [0.0, None])
def test_a_point_zone_needs_a_buffer(tmp_path: Path, buffer_m: float | None) -> None:
    plan = zones_from(tmp_path, [({"id": "P"}, point())], kind=ZoneKind.AIRPORT, buffer_m=buffer_m)
    assert plan.zones == ()
    assert "needs a buffer above 0 m" in plan.rejected[0].reason
