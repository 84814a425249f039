"""The rice water calendar: which depth a paddy should hold on each day after transplanting.

The plan, a :class:`WaterCalendar` of :class:`StagePlan` s, is defined in
:mod:`irrigation.calendar_stages` and the typical plans per variety in
:mod:`irrigation.calendar_presets`; both are re-exported here, so this module is the
calendar's one door.

Days are Japan days (Asia/Tokyo): stage *k* starts at 00:00 JST on ``transplanted_on +
start_day``. :func:`target_for` turns a moment into a :class:`Target`; its meaning for the
season summary is exact:

- ``transition`` is true for the first ``StagePlan.settle_h`` hours of every stage (not
  IDLE) and, in intermittent stages, the first ``IntermittentCycle.fill_h`` hours after
  every flood/recede switch: the water is moving to a new target and is not judged;
- ``holds_band`` is true exactly when there is a setpoint and no transition; only then
  does "within band" (``band[0] <= depth_cm <= band[1]``) count, in either direction.

>>> from datetime import UTC, date, datetime
>>> t = target_for(DEFAULT_CALENDAR, date(2026, 5, 10), datetime(2026, 5, 12, 3, tzinfo=UTC))
>>> t.stage, t.setpoint_cm, t.band, t.holds_band
(<WaterStage.ROOTING: 'rooting'>, 6.0, (5.0, 7.0), True)
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from irrigation.calendar_presets import (
    DEFAULT_CALENDAR,
    KOSHIHIKARI,
    PRESETS,
    YAMADANISHIKI,
    calendar_for,
)
from irrigation.calendar_stages import (
    JST,
    IntermittentCycle,
    StagePlan,
    WaterCalendar,
    WaterRegime,
    WaterStage,
)

__all__ = [
    "DEFAULT_CALENDAR",
    "JST",
    "KOSHIHIKARI",
    "PRESETS",
    "YAMADANISHIKI",
    "CyclePhase",
    "IntermittentCycle",
    "StageChange",
    "StagePlan",
    "Target",
    "TargetSpan",
    "WaterCalendar",
    "WaterRegime",
    "WaterStage",
    "calendar_for",
    "stage_changes",
    "target_for",
    "target_spans",
]

_DAY_S = 86_400.0


class CyclePhase(StrEnum):
    """Where an intermittent-irrigation cycle is."""

    FLOOD = "flood"
    RECEDE = "recede"


@dataclass(frozen=True, kw_only=True, slots=True)
class Target:
    """What the water should do at one moment (see the module docstring for the terms).

    ``ceiling_cm`` is the depth above which water is surplus and may be let out through an
    outlet gate: the band's top in HOLD and INTERMITTENT (both phases), 0 in DRAIN, None
    when IDLE (the outlet is left alone).
    """

    stage: WaterStage
    regime: WaterRegime
    day: int | None
    """Days after transplanting (Japan days); None if there is no transplanting date."""
    setpoint_cm: float | None = None
    band: tuple[float, float] | None = None
    ceiling_cm: float | None = None
    inlet_may_open: bool = False
    drain: bool = False
    transition: bool = False
    phase: CyclePhase | None = None

    @property
    def holds_band(self) -> bool:
        """Whether being within the band is measured now: a setpoint and no transition."""
        return self.setpoint_cm is not None and not self.transition

    def within_band(self, depth_cm: float) -> bool:
        """Whether a depth lies in the band (inclusive); False when there is no band.

        >>> Target(stage=WaterStage.HEADING, regime=WaterRegime.HOLD, day=80,
        ...        setpoint_cm=5.0, band=(4.0, 6.0)).within_band(6.0)
        True
        """
        return self.band is not None and self.band[0] <= depth_cm <= self.band[1]


@dataclass(frozen=True, kw_only=True, slots=True)
class StageChange:
    """A stage begins (``at`` in UTC, 00:00 JST of its first day)."""

    at: datetime
    stage: WaterStage
    previous: WaterStage


def _day0(transplanted_on: date) -> datetime:
    return datetime(transplanted_on.year, transplanted_on.month, transplanted_on.day, tzinfo=JST)


def target_for(calendar: WaterCalendar, transplanted_on: date | None, on: datetime) -> Target:
    """The water target of a paddy at a moment.

    Parameters
    ----------
    calendar
        The paddy's water calendar.
    transplanted_on
        The transplanting date (a Japan date); None before it is known (IDLE).
    on
        The moment, timezone-aware.

    Returns
    -------
    Target
        Stage, setpoint and band (cm), gate permissions and whether the water is settling.

    Raises
    ------
    ValueError
        If ``on`` has no time zone.
    """
    if on.tzinfo is None:
        raise ValueError(f"{on.isoformat()} has no time zone")
    if transplanted_on is None:
        return Target(stage=WaterStage.BEFORE_TRANSPLANTING, regime=WaterRegime.IDLE, day=None)
    since_s = (on - _day0(transplanted_on)).total_seconds()
    day = int(since_s // _DAY_S)
    if day < 0 or day >= calendar.season_days:
        stage = WaterStage.BEFORE_TRANSPLANTING if day < 0 else WaterStage.AFTER_HARVEST
        return Target(stage=stage, regime=WaterRegime.IDLE, day=day)
    plan = next(plan for plan in calendar.stages if day < plan.end_day)
    in_stage_h = (since_s - plan.start_day * _DAY_S) / 3600.0
    transition = in_stage_h < plan.settle_h
    setpoint, phase = plan.depth_cm, None
    if plan.cycle is not None:
        in_cycle_h = in_stage_h % (plan.cycle.flood_h + plan.cycle.recede_h)
        phase = CyclePhase.FLOOD if in_cycle_h < plan.cycle.flood_h else CyclePhase.RECEDE
        if phase is CyclePhase.RECEDE:
            in_cycle_h -= plan.cycle.flood_h
            setpoint = None
        transition = transition or in_cycle_h < plan.cycle.fill_h
    half = calendar.band_cm
    return Target(
        stage=plan.stage,
        regime=plan.regime,
        day=day,
        setpoint_cm=setpoint,
        band=None if setpoint is None else (setpoint - half, setpoint + half),
        ceiling_cm=0.0 if plan.depth_cm is None else plan.depth_cm + half,
        inlet_may_open=setpoint is not None,
        drain=plan.regime is WaterRegime.DRAIN,
        transition=transition,
        phase=phase,
    )


def stage_changes(
    calendar: WaterCalendar, transplanted_on: date, start: datetime, end: datetime
) -> list[StageChange]:
    """The stage changes in ``[start, end)``, oldest first, for the scheduler to announce.

    >>> from datetime import UTC, date, datetime
    >>> [c.at.isoformat() for c in stage_changes(DEFAULT_CALENDAR, date(2026, 5, 10),
    ...     datetime(2026, 5, 1, tzinfo=UTC), datetime(2026, 5, 20, tzinfo=UTC))]
    ['2026-05-09T15:00:00+00:00', '2026-05-16T15:00:00+00:00']
    """
    day0 = _day0(transplanted_on)
    previous = WaterStage.BEFORE_TRANSPLANTING
    changes = []
    bounds = [(plan.start_day, plan.stage) for plan in calendar.stages]
    for start_day, stage in [*bounds, (calendar.season_days, WaterStage.AFTER_HARVEST)]:
        at = (day0 + timedelta(days=start_day)).astimezone(UTC)
        if start <= at < end:
            changes.append(StageChange(at=at, stage=stage, previous=previous))
        previous = stage
    return changes


@dataclass(frozen=True, kw_only=True, slots=True)
class TargetSpan:
    """A stretch of time ``[start, end)`` over which the target stays the same."""

    start: datetime
    end: datetime
    target: Target


def _boundaries(calendar: WaterCalendar, transplanted_on: date) -> list[datetime]:
    """Every instant the target may change: stage starts, settle ends, cycle switches."""
    day0 = _day0(transplanted_on)
    hours: list[float] = []
    for plan in calendar.stages:
        begin_h, end_h = plan.start_day * 24.0, plan.end_day * 24.0
        hours += [begin_h, begin_h + plan.settle_h]
        if plan.cycle is not None:
            period_h = plan.cycle.flood_h + plan.cycle.recede_h
            cycle_h = begin_h
            while cycle_h < end_h:
                hours += [cycle_h, cycle_h + plan.cycle.fill_h, cycle_h + plan.cycle.flood_h]
                hours.append(cycle_h + plan.cycle.flood_h + plan.cycle.fill_h)
                cycle_h += period_h
    hours.append(calendar.season_days * 24.0)
    return sorted({day0 + timedelta(hours=h) for h in hours})


def target_spans(
    calendar: WaterCalendar, transplanted_on: date | None, start: datetime, end: datetime
) -> list[TargetSpan]:
    """The targets over ``[start, end)``, oldest first, each span as long as it holds: what a
    chart draws as the target band over a day, a week or the season.

    Parameters
    ----------
    calendar
        The paddy's water calendar.
    transplanted_on
        The transplanting date (a Japan date); None: one IDLE span.
    start, end
        The period, timezone-aware, ``start < end``.

    Raises
    ------
    ValueError
        If a bound has no time zone or the period is empty.

    >>> from datetime import UTC, date, datetime
    >>> spans = target_spans(DEFAULT_CALENDAR, date(2026, 5, 10),
    ...     datetime(2026, 5, 9, tzinfo=UTC), datetime(2026, 5, 12, tzinfo=UTC))
    >>> [(s.start.isoformat(), s.target.stage.value, s.target.band, s.target.transition)
    ...  for s in spans]  # doctest: +NORMALIZE_WHITESPACE
    [('2026-05-09T00:00:00+00:00', 'before_transplanting', None, False),
     ('2026-05-09T15:00:00+00:00', 'rooting', (5.0, 7.0), True),
     ('2026-05-10T15:00:00+00:00', 'rooting', (5.0, 7.0), False)]
    """
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("the period's bounds need a time zone")
    if not start < end:
        raise ValueError(f"the period {start.isoformat()} … {end.isoformat()} is empty")
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    inside = [] if transplanted_on is None else _boundaries(calendar, transplanted_on)
    instants = [start, *(b.astimezone(UTC) for b in inside if start < b < end)]
    spans: list[TargetSpan] = []
    for at, until in zip(instants, [*instants[1:], end], strict=True):
        target = target_for(calendar, transplanted_on, at)
        last = spans[-1] if spans else None
        if last is not None and _same(last.target, target):
            spans[-1] = TargetSpan(start=last.start, end=until, target=last.target)
        else:
            spans.append(TargetSpan(start=at, end=until, target=target))
    return spans


def _same(a: Target, b: Target) -> bool:
    """The same target for a reader: stage, setpoint, band and whether it is settling."""
    return (a.stage, a.setpoint_cm, a.band, a.transition) == (
        b.stage,
        b.setpoint_cm,
        b.band,
        b.transition,
    )
