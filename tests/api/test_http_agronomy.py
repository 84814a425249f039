"""Agronomy over HTTP: upload a multispectral image over a field, read its indices and
their series, zone it, make a prescription and download it in each format; a farmer
sees only their own; bad rasters and fields off the image are refused by name."""

import io
import json
import zipfile
from pathlib import Path

import geopandas as gpd
import httpx
import numpy as np
import pytest
import rasterio
import shapely
from affine import Affine
from shapely import affinity

from api.accounts import Role
from api.agronomy import images
from api.agronomy.jobs import PRESCRIPTION_FORMATS
from api.demo.orthomosaic import write_orthomosaic
from api.routes.field_agronomy import IndexName
from api.routes.prescriptions import PrescriptionFormat
from fields.agronomy.indices import INDEX_NAMES
from tests.api.conftest import Api

PROBLEM = "application/problem+json"


def _fields(sample_data: Path) -> dict[str, object]:
    """B000 (30 × 100 m in Kasai), and FAR, the same shape 2 km east."""
    collection = json.loads((sample_data / "kasai_benchmark_fields.geojson").read_text())
    b000 = collection["features"][0]
    shape = shapely.geometry.shape(b000["geometry"])
    far = affinity.translate(shape, xoff=0.02)
    collection["features"] = [
        b000,
        {
            "type": "Feature",
            "properties": {"id": "FAR", "name": "far away"},
            "geometry": shapely.geometry.mapping(far),
        },
    ]
    return collection


def _farmer_with_fields(api: Api, sample_data: Path) -> tuple[str, httpx.Client]:
    me, farmer = api.person(Role.FARMER, name="田中")
    answer = farmer.post("/fields", json=_fields(sample_data))
    assert answer.status_code == 200, answer.text
    assert sorted(answer.json()["created"]) == ["B000", "FAR"]
    return me, farmer


@pytest.fixture(scope="module")
def ortho(tmp_path_factory: pytest.TempPathFactory, sample_data: Path) -> Path:
    """The demo's generated five-band reflectance orthomosaic over B000 (dated 2026-07-20)."""
    collection = json.loads((sample_data / "kasai_benchmark_fields.geojson").read_text())
    field = shapely.geometry.shape(collection["features"][0]["geometry"])
    return write_orthomosaic(field, tmp_path_factory.mktemp("ortho") / "ortho.tif")


def _upload(client: httpx.Client, path: Path, **form: object) -> httpx.Response:
    with path.open("rb") as handle:
        return client.post("/images", files=[("files", (path.name, handle))], data=form)


def _images_folder(api: Api) -> Path:
    return api.services.settings.data_dir / "agronomy" / "images"


