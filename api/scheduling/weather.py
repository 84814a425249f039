"""Weather: where it comes from (a provider), and when it holds a mission (the rules).

The rules follow MAFF's guideline for spraying from drones: no spraying in wind over
3 m/s, nor in rain or just before it (the spray would be washed off); surveys have
limits of their own. Everything is configurable through :class:`HoldRules`.

Hours with no data (a gap in the record, beyond the forecast's reach) hold the flight as
bad weather would: Tanbo never sprays on a guess. The mission is checked again at every
tick, as the forecast fills in.

Recorded files are hourly CSV, shaped like JMA AMeDAS hourly observations: ``#`` lines
first (``# station: …``, ``# source: …``), then the columns ``hour_start`` (ISO 8601 with
its offset, the hour's *start*: AMeDAS labels an hour by its end), ``wind_m_s`` (10-min
mean at the hour), ``wind_dir_deg``, ``gust_m_s`` (最大瞬間風速 in the hour),
``precipitation_mm`` (the hour's total) and, optionally for forecasts,
``precipitation_probability_pct``. An empty cell or ``///`` is missing.
"""

import bisect
import csv
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

from api.scheduling.errors import WeatherDataError
from api.scheduling.model import JST, MissionKind
from core.geo import GeoPoint

__all__ = [
    "HOUR",
    "SAMPLE_WEATHER",
    "Block",
    "Hold",
    "HoldRules",
    "RecordedWeather",
    "WeatherHour",
    "WeatherLimits",
    "WeatherProvider",
    "blocks_for",
    "hold_reason",
    "missing_blocks",
]

HOUR = timedelta(hours=1)
SAMPLE_WEATHER = Path(__file__).with_name("data") / "kasai_sample_hourly.csv"
"""A generated fortnight of hourly weather, AMeDAS-shaped (see its header)."""

_COLUMNS = ("hour_start", "wind_m_s", "wind_dir_deg", "gust_m_s", "precipitation_mm")
_PROBABILITY = "precipitation_probability_pct"
_MISSING = ("", "///", "×")


@dataclass(frozen=True, kw_only=True, slots=True)
class WeatherHour:
    """One hour's weather from ``start`` (UTC); None where the source has no value."""

    start: datetime
    wind_m_s: float | None = None
    gust_m_s: float | None = None
    wind_dir_deg: float | None = None
    precipitation_mm: float | None = None
    precipitation_probability_pct: float | None = None

    @property
    def end(self) -> datetime:
        """When the hour ends."""
        return self.start + HOUR


class WeatherProvider(Protocol):
    """Forecasts (and, for hours gone by, observations) at a place."""

    def forecast(self, place: GeoPoint, start: datetime, end: datetime) -> Sequence[WeatherHour]:
        """The hours overlapping ``[start, end)`` at ``place``, in time order."""
        ...


@dataclass(frozen=True, kw_only=True, slots=True)
class WeatherLimits:
    """What one kind of mission flies in; over a limit, it is held."""

    max_wind_m_s: float
    max_gust_m_s: float | None = None
    max_precipitation_mm: float = 0.0
    """Rain in an hour above this holds (0: any measured rain)."""
    max_precipitation_probability_pct: float | None = None
    rain_free_after_s: float = 0.0
    """No rain for this long after the flight either (spray must dry on the leaves), s."""


def _spray_limits() -> WeatherLimits:
    return WeatherLimits(
        max_wind_m_s=3.0,
        max_gust_m_s=5.0,
        max_precipitation_mm=0.0,
        max_precipitation_probability_pct=50.0,
        rain_free_after_s=3600.0,
    )


def _survey_limits() -> WeatherLimits:
    return WeatherLimits(max_wind_m_s=8.0, max_gust_m_s=10.0, max_precipitation_mm=0.5)


@dataclass(frozen=True, kw_only=True, slots=True)
class HoldRules:
    """The limits of each mission kind."""

    spray: WeatherLimits = field(default_factory=_spray_limits)
    survey: WeatherLimits = field(default_factory=_survey_limits)

    def of(self, kind: MissionKind) -> WeatherLimits:
        """The limits for ``kind``."""
        return self.spray if kind is MissionKind.SPRAY else self.survey


