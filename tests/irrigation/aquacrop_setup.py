"""AquaCrop (the ``aquacrop`` package) set up as in its own paddy-rice reference run.

The reference is the Hyderabad kharif series the package ships with the results of FAO's
AquaCrop 6.1 for Windows (``paddyrice_hyderabad_windows.OUT``) and of AquaCrop-OS for MATLAB
(``paddyrice_hyderabad_matlab.txt``): rice transplanted on 1 August of 2000–2010, rainfed, on
the package's ``Paddy`` soil with 0.20 m bunds and the whole profile at field capacity at
transplanting. With exactly that set-up the package reproduces the Windows run's runoff over
the bunds to within 3 mm a season and its drainage to within 25 mm (the set-up was found by
matching those two, since the run's input files are not shipped).

Only tests import this module: AquaCrop stays out of irrigation's hot path. A later agronomy
issue reuses it.
"""

from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path

import pandas as pd
from aquacrop import (
    AquaCropModel,
    Crop,
    FieldMngt,
    InitialWaterContent,
    IrrigationManagement,
    Soil,
)
from aquacrop.utils import get_filepath

from irrigation.weather import DailyWeather

__all__ = [
    "BUND_HEIGHT_M",
    "PADDY_SOIL_KSAT_BOTTOM_MM_DAY",
    "PADDY_SOIL_SAT_MINUS_FC_MM",
    "REFERENCE_YEARS",
    "matlab_reference",
    "run_season",
    "run_seasons",
    "weather_frame",
    "windows_reference",
]

REFERENCE_YEARS = tuple(range(2000, 2011))
BUND_HEIGHT_M = 0.20
PADDY_SOIL_KSAT_BOTTOM_MM_DAY = 2.0
"""Saturated conductivity of the ``Paddy`` soil's lower layer (0.5–1.2 m), which caps drainage."""
PADDY_SOIL_SAT_MINUS_FC_MM = 0.04 * 500.0 + 0.01 * 700.0
"""Room between field capacity and saturation in the ``Paddy`` soil's 1.2 m profile, mm."""

_WINDOWS_COLUMNS = [
    "RunNr",
    "Day1",
    "Month1",
    "Year1",
    "Rain",
    "ETo",
    "GD",
    "CO2",
    "Irri",
    "Infilt",
    "Runoff",
    "Drain",
    "Upflow",
    "E",
    "E/Ex",
    "Tr",
    "TrW",
    "Tr/Trx",
    "SaltIn",
    "SaltOut",
    "SaltUp",
    "SaltProf",
    "Cycle",
    "SaltStr",
    "FertStr",
    "WeedStr",
    "TempStr",
    "ExpStr",
    "StoStr",
    "BioMass",
    "Brelative",
    "HI",
    "Yield",
    "WPet",
    "DayN",
    "MonthN",
    "YearN",
]


def weather_frame(series: Sequence[DailyWeather]) -> pd.DataFrame:
    """Our daily weather as AquaCrop's ``weather_df`` (what ``prepare_weather`` returns)."""
    return pd.DataFrame(
        {
            "MinTemp": [d.tmin_c for d in series],
            "MaxTemp": [d.tmax_c for d in series],
            "Precipitation": [d.rain_mm for d in series],
            "ReferenceET": [d.et0_mm for d in series],
            "Date": pd.to_datetime([d.day for d in series]),
        }
    )


def _model(
    weather: pd.DataFrame,
    start: date,
    end: date,
    irrigation_mm: Mapping[date, float] | None,
) -> AquaCropModel:
    if irrigation_mm:
        schedule = pd.DataFrame(
            {
                "Date": pd.to_datetime(list(irrigation_mm)),
                "Depth": [float(v) for v in irrigation_mm.values()],
            }
        )
        irrigation = IrrigationManagement(irrigation_method=3, Schedule=schedule)
    else:
        irrigation = IrrigationManagement(irrigation_method=0)
    return AquaCropModel(
        sim_start_time=start.strftime("%Y/%m/%d"),
        sim_end_time=end.strftime("%Y/%m/%d"),
        weather_df=weather,
        soil=Soil("Paddy"),
        crop=Crop("PaddyRice", planting_date=start.strftime("%m/%d")),
        initial_water_content=InitialWaterContent(
            wc_type="Prop", method="Layer", depth_layer=[1, 2], value=["FC", "FC"]
        ),
        irrigation_management=irrigation,
        field_management=FieldMngt(bunds=True, z_bund=BUND_HEIGHT_M, bund_water=0),
    )


def run_seasons(series: Sequence[DailyWeather], years: Sequence[int]) -> AquaCropModel:
    """The reference run: rice transplanted each 1 August of ``years``, rainfed."""
    model = _model(weather_frame(series), date(years[0], 8, 1), date(years[-1], 12, 31), None)
    model.run_model(till_termination=True)
    return model


def run_season(
    series: Sequence[DailyWeather],
    year: int,
    *,
    irrigation_mm: Mapping[date, float] | None = None,
) -> pd.DataFrame:
    """One season from 1 August of ``year``, optionally irrigated on a fixed schedule.

    Returns
    -------
    pandas.DataFrame
        One row per day from transplanting to harvest, indexed by date: ``surface_storage``
        (standing water, mm, at the day's end), ``IrrDay``, ``Runoff``, ``DeepPerc``, ``Es``,
        ``Tr`` (mm that day).
    """
    model = _model(weather_frame(series), date(year, 8, 1), date(year, 12, 31), irrigation_mm)
    model.run_model(till_termination=True)
    flux = model.get_water_flux()
    season = flux[(flux["season_counter"] == 0) & (flux["dap"] > 0)].copy()
    season.index = pd.date_range(date(year, 8, 1), periods=len(season), freq="D")
    return season[["surface_storage", "IrrDay", "Runoff", "DeepPerc", "Es", "Tr"]]


def _data_file(name: str) -> Path:
    return Path(get_filepath(name))


def windows_reference() -> pd.DataFrame:
    """AquaCrop 6.1 for Windows, one row per season: Rain, ETo, Runoff, Drain, E, Tr, Yield…"""
    return pd.read_csv(
        _data_file("paddyrice_hyderabad_windows.OUT"),
        skiprows=5,
        sep=r"\s+",
        names=_WINDOWS_COLUMNS,
        encoding="ISO-8859-1",
    )


def matlab_reference() -> pd.DataFrame:
    """AquaCrop-OS for MATLAB, one row per season: harvest date and Yield (t/ha)."""
    frame = pd.read_csv(_data_file("paddyrice_hyderabad_matlab.txt"), sep=r"\s+", header=None)
    frame.columns = pd.Index(
        ["season", "crop", "planted", "planted_step", "harvested", "harvested_step", "Yield", "irr"]
    )
    return frame
