"""Reading field files in every format Tanbo accepts: ``fields.read.read_features``.

Inputs are the shipped real samples, written into each format in ``tmp_path`` the
way other GIS tools write them (GDAL through pyogrio, GeoParquet through pyarrow).
"""

import zipfile
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import shapely
from shapely.geometry.base import BaseGeometry

import fields
from api.demo import DATA
from fields import read_features
from tests.common import geometries

INDIA = DATA / "india_smallholder_fields.geojson"
MAFF = DATA / "maff_fude_2024_sample.geojson"

CLOSE_DEG = 1e-7
"""Largest Hausdorff distance, in degrees (about a centimetre), between a shape and its copy."""

ALL_SUFFIXES = [".geojson", ".json", ".gpkg", ".shp", ".zip", ".fgb"]
ALL_SUFFIXES += [".parquet", ".geoparquet", ".kml", ".kmz"]
SHAPEFILES = {".shp", ".zip"}
LONG_NAMES = [s for s in ALL_SUFFIXES if s not in SHAPEFILES]
"""Formats whose column names may be longer than dBase's ten characters."""

_DRIVERS = {".geojson": "GeoJSON", ".json": "GeoJSON", ".gpkg": "GPKG", ".fgb": "FlatGeobuf"}
_DRIVERS |= {".shp": "ESRI Shapefile", ".kml": "LIBKML", ".kmz": "LIBKML"}
_DBF_NAMES = {"sample_region": "region"}
"""dBase column names hold ten characters; shortened here rather than laundered by GDAL."""


def write_as(frame: gpd.GeoDataFrame, path: Path, *, zip_folder: str = "") -> Path:
    """Write ``frame`` as the file type that ``path``'s extension names."""
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".geoparquet"):
        frame.to_parquet(path)
    elif suffix == ".zip":
        parts = path.parent / f"{path.stem}-parts"
        parts.mkdir()
        write_as(frame, parts / f"{path.stem}.shp")
        with zipfile.ZipFile(path, "w") as archive:
            for part in sorted(parts.iterdir()):
                archive.write(part, zip_folder + part.name)
    else:
        if suffix == ".shp":
            frame = frame.rename(columns=_DBF_NAMES)
        pyogrio.write_dataframe(frame, path, driver=_DRIVERS[suffix])
    return path


def assert_same_shapes(
    read: dict[str, BaseGeometry | None], expected: dict[str, BaseGeometry]
) -> None:
    assert read.keys() == expected.keys()
    for key, shape in expected.items():
        got = read[key]
        assert got is not None, key
        assert shapely.hausdorff_distance(got, shape) < CLOSE_DEG, key


@pytest.fixture(scope="module")
def india() -> gpd.GeoDataFrame:
    return gpd.read_file(INDIA)


@pytest.fixture(scope="module")
def maff() -> gpd.GeoDataFrame:
    return gpd.read_file(MAFF)


def by_id(frame: gpd.GeoDataFrame, key: str = "id") -> dict[str, BaseGeometry]:
    return dict(zip(frame[key], frame.geometry, strict=True))


def read_shapes(source: fields.SourceFile, key: str = "id") -> dict[str, BaseGeometry | None]:
    return {f.properties[key]: f.geometry for f in source.features}


def test_every_registered_extension_is_tested() -> None:
    assert set(ALL_SUFFIXES) == set(fields.FORMATS)


@pytest.mark.parametrize("suffix", ALL_SUFFIXES)
def test_india_fields_read_from_every_format(
    suffix: str, india: gpd.GeoDataFrame, tmp_path: Path
) -> None:
    source = read_features(write_as(india, tmp_path / f"india{suffix}"))

    assert source.format == fields.FORMATS[suffix]
    assert source.crs == "EPSG:4326"
    assert source.notes == ()
    assert len(source.features) == 100
    assert all(f.layer is None for f in source.features)
    region = _DBF_NAMES["sample_region"] if suffix in SHAPEFILES else "sample_region"
    regions = {f.properties["id"]: f.properties[region] for f in source.features}
    assert regions == dict(zip(india["id"], india["sample_region"], strict=True))
    assert_same_shapes(read_shapes(source), by_id(india))


@pytest.mark.parametrize("suffix", LONG_NAMES)
def test_maff_columns_survive_every_format(
    suffix: str, maff: gpd.GeoDataFrame, tmp_path: Path
) -> None:
    source = read_features(write_as(maff, tmp_path / f"maff{suffix}"))
    plan = fields.plan_field_import(source, [], fields.ImportOptions())

    props = {f.properties["polygon_uuid"]: f.properties for f in source.features}
    assert props.keys() == set(maff["polygon_uuid"])
    assert all(p["local_government_cd"] == "011011" for p in props.values())
    assert {f.id: (f.land_use, f.municipality_code) for f in plan.fields} == {
        "1dba1043-38bb-40da-9e88-eb1ef9beaff4": (fields.LandUse.UPLAND, "011011"),
        "6c5c49f6-9132-4eff-b3ed-83b6e80155f0": (fields.LandUse.PADDY, "011011"),
    }
    assert_same_shapes(read_shapes(source, "polygon_uuid"), by_id(maff, "polygon_uuid"))


