"""The NGSI-LD normalized form: entity ids, attributes (Property, GeoProperty,
Relationship), the ``@context`` and the key-values view that JSON schemas check.

Entities are plain JSON objects (``dict``), exactly what goes on the wire; these helpers
build their parts so every builder writes times, units and ids the same way.

>>> ids = EntityIds(prefix="kasai")
>>> ids.urn("AgriParcel", "B 001")
'urn:ngsi-ld:AgriParcel:kasai:B%20001'
>>> prop(4.5, unit_code="CMT")
{'type': 'Property', 'value': 4.5, 'unitCode': 'CMT'}
>>> key_values({"id": "urn:x", "type": "T", "at": date_time_prop(datetime(2026, 6, 1, tzinfo=UTC))})
{'id': 'urn:x', 'type': 'T', 'at': '2026-06-01T00:00:00Z'}
"""

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote

import shapely
from shapely.geometry.base import BaseGeometry

from core.geo import GeoPoint

__all__ = [
    "CORE_CONTEXT",
    "ENTITY_KEYS",
    "Entity",
    "EntityIds",
    "date_time",
    "date_time_prop",
    "geo",
    "geo_point",
    "geojson",
    "key_values",
    "prop",
    "rel",
]

Entity = dict[str, Any]
"""An NGSI-LD entity in normalized form, as JSON."""

CORE_CONTEXT = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld"
"""The NGSI-LD core context; last in every entity's ``@context``, as the API asks."""

ENTITY_KEYS = frozenset({"id", "type", "@context", "scope"})
"""Members of an entity that are not attributes."""

_PREFIX = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


@dataclass(frozen=True, kw_only=True, slots=True)
class EntityIds:
    """Entity ids as URNs: ``urn:ngsi-ld:<Type>:<prefix>:<part>[:<part>…]``.

    The prefix is the city's (a municipality code or name, from the settings); each part is
    percent-encoded, so a field id with spaces or colons still makes one unambiguous URN.
    """

    prefix: str

    def __post_init__(self) -> None:
        if not _PREFIX.fullmatch(self.prefix):
            raise ValueError(
                f"id prefix {self.prefix!r}: 1-64 letters, digits, '.', '_' or '-', "
                "starting with a letter or digit"
            )

    def type_prefix(self, entity_type: str) -> str:
        """What every id of ``entity_type`` under this prefix starts with."""
        return f"urn:ngsi-ld:{entity_type}:{self.prefix}:"

    def urn(self, entity_type: str, *parts: str) -> str:
        """The id of an entity of ``entity_type`` named by ``parts``."""
        if not parts or not all(parts):
            raise ValueError(f"{entity_type}: an entity id needs non-empty parts")
        return self.type_prefix(entity_type) + ":".join(quote(p, safe="-._~") for p in parts)


def date_time(moment: datetime | date) -> str:
    """An ISO 8601 UTC time (``…Z``); a date is its midnight UTC, so its day reads the same
    everywhere the UTC time is read.

    Raises
    ------
    ValueError
        A time without a zone.
    """
    if not isinstance(moment, datetime):
        return f"{moment.isoformat()}T00:00:00Z"
    if moment.tzinfo is None:
        raise ValueError(f"{moment.isoformat()} has no time zone")
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def prop(
    value: Any, *, unit_code: str | None = None, observed_at: datetime | None = None
) -> dict[str, Any]:
    """A Property; ``unit_code`` is a UN/CEFACT common code (``CMT`` cm, ``MTK`` m²)."""
    attribute: dict[str, Any] = {"type": "Property", "value": value}
    if unit_code is not None:
        attribute["unitCode"] = unit_code
    if observed_at is not None:
        attribute["observedAt"] = date_time(observed_at)
    return attribute


def date_time_prop(moment: datetime | date) -> dict[str, Any]:
    """A Property holding a time, typed ``DateTime`` as NGSI-LD asks."""
    return prop({"@type": "DateTime", "@value": date_time(moment)})


def rel(target: str | Sequence[str]) -> dict[str, Any]:
    """A Relationship to one entity id, or to several."""
    return {"type": "Relationship", "object": target if isinstance(target, str) else list(target)}


def geojson(geometry: BaseGeometry) -> dict[str, Any]:
    """A shapely geometry (WGS84, lon/lat) as a GeoJSON geometry object."""
    value: dict[str, Any] = json.loads(shapely.to_geojson(geometry))
    return value


def geo(geometry: BaseGeometry) -> dict[str, Any]:
    """A GeoProperty holding a shapely geometry (WGS84, lon/lat)."""
    return {"type": "GeoProperty", "value": geojson(geometry)}


def geo_point(point: GeoPoint) -> dict[str, Any]:
    """A GeoProperty holding a point."""
    return geo(shapely.Point(point.lon_deg, point.lat_deg))


def _plain(attribute: Any) -> Any:
    if not isinstance(attribute, Mapping):
        return attribute
    if attribute.get("type") == "Relationship":
        return attribute.get("object")
    value = attribute.get("value")
    if isinstance(value, Mapping) and value.get("@type") == "DateTime":
        return value.get("@value")
    return value


def key_values(entity: Mapping[str, Any]) -> dict[str, Any]:
    """The key-values view of a normalized entity (what the Smart Data Models' JSON schemas
    describe): each attribute by its value, a relationship by its target, no ``@context``."""
    return {
        name: attribute if name in ("id", "type") else _plain(attribute)
        for name, attribute in entity.items()
        if name != "@context"
    }
