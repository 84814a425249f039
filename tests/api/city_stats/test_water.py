"""Paddy water as its records allow it to be counted: inlet water by month, continuous
flooding's need on the watched days, 田んぼダム episodes and the water they held."""

from datetime import UTC, date, datetime, timedelta

import pytest

from api.city_stats import (
    JST,
    InletChange,
    ModeChange,
    Month,
    dam_spans,
    flooding_need_m3_by_month,
    held_m3,
    inlet_m3_by_month,
)

JUNE, JULY = Month(year=2026, month=6), Month(year=2026, month=7)
H = timedelta(hours=1)


def jst(month: int, day: int, hour: int) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=JST).astimezone(UTC)


def test_inlet_water_is_rated_flow_times_opening_split_at_midnight_in_japan() -> None:
    opened, closed = jst(6, 30, 23), jst(7, 1, 1)  # 23:00 to 01:00 in Kasai
    changes = [InletChange(at=opened, opening_pct=50.0), InletChange(at=closed, opening_pct=0.0)]
    water = inlet_m3_by_month(changes, inlet_flow_m3_h=40.0, opening_before_pct=0.0,
                              start=jst(6, 1, 0), end=jst(7, 31, 0))  # fmt: skip
    assert water == {JUNE: pytest.approx(20.0), JULY: pytest.approx(20.0)}


def test_an_inlet_open_before_the_period_counts_from_its_start_and_to_its_end() -> None:
    start, end = jst(6, 1, 0), jst(6, 1, 6)
    water = inlet_m3_by_month([InletChange(at=start + 2 * H, opening_pct=25.0)],
                              inlet_flow_m3_h=10.0, opening_before_pct=100.0, start=start,
                              end=end)  # fmt: skip
    assert water == {JUNE: pytest.approx(10.0 * 2 + 2.5 * 4)}
    assert inlet_m3_by_month([], inlet_flow_m3_h=10.0, opening_before_pct=0.0,
                             start=start, end=end) == {}  # fmt: skip


def test_continuous_flooding_needs_its_depth_less_the_rain_never_below_nothing() -> None:
    watched = {date(2026, 6, 1): 0.0, date(2026, 6, 2): 12.0, date(2026, 6, 3): 45.0,
               date(2026, 7, 1): 0.0}  # fmt: skip
    need = flooding_need_m3_by_month(watched, need_mm_day=20.0, area_m2=3000.0)
    # 20 mm + 8 mm + 0 mm over 0.3 ha in June; 20 mm in July.
    assert need == {JUNE: pytest.approx(84.0), JULY: pytest.approx(60.0)}


def _change(at: datetime, before: str, after: str) -> ModeChange:
    return ModeChange(at=at, from_mode=before, to_mode=after)


def test_dam_episodes_begin_in_the_period_and_one_still_going_ends_with_it() -> None:
    t = jst(6, 10, 0)
    changes = [
        _change(t - 30 * H, "auto", "paddy_dam"),  # began before the period: not this one's
        _change(t - 20 * H, "paddy_dam", "auto"),
        _change(t, "auto", "paddy_dam"),
        _change(t + 2 * H, "paddy_dam", "safe"),
        _change(t + 3 * H, "safe", "auto"),
        _change(t + 10 * H, "auto", "paddy_dam"),
    ]
    spans = dam_spans(changes, start=t - 24 * H, end=t + 12 * H)
    assert [((b - t) / H, (e - t) / H) for b, e in spans] == [(0.0, 2.0), (10.0, 12.0)]


def test_storm_water_held_is_the_rise_of_the_level_over_the_paddy() -> None:
    assert held_m3(start_cm=5.0, peak_cm=11.5, area_m2=2000.0) == pytest.approx(130.0)
    assert held_m3(start_cm=8.0, peak_cm=7.0, area_m2=2000.0) == 0.0  # it only fell
    assert held_m3(start_cm=None, peak_cm=7.0, area_m2=2000.0) == 0.0  # no level: nothing known