@pytest.mark.parametrize("folder", ["", "boundaries/"], ids=["at-root", "in-a-folder"])
def test_zipped_shapefile_keeps_attributes(
    folder: str, india: gpd.GeoDataFrame, tmp_path: Path
) -> None:
    path = write_as(india, tmp_path / "india.zip", zip_folder=folder)
    with zipfile.ZipFile(path) as archive:
        names = {Path(n).suffix for n in archive.namelist()}
    assert {".shp", ".shx", ".dbf", ".prj"} <= names

    source = read_features(path)

    assert source.format == "Shapefile (zipped)"
    assert source.crs == "EPSG:4326"
    props = [f.properties for f in source.features]
    assert [(p["id"], p["region"]) for p in props] == list(
        zip(india["id"], india["sample_region"], strict=True)
    )


def test_two_layer_geopackage_reads_both_layers_labelled_by_layer(
    india: gpd.GeoDataFrame, maff: gpd.GeoDataFrame, tmp_path: Path
) -> None:
    path = tmp_path / "farm.gpkg"
    pyogrio.write_dataframe(india, path, layer="india", driver="GPKG")
    pyogrio.write_dataframe(maff, path, layer="maff", driver="GPKG")

    source = read_features(path)

    assert [f.layer for f in source.features] == ["india"] * 100 + ["maff"] * 2
    maff_features = [f for f in source.features if f.layer == "maff"]
    assert {f.properties["polygon_uuid"] for f in maff_features} == set(maff["polygon_uuid"])
    assert all("maff#" in f.label() for f in maff_features)
    assert source.features[0].label("IN000").startswith("IN000 (india#")
    only_maff = read_features(path, layer="maff")
    assert [f.properties["polygon_uuid"] for f in only_maff.features] == list(maff["polygon_uuid"])


def test_geopackage_layers_in_different_crss_are_brought_together(
    india: gpd.GeoDataFrame, maff: gpd.GeoDataFrame, tmp_path: Path
) -> None:
    path = tmp_path / "farm.gpkg"
    pyogrio.write_dataframe(india, path, layer="india", driver="GPKG")
    pyogrio.write_dataframe(maff.to_crs("EPSG:6680"), path, layer="maff", driver="GPKG")

    source = read_features(path)

    assert any("different CRSs" in note for note in source.notes)
    maff_shapes = {
        f.properties["polygon_uuid"]: f.geometry for f in source.features if f.layer == "maff"
    }
    assert_same_shapes(maff_shapes, by_id(maff, "polygon_uuid"))


def kasai_shapes() -> gpd.GeoDataFrame:
    shapes = [geometries.paddy(), geometries.polygon_with_hole(), geometries.two_paddies()]
    return gpd.GeoDataFrame({"id": ["paddy", "hole", "two"]}, geometry=shapes, crs=4326)


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg", ".shp", ".zip", ".fgb", ".parquet"])
@pytest.mark.parametrize("place", ["india-utm43", "kasai-jgd2011-v"])
def test_projected_file_comes_back_in_wgs84(
    suffix: str, place: str, india: gpd.GeoDataFrame, tmp_path: Path
) -> None:
    original, epsg = (india, 32643) if place == "india-utm43" else (kasai_shapes(), 6673)
    projected = original.to_crs(epsg)

    source = read_features(write_as(projected, tmp_path / f"{place}{suffix}"))

    assert source.crs == f"EPSG:{epsg}"
    assert not source.crs_is_geographic
    assert_same_shapes(read_shapes(source), by_id(original))
    raw = {f.properties["id"]: f.raw_geometry for f in source.features}
    for key, shape in by_id(projected).items():
        assert shapely.hausdorff_distance(raw[key], shape) < 1e-3  # metres, as written


def test_shapefile_without_prj_in_degrees_is_read_as_wgs84_with_a_note(
    india: gpd.GeoDataFrame, tmp_path: Path
) -> None:
    path = write_as(india, tmp_path / "india.shp")
    path.with_suffix(".prj").unlink()

    source = read_features(path)

    assert source.crs == "EPSG:4326"
    assert any("no CRS declared" in note for note in source.notes)
    assert_same_shapes(read_shapes(source), by_id(india))


def test_shapefile_without_prj_in_metres_raises_no_coordinate_system(
    india: gpd.GeoDataFrame, tmp_path: Path
) -> None:
    path = write_as(india.to_crs(32643), tmp_path / "india.shp")
    path.with_suffix(".prj").unlink()

    with pytest.raises(fields.NoCoordinateSystem, match=r"india\.shp"):
        read_features(path)


