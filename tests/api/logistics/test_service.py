"""The delivery service end to end on a real database and the currency sandbox: requests,
idempotency, dispatch, the vehicle's reports, confirmation, cancellation, the fee."""

import dataclasses
from datetime import timedelta
from pathlib import Path

import pytest

from api import fleet_store
from api.background import Background
from api.config import load_settings
from api.demo.delivery_world import DROP_POINTS
from api.deps import Services
from api.errors import Conflict, Forbidden
from api.logistics import store
from api.logistics.fees import fee_key
from api.logistics.flights import delivery_flight
from api.logistics.progress import escalate_overdue, on_signal, start_loading
from api.logistics.service import Unserviceable
from api.scheduling.notify import RecordingNotifier
from api.scheduling.weather import RecordedWeather, WeatherHour
from logistics import (
    BadRequest,
    DeliveryRequest,
    DeliveryState,
    IllegalTransition,
    Item,
    Payer,
    Recipient,
    Signal,
    SignalKind,
    TemperatureClass,
    TimeWindow,
)
from tests.api.logistics.conftest import START, World

S = DeliveryState


def _request(world: World, drop: str, *, weight_kg: float = 0.4, rid: str | None = None,
             cool: bool = False) -> DeliveryRequest:  # fmt: skip
    temperature = TemperatureClass.COOL if cool else TemperatureClass.AMBIENT
    return DeliveryRequest(
        id=rid or world.service.new_id(), pharmacy_id=world.pharmacy,
        items=(Item(name="薬", weight_kg=weight_kg, size_cm=(20, 15, 8), temperature=temperature),),
        recipient=Recipient(resident_id=world.residents[drop]), drop_point_id=drop,
        requested_at=world.clock.now(),
    )  # fmt: skip


def _balance(world: World) -> int:
    return world.sandbox.client.wallet(world.pharmacy).balance_yen


def test_a_request_is_accepted_and_charged_once_whatever_the_retries(stored_world: World) -> None:
    world = stored_world
    request = _request(world, "CENTRE-W")
    first, created = world.service.request(request, idempotency_key="rx-1")
    again, created_again = world.service.request(request, idempotency_key="rx-1")
    assert (created, created_again) == (True, False)
    assert again.id == first.id
    assert first.state is S.ACCEPTED
    assert [e.to_state for e in first.lifecycle.events] == [S.REQUESTED, S.ACCEPTED]
    assert first.fee_yen is not None
    assert first.fee_yen > 500  # base + per km
    assert first.charge_status == "succeeded"
    assert _balance(world) == 20_000 - first.fee_yen
    assert world.service.ledger is not None
    assert world.service.ledger.by_key(fee_key(first.id)) is not None


def test_the_same_key_for_another_request_is_a_conflict(stored_world: World) -> None:
    world = stored_world
    world.service.request(_request(world, "CENTRE-W"), idempotency_key="rx-2")
    with pytest.raises(Conflict, match="Idempotency-Key 'rx-2' was used"):
        world.service.request(_request(world, "GARDEN-E"), idempotency_key="rx-2")
    assert len(store.list_deliveries(world.service.engine)[0]) == 1


def test_a_parcel_no_vehicle_can_carry_is_refused_and_nothing_is_stored(world: World) -> None:
    with pytest.raises(Unserviceable, match=r"3 kg, over its 2\.5 kg payload"):
        world.service.request(_request(world, "GARDEN-E", weight_kg=3.0), idempotency_key=None)
    assert store.list_deliveries(world.service.engine)[1] == 0
    assert _balance(world) == 20_000


def test_dispatch_shares_three_deliveries_between_the_two_drones(world: World) -> None:
    ids = [world.service.request(_request(world, d.id, cool=d.id == "CLINIC-N"),
                                 idempotency_key=None)[0].id for d in DROP_POINTS]  # fmt: skip
    done = world.service.dispatch()
    assert set(done.codes) == set(ids)
    assert all(len(c) == 6 and c.isdigit() for c in done.codes.values())
    stored = {i: store.get_delivery(world.service.engine, i) for i in ids}
    assert {d.state for d in stored.values()} == {S.SCHEDULED}
    vehicles = {d.trip.vehicle_id for d in stored.values() if d.trip}
    assert vehicles == {"SIM-DELIVERY-1", "SIM-DELIVERY-2"}
    cool = next(d for d in stored.values() if d.request.drop_point_id == "CLINIC-N")
    assert cool.trip is not None
    assert cool.trip.vehicle_id == "SIM-DELIVERY-1"  # the insulated one
    again = world.service.dispatch()
    assert again.codes == {}  # already scheduled: no new codes
    assert all(store.get_delivery(world.service.engine, i).state is S.SCHEDULED for i in ids)


