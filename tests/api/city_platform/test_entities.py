"""What the built entities say, and what they leave out."""

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from api.city_platform import CORE_CONTEXT, EntityIds, RecordingBroker, key_values, publish
from api.city_platform.ngsi import date_time
from tests.api.city_platform.city import COURIER, City

IDS = EntityIds(prefix="JP-28220")


@pytest.fixture
def sent(engine: Engine, city: City) -> dict[str, dict[str, object]]:
    """What one publish of the small city sent, by id."""
    broker = RecordingBroker()
    publish(engine, broker, ids=IDS)
    return dict(broker.held)


def test_ids_are_urns_under_the_configured_prefix() -> None:
    assert IDS.urn("AgriParcel", "B000") == "urn:ngsi-ld:AgriParcel:JP-28220:B000"
    assert EntityIds(prefix="ono").urn("AgriParcel", "a/b c:d") == (
        "urn:ngsi-ld:AgriParcel:ono:a%2Fb%20c%3Ad"
    )
    for bad in ("", "two words", "a:b", "-x", "x" * 65):
        with pytest.raises(ValueError, match="id prefix"):
            EntityIds(prefix=bad)


def test_times_are_utc_and_must_have_a_zone() -> None:
    assert date_time(datetime(2026, 6, 1, 9, 0, tzinfo=UTC)) == "2026-06-01T09:00:00Z"
    with pytest.raises(ValueError, match="has no time zone"):
        date_time(datetime(2026, 6, 1, 9, 0))


def test_every_entity_carries_its_models_context_then_the_core(
    sent: dict[str, dict[str, object]],
) -> None:
    assert sent
    for entity_id, entity in sent.items():
        context = entity["@context"]
        assert isinstance(context, list)
        assert str(context[0]).startswith("https://raw.githubusercontent.com/smart-data-models/")
        assert context[-1] == CORE_CONTEXT, entity_id
        assert entity_id.startswith(f"urn:ngsi-ld:{entity['type']}:JP-28220:")


def test_a_paddys_record_has_its_newest_water_with_unit_and_time(
    sent: dict[str, dict[str, object]],
) -> None:
    record = sent[IDS.urn("AgriParcelRecord", "P-A-1")]
    assert record["waterLevel"] == {"type": "Property", "value": 4.25, "unitCode": "CMT",
                                    "observedAt": "2026-06-01T00:10:00Z"}  # fmt: skip
    assert key_values(record)["soilMoistureVwc"] == 0.38
    assert {"waterLevel": "https://smartdatamodels.org/dataModel.Environment/waterLevel"} in (
        record["@context"]  # type: ignore[operator]
    )
    assert key_values(record)["hasAgriParcel"] == IDS.urn("AgriParcel", "A-1")
    parcel = key_values(sent[IDS.urn("AgriParcel", "A-1")])
    assert parcel["area"] == 3000.0
    assert parcel["hasAgriCrop"] == IDS.urn("AgriCrop", "rice")
    assert parcel["lastPlantedAt"] == "2026-05-20T00:00:00Z"
    assert parcel["location"]["type"] == "Polygon"


def test_a_delivery_says_when_and_with_what_but_nothing_of_whom_or_what(
    engine: Engine, city: City, sent: dict[str, dict[str, object]]
) -> None:
    operation = key_values(sent[IDS.urn("FleetVehicleOperation", city.delivered)])
    assert operation["fleetVehicle"] == IDS.urn("Device", "aircraft", COURIER)
    assert operation["result"] == "delivered"
    assert operation["startedAt"] == "2026-06-01T00:20:00Z"
    assert operation["transportTime"] == 600.0
    assert "location" not in operation, "the drop point is the resident's garden"
    everything = json.dumps(sent, ensure_ascii=False)
    for private in (city.farmer, city.resident, "insulin", "山本", "田中", "0790"):
        assert private not in everything


def test_devices_say_what_they_measure_or_move(sent: dict[str, dict[str, object]]) -> None:
    sensor = key_values(sent[IDS.urn("Device", "water", "lv-A-1")])
    assert sensor["controlledProperty"] == ["soilMoisture", "waterLevel"]
    assert sensor["deviceCategory"] == ["sensor"]
    assert sensor["batteryLevel"] == 0.87
    gate = key_values(sent[IDS.urn("Device", "water", "in-A-1")])
    assert (gate["controlledProperty"], gate["direction"]) == (["gateOpening"], "Inlet")
    courier = key_values(sent[IDS.urn("Device", "aircraft", COURIER)])
    assert courier["location"] == {"type": "Point", "coordinates": [134.8414, 34.9283]}
    assert "for deliveries" in str(courier["description"])
