"""The control loop around the pure controller: gather, decide, act, remember.

:class:`IrrigationRunner` runs one tick for every controlled paddy: it reads what the
store has (each paddy's calendar, the controller's memory, the newest water level, the
overrides in force), asks the weather for the forecast and any heavy-rain warning, calls
:func:`irrigation.controller.decide`, hands the commands to the gates, tells the farmer
the alerts, and stores the new memory. It never waits for a gate: each command goes out
in a task of its own, and its acknowledgement (or the gate's silence) is fed to the next
tick, where the controller judges it. Storage, gates, weather and alerts are ports, so the
same loop runs on the database and MQTT in the service and in memory in tests.
"""

import asyncio
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from pydantic import TypeAdapter

from core.clock import Clock, SystemClock
from irrigation.calendar import WaterCalendar, target_for
from irrigation.controller import (
    ControllerSettings,
    Decision,
    PaddyState,
    TickInputs,
    command_id,
    decide,
)
from irrigation.errors import GateUnavailable, IrrigationError
from irrigation.model import (
    Alert,
    GateAck,
    GateAction,
    GateCommand,
    GateRole,
    Override,
    Paddy,
    Reading,
)

__all__ = [
    "AlertSink",
    "ControlStore",
    "ControlledPaddy",
    "GateAddress",
    "GateSender",
    "IrrigationRunner",
    "NoWeather",
    "TickReport",
    "WeatherOutlook",
    "dump_state",
    "load_state",
]

logger = logging.getLogger(__name__)

_STATE = TypeAdapter(PaddyState)


def dump_state(state: PaddyState) -> dict[str, Any]:
    """The controller's memory as JSON-ready values (what the store keeps)."""
    dumped: dict[str, Any] = _STATE.dump_python(state, mode="json")
    return dumped


def load_state(data: Mapping[str, Any]) -> PaddyState:
    """The controller's memory from :func:`dump_state`'s values.

    Raises
    ------
    IrrigationError
        The stored values are not a controller state (a newer or damaged format).
    """
    try:
        return _STATE.validate_python(dict(data))
    except ValueError as exc:
        raise IrrigationError(f"the stored controller state cannot be read: {exc}") from exc


@dataclass(frozen=True, kw_only=True, slots=True)
class GateAddress:
    """Where a gate listens: ``tanbo/<farm>/<paddy>/<device>/cmd``."""

    farm: str
    device: str


@dataclass(frozen=True, kw_only=True, slots=True)
class ControlledPaddy:
    """A paddy as a tick needs it."""

    paddy: Paddy
    owner: str
    calendar: WaterCalendar
    state: PaddyState | None
    """The controller's memory from the previous tick (None: the first)."""
    overrides: tuple[Override, ...] = ()
    gates: Mapping[GateRole, GateAddress] = field(default_factory=dict)


class ControlStore(Protocol):
    """Where the runner reads paddies and readings and keeps its memory (sync: the
    runner calls it from a worker thread)."""

    def controlled(self, now: datetime) -> Sequence[ControlledPaddy]:
        """Every controlled paddy with its overrides in force at ``now``."""
        ...

    def newest_levels(
        self, paddy_ids: Sequence[str], since: datetime, until: datetime
    ) -> dict[str, Reading]:
        """Each paddy's newest water-level reading received from ``since`` up to ``until``."""
        ...

    def rain_mm(
        self, paddy_ids: Sequence[str], since: datetime, until: datetime
    ) -> dict[str, float]:
        """Rain each paddy's gauge reported from ``since`` up to ``until``, mm (absent: no
        gauge)."""
        ...

    def keep(
        self, results: Sequence[tuple[ControlledPaddy, Decision]], acks: Sequence[GateAck]
    ) -> None:
        """Store a tick: each paddy's new memory and mode, its commands, alerts and the
        acknowledgements heard since the previous tick, in one transaction."""
        ...


class GateSender(Protocol):
    """Something that gets a command to a gate and waits for its answer."""

    async def send(self, command: GateCommand, *, farm: str, device: str) -> GateAck:
        """Send and wait; :class:`GateUnavailable` when the gate cannot be reached."""
        ...


class AlertSink(Protocol):
    """Where the farmer's alerts go (the city app, a webhook)."""

    def alert(self, owner: str, alert: Alert) -> None:
        """Tell ``owner``; a failure is logged, never raised into the loop."""
        ...


