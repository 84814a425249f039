"""Deliveries flown on simulated drones over real MAVLink sockets: the whole way from the
request to the fee, a vehicle fault that brings the parcel back and re-dispatches it, and
a recall that returns it to the pharmacy."""

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import timedelta

import pytest

from api import fleet_store
from api.accounts import create_account
from api.currency import Ledger, PlatformClient
from api.db import connect, migrate
from api.demo.deliveries import DELIVERY_AIRFRAME
from api.demo.delivery_world import CITY_HALL, build_world
from api.logistics import store
from api.logistics.records import StoredDelivery
from api.logistics.runner import DeliveryRunner, VehicleLink
from api.logistics.service import DeliveryService
from api.scheduling.notify import RecordingNotifier
from api.scheduling.weather import RecordedWeather, WeatherHour
from core.clock import ScaledClock
from fleet.link import Link
from logistics import DeliveryRequest, DeliveryState, Item, Recipient
from sim import SimConfig
from sim.background import BackgroundSim
from sim.cluster import SimCluster
from tests.api.logistics.conftest import START
from tests.currency.conftest import Sandbox, platform, sandbox  # noqa: F401 (fixtures)

S = DeliveryState
SPEEDUP = 60.0


@dataclass
class Flying:
    service: DeliveryService
    runner: DeliveryRunner
    sim: BackgroundSim
    notices: RecordingNotifier
    sandbox: Sandbox
    pharmacy: str
    resident: str
    stop: threading.Event

    def request(self, drop: str) -> StoredDelivery:
        request = DeliveryRequest(
            id=self.service.new_id(), pharmacy_id=self.pharmacy,
            items=(Item(name="薬", weight_kg=0.4, size_cm=(20, 15, 8)),),
            recipient=Recipient(resident_id=self.resident), drop_point_id=drop,
            requested_at=self.service.clock.now(),
        )  # fmt: skip
        return self.service.request(request, idempotency_key=None)[0]

    def fly(self) -> list[threading.Thread]:
        threads = [
            threading.Thread(target=self.runner.fly_vehicle, args=(v, self.stop), daemon=True)
            for v in ("SIM-DELIVERY-1", "SIM-DELIVERY-2")
        ]
        for t in threads:
            t.start()
        return threads

    def until(self, delivery_id: str, done: Callable[[StoredDelivery], bool]) -> StoredDelivery:
        deadline = time.monotonic() + 180.0
        while time.monotonic() < deadline:
            d = store.get_delivery(self.service.engine, delivery_id)
            if done(d):
                return d
            time.sleep(0.05)
        pytest.fail(f"delivery {delivery_id} stuck at {d.state.value}: {d.lifecycle.events}")

    def code(self) -> str:
        booked = [n for n in self.notices.notices if n.kind == "delivery_scheduled"]
        return booked[-1].text_en.rsplit("code is ", 1)[-1].rstrip(".")


@pytest.fixture
def flying(sqlite_url: str, platform: Sandbox) -> Iterator[Flying]:  # noqa: F811
    engine = connect(sqlite_url)
    migrate(engine)
    clock = ScaledClock(START, speedup=SPEEDUP)
    config = SimConfig(port=0, home_lat_deg=CITY_HALL.lat_deg, home_lon_deg=CITY_HALL.lon_deg,
                       speedup=SPEEDUP, ground_crew_s=60.0, airframe=DELIVERY_AIRFRAME,
                       tank_l=0.0)  # fmt: skip
    stop = threading.Event()
    with ExitStack() as stack:
        sim = stack.enter_context(BackgroundSim(SimCluster(2, config)))
        client = stack.enter_context(PlatformClient(platform.config()))
        notices = RecordingNotifier()
        service = DeliveryService(engine=engine, clock=clock, ledger=Ledger(engine, client),
                                  notifier=notices)  # fmt: skip
        build_world(engine, service, clock=clock, ports=tuple(sim.cluster.ports))
        links = {
            f"SIM-DELIVERY-{n}": VehicleLink(
                registration=f"SIM-DELIVERY-{n}", system_id=n,
                link=stack.enter_context(Link(f"tcp:127.0.0.1:{port}")),
            )
            for n, port in enumerate(sim.cluster.ports, start=1)
        }  # fmt: skip
        stack.callback(stop.set)
        yield Flying(
            service=service, runner=DeliveryRunner(service=service, links=links,
                                                   pilot="test pilot"),
            sim=sim, notices=notices, sandbox=platform,
            pharmacy=platform.funded_account(20_000),
            resident=create_account(engine, display_name="山本 花子", roles=[]).id, stop=stop,
        )  # fmt: skip
    engine.dispose()


