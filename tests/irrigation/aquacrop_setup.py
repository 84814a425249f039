"""The AquaCrop season irrigation's water balance is cross-checked against.

The season itself is Tanbo's agronomy set-up (:mod:`fields.agronomy.season`) in the package's
paddy-rice reference configuration (:mod:`fields.agronomy.season_reference`: Hyderabad,
1 August, ``Paddy`` soil, 0.20 m bunds, profile at field capacity), which its own tests show
reproduces FAO's AquaCrop for Windows and AquaCrop-OS. What stays here is what only the
cross-check needs: FAO's ``PaddyRice`` crop, whose fixed 104-day season gives every year the
same window, and the two figures of the ``Paddy`` soil that set up the one-store model.

Only tests import this module: AquaCrop stays out of irrigation's hot path.
"""

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date

from fields.agronomy.season import run_season
from fields.agronomy.season_inputs import IrrigationSchedule, weather_frame
from fields.agronomy.season_outcome import SeasonOutcome
from fields.agronomy.season_reference import reference_setup
from irrigation.weather import DailyWeather

__all__ = [
    "CROSSCHECK_CROP",
    "PADDY_SOIL_KSAT_BOTTOM_MM_DAY",
    "PADDY_SOIL_SAT_MINUS_FC_MM",
    "paddy_season",
]

CROSSCHECK_CROP = "PaddyRice"
"""FAO's rice in calendar days: 104 days from transplanting whatever the weather."""
PADDY_SOIL_KSAT_BOTTOM_MM_DAY = 2.0
"""Saturated conductivity of the ``Paddy`` soil's lower layer (0.5–1.2 m), which caps drainage."""
PADDY_SOIL_SAT_MINUS_FC_MM = 0.04 * 500.0 + 0.01 * 700.0
"""Room between field capacity and saturation in the ``Paddy`` soil's 1.2 m profile, mm."""


def paddy_season(
    series: Sequence[DailyWeather],
    year: int,
    *,
    irrigation_mm: Mapping[date, float] | None = None,
) -> SeasonOutcome:
    """The reference season from 1 August of ``year``, optionally irrigated on a schedule."""
    setup = reference_setup(year, weather_frame(series), crop=CROSSCHECK_CROP)
    if irrigation_mm:
        setup = replace(setup, water=IrrigationSchedule.from_mapping(irrigation_mm))
    return run_season(setup)
