"""What an AquaCrop season gave: its dates, yields, water totals and daily canopy.

Yields: AquaCrop gives dry grain (rough rice, 0 % moisture). Tanbo reports grain at 15 %
moisture, the convention of Japanese yield statistics, so ``SeasonOutcome.yield_t_ha`` is
the dry yield / 0.85; 1 t/ha is 100 kg/10a. Heading is the first day of AquaCrop's yield
formation (its harvest index starts to grow), maturity the crop's last day, and harvest the
day after, the date AquaCrop reports.
"""

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from fields.agronomy.season import SeasonSetup

__all__ = [
    "STANDARD_MOISTURE_PCT",
    "SeasonOutcome",
    "outcome_from_run",
    "standard_moisture_yield_t_ha",
]

STANDARD_MOISTURE_PCT = 15.0
"""Grain moisture that Tanbo's yields are expressed at (Japanese statistics), %."""


def standard_moisture_yield_t_ha(dry_t_ha: float) -> float:
    """Grain yield at 15 % moisture from a dry-matter yield, t/ha.

    >>> round(standard_moisture_yield_t_ha(6.8), 3)
    8.0
    """
    return dry_t_ha / (1.0 - STANDARD_MOISTURE_PCT / 100.0)


@dataclass(frozen=True, kw_only=True, slots=True, eq=False)
class SeasonOutcome:
    """What AquaCrop made of a season: dates, yields, water totals and the daily state.

    Totals run from transplanting to maturity, mm. ``daily`` is indexed by date
    and holds ``canopy_cover`` (fraction), ``biomass_t_ha``, ``harvest_index``,
    ``gdd_c_day``, ``surface_storage_mm`` (standing water at the day's end),
    ``irrigation_mm``, ``runoff_mm`` (over the bunds), ``deep_percolation_mm``,
    ``soil_evaporation_mm``, ``transpiration_mm``, ``rain_mm``, ``et0_mm``.
    """

    crop: str
    transplanting: date
    heading: date
    """First day of yield formation (AquaCrop's HIstart), taken as heading; the maturity day
    when the crop formed no yield at all."""
    maturity: date
    """The last day the crop grows (the last row of ``daily``)."""
    harvest: date
    """The harvest day AquaCrop reports: the day after maturity."""
    dry_yield_t_ha: float
    fresh_yield_t_ha: float
    """AquaCrop's fresh yield, at the crop's 90 % dry matter."""
    biomass_t_ha: float
    rain_mm: float
    et0_mm: float
    et_mm: float
    transpiration_mm: float
    irrigation_mm: float
    runoff_mm: float
    deep_percolation_mm: float
    gdd_c_day: float
    daily: pd.DataFrame

    @property
    def yield_t_ha(self) -> float:
        """Grain yield at 15 % moisture, t/ha."""
        return standard_moisture_yield_t_ha(self.dry_yield_t_ha)

    @property
    def yield_kg_10a(self) -> float:
        """Grain yield at 15 % moisture, kg/10a (Japanese farmers' unit; 100 × t/ha)."""
        return 100.0 * self.yield_t_ha

    @property
    def season_days(self) -> int:
        """Days the crop grows, transplanting and maturity both counted."""
        return (self.maturity - self.transplanting).days + 1

    def canopy_on(self, day: date) -> float | None:
        """Modelled canopy cover (0…1) at the end of ``day``; None outside the season."""
        stamp = pd.Timestamp(day)
        if stamp not in self.daily.index:
            return None
        return float(self.daily.at[stamp, "canopy_cover"])


def outcome_from_run(
    setup: "SeasonSetup", final: pd.Series, growth: pd.DataFrame, flux: pd.DataFrame
) -> SeasonOutcome:
    """A season's outcome from AquaCrop's final statistics, crop growth and water flux frames."""
    grew = (growth["season_counter"] == 0) & (growth["dap"] > 0)
    growth, flux = growth[grew], flux[(flux["season_counter"] == 0) & (flux["dap"] > 0)]
    days = pd.date_range(setup.transplanting, periods=len(growth), freq="D")
    weather = setup.weather.set_index("Date").reindex(days)
    daily = pd.DataFrame(
        {
            "canopy_cover": growth["canopy_cover"].to_numpy(),
            "biomass_t_ha": growth["biomass"].to_numpy() / 100.0,  # g/m² → t/ha
            "harvest_index": growth["harvest_index"].to_numpy(),
            "gdd_c_day": growth["gdd"].to_numpy(),
            "surface_storage_mm": flux["surface_storage"].to_numpy(),
            "irrigation_mm": flux["IrrDay"].to_numpy(),
            "runoff_mm": flux["Runoff"].to_numpy(),
            "deep_percolation_mm": flux["DeepPerc"].to_numpy(),
            "soil_evaporation_mm": flux["Es"].to_numpy(),
            "transpiration_mm": flux["Tr"].to_numpy(),
            "rain_mm": weather["Precipitation"].to_numpy(),
            "et0_mm": weather["ReferenceET"].to_numpy(),
        },
        index=days,
    )
    forming = daily.index[daily["harvest_index"] > 0.0]
    heading = forming[0].date() if len(forming) else daily.index[-1].date()
    totals = daily.sum()
    return SeasonOutcome(
        crop=setup.crop,
        transplanting=setup.transplanting,
        heading=heading,
        maturity=daily.index[-1].date(),
        harvest=pd.Timestamp(final["Harvest Date (YYYY/MM/DD)"]).date(),
        dry_yield_t_ha=float(final["Dry yield (tonne/ha)"]),
        fresh_yield_t_ha=float(final["Fresh yield (tonne/ha)"]),
        biomass_t_ha=float(daily["biomass_t_ha"].iloc[-1]),
        rain_mm=float(totals["rain_mm"]),
        et0_mm=float(totals["et0_mm"]),
        et_mm=float(totals["soil_evaporation_mm"] + totals["transpiration_mm"]),
        transpiration_mm=float(totals["transpiration_mm"]),
        irrigation_mm=float(totals["irrigation_mm"]),
        runoff_mm=float(totals["runoff_mm"]),
        deep_percolation_mm=float(totals["deep_percolation_mm"]),
        gdd_c_day=float(totals["gdd_c_day"]),
        daily=daily,
    )