_WHAT_EN = {
    "no_data": ("no weather data", "h"),
    "wind": ("wind", "m/s"),
    "gust": ("gusts", "m/s"),
    "rain": ("rain", "mm/h"),
    "rain_probability": ("chance of rain", "%"),
}
_WHAT_JA = {
    "no_data": "気象データなし",
    "wind": "風速",
    "gust": "最大瞬間風速",
    "rain": "降水量",
    "rain_probability": "降水確率",
}
_KIND_EN = {MissionKind.SPRAY: "spraying", MissionKind.SURVEY: "surveys"}
_KIND_JA = {MissionKind.SPRAY: "散布", MissionKind.SURVEY: "空撮"}


@dataclass(frozen=True, kw_only=True, slots=True)
class Hold:
    """Why the weather holds a mission: what, when, how much, and the limit."""

    what: str
    """``wind``, ``gust``, ``rain`` or ``rain_probability``."""
    at: datetime
    """The start of the hour at fault (UTC)."""
    value: float
    limit: float
    kind: MissionKind

    def text_en(self) -> str:
        """The reason in English, the time in Japan.

        >>> Hold(what="wind", at=datetime(2026, 6, 2, 22, tzinfo=UTC), value=4.2, limit=3.0,
        ...      kind=MissionKind.SPRAY).text_en()
        'wind 4.2 m/s at 07:00 on 3 Jun (JST), over the 3 m/s limit for spraying'
        """
        name, unit = _WHAT_EN[self.what]
        local = self.at.astimezone(JST)
        if self.what == "no_data":
            return f"no weather data for {local:%H:%M} on {local.day} {local:%b} (JST)"
        return (
            f"{name} {self.value:g} {unit} at {local:%H:%M} on {local.day} {local:%b} (JST), "
            f"over the {self.limit:g} {unit} limit for {_KIND_EN[self.kind]}"
        )

    def text_ja(self) -> str:
        """The reason in Japanese, the time in Japan."""
        unit = _WHAT_EN[self.what][1]
        local = self.at.astimezone(JST)
        if self.what == "no_data":
            return f"{local.month}月{local.day}日 {local:%H:%M} の気象データがありません"
        return (
            f"{local.month}月{local.day}日 {local:%H:%M} の{_WHAT_JA[self.what]} "
            f"{self.value:g} {unit}（{_KIND_JA[self.kind]}の上限 {self.limit:g} {unit}）"
        )

    def __str__(self) -> str:
        return self.text_en()


@dataclass(frozen=True, kw_only=True, slots=True)
class Block:
    """A time no flight of this kind may overlap, because of ``hold``."""

    start: datetime
    end: datetime
    hold: Hold


def _check(
    what: str, value: float | None, limit: float | None, hour: WeatherHour, kind: MissionKind
) -> Hold | None:
    if value is None or limit is None or value <= limit:
        return None
    return Hold(what=what, at=hour.start, value=value, limit=limit, kind=kind)


def _wind_hold(hour: WeatherHour, kind: MissionKind, limits: WeatherLimits) -> Hold | None:
    return _check("wind", hour.wind_m_s, limits.max_wind_m_s, hour, kind) or _check(
        "gust", hour.gust_m_s, limits.max_gust_m_s, hour, kind
    )


def _rain_hold(hour: WeatherHour, kind: MissionKind, limits: WeatherLimits) -> Hold | None:
    return _check("rain", hour.precipitation_mm, limits.max_precipitation_mm, hour, kind) or (
        _check(
            "rain_probability",
            hour.precipitation_probability_pct,
            limits.max_precipitation_probability_pct,
            hour,
            kind,
        )
    )


def hold_reason(
    weather: Sequence[WeatherHour],
    kind: MissionKind,
    rules: HoldRules,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
) -> Hold | None:
    """The first reason the weather holds a flight of ``kind``, or None to fly.

    With ``start`` and ``end`` (the flight), only the hours it overlaps count for wind,
    and for rain those up to ``rain_free_after_s`` after it; without, every hour given.
    """
    limits = rules.of(kind)
    after = timedelta(seconds=limits.rain_free_after_s)
    for hour in sorted(weather, key=lambda h: h.start):
        flying = start is None or end is None or (hour.start < end and start < hour.end)
        drying = start is None or end is None or (hour.start < end + after and start < hour.end)
        hold = (_wind_hold(hour, kind, limits) if flying else None) or (
            _rain_hold(hour, kind, limits) if drying else None
        )
        if hold is not None:
            return hold
    return None


