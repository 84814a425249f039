"""The registry on a real database: each test runs on SQLite and on PostgreSQL."""

import dataclasses
import json
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import shapely
from sqlalchemy import Engine

from api import registry
from api.errors import NotFound, StorageError
from core.clock import FakeClock
from core.ids import OwnerName
from fields import ImportOptions, ZoneKind, plan_field_import, read_features
from fields.zones import DEFAULT_BUFFERS_M
from tests.common.geometries import feature_collection, paddy, rect

KASAI = "kasai_benchmark_fields.geojson"
OWNER = ImportOptions(owner=OwnerName("kasai-farm"))


def _stored(engine: Engine) -> dict[str, tuple[str, float, str | None]]:
    return {f.id: (f.owner, round(f.area_m2, 3), f.name) for f in registry.list_fields(engine)}


def test_import_registers_every_field_of_a_real_file(engine: Engine, sample_data: Path) -> None:
    report = registry.import_fields(engine, sample_data / KASAI, OWNER)
    assert (len(report.created), len(report.updated), len(report.rejected)) == (48, 0, 0)
    stored = registry.list_fields(engine)
    assert [f.id for f in stored] == [f"B{i:03d}" for i in range(48)]
    b000 = registry.get_field(engine, "B000")
    assert b000.name == "rect_30x100"
    assert b000.owner == "kasai-farm"
    assert b000.area_m2 == pytest.approx(3_000, rel=0.01)
    assert b000.local_crs_epsg == 6673


def test_importing_the_same_file_again_updates_instead_of_duplicating(
    engine: Engine, sample_data: Path
) -> None:
    registry.import_fields(engine, sample_data / KASAI, OWNER)
    before = _stored(engine)
    again = registry.import_fields(engine, sample_data / KASAI, OWNER)
    assert (len(again.created), len(again.updated), len(again.rejected)) == (0, 48, 0)
    assert _stored(engine) == before


def test_reimport_takes_the_new_attributes_and_keeps_created_at(
    engine: Engine, sample_data: Path, tmp_path: Path
) -> None:
    first = FakeClock(datetime(2026, 4, 1, tzinfo=UTC))
    registry.import_fields(engine, sample_data / KASAI, OWNER, clock=first)
    doc = json.loads((sample_data / KASAI).read_text())
    doc["features"][0]["properties"].update(name="north paddy", crop="rice", variety="Kinumusume")
    edited = tmp_path / KASAI
    edited.write_text(json.dumps(doc))
    registry.import_fields(engine, edited, OWNER, clock=FakeClock(datetime(2026, 5, 1, tzinfo=UTC)))
    b000 = registry.get_field(engine, "B000")
    assert (b000.name, b000.crop, b000.variety) == ("north paddy", "rice", "Kinumusume")
    assert len(registry.list_fields(engine)) == 48


def test_an_interrupted_import_leaves_the_stored_fields_as_they_were(
    engine: Engine, sample_data: Path, tmp_path: Path
) -> None:
    india = "india_smallholder_fields.geojson"
    registry.import_fields(engine, sample_data / india, OWNER)
    before = _stored(engine)
    doc = json.loads((sample_data / india).read_text())
    for feature in doc["features"]:
        feature["properties"]["name"] = "renamed"
    doc["features"].append({**doc["features"][0], "properties": {"id": "NEW", "name": "new"}})
    doc["features"][-1]["geometry"] = json.loads(shapely.to_geojson(paddy()))
    edited = tmp_path / india
    edited.write_text(json.dumps(doc))
    seen: list[tuple[int, int]] = []

    def interrupt_half_way(done: int, total: int) -> None:
        seen.append((done, total))
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        registry.import_fields(engine, edited, OWNER, progress=interrupt_half_way)
    assert seen[0][0] < seen[0][1]  # some rows were written, the rest not yet
    assert _stored(engine) == before


def test_a_row_the_database_refuses_half_way_changes_nothing(
    engine: Engine, sample_data: Path
) -> None:
    registry.import_fields(engine, sample_data / "maff_fude_2024_sample.geojson", ImportOptions())
    before = _stored(engine)
    plan = plan_field_import(read_features(sample_data / KASAI), [], OWNER)
    fields = list(plan.fields)
    fields[24] = dataclasses.replace(fields[24], area_m2=0.0)  # breaks CHECK (area_m2 > 0)
    with pytest.raises(StorageError, match="refused"):
        registry.store_field_plan(engine, dataclasses.replace(plan, fields=tuple(fields)))
    assert _stored(engine) == before


