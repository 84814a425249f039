"""The demo's paddy water: a sensor, two gates and the controller through the database.

Field B000 becomes a paddy with a level sensor, an inlet valve and an outlet gate. A day
goes by on a simulated clock: every ten minutes the "real" paddy (the water-balance model
under a real day of monsoon weather) gives the sensor its depth, the reading is stored as
a LoRaWAN or HTTP gateway would store it, and the controller ticks through the same runner
and database ports ``tanbo irrigation run`` uses, with in-process gates. The sensor goes
silent for an hour in the afternoon, to show the safe state and the farmer's alerts. Then
the whole season in closed loop, as ``tanbo irrigation sim`` runs it.
"""

import asyncio
from datetime import UTC, date, datetime, timedelta

from rich.console import Console
from rich.markup import escape
from sqlalchemy import Engine

from api import registry
from api.config import Settings
from api.errors import Conflict, NotFound
from api.irrigation import store
from api.irrigation.service import DatabaseControlStore, NotifierAlerts
from api.scheduling.notify import StoredNotifier, list_notifications
from core.clock import FakeClock
from irrigation import (
    JST,
    ControlMode,
    Device,
    DeviceKind,
    GateAction,
    GateRole,
    Metric,
    Paddy,
    PaddyWater,
    Reading,
    default_faults,
    kharif_season,
    load_aquacrop_series,
    share_of_day_mm,
    simulate_season,
    step,
)
from irrigation.gates_mqtt import InProcessGates
from irrigation.runner import IrrigationRunner

__all__ = ["run_water_demo"]

_OWNER = "kasai-demo-farm"
_PADDY = "kasai-B000"
_WEATHER_DAY = date(2005, 8, 4)  # a day of aquacrop's Hyderabad series, 3 after transplanting
_SILENT = (14, 15)  # the sensor says nothing from 14:00 to 15:00 JST


def _register(engine: Engine, today: date) -> Paddy:
    field = registry.get_field(engine, "B000")
    paddy = Paddy(
        id=_PADDY,
        farm="kasai",
        field_id=field.id,
        area_m2=field.area_m2,
        transplanted_on=today - timedelta(days=3),
        variety="コシヒカリ",
        inlet_flow_m3_h=25.0,
        outlet_flow_m3_h=40.0,
    )
    try:
        store.add_paddy(engine, paddy, owner=_OWNER)
    except Conflict:  # a second run: the same paddy, transplanted 3 days ago, started afresh
        stored = store.get_paddy(engine, _PADDY)
        changes = {"transplanted_on": paddy.transplanted_on, "variety": paddy.variety}
        store.update_paddy(engine, _PADDY, changes, expected_version=stored.version)
    store.save_control(engine, _PADDY, mode=ControlMode.AUTO, control_state=None)
    for device in (
        Device(id="kasai-lv-1", farm="kasai", kind=DeviceKind.SENSOR, paddy_id=_PADDY),
        Device(
            id="kasai-in-1", farm="kasai", kind=DeviceKind.GATE, paddy_id=_PADDY,
            role=GateRole.INLET,
        ),
        Device(
            id="kasai-out-1", farm="kasai", kind=DeviceKind.GATE, paddy_id=_PADDY,
            role=GateRole.OUTLET,
        ),
    ):  # fmt: skip
        store.register_device(engine, device)
    return paddy


