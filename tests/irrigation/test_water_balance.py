"""The paddy water-balance step: mass balance, overflow, percolation, gates, speed."""

import math
import time
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from irrigation.errors import BadPaddy, IrrigationError
from irrigation.model import Paddy
from irrigation.water_balance import (
    DEFAULT_PARAMS,
    Fluxes,
    PaddyWater,
    WaterBalanceParams,
    depth_cm_for_storage,
    share_of_day_mm,
    step,
    storage_mm,
)

DAY_S = 86_400.0
TEN_MINUTES_S = 600.0


def paddy(**fields: Any) -> Paddy:
    return replace(Paddy(id="kasai-1", area_m2=1000.0), **fields)


def run(
    field: Paddy,
    water: PaddyWater,
    *,
    steps: int,
    dt_s: float = TEN_MINUTES_S,
    inlet: float = 0.0,
    outlet: float = 0.0,
    rain_mm: float = 0.0,
    etc_mm: float = 0.0,
    params: WaterBalanceParams = DEFAULT_PARAMS,
) -> tuple[PaddyWater, list[Fluxes]]:
    """Repeat one step; rain_mm and etc_mm are per step."""
    fluxes = []
    for _ in range(steps):
        water, f = step(
            field,
            water,
            dt_s=dt_s,
            inlet_opening=inlet,
            outlet_opening=outlet,
            rain_mm=rain_mm,
            etc_mm=etc_mm,
            params=params,
        )
        fluxes.append(f)
    return water, fluxes


paddies = st.builds(
    Paddy,
    id=st.just("p"),
    area_m2=st.floats(100.0, 50_000.0),
    levee_height_cm=st.floats(20.0, 40.0),
    outlet_crest_cm=st.floats(5.0, 15.0),
    inlet_flow_m3_h=st.floats(0.0, 200.0),
    outlet_flow_m3_h=st.one_of(st.just(0.0), st.floats(1.0, 200.0)),
    safe_margin_cm=st.just(5.0),
)
params_strategy = st.builds(
    WaterBalanceParams,
    percolation_mm_day=st.floats(0.0, 30.0),
    soil_storage_fraction=st.floats(0.05, 1.0),
    floor_cm=st.floats(-40.0, -5.0),
    weir_width_m=st.floats(0.1, 1.0),
)


@settings(max_examples=300, deadline=None)
@given(
    field=paddies,
    params=params_strategy,
    start_fraction=st.floats(0.0, 1.0),
    dt_s=st.floats(1.0, DAY_S),
    inlet=st.floats(0.0, 1.0),
    outlet=st.floats(0.0, 1.0),
    rain_mm=st.one_of(st.just(0.0), st.floats(0.0, 300.0)),
    etc_mm=st.floats(0.0, 15.0),
)
def test_storage_change_equals_in_minus_out_for_any_step(
    field: Paddy,
    params: WaterBalanceParams,
    start_fraction: float,
    dt_s: float,
    inlet: float,
    outlet: float,
    rain_mm: float,
    etc_mm: float,
) -> None:
    depth = params.floor_cm + start_fraction * (field.levee_height_cm - params.floor_cm)
    before = PaddyWater(depth_cm=depth)
    after, fluxes = step(
        field,
        before,
        dt_s=dt_s,
        inlet_opening=inlet,
        outlet_opening=outlet,
        rain_mm=rain_mm,
        etc_mm=etc_mm,
        params=params,
    )
    change = storage_mm(after.depth_cm, params) - storage_mm(before.depth_cm, params)
    assert change == pytest.approx(fluxes.net_mm(field), abs=1e-9, rel=1e-12)
    assert params.floor_cm - 1e-9 <= after.depth_cm <= field.levee_height_cm + 1e-9
    flows = (
        fluxes.inflow_m3,
        fluxes.et_mm,
        fluxes.percolation_mm,
        fluxes.outlet_m3,
        fluxes.weir_overflow_m3,
        fluxes.levee_overflow_m3,
    )
    assert all(v >= 0.0 for v in flows)
    assert fluxes.et_mm <= etc_mm + 1e-12
    if not field.has_outlet_gate or outlet == 0.0:
        assert fluxes.outlet_m3 == 0.0


