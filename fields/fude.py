"""MAFF field polygons (筆ポリゴン): recognise the ministry's layout and map it.

The open data carries ``polygon_uuid`` (the stable id), ``land_type`` (100 田 paddy,
200 畑 upland), ``local_government_cd`` (the municipality), a representative point
``point_lat``/``point_lng`` and the polygon's lineage (``last_polygon_uuid``,
``prev_last_polygon_uuid``, ``history``) across yearly releases.

>>> is_fude({"polygon_uuid": "x", "land_type": 100, "local_government_cd": "282201"})
True
>>> land_use_of(100), land_use_of(200), land_use_of(999)
(<LandUse.PADDY: 'paddy'>, <LandUse.UPLAND: 'upland'>, None)
"""

import contextlib
import json
from collections.abc import Mapping
from typing import Any

from fields.model import LandUse

__all__ = ["is_fude", "land_use_of", "lineage", "municipality_code", "representative_point"]

_MARKERS = ("polygon_uuid", "land_type", "local_government_cd")
_LAND_TYPES = {100: LandUse.PADDY, 200: LandUse.UPLAND}


def is_fude(properties: Mapping[str, Any]) -> bool:
    """Whether a feature's attributes follow the MAFF 筆ポリゴン layout."""
    return all(key in properties for key in _MARKERS)


def land_use_of(land_type: Any) -> LandUse | None:
    """The land use for a MAFF ``land_type`` code (100 paddy, 200 upland)."""
    try:
        return _LAND_TYPES.get(int(land_type))
    except (TypeError, ValueError):
        return None


def municipality_code(properties: Mapping[str, Any]) -> str | None:
    """The 6-digit local government code, zero-padded as the ministry writes it."""
    code = properties.get("local_government_cd")
    if code is None:
        return None
    text = str(int(code)) if isinstance(code, int | float) else str(code).strip()
    return text.zfill(6) if text.isdigit() else None


def representative_point(properties: Mapping[str, Any]) -> tuple[float, float] | None:
    """The ministry's (lon, lat) point inside the polygon, if present and numeric."""
    try:
        return float(properties["point_lng"]), float(properties["point_lat"])
    except (KeyError, TypeError, ValueError):
        return None


def lineage(properties: Mapping[str, Any]) -> set[str]:
    """Earlier polygon ids of the same field in previous releases.

    >>> history = '[{"筆ポリゴンID": "b"}, [{"筆ポリゴンID": "c"}]]'
    >>> sorted(lineage({"last_polygon_uuid": "a", "history": history}))
    ['a', 'b', 'c']
    """
    ids = {
        str(properties[key])
        for key in ("last_polygon_uuid", "prev_last_polygon_uuid")
        if properties.get(key)
    }
    history = properties.get("history")
    if isinstance(history, str) and history.strip():
        with contextlib.suppress(json.JSONDecodeError):
            history = json.loads(history)
    ids |= set(_ids_in(history))  # as published (text), or already parsed by a GeoJSON reader
    ids.discard(str(properties.get("polygon_uuid")))
    return ids


def _ids_in(node: Any) -> list[str]:
    if isinstance(node, list):
        return [i for item in node for i in _ids_in(item)]
    if isinstance(node, dict):
        value = node.get("筆ポリゴンID")
        return [str(value)] if value else []
    return []
