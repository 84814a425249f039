"""A field's season forecast set up from what Tanbo holds: weather, water, images, zones,
a prescription and past yields.

Weather: a daily CSV of the farm's own station (``irrigation.weather.load_csv``), or one
of the series the ``aquacrop`` package ships (real daily weather of Hyderabad, 2000–2010;
no package ships a Japanese one). A shipped series of another year is used as that year's
season: the transplanting keeps its month and day, moved into the series' year, and image
dates move with it, so each image keeps its days after transplanting. The note says so.

Water: kept ponded (湛水) with mid-season drainage (中干し) 30–40 days after transplanting
and the final drainage (落水) from day 95, as Japanese paddies are run (a season that
matures sooner, as on Hyderabad's hot weather, is never drained); or rainfed.

Past yields (``api.agronomy.history``): a harvest CSV, yield-monitor points, or the history
generated from AquaCrop (labelled as generated everywhere); a record's season features are
its own columns or computed as this module computes the coming season's. Fewer than 30
field-seasons over 3 seasons: the process model alone, and the forecast's basis says so.
"""

import csv
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from fields.agronomy.errors import AgronomyError
from fields.agronomy.forecast import (
    FieldForecast,
    ZoneForecast,
    canopy_cover_from_ndvi,
    forecast_yield,
    forecast_zones,
)
from fields.agronomy.model import ZoneMap
from fields.agronomy.n_response import PrescriptionEffect, with_without_prescription
from fields.agronomy.season import SeasonSetup, run_season
from fields.agronomy.season_inputs import (
    PondedWater,
    WaterManagement,
    shipped_weather,
    weather_frame,
)
from fields.agronomy.season_reference import REFERENCE_YEARS
from fields.agronomy.yield_features import season_features
from fields.agronomy.yield_model import TrainedYieldModel, YieldModel, YieldPrediction
from irrigation.weather import load_csv

__all__ = [
    "PADDY_WATER",
    "FieldOutlook",
    "SeasonWeather",
    "forecast_field",
    "read_ndvi_series",
    "season_weather",
]

PADDY_WATER = PondedWater(depth_mm=50.0, refill_below_mm=20.0, dry_spells=((30, 40), (95, 200)))
"""Ponded at 5 cm, topped up below 2 cm; 中干し on days 30–40, 落水 from day 95."""


@dataclass(frozen=True, kw_only=True, slots=True)
class SeasonWeather:
    """The weather a season runs on, and how the real calendar maps onto it."""

    frame: pd.DataFrame
    transplanting: date
    """Transplanting in the weather's calendar."""
    shift_days: int
    """Days added to a real date to find it in the weather's calendar (0 for own weather)."""
    note: str

    def to_weather_day(self, day: date) -> date:
        """A real date (an image's) in the weather's calendar."""
        return day + timedelta(days=self.shift_days)

    def to_real_day(self, day: date) -> date:
        """A date of the weather's calendar (heading, harvest) in the real one."""
        return day - timedelta(days=self.shift_days)