@pytest.mark.parametrize("name", ["fields.csv", "fields.dxf", "fields.geojson.bak", "fields"])
def test_unknown_extension_raises_unsupported_format(name: str, tmp_path: Path) -> None:
    path = tmp_path / name
    path.write_bytes(INDIA.read_bytes())

    with pytest.raises(fields.UnsupportedFormat):
        read_features(path)


def test_extension_case_is_ignored(india: gpd.GeoDataFrame, tmp_path: Path) -> None:
    path = write_as(india, tmp_path / "INDIA.GEOJSON")

    assert len(read_features(path).features) == 100


@pytest.mark.parametrize("suffix", ALL_SUFFIXES)
def test_missing_file_raises_unreadable_file(suffix: str, tmp_path: Path) -> None:
    with pytest.raises(fields.UnreadableFile, match=f"absent\\{suffix}"):
        read_features(tmp_path / f"absent{suffix}")


@pytest.mark.parametrize("content", [b"", b"\x00\xff\x13garbage, not a field file\n" * 40])
@pytest.mark.parametrize("suffix", ALL_SUFFIXES)
def test_garbage_bytes_raise_unreadable_file(suffix: str, content: bytes, tmp_path: Path) -> None:
    path = tmp_path / f"corrupt{suffix}"
    path.write_bytes(content)

    with pytest.raises(fields.UnreadableFile, match=f"corrupt\\{suffix}"):
        read_features(path)


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg", ".fgb", ".parquet"])
def test_truncated_file_raises_unreadable_file(
    suffix: str, india: gpd.GeoDataFrame, tmp_path: Path
) -> None:
    whole = write_as(india, tmp_path / f"whole{suffix}").read_bytes()
    path = tmp_path / f"truncated{suffix}"
    path.write_bytes(whole[: len(whole) // 2])

    with pytest.raises(fields.UnreadableFile):
        read_features(path)


def test_parquet_without_geometry_raises_unreadable_file(
    india: gpd.GeoDataFrame, tmp_path: Path
) -> None:
    path = tmp_path / "table.parquet"
    india.drop(columns="geometry").to_parquet(path)

    with pytest.raises(fields.UnreadableFile):
        read_features(path)


def test_file_without_features_raises_unreadable_file(tmp_path: Path) -> None:
    path = geometries.feature_collection([], tmp_path / "empty.geojson")

    with pytest.raises(fields.UnreadableFile, match="no layer with features"):
        read_features(path)


@pytest.mark.parametrize("epsg", [None, 6673])
def test_null_geometry_reads_as_none_and_the_others_intact(
    epsg: int | None, tmp_path: Path
) -> None:
    shapes = {"a": geometries.paddy(), "c": geometries.paddy(east_m=100)}
    crs = fields.LocalCrs(epsg=epsg, name="") if epsg else None
    written = {k: fields.to_local(s, crs) if crs else s for k, s in shapes.items()}
    features = [({"id": "a"}, written["a"]), ({"id": "b"}, None), ({"id": "c"}, written["c"])]
    path = geometries.feature_collection(
        features, tmp_path / "null.geojson", crs=f"EPSG:{epsg}" if epsg else None
    )

    source = read_features(path)

    assert [f.properties["id"] for f in source.features] == ["a", "b", "c"]
    assert source.features[1].geometry is None
    assert source.features[1].raw_geometry is None
    read = {f.properties["id"]: f.geometry for f in source.features if f.properties["id"] != "b"}
    assert_same_shapes(read, shapes)
    plan = fields.plan_field_import(source, [], fields.ImportOptions())
    assert sorted(f.id for f in plan.fields) == ["a", "c"]
    assert len(plan.rejected) == 1


@pytest.mark.parametrize("suffix", ALL_SUFFIXES)
def test_every_india_field_imports_with_its_geodesic_area(
    suffix: str, india: gpd.GeoDataFrame, tmp_path: Path
) -> None:
    source = read_features(write_as(india, tmp_path / f"india{suffix}"))

    plan = fields.plan_field_import(source, [], fields.ImportOptions())

    assert plan.rejected == ()
    assert sorted(f.id for f in plan.fields) == sorted(india["id"])
    assert_same_shapes({r.id: r.geometry for r in plan.fields}, by_id(india))
    geodesic = {r.id: fields.geodesic_area_m2(r.geometry) for r in plan.fields}
    # Areas are planar in the UTM zone, whose scale runs from 0.9996 on the central meridian
    # to about 1.0008 at the zone edge: area errors from -0.08 % to +0.16 %, no more.
    off = {
        r.id: f"{r.area_m2 / geodesic[r.id] - 1:+.3%}"
        for r in plan.fields
        if not -0.9e-3 <= r.area_m2 / geodesic[r.id] - 1 <= 1.7e-3
    }
    assert off == {}, "area_m2 differs from the geodesic area by more than UTM's scale error"
