"""What a past yield carries into the model: a harvest row's transplanting, nitrogen and own
features, and yield-monitor points turned into one record per field and season."""

import json
import math
from datetime import date
from pathlib import Path

import pytest
from shapely import box

from fields.agronomy.errors import AgronomyError
from fields.agronomy.harvests import read_harvest_records
from fields.agronomy.model import FieldShape
from fields.agronomy.yield_monitor import (
    YIELD_MONITOR_SOURCE,
    YieldPoint,
    read_yield_points,
    records_from_points,
)

WEST = FieldShape(id="W", geometry=box(139.0, 35.0, 139.001, 35.001))
EAST = FieldShape(id="E", geometry=box(139.001, 35.0, 139.002, 35.001))

ROWS = """\
field_id,season,yield_kg_10a,transplanted,n_applied_kg_ha,gdd_c_day,rain_mm,irrigation_mm,process_yield_t_ha,ndvi_heading_mean
A,2021,540,2021-05-12,80,,,,,
A,2022,550,,,,,,,
A,2023,560,,70,1700,600,250,8.1,0.7
A,2024,530,2023-05-12,,,,,,
A,2025,530,,-5,,,,,
A,2026,530,,,1700,,,,
A,2027,530,,,,,,,0.7
"""


def test_a_harvest_row_carries_its_transplanting_nitrogen_or_all_its_features(
    tmp_path: Path,
) -> None:
    path = tmp_path / "harvests.csv"
    path.write_text(ROWS, encoding="utf-8")
    records, problems = read_harvest_records(path)
    given, bare, carried = records
    assert given.transplanted == date(2021, 5, 12)
    assert given.n_applied_kg_ha == 80.0
    assert given.features is None  # N alone is what a computed season is given
    assert (bare.transplanted, bare.n_applied_kg_ha, bare.features) == (None, None, None)
    assert carried.features is not None
    assert carried.features.gdd_c_day == 1700.0
    assert carried.features.n_applied_kg_ha == 70.0
    assert carried.features.ndvi_heading_mean == 0.7
    assert math.isnan(carried.features.ndvi_tillering_mean)  # no column: missing, not 0
    reasons = {p.line: p.reason for p in problems}
    assert sorted(reasons) == [5, 6, 7, 8]
    assert reasons[5] == "transplanted 2023-05-12 is not in season 2024"
    assert "n_applied_kg_ha -5 is outside" in reasons[6]
    assert "has gdd_c_day but not rain_mm, irrigation_mm, n_applied_kg_ha" in reasons[7]
    assert "give every feature column or none" in reasons[8]


def test_points_take_their_season_from_a_season_column_or_their_time(tmp_path: Path) -> None:
    by_time = tmp_path / "by_time.csv"
    by_time.write_text(
        "lon,lat,yield_t_ha,timestamp\n"
        "139.0005,35.0005,5.0,2023-10-01T09:30:00+09:00\n"
        "139.0005,35.0005,5.2,\n"
        "139.0005,35.0005,5.4,2023-13-01\n",
        encoding="utf-8",
    )
    points, problems = read_yield_points(by_time)
    assert [(p.season, p.day) for p in points] == [(2023, date(2023, 10, 1))]
    assert (problems[0].line, problems[0].reason) == (3, "no season or time")
    assert problems[1].line == 4
    feature = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [139.0005, 35.0]},
               "properties": {"Yield_kg_10a": 520, "Season": 2022}}  # fmt: skip
    geojson = tmp_path / "ym.geojson"
    geojson.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    (point,), _ = read_yield_points(geojson)
    assert (point.season, point.day) == (2022, None)
    undated = tmp_path / "undated.csv"
    undated.write_text("lon,lat,yield_t_ha\n139.0005,35.0005,5.0\n", encoding="utf-8")
    (loose,), none = read_yield_points(undated)
    assert loose.season is None  # a plain yield map still reads
    assert not none


def test_points_become_one_record_per_field_and_season_and_strays_are_counted() -> None:
    def at(lon: float, t_ha: float, season: int, day: int | None = None) -> YieldPoint:
        when = date(season, 10, day) if day is not None else None
        return YieldPoint(lon=lon, lat=35.0005, yield_t_ha=t_ha, season=season, day=when)

    points = [
        at(139.0002, 5.0, 2022, 1), at(139.0004, 6.0, 2022, 3), at(139.0006, 7.6, 2022, 2),
        at(139.0002, 4.0, 2023), at(139.0015, 6.5, 2023, 5),
        at(139.0050, 9.0, 2023), at(139.0060, 9.0, 2022),  # in neither field
    ]  # fmt: skip
    records, outside = records_from_points(points, [WEST, EAST], source="combine.csv")
    assert outside == 2
    assert [(r.field_id, r.season) for r in records] == [("W", 2022), ("E", 2023), ("W", 2023)]
    west_2022, east_2023, west_2023 = records
    assert west_2022.yield_t_ha == pytest.approx(6.2)  # the mean, not the median
    assert west_2022.harvested == date(2022, 10, 3)  # the field's last point day
    assert (
        west_2022.source
        == f"{YIELD_MONITOR_SOURCE}: combine.csv, mean of 3 points (median 6.00 t/ha)"
    )
    assert east_2023.yield_t_ha == pytest.approx(6.5)
    assert west_2023.yield_t_ha == pytest.approx(4.0)
    assert west_2023.harvested is None
    assert records_from_points([], [WEST], source="none.csv") == ((), 0)
    with pytest.raises(AgronomyError, match="1 point"):
        records_from_points(
            [YieldPoint(lon=139.0002, lat=35.0005, yield_t_ha=5.0)], [WEST], source="x.csv"
        )