def run_water_demo(engine: Engine, settings: Settings, out: Console) -> None:
    """A day of one paddy through the database, then a season in closed loop."""
    out.rule("Paddy water: a sensor, two gates and the controller")
    # A June day in Kasai on a simulated clock (a second run replays it: readings and
    # commands are the same ones, kept once).
    midnight = datetime(2026, 6, 4, tzinfo=JST)
    try:
        paddy = _register(engine, midnight.date())
    except NotFound:
        out.print("field B000 is not registered; skipped")
        return
    weather = {d.day: d for d in load_aquacrop_series("hyderabad")}
    today = weather[_WEATHER_DAY]
    start = midnight.astimezone(UTC)
    store.delete_readings(engine, _PADDY, since=start, until=start + timedelta(days=1))
    clock = FakeClock(start)
    gates = InProcessGates(clock=clock)
    runner = IrrigationRunner(
        DatabaseControlStore(engine, only=[_PADDY]),  # the demo steers its own paddy only
        gates,
        alerts=NotifierAlerts(StoredNotifier(engine, clock=clock)),
        clock=clock,
    )
    out.print(
        f"{_PADDY} ({paddy.area_m2 / 100:.0f} a, コシヒカリ, transplanted {paddy.transplanted_on}):"
        f" a level sensor, an inlet valve ({paddy.inlet_flow_m3_h:g} m³/h), an outlet gate; "
        f"on {midnight:%d %B} with a day of Hyderabad weather ({today.rain_mm:g} mm rain, "
        f"ET0 {today.et0_mm:g} mm); "
        "the sensor silent 14:00–15:00"
    )
    water = PaddyWater(depth_cm=5.2)
    lines: list[str] = []
    before, _ = list_notifications(engine, _OWNER, limit=10_000)  # newest by time, not id
    seen = max((n.id for n in before), default=0)

    async def day() -> None:
        nonlocal water
        for k in range(144):
            local = clock.now().astimezone(JST)
            if not (_SILENT[0] <= local.hour < _SILENT[1]):
                store.store_readings(
                    engine,
                    [
                        Reading(
                            device_id="kasai-lv-1",
                            metric=Metric.WATER_LEVEL,
                            value=round(water.depth_cm, 2),
                            device_time=clock.now(),
                            received_at=clock.now(),
                        )
                    ],
                    source="http",
                    clock=clock,
                )
            sent_before = len(gates.commands)
            report = await runner.tick()
            await runner.drain()
            for command in gates.commands[sent_before:]:
                verb = "opened" if command.action is GateAction.OPEN else "closed"
                lines.append(
                    f"  {local:%H:%M} {command.role.value} {verb}: {escape(command.reason)}"
                )
            if report.failed:
                lines.append(f"  {local:%H:%M} not steered: {'; '.join(report.failed)}")
            inlet = gates.openings_pct.get(("kasai", _PADDY, "kasai-in-1"), 0.0) / 100.0
            outlet = gates.openings_pct.get(("kasai", _PADDY, "kasai-out-1"), 0.0) / 100.0
            water, _ = step(
                paddy,
                water,
                dt_s=600.0,
                inlet_opening=inlet,
                outlet_opening=outlet,
                rain_mm=share_of_day_mm(today.rain_mm, start_s=k * 600.0, dt_s=600.0),
                etc_mm=share_of_day_mm(1.1 * today.et0_mm, start_s=k * 600.0, dt_s=600.0),
            )
            clock.advance(600.0)

    asyncio.run(day())
    for line in lines:
        out.print(line)
    notices, _ = list_notifications(engine, _OWNER, limit=20)
    for notice in sorted((n for n in notices if n.id > seen), key=lambda n: n.id):
        out.print(f"  通知: {escape(notice.text_ja)}")
    _, count = store.list_events(engine, _PADDY)
    out.print(
        f"  end of the day: {water.depth_cm:.1f} cm, mode "
        f"{store.get_paddy(engine, _PADDY).mode.value}; {count} lines in its audit log in all"
    )

    season = kharif_season(load_aquacrop_series("hyderabad"), 2005)
    result = simulate_season(season, faults=default_faults())
    out.print(
        f"\nThe season in closed loop ({len(season)} days from {season[0].day}, Hyderabad, "
        f"{result.rain_mm:.0f} mm rain, 6 faults put in): within ±1 cm of target "
        f"{result.within_band_fraction:.1%} of the judged time, {result.overflow_events} "
        f"overflows, {result.midseason_drainage_days} days of 中干し drained, "
        f"{result.irrigation_mm:.0f} mm irrigated, {result.safe_ticks} ticks in the safe state"
        f" (inlet open in it: {result.inlet_open_in_safe_ticks})"
    )
