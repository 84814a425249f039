"""The fleet on the operators' map: ``tanbo serve`` keeps every registered vehicle linked
(the fleet watch) and tells where each is, over HTTP and a WebSocket; the links are the
ones the flights use (a vehicle takes one connection). Real simulators over MAVLink/TCP."""

import json
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect as ws_connect

from api import fleet_store
from api.accounts import Role
from api.app import create_app
from api.config import load_settings
from api.db import connect, migrate
from api.link_pool import LinkPool
from api.serving import serving
from core.clock import FakeClock
from fleet.errors import LinkError
from sim import SimConfig
from sim.background import BackgroundSim
from sim.cluster import SimCluster
from tests.api.conftest import Api, until
from tests.api.test_end_to_end import DAWN
from tests.api.test_fleet_dispatch import HOME, free_port, sim_vehicle


@pytest.fixture
def sims() -> Iterator[BackgroundSim]:
    config = SimConfig(port=0, home_lat_deg=HOME.lat_deg, home_lon_deg=HOME.lon_deg)
    with BackgroundSim(SimCluster(2, config)) as sim:
        yield sim


@pytest.fixture
def served(tmp_path: Path, sqlite_url: str, sims: BackgroundSim) -> Iterator[Api]:
    engine = connect(sqlite_url)
    migrate(engine)
    clock = FakeClock(DAWN)
    settings = load_settings(data_dir=tmp_path / "data", database_url=sqlite_url,
                             scheduler_tick_s=0.3)  # fmt: skip
    for n, port in enumerate(sims.cluster.ports, start=1):
        vehicle = sim_vehicle(f"tcp:127.0.0.1:{port}", registration=f"SIM-WATCH-{n}")
        fleet_store.add_vehicle(engine, replace(vehicle, system_id=n))
    fleet_store.add_vehicle(
        engine, sim_vehicle(f"tcp:127.0.0.1:{free_port()}", registration="SIM-AWAY")
    )
    shelf = sim_vehicle("tcp:127.0.0.1:1", registration="SIM-SHELF")
    fleet_store.add_vehicle(engine, replace(shelf, connection=None))
    app = create_app(settings, engine=engine, clock=clock, migrate_schema=False, background=True)
    with serving(app) as base_url:
        api = Api(base_url=base_url, engine=engine, clock=clock, services=app.state.services)
        yield api
        for client in api.clients:
            client.close()
    engine.dispose()


def _by_registration(status: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {v["registration"]: v for v in status["vehicles"]}


def test_the_crew_sees_every_vehicle_it_can_reach_where_it_is(served: Api) -> None:
    _, operator = served.person(Role.OPERATOR)

    def both_heard() -> dict[str, dict[str, Any]] | None:
        answer = operator.get("/fleet/status")
        assert answer.status_code == 200, answer.text
        seen = _by_registration(answer.json())
        ok = all(seen[f"SIM-WATCH-{n}"]["lat_deg"] is not None for n in (1, 2))
        return seen if ok else None

    seen = until(both_heard, 30.0, "both simulators heard on the fleet's status")
    for n in (1, 2):
        v = seen[f"SIM-WATCH-{n}"]
        assert v["linked"], v
        assert v["connected"], v
        assert v["system_id"] == n
        assert v["armed"] is False
        assert v["battery_pct"] is not None
        assert v["battery_pct"] > 90.0
        assert abs(v["lat_deg"] - HOME.lat_deg) < 0.01
        assert abs(v["lon_deg"] - HOME.lon_deg) < 0.01
        assert v["mission_id"] is None
        assert v["delivery_id"] is None
    assert seen["SIM-AWAY"]["linked"] is False
    assert "not reachable" in seen["SIM-AWAY"]["why"]
    assert seen["SIM-SHELF"]["why"] == "the register gives it no connection"
    # Retired vehicles leave the map (and their links are let go).
    fleet_store.retire_vehicle(served.engine, "SIM-WATCH-2", clock=served.clock)
    until(
        lambda: "SIM-WATCH-2" not in _by_registration(operator.get("/fleet/status").json()),
        10.0, "the retired vehicle gone from the map",
    )  # fmt: skip


def test_the_live_stream_is_for_the_crew_and_sends_twice_a_second(served: Api) -> None:
    _, operator = served.person(Role.OPERATOR)
    _, farmer = served.person(Role.FARMER)
    assert farmer.get("/fleet/status").status_code == 403
    base = served.base_url.replace("http", "ws") + "/fleet/live"
    refusals = [("", 4401), ("?access_token=nope", 4401),
                (f"?access_token={farmer.headers['Authorization'].split()[1]}", 4404)]  # fmt: skip
    for query, code in refusals:
        with ws_connect(base + query) as socket, pytest.raises(ConnectionClosed) as closed:
            socket.recv(timeout=10)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == code
    token = operator.headers["Authorization"].split()[1]
    frames: list[dict[str, Any]] = []
    with ws_connect(f"{base}?access_token={token}") as socket:
        started = time.monotonic()
        while time.monotonic() - started < 3.0:
            frames.append(json.loads(socket.recv(timeout=10)))
    assert 4 <= len(frames) <= 8, len(frames)  # 2 Hz over 3 s
    last = _by_registration(frames[-1])
    assert set(last) == {"SIM-WATCH-1", "SIM-WATCH-2", "SIM-AWAY", "SIM-SHELF"}
    assert frames[-1]["watching"] is True


def test_one_link_per_vehicle_is_shared_and_closed_after_its_last_holder(
    sims: BackgroundSim,
) -> None:
    pool = LinkPool()
    url = f"tcp:127.0.0.1:{sims.cluster.ports[0]}"
    first = pool.acquire(url)
    second = pool.acquire(url)  # the vehicle takes one connection: the same link
    assert second is first
    assert pool.held(url) is first
    assert first.wait_for_vehicle(1, timeout_s=10.0) == 1
    pool.release(first)
    assert not first.closed  # the other holder still has it
    pool.release(second)
    assert first.closed
    assert pool.held(url) is None
    third = pool.acquire(url)  # opened anew: the simulator takes the new connection
    assert third is not first
    assert third.wait_for_vehicle(1, timeout_s=10.0) == 1
    pool.discard(third)  # an abort cuts every holder short
    assert third.closed
    assert pool.held(url) is None
    pool.release(third)  # a holder letting go afterwards changes nothing
    pool.close()
    with pytest.raises(LinkError, match="shutting down"):
        pool.acquire(url)