def missing_blocks(
    weather: Sequence[WeatherHour], kind: MissionKind, start: datetime, end: datetime
) -> list[Block]:
    """The hours between ``start`` and ``end`` the record says nothing of: no flight there.

    >>> t = datetime(2026, 6, 1, 21, tzinfo=UTC)
    >>> [b.start.hour for b in missing_blocks([WeatherHour(start=t)], MissionKind.SPRAY,
    ...                                        t - HOUR, t + 2 * HOUR)]
    [20, 22]
    """
    known = {hour.start for hour in weather}
    first = start.replace(minute=0, second=0, microsecond=0)
    blocks = []
    at = first
    while at < end:
        if at not in known:
            hold = Hold(what="no_data", at=at, value=0.0, limit=0.0, kind=kind)
            blocks.append(Block(start=at, end=at + HOUR, hold=hold))
        at += HOUR
    return blocks


def blocks_for(weather: Sequence[WeatherHour], kind: MissionKind, rules: HoldRules) -> list[Block]:
    """The times the weather rules out for flights of ``kind``: each hour over a limit, and
    before rain, the time a flight needs to stay dry after it."""
    limits = rules.of(kind)
    after = timedelta(seconds=limits.rain_free_after_s)
    blocks = []
    for hour in weather:
        wind = _wind_hold(hour, kind, limits)
        if wind is not None:
            blocks.append(Block(start=hour.start, end=hour.end, hold=wind))
        rain = _rain_hold(hour, kind, limits)
        if rain is not None:
            blocks.append(Block(start=hour.start - after, end=hour.end, hold=rain))
    return blocks


class RecordedWeather:
    """Weather from a record: one station's hours, served whatever the place."""

    def __init__(self, hours: Sequence[WeatherHour], *, station: str = "") -> None:
        self.hours = sorted(hours, key=lambda h: h.start)
        self.station = station
        self._starts = [h.start for h in self.hours]

    @classmethod
    def read(cls, path: Path) -> "RecordedWeather":
        """Read a recorded file (see the module's docstring for its columns).

        Raises
        ------
        WeatherDataError
            The file cannot be read, or a line (named) is not weather.
        """
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise WeatherDataError(f"cannot read weather file {path}: {exc}") from exc
        meta = {}
        body_at = 0
        for body_at, line in enumerate(lines):  # noqa: B007  (the first line of the table)
            if not line.startswith("#"):
                break
            key, _, value = line.lstrip("# ").partition(":")
            meta[key.strip()] = value.strip()
        rows = csv.DictReader(lines[body_at:])
        missing = set(_COLUMNS) - set(rows.fieldnames or ())
        if missing:
            raise WeatherDataError(f"{path}: no column {', '.join(sorted(missing))}")
        hours = [_hour(row, f"{path}:{body_at + n + 2}") for n, row in enumerate(rows)]
        return cls(hours, station=meta.get("station", ""))

    def forecast(self, place: GeoPoint, start: datetime, end: datetime) -> list[WeatherHour]:
        """The recorded hours overlapping ``[start, end)``; ``place`` is not looked at."""
        first = bisect.bisect_right(self._starts, start - HOUR)
        last = bisect.bisect_left(self._starts, end)
        return self.hours[first:last]


def _number(row: dict[str, str], name: str, where: str) -> float | None:
    text = (row.get(name) or "").strip().rstrip(")]")  # AMeDAS marks doubtful values
    if text in _MISSING:
        return None
    try:
        value = float(text)
    except ValueError as exc:
        raise WeatherDataError(f"{where}: {name} {text!r} is not a number") from exc
    if not math.isfinite(value) or value < 0:
        raise WeatherDataError(f"{where}: {name} {text!r} is not a non-negative number")
    return value


def _hour(row: dict[str, str], where: str) -> WeatherHour:
    try:
        start = datetime.fromisoformat(row["hour_start"].strip())
    except ValueError as exc:
        raise WeatherDataError(f"{where}: hour_start {row['hour_start']!r} is not a time") from exc
    if start.tzinfo is None:
        raise WeatherDataError(f"{where}: hour_start {row['hour_start']!r} has no UTC offset")
    return WeatherHour(
        start=start.astimezone(UTC),
        wind_m_s=_number(row, "wind_m_s", where),
        gust_m_s=_number(row, "gust_m_s", where),
        wind_dir_deg=_number(row, "wind_dir_deg", where),
        precipitation_mm=_number(row, "precipitation_mm", where),
        precipitation_probability_pct=_number(row, _PROBABILITY, where),
    )
