"""A season of paddy water in closed loop: the controller steering a simulated paddy.

Every ``tick_s`` (10 minutes) the level sensor reports the true depth with a little noise,
:func:`irrigation.controller.decide` answers, the simulated gates move (and acknowledge a
few seconds later), and :func:`irrigation.water_balance.step` moves the water under the
day's rain and the crop's evapotranspiration (FAO-56 Kc × ET0 from the weather series).
The forecast is the series itself (the next ``forecast_h`` hours, as a perfect forecast),
and a heavy-rain warning (大雨警報) stands from ``warning_lead_h`` before a day whose rain
reaches ``warning_rain_mm`` until that day ends. Faults put in on a timeline — a sensor
that goes silent, sticks or jumps, a gate that stops answering — test the safe state.

The summary is measured on the true water, not on what the controller believes:
``within_band_fraction`` over the ticks whose target holds a band (not in a transition)
while the controller follows the calendar (AUTO or OVERRIDE: a 田んぼダム hold and a safe
state depart from the band on purpose; ``within_band_fraction_all`` counts them too),
``overflow_events`` as separate spells of water over the levee, and
``midseason_drainage_days`` as Japan days of 中干し on which the soil surface was bare (no
standing water) for at least half the day.
"""

import math
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from irrigation.calendar import (
    JST,
    Target,
    WaterCalendar,
    WaterStage,
    calendar_for,
    target_for,
)
from irrigation.controller import ControllerSettings, PaddyState, TickInputs, decide
from irrigation.crop_water import RiceKc, crop_et_mm, kc_on
from irrigation.errors import IrrigationError
from irrigation.faults import Fault, FaultKind, SimGate, actuate, default_faults, sense
from irrigation.model import (
    ControlMode,
    GateRole,
    Paddy,
)
from irrigation.water_balance import (
    DEFAULT_PARAMS,
    PaddyWater,
    WaterBalanceParams,
    share_of_day_mm,
    step,
)
from irrigation.weather import DailyWeather

__all__ = [
    "DEFAULT_SIM_PADDY",
    "Fault",
    "FaultKind",
    "SeasonResult",
    "SimOptions",
    "default_faults",
    "simulate_season",
]

DEFAULT_SIM_PADDY = Paddy(
    id="sim-paddy",
    farm="sim",
    area_m2=3000.0,
    levee_height_cm=30.0,
    outlet_crest_cm=12.0,
    inlet_flow_m3_h=30.0,
    outlet_flow_m3_h=60.0,
)
"""A 30 a paddy (Kasai's typical size) with an inlet valve (1 cm/h) and an outlet gate."""


@dataclass(frozen=True, kw_only=True, slots=True)
class SimOptions:
    """How the season is simulated (seconds, cm, mm)."""

    tick_s: float = 600.0
    ack_delay_s: float = 5.0
    sensor_noise_cm: float = 0.1
    initial_depth_cm: float = 3.0
    forecast_h: float = 6.0
    warning_rain_mm: float = 80.0
    warning_lead_h: float = 6.0
    rain_from_hour: float = 0.0
    rain_hours: float = 24.0
    seed: int = 0
    controller: ControllerSettings = field(default_factory=ControllerSettings)
    water: WaterBalanceParams = DEFAULT_PARAMS
    kc: RiceKc | None = None
    """Crop coefficients; FAO-56 rice scaled to the calendar's season when None."""


@dataclass(frozen=True, kw_only=True, slots=True)
class SeasonResult:
    """What a simulated season did (the JSON summary of ``tanbo irrigation sim``)."""

    days: int
    ticks: int
    within_band_fraction: float
    judged_ticks: int
    within_band_fraction_all: float
    overflow_events: int
    midseason_drainage_days: int
    max_depth_cm: float
    max_safe_depth_cm: float
    min_depth_cm: float
    rain_mm: float
    et_mm: float
    percolation_mm: float
    irrigation_m3: float
    irrigation_mm: float
    drained_m3: float
    weir_overflow_m3: float
    levee_overflow_m3: float
    safe_ticks: int
    inlet_open_in_safe_ticks: int
    """Ticks in SAFE mode with the inlet (truly) open: should be none."""
    commands: int
    alerts: dict[str, int]
    modes: dict[str, int]
    paddy_dam_episodes: int
    faults: int
    stage_days: dict[str, int]
    daily: tuple[dict[str, float | str], ...] = ()

    def summary(self) -> dict[str, object]:
        """The summary without the per-day rows."""
        return {name: getattr(self, name) for name in self.__slots__ if name != "daily"}


