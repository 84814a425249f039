"""The Smart Data Models Tanbo publishes, and their JSON schemas, read offline from
pysmartdatamodels.

pysmartdatamodels 0.8.2 does not ship the models' ``schema.json`` files, and its
``validate_payload`` downloads them from GitHub. What it does ship is enough to rebuild
them: ``list_datamodel_metadata`` gives each model's version, ``$id``, ``@context`` and
``required`` list, and ``load_all_attributes`` (its bundled attribute database) gives every
attribute's JSON type, format, enumeration, NGSI-LD kind (Property, GeoProperty,
Relationship) and term IRI. :func:`model_schema` turns those into a JSON Schema (draft
2020-12) of the key-values form, cached for the process; nothing is fetched.

The attribute database is 165,000 entries, 6 s and 900 MB to load; the entries of the
models Tanbo publishes are shipped beside this module (``data/smart_data_models.json``,
written by ``python -m api.city_platform.schemas`` from the installed package) and read
instead while the installed pysmartdatamodels is the version they were taken from.
"""

import importlib.metadata
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pysmartdatamodels as sdm

from api.city_platform.errors import UnknownDataModel

__all__ = [
    "AGRI_CROP",
    "AGRI_PARCEL",
    "AGRI_PARCEL_RECORD",
    "DEVICE",
    "DEVICE_MEASUREMENT",
    "EXTRACT",
    "FLEET_VEHICLE_OPERATION",
    "PUBLISHED_MODELS",
    "WATER_OBSERVED",
    "AttributeSpec",
    "DataModel",
    "Entries",
    "ModelSchema",
    "attribute_spec",
    "extract",
    "from_package",
    "model_schema",
    "shipped_entries",
    "write_extract",
]

GEOMETRY_TYPES = (
    "Point", "LineString", "Polygon", "MultiPoint", "MultiLineString", "MultiPolygon",
)  # fmt: skip
_GEOJSON_VOCAB = "https://purl.org/geojson/vocab#"
_NGSI_KINDS = frozenset({"Property", "GeoProperty", "Relationship"})


@dataclass(frozen=True, kw_only=True, slots=True)
class DataModel:
    """A Smart Data Model by its name and subject (the ``dataModel.*`` repository)."""

    name: str
    subject: str


AGRI_PARCEL = DataModel(name="AgriParcel", subject="dataModel.Agrifood")
AGRI_CROP = DataModel(name="AgriCrop", subject="dataModel.Agrifood")
AGRI_PARCEL_RECORD = DataModel(name="AgriParcelRecord", subject="dataModel.Agrifood")
DEVICE = DataModel(name="Device", subject="dataModel.Device")
DEVICE_MEASUREMENT = DataModel(name="DeviceMeasurement", subject="dataModel.Device")
FLEET_VEHICLE_OPERATION = DataModel(
    name="FleetVehicleOperation", subject="dataModel.Transportation"
)
WATER_OBSERVED = DataModel(name="WaterObserved", subject="dataModel.Environment")
"""Not published: lends AgriParcelRecord its ``waterLevel`` attribute."""

PUBLISHED_MODELS = (
    AGRI_PARCEL, AGRI_CROP, AGRI_PARCEL_RECORD, DEVICE, DEVICE_MEASUREMENT,
    FLEET_VEHICLE_OPERATION,
)  # fmt: skip
"""Every entity type Tanbo publishes (and so owns under its id prefix on the broker)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class AttributeSpec:
    """One attribute as its model defines it."""

    name: str
    ngsi_kind: str
    """``Property``, ``GeoProperty`` or ``Relationship``."""
    iri: str
    """The term's IRI (what the model's ``@context`` maps the name to)."""
    schema: Mapping[str, Any]
    """The JSON Schema of its key-values value."""


@dataclass(frozen=True, kw_only=True, slots=True)
class ModelSchema:
    """A model's published description, rebuilt from the bundled metadata."""

    model: DataModel
    version: str
    schema_id: str
    context: str
    """The subject's ``@context`` document (its URL)."""
    required: tuple[str, ...]
    attributes: Mapping[str, AttributeSpec] = field(default_factory=dict)
    json_schema: Mapping[str, Any] = field(default_factory=dict)
    """Draft 2020-12 schema of the key-values form."""


def _value_schema(entries: list[Mapping[str, Any]], children: list[Mapping[str, Any]]) -> Any:
    kinds = {e["typeNGSI"] for e in entries if e.get("typeNGSI") in _NGSI_KINDS}
    if "GeoProperty" in kinds:
        return {
            "type": "object",
            "required": ["type", "coordinates"],
            "properties": {
                "type": {"enum": list(GEOMETRY_TYPES)},
                "coordinates": {"type": "array"},
            },
        }
    types = sorted({e["type"] for e in entries if isinstance(e.get("type"), str)})
    schema: dict[str, Any] = {"type": types[0] if len(types) == 1 else types} if types else {}
    for e in entries:
        if "format" in e and e.get("type") == "string":
            schema["format"] = e["format"]
        if isinstance(e.get("enum"), list):
            schema["enum"] = list(e["enum"])
    if children and types == ["object"]:
        schema["properties"] = {
            c["property"]: {"type": c["type"]} for c in children if isinstance(c.get("type"), str)
        }
    return schema


def _is_attribute(entry: Mapping[str, Any]) -> bool:
    """The bundled database flattens GeoJSON's members (``type``, ``coordinates``,
    ``bbox``) and array items next to the attributes: those are not attributes."""
    if "parentId" in entry or str(entry.get("context", "")).startswith(_GEOJSON_VOCAB):
        return False
    return entry["property"] not in ("id", "type")


