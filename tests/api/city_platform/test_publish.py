"""Publishing the small city: consent decides what is personal and goes, devices always go,
a withdrawal deletes at the next publish, publishing twice sends the same entities. On
SQLite and PostgreSQL, through the record-only broker and the HTTP client."""

import pytest
from sqlalchemy import Engine

from api.accounts import get_account, grant_city_data_consent, withdraw_city_data_consent
from api.city_platform import (
    BrokerRefused,
    EntityIds,
    HttpContextBroker,
    RecordingBroker,
    SkipReason,
    publish,
)
from api.errors import NotFound
from api.registry import delete_fields
from tests.api.city_platform.city import COURIER, RETIRED, SPRAYER, City
from tests.api.city_platform.fake_broker import FakeBroker

IDS = EntityIds(prefix="kasai")


def urn(entity_type: str, *parts: str) -> str:
    return IDS.urn(entity_type, *parts)


def test_personal_data_goes_only_with_consent_and_devices_always(
    engine: Engine, city: City
) -> None:
    report = publish(engine, RecordingBroker(), ids=IDS)
    sent = set(report.sent)
    assert {urn("AgriParcel", "A-1"), urn("AgriParcelRecord", "P-A-1"),
            urn("DeviceMeasurement", "lv-A-1", "water_level"),
            urn("FleetVehicleOperation", city.delivered)} <= sent  # fmt: skip
    lacking = {s.entity_id: s.reason for s in report.skipped_for_consent}
    assert lacking[urn("AgriParcel", "B-1")] is SkipReason.NO_CONSENT
    assert lacking[urn("AgriParcelRecord", "P-B-1")] is SkipReason.NO_CONSENT
    assert lacking[urn("DeviceMeasurement", "lv-B-1", "water_level")] is SkipReason.NO_CONSENT
    assert lacking[urn("AgriParcel", "X-1")] is SkipReason.NOT_AN_ACCOUNT
    assert sent.isdisjoint(lacking)
    operations = [s for s in report.skipped if s.entity_type == "FleetVehicleOperation"]
    assert sorted(s.reason.value for s in operations) == ["no_consent", "not_an_account"]
    # Not personal: the non-consenting neighbour's sensor and gate, and the drones.
    devices = {urn("Device", "water", "lv-B-1"), urn("Device", "water", "in-B-1"),
               urn("Device", "aircraft", SPRAYER), urn("Device", "aircraft", COURIER)}  # fmt: skip
    assert devices <= sent
    assert urn("Device", "aircraft", RETIRED) not in sent
    assert urn("Device", "aircraft", "SIM-COURIER-1") not in sent
    assert report.skipped_counts() == {"no_consent": 5, "not_an_account": 2, "nothing_measured": 1,
                                       "simulated": 1}  # fmt: skip
    assert report.sent_types == {"AgriCrop": 1, "AgriParcel": 1, "AgriParcelRecord": 1,
                                 "Device": 6, "DeviceMeasurement": 2,
                                 "FleetVehicleOperation": 1}  # fmt: skip


def test_an_entity_its_model_refuses_is_reported_and_not_sent(engine: Engine, city: City) -> None:
    broker = RecordingBroker()
    report = publish(engine, broker, ids=IDS)
    assert [(r.entity_id, r.reason) for r in report.refused] == [
        (urn("AgriParcel", "A-2"), "attribute 'hasAgriCrop': required by AgriParcel but missing")
    ]
    assert urn("AgriParcel", "A-2") not in broker.held


def test_publishing_twice_sends_the_same_entities(engine: Engine, city: City) -> None:
    broker = RecordingBroker()
    first = publish(engine, broker, ids=IDS)
    second = publish(engine, broker, ids=IDS)
    assert second.sent == first.sent
    assert first.new == first.sent
    assert second.new == ()
    assert second.already_published == first.sent
    assert second.digest == first.digest
    assert second.removed == ()
    assert sorted(broker.held) == list(first.sent)
    assert broker.requests[0]["entities"] == broker.requests[1]["entities"]