def _hours_after(transplanted_on: date, now: datetime) -> float:
    day0 = datetime(transplanted_on.year, transplanted_on.month, transplanted_on.day, tzinfo=JST)
    return (now - day0).total_seconds() / 3600.0


def _warning(
    weather: Sequence[DailyWeather], day_index: int, start_s: float, opt: SimOptions
) -> bool:
    """A heavy-rain warning stands today if today is heavy, or tomorrow is and it is late."""
    if weather[day_index].rain_mm >= opt.warning_rain_mm:
        return True
    lead_s = 86400.0 - opt.warning_lead_h * 3600.0
    tomorrow = day_index + 1
    return (
        tomorrow < len(weather)
        and weather[tomorrow].rain_mm >= opt.warning_rain_mm
        and start_s >= lead_s
    )


def _forecast_mm(
    weather: Sequence[DailyWeather], day_index: int, start_s: float, opt: SimOptions
) -> float:
    total, t, left = 0.0, start_s, opt.forecast_h * 3600.0
    index = day_index
    while left > 0 and index < len(weather):
        span = min(left, 86400.0 - t)
        total += share_of_day_mm(
            weather[index].rain_mm,
            start_s=t,
            dt_s=span,
            from_hour=opt.rain_from_hour,
            hours=opt.rain_hours,
        )
        left -= span
        index, t = index + 1, 0.0
    return total


