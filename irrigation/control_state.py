"""The controller's values: its settings, its memory of a paddy, a tick's inputs and outcome.

:func:`irrigation.controller.decide` takes a :class:`PaddyState` (the memory from the
previous tick, :meth:`PaddyState.start` for the first), the :class:`TickInputs` gathered
since and the :class:`ControllerSettings`, and returns a :class:`Decision`. All are frozen
values, so the runner can store the memory between ticks and tests can build any moment.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from irrigation.calendar import Target, WaterStage
from irrigation.model import (
    Alert,
    AlertKind,
    ControlMode,
    GateAck,
    GateCommand,
    GateRole,
    Override,
    Paddy,
    Reading,
)
from irrigation.plausibility import OK, Check, LevelTrack, PlausibilitySettings

__all__ = [
    "ControllerSettings",
    "DamPhase",
    "Decision",
    "GateState",
    "PaddyState",
    "TickInputs",
    "command_id",
]


class DamPhase(StrEnum):
    """Where a 田んぼダム episode is."""

    HOLD = "hold"
    """The warning lasts: outlet shut, storm water held."""
    RELEASE = "release"
    """The warning is over: the water goes out slowly, back to the calendar's ceiling."""


@dataclass(frozen=True, kw_only=True, slots=True)
class ControllerSettings:
    """How the controller steers (typical values, configurable); depths cm, times s.

    The inlet opens at ``setpoint - open_below_cm`` and closes at ``setpoint +
    close_above_cm``; the outlet gate opens ``trim_below_ceiling_cm`` under the target's
    ceiling and closes ``trim_hysteresis_cm`` lower. Forecast rain (``forecast_trust`` of
    it) lowers both: the inlet waits for rain that will do its work, the outlet lets out
    up to ``predrain_max_cm`` ahead of it.
    """

    open_below_cm: float = 0.5
    close_above_cm: float = 0.3
    trim_below_ceiling_cm: float = 0.3
    trim_hysteresis_cm: float = 0.5
    min_open_s: float = 300.0
    min_closed_s: float = 600.0
    ack_timeout_s: float = 120.0
    gate_retry_s: float = 900.0
    """A faulty gate is told its safe position again this often."""
    recover_s: float = 1800.0
    out_of_band_alert_s: float = 7200.0
    near_levee_cm: float = 1.0
    """Alert, and open the outlet gate whatever the mode, this far below the safe depth."""
    reopen_below_safe_cm: float = 1.0
    """Once closed for safety, the inlet stays shut until the water is this far below."""
    forecast_trust: float = 0.8
    predrain_max_cm: float = 1.0
    dam_margin_cm: float = 2.0
    dam_release_cm_h: float = 1.0
    outlet_reference_head_cm: float = 5.0
    """The head at which the outlet drains ``paddy.outlet_flow_m3_h``; above it the flow
    grows as head^1.5 (a weir), so the release opening shrinks to keep its cm/h."""
    plausibility: PlausibilitySettings = field(default_factory=PlausibilitySettings)


@dataclass(frozen=True, kw_only=True, slots=True)
class GateState:
    """What the controller knows of one gate."""

    opening_pct: float | None = None
    """What it was last told (0 closed); None before the first command."""
    changed_at: datetime | None = None
    """When it was last told to move, for the minimum open and closed times."""
    sent_at: datetime | None = None
    pending: GateCommand | None = None
    """The command not yet acknowledged."""
    faulty: bool = False

    @property
    def is_open(self) -> bool:
        """Whether it was last told to open."""
        return self.opening_pct is not None and self.opening_pct > 0.0


@dataclass(frozen=True, kw_only=True, slots=True)
class PaddyState:
    """The controller's memory of one paddy between ticks."""

    paddy_id: str
    started_at: datetime
    at: datetime
    """The previous tick."""
    mode: ControlMode = ControlMode.AUTO
    heard_at: datetime | None = None
    """When the newest believed water-level reading arrived (staleness counts from it)."""
    level: LevelTrack | None = None
    sensor: Check = OK
    plausible_since: datetime | None = None
    inlet: GateState = field(default_factory=GateState)
    outlet: GateState = field(default_factory=GateState)
    water_day: date | None = None
    """The Japan day ``water_today_m3`` counts."""
    water_today_m3: float = 0.0
    stage: WaterStage | None = None
    out_of_band_since: datetime | None = None
    dam: DamPhase | None = None
    alerted: frozenset[AlertKind] = frozenset()
    """Conditions already told to the farmer, not repeated until they clear."""

    @classmethod
    def start(cls, paddy_id: str, now: datetime) -> "PaddyState":
        """The state before the first tick: gates unknown, no reading yet."""
        return cls(paddy_id=paddy_id, started_at=now, at=now, plausible_since=now)

    @property
    def depth_cm(self) -> float | None:
        """The last believed depth, cm."""
        return None if self.level is None else self.level.depth_cm


@dataclass(frozen=True, kw_only=True, slots=True)
class TickInputs:
    """What happened since the previous tick.

    ``level`` is the newest water-level reading (repeating the previous one is harmless);
    ``rain_mm`` the rain measured since the previous tick; ``forecast_rain_mm`` the rain
    forecast for the next few hours; ``acks`` every acknowledgement received since (others'
    are ignored); ``overrides`` the paddy's overrides (expired ones are ignored).
    """

    now: datetime
    paddy: Paddy
    target: Target
    level: Reading | None = None
    rain_mm: float = 0.0
    forecast_rain_mm: float = 0.0
    heavy_rain_warning: bool = False
    acks: tuple[GateAck, ...] = ()
    overrides: tuple[Override, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class Decision:
    """One tick's outcome."""

    state: PaddyState
    commands: tuple[GateCommand, ...] = ()
    alerts: tuple[Alert, ...] = ()


def command_id(paddy_id: str, role: GateRole, at: datetime) -> str:
    """The id a gate echoes in its ack: the same paddy, gate and time give the same id.

    >>> from datetime import UTC
    >>> command_id("p1", GateRole.INLET, datetime(2026, 5, 10, 1, 2, 3, 400000, tzinfo=UTC))
    'p1/inlet/20260510T010203.400Z'
    """
    return f"{paddy_id}/{role.value}/{at:%Y%m%dT%H%M%S}.{at.microsecond // 1000:03d}Z"