def _fly_to_release(world: World, delivery_id: str) -> None:
    delivery = store.get_delivery(world.service.engine, delivery_id)
    flight = delivery_flight(world.service, delivery)
    start_loading(world.service, delivery_id, by="operator:demo")
    world.clock.advance(60)
    on_signal(world.service, delivery_id, Signal(kind=SignalKind.TOOK_OFF),
              marks=flight.marks, vehicle_id=flight.vehicle_id)  # fmt: skip
    for seq in range(1, flight.marks.released_seq + 1):
        world.clock.advance(30)
        on_signal(world.service, delivery_id, Signal(kind=SignalKind.ITEM_REACHED, seq=seq),
                  marks=flight.marks, vehicle_id=flight.vehicle_id,
                  position=DROP_POINTS[2].location)  # fmt: skip


def test_a_delivery_follows_its_vehicle_and_the_recipient_confirms(stored_world: World) -> None:
    world = stored_world
    delivery, _ = world.service.request(_request(world, "GARDEN-E"), idempotency_key=None)
    code = world.service.dispatch().codes[delivery.id]
    _fly_to_release(world, delivery.id)
    released = store.get_delivery(world.service.engine, delivery.id)
    assert released.state is S.RELEASED
    assert released.release_at == DROP_POINTS[2].location
    assert released.confirm_by == released.released_at + world.service.confirm_within
    with pytest.raises(Forbidden):
        world.service.confirm(delivery.id, code="000000" if code != "000000" else "111111")
    world.clock.advance(120)
    flight = delivery_flight(world.service, released)
    on_signal(world.service, delivery.id, Signal(kind=SignalKind.LANDED),
              marks=flight.marks, vehicle_id=flight.vehicle_id)  # fmt: skip
    assert store.get_delivery(world.service.engine, delivery.id).state is S.RELEASED
    world.clock.advance(60)
    done = world.service.confirm(delivery.id, code=code)
    assert done.state is S.VEHICLE_RETURNED
    states = [e.to_state for e in done.lifecycle.events]
    assert states == [S.REQUESTED, S.ACCEPTED, S.SCHEDULED, S.LOADING, S.IN_FLIGHT, S.ARRIVED,
                      S.RELEASED, S.CONFIRMED, S.VEHICLE_RETURNED]  # fmt: skip
    times = [e.at for e in done.lifecycle.events]
    assert times == sorted(times)
    assert done.lifecycle.events[4].by == f"vehicle:{flight.vehicle_id}"


def test_the_resident_confirms_as_themself_and_nobody_else_can(world: World) -> None:
    delivery, _ = world.service.request(_request(world, "CENTRE-W"), idempotency_key=None)
    world.service.dispatch()
    with pytest.raises(IllegalTransition):
        world.service.confirm(
            delivery.id, resident_id=world.residents["CENTRE-W"]
        )  # not released yet
    _fly_to_release(world, delivery.id)
    with pytest.raises(Forbidden):
        world.service.confirm(delivery.id, resident_id=world.residents["GARDEN-E"])
    done = world.service.confirm(delivery.id, resident_id=world.residents["CENTRE-W"])
    assert done.state is S.CONFIRMED
    assert done.lifecycle.events[-1].by == f"resident:{world.residents['CENTRE-W']}"


def test_a_cancelled_delivery_is_refunded_once(world: World) -> None:
    delivery, _ = world.service.request(_request(world, "CENTRE-W"), idempotency_key=None)
    assert _balance(world) < 20_000
    world.service.dispatch()
    done = world.service.cancel(delivery.id, by="pharmacy:test", reason="prescription changed")
    assert done.state is S.CANCELLED
    assert done.charge_status == "refunded"
    assert _balance(world) == 20_000
    with pytest.raises(IllegalTransition):
        world.service.cancel(delivery.id, by="pharmacy:test")
    assert _balance(world) == 20_000


