"""The rice water calendar's plan: stages by day after transplanting, each with a water regime.

A :class:`WaterCalendar` is a run of :class:`StagePlan` s, contiguous from day 0 (the
transplanting day) to harvest, each with a water regime:

- ``HOLD``: keep ``depth_cm`` (the setpoint) within ± ``band_cm`` (deep water while the
  seedlings root, 活着期; shallow while tillering, 分げつ期; flooded at heading, 出穂期);
- ``INTERMITTENT``: 間断かん水, a fixed cycle of flooding to ``depth_cm`` and letting the
  water recede with the inlet closed (panicle formation, ripening);
- ``DRAIN``: let the water out, inlet closed (中干し, mid-season drainage; 落水, the final
  drainage before harvest).

Before day 0 and from harvest on the regime is ``IDLE``: the controller keeps the inlet
shut and leaves the outlet to the farmer. The presets (:mod:`irrigation.calendar_presets`)
are typical values, not rules: every farmer edits them (:meth:`WaterCalendar.with_stage`).
Days are Japan days (:data:`JST`); :mod:`irrigation.calendar` turns a plan and a moment
into a target.
"""

from dataclasses import dataclass, replace
from enum import StrEnum
from zoneinfo import ZoneInfo

from irrigation.errors import BadPaddy
from irrigation.model import Paddy

__all__ = [
    "JST",
    "IntermittentCycle",
    "StagePlan",
    "WaterCalendar",
    "WaterRegime",
    "WaterStage",
]

JST = ZoneInfo("Asia/Tokyo")
"""The farmer's days are Japan days."""


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

        >>> from irrigation.calendar_presets import DEFAULT_CALENDAR
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
