"""The rice water calendar: which depth a paddy should hold on each day after transplanting.

A :class:`WaterCalendar` is a run of :class:`StagePlan` s, contiguous from day 0 (the
transplanting day) to harvest, each with a water regime:

- ``HOLD``: keep ``depth_cm`` (the setpoint) within ± ``band_cm`` (deep water while the
  seedlings root, 活着期; shallow while tillering, 分げつ期; flooded at heading, 出穂期);
- ``INTERMITTENT``: 間断かん水, a fixed cycle of flooding to ``depth_cm`` and letting the
  water recede with the inlet closed (panicle formation, ripening);
- ``DRAIN``: let the water out, inlet closed (中干し, mid-season drainage; 落水, the final
  drainage before harvest).

Before day 0 and from harvest on the regime is ``IDLE``: the controller keeps the inlet
shut and leaves the outlet to the farmer. The presets are typical values, not rules:
every farmer edits them (:meth:`WaterCalendar.with_stage`).

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

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from irrigation.errors import BadPaddy
from irrigation.model import Paddy

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
    "WaterCalendar",
    "WaterRegime",
    "WaterStage",
    "calendar_for",
    "stage_changes",
    "target_for",
]

JST = ZoneInfo("Asia/Tokyo")
"""The farmer's days are Japan days."""

_DAY_S = 86_400.0


class WaterStage(StrEnum):
    """Where the rice is in its water calendar."""

    BEFORE_TRANSPLANTING = "before_transplanting"
    ROOTING = "rooting"
    """活着期: deep water while the seedlings take root."""
    TILLERING = "tillering"
    """分げつ期: shallow water, warm in the sun, for tillers."""
    MIDSEASON_DRAINAGE = "midseason_drainage"
    """中干し: drained to stop unproductive tillers and firm the soil."""
    PANICLE_FORMATION = "panicle_formation"
    """幼穂形成期: intermittent irrigation (間断かん水)."""
    HEADING = "heading"
    """出穂期: flooded; the plant drinks most now."""
    RIPENING = "ripening"
    """登熟期: intermittent irrigation again."""
    FINAL_DRAINAGE = "final_drainage"
    """落水: drained so machines can harvest."""
    AFTER_HARVEST = "after_harvest"

    @property
    def label_ja(self) -> str:
        """The stage as a Japanese farmer names it."""
        return _LABELS_JA[self]


_LABELS_JA = {
    WaterStage.BEFORE_TRANSPLANTING: "田植え前",
    WaterStage.ROOTING: "活着期（深水）",
    WaterStage.TILLERING: "分げつ期（浅水）",
    WaterStage.MIDSEASON_DRAINAGE: "中干し",
    WaterStage.PANICLE_FORMATION: "幼穂形成期（間断かん水）",
    WaterStage.HEADING: "出穂期（湛水）",
    WaterStage.RIPENING: "登熟期（間断かん水）",
    WaterStage.FINAL_DRAINAGE: "落水",
    WaterStage.AFTER_HARVEST: "収穫後",
}
_ORDER = {stage: index for index, stage in enumerate(WaterStage)}


class WaterRegime(StrEnum):
    """How the water is handled in a stage."""

    IDLE = "idle"
    """No plan: inlet shut, outlet left alone (before transplanting, after harvest)."""
    HOLD = "hold"
    """Keep the setpoint within the band."""
    INTERMITTENT = "intermittent"
    """Flood, then let the water recede, in a fixed cycle."""
    DRAIN = "drain"
    """Let the water out; inlet shut."""


class CyclePhase(StrEnum):
    """Where an intermittent-irrigation cycle is."""

    FLOOD = "flood"
    RECEDE = "recede"


def _positive(name: str, value: float) -> None:
    if not value > 0:
        raise BadPaddy(f"{name} must be positive, not {value:g}")


@dataclass(frozen=True, kw_only=True, slots=True)
class IntermittentCycle:
    """One 間断かん水 cycle, from the stage's start: flood, then recede (typical, configurable).

    Parameters
    ----------
    flood_h
        Hours the inlet may keep the water at the stage's depth.
    recede_h
        Hours the inlet stays shut and the water soaks away.
    fill_h
        Hours after each switch during which the depth is moving and is not judged.
    """

    flood_h: float = 24.0
    recede_h: float = 48.0
    fill_h: float = 6.0

    def __post_init__(self) -> None:
        _positive("flood_h", self.flood_h)
        _positive("recede_h", self.recede_h)
        if not 0 <= self.fill_h <= self.flood_h:
            raise BadPaddy(f"fill_h {self.fill_h:g} must lie within the flood ({self.flood_h:g} h)")


