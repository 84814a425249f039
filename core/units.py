"""Unit conversions, and the MAVLink 1e7 integer degrees used only at the edges.

>>> deg_to_e7(34.9283)
349283000
>>> e7_to_deg(349283000)
34.9283
>>> m2_to_ha(12_500.0)
1.25
"""

__all__ = ["M2_PER_HA", "deg_to_e7", "e7_to_deg", "ha_to_m2", "m2_to_ha"]

M2_PER_HA = 10_000.0


def deg_to_e7(deg: float) -> int:
    """Degrees to MAVLink's integer 1e-7 degrees, rounded to the nearest."""
    return round(deg * 1e7)


def e7_to_deg(e7: int) -> float:
    """MAVLink's integer 1e-7 degrees to degrees."""
    return e7 / 1e7


def m2_to_ha(area_m2: float) -> float:
    """Square metres to hectares."""
    return area_m2 / M2_PER_HA


def ha_to_m2(area_ha: float) -> float:
    """Hectares to square metres."""
    return area_ha * M2_PER_HA
