"""Fields and paddies as Smart Data Models (dataModel.Agrifood): a field is an
**AgriParcel**, its crop an **AgriCrop**, a paddy's water at a moment an
**AgriParcelRecord**.

A field and its paddy's record are the farmer's personal data (published only with the
farmer's consent); a crop (``rice``) is nobody's. What is left out on purpose: the owner's
account id (it would link all of a person's entities), the field's free-form properties.
"""

import unicodedata
from collections.abc import Iterable, Mapping, Sequence

from api.city_platform.ngsi import CORE_CONTEXT, Entity, EntityIds, date_time_prop, geo, prop, rel
from api.city_platform.outcomes import Candidate
from api.city_platform.schemas import (
    AGRI_CROP,
    AGRI_PARCEL,
    AGRI_PARCEL_RECORD,
    DEVICE,
    WATER_OBSERVED,
    DataModel,
    attribute_spec,
    model_schema,
)
from api.city_platform.sources import StoredField
from api.irrigation.paddies import StoredPaddy
from fields import LandUse
from irrigation import Metric, Reading

__all__ = [
    "agri_crop",
    "agri_parcel",
    "agri_parcel_record",
    "context_of",
    "crop_key",
    "water_device_id",
]

_CATEGORY = {
    LandUse.PADDY: "lowland",
    LandUse.UPLAND: "upland",
    LandUse.ORCHARD: "orchard",
    LandUse.PASTURE: "grassland",
}
"""Land use → AgriParcel's ``category`` (its list: arable, grassland, orchard, lowland,
upland, …; paddy rice is lowland cultivation)."""


def context_of(model: DataModel, *borrowed: tuple[str, str]) -> list[object]:
    """An entity's ``@context``: its subject's Smart Data Models context, the terms it
    borrows from other models (name, IRI), then the NGSI-LD core context."""
    context: list[object] = [model_schema(model).context]
    if borrowed:
        context.append(dict(borrowed))
    context.append(CORE_CONTEXT)
    return context


def crop_key(crop: str) -> str:
    """A crop's id part: its name case-folded, compatibility-normalized and trimmed, so
    ``Rice``, ``rice`` and ``ｒｉｃｅ`` are one AgriCrop."""
    return unicodedata.normalize("NFKC", crop).strip().casefold()


def water_device_id(ids: EntityIds, device_id: str) -> str:
    """The Device id of a paddy sensor or gate."""
    return ids.urn(DEVICE.name, "water", device_id)


def agri_parcel(ids: EntityIds, stored: StoredField) -> Candidate:
    """A field as an AgriParcel, the owner's personal data. A field with no crop has no
    ``hasAgriCrop``, which the model requires: validation refuses it, by name."""
    f = stored.record
    entity: Entity = {
        "id": ids.urn(AGRI_PARCEL.name, f.id),
        "type": AGRI_PARCEL.name,
        "name": prop(f.name),
        "location": geo(f.geometry),
        "area": prop(round(f.area_m2, 2), unit_code="MTK"),
        "dateCreated": date_time_prop(stored.created_at),
        "dateModified": date_time_prop(stored.updated_at),
    }
    if f.crop and crop_key(f.crop):
        entity["hasAgriCrop"] = rel(ids.urn(AGRI_CROP.name, crop_key(f.crop)))
    if f.land_use in _CATEGORY:
        entity["category"] = prop(_CATEGORY[f.land_use])
    if f.transplanted_on is not None:
        entity["lastPlantedAt"] = date_time_prop(f.transplanted_on)
    entity["@context"] = context_of(AGRI_PARCEL)
    return Candidate(entity=entity, model=AGRI_PARCEL, personal=True, data_subject=str(f.owner))


def agri_crop(ids: EntityIds, crop: str) -> Candidate:
    """A crop as an AgriCrop (a name shared by many fields: not personal)."""
    key = crop_key(crop)
    entity: Entity = {
        "id": ids.urn(AGRI_CROP.name, key),
        "type": AGRI_CROP.name,
        "name": prop(key),
        "@context": context_of(AGRI_CROP),
    }
    return Candidate(entity=entity, model=AGRI_CROP, personal=False)


def _newest(readings: Iterable[Reading], metric: Metric) -> Reading | None:
    found = [r for r in readings if r.metric is metric]
    return max(found, key=lambda r: r.device_time) if found else None


def agri_parcel_record(
    ids: EntityIds,
    stored: StoredPaddy,
    *,
    fields_by_id: Mapping[str, StoredField],
    device_ids: Sequence[str],
    readings: Sequence[Reading],
) -> Candidate:
    """A paddy's water as an AgriParcelRecord: the newest water level (``waterLevel``,
    borrowed from WaterObserved, in cm) and soil moisture (``soilMoistureVwc``, a
    fraction), each with the time it was measured, over the paddy's field.

    ``readings`` are the newest of the paddy's devices (``device_ids``). A paddy with no
    field has neither ``hasAgriParcel`` nor ``location``: validation refuses it, by name.
    """
    paddy = stored.paddy
    water_level = attribute_spec(WATER_OBSERVED, "waterLevel")
    entity: Entity = {"id": ids.urn(AGRI_PARCEL_RECORD.name, paddy.id),
                      "type": AGRI_PARCEL_RECORD.name, "name": prop(paddy.id)}  # fmt: skip
    field = fields_by_id.get(paddy.field_id) if paddy.field_id else None
    if field is not None:
        entity["hasAgriParcel"] = rel(ids.urn(AGRI_PARCEL.name, field.record.id))
        entity["location"] = geo(field.record.geometry)
    if device_ids:
        entity["hasDevice"] = rel([water_device_id(ids, d) for d in sorted(device_ids)])
    level = _newest(readings, Metric.WATER_LEVEL)
    if level is not None:
        entity["waterLevel"] = prop(
            round(level.value, 2), unit_code="CMT", observed_at=level.device_time
        )
    moisture = _newest(readings, Metric.SOIL_MOISTURE)
    if moisture is not None:
        entity["soilMoistureVwc"] = prop(
            round(moisture.value / 100.0, 4), observed_at=moisture.device_time
        )
    entity["@context"] = context_of(AGRI_PARCEL_RECORD, ("waterLevel", water_level.iri))
    return Candidate(
        entity=entity,
        model=AGRI_PARCEL_RECORD,
        personal=True,
        data_subject=stored.owner,
        borrowed={"waterLevel": water_level},
    )