def test_image_to_indices_zones_prescription_and_files(
    api: Api, sample_data, ortho, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    me, farmer = _farmer_with_fields(api, sample_data)
    uploaded = _upload(farmer, ortho)
    assert uploaded.status_code == 201, uploaded.text
    image = uploaded.json()
    assert uploaded.headers["Location"] == f"/images/{image['id']}"
    assert image["bands"] == ["B", "G", "R", "RE1", "N"]
    assert (image["image_date"], image["crs"], image["owner"]) == ("2026-07-20", "EPSG:32653", me)
    assert (_images_folder(api) / image["id"] / "ortho.tif").is_file()
    listed = farmer.get("/images", params={"field_id": "B000"}).json()
    assert [i["id"] for i in listed["data"]] == [image["id"]]
    assert farmer.get("/images", params={"field_id": "FAR"}).json()["count"] == 0

    asked = {"image_id": image["id"], "index": ["NDVI", "NDRE"]}
    indices = farmer.get("/fields/B000/indices", params=asked)
    assert indices.status_code == 200, indices.text
    ndvi = indices.json()["indices"]["NDVI"]
    assert 0.6 < ndvi["mean"] < 0.85
    assert ndvi["valid_fraction"] == pytest.approx(1.0, abs=0.01)
    assert ndvi["p10"] < ndvi["median"] < ndvi["p90"]
    assert 0.1 < indices.json()["indices"]["NDRE"]["mean"] < ndvi["mean"]
    cached = sorted((api.services.settings.data_dir / "agronomy" / "cache").rglob("*.tif"))
    assert [p.name for p in cached] == ["ortho_NDRE.tif", "ortho_NDVI.tif"]
    written = [p.stat().st_mtime_ns for p in cached]
    assert farmer.get("/fields/B000/indices", params=asked).json() == indices.json()
    assert [p.stat().st_mtime_ns for p in cached] == written  # read again, not recomputed

    zones = farmer.get("/fields/B000/zones", params={"image_id": image["id"], "zones": 3})
    assert zones.status_code == 200, zones.text
    assert zones.headers["content-type"] == "application/geo+json"
    features = zones.json()["features"]
    assert len(features) >= 2
    outline = shapely.geometry.shape(_fields(sample_data)["features"][0]["geometry"])  # type: ignore[index]
    tiled = shapely.union_all([shapely.geometry.shape(f["geometry"]) for f in features])
    assert tiled.symmetric_difference(outline).area < 0.01 * outline.area

    made = farmer.post(
        "/prescriptions", json={"field_id": "B000", "image_id": image["id"], "zones": 3}
    )
    assert made.status_code == 201, made.text
    rx = made.json()
    assert made.headers["Location"] == f"/prescriptions/{rx['id']}"
    assert (rx["product"], rx["unit"], rx["owner"], rx["image_date"]) == (
        "硫安",
        "kg/ha",
        me,
        "2026-07-20",
    )
    by_index = sorted(rx["zones"], key=lambda z: z["index_mean"])
    assert by_index[0]["n_kg_ha"] > by_index[-1]["n_kg_ha"]  # weaker canopy, more N
    assert by_index[0]["rate"] > by_index[-1]["rate"]
    assert rx["total_product"] == pytest.approx(
        sum(z["rate"] * z["area_m2"] / 10_000 for z in rx["zones"]), rel=1e-3
    )
    assert farmer.get(f"/prescriptions/{rx['id']}").json() == rx
    assert [p["id"] for p in farmer.get("/prescriptions").json()["data"]] == [rx["id"]]
    _check_files(farmer, rx, tmp_path)

    _, operator = api.person(Role.OPERATOR)
    assert operator.get(f"/prescriptions/{rx['id']}/file").status_code == 200
    assert operator.get("/prescriptions").json()["count"] == 1

    assert farmer.delete(f"/images/{image['id']}").status_code == 204
    assert not (_images_folder(api) / image["id"]).exists()
    assert farmer.get(f"/images/{image['id']}").status_code == 404
    kept = farmer.get(f"/prescriptions/{rx['id']}").json()
    assert (kept["image_id"], kept["zones"]) == (None, rx["zones"])


def _check_files(client: httpx.Client, rx: dict[str, object], folder: Path) -> None:
    """Each download format opens and carries the stored rates."""
    rates = {z["zone"]: z["rate"] for z in rx["zones"]}  # type: ignore[attr-defined]
    url = f"/prescriptions/{rx['id']}/file"
    geojson = client.get(url, params={"format": "geojson"})
    assert geojson.headers["content-type"] == "application/geo+json"
    assert 'filename="B000_rx.geojson"' in geojson.headers["content-disposition"]
    got = {f["properties"]["zone"]: f["properties"]["rate"] for f in geojson.json()["features"]}
    assert got == rates

    shp = client.get(url, params={"format": "shp"})
    assert shp.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(shp.content)).namelist()
    assert {"B000_rx.shp", "B000_rx.shx", "B000_rx.dbf", "B000_rx.prj"} <= set(names)
    frame = gpd.read_file(io.BytesIO(shp.content))
    assert dict(zip(frame["ZONE"], frame["RATE"], strict=True)) == rates

    isoxml = client.get(url, params={"format": "isoxml"})
    assert isoxml.headers["content-type"] == "application/zip"
    assert "TASKDATA/TASKDATA.XML" in zipfile.ZipFile(io.BytesIO(isoxml.content)).namelist()

    gpkg = client.get(url, params={"format": "gpkg"})
    assert gpkg.headers["content-type"] == "application/geopackage+sqlite3"
    (folder / "rx.gpkg").write_bytes(gpkg.content)
    assert len(gpd.read_file(folder / "rx.gpkg")) == len(rates)

    tif = client.get(url, params={"format": "tif"})
    assert tif.headers["content-type"] == "image/tiff"
    with rasterio.MemoryFile(tif.content) as memory, memory.open() as grid:
        values = grid.read(1, masked=True)
        assert float(values.max()) == pytest.approx(max(rates.values()), abs=1e-4)
        assert grid.crs is not None
    assert client.get(url, params={"format": "kml"}).status_code == 422


