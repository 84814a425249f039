"""What a season in AquaCrop is driven by: daily weather, the water regime and the soil.

Weather comes as AquaCrop's own frame (what ``aquacrop.utils.prepare_weather`` returns), built
from any daily values that carry ``day``, ``rain_mm``, ``et0_mm``, ``tmin_c`` and ``tmax_c``
(``DailyWeatherLike``) — irrigation's ``DailyWeather`` has them, but ``fields`` may not import
``irrigation`` (a higher layer), so it is matched by shape, not imported. The series the
package ships (Hyderabad 2000–2010, the site of its paddy-rice reference) load without it.

A forecast made mid-season needs weather for the days still to come: ``extend_with_climatology``
fills them with the mean of past years on the same calendar day, the usual stand-in when no
seasonal forecast is at hand.

The water regime is one of three values: ``Rainfed``; ``PondedWater``, which keeps standing
water topped up to a depth, with dry spells (mid-season drainage, final drainage) where the
inlet stays shut; and ``IrrigationSchedule``, the millimetres that went in each day, which
``api`` can total from irrigation's stored gate and water-level records.
"""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

import pandas as pd
from aquacrop.utils import get_filepath, prepare_weather

from fields.agronomy.errors import AgronomyError, NotEnoughData

__all__ = [
    "WEATHER_COLUMNS",
    "CustomSoil",
    "DailyWeatherLike",
    "IrrigationSchedule",
    "PondedWater",
    "Rainfed",
    "SoilLayer",
    "WaterManagement",
    "check_weather_frame",
    "extend_with_climatology",
    "shipped_weather",
    "weather_frame",
]

WEATHER_COLUMNS = ("MinTemp", "MaxTemp", "Precipitation", "ReferenceET", "Date")
"""AquaCrop's weather frame: °C, °C, mm, mm (FAO-56 ET0) and the day."""


class DailyWeatherLike(Protocol):
    """One day's weather, as ``irrigation.weather.DailyWeather`` holds it."""

    @property
    def day(self) -> date: ...
    @property
    def rain_mm(self) -> float: ...
    @property
    def et0_mm(self) -> float: ...
    @property
    def tmin_c(self) -> float | None: ...
    @property
    def tmax_c(self) -> float | None: ...


def weather_frame(series: Sequence[DailyWeatherLike]) -> pd.DataFrame:
    """Daily weather values as AquaCrop's weather frame.

    Parameters
    ----------
    series
        Consecutive days with temperatures (°C), rain (mm) and ET0 (mm).

    Returns
    -------
    pandas.DataFrame
        ``MinTemp``, ``MaxTemp``, ``Precipitation``, ``ReferenceET``, ``Date``.

    Raises
    ------
    AgronomyError
        A day lacks its temperatures, or the days are not consecutive.
    """
    for d in series:
        if d.tmin_c is None or d.tmax_c is None:
            raise AgronomyError(f"{d.day}: AquaCrop needs the day's minimum and maximum °C")
    frame = pd.DataFrame(
        {
            "MinTemp": [d.tmin_c for d in series],
            "MaxTemp": [d.tmax_c for d in series],
            "Precipitation": [d.rain_mm for d in series],
            "ReferenceET": [d.et0_mm for d in series],
            "Date": pd.to_datetime([d.day for d in series]),
        }
    )
    _check_days(frame)
    return frame


def shipped_weather(name: str = "hyderabad") -> pd.DataFrame:
    """A daily series the ``aquacrop`` package ships (``{name}_climate.txt``), read by it.

    Raises
    ------
    AgronomyError
        The package ships no such series.
    """
    try:
        path = get_filepath(f"{name}_climate.txt")
        return prepare_weather(path)[list(WEATHER_COLUMNS)]
    except (OSError, ValueError) as exc:
        raise AgronomyError(f"aquacrop ships no weather series {name!r}") from exc


