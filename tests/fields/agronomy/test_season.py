"""AquaCrop seasons through Tanbo's set-up: the package's paddy-rice reference, water, dates."""

from dataclasses import dataclass, replace
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from aquacrop import AquaCropModel, Crop, FieldMngt, InitialWaterContent, Soil

from fields.agronomy.errors import AgronomyError, NotEnoughData
from fields.agronomy.season import SeasonSetup, run_season
from fields.agronomy.season_inputs import (
    CustomSoil,
    IrrigationSchedule,
    PondedWater,
    SoilLayer,
    extend_with_climatology,
    shipped_weather,
    weather_frame,
)
from fields.agronomy.season_outcome import SeasonOutcome
from fields.agronomy.season_reference import (
    REFERENCE_YEARS,
    matlab_reference,
    reference_setup,
    windows_reference,
)

MODEL_REL, MODEL_ABS = 1e-3, 1e-3
"""The aquacrop package's own test tolerance (``MODEL_TOL`` in its tests/conftest.py)."""


@pytest.fixture(scope="module")
def hyderabad() -> pd.DataFrame:
    return shipped_weather("hyderabad")


@pytest.fixture(scope="module")
def reference(hyderabad: pd.DataFrame) -> list[SeasonOutcome]:
    return [run_season(reference_setup(year, hyderabad)) for year in REFERENCE_YEARS]


def test_the_packages_paddy_rice_reference_is_reproduced_through_run_season(
    reference: list[SeasonOutcome],
) -> None:
    yields = np.array([s.dry_yield_t_ha for s in reference])
    matlab, windows = matlab_reference(), windows_reference()
    # The package's comparison: mean absolute error of the seasons' yields against each program.
    assert np.abs(yields - matlab["Yield"].to_numpy()).mean() < 0.1  # 0.076 measured
    assert np.abs(yields - windows["Yield"].to_numpy()).mean() < 0.1  # 0.074 measured
    np.testing.assert_allclose(yields, matlab["Yield"], atol=0.2)  # 0.155 at worst (2004)
    harvested = pd.to_datetime(matlab["harvested"], format="%d/%m/%Y").dt.date
    for season, theirs in zip(reference, harvested, strict=True):
        assert 0 <= (theirs - season.harvest).days <= 1, season.transplanting.year
    # The water behind the bunds as AquaCrop 6.1 for Windows computed it.
    runoff = np.array([s.runoff_mm for s in reference])
    np.testing.assert_allclose(runoff, windows["Runoff"], atol=1.0)
    drainage = np.array([s.deep_percolation_mm for s in reference])
    np.testing.assert_allclose(drainage, windows["Drain"], atol=30.0)
    transpiration = np.array([s.transpiration_mm for s in reference])
    np.testing.assert_allclose(transpiration, windows["Tr"], rtol=0.02)


def test_our_set_up_gives_what_the_package_gives_on_the_same_inputs(
    hyderabad: pd.DataFrame, reference: list[SeasonOutcome]
) -> None:
    """The package run directly, as its developers run the exercise: 11 seasons in one go."""
    model = AquaCropModel(
        sim_start_time="2000/08/01",
        sim_end_time="2010/12/31",
        weather_df=hyderabad,
        soil=Soil("Paddy"),
        crop=Crop("localpaddy", planting_date="08/01", YldWC=90),
        initial_water_content=InitialWaterContent("Prop", "Layer", [1, 2], ["FC", "FC"]),
        field_management=FieldMngt(bunds=True, z_bund=0.20, bund_water=0),
    )
    model.run_model(till_termination=True)
    theirs = model.get_simulation_results()["Dry yield (tonne/ha)"].to_numpy()
    ours = [s.dry_yield_t_ha for s in reference]
    assert ours == pytest.approx(list(theirs), rel=MODEL_REL, abs=MODEL_ABS)


def test_heading_falls_between_transplanting_and_harvest_and_yields_are_in_both_units(
    reference: list[SeasonOutcome],
) -> None:
    for season in reference:
        assert season.transplanting < season.heading < season.harvest
        assert 55 <= (season.heading - season.transplanting).days <= 75  # GDD-driven
        assert season.yield_kg_10a == pytest.approx(100.0 * season.yield_t_ha)
        assert season.yield_t_ha == pytest.approx(season.dry_yield_t_ha / 0.85)
        assert season.daily.index[0].date() == season.transplanting
        assert season.daily.index[-1].date() == season.maturity
        assert season.harvest == season.maturity + timedelta(days=1)
        at_heading = season.canopy_on(season.heading)
        assert at_heading is not None
        assert 0.7 < at_heading <= season.daily["canopy_cover"].max()
        assert season.canopy_on(season.harvest) is None


def test_fao_paddy_rice_runs_its_fixed_104_days(hyderabad: pd.DataFrame) -> None:
    season = run_season(reference_setup(2005, hyderabad, crop="PaddyRice"))
    assert season.season_days == 104


