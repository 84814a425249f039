"""A running service flies its deliveries itself: ``tanbo serve``'s background dispatches
what pharmacies request, links the stationed drones by their register entries, flies them
(simulators over real MAVLink sockets), and plans without a drone it cannot reach."""

import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from api import fleet_store
from api.accounts import Role
from api.app import create_app
from api.config import load_settings
from api.db import connect, migrate
from api.demo.deliveries import DELIVERY_AIRFRAME
from api.demo.delivery_world import CITY_HALL, build_world
from api.logistics import store
from api.logistics.flying import DeliveryFleet, FleetOptions
from api.logistics.records import StoredDelivery
from api.logistics.service import DeliveryService
from api.serving import serving
from core.clock import ScaledClock
from logistics import DeliveryRequest, DeliveryState, Item, Recipient, TemperatureClass
from sim import SimConfig
from sim.background import BackgroundSim
from sim.cluster import SimCluster
from tests.api.conftest import Api, until
from tests.api.logistics.conftest import START
from tests.currency.conftest import API_KEY, Sandbox, platform, sandbox  # noqa: F401 (fixtures)

S = DeliveryState
SPEEDUP = 60.0
SIM = SimConfig(
    port=0, home_lat_deg=CITY_HALL.lat_deg, home_lon_deg=CITY_HALL.lon_deg, speedup=SPEEDUP,
    ground_crew_s=60.0, airframe=DELIVERY_AIRFRAME, tank_l=0.0,
)  # fmt: skip


def _dead_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


@pytest.fixture
def serving_api(tmp_path: Path, sqlite_url: str, platform: Sandbox) -> Iterator[Api]:  # noqa: F811
    engine = connect(sqlite_url)
    migrate(engine)
    clock = ScaledClock(START, speedup=SPEEDUP)
    settings = load_settings(data_dir=tmp_path / "data", database_url=sqlite_url,
                             scheduler_tick_s=0.3, pilot_name="加西 太郎",
                             currency_url=platform.url, currency_api_key=API_KEY)  # fmt: skip
    app = create_app(settings, engine=engine, clock=clock, migrate_schema=False, background=True)
    with BackgroundSim(SimCluster(2, SIM)) as sim, serving(app) as base_url:
        api = Api(base_url=base_url, engine=engine, clock=clock, services=app.state.services)
        service = api.services.extras["deliveries"]
        build_world(engine, service, clock=clock, ports=tuple(sim.cluster.ports))
        yield api
        for client in api.clients:
            client.close()
    engine.dispose()