@dataclass(frozen=True, kw_only=True, slots=True)
class StagePlan:
    """One stage: its days after transplanting, its regime and its depth (cm).

    ``depth_cm`` is the setpoint for HOLD and the flood depth for INTERMITTENT; DRAIN has
    none. ``settle_h`` is how long after the stage starts the depth is still moving.
    """

    stage: WaterStage
    start_day: int
    length_days: int
    regime: WaterRegime
    depth_cm: float | None = None
    cycle: IntermittentCycle | None = None
    settle_h: float = 24.0

    def __post_init__(self) -> None:
        where = f"stage {self.stage}"
        if self.regime is WaterRegime.IDLE or self.stage in (
            WaterStage.BEFORE_TRANSPLANTING,
            WaterStage.AFTER_HARVEST,
        ):
            raise BadPaddy(f"{where}: idle stages lie outside the calendar")
        if self.start_day < 0 or self.length_days < 1:
            raise BadPaddy(f"{where}: starts on day {self.start_day}, {self.length_days} days")
        if self.settle_h < 0:
            raise BadPaddy(f"{where}: settle_h cannot be negative")
        wants_depth = self.regime is not WaterRegime.DRAIN
        if wants_depth != (self.depth_cm is not None):
            need = "needs" if wants_depth else "has no"
            raise BadPaddy(f"{where}: a {self.regime} stage {need} depth")
        if self.depth_cm is not None and not self.depth_cm > 0:
            raise BadPaddy(f"{where}: depth {self.depth_cm:g} cm must be above the soil")
        if (self.regime is WaterRegime.INTERMITTENT) != (self.cycle is not None):
            raise BadPaddy(f"{where}: a cycle goes with intermittent irrigation, and only with it")

    @property
    def end_day(self) -> int:
        """The first day after this stage."""
        return self.start_day + self.length_days


@dataclass(frozen=True, kw_only=True, slots=True)
class WaterCalendar:
    """A variety's water plan: contiguous stages from day 0 to harvest.

    Raises
    ------
    BadPaddy
        If the stages leave a gap, overlap, repeat or come out of order, or ``band_cm``
        is not positive.
    """

    name: str
    stages: tuple[StagePlan, ...]
    band_cm: float = 1.0
    """Half the width of the band around a setpoint that counts as on target, cm."""

    def __post_init__(self) -> None:
        _positive("band_cm", self.band_cm)
        if not self.stages:
            raise BadPaddy(f"calendar {self.name} has no stages")
        day, previous = 0, -1
        for plan in self.stages:
            if plan.start_day != day:
                kind = "a gap" if plan.start_day > day else "an overlap"
                raise BadPaddy(f"calendar {self.name}: {kind} before {plan.stage} (day {day})")
            if _ORDER[plan.stage] <= previous:
                raise BadPaddy(f"calendar {self.name}: {plan.stage} repeats or is out of order")
            day, previous = plan.end_day, _ORDER[plan.stage]

    @property
    def season_days(self) -> int:
        """Days from transplanting to harvest."""
        return self.stages[-1].end_day

    def plan(self, stage: WaterStage) -> StagePlan:
        """The plan of one stage; BadPaddy if this calendar skips it."""
        for plan in self.stages:
            if plan.stage is stage:
                return plan
        raise BadPaddy(f"calendar {self.name} has no {stage} stage")

    def with_stage(
        self,
        stage: WaterStage,
        *,
        depth_cm: float | None = None,
        length_days: int | None = None,
        cycle: IntermittentCycle | None = None,
    ) -> "WaterCalendar":
        """A copy with one stage edited; later stages move by the change in its length.

        >>> longer = DEFAULT_CALENDAR.with_stage(WaterStage.ROOTING, length_days=10)
        >>> longer.plan(WaterStage.TILLERING).start_day, longer.season_days
        (10, 123)
        """
        old = self.plan(stage)
        edited = replace(
            old,
            depth_cm=old.depth_cm if depth_cm is None else depth_cm,
            length_days=old.length_days if length_days is None else length_days,
            cycle=old.cycle if cycle is None else cycle,
        )
        shift, index = edited.length_days - old.length_days, self.stages.index(old)
        later = [
            replace(plan, start_day=plan.start_day + shift) for plan in self.stages[index + 1 :]
        ]
        return replace(self, stages=(*self.stages[:index], edited, *later))

    def check_fits(self, paddy: Paddy) -> None:
        """Refuse a calendar whose band reaches above the paddy's safe depth.

        Raises
        ------
        BadPaddy
            If a stage's depth plus the band exceeds ``paddy.max_safe_depth_cm``.
        """
        for plan in self.stages:
            if plan.depth_cm is not None and plan.depth_cm + self.band_cm > paddy.max_safe_depth_cm:
                raise BadPaddy(
                    f"paddy {paddy.id}: {plan.stage} at {plan.depth_cm:g} ± {self.band_cm:g} cm"
                    f" reaches above the safe depth ({paddy.max_safe_depth_cm:g} cm)"
                )


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