EXTRACT = Path(__file__).with_name("data") / "smart_data_models.json"
"""The attribute entries of Tanbo's models, taken from the installed pysmartdatamodels."""

Entries = dict[tuple[str, str], tuple[Mapping[str, Any], ...]]


@cache
def _bundled() -> Entries:
    """The attribute entries of the models Tanbo uses: shipped, or read from the package."""
    shipped = shipped_entries()
    return shipped if shipped is not None else from_package()


def _installed_version() -> str:
    return importlib.metadata.version("pysmartdatamodels")


def shipped_entries(path: Path = EXTRACT) -> Entries | None:
    """The entries in ``path``, or None if there are none for the installed version."""
    if not path.exists():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("pysmartdatamodels") != _installed_version():
        return None  # another version may describe the models otherwise
    shipped: Entries = {}
    for key, entries in data["models"].items():
        subject, name = key.split("/", 1)
        shipped[(subject, name)] = tuple(entries)
    return shipped


def extract(entries: Entries) -> dict[str, Any]:
    """The shipped file's content for ``entries`` (see :data:`EXTRACT`)."""
    return {
        "source": "pysmartdatamodels load_all_attributes(); the Smart Data Models "
        "(https://smartdatamodels.org), each under the licence its entries name",
        "pysmartdatamodels": _installed_version(),
        "models": {
            f"{subject}/{name}": list(found) for (subject, name), found in sorted(entries.items())
        },
    }


def from_package() -> Entries:
    """The attribute database's entries of the models Tanbo uses, read in one pass.

    The database is 165,000 entries (about 800 MB as Python objects), which the package
    keeps cached for the life of the process; once our few models are taken out of it,
    its cache is released.
    """
    wanted = {(m.subject, m.name) for m in (*PUBLISHED_MODELS, WATER_OBSERVED)}
    found: dict[tuple[str, str], list[Mapping[str, Any]]] = {key: [] for key in wanted}
    for entry in sdm.load_all_attributes():
        key = (entry.get("repoName"), entry.get("dataModel"))
        if key in found:
            found[key].append(entry)
    loader = getattr(sdm.pysmartdatamodels, "_load_attributes_db", None)
    if loader is not None and hasattr(loader, "cache_clear"):
        loader.cache_clear()
    return {key: tuple(entries) for key, entries in found.items()}


def _entries(model: DataModel, version: str) -> tuple[Mapping[str, Any], ...]:
    known = _bundled().get((model.subject, model.name))
    every = known if known is not None else sdm.load_all_attributes()
    return tuple(
        e
        for e in every
        if e.get("dataModel") == model.name
        and e.get("repoName") == model.subject
        and e.get("schemaVersion") == version
    )


@cache
def model_schema(model: DataModel) -> ModelSchema:
    """The model's description and JSON schema, from the bundled Smart Data Models.

    Raises
    ------
    UnknownDataModel
        pysmartdatamodels does not describe that model in that subject.
    """
    meta = sdm.list_datamodel_metadata(model.name, model.subject)
    if not meta:
        raise UnknownDataModel(f"no Smart Data Model {model.name} in {model.subject}")
    entries = _entries(model, meta["version"])
    by_name: dict[str, list[Mapping[str, Any]]] = {}
    children: dict[str, list[Mapping[str, Any]]] = {}
    for e in entries:
        if _is_attribute(e):
            by_name.setdefault(e["property"], []).append(e)
        elif "parentId" in e:
            parent = str(e["parentId"]).split("#")[0].rsplit("/", 1)[-1]
            children.setdefault(parent, []).append(e)
    attributes: dict[str, AttributeSpec] = {}
    for name, found in sorted(by_name.items()):
        kinds = [e["typeNGSI"] for e in found if e.get("typeNGSI") in _NGSI_KINDS]
        attributes[name] = AttributeSpec(
            name=name,
            ngsi_kind=kinds[0] if kinds else "Property",
            iri=str(found[0].get("context", "")),
            schema=_value_schema(found, children.get(name, [])),
        )
    required = tuple(meta.get("required", ()))
    json_schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": meta["$id"],
        "title": meta.get("title", model.name).strip(),
        "type": "object",
        "required": list(required),
        "properties": {
            "id": {"type": "string", "format": "uri"},
            "type": {"const": model.name},
            **{name: dict(spec.schema) for name, spec in attributes.items()},
        },
    }
    return ModelSchema(
        model=model,
        version=meta["version"],
        schema_id=meta["$id"],
        context=meta["@context"],
        required=required,
        attributes=attributes,
        json_schema=json_schema,
    )


def attribute_spec(model: DataModel, name: str) -> AttributeSpec:
    """One attribute of a model (to borrow it into another model's entities).

    Raises
    ------
    UnknownDataModel
        No such model, or the model has no such attribute.
    """
    spec = model_schema(model).attributes.get(name)
    if spec is None:
        raise UnknownDataModel(f"the Smart Data Model {model.name} has no attribute {name!r}")
    return spec


def write_extract() -> Path:
    """Write :data:`EXTRACT` from the installed package (``scripts/extract-smart-data-models``)."""
    EXTRACT.parent.mkdir(exist_ok=True)
    text = json.dumps(extract(from_package()), ensure_ascii=False, indent=1, sort_keys=True)
    EXTRACT.write_text(text + "\n", encoding="utf-8")
    return EXTRACT