def test_dry_run_reports_without_storing(engine: Engine, sample_data: Path) -> None:
    report = registry.import_fields(engine, sample_data / KASAI, OWNER, dry_run=True)
    assert len(report.created) == 48
    assert registry.list_fields(engine) == []


def test_rejected_features_are_reported_and_the_good_ones_stored(
    engine: Engine, sample_data: Path
) -> None:
    registry.import_fields(engine, sample_data / KASAI, OWNER)
    report = registry.import_fields(engine, sample_data / "hostile_fields.geojson", OWNER)
    assert set(report.created) == {"H-BOWTIE", "H-GOOD"}
    assert [p.feature.split()[0] for p in report.rejected] == [
        "H-SWAP", "H-POINT", "H-TINY", "H-HUGE", "H-OVERLAP", "H-EMPTY", "H-DATE",
    ]  # fmt: skip
    assert [r.feature.split()[0] for r in report.repaired] == ["H-BOWTIE"]
    assert len(registry.list_fields(engine)) == 50
    good = registry.get_field(engine, "H-GOOD")
    assert (good.crop, good.variety, good.transplanted_on) == (
        "rice",
        "Yamada Nishiki",
        date(2026, 5, 20),
    )


def test_overlap_is_checked_against_stored_fields_of_the_same_owner(
    engine: Engine, tmp_path: Path
) -> None:
    first = feature_collection([({"id": "P1"}, paddy())], tmp_path / "a.geojson")
    second = feature_collection([({"id": "P2"}, paddy(10, 10))], tmp_path / "b.geojson")
    registry.import_fields(engine, first, OWNER)
    mine = registry.import_fields(engine, second, OWNER)
    assert len(mine.rejected) == 1
    # P2 is P1 moved 10 m east and north: they share 20 m × 90 m.
    found = re.fullmatch(
        r"overlaps field P1 of kasai-farm by ([\d,.]+) m²", mine.rejected[0].reason
    )
    assert found is not None
    assert float(found.group(1).replace(",", "")) == pytest.approx(1_800, rel=5e-3)
    neighbour = registry.import_fields(engine, second, ImportOptions(owner=OwnerName("neighbour")))
    assert neighbour.created == ("P2",)


def test_an_id_of_another_owner_is_not_taken_over(engine: Engine, tmp_path: Path) -> None:
    path = feature_collection([({"id": "P1"}, paddy())], tmp_path / "a.geojson")
    registry.import_fields(engine, path, OWNER)
    report = registry.import_fields(engine, path, ImportOptions(owner=OwnerName("someone")))
    assert "registered to another owner (kasai-farm)" in report.rejected[0].reason
    assert registry.get_field(engine, "P1").owner == "kasai-farm"


def test_a_newer_maff_release_replaces_the_polygon_it_descends_from(
    engine: Engine, sample_data: Path, tmp_path: Path
) -> None:
    path = sample_data / "maff_fude_2024_sample.geojson"
    registry.import_fields(engine, path, ImportOptions())
    doc = json.loads(path.read_text())
    old_id = doc["features"][1]["properties"]["polygon_uuid"]
    doc["features"][1]["properties"].update(
        polygon_uuid="00000000-2025-4000-8000-000000000001",
        last_polygon_uuid=old_id,
        issue_year=2025,
    )
    newer = tmp_path / "fude_2025.geojson"
    newer.write_text(json.dumps(doc))
    report = registry.import_fields(engine, newer, ImportOptions())
    assert report.replaced == {"00000000-2025-4000-8000-000000000001": (old_id,)}
    assert report.rejected == ()
    ids = {f.id for f in registry.list_fields(engine)}
    assert old_id not in ids
    assert "00000000-2025-4000-8000-000000000001" in ids
    assert len(ids) == 2