@given(depth=st.floats(-100.0, 100.0), fraction=st.floats(0.01, 1.0))
def test_storage_and_depth_are_inverse(depth: float, fraction: float) -> None:
    params = WaterBalanceParams(soil_storage_fraction=fraction)
    assert depth_cm_for_storage(storage_mm(depth, params), params) == pytest.approx(depth)


def test_a_storm_without_an_outlet_gate_spills_over_the_weir_crest_not_the_levee() -> None:
    field = paddy(outlet_crest_cm=12.0, levee_height_cm=30.0)
    # 100 mm in 6 hours on a paddy already at its crest.
    rain_m3 = 100.0 * field.area_m2 / 1000.0
    water, storm = run(field, PaddyWater(depth_cm=12.0), steps=36, rain_mm=100.0 / 36)
    peak_depth = water.depth_cm
    assert 12.0 < peak_depth < field.max_safe_depth_cm
    assert sum(f.weir_overflow_m3 for f in storm) > 0.5 * rain_m3
    water, after = run(field, water, steps=144)
    assert water.depth_cm == pytest.approx(12.0, abs=0.3)  # the weir brings it back to the crest
    weir_m3 = sum(f.weir_overflow_m3 for f in storm + after)
    percolated_m3 = sum(f.percolation_mm for f in storm + after) * field.area_m2 / 1000.0
    assert weir_m3 == pytest.approx(rain_m3 - percolated_m3, abs=3.0)
    assert not any(f.overflowed_levee for f in storm + after)
    assert sum(f.levee_overflow_m3 for f in storm + after) == 0.0


def test_a_storm_beyond_the_weirs_capacity_overflows_the_levee_and_says_so() -> None:
    field = paddy(area_m2=10_000.0, outlet_crest_cm=12.0, levee_height_cm=30.0)
    narrow = WaterBalanceParams(weir_width_m=0.1)
    # 250 mm in 3 hours on a hectare: far more than a 10 cm weir passes.
    water, fluxes = run(
        field, PaddyWater(depth_cm=12.0), steps=18, rain_mm=250.0 / 18, params=narrow
    )
    assert water.depth_cm == pytest.approx(30.0)
    assert any(f.overflowed_levee for f in fluxes)
    assert sum(f.levee_overflow_m3 for f in fluxes) > 0.0
    assert sum(f.weir_overflow_m3 for f in fluxes) > 0.0


def test_the_weir_holds_a_steady_head_that_passes_the_inflow() -> None:
    field = paddy(inlet_flow_m3_h=20.0, outlet_crest_cm=10.0)
    water, fluxes = run(field, PaddyWater(depth_cm=10.0), steps=144 * 2, inlet=1.0)
    percolation_m3_h = 5.0 / 24.0  # 5 mm a day over 1000 m²
    over_weir_m3_h = 20.0 - percolation_m3_h
    theory_head_cm = 100.0 * (over_weir_m3_h / 3600.0 / (1.7 * 0.3)) ** (2 / 3)  # Q = C b H^1.5
    assert water.depth_cm - 10.0 == pytest.approx(theory_head_cm, abs=0.3)
    assert fluxes[-1].weir_overflow_m3 * 6 == pytest.approx(over_weir_m3_h, rel=0.01)


def test_percolation_runs_while_water_stands_and_stops_when_drained() -> None:
    field = paddy()
    params = WaterBalanceParams(percolation_mm_day=8.0)
    water, fluxes = run(field, PaddyWater(depth_cm=2.0), steps=144, params=params)
    assert sum(f.percolation_mm for f in fluxes) == pytest.approx(8.0)
    assert water.depth_cm == pytest.approx(1.2)
    water, fluxes = run(field, PaddyWater(depth_cm=0.3), steps=144, params=params)
    assert sum(f.percolation_mm for f in fluxes) == pytest.approx(3.0)
    assert water.depth_cm == pytest.approx(0.0)
    water, fluxes = run(field, PaddyWater(depth_cm=-5.0), steps=144, params=params)
    assert sum(f.percolation_mm for f in fluxes) == 0.0
    assert water.depth_cm == -5.0


