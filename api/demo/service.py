"""The demo's last part: the city service over HTTP, end to end on the embedded default.

A farmer asks the API for spraying, an operator approves, the scheduler books the
vehicle around the recorded weather and dispatches at the slot, a simulated copter flies
it, the farmer is told, and the city currency (the sandbox) is charged once. Everything
runs in this process on loopback ports; time is simulated (the schedule's clock starts at
04:00 on a calm June morning of the sample weather and jumps to the slot).
"""

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import httpx
from rich.console import Console
from rich.markup import escape
from sqlalchemy import Engine

from api import fleet_store
from api.accounts import Role, issue_token, link_identity
from api.app import create_app
from api.config import Settings
from api.currency import PlatformConfig, SandboxClient
from api.currency.sandbox import SandboxConfig
from api.currency.sandbox import create_app as create_sandbox
from api.scheduling import JST
from api.serving import serving
from core.clock import FakeClock
from fleet import VehicleRecord
from fleet.registry import Sprayer, SprayerKind
from sim import Airframe, SimConfig
from sim.background import BackgroundSim
from sim.cluster import SimCluster

__all__ = ["run_service_demo"]

HOME_LAT, HOME_LON = 34.91876, 134.82589
"""Where the copter waits: a few metres south-west of field B000."""
DAWN = datetime(2026, 6, 2, 4, 0, tzinfo=JST)
SPEEDUP = 60.0
API_KEY = "sk_demo_currency"
PILOT = "加西 太郎"
DEMO_ISSUER = "urn:tanbo:demo"
"""The demo's stand-in for the city identity provider (no login server in the demo)."""


def _vehicle(port: int) -> VehicleRecord:
    return VehicleRecord(
        registration="SIM-SERVICE-1", model="Tanbo SIM 10 L sprayer", system_id=1,
        connection=f"tcp:127.0.0.1:{port}", max_takeoff_weight_kg=24.9, max_payload_kg=10.0,
        tank_l=10.0, pump_max_l_min=16.0, battery_mah=22000, battery_cells=12,
        sprayer=Sprayer(kind=SprayerKind.ARDUPILOT_SPRAYER),
    )  # fmt: skip


@contextmanager
def _running(engine: Engine, settings: Settings) -> Iterator[tuple[str, str, FakeClock]]:
    """The sandbox platform, a simulated copter and the API with its scheduler."""
    sandbox_app = create_sandbox(
        SandboxConfig(data_dir=settings.data_dir / "currency-sandbox", api_key=API_KEY)
    )
    sim_config = SimConfig(
        port=0, home_lat_deg=HOME_LAT, home_lon_deg=HOME_LON, speedup=SPEEDUP,
        ground_crew_s=20.0, airframe=Airframe(pump_max_l_min=16.0),
    )  # fmt: skip
    with serving(sandbox_app) as sandbox_url, BackgroundSim(SimCluster(1, sim_config)) as sim:
        vehicle = _vehicle(sim.cluster.ports[0])
        if any(v.registration == vehicle.registration for v in fleet_store.list_vehicles(engine)):
            fleet_store.update_vehicle(
                engine, vehicle.registration, {"connection": vehicle.connection}
            )
        else:
            fleet_store.add_vehicle(engine, vehicle)
        clock = FakeClock(DAWN)
        api_settings = settings.model_copy(
            update={
                "currency_url": sandbox_url,
                "currency_api_key": API_KEY,
                "scheduler_tick_s": 0.3,
                "pilot_name": PILOT,
            }
        )
        app = create_app(api_settings, engine=engine, clock=clock, background=True)
        with serving(app) as api_url:
            yield api_url, sandbox_url, clock


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _until(check: Callable[[], Any], within_s: float, what: str) -> Any:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.2)
    raise RuntimeError(f"the demo waited {within_s:g} s for {what}")


