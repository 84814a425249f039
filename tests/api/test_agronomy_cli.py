"""`tanbo agronomy` and `tanbo plan spray --prescription` as a user runs them."""

import csv
import json
from pathlib import Path

import geopandas as gpd
import pytest
from shapely import box

from fields.agronomy.model import IndexStats, ManagementZone, ZoneMap
from fields.agronomy.zones_io import write_zone_map
from tests.api.test_cli import tanbo

KASAI = "kasai_benchmark_fields.geojson"


def _stats(mean: float) -> IndexStats:
    return IndexStats(
        pixels=1_000.0, valid_fraction=1.0, mean=mean, median=mean, std=0.02, min=mean - 0.05,
        max=mean + 0.05, p10=mean - 0.03, p25=mean - 0.01, p75=mean + 0.01, p90=mean + 0.03,
    )  # fmt: skip


@pytest.fixture
def halves(tmp_path: Path, sample_data: Path) -> Path:
    """B001 (50 × 120 m) as two zones: the west half weak (NDVI 0.55), the east lush (0.8)."""
    field = gpd.read_file(sample_data / KASAI).set_index("id").geometry["B001"]
    west, south, east, north = field.bounds
    middle = (west + east) / 2
    zone_map = ZoneMap(
        field_id="B001",
        index="NDVI",
        zones=(
            ManagementZone(zone=1, geometry=field.intersection(box(west, south, middle, north)),
                           area_m2=3_000.0, stats=_stats(0.55)),
            ManagementZone(zone=2, geometry=field.intersection(box(middle, south, east, north)),
                           area_m2=3_000.0, stats=_stats(0.80)),
        ),
    )  # fmt: skip
    return write_zone_map(zone_map, tmp_path / "zones.geojson")


def test_prescription_to_variable_rate_plan(
    tmp_path: Path, sample_data: Path, halves: Path
) -> None:
    rx = tmp_path / "rx"
    result = tanbo(
        "agronomy", "prescribe", halves, "--product", "UAN32", "--base-n", "5",
        "--response", "20", "--max-n", "10", "--format", "geojson,shp,isoxml", "--out", rx,
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "21.3" in result.stdout  # zone 1: 5 + 20 × (0.75 − 0.55) = 9 kg N/ha of 32 % N
    assert (rx / "B001_rx.shp").exists()
    assert (rx / "B001_isoxml" / "TASKDATA" / "TASKDATA.XML").exists()
    rates = {
        f["properties"]["zone"]: f["properties"]["rate"]
        for f in json.loads((rx / "B001_rx.geojson").read_text())["features"]
    }
    assert rates == {1: 21.3, 2: 9.5}

    plan_dir = tmp_path / "plan"
    result = tanbo(
        "plan", "spray", sample_data / KASAI, "--id", "B001", "--swath", "5",
        "--prescription", rx / "B001_rx.geojson", "--pump-l-min", "16", "--tank-l", "10",
        "--out", plan_dir, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    with (plan_dir / "summary.csv").open() as handle:
        (row,) = list(csv.DictReader(handle))
    assert float(row["coverage"]) >= 0.995
    # 21.3 L/ha over 0.3 ha and 9.5 L/ha over 0.3 ha: 9.24 L
    assert float(row["product"]) == pytest.approx(9.24, rel=0.02)
    servo = [
        item["params"][1]
        for item in json.loads((plan_dir / "B001.plan").read_text())["mission"]["items"]
        if item.get("command") == 183
    ]
    assert len(set(servo)) == 3  # off, and one pump output per zone


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, sample_data: Path, halves: Path) -> None:
    result = tanbo(
        "agronomy", "prescribe", halves, "--product", "compost", "--out", tmp_path / "rx",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "tanbo: no product named 'compost'; built in: 硫安, 尿素, NK化成17-0-17, UAN32, "
        "液肥N10, ammonium_sulphate, ammonium_sulfate, urea, nk17, uan32, foliar_n10"
    ]
    bogus = tmp_path / "rates.geojson"
    bogus.write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
        '{"name": "a"}, "geometry": {"type": "Polygon", "coordinates": '
        "[[[134.8, 34.9], [134.81, 34.9], [134.81, 34.91], [134.8, 34.9]]]}}]}"
    )
    result = tanbo(
        "plan", "spray", sample_data / KASAI, "--id", "B001", "--swath", "5",
        "--prescription", bogus, "--pump-l-min", "16", "--out", tmp_path / "p", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "rates.geojson" in result.stderr
    assert "rate" in result.stderr