def test_served_deliveries_are_dispatched_flown_confirmed_or_recalled_by_the_service(
    serving_api: Api,
    platform: Sandbox,  # noqa: F811
) -> None:
    api = serving_api
    pharmacy_id, pharmacy = api.person(Role.PHARMACY, name="かさい薬局")
    resident_id, resident = api.person(Role.FARMER, name="山本 花子")
    platform.client.set_wallet(pharmacy_id, balance_yen=10_000)

    def request(drop: str) -> str:
        body = {
            "items": [{"name": "降圧薬", "weight_kg": 0.3, "size_cm": [15, 10, 5]}],
            "recipient": {"resident_id": resident_id},
            "drop_point_id": drop,
        }
        created = pharmacy.post("/deliveries", json=body)
        assert created.status_code == 201, created.text
        return str(created.headers["Location"])

    def state(path: str) -> str:
        return str(pharmacy.get(path).json()["state"])

    confirmed, recalled = request("CENTRE-W"), request("GARDEN-E")
    # Nobody dispatches: the service plans them within a tick and tells the recipient.
    until(lambda: "accepted" not in {state(confirmed), state(recalled)}, 30, "dispatched")
    notices = resident.get("/notifications").json()["data"]
    codes = {n["reference"]: re.search(r"code is (\d+)", n["text_en"]) for n in notices
             if n["kind"] == "delivery_scheduled"}  # fmt: skip
    code = codes[f"delivery:{confirmed.rsplit('/', 1)[1]}"]
    assert code is not None
    # Nobody is home at the garden: the pharmacy recalls its drone once it is in the air.
    until(lambda: state(recalled) == "in_flight", 150, "the garden's parcel in the air")
    # The pharmacy and the resident follow the drone on the map while it flies.
    seen = until(lambda: (p := pharmacy.get(f"{recalled}/position")).status_code == 200
                 and p.json(), 20, "the drone's position")  # fmt: skip
    trip = pharmacy.get(recalled).json()["trip"]
    assert seen["vehicle"] == trip["vehicle_id"]
    assert 34.8 < seen["lat_deg"] < 35.1
    assert 134.7 < seen["lon_deg"] < 135.0
    assert resident.get(f"{recalled}/position").json()["vehicle"] == trip["vehicle_id"]
    _, stranger = api.person(Role.PHARMACY)
    assert stranger.get(f"{recalled}/position").status_code == 404
    ordered = pharmacy.post(f"{recalled}/recall", json={"reason": "留守でした"})
    assert ordered.status_code == 202, ordered.text
    assert ordered.json()["recall"] == f"recalled by pharmacy:{pharmacy_id}: 留守でした"

    until(lambda: state(confirmed) == "released", 150, "the parcel released at the centre")
    answer = resident.post(f"{confirmed}/confirm", json={"code": code.group(1)})
    assert answer.status_code == 200, answer.text
    until(lambda: state(confirmed) == "vehicle_returned", 120, "the drone back at the depot")
    over = pharmacy.get(f"{confirmed}/position")  # the drone is back: nothing to follow
    assert over.status_code == 404
    assert "no drone carries it" in over.json()["detail"]
    until(lambda: state(recalled) == "returned_to_pharmacy", 120, "the parcel brought back")

    done = pharmacy.get(confirmed).json()
    steps = [(e["to_state"], e["by"]) for e in done["timeline"]]
    vehicle = done["trip"]["vehicle_id"]
    assert [s for s, _ in steps] == [
        "requested", "accepted", "scheduled", "loading", "in_flight", "arrived", "released",
        "confirmed", "vehicle_returned",
    ]  # fmt: skip
    assert ("scheduled", "dispatcher") in steps
    assert ("in_flight", f"vehicle:{vehicle}") in steps
    assert done["charge_status"] == "succeeded"
    back = pharmacy.get(recalled).json()
    assert back["timeline"][-1]["note"].endswith(f"recalled by pharmacy:{pharmacy_id}: 留守でした")
    assert back["released_at"] is None
    assert back["charge_status"] == "refunded"
    assert platform.client.wallet(pharmacy_id).balance_yen == 10_000 - done["fee_yen"]
    logs = fleet_store.list_flight_logs(api.engine)
    assert sorted(log.purpose.value for log in logs) == ["transport", "transport"]
    assert {log.pilot for log in logs} == {"加西 太郎"}
    csv = (api.services.settings.data_dir / "flight-logs.csv").read_text(encoding="utf-8")
    assert vehicle in csv


@pytest.fixture
def fleet_world(sqlite_url: str) -> Iterator[tuple[DeliveryService, BackgroundSim, int]]:
    """The demo's world with SIM-DELIVERY-1 (the insulated drone) on a port nothing
    answers and SIM-DELIVERY-2 on a simulator; the simulator's port."""
    engine = connect(sqlite_url)
    migrate(engine)
    clock = ScaledClock(START, speedup=SPEEDUP)
    service = DeliveryService(engine=engine, clock=clock)
    with BackgroundSim(SimCluster(1, SIM)) as sim:
        live = sim.cluster.ports[0]
        build_world(engine, service, clock=clock, ports=(_dead_port(), live))
        yield service, sim, live
    engine.dispose()


def _cool_parcel(service: DeliveryService, resident: str) -> StoredDelivery:
    request = DeliveryRequest(
        id=service.new_id(), pharmacy_id="pharmacy",
        items=(Item(name="インスリン", weight_kg=0.4, size_cm=(20, 12, 8),
                    temperature=TemperatureClass.COOL),),
        recipient=Recipient(name="加西 花子", phone="0790-42-0000"),
        drop_point_id="CLINIC-N", requested_at=service.clock.now(),
    )  # fmt: skip
    return service.request(request, idempotency_key=None)[0]