def test_a_farmer_sees_and_uses_only_their_own(api: Api, sample_data, ortho) -> None:  # type: ignore[no-untyped-def]
    _, tanaka = _farmer_with_fields(api, sample_data)
    _, suzuki = api.person(Role.FARMER, name="鈴木")
    _, staff = api.person(Role.CITY_ADMIN)
    image = _upload(tanaka, ortho).json()
    rx = tanaka.post("/prescriptions", json={"field_id": "B000", "image_id": image["id"]}).json()
    for path in (f"/images/{image['id']}", f"/prescriptions/{rx['id']}"):
        assert suzuki.get(path).status_code == 404
        assert staff.get(path).status_code == 200
    assert suzuki.get(f"/prescriptions/{rx['id']}/file").status_code == 404
    assert suzuki.delete(f"/images/{image['id']}").status_code == 404
    assert suzuki.get("/images").json()["count"] == 0
    assert suzuki.get("/prescriptions").json()["count"] == 0
    theirs = suzuki.get("/fields/B000/indices", params={"image_id": image["id"]})
    assert theirs.status_code == 404
    assert theirs.headers["content-type"] == PROBLEM
    # Suzuki's own image is still no way into Tanaka's field.
    own = _upload(suzuki, ortho).json()
    assert tanaka.get("/fields/B000/zones", params={"image_id": own["id"]}).status_code == 404
    assert suzuki.get("/fields/B000/zones", params={"image_id": own["id"]}).status_code == 404
    assert staff.get("/images").json()["count"] == 2


