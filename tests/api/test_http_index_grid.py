"""A field's index pixel by pixel over HTTP, for the console's map: the grid covers the
field, its values are the image's (their mean is the field's index), nothing outside the
field is sent, and a farmer reads only their own fields and images."""

import json
from pathlib import Path

import numpy as np
import pytest
import shapely

from api.accounts import Role
from api.demo.orthomosaic import write_orthomosaic
from tests.api.conftest import Api
from tests.api.test_http_agronomy import PROBLEM, _farmer_with_fields, _upload


@pytest.fixture(scope="module")
def b000_image(tmp_path_factory: pytest.TempPathFactory, sample_data: Path) -> Path:
    """The demo's generated five-band orthomosaic over B000 (0.5 m, dated 2026-07-20)."""
    collection = json.loads((sample_data / "kasai_benchmark_fields.geojson").read_text())
    field = shapely.geometry.shape(collection["features"][0]["geometry"])
    return write_orthomosaic(field, tmp_path_factory.mktemp("grid") / "B000.tif")


def test_the_grid_is_the_fields_pixels_of_the_index(api: Api, sample_data, b000_image) -> None:  # type: ignore[no-untyped-def]
    _, farmer = _farmer_with_fields(api, sample_data)
    image = _upload(farmer, b000_image).json()
    asked = {"image_id": image["id"], "index": "NDVI"}

    answer = farmer.get("/fields/B000/indices/grid", params=asked)

    assert answer.status_code == 200, answer.text
    grid = answer.json()
    assert (grid["field_id"], grid["image_date"], grid["index"]) == ("B000", "2026-07-20", "NDVI")
    outline = shapely.geometry.shape(_farmer_field(sample_data))
    assert grid["bounds_wgs84"] == pytest.approx(list(outline.bounds))
    assert grid["pixel_m"] == pytest.approx(0.5, rel=0.05)
    values = np.array(grid["values"], dtype=float)  # None becomes NaN
    assert values.shape == (grid["height_px"], grid["width_px"])
    assert 55 <= grid["width_px"] <= 65
    assert 190 <= grid["height_px"] <= 210
    inside = np.isfinite(values)
    assert 0.9 < inside.mean() <= 1.0  # B000 is a rectangle: few pixels outside
    whole = farmer.get("/fields/B000/indices", params=asked).json()["indices"]["NDVI"]
    assert np.nanmean(values) == pytest.approx(whole["mean"], abs=0.005)
    assert (np.nanmin(values), np.nanmax(values)) == pytest.approx(
        (whole["min"], whole["max"]), abs=0.001
    )

    coarse = farmer.get("/fields/B000/indices/grid", params={**asked, "max_px": 50}).json()
    assert max(coarse["width_px"], coarse["height_px"]) <= 50
    ndre = farmer.get("/fields/B000/indices/grid", params={**asked, "index": "NDRE"}).json()
    assert np.nanmean(np.array(ndre["values"], dtype=float)) < np.nanmean(values)


def _farmer_field(sample_data: Path) -> dict[str, object]:
    collection = json.loads((sample_data / "kasai_benchmark_fields.geojson").read_text())
    return collection["features"][0]["geometry"]  # type: ignore[no-any-return]


def test_the_grid_is_refused_by_name(api: Api, sample_data, b000_image) -> None:  # type: ignore[no-untyped-def]
    _, farmer = _farmer_with_fields(api, sample_data)
    image = _upload(farmer, b000_image).json()

    far = farmer.get("/fields/FAR/indices/grid", params={"image_id": image["id"]})
    assert far.status_code == 422, far.text
    assert far.headers["content-type"] == PROBLEM
    assert "FAR" in far.json()["detail"]
    for bad in ({"index": "EVI"}, {"max_px": 0}):
        answer = farmer.get("/fields/B000/indices/grid", params={"image_id": image["id"], **bad})
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"] == PROBLEM

    _, other = api.person(Role.FARMER, name="鈴木")
    theirs = other.get("/fields/B000/indices/grid", params={"image_id": image["id"]})
    assert theirs.status_code == 404  # another's field, as if absent
    assert theirs.headers["content-type"] == PROBLEM