def _season(name: str, lengths_days: tuple[int, ...]) -> WaterCalendar:
    """A calendar of the seven stages in order, with design.md's typical depths.

    Settling times let a paddy without an outlet gate come down to a shallower stage by
    evapotranspiration and percolation alone (about 1 cm a day).
    """
    hold, drain, cycle = WaterRegime.HOLD, WaterRegime.DRAIN, WaterRegime.INTERMITTENT
    how: list[tuple[WaterStage, WaterRegime, float | None, float]] = [
        (WaterStage.ROOTING, hold, 6.0, 24.0),
        (WaterStage.TILLERING, hold, 2.5, 72.0),
        (WaterStage.MIDSEASON_DRAINAGE, drain, None, 24.0),
        (WaterStage.PANICLE_FORMATION, cycle, 3.0, 12.0),
        (WaterStage.HEADING, hold, 5.0, 12.0),
        (WaterStage.RIPENING, cycle, 3.0, 24.0),
        (WaterStage.FINAL_DRAINAGE, drain, None, 24.0),
    ]
    stages, day = [], 0
    for (stage, regime, depth_cm, settle_h), length in zip(how, lengths_days, strict=True):
        stages.append(
            StagePlan(
                stage=stage,
                start_day=day,
                length_days=length,
                regime=regime,
                depth_cm=depth_cm,
                cycle=IntermittentCycle() if regime is cycle else None,
                settle_h=settle_h,
            )
        )
        day += length
    return WaterCalendar(name=name, stages=tuple(stages))


DEFAULT_CALENDAR = _season("default", (7, 25, 9, 34, 15, 22, 8))
"""Typical values from design.md, 120 days: deep 6 cm for a week, shallow 2.5 cm, 中干し
from day 32 for 9 days, intermittent 3 cm, 5 cm at heading, intermittent, 落水 8 days."""

KOSHIHIKARI = _season("コシヒカリ", (7, 23, 8, 30, 14, 26, 7))
"""Typical for コシヒカリ (115 days): 中干し from day 30, a little earlier, since it lodges
easily; configurable."""

YAMADANISHIKI = _season("山田錦", (7, 28, 10, 35, 15, 27, 10))
"""Typical for 山田錦, Hyogo's late-maturing sake rice (132 days, heading around day 80,
落水 10 days); configurable."""

PRESETS: dict[str, WaterCalendar] = {
    "default": DEFAULT_CALENDAR,
    "koshihikari": KOSHIHIKARI,
    "コシヒカリ": KOSHIHIKARI,
    "yamadanishiki": YAMADANISHIKI,
    "山田錦": YAMADANISHIKI,
}
"""Preset calendars by variety name (Japanese or romanised, lower case)."""


def calendar_for(variety: str | None) -> WaterCalendar:
    """The preset calendar for a variety, or the default one for an unknown variety.

    >>> calendar_for("山田錦").season_days, calendar_for("Koshihikari").season_days
    (132, 115)
    >>> calendar_for(None) is DEFAULT_CALENDAR
    True
    """
    key = (variety or "default").strip().lower().replace(" ", "").replace("-", "")
    return PRESETS.get(key, DEFAULT_CALENDAR)