def run_service_demo(engine: Engine, settings: Settings, out: Console) -> None:
    """Request, approve, schedule, fly and bill a spray mission through the HTTP API."""
    out.rule("The city service: a farmer's request over HTTP, scheduled, flown and billed")
    # As the city identity would link them: the same people on every run of the demo.
    farmer = link_identity(
        engine, issuer=DEMO_ISSUER, subject="tanaka", display_name="田中 稔",
        verified_name="田中 稔", first_roles=[Role.FARMER],
    )  # fmt: skip
    operator = link_identity(
        engine, issuer=DEMO_ISSUER, subject="ja-crew", display_name="JA 防除班",
        first_roles=[Role.OPERATOR],
    )  # fmt: skip
    with _running(engine, settings) as (api_url, sandbox_url, clock):
        farmer_token = issue_token(engine, farmer.id, clock=clock).access_token
        crew_token = issue_token(engine, operator.id, clock=clock).access_token
        wallets = SandboxClient(PlatformConfig(base_url=sandbox_url, api_key=API_KEY))
        wallets.set_wallet(farmer.id, balance_yen=50_000)
        with (
            httpx.Client(base_url=api_url, timeout=30, headers=_bearer(farmer_token)) as f,
            httpx.Client(base_url=api_url, timeout=30, headers=_bearer(crew_token)) as crew,
        ):
            _story(out, f, crew, clock)
            balance = wallets.wallet(farmer.id).balance_yen
        wallets.close()
    out.print(f"  ねっぴ〜Pay (sandbox) wallet of {escape(farmer.display_name)}: ¥{balance:,} left")


def _story(out: Console, farmer: httpx.Client, crew: httpx.Client, clock: FakeClock) -> None:
    owned = farmer.post(
        "/fields",
        json={
            "type": "FeatureCollection",
            "features": [_feature_of(crew, "B000", "tanaka-B000")],
        },
    ).json()
    field_id = (owned["created"] + owned["updated"])[0]
    body = {
        "field_ids": [field_id], "first_day": "2026-06-02", "last_day": "2026-06-02",
        "spray": {"swath_m": 5, "rate_l_ha": 10, "tank_l": 2, "endurance_min": 12,
                  "home": {"lat": HOME_LAT, "lon": HOME_LON}},
    }  # fmt: skip
    created = farmer.post("/missions", json=body)
    created.raise_for_status()
    mission = created.json()
    path = created.headers["Location"]
    out.print(
        f"  farmer   POST /missions → {mission['status']}: field {field_id}, "
        f"{mission['area_ha']:.2f} ha, {mission['sorties']} sorties, "
        f"{mission['volume_l']:.1f} L, some time on 2 June"
    )
    approved = crew.post(f"{path}/approve", headers={"If-Match": created.headers["ETag"]})
    approved.raise_for_status()
    out.print(f"  operator POST {path}/approve (If-Match) → {approved.json()['status']}")
    booked = _until(
        lambda: (m := farmer.get(path).json())["status"] == "scheduled" and m, 30, "a booking"
    )
    slot = datetime.fromisoformat(booked["slot_start"]).astimezone(JST)
    out.print(
        f"  scheduler: booked {booked['vehicle']} at {slot:%m-%d %H:%M} JST "
        "(calm in the recorded weather, within working hours)"
    )
    clock.advance((slot - clock.now()).total_seconds() + 1)
    seen: list[str] = []
    done = _until(lambda: _progress(farmer, path, seen), 180, "the flight to end")
    out.print(f"  mission {done['id']}: {' → '.join(seen)}")
    notices = farmer.get("/notifications", params={"limit": 20}).json()["data"]
    for notice in reversed([n for n in notices if n["mission_id"] == done["id"]]):
        out.print(f"  通知: {escape(notice['text_ja'])}")
    reference = f"mission:{done['id']}"

    def settled() -> list[dict[str, Any]]:
        # The charge is recorded pending, then settled by the platform: wait for the answer.
        entries = [
            e for e in farmer.get("/billing/entries").json()["data"] if e["reference"] == reference
        ]
        return entries if entries and all(e["status"] != "pending" for e in entries) else []

    bills = _until(settled, 30, "the charge")
    for entry in bills:
        out.print(
            f"  billed: ¥{entry['amount_yen']:,} {entry['status']} ({escape(entry['description'])})"
        )
    logs = crew.get("/flight-logs", params={"limit": 500}).json()
    mine = [log for log in logs["data"] if log["pilot"] == PILOT]
    out.print(f"  飛行日誌: {len(mine)} flight logs by {PILOT} ({logs['count']} in all)")


def _progress(farmer: httpx.Client, path: str, seen: list[str]) -> Any:
    mission = farmer.get(path).json()
    if not seen or seen[-1] != mission["status"]:
        seen.append(mission["status"])
    return mission if mission["status"] in {"completed", "failed", "aborted"} else None


def _feature_of(crew: httpx.Client, field_id: str, new_id: str) -> dict[str, Any]:
    """The shape of a sample field, as the farmer's own field with its own id."""
    field = crew.get(f"/fields/{field_id}").json()
    return {"type": "Feature", "properties": {"id": new_id, "name": "北条町 2-14",
            "crop": "rice"}, "geometry": field["geometry"]}  # fmt: skip
