"""Daily weather for the paddy water balance: rain, reference evapotranspiration, temperatures.

Two sources:

- the real daily series the ``aquacrop`` package ships (``aquacrop/data/*_climate.txt``:
  Day Month Year MinTemp MaxTemp Precipitation ReferenceET). Hyderabad (India, 17.4° N,
  2000–2010) is a monsoon paddy region and the site of aquacrop's own paddy-rice reference
  run, which transplants on 1 August (the kharif season). No installed package ships a
  Japanese daily series: aquacrop's other series are British, Belgian, Spanish, Tunisian and
  American (its ``cmip6_woolpit`` files, MIROC6 included, are projections for Woolpit, England);
  pyet ships no data;
- a plain CSV (``date,rain_mm[,et0_mm,tmin_c,tmax_c]``) such as a farmer's rain gauge log or
  a JMA AMeDAS download reduced to those columns, for ``tanbo irrigation sim --rain FILE``.
  Where a row has no ET0 it is computed by pyet's Hargreaves method (FAO-56 eq. 52) from the
  day's minimum and maximum temperatures and the site's latitude.

The files are located through the installed distribution's metadata, not by importing
``aquacrop``: its ``__init__`` loads the whole crop model, which irrigation must not depend on.
"""

import csv
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from importlib import metadata
from pathlib import Path

from irrigation.errors import BadReading, IrrigationError

__all__ = [
    "HYDERABAD_LATITUDE_DEG",
    "KHARIF_TRANSPLANTING",
    "SEASON_DAYS",
    "DailyWeather",
    "aquacrop_series_names",
    "hargreaves_et0_mm",
    "kharif_season",
    "load_aquacrop_series",
    "load_csv",
    "season_window",
]

SEASON_DAYS = 120
"""A paddy season from transplanting to harvest, days."""

KHARIF_TRANSPLANTING = (8, 1)
"""(month, day) of transplanting in aquacrop's Hyderabad paddy-rice reference run."""

HYDERABAD_LATITUDE_DEG = 17.385
"""Latitude of Hyderabad, India, degrees north (for Hargreaves ET0 from its temperatures)."""

_CSV_COLUMNS = ("date", "rain_mm", "et0_mm", "tmin_c", "tmax_c")
_AQUACROP_HEADER = ("Day", "Month", "Year", "MinTemp", "MaxTemp", "Precipitation", "ReferenceET")
_RAIN_MAX_MM = 1000.0
"""More than any day's rain on record anywhere in Japan (922.5 mm); above is a broken file."""
_ET0_MAX_MM = 20.0


@dataclass(frozen=True, kw_only=True, slots=True)
class DailyWeather:
    """One day's weather as the water balance needs it.

    Parameters
    ----------
    day
        The calendar day (local).
    rain_mm
        Rain that day, mm (0…1000).
    et0_mm
        FAO-56 grass reference evapotranspiration that day, mm (0…20).
    tmin_c, tmax_c
        The day's minimum and maximum air temperature, °C, when known.
    """

    day: date
    rain_mm: float
    et0_mm: float
    tmin_c: float | None = None
    tmax_c: float | None = None

    def __post_init__(self) -> None:
        if not (math.isfinite(self.rain_mm) and 0.0 <= self.rain_mm <= _RAIN_MAX_MM):
            raise BadReading(f"{self.day}: rain {self.rain_mm:g} mm is outside 0…{_RAIN_MAX_MM:g}")
        if not (math.isfinite(self.et0_mm) and 0.0 <= self.et0_mm <= _ET0_MAX_MM):
            raise BadReading(f"{self.day}: ET0 {self.et0_mm:g} mm is outside 0…{_ET0_MAX_MM:g}")
        for name, value in (("tmin", self.tmin_c), ("tmax", self.tmax_c)):
            if value is not None and not (math.isfinite(value) and -60.0 <= value <= 60.0):
                raise BadReading(f"{self.day}: {name} {value:g} °C is not a temperature")
        if self.tmin_c is not None and self.tmax_c is not None and self.tmin_c > self.tmax_c:
            raise BadReading(
                f"{self.day}: tmin {self.tmin_c:g} °C is above tmax {self.tmax_c:g} °C"
            )


def _aquacrop_data_dir() -> Path:
    try:
        dist = metadata.distribution("aquacrop")
    except metadata.PackageNotFoundError as exc:
        raise IrrigationError("the aquacrop package is not installed: no shipped weather") from exc
    return Path(str(dist.locate_file("aquacrop/data")))


def aquacrop_series_names() -> tuple[str, ...]:
    """The daily series the installed aquacrop package ships, e.g. ``"hyderabad"``.

    Returns
    -------
    tuple of str
        Names for :func:`load_aquacrop_series`, sorted.
    """
    folder = _aquacrop_data_dir()
    return tuple(sorted(p.name.removesuffix("_climate.txt") for p in folder.glob("*_climate.txt")))


