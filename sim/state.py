"""What a simulated ArduPilot Copter is doing: mode, arming, position, battery, readiness.

Values only: the endpoint moves ``time_s`` on and reads the rest; nothing here
does I/O or reads a clock.

>>> state = VehicleState.at_start(SimConfig(gps_delay_s=10.0, prearm_delay_s=40.0))
>>> state.home is None, state.prearm_ok
(True, False)
>>> state.time_s = 40.0
>>> state.home is not None, state.prearm_ok
(True, True)
"""

from dataclasses import dataclass, field
from enum import IntEnum, StrEnum

from sim.config import SimConfig
from sim.faults import FaultRecord

__all__ = [
    "BatteryLevel",
    "CopterMode",
    "FailsafeEvent",
    "FailsafeKind",
    "FenceStatus",
    "Home",
    "SprayEvent",
    "VehicleState",
]


class CopterMode(IntEnum):
    """ArduPilot Copter's flight modes, as HEARTBEAT ``custom_mode`` numbers them."""

    STABILIZE = 0
    AUTO = 3
    GUIDED = 4
    LOITER = 5
    RTL = 6
    LAND = 9
    BRAKE = 17


@dataclass(frozen=True, kw_only=True, slots=True)
class Home:
    """Where the vehicle takes off from and returns to; altitude above mean sea level."""

    lat_deg: float
    lon_deg: float
    amsl_m: float


@dataclass(frozen=True, kw_only=True, slots=True)
class SprayEvent:
    """The sprayer switched on or off at ``time_s`` while AUTO flew item ``seq``."""

    time_s: float
    seq: int
    on: bool


class BatteryLevel(IntEnum):
    """A battery failsafe level, as AP_BattMonitor orders them (higher is worse)."""

    NONE = 0
    LOW = 1
    CRITICAL = 2


class FailsafeKind(StrEnum):
    """What set a failsafe off."""

    BATTERY_LOW = "battery-low"
    BATTERY_CRITICAL = "battery-critical"
    GCS = "gcs"
    FENCE = "fence"
    EKF = "ekf"
    CRASH = "crash"


@dataclass(frozen=True, kw_only=True, slots=True)
class FailsafeEvent:
    """A failsafe of ``kind`` at simulated ``time_s``, and what the vehicle did: the mode it
    changed to (``"RTL"``, ``"LAND"``, ``"BRAKE"``), ``"disarm"``, ``"none"`` (nothing, or
    told to carry on), or ``"cleared"`` when the condition went away."""

    time_s: float
    kind: FailsafeKind
    action: str


@dataclass(frozen=True, kw_only=True, slots=True)
class FenceStatus:
    """The geofence as SYS_STATUS and FENCE_STATUS report it (FENCE_TYPE bits: 1 ceiling,
    2 circle, 4 zones)."""

    present: int = 0
    enabled: int = 0
    breaches: int = 0
    breach_count: int = 0
    breach_time_s: float = 0.0


