"""The whole API story on real parts: a farmer asks over HTTP, an operator approves, the
scheduler (APScheduler, leader lock) books around the recorded weather and dispatches at
the slot, a simulated copter flies it, telemetry completes the mission, the farmer is
told, and the city currency sandbox is charged exactly once."""

import json
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed, ConnectionClosedOK
from websockets.sync.client import ClientConnection
from websockets.sync.client import connect as ws_connect

from api import fleet_store
from api.accounts import Role
from api.app import create_app
from api.config import load_settings
from api.db import connect, migrate
from api.scheduling import JST
from api.serving import serving
from core.clock import FakeClock
from sim import Airframe, SimConfig
from sim.background import BackgroundSim
from sim.cluster import SimCluster
from tests.api.conftest import Api, until
from tests.api.test_fleet_dispatch import CREW_S, HOME, sim_vehicle
from tests.currency.conftest import Sandbox, run_sandbox

DAWN = datetime(2026, 6, 2, 4, 0, tzinfo=JST)
"""Two hours before work may start on a calm day of the sample weather."""


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    (tmp_path / "sandbox").mkdir()
    with run_sandbox(tmp_path / "sandbox") as running:
        yield running


@pytest.fixture
def running(tmp_path: Path, sandbox: Sandbox, sqlite_url: str) -> Iterator[Api]:
    config = SimConfig(
        port=0, home_lat_deg=HOME.lat_deg, home_lon_deg=HOME.lon_deg, speedup=60.0,
        ground_crew_s=CREW_S, airframe=Airframe(pump_max_l_min=16.0),
    )  # fmt: skip
    engine = connect(sqlite_url)
    migrate(engine)
    clock = FakeClock(DAWN)
    settings = load_settings(
        data_dir=tmp_path / "data",
        database_url=sqlite_url,
        scheduler_tick_s=0.3,
        pilot_name="加西 太郎",
        currency_url=sandbox.url,
        currency_api_key=sandbox.config().api_key,
        spraying_yen_per_ha=20_000,
    )
    app = create_app(settings, engine=engine, clock=clock, migrate_schema=False, background=True)
    with BackgroundSim(SimCluster(1, config)) as sim, serving(app) as base_url:
        api = Api(base_url=base_url, engine=engine, clock=clock, services=app.state.services)
        fleet_store.add_vehicle(engine, sim_vehicle(f"tcp:127.0.0.1:{sim.cluster.ports[0]}"))
        yield api
        for client in api.clients:
            client.close()
    engine.dispose()


def _frames(socket: ClientConnection, *, within_s: float) -> Iterator[str]:
    """Every text frame until the server closes the stream (the mission ended)."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            frame = socket.recv(timeout=deadline - time.monotonic())
        except ConnectionClosedOK:
            return
        yield str(frame)
    raise AssertionError(f"the live stream did not end within {within_s} s")


def test_live_stream_refuses_strangers(running: Api, sample_data: Path) -> None:
    api = running
    _, farmer = api.person(Role.FARMER)
    _, stranger = api.person(Role.FARMER)
    with (sample_data / "kasai_benchmark_fields.geojson").open("rb") as handle:
        farmer.post("/fields/import", files={"file": ("f.geojson", handle)})
    body = {"field_ids": ["B000"], "first_day": "2026-06-02", "last_day": "2026-06-02",
            "spray": {"swath_m": 5}}  # fmt: skip
    path = farmer.post("/missions", json=body).headers["Location"]
    base = api.base_url.replace("http", "ws") + f"{path}/live"
    for query, code in (("", 4401), ("?access_token=nope", 4401)):
        with ws_connect(base + query) as socket, pytest.raises(ConnectionClosed) as closed:
            socket.recv(timeout=10)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == code
    token = stranger.headers["Authorization"].split()[1]
    with (
        ws_connect(f"{base}?access_token={token}") as socket,
        pytest.raises(ConnectionClosed) as closed,
    ):
        socket.recv(timeout=10)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4404


def test_request_to_paid_flight(running: Api, sandbox: Sandbox, sample_data: Path) -> None:
    api = running
    farmer_id, farmer = api.person(Role.FARMER, name="田中 稔")
    _, operator = api.person(Role.OPERATOR)
    sandbox.client.set_wallet(farmer_id, balance_yen=50_000)
    with (sample_data / "kasai_benchmark_fields.geojson").open("rb") as handle:
        assert farmer.post("/fields/import", files={"file": ("f.geojson", handle)}).is_success
    created = farmer.post(
        "/missions",
        json={
            "field_ids": ["B000"],
            "first_day": "2026-06-02",
            "last_day": "2026-06-02",
            "spray": {
                "swath_m": 5, "rate_l_ha": 10, "tank_l": 2, "endurance_min": 12,
                "home": {"lat": HOME.lat_deg, "lon": HOME.lon_deg},
            },
        },
    )  # fmt: skip
    assert created.status_code == 201, created.text
    path = created.headers["Location"]
    operator.post(f"{path}/approve", headers={"If-Match": created.headers["ETag"]})
    booked = until(
        lambda: (m := farmer.get(path).json())["status"] == "scheduled" and m,
        15,
        "the scheduler books the mission",
    )
    assert datetime.fromisoformat(booked["slot_start"]).astimezone(JST).hour == 6
    # Time passes to the slot: the next tick dispatches and the copter flies.
    api.clock.advance(
        (datetime.fromisoformat(booked["slot_start"]) - api.clock.now()).total_seconds() + 1
    )
    token = farmer.headers["Authorization"].split()[1]
    ws_url = api.base_url.replace("http", "ws") + f"{path}/live?access_token={token}"
    with ws_connect(ws_url, open_timeout=10) as socket:
        messages = [json.loads(m) for m in _frames(socket, within_s=120)]
    statuses = [m["mission"]["status"] for m in messages]
    assert statuses[-1] in {"completed", "failed"}
    flying = [m["vehicle"] for m in messages if m["vehicle"] and m["vehicle"]["armed"]]
    assert flying, "live telemetry while it flew"
    assert {v["registration"] for v in flying} == {sim_vehicle("tcp:x:1").registration}
    assert all(v["lat_deg"] and v["battery_pct"] for v in flying)
    assert max(v["alt_rel_m"] for v in flying) > 2.0
    done = farmer.get(path).json()
    assert done["status"] == "completed", done["reason"]
    history = [h["to_status"] for h in farmer.get(f"{path}/history").json()]
    assert history == ["requested", "approved", "scheduled", "dispatched", "flying", "completed"]
    # The farmer's notice comes once the charge is made (the billing notifier charges first).
    until(
        lambda: "completed" in [n["kind"] for n in farmer.get("/notifications").json()["data"]],
        15, "the farmer told of the completed mission",
    )  # fmt: skip
    logs = operator.get("/flight-logs").json()
    assert logs["count"] >= 1
    assert all(log["pilot"] == "加西 太郎" for log in logs["data"])
    bills = until(
        lambda: (page := farmer.get("/billing/entries").json())["count"] and page,
        10,
        "the farmer is charged",
    )
    (charge,) = bills["data"]
    assert charge["status"] == "succeeded"
    assert charge["reference"] == f"mission:{done['id']}"
    assert charge["amount_yen"] == round(20_000 * round(done["area_ha"], 2))  # billed to 0.01 ha
    assert sandbox.client.wallet(farmer_id).balance_yen == 50_000 - charge["amount_yen"]
