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
        image_date="2026-07-01",
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


def test_from_an_image_to_a_variable_rate_flight(tmp_path: Path, sample_data: Path) -> None:
    """The README's sequence: index → zones → prescription → plan → flown on the simulator."""
    from api.demo.orthomosaic import write_orthomosaic
    from api.flying import load_flight_file
    from tests.api.test_fly_cli import register
    from tests.sim.gcs import running

    fields = sample_data / KASAI
    field = gpd.read_file(fields).set_index("id").geometry["B001"]
    image = write_orthomosaic(field, tmp_path / "B001_multispectral.tif")
    steps = [
        ("agronomy", "index", image, "--fields", fields, "--id", "B001", "--index", "NDVI",
         "--index", "NDRE", "--out", tmp_path / "idx"),
        ("agronomy", "zones", tmp_path / "idx" / "B001_multispectral_NDVI.tif", "--fields",
         fields, "--id", "B001", "--zones", "3", "--out", tmp_path / "zones"),
        ("agronomy", "prescribe", tmp_path / "zones" / "B001_zones.geojson", "--product",
         "UAN32", "--base-n", "5", "--response", "20", "--max-n", "10", "--format",
         "geojson,isoxml", "--out", tmp_path / "rx"),
        ("plan", "spray", fields, "--id", "B001", "--swath", "5", "--prescription",
         tmp_path / "rx" / "B001_rx.geojson", "--pump-l-min", "6", "--tank-l", "10",
         "--out", tmp_path / "plan"),
    ]  # fmt: skip
    for step in steps:
        result = tanbo(*step, cwd=tmp_path)
        assert result.returncode == 0, f"{step[:2]}: {result.stderr}"
    with (tmp_path / "idx" / "stats.csv").open() as handle:
        ndvi = next(r for r in csv.DictReader(handle) if r["index"] == "NDVI")
    assert 0.6 < float(ndvi["mean"]) < 0.8
    assert float(ndvi["valid_fraction"]) == 1.0
    zones = json.loads((tmp_path / "zones" / "B001_zones.geojson").read_text())["features"]
    means = [z["properties"]["mean"] for z in zones]
    assert len(zones) >= 2
    assert means == sorted(means)
    rates = {
        f["properties"]["zone"]: f["properties"]["rate"]
        for f in json.loads((tmp_path / "rx" / "B001_rx.geojson").read_text())["features"]
    }
    assert rates[1] > rates[len(rates)]  # the weakest zone gets the most
    for picture in ("idx/B001_NDVI.png", "zones/B001_zones.png", "rx/B001_rx.png"):
        assert (tmp_path / picture).stat().st_size > 10_000
    with (tmp_path / "plan" / "summary.csv").open() as handle:
        (row,) = list(csv.DictReader(handle))
    assert float(row["coverage"]) >= 0.995

    plan_file = tmp_path / "plan" / "B001.plan"
    home = load_flight_file(plan_file).mission.home
    with running(speedup=60.0, home_lat_deg=home.lat_deg, home_lon_deg=home.lon_deg) as sim:
        url = f"tcp:127.0.0.1:{sim.port}"
        register(tmp_path, url, "SIM-VR-1")
        tank_before = sim.call(lambda: sim.vehicle.state.tank_l)
        result = tanbo("fly", plan_file, "--connect", url, "--pilot", "Kasai Taro", cwd=tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
        tank_after = sim.call(lambda: sim.vehicle.state.tank_l)
    assert "sortie 1: completed" in result.stdout
    # The pump followed the zones: the tank lost about what the plan prescribed.
    assert tank_before - tank_after == pytest.approx(float(row["product"]), rel=0.15)


def test_forecast_per_zone_with_the_prescription_and_too_few_past_yields(
    tmp_path: Path, sample_data: Path, halves: Path
) -> None:
    rx = tmp_path / "rx"
    assert tanbo("agronomy", "prescribe", halves, "--format", "geojson", "--no-maps",
                 "--out", rx, cwd=tmp_path).returncode == 0  # fmt: skip
    harvests = tmp_path / "harvests.csv"
    harvests.write_text(
        "field_id,season,yield_kg_10a\nB001,2023,540\nB001,2024,512\nB001,2025,ten\n"
    )
    result = tanbo(
        "agronomy", "forecast", "--fields", sample_data / KASAI, "--id", "B001",
        "--transplanted", "2026-05-10", "--year", "2005", "--zones", halves,
        "--prescription", rx / "B001_rx.geojson", "--history", harvests,
        "--out", tmp_path / "fc", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Hyderabad 2005" in result.stderr
    assert "harvests.csv:4" in result.stderr  # the bad harvest row, named; the good ones kept
    with (tmp_path / "fc" / "forecast.csv").open() as handle:
        rows = {r["zone"]: r for r in csv.DictReader(handle)}
    assert set(rows) == {"1", "2", ""}
    weak, lush, field = rows["1"], rows["2"], rows[""]
    assert float(weak["yield_t_ha"]) < float(lush["yield_t_ha"])  # NDVI 0.55 against 0.8
    assert int(field["yield_kg_10a"]) == round(100 * float(field["yield_t_ha"]))
    assert field["heading"] < field["harvest"]
    assert field["source"] == "process model only"
    assert "< 30" in field["basis"]  # says why it fell back
    # The weak zone gets 37.5 kg N/ha against the lush zone's 17.5: it gains more.
    gain = {z: float(rows[z]["with_prescription_t_ha"]) - float(rows[z]["yield_t_ha"])
            for z in ("1", "2")}  # fmt: skip
    assert gain["1"] > gain["2"] > 0