def _check_days(frame: pd.DataFrame) -> None:
    steps = frame["Date"].diff().dropna()
    if len(steps) and not (steps == pd.Timedelta(days=1)).all():
        gap = frame["Date"].iloc[int((steps != pd.Timedelta(days=1)).to_numpy().argmax()) + 1]
        raise AgronomyError(f"weather: the days are not consecutive before {gap.date()}")


def check_weather_frame(frame: pd.DataFrame, start: date) -> pd.DataFrame:
    """A copy of ``frame`` with AquaCrop's columns only, checked to run on from ``start``.

    Raises
    ------
    AgronomyError
        A column is missing, a value is not finite, or the days are not consecutive.
    NotEnoughData
        The weather does not cover ``start`` and the days after it.
    """
    missing = [c for c in WEATHER_COLUMNS if c not in frame.columns]
    if missing:
        raise AgronomyError(f"weather: missing column(s) {', '.join(missing)}")
    out = frame[list(WEATHER_COLUMNS)].copy().reset_index(drop=True)
    out["Date"] = pd.to_datetime(out["Date"])
    values = out[list(WEATHER_COLUMNS[:4])].to_numpy(dtype=float)
    if not pd.notna(values).all() or (abs(values) == math.inf).any():
        raise AgronomyError("weather: a temperature, rain or ET0 value is missing or not finite")
    _check_days(out)
    first, last = out["Date"].iloc[0].date(), out["Date"].iloc[-1].date()
    if not first <= start < last:
        raise NotEnoughData(f"weather runs {first}…{last}, which does not cover {start} onward")
    return out


def extend_with_climatology(
    weather: pd.DataFrame, climate: pd.DataFrame, *, until: date
) -> pd.DataFrame:
    """The weather so far, followed up to ``until`` by the past years' mean of each calendar day.

    Parameters
    ----------
    weather
        Observed days (AquaCrop's frame).
    climate
        Past years' days (AquaCrop's frame); 29 February takes 28 February's mean when the
        past has no leap day.
    until
        The last day to fill.

    Returns
    -------
    pandas.DataFrame
        The observed days unchanged, then the filled days.

    Raises
    ------
    NotEnoughData
        The past lacks some calendar day to fill.
    """
    last = pd.Timestamp(weather["Date"].iloc[-1])
    future = pd.date_range(last + pd.Timedelta(days=1), pd.Timestamp(until), freq="D")
    if len(future) == 0:
        return weather[list(WEATHER_COLUMNS)].copy()
    past = climate.assign(key=climate["Date"].dt.strftime("%m-%d"))
    means = past.groupby("key")[list(WEATHER_COLUMNS[:4])].mean()
    keys = [d.strftime("%m-%d") for d in future]
    keys = [k if k in means.index or k != "02-29" else "02-28" for k in keys]
    absent = sorted({k for k in keys if k not in means.index})
    if absent:
        raise NotEnoughData(f"climatology: no past weather on {', '.join(absent[:3])}")
    filled = means.loc[keys].reset_index(drop=True).assign(Date=future)
    return pd.concat([weather[list(WEATHER_COLUMNS)], filled], ignore_index=True)


@dataclass(frozen=True, kw_only=True, slots=True)
class Rainfed:
    """No irrigation: the bunds keep what rain falls."""


