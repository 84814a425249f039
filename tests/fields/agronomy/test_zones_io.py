"""Zones GeoJSON: written and read back unchanged; a bad file named with its feature."""

import json
import math
from pathlib import Path

import pytest
from shapely import box

from fields.agronomy.errors import BadPrescription
from fields.agronomy.model import IndexStats, ManagementZone, ZoneMap
from fields.agronomy.zones_io import read_zone_maps, write_zone_map


def _stats(mean: float) -> IndexStats:
    return IndexStats(
        pixels=100.0, valid_fraction=1.0, mean=mean, median=mean, std=0.01, min=mean - 0.02,
        max=mean + 0.02, p10=mean - 0.01, p25=mean, p75=mean, p90=mean + 0.01,
    )  # fmt: skip


def _zone_map() -> ZoneMap:
    return ZoneMap(
        field_id="B001",
        index="NDVI",
        image_date="2026-07-20",
        zones=(
            ManagementZone(zone=1, geometry=box(134.0, 34.0, 134.001, 34.001), area_m2=8_400.0,
                           stats=_stats(0.4)),
            ManagementZone(zone=2, geometry=box(134.001, 34.0, 134.002, 34.001), area_m2=8_400.0,
                           stats=_stats(0.8)),
        ),
    )  # fmt: skip


def test_zones_survive_a_round_trip(tmp_path: Path) -> None:
    original = _zone_map()
    (read,) = read_zone_maps(write_zone_map(original, tmp_path / "zones.geojson"))
    assert read.field_id == "B001"
    assert read.index == "NDVI"
    assert read.image_date == "2026-07-20"
    assert [z.zone for z in read.zones] == [1, 2]
    assert [z.stats.mean for z in read.zones] == [0.4, 0.8]
    assert read.zones[1].geometry.equals(original.zones[1].geometry)


def test_a_zone_without_valid_pixels_keeps_nan_statistics(tmp_path: Path) -> None:
    stats = IndexStats(
        pixels=4.0, valid_fraction=0.0, mean=math.nan, median=math.nan, std=math.nan,
        min=math.nan, max=math.nan, p10=math.nan, p25=math.nan, p75=math.nan, p90=math.nan,
    )  # fmt: skip
    zone_map = ZoneMap(
        field_id="X",
        index="NDRE",
        zones=(ManagementZone(zone=1, geometry=box(0, 0, 0.001, 0.001), area_m2=1.0, stats=stats),),
    )
    path = write_zone_map(zone_map, tmp_path / "z.geojson")
    assert json.loads(path.read_text())["features"][0]["properties"]["mean"] is None
    with pytest.raises(BadPrescription, match="feature 1: needs field_id, zone, area_m2 and mean"):
        read_zone_maps(path)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"zone": 3}, r"zones must be numbered 1\.\.n"),
        ({"area_m2": -5}, "feature 2: zone 2: area -5"),
        ({"mean": "high"}, "feature 2: mean = 'high' is not a number"),
    ],
)
def test_a_bad_zone_is_named(tmp_path: Path, change: dict[str, object], message: str) -> None:
    path = write_zone_map(_zone_map(), tmp_path / "zones.geojson")
    document = json.loads(path.read_text())
    document["features"][1]["properties"].update(change)
    path.write_text(json.dumps(document))
    with pytest.raises(BadPrescription, match=message):
        read_zone_maps(path)


def test_a_file_that_is_not_zones_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.geojson"
    path.write_text('{"type": "Feature"}')
    with pytest.raises(BadPrescription, match=r"x\.geojson: not a zones GeoJSON"):
        read_zone_maps(path)
    path.write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
        '{"field_id": "a", "zone": 1, "area_m2": 5, "mean": 0.5}, '
        '"geometry": {"type": "Point", "coordinates": [0, 0]}}]}'
    )
    with pytest.raises(BadPrescription, match="a zone must be a polygon, not Point"):
        read_zone_maps(path)
