"""Entities are checked offline against their Smart Data Model: a broken one is refused
with a message naming the attribute."""

import socket
from datetime import date
from typing import Any

import pysmartdatamodels as sdm
import pytest
from shapely import box

from api.city_platform import InvalidEntity, check_entity, entity_problems, model_schema, schemas
from api.city_platform.errors import UnknownDataModel
from api.city_platform.ngsi import CORE_CONTEXT, date_time_prop, geo, prop, rel
from api.city_platform.schemas import (
    AGRI_PARCEL,
    AGRI_PARCEL_RECORD,
    DEVICE,
    PUBLISHED_MODELS,
    WATER_OBSERVED,
    DataModel,
    attribute_spec,
)


def parcel(**changes: Any) -> dict[str, Any]:
    """A valid AgriParcel in normalized form, with ``changes`` (None removes one)."""
    entity = {
        "id": "urn:ngsi-ld:AgriParcel:test:B000",
        "type": "AgriParcel",
        "location": geo(box(134.84, 34.92, 134.841, 34.921)),
        "area": prop(3000.0, unit_code="MTK"),
        "hasAgriCrop": rel("urn:ngsi-ld:AgriCrop:test:rice"),
        "lastPlantedAt": date_time_prop(date(2026, 5, 20)),
        "@context": [model_schema(AGRI_PARCEL).context, CORE_CONTEXT],
    }
    entity.update(changes)
    return {k: v for k, v in entity.items() if v is not None}


def refusal(entity: dict[str, Any], model: DataModel = AGRI_PARCEL, **given: Any) -> str:
    with pytest.raises(InvalidEntity) as refused:
        check_entity(entity, model, **given)
    return str(refused.value)


def test_a_valid_parcel_passes() -> None:
    assert entity_problems(parcel(), AGRI_PARCEL) == ()


def test_a_missing_required_attribute_is_named() -> None:
    message = refusal(parcel(area=None))
    assert message == (
        "AgriParcel urn:ngsi-ld:AgriParcel:test:B000: "
        "attribute 'area': required by AgriParcel but missing"
    )
    assert "hasAgriCrop" in refusal(parcel(hasAgriCrop=None))


def test_a_value_of_the_wrong_type_is_named() -> None:
    message = refusal(parcel(area=prop("3000 m2")))
    assert "attribute 'area': '3000 m2' is not of type 'number'" in message


def test_an_attribute_of_the_wrong_ngsi_kind_is_named() -> None:
    message = refusal(parcel(hasAgriCrop=prop("urn:ngsi-ld:AgriCrop:test:rice")))
    assert "attribute 'hasAgriCrop': must be a Relationship, not a Property" in message
    assert "attribute 'location': must be a GeoProperty" in refusal(
        parcel(location=prop({"type": "Point", "coordinates": [134.8, 34.9]}))
    )


def test_a_time_that_is_no_time_is_named() -> None:
    broken = prop({"@type": "DateTime", "@value": "last spring"})
    assert "attribute 'lastPlantedAt': 'last spring' is not a 'date-time'" in refusal(
        parcel(lastPlantedAt=broken)
    )
    naive = prop(3000.0) | {"observedAt": "2026-06-01T09:00:00"}
    assert "attribute 'area': observedAt is not a date-time with a zone" in refusal(
        parcel(area=naive)
    )


def test_a_relationship_must_point_at_a_uri_and_an_entity_needs_a_context() -> None:
    assert "attribute 'hasAgriCrop': a Relationship's object must be URIs" in refusal(
        parcel(hasAgriCrop=rel("rice"))
    )
    assert "attribute '@context': missing" in refusal(parcel(**{"@context": None}))
    assert "attribute 'id': must be a URI" in refusal(parcel(id="B000"))


def test_a_value_outside_the_models_enumeration_is_named() -> None:
    device = {
        "id": "urn:ngsi-ld:Device:test:gate", "type": "Device",
        "controlledProperty": prop(["gateOpening"]), "direction": prop("Sideways"),
        "@context": [model_schema(DEVICE).context, CORE_CONTEXT],
    }  # fmt: skip
    assert "attribute 'direction': 'Sideways' is not one of ['Inlet', 'Outlet'" in refusal(
        device, DEVICE
    )


def test_a_borrowed_attribute_is_checked_against_the_model_it_comes_from() -> None:
    record = {
        "id": "urn:ngsi-ld:AgriParcelRecord:test:P1", "type": "AgriParcelRecord",
        "hasAgriParcel": rel("urn:ngsi-ld:AgriParcel:test:B000"),
        "location": geo(box(134.84, 34.92, 134.841, 34.921)),
        "waterLevel": prop("high", unit_code="CMT"),
        "@context": [model_schema(AGRI_PARCEL_RECORD).context, CORE_CONTEXT],
    }  # fmt: skip
    borrowed = {"waterLevel": attribute_spec(WATER_OBSERVED, "waterLevel")}
    message = refusal(record, AGRI_PARCEL_RECORD, borrowed=borrowed)
    assert "attribute 'waterLevel': 'high' is not of type 'number'" in message
    record["waterLevel"] = prop(4.5, unit_code="CMT")
    assert entity_problems(record, AGRI_PARCEL_RECORD, borrowed=borrowed) == ()


@pytest.mark.parametrize("model", PUBLISHED_MODELS, ids=lambda m: m.name)
def test_each_schema_is_the_packages_description_of_its_model(model: DataModel) -> None:
    described = model_schema(model)
    meta = sdm.list_datamodel_metadata(model.name, model.subject)
    assert described.required == tuple(meta["required"])
    assert set(described.json_schema["required"]) == set(meta["required"])
    assert described.context.endswith(f"{model.subject}/master/context.jsonld")
    assert set(described.attributes) <= set(sdm.attributes_datamodel(model.subject, model.name))
    for name, spec in described.attributes.items():
        declared = sdm.ngsi_datatype_attribute(model.subject, model.name, name)
        assert declared in (False, spec.ngsi_kind), name


def test_the_schemas_are_built_without_the_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*_: object) -> None:
        raise OSError("no network in this test")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    model_schema.cache_clear()
    schemas._bundled.cache_clear()  # read the package's bundled files again, offline
    assert "area" in refusal(parcel(area=prop("x")))


def test_an_unknown_model_is_refused() -> None:
    with pytest.raises(UnknownDataModel, match=r"no Smart Data Model Paddy in dataModel\.Agrifood"):
        model_schema(DataModel(name="Paddy", subject="dataModel.Agrifood"))
    with pytest.raises(UnknownDataModel, match="AgriParcel has no attribute 'depth_cm'"):
        attribute_spec(AGRI_PARCEL, "depth_cm")
