"""``tanbo irrigation``: paddy water from the command line.

``tanbo irrigation sim`` runs the controller in closed loop against the water-balance
model over a season of real daily weather and prints what the water did.
"""

import asyncio
import csv
import json
import signal
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from api.console import err, out, state_of
from api.irrigation.running import PaddyWaterService
from core.errors import TanboError
from irrigation import Paddy
from irrigation.calendar import JST, calendar_for
from irrigation.simulate import (
    DEFAULT_SIM_PADDY,
    SeasonResult,
    SimOptions,
    default_faults,
    simulate_season,
)
from irrigation.weather import (
    KHARIF_TRANSPLANTING,
    DailyWeather,
    aquacrop_series_names,
    load_aquacrop_series,
    load_csv,
    season_window,
)

__all__ = ["irrigation_app"]

irrigation_app = typer.Typer(
    help="Paddy water: sensors, gates, the controller and its season simulation.",
    no_args_is_help=True,
)

_DEFAULT_YEAR = 2005


def _weather(
    rain: Path | None, series: str, year: int, start: date | None, days: int, latitude: float | None
) -> tuple[DailyWeather, ...]:
    if rain is not None:
        loaded = load_csv(rain, latitude_deg=latitude)
        first = start or loaded[0].day
    else:
        if series not in aquacrop_series_names():
            names = ", ".join(aquacrop_series_names())
            raise typer.BadParameter(f"no shipped series {series!r}; there are {names}")
        loaded = load_aquacrop_series(series)
        month, day = KHARIF_TRANSPLANTING
        first = start or date(year, month, day)
    return season_window(loaded, first, days)


def _table(result: SeasonResult, source: str) -> Table:
    table = Table(title=f"A simulated season: {source}", show_header=False)
    table.add_column("what")
    table.add_column("value", justify="right")
    rows = [
        ("days", f"{result.days}"),
        ("within ±1 cm of target (judged ticks)", f"{result.within_band_fraction:.2%}"),
        ("within band, holds and safe states too", f"{result.within_band_fraction_all:.2%}"),
        ("overflow events (over the levee)", f"{result.overflow_events}"),
        ("mid-season drainage days (中干し, bare)", f"{result.midseason_drainage_days}"),
        ("deepest / safe depth cm", f"{result.max_depth_cm:.1f} / {result.max_safe_depth_cm:g}"),
        ("rain / ET / percolation mm", f"{result.rain_mm:.0f} / {result.et_mm:.0f} / "
         f"{result.percolation_mm:.0f}"),
        ("irrigation m³ (mm)", f"{result.irrigation_m3:,.0f} ({result.irrigation_mm:.0f})"),
        ("drained m³ / over the weir m³", f"{result.drained_m3:,.0f} / "
         f"{result.weir_overflow_m3:,.0f}"),
        ("gate commands", f"{result.commands}"),
        ("田んぼダム episodes", f"{result.paddy_dam_episodes}"),
        ("faults / ticks in safe state", f"{result.faults} / {result.safe_ticks}"),
        ("inlet open in a safe state (ticks)", f"{result.inlet_open_in_safe_ticks}"),
        ("alerts", ", ".join(f"{k} {v}" for k, v in result.alerts.items()) or "none"),
    ]  # fmt: skip
    for what, value in rows:
        table.add_row(what, value)
    return table


