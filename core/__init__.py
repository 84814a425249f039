"""The shared vocabulary every Tanbo package stands on.

Units and MAVLink e7 helpers, geographic points, typed ids, the clock and the
root of the error tree. Nothing here does I/O.
"""

from core.clock import Clock, FakeClock, ScaledClock, SystemClock
from core.errors import TanboError
from core.geo import GeoPoint, LocalPoint
from core.ids import FieldId, OwnerName, ZoneId
from core.units import deg_to_e7, e7_to_deg, ha_to_m2, m2_to_ha

__all__ = [
    "Clock",
    "FakeClock",
    "FieldId",
    "GeoPoint",
    "LocalPoint",
    "OwnerName",
    "ScaledClock",
    "SystemClock",
    "TanboError",
    "ZoneId",
    "deg_to_e7",
    "e7_to_deg",
    "ha_to_m2",
    "m2_to_ha",
]
