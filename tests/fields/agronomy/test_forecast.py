"""Yield forecasts: AquaCrop corrected by the canopy the images show, per field and zone."""

import math
from datetime import date, timedelta

import pandas as pd
import pytest
from shapely import box

from fields.agronomy.errors import AgronomyError, BadPrescription
from fields.agronomy.forecast import (
    FieldForecast,
    ScaledNdvi,
    canopy_cover_from_ndvi,
    forecast_yield,
    forecast_zones,
)
from fields.agronomy.model import IndexStats, ManagementZone, ZoneMap
from fields.agronomy.n_response import MitscherlichResponse, with_without_prescription
from fields.agronomy.season import SeasonSetup, run_season
from fields.agronomy.season_inputs import extend_with_climatology, shipped_weather
from fields.agronomy.season_outcome import SeasonOutcome
from fields.agronomy.season_reference import reference_setup

TRANSPLANTED = date(2005, 8, 1)
IMAGE_DAYS = (20, 35, 50, 65)
"""Days after transplanting of the images: tillering to heading."""


@pytest.fixture(scope="module")
def setup() -> SeasonSetup:
    return reference_setup(TRANSPLANTED.year, shipped_weather("hyderabad"))


@pytest.fixture(scope="module")
def modelled(setup: SeasonSetup) -> SeasonOutcome:
    return run_season(setup)


@pytest.fixture(scope="module")
def field(setup: SeasonSetup, modelled: SeasonOutcome) -> FieldForecast:
    """Zone 1 (0.3 ha) seen at 60 % of the modelled canopy; zone 2 (0.7 ha) not seen."""
    return forecast_zones(setup, two_zones(), {1: seen(modelled, 0.6)})


def seen(outcome: SeasonOutcome, share: float) -> list[tuple[date, float]]:
    """Images showing ``share`` of the modelled canopy."""
    days = [TRANSPLANTED + timedelta(days=n) for n in IMAGE_DAYS]
    return [(d, share * (outcome.canopy_on(d) or 0.0)) for d in days]


def stats(mean: float) -> IndexStats:
    return IndexStats(
        pixels=100.0, valid_fraction=1.0, mean=mean, median=mean, std=0.05, min=mean - 0.1,
        max=mean + 0.1, p10=mean - 0.05, p25=mean - 0.02, p75=mean + 0.02, p90=mean + 0.05,
    )  # fmt: skip


def two_zones() -> ZoneMap:
    return ZoneMap(
        field_id="A-12",
        index="NDVI",
        zones=(
            ManagementZone(zone=1, geometry=box(0, 0, 1, 1), area_m2=3000.0, stats=stats(0.5)),
            ManagementZone(zone=2, geometry=box(1, 0, 2, 1), area_m2=7000.0, stats=stats(0.8)),
        ),
    )


def test_a_canopy_thinner_than_modelled_lowers_the_yield(
    setup: SeasonSetup, modelled: SeasonOutcome
) -> None:
    forecast = forecast_yield(setup, observed_canopy=seen(modelled, 0.7), base=modelled)
    correction = forecast.correction
    assert correction is not None
    assert correction.images_used == len(IMAGE_DAYS)
    assert correction.observed_mean == pytest.approx(0.7 * correction.modelled_mean)
    assert correction.canopy_max_after < correction.canopy_max_before
    assert forecast.yield_t_ha < modelled.yield_t_ha - 0.5
    assert correction.uncorrected_yield_t_ha == modelled.yield_t_ha
    assert "fitted to 4 image(s)" in forecast.basis
    # The refitted season's canopy now matches the images (within the fit's tolerance).
    rerun = run_season(
        SeasonSetup(
            weather=setup.weather,
            transplanting=TRANSPLANTED,
            canopy_max_fraction=correction.canopy_max_after,
        )
    )
    ratio = sum(c for _, c in seen(rerun, 1.0)) / sum(c for _, c in seen(modelled, 0.7))
    assert ratio == pytest.approx(1.0, abs=0.03)


def test_a_canopy_as_modelled_leaves_the_yield_and_the_dates(
    setup: SeasonSetup, modelled: SeasonOutcome
) -> None:
    forecast = forecast_yield(setup, observed_canopy=seen(modelled, 1.0), base=modelled)
    assert forecast.yield_t_ha == pytest.approx(modelled.yield_t_ha)
    assert (forecast.heading, forecast.harvest) == (modelled.heading, modelled.harvest)


def test_without_images_in_the_season_the_forecast_is_aquacrops_and_says_so(
    setup: SeasonSetup, modelled: SeasonOutcome
) -> None:
    before = [(TRANSPLANTED - timedelta(days=10), 0.1)]
    forecast = forecast_yield(setup, observed_canopy=before)
    assert forecast.correction is None
    assert "no image of the canopy" in forecast.basis
    assert forecast.yield_t_ha == pytest.approx(modelled.yield_t_ha)
    assert forecast.yield_kg_10a == pytest.approx(100.0 * forecast.yield_t_ha)
    assert forecast.transplanting < forecast.heading < forecast.harvest
    with pytest.raises(AgronomyError, match="outside 0…1"):
        forecast_yield(setup, observed_canopy=[(TRANSPLANTED, 1.5)])