def test_a_drained_paddy_dries_more_slowly_and_never_below_the_floor() -> None:
    field = paddy()
    etc_per_step = 6.0 / 144  # 6 mm a day
    water, fluxes = run(field, PaddyWater(depth_cm=0.0), steps=144, etc_mm=etc_per_step)
    assert sum(f.et_mm for f in fluxes) == pytest.approx(6.0)  # full ET from a wet soil
    assert water.depth_cm == pytest.approx(-6.0 / (10 * DEFAULT_PARAMS.soil_storage_fraction))
    water, fluxes = run(field, PaddyWater(depth_cm=-14.0), steps=144, etc_mm=etc_per_step)
    assert 0.0 < sum(f.et_mm for f in fluxes) < 6.0 * 0.5  # stressed: ET well below the crop's
    water, fluxes = run(field, water, steps=144 * 60, etc_mm=etc_per_step)
    assert water.depth_cm == pytest.approx(DEFAULT_PARAMS.floor_cm, abs=0.05)
    assert water.depth_cm >= DEFAULT_PARAMS.floor_cm
    assert fluxes[-1].et_mm < 0.01 * etc_per_step


def test_rain_on_a_drained_paddy_first_refills_the_soil() -> None:
    field = paddy()
    water, _ = run(field, PaddyWater(depth_cm=-10.0), steps=1, rain_mm=20.0)
    assert water.depth_cm == pytest.approx(-10.0 + 20.0 / (10 * 0.3))
    water, _ = run(field, PaddyWater(depth_cm=-10.0), steps=1, rain_mm=50.0)
    assert water.depth_cm == pytest.approx(2.0, abs=0.01)  # less 10 minutes' percolation


def test_the_inlet_delivers_its_rated_flow() -> None:
    field = paddy(inlet_flow_m3_h=40.0)
    no_losses = WaterBalanceParams(percolation_mm_day=0.0)
    water, fluxes = run(field, PaddyWater(depth_cm=3.0), steps=6, inlet=1.0, params=no_losses)
    assert sum(f.inflow_m3 for f in fluxes) == pytest.approx(40.0)
    assert water.depth_cm == pytest.approx(7.0)
    water, _ = run(field, PaddyWater(depth_cm=3.0), steps=6, inlet=0.25, params=no_losses)
    assert water.depth_cm == pytest.approx(4.0)


def test_an_open_outlet_drains_faster_at_a_higher_head_and_never_below_the_soil() -> None:
    field = paddy(outlet_flow_m3_h=30.0)
    no_losses = WaterBalanceParams(percolation_mm_day=0.0)
    _, deep = run(field, PaddyWater(depth_cm=10.0), steps=1, outlet=1.0, params=no_losses)
    _, shallow = run(field, PaddyWater(depth_cm=5.0), steps=1, outlet=1.0, params=no_losses)
    assert deep[0].outlet_m3 > 2 * shallow[0].outlet_m3
    assert shallow[0].outlet_m3 == pytest.approx(30.0 / 6, rel=0.1)  # its rating at 5 cm
    water, _ = run(field, PaddyWater(depth_cm=5.0), steps=144 * 3, outlet=1.0)
    assert 0.0 <= water.depth_cm < 0.5
    _, half = run(field, PaddyWater(depth_cm=5.0), steps=1, outlet=0.5, params=no_losses)
    assert half[0].outlet_m3 == pytest.approx(shallow[0].outlet_m3 / 2, rel=0.05)


def test_a_paddy_without_an_outlet_gate_ignores_the_outlet_opening() -> None:
    field = paddy(outlet_flow_m3_h=0.0)
    water, fluxes = run(field, PaddyWater(depth_cm=5.0), steps=6, outlet=1.0)
    assert sum(f.outlet_m3 for f in fluxes) == 0.0
    an_hours_percolation_cm = DEFAULT_PARAMS.percolation_mm_day / 24 / 10
    assert water.depth_cm == pytest.approx(5.0 - an_hours_percolation_cm)


@pytest.mark.parametrize(
    "change",
    [
        {"dt_s": 0.0},
        {"dt_s": math.inf},
        {"inlet_opening": 1.5},
        {"outlet_opening": -0.1},
        {"rain_mm": -1.0},
        {"etc_mm": math.nan},
    ],
)
def test_a_step_with_impossible_inputs_is_refused(change: dict[str, float]) -> None:
    inputs: dict[str, float] = {
        "dt_s": 600.0,
        "inlet_opening": 0.0,
        "outlet_opening": 0.0,
        "rain_mm": 0.0,
        "etc_mm": 0.0,
    } | change
    with pytest.raises(IrrigationError):
        step(
            paddy(),
            PaddyWater(depth_cm=3.0),
            dt_s=inputs["dt_s"],
            inlet_opening=inputs["inlet_opening"],
            outlet_opening=inputs["outlet_opening"],
            rain_mm=inputs["rain_mm"],
            etc_mm=inputs["etc_mm"],
        )


