"""The payload's temperature log: excursions past the tolerance, spikes forgiven, the log
cleaned of MQTT's repeats and disorder, and bad readings refused — with answers worked by
hand."""

import math
import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from logistics.cold_chain import (
    DEFAULT_TOLERANCE_S,
    ColdChainVerdict,
    Excursion,
    TemperatureReading,
    clean_log,
    excursions,
    summary,
)
from logistics.errors import BadRequest
from logistics.model import TemperatureClass

T0 = datetime(2026, 6, 1, 0, 0, tzinfo=UTC)
COOL, FROZEN, AMBIENT = TemperatureClass.COOL, TemperatureClass.FROZEN, TemperatureClass.AMBIENT


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def log(*points: tuple[float, float]) -> list[TemperatureReading]:
    """Readings from (minutes after T0, °C) pairs."""
    return [TemperatureReading(at=at(m), temperature_c=c) for m, c in points]


def every_minute(start_min: int, count: int, temperature_c: float) -> list[TemperatureReading]:
    return log(*((start_min + i, temperature_c) for i in range(count)))


COOL_TRIP = [*every_minute(0, 30, 5.0), *every_minute(30, 5, 10.0), *every_minute(35, 5, 5.0)]
"""A cool parcel at 5 °C for 30 min, at 10 °C for the next 5, then back at 5 °C."""


def test_a_cool_parcel_five_minutes_at_10_c_has_one_excursion_of_five_minutes() -> None:
    found = excursions(COOL_TRIP, COOL)
    assert found == (Excursion(start=at(30), end=at(35), worst_c=10.0, minutes=5.0),)


def test_a_log_that_ends_out_of_range_has_an_ongoing_excursion_to_its_last_reading() -> None:
    found = excursions([*every_minute(0, 30, 5.0), *every_minute(30, 6, 10.0)], COOL)
    assert found == (Excursion(start=at(30), end=at(35), worst_c=10.0, minutes=5.0, ongoing=True),)


def test_a_sixty_second_spike_to_9_c_is_within_the_tolerance() -> None:
    readings = [*every_minute(0, 10, 5.0), *log((10, 9.0), (10.5, 9.0)), *every_minute(11, 10, 5.0)]
    assert excursions(readings, COOL) == ()
    s = summary(readings, COOL)
    assert s.verdict is ColdChainVerdict.IN_RANGE
    assert s.out_of_range_s == 60.0  # shown, though forgiven
    assert s.max_c == 9.0


def test_the_tolerance_is_a_strict_bound() -> None:
    two_minutes = log((0, 5.0), (1, 12.0), (3, 5.0))
    assert DEFAULT_TOLERANCE_S == 120.0
    assert excursions(two_minutes, COOL) == ()
    assert len(excursions(two_minutes, COOL, tolerance_s=119.0)) == 1
    assert len(excursions(log((0, 5.0), (1, 12.0), (2, 5.0)), COOL, tolerance_s=0.0)) == 1


def test_the_range_ends_are_in_range() -> None:
    assert excursions(log((0, 2.0), (10, 8.0), (20, 2.0)), COOL) == ()
    assert excursions(log((0, -15.0), (10, -40.0)), FROZEN) == ()


def test_frozen_food_at_minus_10_c_is_an_excursion() -> None:
    found = excursions(log((0, -18.0), (5, -10.0), (15, -10.0), (20, -18.0)), FROZEN)
    assert found == (Excursion(start=at(5), end=at(20), worst_c=-10.0, minutes=15.0),)


def test_too_cold_is_an_excursion_too_and_worst_is_farthest_from_the_range() -> None:
    found = excursions(log((0, 5.0), (2, 1.5), (4, 0.5), (6, 1.0), (8, 4.0)), COOL)
    assert found == (Excursion(start=at(2), end=at(8), worst_c=0.5, minutes=6.0),)


def test_two_excursions_are_counted_apart() -> None:
    readings = log((0, 5.0), (10, 9.0), (15, 5.0), (20, 5.0), (30, 11.0), (40, 7.0))
    found = excursions(readings, COOL)
    assert [(e.start, e.minutes, e.worst_c) for e in found] == [
        (at(10), 5.0, 9.0),
        (at(30), 10.0, 11.0),
    ]


