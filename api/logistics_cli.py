"""``tanbo logistics``: drone deliveries from the command line — the demo, what is
registered, the deliveries and their timelines, and a dispatch run."""

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from api.console import out, state_of
from api.logistics import store
from api.logistics.service import DeliveryService
from api.scheduling import JST
from core.clock import SystemClock
from logistics.lifecycle import DeliveryState

__all__ = ["logistics_app"]

logistics_app = typer.Typer(
    help="Drone deliveries: depots, drop points, deliveries, dispatch and the demo.",
    no_args_is_help=True,
)


@logistics_app.command("demo")
def demo(ctx: typer.Context) -> None:
    """A pharmacy's three requests dispatched to two simulated drones, flown, confirmed and
    paid; prints each delivery's timeline."""
    from api.demo.deliveries import run_delivery_demo

    state = state_of(ctx)
    run_delivery_demo(state.db(), state.settings, out)


@logistics_app.command("depots")
def depots(ctx: typer.Context) -> None:
    """The depots and the vehicles stationed at each."""
    engine = state_of(ctx).db()
    vehicles = store.list_delivery_vehicles(engine)
    table = Table(title="Depots", show_edge=False, header_style="bold")
    for column in ("id", "name", "lat, lon", "battery swap", "vehicles"):
        table.add_column(column)
    for d in store.list_depots(engine):
        swap = "charges" if d.battery_swap_s is None else f"{d.battery_swap_s:g} s"
        mine = ", ".join(v.id for v in vehicles if v.depot_id == d.id) or "—"
        where = f"{d.location.lat_deg:.5f}, {d.location.lon_deg:.5f}"
        table.add_row(escape(d.id), escape(d.name), where, swap, escape(mine))
    out.print(table)


@logistics_app.command("drop-points")
def drop_points(ctx: typer.Context) -> None:
    """The drop points: kind, release, who reaches each with how heavy a parcel."""
    table = Table(title="Drop points", show_edge=False, header_style="bold")
    for column in ("id", "kind", "release", "reached by (max kg)", "permissions"):
        table.add_column(column)
    for p in store.list_drop_points(state_of(ctx).db()):
        reach = ", ".join(f"{r.vehicle_id} ({r.max_payload_kg:g})" for r in p.reach) or "—"
        table.add_row(escape(p.drop.id), p.drop.kind.value,
                      ", ".join(r.value for r in p.drop.releases), escape(reach),
                      escape(", ".join(p.permissions)))  # fmt: skip
    out.print(table)


@logistics_app.command("deliveries")
def deliveries(
    ctx: typer.Context,
    state: Annotated[
        list[DeliveryState] | None, typer.Option("--state", help="Only in these states.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
) -> None:
    """Deliveries, newest first."""
    rows, total = store.list_deliveries(state_of(ctx).db(), states=state or None, limit=limit)
    table = Table(title=f"Deliveries ({len(rows)} of {total})", show_edge=False,
                  header_style="bold")  # fmt: skip
    for column in ("id", "to", "state", "vehicle", "drop", "fee"):
        table.add_column(column)
    for d in rows:
        drop = f"{d.trip.drop_at.astimezone(JST):%m-%d %H:%M}" if d.trip else "—"
        table.add_row(d.id[:8], escape(d.request.drop_point_id), d.state.value,
                      escape(d.trip.vehicle_id) if d.trip else "—", drop,
                      f"¥{d.fee_yen:,}" if d.fee_yen is not None else "—")  # fmt: skip
    out.print(table)


@logistics_app.command("timeline")
def timeline(
    ctx: typer.Context,
    delivery_id: Annotated[str, typer.Argument(help="The delivery's id (or its first 8).")],
) -> None:
    """Every step of one delivery: when (Asia/Tokyo), what, who or what caused it."""
    engine = state_of(ctx).db()
    if len(delivery_id) < 36:
        rows, _ = store.list_deliveries(engine, limit=100_000)
        found = [d.id for d in rows if d.id.startswith(delivery_id)]
        if len(found) != 1:
            raise typer.BadParameter(
                f"{len(found)} deliveries start with {delivery_id!r}", param_hint="DELIVERY_ID"
            )
        delivery_id = found[0]
    d = store.get_delivery(engine, delivery_id)
    out.print(f"[bold]{d.id}[/bold] to {escape(d.request.drop_point_id)}: {d.state.value}")
    for e in d.lifecycle.events:
        note = f" — {e.note}" if e.note else ""
        out.print(f"  {e.at.astimezone(JST):%Y-%m-%d %H:%M:%S}  {e.to_state.value:<20} "
                  f"{escape(e.by)}{escape(note)}")  # fmt: skip


@logistics_app.command("dispatch")
def dispatch(ctx: typer.Context) -> None:
    """Plan the accepted and scheduled deliveries over the stationed vehicles, now."""
    engine = state_of(ctx).db()
    done = DeliveryService(engine=engine, clock=SystemClock()).dispatch()
    for trip in done.plan.trips:
        out.print(f"{trip.request_id[:8]} → {escape(trip.vehicle_id)}: take-off "
                  f"{trip.takeoff_at.astimezone(JST):%H:%M}, drop "
                  f"{trip.drop_at.astimezone(JST):%H:%M}")  # fmt: skip
    for left in done.plan.unassigned:
        out.print(f"{left.request_id[:8]} not dispatched: {escape(left.reason)}")


@logistics_app.command("cold-chain")
def cold_chain(ctx: typer.Context) -> None:
    """Listen to payload sensors on the broker (``mqtt_url``): store each delivery's
    temperature readings and tell its pharmacy of an excursion. Ctrl-C stops it."""
    import asyncio
    import signal

    from api.logistics.temperature import PayloadSensorListener, temperature_topic
    from api.scheduling.notify import StoredNotifier

    state = state_of(ctx)
    mqtt = state.settings.mqtt_settings()
    if mqtt is None:
        raise typer.BadParameter("set mqtt_url to the sensors' broker", param_hint="mqtt_url")
    engine, clock = state.db(), SystemClock()
    out.print(f"cold chain: {escape(temperature_topic(mqtt.topic_prefix))} on "
              f"{escape(mqtt.host)}:{mqtt.port}")  # fmt: skip

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        notifier = StoredNotifier(engine, clock=clock)
        async with PayloadSensorListener(mqtt, engine, clock=clock, notifier=notifier) as ear:
            await stop.wait()
            out.print(f"cold chain: {ear.stats()}")

    asyncio.run(main())