def test_ndvi_becomes_canopy_cover_by_trout_2008_unless_scaled() -> None:
    day = date(2024, 7, 1)
    later = day + timedelta(days=5)
    series = [(day, 0.5), (later, 0.1), (day + timedelta(days=10), math.nan)]
    converted = canopy_cover_from_ndvi(series)
    assert [d for d, _ in converted] == [day, later]  # no valid pixel, no canopy
    assert [c for _, c in converted] == pytest.approx([1.22 * 0.5 - 0.21, 0.0])  # 0 clipped
    (_, full), *_ = canopy_cover_from_ndvi([(day, 0.995)])
    assert full == 1.0  # 1.22 × 0.995 − 0.21 = 1.004, clipped
    scaled = ScaledNdvi(ndvi_bare=0.1, ndvi_full=0.9)
    (_, half), *_ = canopy_cover_from_ndvi([(day, 0.5)], relation=scaled)
    assert half == pytest.approx(0.5)


def test_zones_are_forecast_on_their_own_canopy_and_weighted_by_area(
    setup: SeasonSetup, modelled: SeasonOutcome, field: FieldForecast
) -> None:
    low, high = field.zones
    assert low.forecast.yield_t_ha < high.forecast.yield_t_ha
    assert high.forecast.correction is None  # zone 2 had no image: AquaCrop's, said so
    expected = 0.3 * low.forecast.yield_t_ha + 0.7 * high.forecast.yield_t_ha
    assert field.yield_t_ha == pytest.approx(expected)
    assert field.yield_kg_10a == pytest.approx(100.0 * expected)
    assert field.production_t == pytest.approx(expected * 1.0)  # 1 ha
    with pytest.raises(AgronomyError, match="no zone"):
        forecast_zones(setup, two_zones(), {3: seen(modelled, 1.0)})


def test_a_prescription_is_valued_by_an_assumed_n_curve_when_nothing_was_learned(
    field: FieldForecast,
) -> None:
    effect = with_without_prescription(field, {1: 20.0, 2: -10.0}, base_n_kg_ha=60.0)
    assert effect.assumed
    assert "assumed" in effect.basis
    low, high = effect.zones
    assert low.with_t_ha > low.without_t_ha  # more N where the canopy was thin
    assert high.with_t_ha < high.without_t_ha  # less where it was full
    assert effect.without_t_ha == pytest.approx(field.yield_t_ha)
    assert effect.extra_n_kg == pytest.approx(20.0 * 0.3 - 10.0 * 0.7)
    assert effect.gain_kg_10a == pytest.approx(100.0 * (effect.with_t_ha - effect.without_t_ha))
    nothing = with_without_prescription(field, {}, base_n_kg_ha=60.0)
    assert nothing.with_t_ha == pytest.approx(nothing.without_t_ha)
    with pytest.raises(BadPrescription, match="kg N/ha"):
        with_without_prescription(field, {2: -70.0}, base_n_kg_ha=60.0)
    with pytest.raises(BadPrescription, match="no zone"):
        with_without_prescription(field, {5: 10.0}, base_n_kg_ha=60.0)


def test_the_assumed_curve_has_diminishing_returns() -> None:
    curve = MitscherlichResponse()
    first = curve.yield_gain_t_ha(yield_t_ha=7.0, base_n_kg_ha=30.0, extra_n_kg_ha=20.0)
    later = curve.yield_gain_t_ha(yield_t_ha=7.0, base_n_kg_ha=90.0, extra_n_kg_ha=20.0)
    assert first > later > 0.0
    # about 17 kg grain per kg N between 0 and 100 kg N/ha on an 8 t/ha crop
    y_max = 8.0
    gain = y_max * (curve.relative_yield(100.0) - curve.relative_yield(0.0))
    assert gain * 1000.0 / 100.0 == pytest.approx(17.3, abs=0.1)


def test_climatology_lets_a_mid_season_forecast_run(setup: SeasonSetup) -> None:
    weather = setup.weather
    so_far = weather[(weather["Date"] >= "2010-08-01") & (weather["Date"] <= "2010-09-10")]
    filled = extend_with_climatology(
        so_far, weather[weather["Date"] < "2010-01-01"], until=date(2010, 12, 31)
    )
    forecast = forecast_yield(SeasonSetup(weather=filled, transplanting=date(2010, 8, 1)))
    assert forecast.harvest > date(2010, 9, 10)
    assert pd.Timestamp(forecast.heading) > pd.Timestamp("2010-09-20")