@dataclass(frozen=True, kw_only=True, slots=True)
class PondedWater:
    """Standing water kept topped up: refill to ``depth_mm`` once it falls below the mark.

    ``dry_spells`` are ranges of days after transplanting (first, last; day 0 is
    transplanting) when the inlet stays shut, such as mid-season drainage (中干し) about a
    month after transplanting and the final drainage (落水) before harvest.
    """

    depth_mm: float = 50.0
    refill_below_mm: float = 20.0
    dry_spells: tuple[tuple[int, int], ...] = ()

    def __post_init__(self) -> None:
        if not 0.0 < self.depth_mm <= 300.0 or not 0.0 <= self.refill_below_mm <= self.depth_mm:
            raise AgronomyError(
                f"ponded water: depth {self.depth_mm:g} mm, refill below"
                f" {self.refill_below_mm:g} mm (need 0 ≤ refill ≤ depth ≤ 300)"
            )
        for first, last in self.dry_spells:
            if not 0 <= first <= last:
                raise AgronomyError(f"ponded water: dry spell {first}…{last} is not a day range")

    def dose_mm(self, *, day_after_transplanting: int, pond_mm: float) -> float:
        """Water to let in on a day, mm, given the standing water at its start."""
        if any(a <= day_after_transplanting <= b for a, b in self.dry_spells):
            return 0.0
        return self.depth_mm - pond_mm if pond_mm < self.refill_below_mm else 0.0


@dataclass(frozen=True, kw_only=True, slots=True)
class IrrigationSchedule:
    """The water let in, mm per day, on the days it was; other days get none."""

    mm_by_day: tuple[tuple[date, float], ...]

    def __post_init__(self) -> None:
        days = [day for day, _ in self.mm_by_day]
        if len(set(days)) != len(days):
            raise AgronomyError("irrigation schedule: a day is listed twice")
        for day, mm in self.mm_by_day:
            if not (math.isfinite(mm) and 0.0 <= mm <= 500.0):
                raise AgronomyError(f"irrigation schedule: {day}: {mm:g} mm is outside 0…500")

    @classmethod
    def from_mapping(cls, mm_by_day: Mapping[date, float]) -> "IrrigationSchedule":
        """A schedule from ``{day: mm}``."""
        return cls(mm_by_day=tuple(sorted((d, float(mm)) for d, mm in mm_by_day.items())))

    @property
    def total_mm(self) -> float:
        """All the water the schedule lets in, mm."""
        return sum(mm for _, mm in self.mm_by_day)


WaterManagement = Rainfed | PondedWater | IrrigationSchedule


@dataclass(frozen=True, kw_only=True, slots=True)
class SoilLayer:
    """One soil layer: thickness (m), water contents (m³/m³) and saturated conductivity."""

    thickness_m: float
    wilting_point: float
    field_capacity: float
    saturation: float
    ksat_mm_day: float

    def __post_init__(self) -> None:
        tenths = self.thickness_m * 10.0
        if not 1.0 <= tenths <= 20.0 or abs(tenths - round(tenths)) > 1e-9:
            # AquaCrop's profile is 0.1 m compartments; a layer must fill whole ones.
            raise AgronomyError(f"soil layer {self.thickness_m:g} m: use 0.1…2 m in 0.1 m steps")
        if not 0.0 < self.wilting_point < self.field_capacity < self.saturation < 1.0:
            raise AgronomyError(
                "soil layer: need 0 < wilting point < field capacity < saturation < 1,"
                f" not {self.wilting_point:g}, {self.field_capacity:g}, {self.saturation:g}"
            )
        if not 0.0 < self.ksat_mm_day <= 10_000.0:
            raise AgronomyError(f"soil layer: Ksat {self.ksat_mm_day:g} mm/day")


@dataclass(frozen=True, kw_only=True, slots=True)
class CustomSoil:
    """A soil profile from its layers, top first, at least as deep as rice roots (0.5 m)."""

    layers: tuple[SoilLayer, ...]
    curve_number: float = 77.0
    """SCS curve number (the ``Paddy`` soil's 77 by default)."""
    readily_evaporable_water_mm: float = 10.0

    def __post_init__(self) -> None:
        depth_m = sum(layer.thickness_m for layer in self.layers)
        if not 0.5 <= depth_m <= 3.0:
            raise AgronomyError(f"soil profile {depth_m:g} m deep: use 0.5…3 m")
        if not 30.0 <= self.curve_number <= 100.0:
            raise AgronomyError(f"curve number {self.curve_number:g} is outside 30…100")
