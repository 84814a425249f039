"""Typed identifiers, so a field id is never passed where a zone id is meant."""

from typing import NewType

__all__ = ["FieldId", "OwnerName", "ZoneId"]

FieldId = NewType("FieldId", str)
"""A field's stable id: the MAFF ``polygon_uuid``, the file's ``id``, or one derived from it."""

ZoneId = NewType("ZoneId", str)
"""A no-spray or no-fly zone's stable id."""

OwnerName = NewType("OwnerName", str)
"""Who a field belongs to (a person or a farm's name until accounts exist)."""
