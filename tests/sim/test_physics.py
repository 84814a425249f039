"""The flight model and the energy model on values: limits, arrival, wind, battery and tank."""

import itertools
import math

import pytest

from sim.energy import (
    Airframe,
    Battery,
    current_a,
    drain_tank,
    hover_current_a,
    pump_output_pct,
    spray_flow_l_min,
)
from sim.physics import CALM, Goal, Limits, Motion, Wind, fly

DT = 0.05
LIMITS = Limits(speed_m_s=5.0, climb_m_s=2.5, descent_m_s=1.5, accel_m_s2=2.5)


def trace(motion: Motion, goal: Goal, seconds: float, wind: Wind = CALM) -> list[Motion]:
    out = [motion]
    for _ in range(round(seconds / DT)):
        out.append(fly(out[-1], goal, LIMITS, DT, wind))
    return out


def airborne(up_m: float = 10.0) -> Motion:
    return Motion(up_m=up_m)


def test_horizontal_and_vertical_speeds_stay_within_their_limits() -> None:
    path = trace(airborne(), Goal(north_m=300.0, east_m=-200.0, up_m=60.0), 40.0)
    assert max(m.groundspeed_m_s for m in path) <= LIMITS.speed_m_s + 1e-9
    assert max(m.vu_m_s for m in path) <= LIMITS.climb_m_s + 1e-9
    assert max(m.groundspeed_m_s for m in path) == pytest.approx(LIMITS.speed_m_s)
    down = trace(path[-1], Goal(north_m=0.0, east_m=0.0, up_m=1.0), 40.0)
    assert min(m.vu_m_s for m in down) >= -LIMITS.descent_m_s - 1e-9


def test_speed_changes_no_faster_than_the_acceleration_limits() -> None:
    path = trace(airborne(), Goal(north_m=80.0, east_m=30.0, up_m=30.0), 30.0)
    for a, b in itertools.pairwise(path):
        dv = math.hypot(b.vn_m_s - a.vn_m_s, b.ve_m_s - a.ve_m_s)
        assert dv <= LIMITS.accel_m_s2 * DT + 1e-9
        assert abs(b.vu_m_s - a.vu_m_s) <= LIMITS.accel_z_m_s2 * DT + 1e-9


def test_the_vehicle_arrives_and_stops_without_overshooting() -> None:
    goal = Goal(north_m=50.0, east_m=0.0, up_m=10.0)
    path = trace(airborne(), goal, 25.0)
    assert max(m.north_m for m in path) <= goal.north_m + 0.01
    assert path[-1].distance_to(goal) < 0.01
    assert path[-1].groundspeed_m_s < 0.01
    # within a 2 m radius after about the time a 5 m/s leg with ramps takes
    first = next(k for k, m in enumerate(path) if m.distance_to(goal) <= 2.0) * DT
    assert 10.0 < first < 14.0


def test_the_vehicle_turns_to_face_its_goal_at_the_yaw_rate_limit() -> None:
    path = trace(airborne(), Goal(north_m=0.0, east_m=-100.0, up_m=10.0), 3.0)
    assert path[20].heading_deg == pytest.approx(360.0 - 20 * DT * LIMITS.yaw_rate_deg_s)
    assert path[-1].heading_deg == pytest.approx(270.0)


def test_a_gust_drifts_a_hovering_vehicle_downwind_then_it_holds_again() -> None:
    here = airborne()
    north_wind = Wind(speed_m_s=5.0, from_deg=0.0)  # blows south
    path = trace(here, here.here(), 20.0, north_wind)
    assert min(m.north_m for m in path) < -3.0  # blown south before the controller catches up
    assert abs(path[-1].north_m) < 0.05  # and back over its point
    assert path[-1].groundspeed_m_s < 0.05
    assert path[-1].airspeed_m_s == pytest.approx(5.0, abs=0.05)  # flying into the wind


def test_a_wind_stronger_than_the_vehicle_blows_it_away() -> None:
    here = airborne()
    path = trace(here, here.here(), 10.0, Wind(speed_m_s=20.0, from_deg=270.0))
    assert path[-1].east_m > 30.0
    assert path[-1].airspeed_m_s == pytest.approx(LIMITS.airspeed_m_s)


def test_wind_does_not_move_a_vehicle_on_the_ground_nor_as_it_lifts_off() -> None:
    wind = Wind(speed_m_s=8.0)
    path = trace(Motion(), Goal(north_m=0.0, east_m=0.0, up_m=0.0), 5.0, wind)
    assert (path[-1].north_m, path[-1].east_m, path[-1].up_m) == (0.0, 0.0, 0.0)
    climb = trace(Motion(), Goal(north_m=0.0, east_m=0.0, up_m=5.0), 10.0, wind)
    assert max(abs(m.north_m) for m in climb) < 1e-9


def test_a_goal_below_ground_lands_and_stays_down() -> None:
    path = trace(airborne(3.0), Goal(north_m=0.0, east_m=0.0, up_m=-1.0), 10.0)
    assert path[-1].on_ground
    assert min(m.up_m for m in path) == 0.0


def test_a_time_step_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        fly(Motion(), Motion().here(), LIMITS, 0.0)


# -- energy ----------------------------------------------------------------------------------


def test_hover_current_grows_with_mass_to_the_power_1_5() -> None:
    frame = Airframe()
    ratio = hover_current_a(frame, 2 * frame.hover_ref_kg) / hover_current_a(frame, 26.0)
    assert ratio == pytest.approx(2**1.5)
    full = current_a(frame, mass_kg=26.0, armed=True, airborne=True, speed_m_s=0, climb_m_s=0)
    empty = current_a(frame, mass_kg=16.0, armed=True, airborne=True, speed_m_s=0, climb_m_s=0)
    fast = current_a(frame, mass_kg=16.0, armed=True, airborne=True, speed_m_s=8, climb_m_s=0)
    idle = current_a(frame, mass_kg=26.0, armed=False, airborne=False, speed_m_s=0, climb_m_s=0)
    assert idle < empty < fast
    assert empty < full


def test_the_battery_drains_with_time_and_load_and_its_voltage_sags() -> None:
    battery = Battery(capacity_mah=22000.0)
    hovered = battery.drain(current_a=70.0, dt_s=600.0)
    assert hovered.consumed_mah == pytest.approx(70.0 * 600.0 / 3.6)
    assert hovered.remaining_pct == pytest.approx(100.0 * (1 - 11666.67 / 22000.0))
    assert hovered.voltage_v(0.0) < battery.voltage_v(0.0) == pytest.approx(50.4)
    assert hovered.voltage_v(70.0) < hovered.voltage_v(0.0)
    flat = battery.drain(current_a=70.0, dt_s=2000.0)
    assert flat.remaining_pct == 0.0
    assert flat.voltage_v(0.0) < 12 * 3.5


def test_the_pump_follows_ground_speed_and_the_tank_drains_at_its_flow() -> None:
    pct = pump_output_pct(ground_speed_m_s=5.0, rate_pct_per_m_s=10.0, min_pct=0.0,
                          speed_min_m_s=1.0)  # fmt: skip
    flow = spray_flow_l_min(Airframe(), pct)
    assert flow == pytest.approx(3.0)  # half of a 6 L/min pump
    assert drain_tank(10.0, flow, 60.0) == pytest.approx(7.0)
    assert drain_tank(1.0, flow, 60.0) == 0.0
    fast = pump_output_pct(ground_speed_m_s=15.0, rate_pct_per_m_s=10.0, min_pct=0.0,
                           speed_min_m_s=1.0)  # fmt: skip
    assert fast == 100.0
