"""Making a rate: the speed for a pump's one flow, the PWM for a flow, refusals named."""

import pytest

from mission_planner import PumpCalibration, RateMode, VariableRateControl, spray_rate
from mission_planner.refusals import PlanRefused

SIM_PUMP = PumpCalibration.linear(pwm_at_zero=1100, pwm_per_l_min=800 / 6, max_flow_l_min=6.0)


@pytest.mark.parametrize(
    ("rate_l_ha", "swath_m", "flow_l_min", "speed_m_s"),
    [(10.0, 5.0, 1.5, 5.0), (20.0, 5.0, 1.5, 2.5), (80.0, 4.0, 9.6, 5.0), (15.0, 7.0, 3.78, 6.0)],
)
def test_speed_carries_the_pumps_flow_at_the_rate(
    rate_l_ha: float, swath_m: float, flow_l_min: float, speed_m_s: float
) -> None:
    control = VariableRateControl(mode=RateMode.SPEED, flow_l_min=flow_l_min, max_speed_m_s=12)
    made = spray_rate("z", rate_l_ha, control, swath_m=swath_m, speed_m_s=99.0)
    assert made.speed_m_s == pytest.approx(speed_m_s)
    assert made.litres_per_m == pytest.approx(rate_l_ha * swath_m / 10_000)
    # What comes out per second is what lands per second: L/min = L/m × m/s × 60.
    assert made.litres_per_m * made.speed_m_s * 60 == pytest.approx(flow_l_min)
    assert made.pump_pwm_us is None


def test_speed_with_a_calibrated_pump_switches_it_on_at_the_flows_pwm() -> None:
    control = VariableRateControl(mode=RateMode.SPEED, flow_l_min=3.0, pump=SIM_PUMP)
    assert spray_rate("z", 20.0, control, swath_m=5.0, speed_m_s=5.0).pump_pwm_us == 1500


@pytest.mark.parametrize(
    ("rate_l_ha", "pwm_us"), [(10.0, 1300), (20.0, 1500), (40.0, 1900), (0.5, 1110)]
)
def test_pump_output_follows_the_calibration(rate_l_ha: float, pwm_us: int) -> None:
    control = VariableRateControl(mode=RateMode.PUMP, pump=SIM_PUMP)
    made = spray_rate("z", rate_l_ha, control, swath_m=5.0, speed_m_s=5.0)
    assert (made.pump_pwm_us, made.speed_m_s) == (pwm_us, 5.0)


def test_a_measured_calibration_is_read_between_its_points() -> None:
    pump = PumpCalibration(points=((0.5, 1200.0), (2.0, 1400.0), (4.0, 1900.0)))
    assert pump.pwm_for(0.5) == 1200
    assert pump.pwm_for(1.25) == 1300
    assert pump.pwm_for(3.0) == 1650
    assert pump.pwm_for(4.0) == 1900
    for outside in (0.4, 4.1):
        with pytest.raises(ValueError, match="calibrated"):
            pump.pwm_for(outside)


@pytest.mark.parametrize(
    "points",
    [
        ((0.0, 1100.0),),
        ((1.0, 1100.0), (1.0, 1500.0)),
        ((0.0, 1500.0), (2.0, 1400.0)),
        ((-1.0, 1100.0), (2.0, 1400.0)),
        ((0.0, 1100.0), (2.0, 2600.0)),
        ((0.0, float("nan")), (2.0, 1400.0)),
    ],
)
def test_a_calibration_that_cannot_be_read_is_refused(
    points: tuple[tuple[float, float], ...],
) -> None:
    with pytest.raises(ValueError, match="calibration"):
        PumpCalibration(points=points)


def test_out_of_range_rates_are_refused_with_the_zone_named() -> None:
    by_speed = VariableRateControl(mode=RateMode.SPEED, flow_l_min=1.5, max_speed_m_s=8.0)
    with pytest.raises(PlanRefused, match=r"north.*10\.00 m/s") as refused:
        spray_rate("north", 5.0, by_speed, swath_m=5.0, speed_m_s=5.0)
    assert (refused.value.rule, refused.value.where) == ("rate", "rate zone north")
    by_pump = VariableRateControl(mode=RateMode.PUMP, pump=SIM_PUMP)
    with pytest.raises(PlanRefused, match=r"south.*7\.50 L/min") as refused:
        spray_rate("south", 50.0, by_pump, swath_m=5.0, speed_m_s=5.0)
    assert (refused.value.rule, refused.value.where) == ("rate", "rate zone south")


def test_a_control_must_say_how_it_makes_the_rate() -> None:
    with pytest.raises(ValueError, match="flow_l_min"):
        VariableRateControl(mode=RateMode.SPEED)
    with pytest.raises(ValueError, match="calibration"):
        VariableRateControl(mode=RateMode.PUMP)
    with pytest.raises(ValueError, match="speeds"):
        VariableRateControl(mode=RateMode.SPEED, flow_l_min=1.0, min_speed_m_s=5, max_speed_m_s=2)
    with pytest.raises(ValueError, match="calibrated"):  # a flow the pump cannot give
        VariableRateControl(mode=RateMode.SPEED, flow_l_min=8.0, pump=SIM_PUMP)
