"""Fields over HTTP: import, pages, ownership, ETag/If-Match, problem documents."""

import json
from pathlib import Path

import pytest

from api.accounts import Role
from tests.api.conftest import Api

PROBLEM = "application/problem+json"


def _import(client, path: Path, **params):  # type: ignore[no-untyped-def]
    with path.open("rb") as handle:
        return client.post("/fields/import", files={"file": (path.name, handle)}, params=params)


@pytest.fixture
def kasai(sample_data: Path) -> Path:
    return sample_data / "kasai_benchmark_fields.geojson"


def test_farmer_imports_and_pages_own_fields(api: Api, kasai: Path) -> None:
    farmer_id, farmer = api.person(Role.FARMER)
    answer = _import(farmer, kasai)
    assert answer.status_code == 200, answer.text
    assert answer.json()["features"] == 48
    assert len(answer.json()["created"]) == 48
    first = farmer.get("/fields", params={"limit": 10, "offset": 40}).json()
    assert first["count"] == 48
    assert [f["id"] for f in first["data"]] == [f"B{i:03d}" for i in range(40, 48)]
    assert all(f["owner"] == farmer_id for f in first["data"])
    assert first["data"][0]["geometry"]["type"] == "Polygon"
    assert first["data"][0]["area_ha"] > 0


def test_bad_features_are_listed_and_good_ones_kept(api: Api, tmp_path: Path) -> None:
    _, farmer = api.person(Role.FARMER)
    good = [[134.83, 34.92], [134.831, 34.92], [134.831, 34.921], [134.83, 34.921], [134.83, 34.92]]
    bowtie = [
        [134.84, 34.92],
        [134.841, 34.921],
        [134.841, 34.92],
        [134.84, 34.921],
        [134.84, 34.92],
    ]
    features = [
        {
            "type": "Feature",
            "properties": {"id": "good"},
            "geometry": {"type": "Polygon", "coordinates": [good]},
        },
        {
            "type": "Feature",
            "properties": {"id": "line"},
            "geometry": {"type": "LineString", "coordinates": good[:2]},
        },
        {
            "type": "Feature",
            "properties": {"id": "bow"},
            "geometry": {"type": "Polygon", "coordinates": [bowtie]},
        },
    ]
    path = tmp_path / "mixed.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    report = _import(farmer, path).json()
    assert "good" in report["created"]
    assert any(r["feature"].startswith("line") for r in report["rejected"])
    assert farmer.get("/fields").json()["count"] == len(report["created"])


def test_unreadable_upload_is_a_problem_document(api: Api, tmp_path: Path) -> None:
    _, farmer = api.person(Role.FARMER)
    path = tmp_path / "fields.geojson"
    path.write_text("this is not geojson")
    answer = _import(farmer, path)
    assert answer.status_code == 422
    assert answer.headers["content-type"] == PROBLEM
    assert "fields.geojson" in answer.json()["detail"]


def test_farmer_never_sees_or_changes_anothers_field(api: Api, kasai: Path) -> None:
    _, owner = api.person(Role.FARMER, name="owner")
    _, other = api.person(Role.FARMER, name="other")
    _import(owner, kasai)
    assert other.get("/fields").json()["count"] == 0
    assert other.get("/fields/B000").status_code == 404
    tag = owner.get("/fields/B000").headers["ETag"]
    assert (
        other.patch("/fields/B000", json={"crop": "x"}, headers={"If-Match": tag}).status_code
        == 404
    )
    assert other.delete("/fields/B000", headers={"If-Match": tag}).status_code == 404
    # An import cannot take another farmer's id over.
    report = _import(other, kasai).json()
    assert report["created"] == []
    assert len(report["rejected"]) == 48
    assert owner.get("/fields").json()["count"] == 48


def test_operator_reads_all_but_cannot_change(api: Api, kasai: Path) -> None:
    _, farmer = api.person(Role.FARMER)
    _, operator = api.person(Role.OPERATOR)
    _import(farmer, kasai)
    assert operator.get("/fields").json()["count"] == 48
    read = operator.get("/fields/B001")
    assert read.status_code == 200
    tag = read.headers["ETag"]
    answer = operator.patch("/fields/B001", json={"crop": "rice"}, headers={"If-Match": tag})
    assert answer.status_code == 403
    assert answer.headers["content-type"] == PROBLEM
    assert _import(operator, kasai).status_code == 403