def test_order_and_repeats_do_not_change_the_answer() -> None:
    shuffled = [*COOL_TRIP, *COOL_TRIP[28:33], *COOL_TRIP[::7]]  # at-least-once redeliveries
    random.Random(7).shuffle(shuffled)
    assert excursions(shuffled, COOL) == excursions(COOL_TRIP, COOL)
    assert summary(shuffled, COOL) == summary(COOL_TRIP, COOL)
    assert clean_log(shuffled, COOL) == tuple(COOL_TRIP)


def test_one_instant_in_two_zones_is_one_reading() -> None:
    jst = ZoneInfo("Asia/Tokyo")
    same = TemperatureReading(at=at(0).astimezone(jst), temperature_c=5.0)
    assert clean_log([*log((0, 5.0)), same], COOL) == tuple(log((0, 5.0)))


@pytest.mark.parametrize(
    ("temperature", "values", "kept"),
    [(COOL, (5.0, 9.0, 3.0), 9.0), (COOL, (0.5, 9.0), 0.5), (FROZEN, (-18.0, -12.0), -12.0),
     (COOL, (4.0, 6.0), 6.0)],
)  # fmt: skip
def test_two_temperatures_at_one_instant_keep_the_one_farther_out(
    temperature: TemperatureClass, values: Sequence[float], kept: float
) -> None:
    for order in (values, tuple(reversed(values))):
        readings = [TemperatureReading(at=T0, temperature_c=v) for v in order]
        assert [r.temperature_c for r in clean_log(readings, temperature)] == [kept]


def test_the_summary_of_a_cool_trip() -> None:
    s = summary(COOL_TRIP, COOL)
    assert s.verdict is ColdChainVerdict.EXCURSION
    assert (s.readings, s.first_at, s.last_at) == (40, at(0), at(39))
    assert (s.min_c, s.max_c) == (5.0, 10.0)
    assert s.mean_c == pytest.approx((35 * 5.0 + 5 * 10.0) / 40)  # 5.625
    assert s.out_of_range_s == 300.0
    assert s.excursions == excursions(COOL_TRIP, COOL)
    assert s.temperature is COOL


def test_an_ambient_parcel_in_summer_shade_is_in_range() -> None:
    s = summary(log((0, 24.0), (10, 29.5), (20, 30.0)), AMBIENT)
    assert (s.verdict, s.out_of_range_s, s.excursions) == (ColdChainVerdict.IN_RANGE, 0.0, ())


def test_no_readings_is_no_verdict_either_way() -> None:
    s = summary([], COOL)
    assert s.verdict is ColdChainVerdict.NO_READINGS
    assert (s.readings, s.min_c, s.max_c, s.mean_c, s.first_at) == (0, None, None, None, None)
    assert excursions([], COOL) == ()


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_a_non_finite_temperature_is_refused(value: float) -> None:
    with pytest.raises(BadRequest, match="not a finite number of °C"):
        TemperatureReading(at=T0, temperature_c=value)


@pytest.mark.parametrize("value", [True, "5.0", None])
def test_a_temperature_that_is_not_a_number_is_refused(value: object) -> None:
    with pytest.raises(BadRequest, match="not a finite number"):
        TemperatureReading(at=T0, temperature_c=value)  # type: ignore[arg-type]


def test_a_reading_without_a_zone_is_refused() -> None:
    with pytest.raises(BadRequest, match="needs a time zone"):
        TemperatureReading(at=datetime(2026, 6, 1, 9, 0), temperature_c=5.0)


@pytest.mark.parametrize("tolerance_s", [-1.0, math.nan, math.inf])
def test_a_tolerance_that_cannot_be_is_refused(tolerance_s: float) -> None:
    with pytest.raises(BadRequest, match="tolerance_s"):
        excursions(COOL_TRIP, COOL, tolerance_s=tolerance_s)
    with pytest.raises(BadRequest, match="tolerance_s"):
        summary(COOL_TRIP, COOL, tolerance_s=tolerance_s)
