"""GPS noise: a time-correlated error of the configured spread, reproducible from a seed, in
GPS_RAW_INT only (GLOBAL_POSITION_INT is the EKF's estimate)."""

import itertools
import math
import statistics

import pytest
from pymavlink.dialects.v20 import ardupilotmega as mavlink

from sim import GpsReceiver, SimConfig
from sim.gps import CORRELATION_S, RATE_HZ, VERTICAL_RATIO
from tests.sim.bench import FRAME, Bench


def north_errors(gps: GpsReceiver, seconds: float) -> list[float]:
    step = 1.0 / RATE_HZ
    return [gps.error_at(k * step).north_m for k in range(int(seconds * RATE_HZ))]


def autocorrelation(xs: list[float], lag: int) -> float:
    mean = statistics.fmean(xs)
    var = statistics.fmean((x - mean) ** 2 for x in xs)
    pairs = zip(xs[:-lag], xs[lag:], strict=True)
    return statistics.fmean((a - mean) * (b - mean) for a, b in pairs) / var


def test_the_same_seed_gives_the_same_errors_and_another_seed_others() -> None:
    first = [GpsReceiver(noise_m=1.0, seed=7).error_at(t) for t in (0.0, 5.0, 60.0)]
    again = GpsReceiver(noise_m=1.0, seed=7)
    assert [again.error_at(t) for t in (0.0, 5.0, 60.0)] == first
    other = GpsReceiver(noise_m=1.0, seed=8)
    assert other.error_at(60.0) != first[-1]


def test_the_errors_depend_on_simulated_time_not_on_how_often_they_are_asked_for() -> None:
    often, seldom = GpsReceiver(noise_m=1.0, seed=3), GpsReceiver(noise_m=1.0, seed=3)
    for k in range(500):
        often.error_at(k * 0.37)
    assert often.error_at(200.0) == seldom.error_at(200.0)
    assert seldom.fix_time_s(200.33) == pytest.approx(200.2)


def test_the_spread_is_the_configured_sigma_and_the_vertical_one_wider() -> None:
    gps = GpsReceiver(noise_m=0.5, seed=11)
    fixes = [gps.error_at(k / RATE_HZ) for k in range(int(20_000 * RATE_HZ))]
    horizontal = [f.north_m for f in fixes] + [f.east_m for f in fixes]
    assert statistics.pstdev(horizontal) == pytest.approx(0.5, rel=0.1)
    assert abs(statistics.fmean(horizontal)) < 0.05
    vertical = statistics.pstdev(f.up_m for f in fixes)
    assert vertical == pytest.approx(0.5 * VERTICAL_RATIO, rel=0.1)


def test_the_error_is_correlated_in_time_not_white_jitter() -> None:
    xs = north_errors(GpsReceiver(noise_m=1.0, seed=5), 12_000.0)
    assert autocorrelation(xs, 1) > 0.99  # a fifth of a second apart: nearly the same
    assert autocorrelation(xs, int(CORRELATION_S * RATE_HZ)) == pytest.approx(
        math.exp(-1.0), abs=0.1
    )  # one correlation time apart: e^-1
    assert abs(autocorrelation(xs, int(10 * CORRELATION_S * RATE_HZ))) < 0.1
    steps = [b - a for a, b in itertools.pairwise(xs)]
    assert statistics.pstdev(steps) < 0.1  # it wanders, it does not jump


def test_gps_raw_int_carries_the_noisy_fix_and_global_position_int_the_estimate() -> None:
    bench = Bench(gps_noise_m=2.0, seed=1)
    offsets = []
    for _ in range(300):
        bench.run(1.0)
        raw = bench.telemetry.gps_raw_int()
        offsets.append(math.dist(FRAME.to_local(raw.lat / 1e7, raw.lon / 1e7), (0.0, 0.0)))
        pos = bench.telemetry.global_position_int()
        assert (pos.lat, pos.lon) == (round(FRAME.lat0_deg * 1e7), round(FRAME.lon0_deg * 1e7))
    assert max(offsets) > 1.0  # metres off the truth, as a receiver is
    assert raw.fix_type == mavlink.GPS_FIX_TYPE_3D_FIX
    assert raw.satellites_visible >= 10
    assert (raw.h_acc, raw.v_acc) == (2000, 3000)  # mm: the configured spread
    assert raw.eph == round(2.0 / 0.6 * 100)  # HDOP x 100
    assert raw.epv > raw.eph


def test_the_vehicle_seed_makes_gps_raw_int_reproducible_and_vehicles_differ() -> None:
    def fixes(**config: float) -> list[tuple[int, int]]:
        bench = Bench(**config)
        out = []
        for _ in range(20):
            bench.run(0.5)
            raw = bench.telemetry.gps_raw_int()
            out.append((raw.lat, raw.lon))
        return out

    assert fixes(seed=4) == fixes(seed=4)
    assert fixes(seed=4) != fixes(seed=5)
    assert fixes(seed=4, system_id=2) != fixes(seed=4)
    assert len(set(fixes(gps_noise_m=0.0))) == 1  # no noise: the true position


def test_gps_noise_is_checked() -> None:
    with pytest.raises(ValueError, match="gps_noise_m"):
        SimConfig(gps_noise_m=-1.0)
    with pytest.raises(ValueError, match="GPS noise"):
        GpsReceiver(noise_m=math.nan)
