"""The delivery demo: a pharmacy's three requests, dispatched to two simulated drones,
flown at speed-up, released by winch, confirmed by the residents and paid for.

Everything but the simulators and the currency sandbox is what runs in service: the
delivery service, OR-tools dispatch, the planner's delivery routes, the fleet's upload,
checks and flight, the lifecycle following the vehicle's reports, the one-time codes,
the fee through the ledger and the flight logs. Time is simulated: the service's clock
and the simulators both run :data:`SPEEDUP` times faster than the machine's, from 09:00
on a June morning in Kasai.
"""

import threading
import time
from contextlib import ExitStack
from datetime import datetime, timedelta

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy import Engine

from api.accounts import Role, link_identity
from api.config import Settings
from api.currency import Ledger, PlatformClient, PlatformConfig, SandboxClient
from api.currency.sandbox import SandboxConfig
from api.currency.sandbox import create_app as create_sandbox
from api.demo.delivery_world import CITY_HALL, build_world
from api.logistics import store
from api.logistics.records import StoredDelivery
from api.logistics.runner import DeliveryRunner, VehicleLink
from api.logistics.service import DeliveryService
from api.scheduling import JST
from api.scheduling.notify import RecordingNotifier
from api.serving import serving
from core.clock import ScaledClock
from fleet.link import Link
from logistics.lifecycle import TERMINAL, DeliveryState
from logistics.model import DeliveryRequest, Item, Recipient, TemperatureClass, TimeWindow
from sim import Airframe, SimConfig
from sim.background import BackgroundSim
from sim.cluster import SimCluster

__all__ = ["SPEEDUP", "run_delivery_demo"]

SPEEDUP = 60.0
MORNING = datetime(2026, 6, 2, 9, 0, tzinfo=JST)
DEMO_ISSUER = "urn:tanbo:demo"
API_KEY = "sk_demo_currency"
CONFIRM_AFTER_S = 90.0
"""Simulated seconds a resident takes to walk out, pick the parcel up and confirm."""
S = DeliveryState
DELIVERY_AIRFRAME = Airframe(empty_kg=9.0, tank_capacity_l=0.1, hover_a=26.0, hover_ref_kg=9.0)
"""The simulated drones as dispatch sees them (``delivery_world.VEHICLES``): 9 kg with the
battery and 26 A hovering empty, so the 22 Ah 12S pack reaches its low-voltage failsafe
(BATT_LOW_VOLT 44.4 V) after about 33 minutes: the 32 dispatch counts on."""


def _morning(engine: Engine) -> datetime:
    """09:00 of the demo's day: the day after the last run's, so runs do not overlap."""
    rows, _ = store.list_deliveries(engine, limit=1)
    if not rows or rows[0].created_at is None:
        return MORNING
    last = rows[0].created_at.astimezone(JST).date() + timedelta(days=1)
    return max(MORNING, datetime(last.year, last.month, last.day, 9, 0, tzinfo=JST))