def simulate_season(
    weather: Sequence[DailyWeather],
    *,
    paddy: Paddy = DEFAULT_SIM_PADDY,
    calendar: WaterCalendar | None = None,
    faults: Sequence[Fault] = (),
    options: SimOptions | None = None,
    keep_daily: bool = False,
) -> SeasonResult:
    """Run the controller against the water balance over the weather's days.

    The first day of ``weather`` is the transplanting day (``paddy.transplanted_on`` is set
    to it); the season lasts as many days as the series.

    Raises
    ------
    IrrigationError
        No weather, or the calendar does not fit the paddy.
    """
    if not weather:
        raise IrrigationError("a season needs at least one day of weather")
    opt = options or SimOptions()
    cal = calendar or calendar_for(paddy.variety)
    cal.check_fits(paddy)
    first = weather[0].day
    paddy = Paddy(**{**{s: getattr(paddy, s) for s in paddy.__slots__}, "transplanted_on": first})
    kc = opt.kc or RiceKc.fao56(season_days=float(cal.season_days))
    rng = random.Random(opt.seed)
    start = datetime(first.year, first.month, first.day, tzinfo=JST).astimezone(UTC)
    ticks_per_day = round(86400.0 / opt.tick_s)
    gates = {GateRole.INLET: SimGate(), GateRole.OUTLET: SimGate()}
    water = PaddyWater(depth_cm=opt.initial_depth_cm)
    state = PaddyState.start(paddy.id, start)
    last_sensor: float | None = None

    judged = in_band = judged_all = in_band_all = 0
    overflow_events = safe_ticks = unsafe = n_commands = 0
    overflowing = False
    dam_episodes, in_dam = 0, False
    totals = Counter[str]()
    alerts = Counter[str]()
    modes = Counter[str]()
    stage_days = Counter[str]()
    max_depth, min_depth = water.depth_cm, water.depth_cm
    drainage_days = 0
    daily: list[dict[str, float | str]] = []

    for day_index, day in enumerate(weather):
        day_et = crop_et_mm(day.et0_mm, kc_on(kc, day_index + 0.5))
        day_max = -math.inf
        bare_ticks = 0
        day_stage: WaterStage | None = None
        for k in range(ticks_per_day):
            start_s = k * opt.tick_s
            now = start + timedelta(days=day_index, seconds=start_s)
            hours_in = _hours_after(first, now)
            target: Target = target_for(cal, first, now)
            day_stage = target.stage if k == ticks_per_day // 2 else day_stage
            if target.holds_band:
                inside = target.within_band(water.depth_cm)
                judged_all += 1
                in_band_all += inside
                if state.mode in (ControlMode.AUTO, ControlMode.OVERRIDE):
                    judged += 1
                    in_band += inside
            level = sense(
                water.depth_cm, now, paddy, faults, hours_in, last_sensor, rng, opt.sensor_noise_cm
            )
            if level is not None:
                last_sensor = level.value
            rain_tick = share_of_day_mm(
                day.rain_mm,
                start_s=start_s,
                dt_s=opt.tick_s,
                from_hour=opt.rain_from_hour,
                hours=opt.rain_hours,
            )
            acks = tuple(a for g in gates.values() for a in g.acks)
            for g in gates.values():
                g.acks.clear()
            inputs = TickInputs(
                now=now,
                paddy=paddy,
                target=target,
                level=level,
                rain_mm=rain_tick,
                forecast_rain_mm=_forecast_mm(weather, day_index, start_s, opt),
                heavy_rain_warning=_warning(weather, day_index, start_s, opt),
                acks=acks,
            )
            decision = decide(state, inputs, opt.controller)
            state = decision.state
            for command in decision.commands:
                n_commands += 1
                actuate(gates[command.role], command, faults, hours_in, opt.ack_delay_s)
            for alert in decision.alerts:
                alerts[alert.kind.value] += 1
            modes[state.mode.value] += 1
            if state.mode is ControlMode.PADDY_DAM and not in_dam:
                dam_episodes += 1
            in_dam = state.mode is ControlMode.PADDY_DAM
            if state.mode is ControlMode.SAFE:
                safe_ticks += 1
                unsafe += gates[GateRole.INLET].opening > 0.0
            water, fluxes = step(
                paddy,
                water,
                dt_s=opt.tick_s,
                inlet_opening=gates[GateRole.INLET].opening,
                outlet_opening=gates[GateRole.OUTLET].opening,
                rain_mm=rain_tick,
                etc_mm=share_of_day_mm(day_et, start_s=start_s, dt_s=opt.tick_s),
                params=opt.water,
            )
            totals.update(
                {
                    "rain_mm": fluxes.rain_mm,
                    "et_mm": fluxes.et_mm,
                    "percolation_mm": fluxes.percolation_mm,
                    "irrigation_m3": fluxes.inflow_m3,
                    "drained_m3": fluxes.outlet_m3,
                    "weir_overflow_m3": fluxes.weir_overflow_m3,
                    "levee_overflow_m3": fluxes.levee_overflow_m3,
                }
            )
            if fluxes.overflowed_levee and not overflowing:
                overflow_events += 1
            overflowing = fluxes.overflowed_levee
            max_depth = max(max_depth, water.depth_cm)
            min_depth = min(min_depth, water.depth_cm)
            day_max = max(day_max, water.depth_cm)
            bare_ticks += water.depth_cm <= 0.0
        if day_stage is not None:
            stage_days[day_stage.value] += 1
            if day_stage is WaterStage.MIDSEASON_DRAINAGE and 2 * bare_ticks >= ticks_per_day:
                drainage_days += 1
        if keep_daily:
            daily.append(
                {
                    "day": day.day.isoformat(),
                    "stage": day_stage.value if day_stage else "",
                    "rain_mm": day.rain_mm,
                    "depth_cm": round(water.depth_cm, 2),
                    "max_depth_cm": round(day_max, 2),
                }
            )

    ticks = len(weather) * ticks_per_day
    return SeasonResult(
        days=len(weather),
        ticks=ticks,
        within_band_fraction=in_band / judged if judged else 1.0,
        judged_ticks=judged,
        within_band_fraction_all=in_band_all / judged_all if judged_all else 1.0,
        overflow_events=overflow_events,
        midseason_drainage_days=drainage_days,
        max_depth_cm=round(max_depth, 2),
        max_safe_depth_cm=paddy.max_safe_depth_cm,
        min_depth_cm=round(min_depth, 2),
        rain_mm=round(totals["rain_mm"], 1),
        et_mm=round(totals["et_mm"], 1),
        percolation_mm=round(totals["percolation_mm"], 1),
        irrigation_m3=round(totals["irrigation_m3"], 1),
        irrigation_mm=round(totals["irrigation_m3"] / paddy.area_m2 * 1000.0, 1),
        drained_m3=round(totals["drained_m3"], 1),
        weir_overflow_m3=round(totals["weir_overflow_m3"], 1),
        levee_overflow_m3=round(totals["levee_overflow_m3"], 3),
        safe_ticks=safe_ticks,
        inlet_open_in_safe_ticks=unsafe,
        commands=n_commands,
        alerts=dict(sorted(alerts.items())),
        modes=dict(sorted(modes.items())),
        paddy_dam_episodes=dam_episodes,
        faults=len(faults),
        stage_days=dict(stage_days),
        daily=tuple(daily),
    )