def test_a_series_keeps_a_cloudy_date(api: Api, sample_data, ortho, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _, farmer = _farmer_with_fields(api, sample_data)
    clouded = tmp_path / "clouded.tif"
    with rasterio.open(ortho) as source:
        profile, data = source.profile, source.read()
        descriptions = source.descriptions
    with rasterio.open(clouded, "w", **profile) as sink:
        sink.write(np.full_like(data, np.nan))
        for i, name in enumerate(descriptions, start=1):
            sink.set_band_description(i, name)
    later = _upload(farmer, clouded, image_date="2026-08-05")
    assert later.status_code == 201, later.text
    assert later.json()["image_date"] == "2026-08-05"
    assert _upload(farmer, ortho).status_code == 201
    series = farmer.get("/fields/B000/indices/series", params={"index": "NDVI"})
    assert series.status_code == 200, series.text
    points = series.json()["points"]
    assert [p["image_date"] for p in points] == ["2026-07-20", "2026-08-05"]
    assert points[0]["stats"]["valid_fraction"] == pytest.approx(1.0, abs=0.01)
    assert points[1]["stats"]["valid_fraction"] == 0.0
    assert points[1]["stats"]["mean"] is None
    assert series.json()["problems"] == []
    assert farmer.get("/fields/FAR/indices/series").json()["points"] == []


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # files, not storage
def test_bad_rasters_are_refused_by_name_and_nothing_is_kept(api: Api, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _, farmer = api.person(Role.FARMER)
    counts = np.random.default_rng(1).integers(2500, 3500, (5, 40, 40), dtype=np.uint16)
    raw = tmp_path / "raw.tif"
    profile = {
        "driver": "GTiff", "width": 40, "height": 40, "count": 5, "dtype": "uint16",
        "crs": "EPSG:32653",
        "transform": Affine(0.5, 0.0, 485_380.0, 0.0, -0.5, 3_865_300.0),
    }  # fmt: skip
    with rasterio.open(raw, "w", **profile) as sink:
        sink.write(counts)
        for i, name in enumerate(("blue", "green", "red", "rededge", "nir"), start=1):
            sink.set_band_description(i, name)
    refused = _upload(farmer, raw)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == PROBLEM
    problem = refused.json()
    assert problem["type"] == "/problems/band-problem"
    assert "raw.tif" in problem["detail"]
    assert "raw counts" in problem["detail"]
    assert str(tmp_path) not in problem["detail"]
    assert str(api.services.settings.data_dir) not in problem["detail"]

    text = tmp_path / "notes.tif"
    text.write_text("not a raster")
    not_raster = _upload(farmer, text)
    assert not_raster.status_code == 422
    assert not_raster.json()["type"] == "/problems/bad-raster"
    assert "notes.tif" in not_raster.json()["detail"]
    assert _upload(farmer, raw, band="N=9").status_code == 422

    assert farmer.get("/images").json()["count"] == 0
    assert list(_images_folder(api).iterdir()) == []
    # The same counts with their scale are reflectance, and taken.
    assert _upload(farmer, raw, scale="0.0001").status_code == 201


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # files, not storage
def test_a_file_per_band_with_a_band_map(api: Api, sample_data, ortho, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _, farmer = _farmer_with_fields(api, sample_data)
    with rasterio.open(ortho) as source:
        profile, data = source.profile, source.read()
    profile.update(count=1)
    paths = []
    for i, band in enumerate(data, start=1):
        paths.append(tmp_path / f"IMG_0007_{i}.tif")
        with rasterio.open(paths[-1], "w", **profile) as sink:
            sink.write(band, 1)
    band_map = ["B=*_1.tif", "G=*_2.tif", "R=*_3.tif", "RE1=*_4.tif", "N=*_5.tif"]
    files = [("files", (p.name, p.read_bytes())) for p in paths]
    form = {"band": band_map, "image_date": "2026-07-20"}
    uploaded = farmer.post("/images", files=files, data=form)
    assert uploaded.status_code == 201, uploaded.text
    image = uploaded.json()
    assert image["bands"] == ["B", "G", "R", "RE1", "N"]
    assert image["files"] == [p.name for p in paths]
    assert image["band_map"]["N"] == "*_5.tif"
    indices = farmer.get("/fields/B000/indices", params={"image_id": image["id"]})
    assert indices.status_code == 200, indices.text
    assert 0.6 < indices.json()["indices"]["NDVI"]["mean"] < 0.85


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # files, not storage
def test_an_upload_over_the_limit_is_413(api: Api, ortho, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _, farmer = api.person(Role.FARMER)
    monkeypatch.setattr(images, "IMAGE_UPLOAD_LIMIT_BYTES", ortho.stat().st_size - 1)
    answer = _upload(farmer, ortho)
    assert answer.status_code == 413
    assert answer.headers["content-type"] == PROBLEM
    assert list(_images_folder(api).iterdir()) == []


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # files, not storage
def test_a_field_off_the_image_is_named(api: Api, sample_data, ortho) -> None:  # type: ignore[no-untyped-def]
    _, farmer = _farmer_with_fields(api, sample_data)
    image = _upload(farmer, ortho).json()
    for path in ("/fields/FAR/indices", "/fields/FAR/zones"):
        answer = farmer.get(path, params={"image_id": image["id"]})
        assert answer.status_code == 422, answer.text
        assert answer.json()["type"] == "/problems/field-outside-image"
        assert "FAR" in answer.json()["detail"]
    made = farmer.post("/prescriptions", json={"field_id": "FAR", "image_id": image["id"]})
    assert made.status_code == 422
    assert "FAR" in made.json()["detail"]
    ndre_rule = farmer.post(
        "/prescriptions", json={"field_id": "B000", "image_id": image["id"], "index": "NDRE"}
    )
    assert ndre_rule.status_code == 422
    assert ndre_rule.json()["type"] == "/problems/bad-prescription"
    own_target = {"index": "NDRE", "target_index": 0.3, "field_id": "B000"}
    assert farmer.post("/prescriptions", json={**own_target, "image_id": image["id"]}).is_success
    assert farmer.get("/prescriptions").json()["count"] == 1


def test_the_route_enums_are_the_library_names() -> None:
    assert [i.value for i in IndexName] == list(INDEX_NAMES)
    assert [f.value for f in PrescriptionFormat] == list(PRESCRIPTION_FORMATS)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # AquaCrop, not storage
def test_a_forecast_is_corrected_by_the_fields_images(api: Api, sample_data, ortho) -> None:  # type: ignore[no-untyped-def]
    _, farmer = _farmer_with_fields(api, sample_data)
    query = {"transplanted": "2026-05-10", "year": 2005}
    before = farmer.get("/fields/B000/forecast", params=query)
    assert before.status_code == 200, before.text
    assert before.json()["images_used"] == 0
    assert before.json()["basis"].endswith("no image of the canopy in the season")
    assert "Hyderabad 2005" in before.json()["weather"]
    assert _upload(farmer, ortho).status_code == 201  # NDVI about 0.7 on 2026-07-20
    after = farmer.get("/fields/B000/forecast", params=query).json()
    assert after["images_used"] == 1
    assert after["basis"].endswith("maximum canopy fitted to 1 image(s)")
    assert after["yield_kg_10a"] == pytest.approx(100 * after["yield_t_ha"], abs=0.1)
    assert after["heading"] < after["harvest"]
    assert after["yield_t_ha"] != before.json()["yield_t_ha"]  # the canopy seen moved it
    problem = farmer.get("/fields/B000/forecast", params={**query, "year": 1990})
    assert problem.status_code == 422
    assert problem.headers["content-type"].startswith(PROBLEM)
    assert "1990" in problem.json()["detail"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # AquaCrop, not storage
def test_a_forecast_runs_on_the_water_the_paddys_inlet_let_in(api: Api, sample_data) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime, timedelta

    from api.irrigation.audit import record_ack, record_command
    from irrigation import GateAck, GateAction, GateCommand, GateRole

    _, farmer = _farmer_with_fields(api, sample_data)
    assert farmer.get("/fields/B000/forecast").status_code == 422  # no date, no paddy
    # Transplanted in February: on the test clock's 1 June that season is harvested.
    paddy = {"id": "P-B000", "field_id": "B000", "transplanted_on": "2026-02-01",
             "inlet_flow_m3_h": 20.0}  # fmt: skip
    assert farmer.post("/paddies", json=paddy).status_code == 201
    start = datetime(2026, 2, 1, 0, 0, tzinfo=UTC)

    def inlet(day: int, action: GateAction, hour: int, *, done: bool = True) -> None:
        at = start + timedelta(days=day, hours=hour)
        command_id = f"c{day}{action.value}"
        record_command(api.engine, GateCommand(
            command_id=command_id, paddy_id="P-B000", role=GateRole.INLET,
            action=action, issued_at=at, reason="test",
        ), device_id=None)  # fmt: skip
        record_ack(api.engine, GateAck(command_id=command_id, ok=done, at=at))

    for day in range(0, 30, 2):  # 2 h at 20 m³/h every other day over 0.3 ha: 13.3 mm each
        inlet(day, GateAction.OPEN, 1)
        inlet(day, GateAction.CLOSE, 3)
    mid = farmer.get("/fields/B000/forecast", params={"year": 2005})
    assert mid.status_code == 200, mid.text
    assert "record ends 2026-03-01, before the season is over" in mid.json()["water"]
    for day in range(30, 120, 2):
        inlet(day, GateAction.OPEN, 1)
        inlet(day, GateAction.CLOSE, 3)
    inlet(121, GateAction.OPEN, 1, done=False)  # refused by the gate: no water
    whole = farmer.get("/fields/B000/forecast", params={"year": 2005}).json()
    assert whole["water"].endswith("mm let in by paddy P-B000's inlet"), whole
    # 60 openings of 2 h at 20 m³/h over the paddy's 0.3 ha: 800 mm
    assert float(whole["water"].split()[1]) == pytest.approx(800, abs=2)
    rain_only = farmer.get("/fields/B000/forecast", params={"year": 2005, "water": "rainfed"})
    assert rain_only.json()["water"] == "rainfed (as asked)"
    # Hyderabad's February to May is dry: the inlet's water is what grows the crop.
    assert rain_only.json()["yield_t_ha"] < whole["yield_t_ha"] / 2
