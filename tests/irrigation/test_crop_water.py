"""Paddy rice crop ET from FAO-56 coefficients, and the stress of a drained paddy."""

import itertools
from datetime import date

import pytest

from irrigation.crop_water import (
    FAO56_RICE_STAGE_DAYS,
    RICE_DEPLETION_FRACTION,
    RiceKc,
    adjust_kc_for_climate,
    crop_et_mm,
    daily_crop_et_mm,
    kc_on,
    water_stress,
)
from irrigation.errors import BadPaddy
from irrigation.weather import kharif_season, load_aquacrop_series


def test_default_curve_is_fao56_table_12_rice_over_table_11_stages_in_120_days() -> None:
    kc = RiceKc()
    assert (kc.kc_ini, kc.kc_mid) == (1.05, 1.20)
    assert 0.60 <= kc.kc_end <= 0.90
    assert kc == RiceKc.fao56(season_days=120)
    assert kc.season_days == 120.0
    assert FAO56_RICE_STAGE_DAYS == (30.0, 30.0, 60.0, 30.0)


def test_stages_keep_table_11_proportions_whatever_the_season() -> None:
    kc = RiceKc.fao56(season_days=104)
    stages = (kc.initial_days, kc.development_days, kc.mid_days, kc.late_days)
    assert kc.season_days == pytest.approx(104.0)
    assert [s / 104.0 for s in stages] == pytest.approx([d / 150.0 for d in FAO56_RICE_STAGE_DAYS])


def test_kc_curve_is_flat_rises_flat_and_falls_as_fao56_eq_66() -> None:
    kc = RiceKc.fao56(season_days=120, kc_end=0.60)
    assert kc_on(kc, -3.0) == kc_on(kc, 0.0) == kc_on(kc, 24.0) == 1.05
    assert kc_on(kc, 30.0) == pytest.approx(1.05 + 0.15 * 6 / 24)
    assert kc_on(kc, 48.0) == kc_on(kc, 96.0) == 1.20
    assert kc_on(kc, 108.0) == pytest.approx(0.90)
    assert kc_on(kc, 120.0) == kc_on(kc, 200.0) == 0.60
    days = [t / 4 for t in range(481)]
    values = [kc_on(kc, t) for t in days]
    jumps = [abs(b - a) for a, b in itertools.pairwise(values)]
    assert max(jumps) < 0.01  # continuous: no step anywhere in the season


def test_climate_adjustment_is_nil_in_fao56s_reference_climate_and_lowers_kc_when_humid() -> None:
    assert adjust_kc_for_climate(1.20, u2_m_s=2.0, rh_min_pct=45.0) == pytest.approx(1.20)
    humid_calm = adjust_kc_for_climate(1.20, u2_m_s=1.0, rh_min_pct=75.0)
    dry_windy = adjust_kc_for_climate(1.20, u2_m_s=4.0, rh_min_pct=25.0)
    assert humid_calm < 1.20 < dry_windy
    assert adjust_kc_for_climate(0.40, u2_m_s=4.0, rh_min_pct=25.0) == 0.40
    beyond = adjust_kc_for_climate(1.20, u2_m_s=20.0, rh_min_pct=0.0)
    assert beyond == adjust_kc_for_climate(1.20, u2_m_s=6.0, rh_min_pct=20.0)
    adjusted = RiceKc().adjusted(u2_m_s=1.0, rh_min_pct=75.0)
    assert adjusted.kc_mid == pytest.approx(humid_calm)
    assert adjusted.kc_ini == 1.05


def test_water_stress_is_none_while_flooded_and_grows_as_the_soil_store_empties() -> None:
    floor = -20.0
    assert water_stress(5.0, floor_cm=floor) == water_stress(0.0, floor_cm=floor) == 1.0
    readily_available = RICE_DEPLETION_FRACTION * floor
    assert water_stress(readily_available, floor_cm=floor) == 1.0
    assert water_stress(-12.0, floor_cm=floor) == pytest.approx(0.5)
    assert water_stress(floor, floor_cm=floor) == 0.0
    levels = [-0.5 * i for i in range(41)]
    values = [water_stress(d, floor_cm=floor) for d in levels]
    assert values == sorted(values, reverse=True)


def test_crop_et_over_a_hyderabad_season_is_about_one_and_a_tenth_of_et0() -> None:
    season = kharif_season(load_aquacrop_series("hyderabad"), 2005)
    etc = daily_crop_et_mm(season, RiceKc(), transplanted_on=date(2005, 8, 1))
    et0 = sum(d.et0_mm for d in season)
    assert len(etc) == 120
    assert 1.05 < sum(etc) / et0 < 1.15
    assert etc[60] == pytest.approx(crop_et_mm(season[60].et0_mm, 1.20))
    assert crop_et_mm(4.0, 1.2, ks=0.5) == pytest.approx(2.4)


@pytest.mark.parametrize(
    "fields", [{"kc_mid": -0.1}, {"kc_end": 2.5}, {"mid_days": 0.0}, {"late_days": -3.0}]
)
def test_a_curve_with_impossible_values_is_refused(fields: dict[str, float]) -> None:
    with pytest.raises(BadPaddy):
        RiceKc(**fields)


def test_a_season_of_no_days_is_refused() -> None:
    with pytest.raises(BadPaddy, match="empty"):
        RiceKc.fao56(season_days=0)