class WeatherOutlook(Protocol):
    """The forecast and warnings for a paddy's area."""

    def forecast_rain_mm(self, paddy: Paddy, now: datetime, hours: float) -> float:
        """Rain expected over the next ``hours``, mm."""
        ...

    def heavy_rain_warning(self, paddy: Paddy, now: datetime) -> bool:
        """Whether a heavy-rain warning (大雨警報) stands for the paddy's area."""
        ...


class NoWeather:
    """No forecast and no warnings (the controller then waits for the rain it sees)."""

    def forecast_rain_mm(self, paddy: Paddy, now: datetime, hours: float) -> float:
        """Nothing forecast."""
        return 0.0

    def heavy_rain_warning(self, paddy: Paddy, now: datetime) -> bool:
        """No warning."""
        return False


@dataclass(frozen=True, kw_only=True, slots=True)
class TickReport:
    """What one tick did."""

    at: datetime
    paddies: int
    commands: int
    alerts: int
    acks: int
    failed: tuple[str, ...]
    """Paddies the controller could not steer this tick, each with why."""
    elapsed_s: float
    decide_s: float


class IrrigationRunner:
    """Ticks the controller over every paddy the store holds.

    Parameters
    ----------
    store, gates, alerts, weather
        The ports.
    settings
        The controller's thresholds.
    forecast_h
        How far ahead the forecast's rain is summed.
    """

    LEVEL_OVERLAP_S = 120.0
    """How far each tick's level window reaches back over the previous one, s."""

    def __init__(
        self,
        store: ControlStore,
        gates: GateSender,
        *,
        alerts: AlertSink | None = None,
        weather: WeatherOutlook | None = None,
        settings: ControllerSettings | None = None,
        forecast_h: float = 6.0,
        clock: Clock | None = None,
    ) -> None:
        self._store = store
        self._gates = gates
        self._alerts = alerts
        self._weather = weather or NoWeather()
        self._settings = settings or ControllerSettings()
        self._forecast_h = forecast_h
        self._clock = clock or SystemClock()
        self._acks: list[GateAck] = []
        self._sending: set[asyncio.Task[None]] = set()
        self._last_tick: datetime | None = None

    def heard(self, ack: GateAck) -> None:
        """Take an acknowledgement heard outside :meth:`send` (a late MQTT ack)."""
        self._acks.append(ack)

    async def tick(self) -> TickReport:
        """One control step for every paddy.

        Raises
        ------
        Exception
            Whatever the store raises (the database down): nothing was sent, and the
            acknowledgements heard are kept for the next tick.
        """
        started = time.perf_counter()
        now = self._clock.now()
        stale_s = self._settings.plausibility.stale_after_s
        since = self._last_tick or now - timedelta(seconds=stale_s)
        # Levels overlap the previous window: a reading stamped on arrival but committed
        # after that tick's read is still seen (the controller ignores a repeat). Rain is
        # summed over the exact half-open window, never twice.
        level_since = since - timedelta(seconds=self.LEVEL_OVERLAP_S)
        # An ack can arrive twice (the sender's answer and the broker's copy): once each.
        acks = tuple({ack.command_id: ack for ack in self._acks}.values())
        heard = len(self._acks)
        paddies = await asyncio.to_thread(self._store.controlled, now)
        ids = [c.paddy.id for c in paddies]
        levels = await asyncio.to_thread(self._store.newest_levels, ids, level_since, now)
        rain = await asyncio.to_thread(self._store.rain_mm, ids, since, now)
        decided = time.perf_counter()
        results, failed = self.decide_all(paddies, now, levels, rain, acks)
        decide_s = time.perf_counter() - decided
        await asyncio.to_thread(self._store.keep, results, acks)
        del self._acks[:heard]  # kept until stored: a failed keep loses no ack
        for controlled, decision in results:
            for command in decision.commands:
                self._dispatch(controlled, command)
        for controlled, _ in failed:
            self._fail_safe(controlled, now)
        alerts = [(c.owner, alert) for c, d in results for alert in d.alerts]
        if alerts:
            # Off the event loop: a slow notifier or webhook must not starve the broker.
            await asyncio.to_thread(self._tell_all, alerts)
        self._last_tick = now
        return TickReport(
            at=now,
            paddies=len(paddies),
            commands=sum(len(d.commands) for _, d in results),
            alerts=len(alerts),
            acks=len(acks),
            failed=tuple(why for _, why in failed),
            elapsed_s=time.perf_counter() - started,
            decide_s=decide_s,
        )

    def _fail_safe(self, controlled: ControlledPaddy, now: datetime) -> None:
        """A paddy the controller could not steer has its inlet closed."""
        if GateRole.INLET not in controlled.gates:
            return
        paddy_id = controlled.paddy.id
        self._dispatch(
            controlled,
            GateCommand(
                command_id=command_id(paddy_id, GateRole.INLET, now),
                paddy_id=paddy_id,
                role=GateRole.INLET,
                action=GateAction.CLOSE,
                issued_at=now,
                reason="safety: the controller could not steer this paddy",
                opening_pct=0.0,
            ),
        )

    def decide_all(
        self,
        paddies: Sequence[ControlledPaddy],
        now: datetime,
        levels: Mapping[str, Reading],
        rain: Mapping[str, float],
        acks: Sequence[GateAck],
    ) -> tuple[list[tuple[ControlledPaddy, Decision]], list[tuple[ControlledPaddy, str]]]:
        """The controller's decision for each paddy (pure: no I/O), and the paddies it
        could not decide for, each with why."""
        results: list[tuple[ControlledPaddy, Decision]] = []
        failed: list[tuple[ControlledPaddy, str]] = []
        acks_by_paddy = _acks_by_paddy(paddies, acks)
        for controlled in paddies:
            paddy = controlled.paddy
            try:
                state = controlled.state or PaddyState.start(paddy.id, now)
                inputs = TickInputs(
                    now=now,
                    paddy=paddy,
                    target=target_for(controlled.calendar, paddy.transplanted_on, now),
                    level=levels.get(paddy.id),
                    rain_mm=rain.get(paddy.id, 0.0),
                    forecast_rain_mm=self._weather.forecast_rain_mm(paddy, now, self._forecast_h),
                    heavy_rain_warning=self._weather.heavy_rain_warning(paddy, now),
                    acks=acks_by_paddy.get(paddy.id, ()),
                    overrides=controlled.overrides,
                )
                results.append((controlled, decide(state, inputs, self._settings)))
            except (IrrigationError, ValueError) as exc:
                logger.error("paddy %s: %s", paddy.id, exc)
                failed.append((controlled, f"{paddy.id}: {exc}"))
        return results, failed

    def _dispatch(self, controlled: ControlledPaddy, command: GateCommand) -> None:
        address = controlled.gates.get(command.role)
        if address is None:
            logger.warning("paddy %s has no %s gate registered", command.paddy_id, command.role)
            return
        task = asyncio.get_running_loop().create_task(self._send(command, address))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _send(self, command: GateCommand, address: GateAddress) -> None:
        try:
            ack = await self._gates.send(command, farm=address.farm, device=address.device)
        except GateUnavailable as exc:
            # The controller sees no ack and declares the gate faulty after its timeout.
            logger.warning("%s", exc)
            return
        self._acks.append(ack)

    def _tell_all(self, alerts: Sequence[tuple[str, Alert]]) -> None:
        if self._alerts is None:
            return
        for owner, alert in alerts:
            try:
                self._alerts.alert(owner, alert)
            except Exception:
                logger.exception("alert for paddy %s could not be sent", alert.paddy_id)

    async def drain(self, timeout_s: float = 5.0) -> None:
        """Wait (up to ``timeout_s``) for the commands still being sent."""
        if self._sending:
            await asyncio.wait(set(self._sending), timeout=timeout_s)


def _acks_by_paddy(
    paddies: Sequence[ControlledPaddy], acks: Sequence[GateAck]
) -> dict[str, tuple[GateAck, ...]]:
    """Each paddy's acknowledgements, matched by the commands its gates wait on."""
    if not acks:
        return {}
    waiting: dict[str, str] = {}
    for controlled in paddies:
        state = controlled.state
        if state is None:
            continue
        for gate in (state.inlet, state.outlet):
            if gate.pending is not None:
                waiting[gate.pending.command_id] = controlled.paddy.id
    out: dict[str, list[GateAck]] = {}
    for ack in acks:
        paddy_id = waiting.get(ack.command_id)
        if paddy_id is not None:
            out.setdefault(paddy_id, []).append(ack)
    return {paddy_id: tuple(found) for paddy_id, found in out.items()}
