"""The rice water calendar: stages by Japan day, targets, transitions, presets and edits."""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from irrigation.calendar import (
    DEFAULT_CALENDAR,
    JST,
    KOSHIHIKARI,
    PRESETS,
    YAMADANISHIKI,
    CyclePhase,
    IntermittentCycle,
    StagePlan,
    Target,
    WaterCalendar,
    WaterRegime,
    WaterStage,
    calendar_for,
    stage_changes,
    target_for,
    target_spans,
)
from irrigation.errors import BadPaddy
from irrigation.model import Paddy

TRANSPLANTED = date(2026, 5, 10)
PRESET_CALENDARS = [DEFAULT_CALENDAR, KOSHIHIKARI, YAMADANISHIKI]


def on_day(day: int, hour: float = 12.0, calendar: WaterCalendar = DEFAULT_CALENDAR) -> Target:
    """The target at ``hour`` (Japan time) of ``day`` days after transplanting."""
    at = datetime(2026, 5, 10, tzinfo=JST) + timedelta(days=day, hours=hour)
    return target_for(calendar, TRANSPLANTED, at.astimezone(UTC))


def test_default_season_is_about_120_days_of_contiguous_stages() -> None:
    assert DEFAULT_CALENDAR.season_days == 120
    starts = [plan.start_day for plan in DEFAULT_CALENDAR.stages]
    ends = [plan.end_day for plan in DEFAULT_CALENDAR.stages]
    assert starts == [0, *ends[:-1]]


def test_deep_water_for_about_a_week_after_transplanting() -> None:
    for day in range(7):
        target = on_day(day)
        assert target.stage is WaterStage.ROOTING
        assert target.band == (5.0, 7.0)
    assert on_day(7).stage is WaterStage.TILLERING


def test_tillering_holds_shallow_water_of_2_to_3_cm() -> None:
    target = on_day(15)
    assert target.stage is WaterStage.TILLERING
    assert target.setpoint_cm is not None
    assert 2.0 <= target.setpoint_cm <= 3.0
    assert target.inlet_may_open
    assert target.holds_band


@pytest.mark.parametrize("calendar", PRESET_CALENDARS, ids=lambda c: c.name)
def test_midseason_drainage_starts_around_day_30_to_40_for_7_to_10_days(
    calendar: WaterCalendar,
) -> None:
    plan = calendar.plan(WaterStage.MIDSEASON_DRAINAGE)
    assert 30 <= plan.start_day <= 40
    assert 7 <= plan.length_days <= 10
    assert plan.regime is WaterRegime.DRAIN


def test_midseason_drainage_lets_the_water_out_and_is_not_judged() -> None:
    target = on_day(35)
    assert target.stage is WaterStage.MIDSEASON_DRAINAGE
    assert target.drain
    assert not target.inlet_may_open
    assert target.setpoint_cm is None
    assert not target.holds_band
    assert target.ceiling_cm == 0.0


def test_heading_is_flooded_about_5_cm() -> None:
    plan = DEFAULT_CALENDAR.plan(WaterStage.HEADING)
    target = on_day(plan.start_day + 5)
    assert target.stage is WaterStage.HEADING
    assert target.setpoint_cm == 5.0
    assert target.regime is WaterRegime.HOLD


@pytest.mark.parametrize("calendar", PRESET_CALENDARS, ids=lambda c: c.name)
def test_final_drainage_runs_7_to_10_days_up_to_harvest(calendar: WaterCalendar) -> None:
    final = calendar.stages[-1]
    assert final.stage is WaterStage.FINAL_DRAINAGE
    assert 7 <= final.length_days <= 10
    assert final.end_day == calendar.season_days


