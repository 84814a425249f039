"""The controller in closed loop over real monsoon seasons (the aquacrop package's
Hyderabad series, transplanting on 1 August): the band holds, mid-season drainage happens,
the levee is never topped, and with faults put in the safe state holds."""

from dataclasses import replace

import pytest

from irrigation import Paddy
from irrigation.calendar import WaterStage
from irrigation.simulate import (
    DEFAULT_SIM_PADDY,
    Fault,
    FaultKind,
    default_faults,
    simulate_season,
)
from irrigation.weather import DailyWeather, kharif_season, load_aquacrop_series

# A dry year, an ordinary one and the three wettest of the series (2000, 2009, 2010:
# 694–818 mm in the season, with heavy-rain warnings).
YEARS = (2004, 2005, 2000, 2009, 2010)


@pytest.fixture(scope="module")
def series() -> tuple[DailyWeather, ...]:
    return load_aquacrop_series("hyderabad")


@pytest.mark.parametrize("year", YEARS)
def test_a_season_holds_the_band_drains_mid_season_and_never_overflows(
    series: tuple[DailyWeather, ...], year: int
) -> None:
    result = simulate_season(kharif_season(series, year))
    assert result.days == 120
    assert result.within_band_fraction >= 0.99
    assert result.judged_ticks > 0.4 * result.ticks
    assert result.overflow_events == 0
    assert result.levee_overflow_m3 == 0.0
    assert result.max_depth_cm <= result.max_safe_depth_cm
    assert result.midseason_drainage_days >= 2
    assert result.stage_days[WaterStage.MIDSEASON_DRAINAGE.value] >= 7
    assert result.safe_ticks == 0
    assert result.irrigation_m3 > 0


def test_a_heavy_rain_warning_holds_storm_water_below_the_levee(
    series: tuple[DailyWeather, ...],
) -> None:
    result = simulate_season(kharif_season(series, 2009))
    assert result.paddy_dam_episodes >= 1
    assert result.alerts["paddy_dam"] >= 2  # start and end, each told
    assert 10.0 < result.max_depth_cm <= result.max_safe_depth_cm
    assert result.overflow_events == 0
    # The holds are departures on purpose: counted apart, not against the band.
    assert result.within_band_fraction_all < result.within_band_fraction


@pytest.mark.parametrize("year", [2005, 2009])
def test_with_sensor_and_gate_faults_the_safe_state_holds(
    series: tuple[DailyWeather, ...], year: int
) -> None:
    result = simulate_season(kharif_season(series, year), faults=default_faults())
    assert result.faults == len(default_faults())
    assert result.safe_ticks > 0
    assert result.inlet_open_in_safe_ticks == 0
    assert result.overflow_events == 0
    assert result.max_depth_cm <= result.max_safe_depth_cm
    for kind in ("sensor_stale", "sensor_implausible", "gate_fault", "recovered"):
        assert result.alerts.get(kind, 0) >= 1, kind
    assert result.within_band_fraction >= 0.99


def test_a_stuck_sensor_over_a_dry_spell_does_not_flood_the_paddy(
    series: tuple[DailyWeather, ...],
) -> None:
    # A float stuck low for two days would keep the inlet open on a naive controller.
    stuck = Fault(kind=FaultKind.SENSOR_STUCK, start_h=10 * 24, hours=48, stuck_cm=1.0)
    result = simulate_season(kharif_season(series, 2004), faults=(stuck,))
    assert result.alerts.get("sensor_implausible", 0) >= 1
    assert result.max_depth_cm < 9.0
    assert result.overflow_events == 0


def test_without_an_outlet_gate_the_weir_spills_but_the_levee_holds(
    series: tuple[DailyWeather, ...],
) -> None:
    paddy: Paddy = replace(DEFAULT_SIM_PADDY, outlet_flow_m3_h=0.0)
    result = simulate_season(kharif_season(series, 2000), paddy=paddy)
    assert result.weir_overflow_m3 > 0
    assert result.drained_m3 == 0
    assert result.overflow_events == 0
    assert result.max_depth_cm < paddy.levee_height_cm


def test_the_same_seed_gives_the_same_season(series: tuple[DailyWeather, ...]) -> None:
    weather = kharif_season(series, 2005)[:20]
    assert simulate_season(weather).summary() == simulate_season(weather).summary()