def test_request_dispatch_flight_release_confirm_and_charge(flying: Flying) -> None:
    delivery = flying.request("GARDEN-E")
    flying.service.dispatch()
    flying.fly()
    released = flying.until(delivery.id, lambda d: d.state is S.RELEASED)
    assert released.release_at is not None
    assert released.release_at.distance_m(released_drop(flying, delivery)) < 10.0
    flying.service.confirm(delivery.id, code=flying.code())
    done = flying.until(delivery.id, lambda d: d.state is S.VEHICLE_RETURNED)
    states = [e.to_state for e in done.lifecycle.events]
    assert states == [S.REQUESTED, S.ACCEPTED, S.SCHEDULED, S.LOADING, S.IN_FLIGHT, S.ARRIVED,
                      S.RELEASED, S.CONFIRMED, S.VEHICLE_RETURNED]  # fmt: skip
    vehicle = done.trip.vehicle_id if done.trip else ""
    assert all(e.by == f"vehicle:{vehicle}" for e in done.lifecycle.events[4:7])
    assert done.charge_status == "succeeded"
    assert done.fee_yen is not None
    assert flying.sandbox.client.wallet(flying.pharmacy).balance_yen == 20_000 - done.fee_yen
    logs = fleet_store.list_flight_logs(flying.service.engine)
    assert [(log.registration, log.purpose.value) for log in logs] == [(vehicle, "transport")]
    told = [n.kind for n in flying.notices.notices]
    for kind in ("scheduled", "departed", "near", "released", "confirmed"):
        assert f"delivery_{kind}" in told


def released_drop(flying: Flying, delivery: StoredDelivery):  # type: ignore[no-untyped-def]
    return store.get_drop_point(flying.service.engine, delivery.request.drop_point_id).drop.location


def test_a_vehicle_fault_brings_the_parcel_back_and_it_is_flown_again(flying: Flying) -> None:
    delivery = flying.request("CENTRE-W")
    flying.service.dispatch()
    first = store.get_delivery(flying.service.engine, delivery.id).trip
    assert first is not None
    flying.fly()
    flying.until(delivery.id, lambda d: d.state is S.IN_FLIGHT)
    time.sleep(1.0)  # a minute of simulated flight, then the battery gives out
    number = int(first.vehicle_id.rsplit("-", 1)[1])
    sick = flying.sim.cluster.vehicles[number - 1]
    flying.sim.call(lambda: sick.inject("battery:15"))
    released = flying.until(delivery.id, lambda d: d.state is S.RELEASED)
    states = [e.to_state for e in released.lifecycle.events]
    # Back at the depot with the parcel, then dispatched and flown again (the fleet's
    # battery swap makes either drone fit to go).
    assert states[4:] == [S.IN_FLIGHT, S.ACCEPTED, S.SCHEDULED, S.LOADING, S.IN_FLIGHT,
                          S.ARRIVED, S.RELEASED]  # fmt: skip
    assert "vehicle fault" in released.lifecycle.events[5].note
    assert "Battery Failsafe" in released.lifecycle.events[5].note
    flying.service.confirm(delivery.id, resident_id=flying.resident)
    done = flying.until(delivery.id, lambda d: d.state is S.VEHICLE_RETURNED)
    assert [e.to_state for e in done.lifecycle.events].count(S.IN_FLIGHT) == 2
    assert done.charge_status == "succeeded"  # charged once, for the delivery that arrived


def test_a_recalled_delivery_returns_to_the_pharmacy_and_is_refunded(flying: Flying) -> None:
    delivery = flying.request("CENTRE-W")
    flying.service.dispatch()
    flying.fly()
    flying.until(delivery.id, lambda d: d.state is S.IN_FLIGHT)
    deadline = time.monotonic() + 10.0
    while not flying.runner.recall(delivery.id):  # the flight registers as it takes off
        assert time.monotonic() < deadline
        time.sleep(0.02)
    # The refund follows the state change (the ledger is asked once the step is stored).
    done = flying.until(delivery.id, lambda d: d.charge_status == "refunded")
    assert done.state is S.RETURNED_TO_PHARMACY
    assert flying.sandbox.client.wallet(flying.pharmacy).balance_yen == 20_000
    assert "delivery_returned" in [n.kind for n in flying.notices.notices]


def test_a_weather_hold_keeps_the_drone_on_the_ground_until_it_is_over(flying: Flying) -> None:
    windy = [
        WeatherHour(start=START - timedelta(minutes=55), wind_m_s=14.0, gust_m_s=18.0,
                    precipitation_mm=0.0),
        *(WeatherHour(start=START + timedelta(minutes=5 + 60 * h), wind_m_s=3.0, gust_m_s=5.0,
                      precipitation_mm=0.0) for h in range(13)),
    ]  # fmt: skip
    flying.service.weather = RecordedWeather(windy, station="test")
    delivery = flying.request("GARDEN-E")
    flying.service.dispatch()
    trip = store.get_delivery(flying.service.engine, delivery.id).trip
    assert trip is not None
    assert trip.takeoff_at >= START + timedelta(minutes=5)  # not in the 14 m/s hour
    flying.fly()
    flown = flying.until(delivery.id, lambda d: d.state is S.IN_FLIGHT)
    took_off = flown.lifecycle.entered(S.IN_FLIGHT)
    assert took_off is not None
    assert took_off >= START + timedelta(minutes=5)
    flying.until(delivery.id, lambda d: d.state is S.RELEASED)