def load_aquacrop_series(name: str = "hyderabad") -> tuple[DailyWeather, ...]:
    """Read one of aquacrop's shipped daily series (``{name}_climate.txt``).

    Parameters
    ----------
    name
        The series, as :func:`aquacrop_series_names` lists them.

    Returns
    -------
    tuple of DailyWeather
        Consecutive days, in order.

    Raises
    ------
    IrrigationError
        aquacrop is not installed or has no such series.
    BadReading
        A row cannot be read; the message names the file and line.
    """
    path = _aquacrop_data_dir() / f"{name}_climate.txt"
    if not path.is_file():
        raise IrrigationError(
            f"aquacrop ships no series {name!r}; it has {', '.join(aquacrop_series_names())}"
        )
    lines = path.read_text(encoding="utf-8").splitlines()
    if not lines or tuple(lines[0].split()) != _AQUACROP_HEADER:
        raise BadReading(f"{path}:1: expected the header {' '.join(_AQUACROP_HEADER)}")
    days: list[DailyWeather] = []
    wheres: list[str] = []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        fields = line.split()
        where = f"{path}:{number}"
        wheres.append(where)
        if len(fields) != len(_AQUACROP_HEADER):
            raise BadReading(f"{where}: expected {len(_AQUACROP_HEADER)} fields, not {len(fields)}")
        try:
            day = date(int(fields[2]), int(fields[1]), int(fields[0]))
            tmin, tmax, rain, et0 = (float(f) for f in fields[3:])
        except ValueError as exc:
            raise BadReading(f"{where}: {exc}") from exc
        days.append(_weather(where, day=day, rain_mm=rain, et0_mm=et0, tmin_c=tmin, tmax_c=tmax))
    _check_consecutive(path, days, wheres)
    return tuple(days)


def hargreaves_et0_mm(
    days: Sequence[date], tmin_c: Sequence[float], tmax_c: Sequence[float], *, latitude_deg: float
) -> list[float]:
    """Reference evapotranspiration from temperatures alone, by pyet's Hargreaves method.

    pyet computes FAO-56 eq. 52, ``0.0023 (Tmean + 17.8) (Tmax - Tmin)^0.5 Ra``, with the
    extraterrestrial radiation Ra for each day of year and latitude. Over Hyderabad's humid
    kharif season it reads about 10–15 % above the shipped Penman-Monteith ET0.

    Parameters
    ----------
    days
        The days, in any order.
    tmin_c, tmax_c
        Each day's minimum and maximum air temperature, °C.
    latitude_deg
        The site's latitude, degrees (north positive).

    Returns
    -------
    list of float
        ET0 per day, mm, in the order given.

    Raises
    ------
    IrrigationError
        The inputs differ in length or the latitude is impossible.
    """
    if not len(days) == len(tmin_c) == len(tmax_c):
        raise IrrigationError("days, tmin and tmax must be as many")
    if not -90.0 <= latitude_deg <= 90.0:
        raise IrrigationError(f"latitude {latitude_deg:g}° is not on Earth")
    if not days:
        return []
    # imported here so that ``import irrigation`` does not pay for pandas
    import pandas as pd
    import pyet

    index = pd.DatetimeIndex([pd.Timestamp(d) for d in days])
    tmin = pd.Series(list(tmin_c), index=index, dtype=float)
    tmax = pd.Series(list(tmax_c), index=index, dtype=float)
    et0 = pyet.hargreaves((tmin + tmax) / 2.0, tmax, tmin, lat=math.radians(latitude_deg))
    return [float(v) for v in et0.to_numpy()]


