"""Writing fields and zones: ``fields.write_fields``, ``fields.write_zones``, ``fields.field_rows``.

An exported file must import back as the same fields (and zones): that is the
promise of :mod:`fields.export`, checked here by re-planning what was written.
"""

import dataclasses
from datetime import date
from pathlib import Path

import pytest
import shapely

import fields
from api.demo import DATA
from core.ids import OwnerName
from fields import FieldRecord, LandUse, fude, read_features

WRITE_SUFFIXES = [".geojson", ".json", ".gpkg", ".fgb", ".parquet", ".kml"]

CLOSE_DEG = 1e-7
"""Largest Hausdorff distance, in degrees (about a centimetre), between a shape and its copy."""

MAFF_UPLAND = "1dba1043-38bb-40da-9e88-eb1ef9beaff4"
MAFF_PADDY = "6c5c49f6-9132-4eff-b3ed-83b6e80155f0"

SAMPLES: dict[str, tuple[str, fields.ImportOptions]] = {
    "india": (
        "india_smallholder_fields.geojson",
        fields.ImportOptions(owner=OwnerName("india-sample")),
    ),
    "maff": (
        "maff_fude_2024_sample.geojson",
        fields.ImportOptions(owner=OwnerName("sapporo-sample")),
    ),
    "kasai": (
        "kasai_benchmark_fields.geojson",
        fields.ImportOptions(
            owner=OwnerName("kasai-demo-farm"),
            crop="rice",
            variety="Koshihikari",
            transplanted_on=date(2024, 5, 20),
        ),
    ),
}
"""The shipped samples, planned with an owner (and for Kasai a crop, variety and date)."""


def planned(sample: str) -> tuple[FieldRecord, ...]:
    name, options = SAMPLES[sample]
    plan = fields.plan_field_import(read_features(DATA / name), [], options)
    assert plan.rejected == ()
    return plan.fields


def reimported(path: Path) -> dict[str, FieldRecord]:
    """The fields a written file plans into, by id, with default import options."""
    plan = fields.plan_field_import(read_features(path), [], fields.ImportOptions())
    assert plan.rejected == ()
    return {f.id: f for f in plan.fields}


@pytest.fixture(scope="module")
def maff() -> tuple[FieldRecord, ...]:
    return planned("maff")


def test_every_writable_extension_is_tested() -> None:
    assert set(WRITE_SUFFIXES) == set(fields.WRITE_FORMATS)


@pytest.mark.parametrize("suffix", WRITE_SUFFIXES)
@pytest.mark.parametrize("sample", list(SAMPLES))
def test_exported_fields_import_back_as_the_same_fields(
    sample: str, suffix: str, tmp_path: Path
) -> None:
    original = {f.id: f for f in planned(sample)}
    path = tmp_path / f"{sample}{suffix}"

    fields.write_fields(path, list(original.values()))
    back = reimported(path)

    assert sorted(back) == sorted(original)
    for field_id, was in original.items():
        now = back[field_id]
        assert (now.owner, now.name, now.crop, now.variety, now.transplanted_on) == (
            was.owner,
            was.name,
            was.crop,
            was.variety,
            was.transplanted_on,
        ), field_id
        assert (now.land_use, now.municipality_code) == (was.land_use, was.municipality_code)
        assert now.area_m2 == pytest.approx(was.area_m2, rel=1e-4), field_id
        assert now.perimeter_m == pytest.approx(was.perimeter_m, rel=1e-4), field_id
        assert shapely.hausdorff_distance(now.geometry, was.geometry) < CLOSE_DEG, field_id
        assert now.source == path.name


@pytest.mark.parametrize("suffix", WRITE_SUFFIXES)
def test_maff_fields_keep_land_use_and_municipality_code(
    suffix: str, maff: tuple[FieldRecord, ...], tmp_path: Path
) -> None:
    path = tmp_path / f"maff{suffix}"

    fields.write_fields(path, maff)
    back = reimported(path)

    assert {i: (f.land_use, f.municipality_code) for i, f in back.items()} == {
        MAFF_UPLAND: (LandUse.UPLAND, "011011"),
        MAFF_PADDY: (LandUse.PADDY, "011011"),
    }
    assert {f.properties["local_government_cd"] for f in back.values()} == {"011011"}
    assert {int(f.properties["land_type"]) for f in back.values()} == {100, 200}