def test_an_unreachable_drone_is_planned_without_until_it_answers_again(
    fleet_world: tuple[DeliveryService, BackgroundSim, int],
) -> None:
    service, _, live = fleet_world
    fleet = DeliveryFleet(
        service, pilot="test pilot",
        options=FleetOptions(retry_s=0.2, open_timeout_s=1.0, heartbeat_timeout_s=2.0),
    )  # fmt: skip
    cool = _cool_parcel(service, "resident")  # only the insulated SIM-DELIVERY-1 keeps it cool
    try:
        assert fleet.tick() == []  # dispatched on SIM-DELIVERY-1, which does not answer
        assert "not reachable" in service.grounded["SIM-DELIVERY-1"]
        left = store.get_delivery(service.engine, cool.id)
        assert left.state is S.ACCEPTED
        assert left.trip is None
        assert left.lifecycle.events[-1].by == "dispatcher"  # scheduled, then taken back
        assert left.lifecycle.events[-1].note  # … saying why
        # The drone is repaired and put on the air again (its register entry updated).
        fleet_store.update_vehicle(service.engine, "SIM-DELIVERY-1",
                                   {"connection": f"tcp:127.0.0.1:{live}"})  # fmt: skip
        time.sleep(0.3)
        assert fleet.tick() == ["SIM-DELIVERY-1"]
        assert service.grounded == {}
        again = store.get_delivery(service.engine, cool.id)
        assert again.state in (S.SCHEDULED, S.LOADING)  # its thread may be loading it
        assert again.trip is not None
        assert again.trip.vehicle_id == "SIM-DELIVERY-1"
        assert fleet.flying() == ["SIM-DELIVERY-1"]
    finally:
        fleet.close()
    # Stopped before take-off: nothing is left half-loaded, nothing flew.
    assert store.get_delivery(service.engine, cool.id).state in (S.SCHEDULED, S.ACCEPTED)
    assert fleet.flying() == []
    assert fleet_store.list_flight_logs(service.engine) == []


def test_a_delivery_cancelled_while_loading_does_not_fly(
    fleet_world: tuple[DeliveryService, BackgroundSim, int],
) -> None:
    service, _, live = fleet_world
    fleet_store.update_vehicle(service.engine, "SIM-DELIVERY-1",
                               {"connection": f"tcp:127.0.0.1:{live}"})  # fmt: skip
    fleet = DeliveryFleet(service, pilot="test pilot")
    cool = _cool_parcel(service, "resident")
    try:
        assert fleet.tick() == ["SIM-DELIVERY-1"]
        until(lambda: store.get_delivery(service.engine, cool.id).state is S.LOADING, 60,
               "the parcel loaded")  # fmt: skip
        service.cancel(cool.id, by="pharmacy:pharmacy", reason="the patient came in")
        until(lambda: fleet.flying() == [], 60, "the drone's thread ends without flying")
    finally:
        fleet.close()
    assert store.get_delivery(service.engine, cool.id).state is S.CANCELLED
    assert fleet_store.list_flight_logs(service.engine) == []


def _flying_cool_parcel(service: DeliveryService, live: int) -> tuple[DeliveryFleet, str]:
    """SIM-DELIVERY-1 put on the simulator, a cool parcel booked on it and in the air."""
    fleet_store.update_vehicle(service.engine, "SIM-DELIVERY-1",
                               {"connection": f"tcp:127.0.0.1:{live}"})  # fmt: skip
    fleet = DeliveryFleet(service, pilot="test pilot",
                          options=FleetOptions(close_timeout_s=0.5))  # fmt: skip
    cool = _cool_parcel(service, "resident")
    assert fleet.tick() == ["SIM-DELIVERY-1"]
    until(lambda: store.get_delivery(service.engine, cool.id).state is S.IN_FLIGHT, 120,
          "the parcel in the air")  # fmt: skip
    return fleet, cool.id


def test_a_recall_recorded_by_another_process_turns_the_drone_round(
    fleet_world: tuple[DeliveryService, BackgroundSim, int],
) -> None:
    service, _, live = fleet_world
    fleet, delivery_id = _flying_cool_parcel(service, live)
    try:
        # Another API process: the same database, no flight of its own to turn round.
        elsewhere = DeliveryService(engine=service.engine, clock=service.clock)
        elsewhere.recall(delivery_id, by="operator:o-1", reason="留守")
        back = until(lambda: (d := store.get_delivery(service.engine, delivery_id)).state
                     is S.RETURNED_TO_PHARMACY and d, 120, "the parcel back")  # fmt: skip
    finally:
        fleet.close()
    assert back.release_at is None
    assert back.lifecycle.events[-1].note.endswith("recalled by operator:o-1: 留守")


def test_a_shutdown_with_a_drone_in_the_air_never_fails_its_delivery(
    fleet_world: tuple[DeliveryService, BackgroundSim, int],
) -> None:
    service, _, live = fleet_world
    fleet, delivery_id = _flying_cool_parcel(service, live)
    fleet.close()  # the drone flies home; Tanbo stops watching it after 0.5 s
    after = store.get_delivery(service.engine, delivery_id)
    assert after.state is S.ACCEPTED, after.lifecycle.events[-1]
    assert after.trip is None  # back to dispatch once the service runs again
    assert "stopped watching before the drone landed" in after.lifecycle.events[-1].note
    (log,) = fleet_store.list_flight_logs(service.engine)  # what flew is logged
    assert log.registration == "SIM-DELIVERY-1"