def test_water_below_the_soil_stores_floor_is_refused() -> None:
    with pytest.raises(IrrigationError, match="floor"):
        run(paddy(), PaddyWater(depth_cm=-25.0), steps=1)
    with pytest.raises(IrrigationError, match="not a number"):
        PaddyWater(depth_cm=math.nan)


@pytest.mark.parametrize(
    "fields",
    [{"percolation_mm_day": -1.0}, {"soil_storage_fraction": 0.0}, {"floor_cm": 0.0}],
)
def test_impossible_parameters_are_refused(fields: dict[str, float]) -> None:
    with pytest.raises(BadPaddy):
        WaterBalanceParams(**fields)


@given(
    total=st.floats(0.0, 500.0),
    dt_s=st.sampled_from([60.0, 300.0, 600.0, 900.0, 3600.0, 7200.0]),
    from_hour=st.floats(0.0, 20.0),
    hours=st.floats(0.5, 4.0),
)
def test_a_days_total_spread_over_its_steps_adds_up_to_the_total(
    total: float, dt_s: float, from_hour: float, hours: float
) -> None:
    starts = [i * dt_s for i in range(int(DAY_S // dt_s))]
    assert sum(share_of_day_mm(total, start_s=s, dt_s=dt_s) for s in starts) == pytest.approx(total)
    storm = [
        share_of_day_mm(total, start_s=s, dt_s=dt_s, from_hour=from_hour, hours=hours)
        for s in starts
    ]
    assert sum(storm) == pytest.approx(total)
    assert all(v == 0.0 for s, v in zip(starts, storm, strict=True) if s + dt_s <= from_hour * 3600)


def test_a_spread_that_does_not_fit_in_a_day_is_refused() -> None:
    with pytest.raises(IrrigationError, match="do not fit"):
        share_of_day_mm(10.0, start_s=0.0, dt_s=600.0, from_hour=22.0, hours=3.0)


def test_the_step_length_barely_changes_a_days_outcome() -> None:
    field = paddy(inlet_flow_m3_h=10.0)

    def day(dt_s: float) -> float:
        water = PaddyWater(depth_cm=4.0)
        for i in range(int(DAY_S // dt_s)):
            start = i * dt_s
            water, _ = step(
                field,
                water,
                dt_s=dt_s,
                inlet_opening=0.5,
                outlet_opening=0.0,
                rain_mm=share_of_day_mm(30.0, start_s=start, dt_s=dt_s),
                etc_mm=share_of_day_mm(6.0, start_s=start, dt_s=dt_s),
            )
        return water.depth_cm

    # 30 mm of rain and a half-open inlet lift it over the 12 cm crest: the weir is in play.
    assert day(600.0) > 12.0
    assert day(60.0) == pytest.approx(day(600.0), abs=0.1)
    assert day(3600.0) == pytest.approx(day(600.0), abs=0.5)


def test_a_120_day_season_of_ten_minute_steps_runs_well_under_a_second() -> None:
    field = paddy(outlet_flow_m3_h=30.0)
    water = PaddyWater(depth_cm=5.0)
    began = time.perf_counter()
    for i in range(17_280):
        start = (i % 144) * TEN_MINUTES_S
        water, _ = step(
            field,
            water,
            dt_s=TEN_MINUTES_S,
            inlet_opening=1.0 if water.depth_cm < 3.0 else 0.0,
            outlet_opening=1.0 if water.depth_cm > 8.0 else 0.0,
            rain_mm=share_of_day_mm(12.0, start_s=start, dt_s=TEN_MINUTES_S),
            etc_mm=share_of_day_mm(5.0, start_s=start, dt_s=TEN_MINUTES_S),
        )
    elapsed_s = time.perf_counter() - began
    assert elapsed_s < 0.5
    assert 2.5 < water.depth_cm < 8.5