def run_delivery_demo(engine: Engine, settings: Settings, out: Console) -> None:
    """Run the story and print each delivery's timeline."""
    out.rule("Drone delivery: a pharmacy's requests, dispatched, flown, confirmed and paid")
    pharmacy = link_identity(
        engine,
        issuer=DEMO_ISSUER,
        subject="kasai-pharmacy",
        display_name="かさい薬局",
        first_roles=[Role.PHARMACY],
    )
    residents = [
        link_identity(
            engine, issuer=DEMO_ISSUER, subject=f"resident-{n}", display_name=name, first_roles=[]
        )
        for n, name in enumerate(("山本 花子", "小林 健一", "中村 美代子"), start=1)
    ]
    sandbox = create_sandbox(
        SandboxConfig(data_dir=settings.data_dir / "currency-sandbox", api_key=API_KEY)
    )
    sim_config = SimConfig(port=0, home_lat_deg=CITY_HALL.lat_deg,
                           home_lon_deg=CITY_HALL.lon_deg, speedup=SPEEDUP, ground_crew_s=120.0,
                           airframe=DELIVERY_AIRFRAME, tank_l=0.0, payload_kg=0.5)  # fmt: skip
    with ExitStack() as stack:
        url = stack.enter_context(serving(sandbox))
        sim = stack.enter_context(BackgroundSim(SimCluster(2, sim_config)))
        config = PlatformConfig(base_url=url, api_key=API_KEY)
        wallets = stack.enter_context(SandboxClient(config))
        ledger = Ledger(engine, stack.enter_context(PlatformClient(config)))
        wallets.set_wallet(pharmacy.id, balance_yen=10_000)
        clock = ScaledClock(_morning(engine), speedup=SPEEDUP)
        notices = RecordingNotifier()
        service = DeliveryService(engine=engine, clock=clock, ledger=ledger, notifier=notices)
        build_world(engine, service, clock=clock, ports=tuple(sim.cluster.ports))
        links = {}
        for number, port in enumerate(sim.cluster.ports, start=1):
            link = stack.enter_context(Link(f"tcp:127.0.0.1:{port}"))
            links[f"SIM-DELIVERY-{number}"] = VehicleLink(
                registration=f"SIM-DELIVERY-{number}", link=link, system_id=number
            )
        ids = _request(out, service, pharmacy.id, [r.id for r in residents], clock.now())
        service.dispatch()
        _show_plan(out, service, ids)
        _fly(out, service, links, notices, ids, settings)
        balance = wallets.wallet(pharmacy.id).balance_yen
    _show_timelines(out, service, ids)
    fees = sum(store.get_delivery(engine, i).fee_yen or 0 for i in ids)
    out.print(
        f"  fees charged ¥{fees:,}; かさい薬局's ねっぴ〜Pay (sandbox) wallet: ¥{balance:,} left"
    )
    told = [n for n in notices.notices if n.kind.startswith("delivery_")]
    out.print(
        f"  {len(told)} notices sent, e.g. [dim]{escape(told[0].text_ja)}[/dim]" if told else ""
    )


def _request(
    out: Console, service: DeliveryService, pharmacy_id: str, residents: list[str], now: datetime
) -> list[str]:
    cool = TemperatureClass.COOL
    wanted = [
        (
            "CLINIC-N",
            (Item(name="インスリン注射", weight_kg=0.4, size_cm=(20, 12, 8), temperature=cool),),
            None,
        ),
        ("CENTRE-W", (Item(name="降圧薬", weight_kg=0.3, size_cm=(15, 10, 5)),), None),
        (
            "GARDEN-E",
            (
                Item(name="湿布", weight_kg=0.5, size_cm=(25, 18, 6)),
                Item(name="解熱剤", weight_kg=0.2, size_cm=(12, 8, 4)),
            ),
            TimeWindow(earliest=now + timedelta(minutes=20), latest=now + timedelta(minutes=70)),
        ),
    ]
    ids = []
    out.print("[bold]かさい薬局 requests three deliveries[/bold]")
    for (drop_id, items, window), resident in zip(wanted, residents, strict=True):
        request = DeliveryRequest(
            id=service.new_id(),
            pharmacy_id=pharmacy_id,
            items=items,
            recipient=Recipient(resident_id=resident),
            drop_point_id=drop_id,
            requested_at=now,
            window=window,
        )
        stored, _ = service.request(request, idempotency_key=f"demo-{now.isoformat()}-{drop_id}")
        ids.append(stored.id)
        when = "as soon as possible"
        if window is not None:
            start, end = window.earliest.astimezone(JST), window.latest.astimezone(JST)
            when = f"between {start:%H:%M} and {end:%H:%M}"
        out.print(
            f"  {escape(drop_id)}: {', '.join(i.name for i in items)} "
            f"({stored.request.weight_kg:g} kg, {stored.request.temperature.value}), "
            f"{when} → {stored.state.value}, "
            f"fee ¥{stored.fee_yen or 0:,} {stored.charge_status}"
        )
    return ids