def test_a_parcel_flown_back_is_returned_to_the_pharmacy_and_refunded(world: World) -> None:
    delivery, _ = world.service.request(_request(world, "CENTRE-W"), idempotency_key=None)
    world.service.dispatch()
    flight = delivery_flight(world.service, store.get_delivery(world.service.engine, delivery.id))
    start_loading(world.service, delivery.id, by="operator:demo")
    on_signal(world.service, delivery.id, Signal(kind=SignalKind.TOOK_OFF),
              marks=flight.marks, vehicle_id=flight.vehicle_id)  # fmt: skip
    world.clock.advance(600)
    done = on_signal(world.service, delivery.id, Signal(kind=SignalKind.LANDED, at_depot=True),
                     marks=flight.marks, vehicle_id=flight.vehicle_id)  # fmt: skip
    assert done.state is S.RETURNED_TO_PHARMACY
    assert done.charge_status == "refunded"
    assert _balance(world) == 20_000


def test_an_unconfirmed_release_is_escalated_once(world: World) -> None:
    delivery, _ = world.service.request(_request(world, "CENTRE-W"), idempotency_key=None)
    world.service.dispatch()
    _fly_to_release(world, delivery.id)
    assert escalate_overdue(world.service) == []
    world.clock.advance(world.service.confirm_within.total_seconds() + 1)
    (escalated,) = escalate_overdue(world.service)
    assert escalated.escalated_at == world.clock.now()
    world.clock.advance(timedelta(minutes=5).total_seconds())
    assert escalate_overdue(world.service) == []


def test_wrong_codes_are_counted_and_the_code_is_refused_after_five(stored_world: World) -> None:
    world = stored_world
    delivery, _ = world.service.request(_request(world, "CENTRE-W"), idempotency_key=None)
    code = world.service.dispatch().codes[delivery.id]
    _fly_to_release(world, delivery.id)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        with pytest.raises(Forbidden, match="not the recipient's code"):
            world.service.confirm(delivery.id, code=wrong)
    assert store.get_delivery(world.service.engine, delivery.id).code_attempts == 5
    with pytest.raises(Forbidden, match="too many wrong codes"):
        world.service.confirm(delivery.id, code=code)  # even the right one, now
    done = world.service.confirm(delivery.id, resident_id=world.residents["CENTRE-W"])
    assert done.state is S.CONFIRMED


def test_a_resident_pays_only_by_confirming_signed_in(world: World) -> None:
    resident = world.residents["CENTRE-W"]
    world.sandbox.client.set_wallet(resident, balance_yen=5_000)
    request = dataclasses.replace(
        _request(world, "CENTRE-W"), payer=Payer.RESIDENT,
        recipient=Recipient(resident_id=resident),
    )  # fmt: skip
    delivery, _ = world.service.request(request, idempotency_key=None)
    assert delivery.charge_status is None  # nothing charged on the pharmacy's word
    assert world.sandbox.client.wallet(resident).balance_yen == 5_000
    code = world.service.dispatch().codes[delivery.id]
    _fly_to_release(world, delivery.id)
    with pytest.raises(Forbidden, match="paid by its resident"):
        world.service.confirm(delivery.id, code=code)
    done = world.service.confirm(delivery.id, resident_id=resident)
    assert done.charge_status == "succeeded"
    assert done.fee_yen is not None
    assert world.sandbox.client.wallet(resident).balance_yen == 5_000 - done.fee_yen
    assert _balance(world) == 20_000  # the pharmacy paid nothing


def test_a_resident_payer_must_be_known_to_the_city_identity() -> None:
    with pytest.raises(BadRequest, match="a resident pays only as a resident known"):
        DeliveryRequest(
            id="X", pharmacy_id="P", items=(Item(name="a", weight_kg=0.1, size_cm=(1, 1, 1)),),
            recipient=Recipient(name="佐藤", phone="090-0000-0000"), drop_point_id="CENTRE-W",
            requested_at=START, payer=Payer.RESIDENT,
        )  # fmt: skip


