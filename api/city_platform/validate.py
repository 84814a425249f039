"""Checking an entity before it is published: the NGSI-LD normalized form, then its Smart
Data Model's JSON schema (rebuilt offline by :mod:`api.city_platform.schemas`).

Two layers, because the schema checks only the key-values view: that ``area`` is a number,
that ``hasAgriCrop`` is there. The normalized form adds what the schema cannot see: each
attribute is the NGSI-LD kind its model says (``hasAgriCrop`` a Relationship, ``location``
a GeoProperty), a relationship points at a URI, an ``observedAt`` is a time. Attributes a
model borrows from another (``waterLevel`` on a paddy's record, from WaterObserved) are
checked against the model they come from. Every problem names its attribute.
"""

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator, FormatChecker, ValidationError

from api.city_platform.errors import InvalidEntity, Problem
from api.city_platform.ngsi import ENTITY_KEYS, key_values
from api.city_platform.schemas import AttributeSpec, DataModel, ModelSchema, model_schema

__all__ = ["check_entity", "entity_problems"]

_FORMATS = FormatChecker(formats=())
_REQUIRED = re.compile(r"^'(.+)' is a required property$")


def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if "T" not in value or datetime.fromisoformat(value).tzinfo is None:
        raise ValueError("not an ISO 8601 date-time with a time zone")
    return True


def _is_date(value: object) -> bool:
    if isinstance(value, str):
        datetime.strptime(value, "%Y-%m-%d")
    return True


def _is_uri(value: object) -> bool:
    return isinstance(value, str) and bool(urlsplit(value).scheme)


def _is_uri_format(value: object) -> bool:
    return not isinstance(value, str) or _is_uri(value)


_FORMATS.checks("date-time", raises=ValueError)(_is_date_time)
_FORMATS.checks("date", raises=ValueError)(_is_date)
_FORMATS.checks("uri")(_is_uri_format)


def _validator(schema: Mapping[str, Any]) -> Draft202012Validator:
    return Draft202012Validator(schema, format_checker=_FORMATS)


def _schema_problem(error: ValidationError, model: str) -> Problem:
    if error.validator == "required" and not error.absolute_path:
        named = _REQUIRED.match(str(error.message))
        missing = named.group(1) if named else "?"
        return Problem(attribute=missing, message=f"required by {model} but missing")
    path = list(error.absolute_path)
    where = str(path[0]) if path else "(entity)"
    inner = "".join(f"[{p!r}]" for p in path[1:])
    return Problem(attribute=where, message=f"{inner + ': ' if inner else ''}{error.message}")


def _form_problems(name: str, attribute: Any, spec: AttributeSpec | None) -> list[Problem]:
    if not isinstance(attribute, Mapping) or attribute.get("type") not in (
        "Property", "GeoProperty", "Relationship",
    ):  # fmt: skip
        return [Problem(attribute=name, message="not a Property, GeoProperty or Relationship")]
    kind = attribute["type"]
    problems = []
    if spec is not None and kind != spec.ngsi_kind:
        problems.append(
            Problem(attribute=name, message=f"must be a {spec.ngsi_kind}, not a {kind}")
        )
    if kind == "Relationship":
        targets = attribute.get("object")
        listed = targets if isinstance(targets, list) else [targets]
        if not listed or not all(_is_uri(t) for t in listed):
            problems.append(Problem(attribute=name, message="a Relationship's object must be URIs"))
    elif attribute.get("value") is None:
        problems.append(Problem(attribute=name, message=f"a {kind} needs a value"))
    if "observedAt" in attribute:
        try:
            _is_date_time(attribute["observedAt"])
        except ValueError:
            problems.append(
                Problem(attribute=name, message="observedAt is not a date-time with a zone")
            )
    return problems


def entity_problems(
    entity: Mapping[str, Any],
    model: DataModel,
    *,
    borrowed: Mapping[str, AttributeSpec] | None = None,
) -> tuple[Problem, ...]:
    """Everything wrong with ``entity`` as a ``model`` in normalized form; empty if nothing.

    ``borrowed`` are attributes taken from other models (name → their spec), checked
    against those; any other attribute the model does not define is left alone, as the
    Smart Data Models allow.
    """
    described: ModelSchema = model_schema(model)
    extra = dict(borrowed or {})
    problems: list[Problem] = []
    if not _is_uri(entity.get("id")):
        problems.append(Problem(attribute="id", message="must be a URI (urn:ngsi-ld:…)"))
    if not entity.get("@context"):
        problems.append(Problem(attribute="@context", message="missing"))
    for name, attribute in entity.items():
        if name not in ENTITY_KEYS:
            spec = described.attributes.get(name) or extra.get(name)
            problems.extend(_form_problems(name, attribute, spec))
    plain = key_values(entity)
    errors = sorted(
        _validator(described.json_schema).iter_errors(plain), key=lambda e: list(e.absolute_path)
    )
    problems.extend(_schema_problem(e, model.name) for e in errors)
    for name, spec in extra.items():
        if name in plain:
            for error in _validator(spec.schema).iter_errors(plain[name]):
                problems.append(Problem(attribute=name, message=error.message))
    unique = {(p.attribute, p.message): p for p in problems}
    return tuple(unique.values())


def check_entity(
    entity: Mapping[str, Any],
    model: DataModel,
    *,
    borrowed: Mapping[str, AttributeSpec] | None = None,
) -> None:
    """Refuse an entity that is not a valid ``model`` in normalized form.

    Raises
    ------
    InvalidEntity
        Naming the entity and, for each problem, the attribute.
    """
    problems = entity_problems(entity, model, borrowed=borrowed)
    if problems:
        raise InvalidEntity(model.name, str(entity.get("id", "(no id)")), problems)