def test_keeping_water_ponded_saves_the_drought_year(
    hyderabad: pd.DataFrame, reference: list[SeasonOutcome]
) -> None:
    rainfed = reference[REFERENCE_YEARS.index(2004)]
    spell = (30, 39)  # mid-season drainage
    water = PondedWater(depth_mm=50.0, refill_below_mm=20.0, dry_spells=(spell,))
    ponded = run_season(replace(reference_setup(2004, hyderabad), water=water))
    assert ponded.irrigation_mm > 200.0
    assert ponded.dry_yield_t_ha > rainfed.dry_yield_t_ha + 1.0  # 4.7 → 6.7 t/ha
    by_day = ponded.daily["irrigation_mm"].to_numpy()
    assert by_day[spell[0] : spell[1] + 1].sum() == 0.0
    assert ponded.daily["surface_storage_mm"].max() <= 200.0 + 1e-6  # the bunds' 0.20 m


def test_a_schedule_lets_in_exactly_its_water(hyderabad: pd.DataFrame) -> None:
    doses = {date(2006, 8, 1) + timedelta(days=i): 30.0 for i in range(0, 60, 5)}
    schedule = IrrigationSchedule.from_mapping(doses)
    season = run_season(replace(reference_setup(2006, hyderabad), water=schedule))
    assert season.irrigation_mm == pytest.approx(schedule.total_mm)  # 30 mm: no 25 mm cap


def test_a_custom_soil_runs(hyderabad: pd.DataFrame) -> None:
    soil = CustomSoil(
        layers=(
            SoilLayer(thickness_m=0.3, wilting_point=0.2, field_capacity=0.35, saturation=0.45,
                      ksat_mm_day=20.0),
            SoilLayer(thickness_m=0.5, wilting_point=0.3, field_capacity=0.45, saturation=0.5,
                      ksat_mm_day=2.0),
        )
    )  # fmt: skip
    season = run_season(replace(reference_setup(2005, hyderabad), soil=soil))
    assert 5.0 < season.dry_yield_t_ha < 8.0


def test_weather_that_ends_before_maturity_is_not_enough(hyderabad: pd.DataFrame) -> None:
    short = hyderabad[hyderabad["Date"] <= "2005-10-01"]
    with pytest.raises(NotEnoughData, match="before the crop matures"):
        run_season(reference_setup(2005, short))
    with pytest.raises(NotEnoughData, match="before the crop matures"):
        run_season(reference_setup(2005, short, crop="PaddyRice"))


def test_bad_set_ups_are_refused_on_construction(hyderabad: pd.DataFrame) -> None:
    setup = reference_setup(2005, hyderabad)
    with pytest.raises(AgronomyError, match="crop 'Wheat'"):
        replace(setup, crop="Wheat")
    with pytest.raises(AgronomyError, match="soil 'Peat'"):
        replace(setup, soil="Peat")
    with pytest.raises(NotEnoughData, match="does not cover"):
        replace(setup, transplanting=date(2011, 8, 1))
    with pytest.raises(AgronomyError, match="not consecutive"):
        SeasonSetup(weather=hyderabad.drop(index=2000), transplanting=date(2005, 8, 1))
    with pytest.raises(AgronomyError, match=r"0\.1 m steps"):
        SoilLayer(thickness_m=0.25, wilting_point=0.2, field_capacity=0.3, saturation=0.4,
                  ksat_mm_day=5.0)  # fmt: skip


@dataclass(frozen=True)
class Day:
    """Any value with these five attributes will do, as irrigation's DailyWeather does."""

    day: date
    rain_mm: float
    et0_mm: float
    tmin_c: float | None
    tmax_c: float | None


def test_daily_values_become_aquacrops_frame() -> None:
    days = [Day(date(2024, 6, 1) + timedelta(days=i), 2.0, 4.0, 18.0, 28.0) for i in range(3)]
    frame = weather_frame(days)
    assert list(frame["Precipitation"]) == [2.0, 2.0, 2.0]
    assert frame["Date"].iloc[-1] == pd.Timestamp("2024-06-03")
    with pytest.raises(AgronomyError, match="minimum and maximum"):
        weather_frame([Day(date(2024, 6, 1), 0.0, 3.0, None, 25.0)])
    with pytest.raises(AgronomyError, match="not consecutive"):
        weather_frame([days[0], days[2]])


def test_climatology_fills_the_rest_of_the_season_with_past_means(
    hyderabad: pd.DataFrame,
) -> None:
    so_far = hyderabad[(hyderabad["Date"] >= "2010-08-01") & (hyderabad["Date"] <= "2010-09-15")]
    past = hyderabad[hyderabad["Date"] < "2010-01-01"]
    filled = extend_with_climatology(so_far, past, until=date(2010, 12, 31))
    assert filled["Date"].iloc[-1] == pd.Timestamp("2010-12-31")
    assert (filled["Date"].diff().dropna() == pd.Timedelta(days=1)).all()
    oct_1 = past[past["Date"].dt.strftime("%m-%d") == "10-01"]["Precipitation"].mean()
    assert filled.set_index("Date").at[pd.Timestamp("2010-10-01"), "Precipitation"] == oct_1
    season = run_season(SeasonSetup(weather=filled, transplanting=date(2010, 8, 1)))
    assert season.harvest.year == 2010
