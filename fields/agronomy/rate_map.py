"""A rate map as read back from a file: polygons and the rate to apply in each.

This is what variable-rate spraying and spreading consume, whoever wrote the file: it
keeps only what a machine needs (where, how much, in which unit, of what), so Tanbo's
own prescriptions and other programs' rate files look the same to the planner.
"""

import math
from dataclasses import dataclass

import shapely
from shapely import MultiPolygon, Polygon

from fields.agronomy.errors import BadPrescription

__all__ = ["RATE_UNITS", "RateMap", "RateZone", "normal_unit"]

RATE_UNITS = ("kg/ha", "L/ha")
"""The rate units Tanbo applies."""

_UNIT_SPELLINGS = {
    "kg/ha": "kg/ha",
    "kg ha-1": "kg/ha",
    "kg_ha": "kg/ha",
    "kgha": "kg/ha",
    "l/ha": "L/ha",
    "l ha-1": "L/ha",
    "l_ha": "L/ha",
    "lha": "L/ha",
}


def normal_unit(text: str, *, where: str) -> str:
    """``"kg/ha"`` or ``"L/ha"`` for the ways files spell them (``KG/HA``, ``l_ha`` …).

    Raises
    ------
    BadPrescription
        Any other unit (``gal/ac``, ``lb/ac`` …), named with ``where``.
    """
    unit = _UNIT_SPELLINGS.get(" ".join(text.split()).lower())
    if unit is None:
        raise BadPrescription(f"{where} {text!r} is not one of {', '.join(RATE_UNITS)}")
    return unit


@dataclass(frozen=True, kw_only=True, slots=True)
class RateZone:
    """One polygon of a rate map: its label, WGS84 geometry and rate (in the map's unit)."""

    label: str
    geometry: Polygon | MultiPolygon
    rate: float
    field_id: str | None = None

    def __post_init__(self) -> None:
        if not (math.isfinite(self.rate) and self.rate >= 0):
            raise BadPrescription(f"zone {self.label}: rate {self.rate}")


@dataclass(frozen=True, kw_only=True, slots=True)
class RateMap:
    """Rate zones read from one file.

    ``unit`` is ``"kg/ha"`` or ``"L/ha"``, or None when neither the file nor the caller
    said; ``product`` is the product's name when known (``"N"`` for a column of kg N/ha).
    """

    source: str
    rate_column: str
    unit: str | None
    product: str | None
    field_ids: tuple[str, ...]
    zones: tuple[RateZone, ...]

    def __post_init__(self) -> None:
        if not self.zones:
            raise BadPrescription(f"{self.source}: no rate zones")
        if self.unit is not None and self.unit not in RATE_UNITS:
            raise BadPrescription(f"{self.source}: unit {self.unit!r}")

    def rate_at(self, lon: float, lat: float) -> float | None:
        """The rate at a WGS84 point, or None outside every zone; on a shared edge, the first."""
        for zone in self.zones:
            if shapely.intersects_xy(zone.geometry, lon, lat):
                return zone.rate
        return None
