"""Water-level plausibility: stale, out of range, jumps, stuck floats, and the running track."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from irrigation.model import Metric, Paddy, Reading
from irrigation.plausibility import (
    OK,
    LevelTrack,
    Plausibility,
    PlausibilitySettings,
    check_clock,
    check_flat_line,
    check_jump,
    check_range,
    check_readings,
    check_stale,
    max_change_cm,
    observe,
)

T0 = datetime(2026, 6, 1, tzinfo=UTC)
PADDY = Paddy(id="p1", area_m2=1000.0, levee_height_cm=30.0, inlet_flow_m3_h=40.0)
SETTINGS = PlausibilitySettings()


def reading(depth_cm: float, minutes: float) -> Reading:
    at = T0 + timedelta(minutes=minutes)
    return Reading(device_id="wl-1", metric=Metric.WATER_LEVEL, value=depth_cm, device_time=at)


def test_a_sensor_silent_for_30_minutes_is_stale() -> None:
    assert check_stale(T0, T0 + timedelta(minutes=29), SETTINGS) is OK
    stale = check_stale(T0, T0 + timedelta(minutes=30), SETTINGS)
    assert stale.verdict is Plausibility.STALE
    assert "30 min" in stale.reason
    assert "30分" in stale.reason_ja


@pytest.mark.parametrize(
    ("depth_cm", "verdict"),
    [(-20.0, Plausibility.OK), (-20.5, Plausibility.OUT_OF_RANGE), (35.0, Plausibility.OK),
     (35.1, Plausibility.OUT_OF_RANGE), (4.0, Plausibility.OK)],
)  # fmt: skip
def test_readings_below_minus_20_or_above_the_levee_and_margin_are_out_of_range(
    depth_cm: float, verdict: Plausibility
) -> None:
    check = check_range(depth_cm, PADDY, SETTINGS)
    assert check.verdict is verdict
    assert bool(check.reason) is (verdict is not Plausibility.OK)


def test_a_rise_of_more_than_5_cm_in_10_minutes_is_a_jump() -> None:
    jump = check_jump(3.0, 8.5, 600.0, PADDY, SETTINGS)
    assert jump.verdict is Plausibility.JUMP
    assert "+5.5 cm in 10 min" in jump.reason
    assert jump.reason_ja
    assert check_jump(3.0, 5.0, 600.0, PADDY, SETTINGS) is OK


def test_a_small_paddy_may_rise_faster_than_a_large_one() -> None:
    small = Paddy(id="s", area_m2=200.0, inlet_flow_m3_h=40.0)
    assert check_jump(3.0, 7.0, 600.0, small, SETTINGS) is OK
    assert check_jump(3.0, 7.0, 600.0, PADDY, SETTINGS).verdict is Plausibility.JUMP


def test_a_fall_faster_than_the_outlet_can_drain_is_a_jump() -> None:
    gated = Paddy(id="g", area_m2=1000.0, outlet_flow_m3_h=100.0)
    assert check_jump(10.0, 6.0, 600.0, PADDY, SETTINGS).verdict is Plausibility.JUMP
    assert check_jump(10.0, 6.0, 600.0, gated, SETTINGS) is OK


def test_a_longer_silence_allows_a_larger_change() -> None:
    rise_10, _ = max_change_cm(PADDY, 600.0, SETTINGS)
    rise_60, _ = max_change_cm(PADDY, 3600.0, SETTINGS)
    assert rise_60 == pytest.approx(1.0 + 14.0)
    assert rise_10 < rise_60


def test_an_unchanged_value_while_water_comes_in_is_a_flat_line() -> None:
    flat = check_flat_line(3 * 3600.0, 2.5, SETTINGS)
    assert flat.verdict is Plausibility.FLAT_LINE
    assert "3.0 h" in flat.reason


@pytest.mark.parametrize(("same_for_s", "inflow_cm"), [(3 * 3600.0, 0.5), (2 * 3600.0, 10.0)])
def test_an_unchanged_value_is_fine_when_little_water_came_or_not_for_long(
    same_for_s: float, inflow_cm: float
) -> None:
    assert check_flat_line(same_for_s, inflow_cm, SETTINGS) is OK


def test_observe_starts_a_track_and_follows_changes() -> None:
    track, check = observe(None, 3.0, T0, PADDY, SETTINGS)
    assert check is OK
    assert track == LevelTrack(depth_cm=3.0, at=T0, same_since=T0)
    later = T0 + timedelta(minutes=10)
    moved, check = observe(track.add_inflow(0.7), 3.6, later, PADDY, SETTINGS)
    assert check is OK
    assert moved == LevelTrack(depth_cm=3.6, at=later, same_since=later, inflow_cm=0.0)


def test_observe_keeps_the_last_believed_value_after_a_jump() -> None:
    track, _ = observe(None, 3.0, T0, PADDY, SETTINGS)
    assert track is not None
    kept, check = observe(track, 12.0, T0 + timedelta(minutes=5), PADDY, SETTINGS)
    assert check is not None
    assert check.verdict is Plausibility.JUMP
    assert kept is track
    # an hour on, the same value is within what the inlet and rain can do
    believed, check = observe(kept, 12.0, T0 + timedelta(minutes=60), PADDY, SETTINGS)
    assert check is OK
    assert believed is not None
    assert believed.depth_cm == 12.0


def test_observe_ignores_an_out_of_range_first_reading() -> None:
    track, check = observe(None, -30.0, T0, PADDY, SETTINGS)
    assert track is None
    assert check is not None
    assert check.verdict is Plausibility.OUT_OF_RANGE


def test_observe_flags_a_stuck_float_and_clears_when_it_moves() -> None:
    track, _ = observe(None, 3.0, T0, PADDY, SETTINGS)
    assert track is not None
    for minutes in range(10, 181, 10):
        track = track.add_inflow(0.2)
        track, check = observe(track, 3.0, T0 + timedelta(minutes=minutes), PADDY, SETTINGS)
        assert track is not None
    assert check is not None
    assert check.verdict is Plausibility.FLAT_LINE
    assert track.same_since == T0
    moved, check = observe(track, 3.4, T0 + timedelta(minutes=190), PADDY, SETTINGS)
    assert check is OK
    assert moved is not None
    assert moved.inflow_cm == 0.0


def test_observe_gives_no_verdict_on_a_reading_not_newer_than_the_track() -> None:
    # "OK" would clear a jump's verdict, and count as hearing from the sensor
    track = LevelTrack(depth_cm=3.0, at=T0, same_since=T0)
    assert observe(track, 20.0, T0 - timedelta(minutes=1), PADDY, SETTINGS) == (track, None)
    assert observe(track, 3.0, T0, PADDY, SETTINGS) == (track, None)


def test_a_reading_dated_more_than_5_minutes_after_it_arrived_has_a_clock_ahead() -> None:
    assert check_clock(T0 + timedelta(seconds=300), T0, SETTINGS) is OK
    assert check_clock(T0 - timedelta(days=400), T0, SETTINGS) is OK  # behind: not this check
    ahead = check_clock(T0 + timedelta(seconds=301), T0, SETTINGS)
    assert ahead.verdict is Plausibility.CLOCK
    assert ahead.reason == "the device's clock is 5 min ahead"
    assert ahead.reason_ja == "センサーの時計が5分進んでいます"
    assert "3 h" in check_clock(T0 + timedelta(hours=3), T0, SETTINGS).reason


def test_observe_does_not_believe_a_reading_from_a_clock_ahead() -> None:
    track = LevelTrack(depth_cm=3.0, at=T0, same_since=T0)
    arrived = T0 + timedelta(minutes=10)
    year_on = T0 + timedelta(days=365)
    assert observe(track, 3.2, year_on, PADDY, SETTINGS, arrived_at=arrived) == (
        track,
        check_clock(year_on, arrived, SETTINGS),
    )
    first, check = observe(None, 3.2, year_on, PADDY, SETTINGS, arrived_at=arrived)
    assert first is None
    assert check is not None
    assert check.verdict is Plausibility.CLOCK


def test_check_readings_reports_the_first_problem_in_the_window() -> None:
    steady = [reading(3.0 + 0.1 * i, 10 * i) for i in range(6)]
    now = T0 + timedelta(minutes=55)
    assert check_readings(steady, now, PADDY) is OK
    jumped = [*steady[:3], reading(15.0, 30), *steady[4:]]
    assert check_readings(jumped, now, PADDY).verdict is Plausibility.JUMP
    later = now + timedelta(hours=1)
    assert check_readings(steady, later, PADDY).verdict is Plausibility.STALE
    assert check_readings([], now, PADDY).verdict is Plausibility.STALE


def test_check_readings_sees_a_reading_from_a_clock_ahead() -> None:
    steady = [reading(3.0 + 0.1 * i, 10 * i) for i in range(6)]
    now = T0 + timedelta(minutes=55)
    ahead = reading(3.6, 60 * 24 * 365)
    assert check_readings([*steady, ahead], now, PADDY).verdict is Plausibility.CLOCK
    arrived_early = replace(ahead, received_at=T0 + timedelta(days=365))
    assert check_readings([*steady, arrived_early], now, PADDY) is OK


def test_check_readings_sees_a_stuck_float_when_the_inlet_was_open() -> None:
    stuck = [reading(3.0, 10 * i) for i in range(19)]
    now = T0 + timedelta(minutes=181)
    assert check_readings(stuck, now, PADDY).verdict is Plausibility.OK
    assert check_readings(stuck, now, PADDY, inflow_cm_h=4.0).verdict is Plausibility.FLAT_LINE


@given(
    previous=st.floats(min_value=-20.0, max_value=35.0),
    dt_s=st.floats(min_value=1.0, max_value=7200.0),
    fraction=st.floats(min_value=0.0, max_value=2.0),
    up=st.booleans(),
)
def test_a_change_is_a_jump_exactly_when_it_exceeds_the_physical_limit(
    previous: float, dt_s: float, fraction: float, up: bool
) -> None:
    rise_cm, fall_cm = max_change_cm(PADDY, dt_s, SETTINGS)
    change = fraction * (rise_cm if up else -fall_cm)
    check = check_jump(previous, previous + change, dt_s, PADDY, SETTINGS)
    limit = rise_cm if up else fall_cm
    if abs(change) <= limit * (1 - 1e-9):
        assert check is OK
    elif abs(change) > limit * (1 + 1e-9):
        assert check.verdict is Plausibility.JUMP
