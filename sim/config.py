"""How one simulated vehicle is set up: where it stands, its ids, its timings.

Defaults are ArduPilot Copter SITL's as observed: a position about 10 s after
start, arming allowed (the pre-arm bit set) about 40 s after start, uploads
re-requested every second and abandoned after 8 s of silence.

>>> port_for(5760, 2)
5780
"""

import math
from dataclasses import dataclass, field
from enum import StrEnum

from sim.energy import Airframe

__all__ = ["BASE_PORT", "MissionCapacity", "MissionRequest", "SimConfig", "port_for"]

BASE_PORT = 5760
"""ArduPilot SITL's first TCP port; vehicle ``i`` listens on ``BASE_PORT + 10 * i``."""


def port_for(base_port: int, index: int) -> int:
    """The TCP port of vehicle ``index`` (from 0), as SITL numbers its instances."""
    return base_port + 10 * index


class MissionRequest(StrEnum):
    """Which message the vehicle asks for items with during an upload."""

    LEGACY = "MISSION_REQUEST"
    """What ArduPilot 4.x sends (ground stations answer it with MISSION_ITEM_INT)."""
    INT = "MISSION_REQUEST_INT"
    """What the current MAVLink specification asks for."""


@dataclass(frozen=True, kw_only=True, slots=True)
class MissionCapacity:
    """The most items each list holds; a longer upload is refused with NO_SPACE."""

    mission: int = 700
    fence: int = 100
    rally: int = 20

    def __post_init__(self) -> None:
        for name in ("mission", "fence", "rally"):
            if getattr(self, name) < 1:
                raise ValueError(f"capacity {name} = {getattr(self, name)} must be at least 1")


@dataclass(frozen=True, kw_only=True, slots=True)
class SimConfig:
    """One simulated ArduPilot Copter.

    Times are simulated seconds since start (``speedup`` times faster than the
    wall clock) except the transfer timeouts, which belong to the link and run on
    the wall clock. The wind blows ``wind_m_s`` from ``wind_from_deg`` (clockwise
    from north); the tank starts with ``tank_l`` litres (None: full) and the vehicle
    carries ``payload_kg``. The GPS fix wanders ``gps_noise_m`` (one standard deviation
    per horizontal axis) about the true position, reproducibly from ``seed`` (see
    :mod:`sim.gps`).
    """

    home_lat_deg: float = 34.9283
    home_lon_deg: float = 134.8414
    home_amsl_m: float = 50.0
    system_id: int = 1
    host: str = "127.0.0.1"
    port: int = BASE_PORT
    """TCP port to listen on; 0 lets the system choose (read it back from ``SimVehicle.port``)."""
    speedup: float = 1.0
    gps_delay_s: float = 10.0
    """Simulated seconds from start until a 3D fix, a position and home."""
    prearm_delay_s: float = 40.0
    """Simulated seconds from start until the pre-arm checks pass."""
    mission_request: MissionRequest = MissionRequest.LEGACY
    mission_capacity: MissionCapacity = MissionCapacity()
    item_retry_s: float = 1.0
    """Wall seconds before an upload request with no answer is sent again."""
    upload_timeout_s: float = 8.0
    """Wall seconds of silence after which an upload is abandoned (OPERATION_CANCELLED)."""
    wind_m_s: float = 0.0
    wind_from_deg: float = 0.0
    airframe: Airframe = field(default_factory=Airframe)
    tank_l: float | None = None
    payload_kg: float = 0.0
    ground_crew_s: float | None = None
    """Simulated seconds a vehicle stands disarmed on the ground before a crew refills its
    tank and swaps its battery (:mod:`sim.ground_crew`); None (as in ArduPilot SITL):
    nobody comes."""
    gps_noise_m: float = 0.5
    """GPS error, metres, one sigma per horizontal axis: a u-blox M8/M9 class receiver with
    SBAS in open sky. Only GPS_RAW_INT carries it; navigation uses the EKF's estimate."""
    seed: int = 0
    """Seeds the vehicle's random numbers (with its system id, so vehicles differ)."""

    def __post_init__(self) -> None:
        checks = {
            "home_lat_deg": -90.0 <= self.home_lat_deg <= 90.0,
            "home_lon_deg": -180.0 <= self.home_lon_deg <= 180.0,
            "system_id": 1 <= self.system_id <= 255,
            "port": 0 <= self.port <= 65535,
            "speedup": self.speedup > 0.0,
            "gps_delay_s": self.gps_delay_s >= 0.0,
            "prearm_delay_s": self.prearm_delay_s >= 0.0,
            "item_retry_s": self.item_retry_s > 0.0,
            "upload_timeout_s": self.upload_timeout_s > self.item_retry_s,
            "wind_m_s": math.isfinite(self.wind_m_s) and self.wind_m_s >= 0.0,
            "tank_l": self.tank_l is None or 0.0 <= self.tank_l <= self.airframe.tank_capacity_l,
            "payload_kg": math.isfinite(self.payload_kg) and self.payload_kg >= 0.0,
            "ground_crew_s": self.ground_crew_s is None or self.ground_crew_s >= 0.0,
            "gps_noise_m": math.isfinite(self.gps_noise_m) and self.gps_noise_m >= 0.0,
        }
        for name, ok in checks.items():
            if not ok:
                raise ValueError(f"{name} = {getattr(self, name)} is out of range")
