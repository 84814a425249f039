"""Past yields: harvest-record CSVs, yield-monitor points, and the generated history."""

import json
from pathlib import Path

import numpy as np
import pytest
from shapely import box

from fields.agronomy.errors import AgronomyError
from fields.agronomy.generated_history import GENERATED_SOURCE, generate_history
from fields.agronomy.harvests import HarvestRecord, join_history, read_harvest_records
from fields.agronomy.model import FieldShape, IndexStats, ManagementZone, ZoneMap
from fields.agronomy.season_reference import REFERENCE_YEARS
from fields.agronomy.yield_monitor import (
    aggregate_points,
    aggregate_points_by_zone,
    read_yield_points,
)
from tests.fields.agronomy.season_runs import hyderabad_runs

RECORDS = """\
field_id,season,yield_kg_10a,moisture_pct,harvest_date
A-12,2021,540,15,2021-09-20
A-12,2022,560,17.5,2022-09-18
B-03,2022,,15,
,2022,500,,
B-03,2023,5.2,,2023-09-25
B-03,2021,510,,2021-13-01
A-12,2022,570,,
C-07,twenty,500,,
C-07,2023,530,,2023-09-30
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_harvest_records_keep_the_good_rows_and_report_the_bad_by_line(tmp_path: Path) -> None:
    path = write(tmp_path, "harvests.csv", RECORDS)
    records, problems = read_harvest_records(path)
    assert [(r.field_id, r.season) for r in records] == [
        ("A-12", 2021), ("A-12", 2022), ("C-07", 2023),
    ]  # fmt: skip
    first, wet, _ = records
    assert first.yield_t_ha == pytest.approx(5.40)
    assert first.yield_kg_10a == pytest.approx(540.0)
    assert wet.yield_t_ha == pytest.approx(5.60 * 82.5 / 85.0)  # standardised to 15 %
    assert wet.moisture_pct == 17.5
    assert first.source == f"{path}:2"
    assert not first.generated
    reasons = {p.line: p.reason for p in problems}
    assert sorted(reasons) == [4, 5, 6, 7, 8, 9]
    assert reasons[4] == "no yield"
    assert reasons[5] == "no field_id"
    assert "not a rice yield" in reasons[6]  # 5.2 kg/10a: t/ha in the wrong column
    assert "month must be in 1..12" in reasons[7]
    assert reasons[8] == "A-12 2022 already on line 3"
    assert "twenty" in reasons[9]
    assert str(problems[0]) == f"{path}:4: no yield"


def test_a_unit_column_or_another_yield_header_is_read(tmp_path: Path) -> None:
    path = write(
        tmp_path, "t.csv", "Field_ID,Year,yield,unit\nA,2020,6.1,t/ha\nB,2020,6100,kg/ha\n"
    )
    records, problems = read_harvest_records(path)
    assert not problems
    assert [r.yield_t_ha for r in records] == pytest.approx([6.1, 6.1])
    with pytest.raises(AgronomyError, match="exactly one of"):
        read_harvest_records(
            write(tmp_path, "two.csv", "field_id,season,yield_t_ha,yield_kg_10a\n")
        )
    with pytest.raises(AgronomyError, match="field_id and season"):
        read_harvest_records(write(tmp_path, "none.csv", "name,yield_t_ha\n"))
    with pytest.raises(AgronomyError, match="cannot read"):
        read_harvest_records(tmp_path / "missing.csv")


def zones() -> ZoneMap:
    stats = IndexStats(
        pixels=1.0, valid_fraction=1.0, mean=0.6, median=0.6, std=0.0, min=0.6, max=0.6,
        p10=0.6, p25=0.6, p75=0.6, p90=0.6,
    )  # fmt: skip
    return ZoneMap(
        field_id="A-12",
        index="NDVI",
        zones=(
            ManagementZone(zone=1, geometry=box(139.0, 35.0, 139.001, 35.001), area_m2=1e4,
                           stats=stats),
            ManagementZone(zone=2, geometry=box(139.001, 35.0, 139.002, 35.001), area_m2=1e4,
                           stats=stats),
        ),
    )  # fmt: skip


def test_yield_monitor_points_are_averaged_per_field_and_per_zone(tmp_path: Path) -> None:
    rows = [
        "lon,lat,yield_kg_10a,moisture_pct",
        "139.0002,35.0005,500,15",
        "139.0004,35.0005,600,15",
        "139.0015,35.0005,700,15",
        "139.0050,35.0005,800,15",  # outside both fields
        "139.0003,35.0005,0,15",  # start-of-pass zero
        "139.0003,35.0005,abc,15",
    ]
    points, problems = read_yield_points(write(tmp_path, "ym.csv", "\n".join(rows) + "\n"))
    assert len(points) == 4
    assert [p.line for p in problems] == [6, 7]
    field = FieldShape(id="A-12", geometry=box(139.0, 35.0, 139.002, 35.001))
    other = FieldShape(id="Z-99", geometry=box(140.0, 36.0, 140.001, 36.001))
    per_field = aggregate_points(points, [field, other])
    assert set(per_field) == {"A-12"}  # a field without points is left out
    assert per_field["A-12"].count == 3
    assert per_field["A-12"].mean_kg_10a == pytest.approx(600.0)
    per_zone = aggregate_points_by_zone(points, zones())
    assert per_zone[1].count == 2
    assert per_zone[1].mean_t_ha == pytest.approx(5.5)
    assert per_zone[2].count == 1
    assert per_zone[2].median_t_ha == pytest.approx(7.0)


def test_yield_monitor_geojson_points_are_read_and_bad_features_reported(
    tmp_path: Path,
) -> None:
    def point(lon: float, lat: float, **props: object) -> dict[str, object]:
        geometry = {"type": "Point", "coordinates": [lon, lat]}
        return {"type": "Feature", "geometry": geometry, "properties": props}

    line = {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]},
            "properties": {"yield_t_ha": 5.0}}  # fmt: skip
    collection = {
        "type": "FeatureCollection",
        "features": [point(139.0002, 35.0005, yield_t_ha=5.5), line, point(139.0015, 35.0005)],
    }
    path = write(tmp_path, "ym.geojson", json.dumps(collection))
    points, problems = read_yield_points(path)
    assert [p.yield_t_ha for p in points] == [5.5]
    assert [(p.line, p.reason) for p in problems] == [
        (2, "a LineString, not a Point"), (3, "no yield"),
    ]  # fmt: skip


def test_a_generated_history_is_labelled_reproducible_and_joins_like_real_records() -> None:
    runs = hyderabad_runs()
    fields, seasons = ("G1", "G2", "G3"), REFERENCE_YEARS[:4]
    one = generate_history(fields, seasons, rng=np.random.default_rng(3), process_runs=runs)
    two = generate_history(fields, seasons, rng=np.random.default_rng(3), process_runs=runs)
    assert one.records == two.records
    assert len(one.records) == len(fields) * len(seasons)
    assert all(r.generated and r.source == GENERATED_SOURCE for r in one.records)
    assert {f.regime for f in one.fields} == {"ponded", "rainfed"}
    history, unmatched = join_history(one.records, one.features)
    assert len(history) == len(one.records)
    assert not unmatched
    for h in history:
        assert h.source == GENERATED_SOURCE
        assert 0.5 < h.yield_t_ha / h.features.process_yield_t_ha < 1.3
    stray = HarvestRecord(field_id="X", season=2001, yield_t_ha=5.0, source="records.csv:2")
    _, unmatched = join_history([*one.records, stray], one.features)
    assert unmatched == (stray,)
    with pytest.raises(AgronomyError, match="no AquaCrop run"):
        generate_history(fields, (1999,), rng=np.random.default_rng(3), process_runs=runs)