def test_before_transplanting_and_after_harvest_the_inlet_stays_shut() -> None:
    before, after = on_day(-1), on_day(DEFAULT_CALENDAR.season_days)
    unknown = target_for(DEFAULT_CALENDAR, None, datetime(2026, 5, 1, tzinfo=UTC))
    assert [t.stage for t in (before, after, unknown)] == [
        WaterStage.BEFORE_TRANSPLANTING, WaterStage.AFTER_HARVEST, WaterStage.BEFORE_TRANSPLANTING,
    ]  # fmt: skip
    for target in (before, after, unknown):
        assert target.regime is WaterRegime.IDLE
        assert not target.inlet_may_open
        assert not target.drain
        assert not target.holds_band
        assert target.ceiling_cm is None


def test_the_first_hours_of_a_stage_are_a_transition_and_not_judged() -> None:
    tillering = DEFAULT_CALENDAR.plan(WaterStage.TILLERING)
    assert tillering.settle_h == 72.0
    early, late = on_day(tillering.start_day + 2, 23.0), on_day(tillering.start_day + 3, 1.0)
    assert early.transition
    assert not early.holds_band
    assert early.setpoint_cm == late.setpoint_cm
    assert not late.transition
    assert late.holds_band


def test_intermittent_irrigation_floods_then_recedes_in_a_fixed_cycle() -> None:
    plan = DEFAULT_CALENDAR.plan(WaterStage.PANICLE_FORMATION)
    assert plan.cycle == IntermittentCycle(flood_h=24.0, recede_h=48.0, fill_h=6.0)
    phases = [on_day(plan.start_day + 3, hour).phase for hour in (0.5, 12, 23.5, 24.5, 71.5, 72.5)]
    flood, recede = CyclePhase.FLOOD, CyclePhase.RECEDE
    assert phases == [flood, flood, flood, recede, recede, flood]


def test_intermittent_recede_shuts_the_inlet_and_the_flood_is_judged_once_filled() -> None:
    start = DEFAULT_CALENDAR.plan(WaterStage.PANICLE_FORMATION).start_day + 3
    filling, flooded, receding = on_day(start, 2.0), on_day(start, 12.0), on_day(start, 30.0)
    assert filling.inlet_may_open
    assert filling.transition
    assert not filling.holds_band
    assert flooded.inlet_may_open
    assert flooded.holds_band
    assert flooded.setpoint_cm == 3.0
    assert not receding.inlet_may_open
    assert not receding.holds_band
    assert not receding.drain
    assert receding.setpoint_cm is None
    assert receding.ceiling_cm == 4.0


def test_days_are_counted_in_japan_time() -> None:
    day7_jst = datetime(2026, 5, 16, 15, 0, tzinfo=UTC)  # 2026-05-17 00:00 JST
    before = target_for(DEFAULT_CALENDAR, TRANSPLANTED, day7_jst - timedelta(seconds=1))
    after = target_for(DEFAULT_CALENDAR, TRANSPLANTED, day7_jst)
    assert (before.day, before.stage) == (6, WaterStage.ROOTING)
    assert (after.day, after.stage) == (7, WaterStage.TILLERING)


def test_a_time_without_a_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        target_for(DEFAULT_CALENDAR, TRANSPLANTED, datetime(2026, 6, 1))


def test_yamadanishiki_is_later_maturing_than_koshihikari() -> None:
    assert YAMADANISHIKI.season_days > DEFAULT_CALENDAR.season_days > KOSHIHIKARI.season_days
    heading = WaterStage.HEADING
    assert YAMADANISHIKI.plan(heading).start_day > KOSHIHIKARI.plan(heading).start_day


@pytest.mark.parametrize(
    ("variety", "expected"),
    [("コシヒカリ", KOSHIHIKARI), ("Koshihikari", KOSHIHIKARI), ("山田錦", YAMADANISHIKI),
     ("yamada-nishiki", YAMADANISHIKI), ("ヒノヒカリ", DEFAULT_CALENDAR), (None, DEFAULT_CALENDAR)],
)  # fmt: skip
def test_calendar_for_a_variety_picks_its_preset(
    variety: str | None, expected: WaterCalendar
) -> None:
    assert calendar_for(variety) is expected
    assert expected in PRESETS.values()