def test_withdrawing_consent_deletes_the_persons_entities_at_the_next_publish(
    engine: Engine, city: City, broker: FakeBroker
) -> None:
    with HttpContextBroker(broker.base_url) as client:
        before = publish(engine, client, ids=IDS)
        city.clock.advance(86_400)
        withdraw_city_data_consent(engine, city.farmer, clock=city.clock)
        after = publish(engine, client, ids=IDS)
    farmers = {urn("AgriParcel", "A-1"), urn("AgriParcelRecord", "P-A-1"),
               urn("DeviceMeasurement", "lv-A-1", "water_level"),
               urn("DeviceMeasurement", "lv-A-1", "soil_moisture")}  # fmt: skip
    assert farmers <= set(before.sent)
    removed = {r.entity_id: r.reason for r in after.removed}
    assert removed == dict.fromkeys(farmers, "consent withdrawn") | {
        urn("AgriCrop", "rice"): "no published field grows it"
    }
    assert set(broker.entities) == set(after.sent)
    assert set(broker.entities).isdisjoint(farmers)
    assert urn("Device", "water", "lv-A-1") in broker.entities, "the device is not personal"


def test_a_withdrawal_is_honoured_even_when_the_broker_refuses_an_upsert(
    engine: Engine, city: City, broker: FakeBroker
) -> None:
    with HttpContextBroker(broker.base_url) as client:
        publish(engine, client, ids=IDS)
        withdraw_city_data_consent(engine, city.farmer)
        broker.refuse = {urn("Device", "aircraft", SPRAYER)}
        with pytest.raises(BrokerRefused, match=f"refused the upsert of 1 of .*{SPRAYER}"):
            publish(engine, client, ids=IDS)
    assert urn("AgriParcel", "A-1") not in broker.entities


def test_a_granted_consent_publishes_at_the_next_publish(engine: Engine, city: City) -> None:
    broker = RecordingBroker()
    publish(engine, broker, ids=IDS)
    grant_city_data_consent(engine, city.neighbour, clock=city.clock)
    report = publish(engine, broker, ids=IDS)
    assert set(report.new) == {urn("AgriParcel", "B-1"), urn("AgriParcelRecord", "P-B-1"),
                               urn("DeviceMeasurement", "lv-B-1", "water_level"),
                               urn("DeviceMeasurement", "lv-B-1", "soil_moisture")}  # fmt: skip


def test_what_is_gone_from_tanbo_is_deleted_from_the_broker(engine: Engine, city: City) -> None:
    broker = RecordingBroker()
    publish(engine, broker, ids=IDS)
    delete_fields(engine, ["A-1"])
    report = publish(engine, broker, ids=IDS)
    assert (urn("AgriParcel", "A-1"), "no longer in Tanbo") in {
        (r.entity_id, r.reason) for r in report.removed
    }
    assert urn("AgriParcel", "A-1") not in broker.held


def test_each_city_owns_only_the_ids_under_its_prefix(engine: Engine, city: City) -> None:
    broker = RecordingBroker()
    ours = publish(engine, broker, ids=IDS)
    theirs = publish(engine, broker, ids=EntityIds(prefix="ono"))
    assert theirs.removed == ()
    assert theirs.new == theirs.sent
    assert set(ours.sent) | set(theirs.sent) == set(broker.held)
    assert all(i.split(":")[3] == "ono" for i in theirs.sent)


def test_consent_is_kept_per_account(engine: Engine, city: City) -> None:
    first = get_account(engine, city.farmer).city_data_consent_at
    assert first is not None
    city.clock.advance(3_600)
    assert (
        grant_city_data_consent(engine, city.farmer, clock=city.clock).city_data_consent_at == first
    )
    assert withdraw_city_data_consent(engine, city.farmer).city_data_consent_at is None
    assert get_account(engine, city.neighbour).city_data_consent_at is None
    with pytest.raises(NotFound, match="no account with id 'nobody'"):
        grant_city_data_consent(engine, "nobody")
