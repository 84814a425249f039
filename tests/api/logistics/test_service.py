"""The delivery service end to end on a real database and the currency sandbox: requests,
idempotency, dispatch, the vehicle's reports, confirmation, cancellation, the fee."""

from datetime import timedelta

import pytest

from api.demo.delivery_world import DROP_POINTS
from api.errors import Conflict, Forbidden
from api.logistics import store
from api.logistics.flights import delivery_flight
from api.logistics.progress import escalate_overdue, on_signal, start_loading
from api.logistics.service import Unserviceable, fee_key
from logistics import (
    DeliveryRequest,
    DeliveryState,
    IllegalTransition,
    Item,
    Recipient,
    Signal,
    SignalKind,
    TemperatureClass,
)
from tests.api.logistics.conftest import World

S = DeliveryState


def _request(world: World, drop: str, *, weight_kg: float = 0.4, rid: str | None = None,
             cool: bool = False) -> DeliveryRequest:  # fmt: skip
    temperature = TemperatureClass.COOL if cool else TemperatureClass.AMBIENT
    return DeliveryRequest(
        id=rid or world.service.new_id(), pharmacy_id=world.pharmacy,
        items=(Item(name="薬", weight_kg=weight_kg, size_cm=(20, 15, 8), temperature=temperature),),
        recipient=Recipient(resident_id=f"resident-{drop}"), drop_point_id=drop,
        requested_at=world.clock.now(),
    )  # fmt: skip


def _balance(world: World) -> int:
    return world.sandbox.client.wallet(world.pharmacy).balance_yen


def test_a_request_is_accepted_and_charged_once_whatever_the_retries(world: World) -> None:
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


def test_the_same_key_for_another_request_is_a_conflict(world: World) -> None:
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


def test_a_delivery_follows_its_vehicle_and_the_recipient_confirms(world: World) -> None:
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
        world.service.confirm(delivery.id, resident_id="resident-CENTRE-W")  # not released yet
    _fly_to_release(world, delivery.id)
    with pytest.raises(Forbidden):
        world.service.confirm(delivery.id, resident_id="resident-GARDEN-E")
    done = world.service.confirm(delivery.id, resident_id="resident-CENTRE-W")
    assert done.state is S.CONFIRMED
    assert done.lifecycle.events[-1].by == "resident:resident-CENTRE-W"


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