@dataclass(kw_only=True, slots=True)
class VehicleState:
    """The autopilot's state at simulated time ``time_s`` (seconds since start).

    Attributes
    ----------
    lat_deg, lon_deg
        Position as the autopilot estimates it (its EKF), WGS84 degrees: what it reports
        and navigates by.
    true_lat_deg, true_lon_deg
        Where the vehicle really is; differs from the estimate only while the GPS is lost
        (dead reckoning cannot see the wind, so the vehicle drifts with it).
    alt_m
        Altitude above home, metres.
    vn_m_s, ve_m_s, vd_m_s
        Velocity north, east and down, m/s.
    heading_deg
        Degrees clockwise from north.
    roll_deg, pitch_deg, yaw_rate_deg_s
        Attitude, degrees (and deg/s).
    airspeed_m_s, throttle_pct
        Speed through the air (m/s) and throttle output (%).
    battery_v, battery_a, battery_pct, battery_mah
        Battery voltage (V), current drawn (A), remaining charge (%), drawn so far (mAh).
    tank_l, payload_kg
        Spray mix left in the tank (L) and payload carried (kg).
    sprayer_on, servo_pump_pct, pump_pct
        The sprayer switched on (DO_SPRAYER), the pump output set on its servo channel
        (DO_SET_SERVO, %), and the pump's actual output (%).
    cam_trigger_dist_m
        Camera trigger distance (DO_SET_CAM_TRIGG_DIST), m; 0 is off.
    landed_state
        MAV_LANDED_STATE (on ground, taking off, in air, landing).
    spray_log
        Every switch of the sprayer, in order.
    gps_lost, position_lost
        The GPS has no fix (a fault); the EKF has no position any more (dead reckoning ran
        out after the fix was lost).
    battery_failsafe, gcs_failsafe, ekf_failsafe, fence
        The failsafes' states (the battery's level is latched: it never goes back).
    attitude_error_deg
        How far the attitude is from the one wanted, degrees (large only out of control).
    fault_log, failsafe_log
        Every fault injected and cleared, and every failsafe, in order (for scoring
        reaction times; nothing of these is sent over MAVLink).
    """

    config: SimConfig
    time_s: float = 0.0
    armed: bool = False
    mode: CopterMode = CopterMode.STABILIZE
    lat_deg: float = 0.0
    lon_deg: float = 0.0
    alt_m: float = 0.0
    vn_m_s: float = 0.0
    ve_m_s: float = 0.0
    vd_m_s: float = 0.0
    heading_deg: float = 0.0
    roll_deg: float = 0.0
    pitch_deg: float = 0.0
    yaw_rate_deg_s: float = 0.0
    airspeed_m_s: float = 0.0
    throttle_pct: float = 0.0
    battery_v: float = 50.4
    battery_a: float = 0.5
    battery_pct: float = 100.0
    battery_mah: float = 0.0
    tank_l: float = 0.0
    payload_kg: float = 0.0
    sprayer_on: bool = False
    servo_pump_pct: float = 0.0
    pump_pct: float = 0.0
    cam_trigger_dist_m: float = 0.0
    landed_state: int = 1  # MAV_LANDED_STATE_ON_GROUND
    mission_seq: int = 0
    spray_log: list[SprayEvent] = field(default_factory=list)
    true_lat_deg: float = 0.0
    true_lon_deg: float = 0.0
    gps_lost: bool = False
    position_lost: bool = False
    battery_failsafe: BatteryLevel = BatteryLevel.NONE
    gcs_failsafe: bool = False
    ekf_failsafe: bool = False
    fence: FenceStatus = FenceStatus()
    attitude_error_deg: float = 0.0
    fault_log: list[FaultRecord] = field(default_factory=list)
    failsafe_log: list[FailsafeEvent] = field(default_factory=list)

    @classmethod
    def at_start(cls, config: SimConfig) -> "VehicleState":
        """A disarmed vehicle in STABILIZE, standing at home with a full battery and tank."""
        return cls(
            config=config,
            lat_deg=config.home_lat_deg,
            lon_deg=config.home_lon_deg,
            true_lat_deg=config.home_lat_deg,
            true_lon_deg=config.home_lon_deg,
            tank_l=config.airframe.tank_capacity_l if config.tank_l is None else config.tank_l,
            payload_kg=config.payload_kg,
        )

    @property
    def gps_ok(self) -> bool:
        """The GPS has a 3D fix (after start-up, unless it has been lost)."""
        return self.time_s >= self.config.gps_delay_s and not self.gps_lost

    @property
    def position_ok(self) -> bool:
        """The EKF has a position (modes that need one can be entered): from the first fix
        on, unless dead reckoning ran out after losing it."""
        return self.time_s >= self.config.gps_delay_s and not self.position_lost

    @property
    def prearm_ok(self) -> bool:
        """The pre-arm checks pass (MAV_SYS_STATUS_PREARM_CHECK healthy): arming is allowed."""
        return self.gps_ok and self.time_s >= self.config.prearm_delay_s

    @property
    def home(self) -> Home | None:
        """Home, once the GPS has had a fix (ArduPilot sets it then, and keeps it)."""
        if self.time_s < self.config.gps_delay_s:
            return None
        cfg = self.config
        return Home(lat_deg=cfg.home_lat_deg, lon_deg=cfg.home_lon_deg, amsl_m=cfg.home_amsl_m)

    @property
    def amsl_m(self) -> float:
        """Altitude above mean sea level, metres."""
        return self.config.home_amsl_m + self.alt_m

    @property
    def boot_ms(self) -> int:
        """Milliseconds since start, as ``time_boot_ms`` fields carry it (wraps at 2^32)."""
        return int(self.time_s * 1000.0) % 2**32