def test_update_needs_the_current_etag(api: Api, kasai: Path) -> None:
    _, farmer = api.person(Role.FARMER)
    _import(farmer, kasai)
    read = farmer.get("/fields/B002")
    tag = read.headers["ETag"]
    missing = farmer.patch("/fields/B002", json={"crop": "rice"})
    assert missing.status_code == 428
    assert missing.json()["type"] == "/problems/precondition-required"
    changed = farmer.patch(
        "/fields/B002",
        json={"crop": "rice", "transplanted_on": "2026-05-20"},
        headers={"If-Match": tag},
    )
    assert changed.status_code == 200
    assert changed.json()["crop"] == "rice"
    assert changed.json()["transplanted_on"] == "2026-05-20"
    assert changed.headers["ETag"] != tag
    # A second writer holding the old version is refused and changes nothing.
    stale = farmer.patch("/fields/B002", json={"crop": "wheat"}, headers={"If-Match": tag})
    assert stale.status_code == 412
    assert farmer.get("/fields/B002").json()["crop"] == "rice"
    # The same fake clock for both writes: the version still moves on.
    again = farmer.patch(
        "/fields/B002", json={"crop": "soy"}, headers={"If-Match": changed.headers["ETag"]}
    )
    assert again.status_code == 200
    assert again.headers["ETag"] != changed.headers["ETag"]


def test_unknown_members_and_bad_values_are_named(api: Api, kasai: Path) -> None:
    _, farmer = api.person(Role.FARMER)
    _import(farmer, kasai)
    tag = farmer.get("/fields/B003").headers["ETag"]
    answer = farmer.patch("/fields/B003", json={"owner": "me"}, headers={"If-Match": tag})
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["where"] == "body.owner"
    bad_date = farmer.patch(
        "/fields/B003", json={"transplanted_on": "May"}, headers={"If-Match": tag}
    )
    assert bad_date.status_code == 422
    assert "transplanted_on" in bad_date.json()["detail"]
    assert farmer.get("/fields", params={"limit": 0}).status_code == 422


def test_delete_needs_etag_and_removes(api: Api, kasai: Path) -> None:
    _, farmer = api.person(Role.FARMER)
    _import(farmer, kasai)
    assert farmer.delete("/fields/B004").status_code == 428
    tag = farmer.get("/fields/B004").headers["ETag"]
    assert farmer.delete("/fields/B004", headers={"If-Match": tag}).status_code == 204
    assert farmer.get("/fields/B004").status_code == 404
    assert farmer.get("/fields").json()["count"] == 47


def test_city_staff_import_for_a_farmer(api: Api, kasai: Path) -> None:
    farmer_id, farmer = api.person(Role.FARMER)
    _, staff = api.person(Role.CITY_ADMIN)
    assert _import(staff, kasai, owner=farmer_id).status_code == 200
    assert farmer.get("/fields").json()["count"] == 48
    assert staff.get("/fields", params={"owner": farmer_id}).json()["count"] == 48
    assert staff.get("/fields", params={"owner": "nobody"}).json()["count"] == 0
    _, farmer2 = api.person(Role.FARMER)
    assert _import(farmer2, kasai, owner=farmer_id).status_code == 403


def test_fields_registered_from_a_geojson_body(api: Api) -> None:
    farmer_id, farmer = api.person(Role.FARMER)
    ring = [[134.83, 34.92], [134.831, 34.92], [134.831, 34.921], [134.83, 34.921], [134.83, 34.92]]
    feature = {
        "type": "Feature",
        "properties": {"id": "kasai-0042", "name": "北条町 2-14", "crop": "rice"},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }
    created = farmer.post("/fields", json=feature)
    assert created.status_code == 200, created.text
    assert created.json()["created"] == ["kasai-0042"]
    field = farmer.get("/fields/kasai-0042").json()
    assert field["owner"] == farmer_id
    assert field["crop"] == "rice"
    assert field["area_ha"] == pytest.approx(1.0, rel=0.1)
    swapped = {**feature, "properties": {"id": "bad"}, "geometry": {
        "type": "Polygon", "coordinates": [[[y, x] for x, y in ring]]}}  # fmt: skip
    report = farmer.post("/fields", json={"type": "FeatureCollection", "features": [swapped]})
    assert report.json()["created"] == []
    assert "swapped" in report.json()["rejected"][0]["reason"]
    assert farmer.post("/fields", json={"type": "Point"}).status_code == 422


def test_an_upload_that_is_not_what_it_says_is_refused_unread(api: Api, tmp_path: Path) -> None:
    _, farmer = api.person(Role.FARMER)
    database = api.engine.url.database
    # A VRT dressed as GeoJSON, pointing at Tanbo's own database: never opened.
    vrt = (
        f'<OGRVRTDataSource><OGRVRTLayer name="a"><SrcDataSource>{database}</SrcDataSource>'
        "<SrcLayer>account</SrcLayer></OGRVRTLayer></OGRVRTDataSource>"
    )
    answer = farmer.post("/fields/import", files={"file": ("fields.geojson", vrt.encode())})
    assert answer.status_code == 422
    assert answer.json()["detail"] == "fields.geojson: the content is not GeoJSON"
    if api.engine.dialect.name == "sqlite":  # the database itself, dressed as a GeoPackage
        with open(str(database), "rb") as handle:
            dressed = farmer.post("/fields/import", files={"file": ("f.gpkg", handle.read())})
        assert dressed.status_code == 422
        assert "not a GeoPackage" in dressed.json()["detail"]
    assert farmer.get("/fields").json()["count"] == 0
