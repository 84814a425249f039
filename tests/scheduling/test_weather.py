"""Weather holds: the rules on single hours, the recorded file, and the shipped sample."""

from datetime import timedelta
from pathlib import Path

import pytest

from api.scheduling import (
    SAMPLE_WEATHER,
    HoldRules,
    MissionKind,
    RecordedWeather,
    WeatherDataError,
    WeatherHour,
    WeatherLimits,
    blocks_for,
    hold_reason,
)
from tests.scheduling.conftest import KASAI, jst
from tests.scheduling.weather_sample import sample_csv

RULES = HoldRules()
SPRAY, SURVEY = MissionKind.SPRAY, MissionKind.SURVEY


def hour(h: int, **values: float) -> WeatherHour:
    return WeatherHour(start=jst(2, h), **values)


@pytest.mark.parametrize(
    ("values", "kind", "what"),
    [
        ({"wind_m_s": 3.0, "gust_m_s": 5.0}, SPRAY, None),  # at the limits: fly
        ({"wind_m_s": 3.1}, SPRAY, "wind"),
        ({"wind_m_s": 2.0, "gust_m_s": 5.4}, SPRAY, "gust"),
        ({"precipitation_mm": 0.5}, SPRAY, "rain"),
        ({"precipitation_probability_pct": 60.0}, SPRAY, "rain_probability"),
        ({"wind_m_s": 6.0, "precipitation_mm": 0.5}, SURVEY, None),
        ({"wind_m_s": 8.5}, SURVEY, "wind"),
        ({"precipitation_mm": 1.0}, SURVEY, "rain"),
        ({}, SPRAY, None),  # an hour recorded without values: nothing over a limit
    ],
)
def test_each_limit_holds_its_kind(
    values: dict[str, float], kind: MissionKind, what: str | None
) -> None:
    hold = hold_reason([hour(7, **values)], kind, RULES)
    assert (hold.what if hold else None) == what


def test_the_reason_says_what_when_and_the_limit_in_both_languages() -> None:
    hold = hold_reason([hour(6, wind_m_s=1.0), hour(7, wind_m_s=4.2)], SPRAY, RULES)
    assert hold is not None
    assert (
        hold.text_en() == "wind 4.2 m/s at 07:00 on 2 Jun (JST), over the 3 m/s limit for spraying"
    )
    assert hold.text_ja() == "6月2日 07:00 の風速 4.2 m/s（散布の上限 3 m/s）"


def test_rain_just_after_spraying_holds_it_but_not_a_survey() -> None:
    weather = [hour(6, wind_m_s=1.0), hour(7, precipitation_mm=2.0)]
    flight = {"start": jst(2, 6), "end": jst(2, 6, 40)}
    rain = hold_reason(weather, SPRAY, RULES, **flight)
    assert rain is not None
    assert (rain.what, rain.at) == ("rain", jst(2, 7))
    assert hold_reason(weather, SURVEY, RULES, **flight) is None
    dry_after = HoldRules(spray=WeatherLimits(max_wind_m_s=3.0, rain_free_after_s=0.0))
    assert hold_reason(weather, SPRAY, dry_after, **flight) is None


def test_blocks_cover_the_bad_hours_and_the_time_before_rain() -> None:
    weather = [hour(6, wind_m_s=5.0), hour(9, precipitation_mm=1.0), hour(12, wind_m_s=1.0)]
    blocks = blocks_for(weather, SPRAY, RULES)
    assert [(b.start, b.end, b.hold.what) for b in blocks] == [
        (jst(2, 6), jst(2, 7), "wind"),
        (jst(2, 8), jst(2, 10), "rain"),
    ]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "amedas.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_recorded_file_is_read_as_utc_hours_and_served_by_range(tmp_path: Path) -> None:
    text = (
        "# station: 西脇\n"
        "hour_start,wind_m_s,wind_dir_deg,gust_m_s,precipitation_mm\n"
        "2026-06-02T06:00:00+09:00,1.2,180,2.0,0.0\n"
        "2026-06-02T07:00:00+09:00,3.4),,///,0.5\n"
    )
    path = write(tmp_path, text)
    weather = RecordedWeather.read(path)
    assert weather.station == "西脇"
    assert weather.hours == [
        WeatherHour(start=jst(2, 6), wind_m_s=1.2, wind_dir_deg=180.0, gust_m_s=2.0,
                    precipitation_mm=0.0),
        WeatherHour(start=jst(2, 7), wind_m_s=3.4, precipitation_mm=0.5),
    ]  # fmt: skip
    assert weather.forecast(KASAI, jst(2, 6, 30), jst(2, 7)) == weather.hours[:1]
    assert weather.forecast(KASAI, jst(2, 6, 30), jst(2, 7, 1)) == weather.hours
    assert weather.forecast(KASAI, jst(2, 8), jst(2, 9)) == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("hour_start,wind_m_s\n", "no column gust_m_s, precipitation_mm, wind_dir_deg"),
        ("hour_start,wind_m_s,wind_dir_deg,gust_m_s,precipitation_mm\nyesterday,1,0,1,0\n",
         "amedas.csv:2: hour_start 'yesterday' is not a time"),
        ("hour_start,wind_m_s,wind_dir_deg,gust_m_s,precipitation_mm\n"
         "2026-06-02T06:00:00,1,0,1,0\n", "has no UTC offset"),
        ("# x\nhour_start,wind_m_s,wind_dir_deg,gust_m_s,precipitation_mm\n"
         "2026-06-02T06:00:00+09:00,calm,0,1,0\n", "amedas.csv:3: wind_m_s 'calm' is not a number"),
    ],
)  # fmt: skip
def test_a_file_that_is_not_weather_is_refused_naming_the_line(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(WeatherDataError, match=message):
        RecordedWeather.read(write(tmp_path, text))
    with pytest.raises(WeatherDataError, match="cannot read"):
        RecordedWeather.read(tmp_path / "missing.csv")


def test_the_shipped_sample_is_what_its_generator_writes() -> None:
    assert SAMPLE_WEATHER.read_text(encoding="utf-8") == sample_csv()
    weather = RecordedWeather.read(SAMPLE_WEATHER)
    assert len(weather.hours) == 14 * 24
    assert weather.hours[0].start == jst(1, 0)
    assert weather.hours[1].start - weather.hours[0].start == timedelta(hours=1)


def test_the_sample_has_calm_mornings_a_windy_day_and_rainy_days(
    sample_weather: RecordedWeather,
) -> None:
    def held(day: int, hour: int, kind: MissionKind) -> str | None:
        hours = sample_weather.forecast(KASAI, jst(day, hour), jst(day, hour + 2))
        found = hold_reason(hours, kind, RULES, start=jst(day, hour), end=jst(day, hour, 40))
        return found.what if found else None

    assert held(2, 6, SPRAY) is None  # a calm early morning
    assert held(5, 6, SPRAY) == "wind"  # the front's windy day
    assert held(5, 6, SURVEY) is None  # too windy to spray, fine for a camera
    assert held(10, 6, SPRAY) == "rain"  # the rainy season