def _show_plan(out: Console, service: DeliveryService, ids: list[str]) -> None:
    table = Table(title="Dispatch (OR-tools)", show_edge=False, header_style="bold")
    for column in ("drone", "to", "take-off", "drop", "back", "route km", "battery"):
        table.add_column(column, justify="left" if column in ("drone", "to") else "right")
    rows = [store.get_delivery(service.engine, i) for i in ids]
    for d in sorted(
        rows, key=lambda d: (d.trip.vehicle_id, d.trip.takeoff_at) if d.trip else ("", MORNING)
    ):
        if d.trip is None:
            continue
        t = d.trip
        table.add_row(
            t.vehicle_id,
            d.request.drop_point_id,
            f"{t.takeoff_at.astimezone(JST):%H:%M}",
            f"{t.drop_at.astimezone(JST):%H:%M}",
            f"{t.landed_at.astimezone(JST):%H:%M}",
            f"{t.route_m / 1000:.2f}",
            f"{t.energy_used_fraction:.0%}",
        )
    out.print(table)


def _fly(
    out: Console,
    service: DeliveryService,
    links: dict[str, VehicleLink],
    notices: RecordingNotifier,
    ids: list[str],
    settings: Settings,
) -> None:
    out.print(f"[bold]Flying[/bold] on two simulated drones at {SPEEDUP:g}× real time …")
    codes = {}
    for notice in notices.notices:
        if notice.kind == "delivery_scheduled":
            codes[notice.recipient] = notice.text_en.rsplit("code is ", 1)[-1].rstrip(".")

    shown: set[tuple[str, DeliveryState]] = set()
    lines = {S.IN_FLIGHT: "took off", S.ARRIVED: "over the drop point",
             S.RELEASED: "parcel down by winch", S.VEHICLE_RETURNED: "drone back"}  # fmt: skip

    def said(d: StoredDelivery) -> None:
        if d.state in lines and (d.id, d.state) not in shown:
            shown.add((d.id, d.state))
            at = d.lifecycle.events[-1].at.astimezone(JST)
            out.print(f"  {at:%H:%M:%S} {escape(d.request.drop_point_id)}: {lines[d.state]}")

    runner = DeliveryRunner(
        service=service,
        links=links,
        pilot="加西 太郎 (demo pilot)",
        csv_path=settings.data_dir / "flight-logs.csv",
        on_change=said,
    )
    stop = threading.Event()
    threads = [
        threading.Thread(target=runner.fly_vehicle, args=(v, stop), daemon=True) for v in links
    ]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 600.0
    while time.monotonic() < deadline:
        states = {i: store.get_delivery(service.engine, i) for i in ids}
        for d in states.values():
            overdue = (
                d.released_at is not None
                and (service.clock.now() - d.released_at).total_seconds() >= CONFIRM_AFTER_S
            )
            if d.state is S.RELEASED and overdue:
                resident = d.request.recipient.resident_id or ""
                service.confirm(d.id, code=codes.get(resident, ""))
        if all(d.state in TERMINAL for d in states.values()):
            break
        time.sleep(0.1)
    stop.set()
    for t in threads:
        t.join(timeout=60)


def _show_timelines(out: Console, service: DeliveryService, ids: list[str]) -> None:
    for delivery_id in ids:
        d = store.get_delivery(service.engine, delivery_id)
        out.print(f"[bold]{escape(d.request.drop_point_id)}[/bold] ({d.id[:8]}): {d.state.value}")
        for e in d.lifecycle.events:
            note = f" — {e.note}" if e.note else ""
            out.print(
                f"  {e.at.astimezone(JST):%H:%M:%S}  {e.to_state.value:<17} "
                f"{escape(e.by)}{escape(note)}"
            )
