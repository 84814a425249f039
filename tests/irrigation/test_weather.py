"""Daily weather: aquacrop's shipped series, plain CSV files, Hargreaves ET0, season windows."""

import math
from datetime import date, timedelta
from importlib import metadata
from pathlib import Path

import pandas as pd
import pyet
import pytest

from irrigation.errors import BadReading, IrrigationError
from irrigation.weather import (
    HYDERABAD_LATITUDE_DEG,
    DailyWeather,
    aquacrop_series_names,
    hargreaves_et0_mm,
    kharif_season,
    load_aquacrop_series,
    load_csv,
    season_window,
)

HYDERABAD_FILE = Path(
    str(metadata.distribution("aquacrop").locate_file("aquacrop/data/hyderabad_climate.txt"))
)


@pytest.fixture(scope="module")
def hyderabad() -> tuple[DailyWeather, ...]:
    return load_aquacrop_series("hyderabad")


@pytest.fixture(scope="module")
def hyderabad_frame() -> pd.DataFrame:
    frame = pd.read_csv(HYDERABAD_FILE, sep=r"\s+")
    frame.index = pd.to_datetime({"year": frame.Year, "month": frame.Month, "day": frame.Day})
    return frame


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "weather.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_hyderabad_series_is_read_whole_and_day_by_day(
    hyderabad: tuple[DailyWeather, ...], hyderabad_frame: pd.DataFrame
) -> None:
    assert hyderabad[0].day == date(2000, 1, 1)
    assert hyderabad[-1].day == date(2010, 12, 31)
    assert len(hyderabad) == (date(2010, 12, 31) - date(2000, 1, 1)).days + 1
    assert sum(d.rain_mm for d in hyderabad) == pytest.approx(hyderabad_frame.Precipitation.sum())
    assert sum(d.et0_mm for d in hyderabad) == pytest.approx(hyderabad_frame.ReferenceET.sum())
    assert hyderabad[0] == DailyWeather(
        day=date(2000, 1, 1), rain_mm=0.0, et0_mm=3.6, tmin_c=11.3, tmax_c=27.3
    )


def test_shipped_series_include_hyderabad_and_no_japanese_site() -> None:
    names = aquacrop_series_names()
    assert "hyderabad" in names
    assert not {"tokyo", "tsukuba", "niigata", "kasai", "japan"} & set(names)


def test_an_unknown_series_is_refused_naming_those_shipped() -> None:
    with pytest.raises(IrrigationError, match="hyderabad"):
        load_aquacrop_series("kasai")


def test_kharif_season_is_120_days_from_transplanting_on_1_august(
    hyderabad: tuple[DailyWeather, ...], hyderabad_frame: pd.DataFrame
) -> None:
    season = kharif_season(hyderabad, 2000)
    assert [d.day for d in season] == [date(2000, 8, 1) + timedelta(days=i) for i in range(120)]
    monsoon_rain = hyderabad_frame.Precipitation["2000-08-01":"2000-11-28"].sum()
    assert sum(d.rain_mm for d in season) == pytest.approx(monsoon_rain)
    assert monsoon_rain > 500.0  # a monsoon season, as a paddy model should be tested on


def test_a_window_the_series_does_not_cover_is_refused(
    hyderabad: tuple[DailyWeather, ...],
) -> None:
    with pytest.raises(IrrigationError, match="2010-12-31"):
        season_window(hyderabad, date(2010, 10, 1), 120)
    with pytest.raises(IrrigationError, match="empty"):
        season_window(hyderabad, date(2005, 8, 1), 0)


def test_csv_with_et0_is_read_as_written(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "date,rain_mm,et0_mm,tmin_c,tmax_c\n2024-06-01,12.5,3.1,18.0,26.0\n\n2024-06-02,0,4.2,,\n",
    )
    assert load_csv(path) == (
        DailyWeather(day=date(2024, 6, 1), rain_mm=12.5, et0_mm=3.1, tmin_c=18.0, tmax_c=26.0),
        DailyWeather(day=date(2024, 6, 2), rain_mm=0.0, et0_mm=4.2),
    )


def test_csv_without_et0_gets_pyets_hargreaves_from_temperatures(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "date,rain_mm,tmin_c,tmax_c\n2024-07-01,0,21.0,29.5\n2024-07-02,35,22.0,27.0\n",
    )
    days = load_csv(path, latitude_deg=35.66)
    index = pd.DatetimeIndex(["2024-07-01", "2024-07-02"])
    tmin = pd.Series([21.0, 22.0], index=index)
    tmax = pd.Series([29.5, 27.0], index=index)
    expected = pyet.hargreaves((tmin + tmax) / 2, tmax, tmin, lat=math.radians(35.66))
    assert [d.et0_mm for d in days] == pytest.approx(list(expected))
    assert 3.0 < days[0].et0_mm < 7.0  # a Tokyo July day