def test_editing_a_stage_returns_a_new_calendar_and_moves_the_later_stages() -> None:
    edited = DEFAULT_CALENDAR.with_stage(WaterStage.TILLERING, depth_cm=2.0, length_days=28)
    assert edited.plan(WaterStage.TILLERING).depth_cm == 2.0
    assert edited.plan(WaterStage.MIDSEASON_DRAINAGE).start_day == 35
    assert edited.season_days == 123
    assert DEFAULT_CALENDAR.plan(WaterStage.TILLERING).depth_cm == 2.5
    assert edited.plan(WaterStage.ROOTING) == DEFAULT_CALENDAR.plan(WaterStage.ROOTING)


def test_editing_an_intermittent_cycle_changes_the_phases() -> None:
    stage = WaterStage.RIPENING
    edited = DEFAULT_CALENDAR.with_stage(stage, cycle=IntermittentCycle(flood_h=72, recede_h=48))
    day = edited.plan(stage).start_day + 2
    assert on_day(day, 12.0, edited).phase is CyclePhase.FLOOD
    assert on_day(day, 12.0).phase is CyclePhase.RECEDE


def test_a_drainage_stage_cannot_be_given_a_depth() -> None:
    with pytest.raises(BadPaddy, match="has no depth"):
        DEFAULT_CALENDAR.with_stage(WaterStage.FINAL_DRAINAGE, depth_cm=3.0)


def _plan(stage: WaterStage, start: int, length: int, depth: float = 3.0) -> StagePlan:
    return StagePlan(
        stage=stage, start_day=start, length_days=length, regime=WaterRegime.HOLD, depth_cm=depth
    )


@pytest.mark.parametrize(
    ("stages", "message"),
    [
        ((), "no stages"),
        ((_plan(WaterStage.ROOTING, 1, 7),), "a gap"),
        ((_plan(WaterStage.ROOTING, 0, 7), _plan(WaterStage.TILLERING, 9, 7)), "a gap"),
        ((_plan(WaterStage.ROOTING, 0, 7), _plan(WaterStage.TILLERING, 5, 7)), "an overlap"),
        ((_plan(WaterStage.TILLERING, 0, 7), _plan(WaterStage.ROOTING, 7, 7)), "out of order"),
        ((_plan(WaterStage.ROOTING, 0, 7), _plan(WaterStage.ROOTING, 7, 7)), "repeats"),
    ],
)
def test_stages_that_leave_gaps_overlap_or_come_out_of_order_are_refused(
    stages: tuple[StagePlan, ...], message: str
) -> None:
    with pytest.raises(BadPaddy, match=message):
        WaterCalendar(name="bad", stages=stages)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"depth_cm": -1.0}, "above the soil"),
        ({"depth_cm": None}, "needs depth"),
        ({"length_days": 0}, "days"),
        ({"regime": WaterRegime.DRAIN}, "has no depth"),
        ({"cycle": IntermittentCycle()}, "cycle"),
        ({"regime": WaterRegime.IDLE}, "idle"),
        ({"stage": WaterStage.AFTER_HARVEST}, "idle"),
    ],
)
def test_stage_plans_that_cannot_be_followed_are_refused(
    changes: dict[str, object], message: str
) -> None:
    with pytest.raises(BadPaddy, match=message):
        replace(_plan(WaterStage.TILLERING, 0, 10), **changes)  # type: ignore[arg-type]


def test_a_calendar_deeper_than_the_paddy_can_safely_hold_is_refused() -> None:
    shallow_levee = Paddy(id="p", area_m2=1000.0, levee_height_cm=10.0, outlet_crest_cm=5.0)
    DEFAULT_CALENDAR.check_fits(Paddy(id="q", area_m2=1000.0))
    with pytest.raises(BadPaddy, match="safe depth"):
        DEFAULT_CALENDAR.check_fits(shallow_levee)