@irrigation_app.command("sim")
def sim(
    days: Annotated[int, typer.Option(min=1, max=366, help="Days from transplanting.")] = 120,
    rain: Annotated[
        Path | None,
        typer.Option(
            help="Daily weather CSV: date,rain_mm[,et0_mm,tmin_c,tmax_c] (default: a series "
            "the aquacrop package ships).",
            exists=False,
        ),
    ] = None,
    series: Annotated[
        str, typer.Option(help="The aquacrop package's series to use without --rain.")
    ] = "hyderabad",
    year: Annotated[
        int, typer.Option(help="The season's year in the shipped series (kharif, from 1 Aug).")
    ] = _DEFAULT_YEAR,
    start: Annotated[
        str | None,
        typer.Option(help="Transplanting day YYYY-MM-DD (default: 1 Aug / the file's first)."),
    ] = None,
    latitude: Annotated[
        float | None, typer.Option(help="Latitude for ET0 when the CSV has none (Hargreaves).")
    ] = None,
    faults: Annotated[
        bool, typer.Option("--faults", help="Put sensor and gate faults in on a timeline.")
    ] = False,
    variety: Annotated[str | None, typer.Option(help="The variety's water calendar.")] = None,
    area_m2: Annotated[
        float, typer.Option(min=1.0, help="The paddy's area.")
    ] = DEFAULT_SIM_PADDY.area_m2,
    outlet_flow_m3_h: Annotated[
        float, typer.Option(min=0.0, help="The outlet gate's flow at 5 cm head (0: no gate).")
    ] = DEFAULT_SIM_PADDY.outlet_flow_m3_h,
    rain_hours: Annotated[
        float,
        typer.Option(
            min=0.5,
            max=24.0,
            help="Each day's rain falls within this many hours (from 15:00 "
            "when under 9, an afternoon storm; else spread from midnight).",
        ),
    ] = 24.0,
    seed: Annotated[int, typer.Option(help="The sensor noise's seed.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    daily: Annotated[
        Path | None, typer.Option(help="Also write the day-by-day water to this CSV.")
    ] = None,
) -> None:
    """Simulate a season of paddy water: the controller, the gates and a water balance."""
    try:
        first = date.fromisoformat(start) if start else None
    except ValueError:
        err.print(f"tanbo: --start {escape(start or '')!s} is not a date (YYYY-MM-DD)")
        raise typer.Exit(2) from None
    try:
        weather = _weather(rain, series, year, first, days, latitude)
        paddy = Paddy(
            **{
                **{s: getattr(DEFAULT_SIM_PADDY, s) for s in DEFAULT_SIM_PADDY.__slots__},
                "area_m2": area_m2,
                "outlet_flow_m3_h": outlet_flow_m3_h,
                "variety": variety,
            }
        )
        result = simulate_season(
            weather,
            paddy=paddy,
            calendar=calendar_for(variety),
            faults=default_faults() if faults else (),
            options=SimOptions(
                seed=seed,
                rain_from_hour=15.0 if rain_hours < 9.0 else 0.0,
                rain_hours=rain_hours,
            ),
            keep_daily=daily is not None,
        )
    except TanboError as exc:
        err.print(f"tanbo: {escape(str(exc))}")
        raise typer.Exit(2) from None
    source = str(rain) if rain else f"aquacrop's {series} series, {weather[0].day}"
    if daily is not None:
        _write_daily(daily, result)
    if as_json:
        summary = {"weather": source, **result.summary()}
        print(json.dumps(summary, ensure_ascii=False, indent=2))
        return
    out.print(_table(result, escape(source)))


def _write_daily(path: Path, result: SeasonResult) -> None:
    with path.open("w", newline="", encoding="utf-8") as sink:
        writer = csv.DictWriter(sink, fieldnames=list(result.daily[0]))
        writer.writeheader()
        writer.writerows(result.daily)


@irrigation_app.command("run")
def run(
    ctx: typer.Context,
    ticks: Annotated[
        int | None, typer.Option(min=1, help="Stop after this many control ticks.")
    ] = None,
) -> None:
    """Run paddy water: store readings from the broker, tick the controller, command gates.

    Without ``mqtt_url`` readings come over HTTP (``tanbo serve``) and gates are in process.
    Ctrl-C stops it cleanly.
    """
    state = state_of(ctx)
    engine = state.db()
    service = PaddyWaterService(
        engine=engine,
        settings=state.settings,
        on_tick=lambda r: out.print(
            f"tick {r.at.astimezone(JST):%m-%d %H:%M:%S}: {r.paddies} paddies, "
            f"{r.commands} commands, {r.alerts} alerts, {r.acks} acks, {r.elapsed_s * 1000:.0f} ms"
            + (f"; not steered: {'; '.join(r.failed)}" if r.failed else "")
        ),
    )
    mqtt = state.settings.mqtt_settings()
    where = (
        f"broker {mqtt.host}:{mqtt.port}" if mqtt else "no broker (HTTP readings, gates in process)"
    )
    out.print(f"paddy water: {escape(where)}, a tick every {state.settings.irrigation_tick_s:g} s")

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await service.run(stop=stop, ticks=ticks)

    asyncio.run(main())