def test_update_field_changes_the_farmers_attributes(engine: Engine, sample_data: Path) -> None:
    registry.import_fields(engine, sample_data / KASAI, OWNER)
    changed = registry.update_field(
        engine, "B001", crop="rice", variety="Koshihikari", transplanted_on=date(2026, 5, 10)
    )
    assert (changed.crop, changed.variety, changed.transplanted_on) == (
        "rice",
        "Koshihikari",
        date(2026, 5, 10),
    )
    assert registry.get_field(engine, "B001").variety == "Koshihikari"
    with pytest.raises(NotFound):
        registry.update_field(engine, "nope", crop="rice")


def test_list_fields_filters_by_owner_and_ids(engine: Engine, sample_data: Path) -> None:
    registry.import_fields(engine, sample_data / KASAI, OWNER)
    registry.import_fields(engine, sample_data / "maff_fude_2024_sample.geojson", ImportOptions())
    assert len(registry.list_fields(engine, owner="kasai-farm")) == 48
    assert len(registry.list_fields(engine, owner="unassigned")) == 2
    assert [f.id for f in registry.list_fields(engine, ids=["B003", "B001"])] == ["B001", "B003"]
    with pytest.raises(NotFound):
        registry.get_field(engine, "B999")


def test_zones_touch_a_field_only_within_their_buffer(engine: Engine, tmp_path: Path) -> None:
    field = feature_collection([({"id": "F"}, paddy())], tmp_path / "f.geojson")
    registry.import_fields(engine, field, OWNER)
    zones = feature_collection(
        [
            ({"id": "house-8m"}, rect(38, 40, 10, 10)),  # 8 m east of the paddy
            ({"id": "house-20m"}, rect(50, 40, 10, 10)),  # 20 m east
            ({"id": "school-200m", "buffer_m": 250}, rect(230, 40, 10, 10)),  # own buffer
        ],
        tmp_path / "z.geojson",
    )
    report = registry.import_zones(
        engine, zones, kind=ZoneKind.HOUSE, buffers_m=dict(DEFAULT_BUFFERS_M)
    )
    assert len(report.created) == 3
    touching = registry.zones_for_field(engine, "F", dict(DEFAULT_BUFFERS_M))
    assert [t.zone.id for t in touching] == ["house-8m", "school-200m"]
    assert touching[0].distance_m == pytest.approx(8.0, abs=0.1)
    # a 2 m × 10 m band level with the house, plus the rounded corners of its buffer: 36 m²
    assert touching[0].overlap_m2 == pytest.approx(36.0, rel=0.02)
    wider = {**DEFAULT_BUFFERS_M, ZoneKind.HOUSE: 25.0}
    assert [t.zone.id for t in registry.zones_for_field(engine, "F", wider)] == [
        "house-8m",
        "house-20m",
        "school-200m",
    ]


def test_zones_reimport_updates_and_kind_filter(engine: Engine, sample_data: Path) -> None:
    path = sample_data / "kasai_benchmark_no_spray.geojson"
    buffers = dict(DEFAULT_BUFFERS_M)
    assert len(registry.import_zones(engine, path, kind=None, buffers_m=buffers).created) == 10
    again = registry.import_zones(engine, path, kind=None, buffers_m=buffers)
    assert (len(again.created), len(again.updated)) == (0, 10)
    assert len(registry.list_zones(engine, kind=ZoneKind.HOUSE)) == 10
    assert registry.list_zones(engine, kind=ZoneKind.SCHOOL) == []


def test_zone_dry_run_reports_without_storing(engine: Engine, sample_data: Path) -> None:
    path = sample_data / "kasai_benchmark_no_spray.geojson"
    report = registry.import_zones(
        engine, path, kind=None, buffers_m=dict(DEFAULT_BUFFERS_M), dry_run=True
    )
    assert len(report.created) == 10
    assert report.dry_run
    assert registry.list_zones(engine) == []


def test_delete_removes_all_the_given_fields_or_none(engine: Engine, sample_data: Path) -> None:
    registry.import_fields(engine, sample_data / KASAI, OWNER)
    with pytest.raises(NotFound, match="'B999'; nothing was deleted"):
        registry.delete_fields(engine, ["B001", "B999"])
    assert len(registry.list_fields(engine)) == 48
    registry.delete_fields(engine, ["B001", "B002"])
    assert [f.id for f in registry.list_fields(engine, ids=["B000", "B001", "B002"])] == ["B000"]