def load_csv(path: Path, *, latitude_deg: float | None = None) -> tuple[DailyWeather, ...]:
    """Read a daily weather CSV: ``date,rain_mm[,et0_mm,tmin_c,tmax_c]`` with a header row.

    Dates are ISO (``2024-06-01``), one row per day with no gaps. A row whose ``et0_mm`` is
    missing or blank gets ET0 from :func:`hargreaves_et0_mm`, which needs ``tmin_c``,
    ``tmax_c`` and ``latitude_deg``.

    Parameters
    ----------
    path
        The file.
    latitude_deg
        The site's latitude, degrees north; needed only when some row has no ET0.

    Returns
    -------
    tuple of DailyWeather
        Consecutive days, in order.

    Raises
    ------
    IrrigationError
        The file cannot be opened, or ET0 is missing and cannot be computed.
    BadReading
        A row cannot be read; the message names the file and line.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise IrrigationError(f"{path}: cannot read it ({exc.strerror})") from exc
    reader = csv.reader(text.splitlines())
    header = [h.strip() for h in next(reader, [])]
    if header[:2] != ["date", "rain_mm"] or not set(header) <= set(_CSV_COLUMNS):
        raise BadReading(
            f"{path}:1: expected the header date,rain_mm[,et0_mm,tmin_c,tmax_c],"
            f" not {','.join(header)}"
        )
    rows: list[tuple[str, dict[str, str]]] = []
    for number, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            raise BadReading(f"{path}:{number}: {len(row)} fields for {len(header)} columns")
        rows.append((f"{path}:{number}", dict(zip(header, (c.strip() for c in row), strict=False))))
    parsed = [_parse_csv_row(where, cells) for where, cells in rows]
    missing = [i for i, (_, _, et0, _, _) in enumerate(parsed) if et0 is None]
    computed: dict[int, float] = {}
    if missing:
        computed = _fill_et0(path, rows, parsed, missing, latitude_deg)
    pairs = zip(rows, parsed, strict=True)
    days = [
        _weather(
            where,
            day=day,
            rain_mm=rain,
            et0_mm=et0 if et0 is not None else computed[i],
            tmin_c=tmin,
            tmax_c=tmax,
        )
        for i, ((where, _), (day, rain, et0, tmin, tmax)) in enumerate(pairs)
    ]
    _check_consecutive(path, days, [where for where, _ in rows])
    return tuple(days)


def season_window(
    series: Sequence[DailyWeather], start: date, days: int = SEASON_DAYS
) -> tuple[DailyWeather, ...]:
    """The ``days`` consecutive days of a series from ``start`` on.

    Raises
    ------
    IrrigationError
        The series does not cover the whole window.
    """
    if days <= 0:
        raise IrrigationError(f"a season of {days} days is empty")
    if not series:
        raise IrrigationError("the weather series is empty")
    offset = (start - series[0].day).days
    end = start + timedelta(days=days - 1)
    if offset < 0 or offset + days > len(series):
        raise IrrigationError(
            f"the weather runs {series[0].day}…{series[-1].day}, not over {start}…{end}"
        )
    window = tuple(series[offset : offset + days])
    if window[0].day != start or window[-1].day != end:
        raise IrrigationError(f"the weather series has gaps between {start} and {end}")
    return window


def kharif_season(series: Sequence[DailyWeather], year: int) -> tuple[DailyWeather, ...]:
    """The 120-day kharif (monsoon) season from transplanting on 1 August of ``year``."""
    month, day = KHARIF_TRANSPLANTING
    return season_window(series, date(year, month, day), SEASON_DAYS)


def _weather(
    where: str,
    *,
    day: date,
    rain_mm: float,
    et0_mm: float,
    tmin_c: float | None,
    tmax_c: float | None,
) -> DailyWeather:
    try:
        return DailyWeather(day=day, rain_mm=rain_mm, et0_mm=et0_mm, tmin_c=tmin_c, tmax_c=tmax_c)
    except BadReading as exc:
        raise BadReading(f"{where}: {exc}") from exc


def _parse_csv_row(
    where: str, cells: dict[str, str]
) -> tuple[date, float, float | None, float | None, float | None]:
    def number(name: str) -> float | None:
        text = cells.get(name, "")
        if not text:
            return None
        try:
            value = float(text)
        except ValueError as exc:
            raise BadReading(f"{where}: {name} {text!r} is not a number") from exc
        if not math.isfinite(value):
            raise BadReading(f"{where}: {name} {text!r} is not a finite number")
        return value

    try:
        day = date.fromisoformat(cells.get("date", ""))
    except ValueError as exc:
        raise BadReading(f"{where}: date {cells.get('date', '')!r} is not YYYY-MM-DD") from exc
    rain = number("rain_mm")
    if rain is None:
        raise BadReading(f"{where}: rain_mm is missing")
    return day, rain, number("et0_mm"), number("tmin_c"), number("tmax_c")


def _fill_et0(
    path: Path,
    rows: Sequence[tuple[str, dict[str, str]]],
    parsed: Sequence[tuple[date, float, float | None, float | None, float | None]],
    missing: Iterable[int],
    latitude_deg: float | None,
) -> dict[int, float]:
    indices = list(missing)
    first_where = rows[indices[0]][0]
    if latitude_deg is None:
        raise IrrigationError(
            f"{first_where}: no et0_mm, and no latitude to compute it from temperatures"
        )
    tmins: list[float] = []
    tmaxs: list[float] = []
    for i in indices:
        _, _, _, tmin, tmax = parsed[i]
        if tmin is None or tmax is None:
            raise BadReading(f"{rows[i][0]}: no et0_mm, and no tmin_c/tmax_c to compute it")
        if tmin > tmax:
            raise BadReading(f"{rows[i][0]}: tmin {tmin:g} °C is above tmax {tmax:g} °C")
        tmins.append(tmin)
        tmaxs.append(tmax)
    values = hargreaves_et0_mm(
        [parsed[i][0] for i in indices], tmins, tmaxs, latitude_deg=latitude_deg
    )
    return dict(zip(indices, values, strict=True))


def _check_consecutive(path: Path, days: Sequence[DailyWeather], wheres: Sequence[str]) -> None:
    if not days:
        raise IrrigationError(f"{path}: no days in it")
    for i in range(1, len(days)):
        if days[i].day != days[i - 1].day + timedelta(days=1):
            raise BadReading(
                f"{wheres[i]}: {days[i].day} does not follow {days[i - 1].day}:"
                " one row per day, in order"
            )
