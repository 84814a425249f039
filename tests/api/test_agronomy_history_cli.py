"""`tanbo agronomy forecast` learning from a farm's own past yields: a harvest CSV with no
feature columns, yield-monitor points, and the files it refuses.

The weather is real: aquacrop's shipped daily Hyderabad series of 2000–2003, re-dated by
20 years to 2020–2023 (the leap years fall alike, so every day keeps its place). No package
ships a Japanese series; the point here is that each past season runs on its own weather.
"""

import csv
import json
import statistics
from pathlib import Path

import geopandas as gpd
import pytest

from fields.agronomy.season_inputs import shipped_weather
from fields.agronomy.yield_features import FEATURE_NAMES
from tests.api.test_cli import tanbo

KASAI = "kasai_benchmark_fields.geojson"
SEASONS = (2020, 2021, 2022)
FIELDS = tuple(f"F{i:02d}" for i in range(12))
CARRIED = {  # a row that carries its own features, used as given
    "ndvi_tillering_mean": "0.61", "ndvi_heading_mean": "", "gdd_c_day": "1650",
    "rain_mm": "600", "irrigation_mm": "250", "n_applied_kg_ha": "70",
    "process_yield_t_ha": "8.9",
}  # fmt: skip


@pytest.fixture(scope="module")
def weather(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Hyderabad 2000-01-01…2003-12-31 as 2020-01-01…2023-12-31, as a --weather CSV."""
    frame = shipped_weather("hyderabad")
    frame = frame[frame["Date"].dt.year.between(2000, 2003)]
    path = tmp_path_factory.mktemp("weather") / "weather.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["date", "rain_mm", "et0_mm", "tmin_c", "tmax_c"])
        for row in frame.itertuples():
            day = row.Date.date()
            writer.writerow([day.replace(year=day.year + 20).isoformat(), row.Precipitation,
                             row.ReferenceET, row.MinTemp, row.MaxTemp])  # fmt: skip
    return path


def harvests_csv(path: Path, *extra: str) -> Path:
    """12 fields × 3 seasons, yields rising with N; F00 transplanted a week late; one 2019
    row the weather does not cover; one row carrying its own features."""
    header = ["field_id", "season", "yield_kg_10a", "n_applied_kg_ha", "transplanted",
              *(n for n in FEATURE_NAMES if n != "n_applied_kg_ha")]  # fmt: skip
    lines = [",".join(header)]
    for season, shock in zip(SEASONS, (0, 30, -20), strict=True):
        for i, field in enumerate(FIELDS):
            n = 40 + 6 * i
            yield_kg_10a = 480 + 1.5 * n + shock + (i * 7) % 5 * 4
            transplanted = f"{season}-08-08" if field == "F00" else ""
            lines.append(f"{field},{season},{yield_kg_10a:.0f},{n},{transplanted}" + "," * 6)
    lines.append("F00,2019,530,60," + "," * 6)
    carried = ",".join(CARRIED[n] for n in header[5:])
    lines.append(f"F12,2021,560,{CARRIED['n_applied_kg_ha']},,{carried}")
    path.write_text("\n".join([*lines, *extra]) + "\n", encoding="utf-8")
    return path


def history_rows(out: Path) -> dict[tuple[str, int], dict[str, str]]:
    with (out / "history.csv").open(encoding="utf-8") as handle:
        return {(r["field_id"], int(r["season"])): r for r in csv.DictReader(handle)}


def forecast(tmp_path: Path, sample_data: Path, *args: str | Path) -> tuple[str, str, int]:
    result = tanbo(
        "agronomy", "forecast", "--fields", sample_data / KASAI, "--id", "B001", "--id", "B002",
        "--transplanted", "2023-08-01", "--out", tmp_path / "fc", *args, cwd=tmp_path,
    )  # fmt: skip
    return result.stdout, result.stderr, result.returncode


def test_harvest_yields_alone_train_the_model_on_features_computed_from_the_weather(
    tmp_path: Path, sample_data: Path, weather: Path
) -> None:
    harvests = harvests_csv(tmp_path / "harvests.csv")
    stdout, stderr, code = forecast(
        tmp_path, sample_data, "--weather", weather, "--history", harvests
    )
    assert code == 0, stderr
    # 36 computed + the row with its own features; the model, not the fallback.
    assert "B001: trained model (ridge regression on 37 past yields, 3 seasons 2020–2022" in (
        stdout.replace("\n", " ")
    )
    # The season the weather does not cover: one line, what to give, the rest used.
    uncovered = [line for line in stderr.splitlines() if "2019" in line]
    assert len(uncovered) == 1, stderr
    assert "harvests.csv:38" in uncovered[0]
    assert "give a --weather CSV that covers season 2019" in uncovered[0]
    rows = history_rows(tmp_path / "fc")
    assert len(rows) == 38
    assert rows[("F00", 2019)]["features"].startswith("unusable")
    computed = {k: r for k, r in rows.items() if r["features"].startswith("computed")}
    assert len(computed) == 36
    # Each season ran on its own weather; a record's transplanting and N are its own.
    process = {s: {computed[(f, s)]["process_yield_t_ha"] for f in FIELDS[1:]} for s in SEASONS}
    assert all(len(values) == 1 for values in process.values())
    assert len({v for values in process.values() for v in values}) == 3
    assert len({computed[(f, 2021)]["rain_mm"] for f in FIELDS[1:]}) == 1
    assert len({computed[("F01", s)]["rain_mm"] for s in SEASONS}) == 3
    assert "AquaCrop from 2021-08-08" in computed[("F00", 2021)]["features"]
    assert "AquaCrop from 2021-08-01" in computed[("F01", 2021)]["features"]
    assert computed[("F00", 2021)]["gdd_c_day"] != computed[("F01", 2021)]["gdd_c_day"]
    assert float(computed[("F05", 2022)]["n_applied_kg_ha"]) == 70.0
    assert float(computed[("F05", 2022)]["irrigation_mm"]) > 0.0  # ponded by default
    assert computed[("F05", 2022)]["ndvi_heading_mean"] == ""  # no --ndvi images
    own = rows[("F12", 2021)]
    assert own["features"] == "from the record's feature columns"
    assert float(own["gdd_c_day"]) == 1650.0
    assert float(own["process_yield_t_ha"]) == 8.9


def test_without_weather_real_records_are_unusable_and_say_what_to_give(
    tmp_path: Path, sample_data: Path
) -> None:
    harvests = harvests_csv(tmp_path / "harvests.csv")
    stdout, stderr, code = forecast(tmp_path, sample_data, "--year", "2003", "--history", harvests)
    assert code == 0, stderr
    told = [line for line in stderr.splitlines() if "no --weather was given" in line]
    assert len(told) == 1, stderr
    assert "37 record(s)" in told[0]
    assert "shipped Hyderabad series is not used" in told[0]
    assert "B001: process model only (N past yields 1 < 30" in stdout  # only F12's own


def test_yield_monitor_points_join_the_harvest_records_per_field_and_season(
    tmp_path: Path, sample_data: Path, weather: Path
) -> None:
    shapes = gpd.read_file(sample_data / KASAI).set_index("id").geometry
    expected: dict[tuple[str, int], list[float]] = {}
    rows = ["lon,lat,yield_kg_10a,moisture_pct,time"]
    for field in ("B001", "B002"):
        centre = shapes[field].centroid
        for season in SEASONS:
            for k in range(4):
                kg_10a = 500 + 10 * k * k + 20 * (season - 2020) + (30 if field == "B002" else 0)
                expected.setdefault((field, season), []).append(kg_10a / 100)
                rows.append(f"{centre.x + (k - 1.5) * 2e-6:.7f},{centre.y:.7f},{kg_10a},15,"
                            f"{season}-10-2{k}T09:00:00+09:00")  # fmt: skip
    rows += ["135.5,35.0,550,15,2021-10-20T09:00:00", "135.6,35.0,560,15,2021-10-20T09:00:00"]
    rows.append(f"{shapes['B001'].centroid.x},{shapes['B001'].centroid.y},0,15,2021-10-20")
    points = tmp_path / "combine.csv"
    points.write_text("\n".join(rows) + "\n", encoding="utf-8")
    harvests = harvests_csv(tmp_path / "harvests.csv", "B001,2021,540,,,,,,,,")
    stdout, stderr, code = forecast(
        tmp_path, sample_data, "--weather", weather, "--history", harvests,
        "--yield-points", points,
    )  # fmt: skip
    assert code == 0, stderr
    assert "2 of 26 fall inside none of the fields forecast" in stderr
    assert "combine.csv: 1 point(s) left out" in stderr  # the start-of-pass zero
    assert "B001 2021: the yield monitor's" in stderr  # the harvest record wins
    history = history_rows(tmp_path / "fc")
    for (field, season), values in expected.items():
        row = history[(field, season)]
        if (field, season) == ("B001", 2021):
            assert row["source"].endswith("harvests.csv:40")
            assert float(row["yield_t_ha"]) == pytest.approx(5.40)
            continue
        assert row["source"].startswith("yield monitor: combine.csv, mean of 4 points")
        assert float(row["yield_t_ha"]) == pytest.approx(statistics.mean(values), abs=1e-3)
        assert row["features"].startswith(f"computed: AquaCrop from {season}-08-01")
        assert "N 60 kg/ha (--base-n)" in row["features"]
    # 37 from the CSV, B001 2021 from it too, 5 field-seasons from the monitor.
    assert "trained model (ridge regression on 43 past yields" in stdout.replace("\n", " ")


def _geojson_without_season(path: Path) -> Path:
    feature = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [134.83, 34.92]},
               "properties": {"yield_t_ha": 5.2}}  # fmt: skip
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    return path


@pytest.mark.parametrize(
    ("option", "make", "named"),
    [
        ("--history", lambda p: p.write_text("field_id,season,weight\nA,2021,5\n"), "exactly one"),
        ("--yield-points", lambda p: p.write_text("x,y,yield_t_ha\n1,2,5\n"), "lon and lat"),
        ("--yield-points", _geojson_without_season, "carry no season"),
    ],
    ids=["harvests-without-yield", "points-without-lon-lat", "points-without-season"],
)
def test_a_bad_history_file_exits_2_with_one_line_naming_it(
    tmp_path: Path, sample_data: Path, weather: Path, option: str, make: object, named: str
) -> None:
    path = tmp_path / ("bad.geojson" if "season" in named else "bad.csv")
    assert callable(make)
    make(path)
    _, stderr, code = forecast(tmp_path, sample_data, "--weather", weather, option, path)
    assert code == 2
    assert "Traceback" not in stderr
    errors = [line for line in stderr.splitlines() if line.startswith("tanbo:")]
    assert len(errors) == 1, stderr
    assert path.name in errors[0]
    assert named in errors[0]


def test_yield_monitor_points_are_not_mixed_with_a_generated_history(
    tmp_path: Path, sample_data: Path
) -> None:
    points = tmp_path / "combine.csv"
    points.write_text("lon,lat,yield_t_ha,season\n134.83,34.92,5.1,2021\n")
    _, stderr, code = forecast(
        tmp_path, sample_data, "--history", "generated", "--yield-points", points
    )
    assert code == 2
    assert "not with --history generated" in stderr
    assert "Traceback" not in stderr