@pytest.mark.parametrize("suffix", WRITE_SUFFIXES)
def test_maff_fields_keep_their_lineage(
    suffix: str, maff: tuple[FieldRecord, ...], tmp_path: Path
) -> None:
    path = tmp_path / f"maff{suffix}"

    fields.write_fields(path, maff)
    back = reimported(path)

    for was in maff:
        assert len(fude.lineage(was.properties)) == 3
        assert fude.lineage(back[was.id].properties) == fude.lineage(was.properties)


def test_field_rows_put_tanbo_columns_first_then_the_source_attributes(
    maff: tuple[FieldRecord, ...],
) -> None:
    rows = fields.field_rows(maff)

    assert [r["id"] for r in rows] == [f.id for f in maff]
    own = ["id", "owner", "name", "crop", "variety", "transplanted_on", "land_use"]
    own += ["municipality_code", "area_ha", "perimeter_m"]
    for row, field in zip(rows, maff, strict=True):
        assert list(row)[: len(own)] == own
        assert list(row)[len(own) :] == list(field.properties)
        assert row["owner"] == "sapporo-sample"
        assert row["land_use"] == field.land_use
        assert row["municipality_code"] == "011011"
        assert row["area_ha"] == pytest.approx(field.area_m2 / 10_000, abs=1e-6)
        assert row["local_government_cd"] == "011011"


def test_field_rows_prefer_tanbo_values_over_stale_attributes() -> None:
    field = planned("kasai")[0]
    stale = {"id": "old-id", "owner": "someone", "area_ha": 999.0, "note": "kept"}
    record = dataclasses.replace(field, properties=stale)

    (row,) = fields.field_rows([record])

    assert (row["id"], row["owner"]) == (field.id, field.owner)
    assert row["area_ha"] == pytest.approx(field.area_m2 / 10_000, abs=1e-6)
    assert row["transplanted_on"] == "2024-05-20"
    assert row["note"] == "kept"


@pytest.mark.parametrize("suffix", WRITE_SUFFIXES)
def test_writing_again_replaces_the_file(
    suffix: str, maff: tuple[FieldRecord, ...], tmp_path: Path
) -> None:
    path = tmp_path / f"fields{suffix}"
    fields.write_fields(path, planned("kasai"))

    fields.write_fields(path, maff)

    assert sorted(reimported(path)) == sorted([MAFF_UPLAND, MAFF_PADDY])


def test_writing_creates_missing_folders(maff: tuple[FieldRecord, ...], tmp_path: Path) -> None:
    path = tmp_path / "exports" / "2024" / "maff.gpkg"

    fields.write_fields(path, maff)

    assert len(read_features(path).features) == 2


@pytest.mark.parametrize("name", ["fields.shp", "fields.csv", "fields.kmz", "fields"])
def test_unknown_extension_raises_unsupported_format(
    name: str, maff: tuple[FieldRecord, ...], tmp_path: Path
) -> None:
    path = tmp_path / name

    with pytest.raises(fields.UnsupportedFormat):
        fields.write_fields(path, maff)
    with pytest.raises(fields.UnsupportedFormat):
        fields.write_zones(path, [])
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("buffer_m", [None, 12.5])
@pytest.mark.parametrize("suffix", WRITE_SUFFIXES)
def test_exported_zones_import_back_with_the_same_ids_and_kinds(
    suffix: str, buffer_m: float | None, tmp_path: Path
) -> None:
    source = read_features(DATA / "kasai_benchmark_no_spray.geojson")
    plan = fields.plan_zone_import(source, kind=None, buffer_m=buffer_m)
    assert len(plan.zones) == 10
    path = tmp_path / f"zones{suffix}"

    fields.write_zones(path, plan.zones)
    back = fields.plan_zone_import(read_features(path), kind=None)

    assert back.rejected == ()
    original = {z.id: z for z in plan.zones}
    now = {z.id: z for z in back.zones}
    assert sorted(now) == sorted(original)
    for zone_id, was in original.items():
        zone = now[zone_id]
        assert (zone.kind, zone.restriction, zone.name) == (was.kind, was.restriction, was.name)
        assert zone.buffer_m == buffer_m
        assert shapely.hausdorff_distance(zone.geometry, was.geometry) < CLOSE_DEG, zone_id
