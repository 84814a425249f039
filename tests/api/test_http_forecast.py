"""A field's yield forecast over HTTP, per management zone and with a prescription: on a
field whose west half is lush (NDVI 0.8) and east half weak (0.4), the weak zone is
forecast lower, and N added to it raises its yield; a prescription is the caller's own and
the field's, or refused by name."""

import json
from pathlib import Path

import httpx
import numpy as np
import pytest
import rasterio
import shapely
from shapely import affinity

from api.accounts import Role
from api.demo.orthomosaic import write_orthomosaic
from tests.api.conftest import Api
from tests.api.test_http_agronomy import PROBLEM, _farmer_with_fields, _upload

SEASON: dict[str, str | int] = {"transplanted": "2026-05-10", "year": 2005}
# Reflectance of blue, green, red, red edge, NIR: NDVI (0.45 − 0.05) / 0.5 = 0.8 and
# (0.35 − 0.15) / 0.5 = 0.4.
LUSH = (0.03, 0.08, 0.05, 0.26, 0.45)
WEAK = (0.06, 0.10, 0.15, 0.22, 0.35)
# The rule's own target on NDVI: 50 × (0.6 − 0.4) = 10 kg N/ha on the weak half, none on
# the lush one.
RX = {"zones": 2, "base_n_kg_ha": 0, "target_index": 0.6, "response_kg_ha_per_unit": 50}