def season_weather(
    transplanted: date,
    *,
    weather_csv: Path | None = None,
    latitude_deg: float | None = None,
    year: int | None = None,
) -> SeasonWeather:
    """The season's weather: the farm's CSV, or aquacrop's Hyderabad series for ``year``.

    Raises
    ------
    AgronomyError
        The CSV cannot be read, or the year is not in the shipped series.
    """
    if weather_csv is not None:
        try:
            series = load_csv(weather_csv, latitude_deg=latitude_deg)
        except ValueError as exc:
            raise AgronomyError(f"{weather_csv.name}: {exc}") from exc
        return SeasonWeather(
            frame=weather_frame(series), transplanting=transplanted, shift_days=0,
            note=f"weather: {weather_csv.name}",
        )  # fmt: skip
    chosen = year if year is not None else REFERENCE_YEARS[len(REFERENCE_YEARS) // 2]
    if chosen not in REFERENCE_YEARS:
        years = f"{REFERENCE_YEARS[0]}–{REFERENCE_YEARS[-1]}"
        raise AgronomyError(f"the shipped weather covers {years}, not {chosen}")
    try:
        moved = transplanted.replace(year=chosen)
    except ValueError:  # 29 February into a year without one
        moved = transplanted.replace(year=chosen, day=28)
    return SeasonWeather(
        frame=shipped_weather("hyderabad"),
        transplanting=moved,
        shift_days=(moved - transplanted).days,
        note=(
            f"weather: Hyderabad {chosen} (real daily series shipped with the aquacrop "
            "package; no Japanese series is available in any package — give --weather "
            "for your own station)"
        ),
    )


def read_ndvi_series(paths: Sequence[Path]) -> dict[str, list[tuple[date, float]]]:
    """Field id → (image date, mean NDVI) from ``stats.csv`` files of ``tanbo agronomy index``.

    Raises
    ------
    AgronomyError
        A file is not such a table (the file and line are named).
    """
    series: dict[str, list[tuple[date, float]]] = {}
    for path in paths:
        try:
            with path.open(newline="", encoding="utf-8") as handle:
                reader = csv.DictReader(handle)
                if not {"field_id", "index", "image_date", "mean"} <= set(reader.fieldnames or ()):
                    raise AgronomyError(
                        f"{path.name}: needs field_id, index, image_date and mean columns"
                    )
                for line, row in enumerate(reader, start=2):
                    if row.get("index", "").upper() != "NDVI" or not row.get("mean"):
                        continue
                    try:
                        day, mean = date.fromisoformat(row["image_date"]), float(row["mean"])
                    except (KeyError, ValueError) as exc:
                        raise AgronomyError(f"{path.name} line {line}: {exc}") from exc
                    series.setdefault(row["field_id"], []).append((day, mean))
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise AgronomyError(f"{path.name}: not a stats.csv of tanbo agronomy index") from exc
    return {fid: sorted(values) for fid, values in series.items()}


@dataclass(frozen=True, kw_only=True, slots=True)
class FieldOutlook:
    """A field's forecast: per zone and field, the model's interval, the prescription's effect."""

    field_id: str
    forecast: FieldForecast
    prediction: YieldPrediction | None
    effect: PrescriptionEffect | None
    weather_note: str
    shift_days: int

    @property
    def heading(self) -> date:
        """Expected heading, in the real calendar."""
        return self.forecast.heading - timedelta(days=self.shift_days)

    @property
    def harvest(self) -> date:
        """Expected harvest, in the real calendar."""
        return self.forecast.harvest - timedelta(days=self.shift_days)


def forecast_field(
    field_id: str,
    area_m2: float,
    weather: SeasonWeather,
    *,
    water: WaterManagement = PADDY_WATER,
    ndvi: Sequence[tuple[date, float]] = (),
    zone_map: ZoneMap | None = None,
    extra_n_kg_ha: Mapping[int, float] | None = None,
    base_n_kg_ha: float = 60.0,
    model: YieldModel | None = None,
) -> FieldOutlook:
    """The field's season forecast: AquaCrop corrected by its images (each zone by its own,
    as its mean NDVI on the zone map's date; zones of another index take the field's series),
    the yield model's interval when trained, and the prescription's effect (extra kg N/ha by
    zone) when given.

    Raises
    ------
    AgronomyError
        The season cannot run on this weather (too short) or a value is out of range.
    """
    setup = SeasonSetup(weather=weather.frame, transplanting=weather.transplanting, water=water)
    moved = [(weather.to_weather_day(d), v) for d, v in ndvi]
    if zone_map is None:  # the field as one zone, corrected by its own series
        observed = canopy_cover_from_ndvi(sorted(moved)) if moved else ()
        whole = forecast_yield(setup, observed_canopy=observed)
        forecast = FieldForecast(
            field_id=field_id, zones=(ZoneForecast(zone=1, area_m2=area_m2, forecast=whole),)
        )
    else:
        forecast = _by_zone(setup, zone_map, moved, weather)
    prediction, learned = None, None
    if model is not None:
        outcome = run_season(setup)
        features = season_features(outcome, ndvi=moved, n_applied_kg_ha=base_n_kg_ha)
        prediction = model.predict(features)
        if isinstance(model, TrainedYieldModel):
            learned = model.nitrogen_response(features)
    effect = None
    if extra_n_kg_ha:
        effect = with_without_prescription(
            forecast, extra_n_kg_ha, base_n_kg_ha=base_n_kg_ha, response=learned
        )
    return FieldOutlook(
        field_id=field_id,
        forecast=forecast,
        prediction=prediction,
        effect=effect,
        weather_note=weather.note,
        shift_days=weather.shift_days,
    )


def _by_zone(
    setup: SeasonSetup,
    zone_map: ZoneMap,
    moved: Sequence[tuple[date, float]],
    weather: SeasonWeather,
) -> FieldForecast:
    """Each zone corrected by the field's series with, on the zone map's date, the zone's
    own mean NDVI (zones of another index keep the field's series)."""
    own_date = (
        weather.to_weather_day(_day(zone_map))
        if zone_map.index == "NDVI" and zone_map.image_date
        else None
    )
    canopy: dict[int, list[tuple[date, float]]] = {}
    for z in zone_map.zones:
        own = list(moved)
        if own_date is not None and not math.isnan(z.stats.mean):
            own = [(d, v) for d, v in own if d != own_date] + [(own_date, z.stats.mean)]
        if own:
            canopy[z.zone] = list(canopy_cover_from_ndvi(sorted(own)))
    return forecast_zones(setup, zone_map, canopy)


def _day(zone_map: ZoneMap) -> date:
    assert zone_map.image_date is not None
    return date.fromisoformat(zone_map.image_date[:10])