def test_stage_changes_lists_every_change_at_japan_midnight() -> None:
    start = datetime(2026, 5, 1, tzinfo=UTC)
    changes = stage_changes(DEFAULT_CALENDAR, TRANSPLANTED, start, start + timedelta(days=200))
    assert [c.stage for c in changes] == [plan.stage for plan in DEFAULT_CALENDAR.stages] + [
        WaterStage.AFTER_HARVEST
    ]
    assert changes[0].previous is WaterStage.BEFORE_TRANSPLANTING
    assert all(c.at.astimezone(JST).hour == 0 and c.at.tzinfo is UTC for c in changes)
    assert changes[3].at == datetime(2026, 6, 19, 15, tzinfo=UTC)  # panicle formation, day 41


def test_every_stage_has_a_japanese_name() -> None:
    assert all(stage.label_ja for stage in WaterStage)
    assert WaterStage.MIDSEASON_DRAINAGE.label_ja == "中干し"


@given(
    calendar=st.sampled_from(PRESET_CALENDARS),
    hours=st.floats(min_value=-48.0, max_value=140 * 24.0, allow_nan=False),
)
def test_every_target_is_consistent_with_its_stage_and_the_announced_changes(
    calendar: WaterCalendar, hours: float
) -> None:
    day0 = datetime(2026, 5, 10, tzinfo=JST).astimezone(UTC)
    on = day0 + timedelta(hours=hours)
    target = target_for(calendar, TRANSPLANTED, on)
    assert target.holds_band == (target.setpoint_cm is not None and not target.transition)
    assert not (target.drain and target.inlet_may_open)
    if target.inlet_may_open:
        assert target.setpoint_cm is not None
        assert target.band is not None
        assert target.band == (target.setpoint_cm - 1.0, target.setpoint_cm + 1.0)
        assert target.within_band(target.setpoint_cm)
    just_after = on + timedelta(microseconds=1)
    announced = stage_changes(calendar, TRANSPLANTED, day0 - timedelta(days=1), just_after)
    expected = announced[-1].stage if announced else WaterStage.BEFORE_TRANSPLANTING
    assert target.stage is expected


SEASON_START = datetime(2026, 5, 8, tzinfo=JST).astimezone(UTC)
SEASON_END = SEASON_START + timedelta(days=140)


@given(
    calendar=st.sampled_from(PRESET_CALENDARS),
    fractions=st.lists(st.floats(min_value=0.0, max_value=0.999999), min_size=1, max_size=20),
)
def test_target_spans_tile_the_period_and_hold_the_target_of_every_moment_in_them(
    calendar: WaterCalendar, fractions: list[float]
) -> None:
    spans = target_spans(calendar, TRANSPLANTED, SEASON_START, SEASON_END)
    assert spans[0].start == SEASON_START
    assert spans[-1].end == SEASON_END
    assert all(a.end == b.start for a, b in pairwise(spans))
    for a, b in pairwise(spans):  # merged: neighbours differ
        keys = [(s.target.stage, s.target.band, s.target.transition) for s in (a, b)]
        assert keys[0] != keys[1]
    for span in spans:
        for fraction in fractions:
            on = span.start + (span.end - span.start) * fraction
            target = target_for(calendar, TRANSPLANTED, on)
            assert (target.stage, target.band, target.transition) == (
                span.target.stage,
                span.target.band,
                span.target.transition,
            )


def test_target_spans_of_a_day_and_of_a_paddy_without_a_date() -> None:
    noon = datetime(2026, 5, 25, 12, tzinfo=JST)  # day 15: tillering, shallow
    (day,) = target_spans(DEFAULT_CALENDAR, TRANSPLANTED, noon - timedelta(hours=24), noon)
    assert day.target.stage is WaterStage.TILLERING
    assert day.target.band is not None
    (idle,) = target_spans(DEFAULT_CALENDAR, None, noon - timedelta(days=7), noon)
    assert idle.target.stage is WaterStage.BEFORE_TRANSPLANTING
    assert idle.target.band is None
    with pytest.raises(ValueError, match="empty"):
        target_spans(DEFAULT_CALENDAR, TRANSPLANTED, noon, noon)
    with pytest.raises(ValueError, match="time zone"):
        target_spans(DEFAULT_CALENDAR, TRANSPLANTED, datetime(2026, 5, 1), noon)