@pytest.fixture(scope="module")
def halves(tmp_path_factory: pytest.TempPathFactory, sample_data: Path) -> Path:
    """A reflectance image over B000 (30 × 100 m, north–south): NDVI 0.8 on its west half,
    0.4 on its east half; upload it with its image_date."""
    collection = json.loads((sample_data / "kasai_benchmark_fields.geojson").read_text())
    field = shapely.geometry.shape(collection["features"][0]["geometry"])
    folder = tmp_path_factory.mktemp("halves")
    with rasterio.open(write_orthomosaic(field, folder / "grid.tif")) as grid:
        profile, names = grid.profile, grid.descriptions
    width, height = profile["width"], profile["height"]
    west = (np.arange(width) < width // 2)[None, :]  # the field's middle: 10 m margins
    bands = np.stack([np.where(west, lush, weak) for lush, weak in zip(LUSH, WEAK, strict=True)])
    path = folder / "halves.tif"
    with rasterio.open(path, "w", **profile) as sink:
        sink.write(np.broadcast_to(bands, (5, height, width)).astype(np.float32))
        for i, name in enumerate(names, start=1):
            sink.set_band_description(i, name or "")
    return path


def _with_image(api: Api, sample_data: Path, halves: Path) -> tuple[httpx.Client, str]:
    _, farmer = _farmer_with_fields(api, sample_data)
    uploaded = _upload(farmer, halves, image_date="2026-07-20")
    assert uploaded.status_code == 201, uploaded.text
    return farmer, uploaded.json()["id"]


def _forecast(client: httpx.Client, field_id: str = "B000", **query: str | int) -> httpx.Response:
    return client.get(f"/fields/{field_id}/forecast", params={**SEASON, **query})


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # AquaCrop, not storage
def test_the_weak_half_of_a_field_is_forecast_lower(api: Api, sample_data, halves) -> None:  # type: ignore[no-untyped-def]
    farmer, image_id = _with_image(api, sample_data, halves)
    whole = _forecast(farmer)
    assert whole.status_code == 200, whole.text
    assert (whole.json()["zones"], whole.json()["zones_from"]) == ([], None)
    assert whole.json()["with_prescription_t_ha"] is None

    answer = _forecast(farmer, zones=2)
    assert answer.status_code == 200, answer.text
    got = answer.json()
    assert got["zones_from"] == f"image {image_id} of 2026-07-20"  # the newest clear image
    weak, lush = got["zones"]
    assert (weak["zone"], lush["zone"]) == (1, 2)
    assert weak["area_ha"] == pytest.approx(0.15, rel=0.05)
    assert lush["area_ha"] == pytest.approx(0.15, rel=0.05)
    assert weak["yield_t_ha"] < lush["yield_t_ha"] - 0.5
    assert weak["yield_kg_10a"] == pytest.approx(100 * weak["yield_t_ha"], abs=0.1)
    assert weak["with_prescription_t_ha"] is None
    assert weak["basis"].endswith("maximum canopy fitted to 1 image(s)")
    mean = (weak["yield_t_ha"] * weak["area_ha"] + lush["yield_t_ha"] * lush["area_ha"]) / (
        weak["area_ha"] + lush["area_ha"]
    )
    assert got["yield_t_ha"] == pytest.approx(mean, abs=0.002)
    assert got["images_used"] == 1
    assert (got["heading"], got["harvest"]) == (whole.json()["heading"], whole.json()["harvest"])

    # The zones are those GET /fields/{id}/zones gives for the same image and count.
    zoned = farmer.get("/fields/B000/zones", params={"image_id": image_id, "zones": 2}).json()
    areas = [round(f["properties"]["area_m2"] / 10_000, 4) for f in zoned["features"]]
    assert [z["area_ha"] for z in got["zones"]] == areas
    named = _forecast(farmer, image_id=image_id, zones=2).json()
    assert named["zones"] == got["zones"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # AquaCrop, not storage
def test_n_added_to_the_weak_zone_raises_its_yield(api: Api, sample_data, halves) -> None:  # type: ignore[no-untyped-def]
    farmer, image_id = _with_image(api, sample_data, halves)
    made = farmer.post("/prescriptions", json={**RX, "field_id": "B000", "image_id": image_id})
    assert made.status_code == 201, made.text
    rx = made.json()
    assert [z["n_kg_ha"] for z in rx["zones"]] == pytest.approx([10.0, 0.0])

    answer = _forecast(farmer, prescription=rx["id"])
    assert answer.status_code == 200, answer.text
    got = answer.json()
    assert got["zones_from"] == f"prescription {rx['id']}"
    weak, lush = got["zones"]
    assert [z["area_ha"] for z in got["zones"]] == [
        round(z["area_m2"] / 10_000, 4) for z in rx["zones"]
    ]
    assert (weak["extra_n_kg_ha"], lush["extra_n_kg_ha"]) == (10.0, 0.0)
    assert weak["with_prescription_t_ha"] > weak["yield_t_ha"] + 0.03  # ≈ 5 kg/kg N
    assert lush["with_prescription_t_ha"] == lush["yield_t_ha"]  # no N, no change
    assert weak["with_prescription_kg_10a"] == pytest.approx(
        100 * weak["with_prescription_t_ha"], abs=0.1
    )
    area = weak["area_ha"] + lush["area_ha"]
    with_rx = sum(z["with_prescription_t_ha"] * z["area_ha"] for z in (weak, lush)) / area
    assert got["with_prescription_t_ha"] == pytest.approx(with_rx, abs=0.002)
    assert got["with_prescription_t_ha"] > got["yield_t_ha"]
    assert got["with_prescription_kg_10a"] == pytest.approx(
        100 * got["with_prescription_t_ha"], abs=0.1
    )
    assert "assumed N response" in got["prescription_basis"]
    # Without it, the prescription's zones forecast as the image's zones do.
    zoned = _forecast(farmer, image_id=image_id, zones=2).json()
    assert [z["yield_t_ha"] for z in got["zones"]] == [z["yield_t_ha"] for z in zoned["zones"]]
    # More N already on the field: the same extra N gains less.
    richer = _forecast(farmer, prescription=rx["id"], base_n_kg_ha=120).json()
    gain = weak["with_prescription_t_ha"] - weak["yield_t_ha"]
    richer_weak = richer["zones"][0]
    assert 0 < richer_weak["with_prescription_t_ha"] - richer_weak["yield_t_ha"] < gain


def _another_farmer_with_a_field(api: Api, sample_data: Path) -> httpx.Client:
    """鈴木, with S000: B000's shape 4 km east."""
    _, suzuki = api.person(Role.FARMER, name="鈴木")
    collection = json.loads((sample_data / "kasai_benchmark_fields.geojson").read_text())
    b000 = collection["features"][0]
    shape = affinity.translate(shapely.geometry.shape(b000["geometry"]), xoff=0.04)
    feature = {"type": "Feature", "properties": {"id": "S000"},
               "geometry": shapely.geometry.mapping(shape)}  # fmt: skip
    made = suzuki.post("/fields", json={"type": "FeatureCollection", "features": [feature]})
    assert made.status_code == 200, made.text
    return suzuki


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # AquaCrop, not storage
def test_a_prescription_is_the_callers_and_the_fields(api: Api, sample_data, halves) -> None:  # type: ignore[no-untyped-def]
    tanaka, image_id = _with_image(api, sample_data, halves)
    rx = tanaka.post("/prescriptions", json={**RX, "field_id": "B000", "image_id": image_id})
    rx_id = rx.json()["id"]
    suzuki = _another_farmer_with_a_field(api, sample_data)
    assert _forecast(suzuki, "S000").status_code == 200

    theirs = _forecast(suzuki, "S000", prescription=rx_id)
    assert theirs.status_code == 404, theirs.text  # as if absent, as GET /prescriptions/{id}
    assert theirs.headers["content-type"] == PROBLEM
    unknown = _forecast(tanaka, prescription="no-such-rx")
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == PROBLEM
    assert "no-such-rx" in unknown.json()["detail"]

    elsewhere = _forecast(tanaka, "FAR", prescription=rx_id)
    assert elsewhere.status_code == 422, elsewhere.text
    assert elsewhere.headers["content-type"] == PROBLEM
    assert elsewhere.json()["type"] == "/problems/bad-prescription"
    assert elsewhere.json()["detail"] == f"prescription {rx_id} is for field B000, not FAR"

    both = _forecast(tanaka, prescription=rx_id, zones=3)
    assert both.status_code == 422
    assert "brings its own zones" in both.json()["detail"]

    _, staff = api.person(Role.CITY_ADMIN)
    seen = _forecast(staff, prescription=rx_id)
    assert seen.status_code == 200, seen.text
    assert seen.json()["zones"][0]["extra_n_kg_ha"] == 10.0


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # AquaCrop, not storage
def test_zones_need_an_image_of_the_field_the_caller_may_use(api: Api, sample_data, halves) -> None:  # type: ignore[no-untyped-def]
    _, tanaka = _farmer_with_fields(api, sample_data)
    bare = _forecast(tanaka, zones=2)
    assert bare.status_code == 422, bare.text
    assert bare.json()["type"] == "/problems/not-enough-data"
    assert "nothing to zone" in bare.json()["detail"]
    suzuki = _another_farmer_with_a_field(api, sample_data)
    theirs = _upload(suzuki, halves, image_date="2026-07-20").json()["id"]
    assert _forecast(tanaka, image_id=theirs).status_code == 404
    off = _forecast(suzuki, "S000", image_id=theirs)  # their image, but not over S000
    assert off.status_code == 422
    assert off.json()["type"] == "/problems/field-outside-image"