def test_recipients_get_their_code_when_booked_and_a_retry_needs_no_vehicle(
    world: World,
) -> None:
    notices = RecordingNotifier()
    world.service.notifier = notices
    request = _request(world, "GARDEN-E")
    delivery, _ = world.service.request(request, idempotency_key="rx-9")
    code = world.service.dispatch().codes[delivery.id]
    (booked,) = [n for n in notices.notices if n.kind == "delivery_scheduled"]
    assert booked.recipient == world.residents["GARDEN-E"]
    assert code in booked.text_ja
    assert code in booked.text_en
    for vehicle in ("SIM-DELIVERY-1", "SIM-DELIVERY-2"):  # no vehicle left to carry it
        fleet_store.retire_vehicle(world.service.engine, vehicle)
    again, created = world.service.request(request, idempotency_key="rx-9")
    assert (again.id, created) == (delivery.id, False)
    with pytest.raises(Unserviceable):
        world.service.request(dataclasses.replace(request, id="new"), idempotency_key="rx-10")


def test_dispatch_flies_round_the_hours_the_forecast_is_too_windy(world: World) -> None:
    hours = [
        WeatherHour(start=START + timedelta(hours=h), wind_m_s=12.0 if h == 0 else 4.0,
                    gust_m_s=15.0 if h == 0 else 6.0, precipitation_mm=0.0)
        for h in range(14)
    ]  # fmt: skip
    world.service.weather = RecordedWeather(hours, station="test")
    delivery, _ = world.service.request(_request(world, "CENTRE-W"), idempotency_key=None)
    world.service.dispatch()
    trip = store.get_delivery(world.service.engine, delivery.id).trip
    assert trip is not None
    assert trip.takeoff_at >= START + timedelta(hours=1)  # not into the 12 m/s hour
    (hold,) = world.service.holds(world.service.places(), START)
    assert hold.reason == "wind 12 m/s at KASAI-HALL"


def test_an_unknown_recipient_or_a_past_window_is_refused_and_nothing_stored(
    world: World,
) -> None:
    stranger = dataclasses.replace(
        _request(world, "CENTRE-W"), recipient=Recipient(resident_id="nobody-known")
    )
    with pytest.raises(BadRequest, match="not known to the city identity"):
        world.service.request(stranger, idempotency_key=None)
    past = dataclasses.replace(
        _request(world, "CENTRE-W"),
        window=TimeWindow(earliest=START - timedelta(hours=2), latest=START - timedelta(hours=1)),
    )
    with pytest.raises(BadRequest, match="has passed"):
        world.service.request(past, idempotency_key=None)
    assert store.list_deliveries(world.service.engine)[1] == 0


def test_the_background_tells_the_pharmacy_of_an_unconfirmed_release_once(
    world: World, tmp_path: Path
) -> None:
    notices = RecordingNotifier()
    world.service.notifier = notices
    services = Services(settings=load_settings(data_dir=tmp_path), engine=world.service.engine,
                        clock=world.clock, extras={"deliveries": world.service})  # fmt: skip
    background = Background(services)
    delivery, _ = world.service.request(_request(world, "CENTRE-W"), idempotency_key=None)
    world.service.dispatch()
    _fly_to_release(world, delivery.id)
    assert background.escalate_deliveries() == 0
    world.clock.advance(world.service.confirm_within.total_seconds() + 60)
    assert background.escalate_deliveries() == 1
    assert background.escalate_deliveries() == 0
    (told,) = [n for n in notices.notices if n.kind == "delivery_escalated"]
    assert told.recipient == world.pharmacy
    assert "30分" in told.text_ja


def test_the_resident_who_confirms_is_granted_the_citys_points_once(world: World) -> None:
    world.service.points_per_delivery = 30
    resident = world.residents["CENTRE-W"]
    world.sandbox.client.set_wallet(resident, balance_yen=0)
    delivery, _ = world.service.request(_request(world, "CENTRE-W"), idempotency_key=None)
    world.service.dispatch()
    _fly_to_release(world, delivery.id)
    world.service.confirm(delivery.id, resident_id=resident)
    assert world.sandbox.client.wallet(resident).points == 30
    assert world.service.ledger is not None
    assert world.service.ledger.by_key(f"tanbo-delivery-{delivery.id}-points") is not None