def test_hargreaves_et0_tracks_the_shipped_penman_monteith_et0_over_a_monsoon_season(
    hyderabad: tuple[DailyWeather, ...],
) -> None:
    season = kharif_season(hyderabad, 2003)
    et0 = hargreaves_et0_mm(
        [d.day for d in season],
        [d.tmin_c or 0.0 for d in season],
        [d.tmax_c or 0.0 for d in season],
        latitude_deg=HYDERABAD_LATITUDE_DEG,
    )
    shipped = sum(d.et0_mm for d in season)
    # Hargreaves knows nothing of the monsoon's humidity and reads high: 1.15 here.
    assert 1.0 < sum(et0) / shipped < 1.2


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("2024-13-02,1.0,3.0", "date '2024-13-02' is not YYYY-MM-DD"),
        ("2024-06-02,-1.0,3.0", "rain -1 mm"),
        ("2024-06-02,lots,3.0", "rain_mm 'lots' is not a number"),
        ("2024-06-02,nan,3.0", "is not a finite number"),
        ("2024-06-02,,3.0", "rain_mm is missing"),
        ("2024-06-02,1.0,25.0", "ET0 25 mm"),
        ("2024-06-02,1.0,3.0,9", "4 fields for 3 columns"),
        ("2024-06-04,1.0,3.0", "2024-06-04 does not follow 2024-06-01"),
    ],
)
def test_a_bad_csv_row_is_refused_naming_file_and_line(
    tmp_path: Path, row: str, message: str
) -> None:
    path = write(tmp_path, f"date,rain_mm,et0_mm\n2024-06-01,0,3.0\n{row}\n")
    with pytest.raises(BadReading, match=r"weather\.csv:3: ") as caught:
        load_csv(path)
    assert message in str(caught.value)
    assert str(path) in str(caught.value)


def test_a_row_without_et0_needs_temperatures_and_a_latitude(tmp_path: Path) -> None:
    path = write(tmp_path, "date,rain_mm,et0_mm,tmin_c,tmax_c\n2024-06-01,0,,20,28\n")
    with pytest.raises(IrrigationError, match=r"weather\.csv:2: no et0_mm, and no latitude"):
        load_csv(path)
    path = write(tmp_path, "date,rain_mm,et0_mm,tmin_c,tmax_c\n2024-06-01,0,,,28\n")
    with pytest.raises(BadReading, match=r"weather\.csv:2: no et0_mm, and no tmin_c/tmax_c"):
        load_csv(path, latitude_deg=35.0)
    path = write(tmp_path, "date,rain_mm,tmin_c,tmax_c\n2024-06-01,0,30,20\n")
    with pytest.raises(BadReading, match=r"weather\.csv:2: tmin 30 °C is above tmax 20 °C"):
        load_csv(path, latitude_deg=35.0)


@pytest.mark.parametrize(
    "header", ["day,rain_mm", "date,rain", "date,rain_mm,wind_m_s", "rain_mm,date", ""]
)
def test_a_csv_with_another_header_is_refused(tmp_path: Path, header: str) -> None:
    path = write(tmp_path, f"{header}\n2024-06-01,0\n")
    with pytest.raises(BadReading, match=r"weather\.csv:1: expected the header date,rain_mm"):
        load_csv(path)


def test_a_missing_or_empty_file_is_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(IrrigationError, match=r"nowhere\.csv: cannot read it"):
        load_csv(tmp_path / "nowhere.csv")
    with pytest.raises(IrrigationError, match="no days in it"):
        load_csv(write(tmp_path, "date,rain_mm\n"))


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"rain_mm": -0.1}, "rain"),
        ({"rain_mm": 1500.0}, "rain"),
        ({"et0_mm": math.nan}, "ET0"),
        ({"tmin_c": 30.0, "tmax_c": 20.0}, "above tmax"),
        ({"tmax_c": 99.0}, "not a temperature"),
    ],
)
def test_daily_weather_refuses_impossible_values(fields: dict[str, float], message: str) -> None:
    values: dict[str, float] = {"rain_mm": 0.0, "et0_mm": 3.0} | fields
    with pytest.raises(BadReading, match=message):
        DailyWeather(day=date(2024, 6, 1), **values)
