"""The city's districts file: named lon/lat polygons; a place belongs to the district that
holds it, a field to the one holding its centroid; without a file, municipality codes."""

import json
from pathlib import Path
from typing import Any

import pytest

from api.city_stats import UNKNOWN, DistrictMap, load_districts, read_districts
from api.errors import ConfigError


def _square(x: float, y: float, size: float = 0.01) -> dict[str, Any]:
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    return {"type": "Polygon", "coordinates": [ring]}


def _collection(*features: tuple[dict[str, Any], dict[str, Any] | None]) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": props, "geometry": geometry}
            for props, geometry in features
        ],
    }


def test_a_place_is_in_the_district_holding_it_and_pieces_of_one_name_are_one() -> None:
    districts = read_districts(
        _collection(
            ({"name": "北条町"}, _square(134.83, 34.93)),
            ({"S_NAME": "富合"}, _square(134.85, 34.93)),  # e-Stat's 小地域 name column
            ({"name": "北条町"}, _square(134.84, 34.93)),  # a second piece of 北条町
        ),
        source="kasai.geojson",
    )
    assert districts.names == ("北条町", "富合")
    assert districts.at(lon_deg=134.835, lat_deg=34.935) == "北条町"
    assert districts.at(lon_deg=134.845, lat_deg=34.935) == "北条町"
    assert districts.at(lon_deg=134.855, lat_deg=34.935) == "富合"
    assert districts.of_point((134.90, 34.90)) == UNKNOWN
    assert districts.of_point(None) == UNKNOWN
    centroid = {"lon_deg": 134.855, "lat_deg": 34.935}
    assert districts.of_field(**centroid, municipality_code="282201") == "富合"
    geometry = districts.geometry_of("北条町")
    assert geometry is not None
    assert geometry.area == pytest.approx(2 * 0.01**2)


def test_without_a_file_fields_go_by_municipality_code_and_places_are_unknown() -> None:
    none = DistrictMap()
    assert none.names == ()
    assert none.of_field(lon_deg=134.8, lat_deg=34.9, municipality_code="282201") == "282201"
    assert none.of_field(lon_deg=134.8, lat_deg=34.9, municipality_code=None) == UNKNOWN
    assert none.of_point((134.8, 34.9)) == UNKNOWN
    assert load_districts(None) == none


@pytest.mark.parametrize(
    ("collection", "problem"),
    [
        ({"type": "Feature"}, "not a GeoJSON FeatureCollection"),
        (_collection(), "no districts"),
        (_collection(({"code": "1"}, _square(134.8, 34.9))), "feature #0 has no name or S_NAME"),
        (
            _collection(({"name": "駅"}, {"type": "Point", "coordinates": [134.8, 34.9]})),
            "district 駅 is a Point",
        ),
        (
            _collection(({"name": "北条"}, _square(600_000.0, 3_860_000.0, 500.0))),
            "not in longitude/latitude",  # metres of a plane zone, not degrees
        ),
        (_collection(({"name": "北条"}, None)), "district 北条"),
    ],
)
def test_a_file_that_is_not_districts_is_refused_in_words(
    collection: dict[str, Any], problem: str
) -> None:
    with pytest.raises(ConfigError, match=problem):
        read_districts(collection)


def test_a_missing_or_broken_file_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="districts_file"):
        load_districts(tmp_path / "none.geojson")
    broken = tmp_path / "broken.geojson"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigError, match="districts_file"):
        load_districts(broken)
    good = tmp_path / "good.geojson"
    good.write_text(json.dumps(_collection(({"name": "北条"}, _square(134.8, 34.9)))))
    assert load_districts(good).source == "good.geojson"
