"""The failsafes, as ArduPilot Copter runs them: battery, ground station, geofence, EKF, crash.

Checked ten times a simulated second after the flight model's steps (no wall clock):

* **Battery** (AP_BattMonitor, Copter's ``handle_battery_failsafe``): only while armed;
  low, then critical, never back. "Battery 1 is low 43.10V used 15400 mAh", then
  BATT_FS_LOW_ACT or BATT_FS_CRT_ACT, unless an action of higher priority has already
  been taken (terminate, LAND, RTL, SmartRTL-or-LAND, SmartRTL, none: ArduPilot's order).
* **Ground station** (``failsafe_gcs_check``): once a HEARTBEAT from system SYSID_MYGCS
  has been seen, FS_GCS_TIMEOUT seconds without one set off FS_GCS_ENABLE's action;
  disarmed it is only announced; FS_OPTIONS bit 1 (2) lets AUTO carry on, bit 3 (8) a
  landing. "GCS Failsafe Cleared" when heartbeats return; the mode is not changed back.
* **Geofence** (``fence_check``): a new breach of an enabled fence, "<fences> breached",
  then FENCE_ACTION: RTL (LAND if RTL cannot be entered), LAND more than 100 m out,
  disarm when on the ground. Arming is refused while outside an enabled fence.
* **EKF** (``ekf_check``): once the GPS is lost the EKF dead-reckons for
  :data:`DEAD_RECKONING_S` seconds, then has no position; after one more second of that
  (ten failing checks) "EKF variance" and, in a mode that needs a position (or in any
  with FS_EKF_ACTION 3), LAND: "EKF Failsafe: changed to LAND Mode". FS_EKF_THRESH 0
  turns it off.
* **Crash** (``crash_check``): armed, FS_CRASH_CHECK on, the attitude more than 30° from
  the one wanted, leaning over 15°, slower than 10 m/s and accelerating less than
  3 m/s² for two seconds: "Crash: Disarming", and it disarms.

Every failsafe that goes off stops the sprayer (pump off, tank no longer draining, the
switch logged), whatever its action: spraying on the way home drifts pesticide over
whatever lies under the route. It stays off until commanded on again. Each is logged
in :attr:`VehicleState.failsafe_log` with what the vehicle did.

Where ArduPilot would use a mode the simulator does not have, the nearest one stands
in (:mod:`sim.failsafe_actions`): SmartRTL is flown as RTL (both fly home), AltHold as
LAND (ArduPilot lands when AltHold cannot be entered), a DO_LAND_START jump as RTL. The
geofence's part is :mod:`sim.fence_failsafe`.
"""

import math
from collections.abc import Callable

from sim.autopilot import NEEDS_POSITION, Autopilot
from sim.battery_monitor import BatteryMonitor, BatterySettings
from sim.failsafe_actions import GCS_ACTIONS, FailsafeAction, Responder, priority
from sim.fence_failsafe import FenceFailsafe
from sim.flight import FlightController
from sim.mission_transfer import MissionStore
from sim.params import ParamTable
from sim.state import BatteryLevel, CopterMode, FailsafeKind, VehicleState
from sim.wire import Message, Send, mavlink

__all__ = ["CHECK_PERIOD_S", "DEAD_RECKONING_S", "FailsafeService"]

CHECK_PERIOD_S = 0.1
"""Simulated seconds between two rounds of checks (ArduPilot checks at about 10 Hz)."""

DEAD_RECKONING_S = 7.0
"""Seconds the EKF keeps a position after losing the GPS (EKF3 without airspeed or drag
fusion falls back to no aiding after about 7 s: ArduPilot PR 20729); with the one-second
EKF check the LAND comes about 8 s after the loss (SITL: "about 10 seconds", issue 5428)."""

_EKF_CHECKS = 10  # failing checks in a row before the EKF failsafe (EKF_CHECK_ITERATIONS_MAX)
_CRASH_S = 2.0  # CRASH_CHECK_TRIGGER_SEC
_CRASH_ANGLE_ERROR_DEG = 30.0
_CRASH_LEAN_DEG = 15.0
_CRASH_SPEED_M_S = 10.0
_CRASH_ACCEL_M_S2 = 3.0
_ACCEL_FILTER_HZ = 1.0
_GCS_CONTINUE_IF_AUTO = 2  # FS_OPTIONS bits
_CONTINUE_IF_LANDING = 8
_LAND_PRIORITY = priority(FailsafeAction.LAND)


class FailsafeService:
    """Watches the vehicle after every step of the flight model and acts as ArduPilot would.

    Parameters
    ----------
    state
        The vehicle's state: read, and written with the failsafes' flags and log.
    params
        BATT_*, FS_*, FENCE_*, SYSID_MYGCS, read at each check.
    store
        Where the uploaded fence is kept.
    autopilot
        Mode changes and disarming; the battery and fence pre-arm checks are added to it.
    flight
        The flight controller: its position estimate, payload and landing pause; this
        service is stepped from its :attr:`~sim.flight.FlightController.after_step`.
    send
        Hands STATUSTEXT to the endpoint.
    """

    def __init__(
        self,
        state: VehicleState,
        params: ParamTable,
        store: MissionStore,
        autopilot: Autopilot,
        flight: FlightController,
        send: Send,
    ) -> None:
        self.state = state
        self._params = params
        self._respond = Responder(state, autopilot, flight, send)
        self.battery = BatteryMonitor()
        self.fence = FenceFailsafe(params, store, self._respond)
        self._gcs_seen_s: float | None = None
        self._gps_lost_s: float | None = None
        self._ekf_failures = 0
        self._ekf_acted = False
        self._crash_s = 0.0
        self._accel_m_s2 = 0.0
        self._velocity: tuple[float, float, float] | None = None
        self._highest = priority(-1) + 1  # no battery action taken yet
        self._since_check_s = 0.0
        self.handlers: dict[str, Callable[[Message], None]] = {
            "HEARTBEAT": lambda msg: self.heartbeat(msg, self.state.time_s),
        }
        autopilot.prearm_checks.append(self.prearm_failure)
        flight.after_step.append(self.update)

    def battery_replaced(self) -> None:
        """A fresh battery went in (on the ground, disarmed): the latched battery level and
        its action are forgotten, as after the power cycle a real swap is."""
        self.state.battery_failsafe = BatteryLevel.NONE
        self.battery.reset()
        self._highest = priority(-1) + 1

    # -- inputs --------------------------------------------------------------------------

    def heartbeat(self, msg: Message, time_s: float) -> None:
        """A HEARTBEAT arrived at simulated ``time_s``: from our ground station (system
        SYSID_MYGCS, as ArduPilot's ``handle_heartbeat`` checks) it resets the timeout."""
        if msg.get_srcSystem() == int(self._params.get("SYSID_MYGCS")):
            self._gcs_seen_s = time_s

    def update(self, dt_s: float) -> None:
        """``dt_s`` more simulated seconds have passed: check again when a period is up."""
        self._since_check_s += dt_s
        if self._since_check_s < CHECK_PERIOD_S - 1e-9:
            return
        period = self._since_check_s
        self._since_check_s = 0.0
        self._dead_reckoning()
        self.fence.check()
        self._check_battery()
        self._check_gcs()
        self._check_ekf()
        self._check_crash(period)

    def _option(self, bit: int) -> bool:
        return bool(int(self._params.get("FS_OPTIONS")) & bit)

    # -- battery -------------------------------------------------------------------------

    def _battery_settings(self) -> BatterySettings:
        p = self._params.get
        return BatterySettings(
            low_v=p("BATT_LOW_VOLT"), critical_v=p("BATT_CRT_VOLT"), low_mah=p("BATT_LOW_MAH"),
            critical_mah=p("BATT_CRT_MAH"), timer_s=p("BATT_LOW_TIMER"),
            capacity_mah=p("BATT_CAPACITY"),
        )  # fmt: skip

    def _battery_voltage(self) -> float:
        s = self.state
        if self._params.get("BATT_FS_VOLTSRC") == 1.0:  # sag compensated: the resting voltage
            return s.battery_v + s.battery_a * s.config.airframe.internal_ohm
        return s.battery_v

    def _check_battery(self) -> None:
        s, r = self.state, self._respond
        if not s.armed or self._params.get("BATT_MONITOR") == 0.0:
            self.battery.reset()
            return
        voltage = self._battery_voltage()
        level = self.battery.update(
            voltage_v=voltage, consumed_mah=s.battery_mah, now_s=s.time_s,
            settings=self._battery_settings(),
        )  # fmt: skip
        if level <= s.battery_failsafe:
            return
        s.battery_failsafe = level
        low = level == BatteryLevel.LOW
        word = "low" if low else "critical"
        r.text(f"Battery 1 is {word} {voltage:.2f}V used {s.battery_mah:.0f} mAh")
        kind = FailsafeKind.BATTERY_LOW if low else FailsafeKind.BATTERY_CRITICAL
        r.stop_spraying()
        action = int(self._params.get("BATT_FS_LOW_ACT" if low else "BATT_FS_CRT_ACT"))
        if priority(action) > self._highest:  # a more urgent action is already under way
            r.log(kind, "none")
            return
        self._highest = priority(action)
        if r.should_disarm:
            r.autopilot.disarm()
            r.announce("Battery", "Disarming")
            r.log(kind, "disarm")
            return
        if r.landing and self._option(_CONTINUE_IF_LANDING) and action:
            r.announce("Battery", "Continuing Landing")
            action = FailsafeAction.LAND
        else:
            r.announce("Battery")
        r.log(kind, r.do_action(action))

    # -- ground station ------------------------------------------------------------------

    def _check_gcs(self) -> None:
        s, r = self.state, self._respond
        enable = int(self._params.get("FS_GCS_ENABLE"))
        if enable == 0 or self._gcs_seen_s is None:
            return
        silent_s = s.time_s - self._gcs_seen_s
        timeout_s = max(0.0, self._params.get("FS_GCS_TIMEOUT"))
        if silent_s < timeout_s and s.gcs_failsafe:
            s.gcs_failsafe = False
            r.text("GCS Failsafe Cleared")
            r.log(FailsafeKind.GCS, "cleared")
        elif silent_s > timeout_s and not s.gcs_failsafe:
            s.gcs_failsafe = True
            self._gcs_lost(GCS_ACTIONS.get(enable, FailsafeAction.RTL))

    def _gcs_lost(self, action: int) -> None:
        s, r = self.state, self._respond
        r.stop_spraying()
        if not s.armed:
            r.announce("GCS")
            r.log(FailsafeKind.GCS, "none")
            return
        if r.should_disarm:
            r.autopilot.disarm()
            r.announce("GCS", "Disarming")
            r.log(FailsafeKind.GCS, "disarm")
            return
        battery_landing = s.battery_failsafe and self._highest <= _LAND_PRIORITY
        if r.landing and battery_landing:
            r.announce("GCS + Battery", "Continuing Landing")
            action = FailsafeAction.LAND
        elif r.landing and self._option(_CONTINUE_IF_LANDING):
            r.announce("GCS", "Continuing Landing")
            action = FailsafeAction.LAND
        elif s.mode == CopterMode.AUTO and self._option(_GCS_CONTINUE_IF_AUTO):
            r.announce("GCS", "Continuing Auto Mode")
            action = FailsafeAction.NONE
        else:
            r.announce("GCS")
        r.log(FailsafeKind.GCS, r.do_action(action))

    # -- EKF -----------------------------------------------------------------------------

    def _dead_reckoning(self) -> None:
        s = self.state
        if not s.gps_lost:
            self._gps_lost_s = None
            s.position_lost = False
            return
        if self._gps_lost_s is None:
            self._gps_lost_s = s.time_s
        s.position_lost = s.time_s - self._gps_lost_s > DEAD_RECKONING_S

    def _check_ekf(self) -> None:
        s = self.state
        if not s.armed or self._params.get("FS_EKF_THRESH") <= 0.0:
            self._ekf_failures = 0
            self._ekf_cleared()
            return
        if not s.position_lost:
            if self._ekf_failures > 0:
                self._ekf_failures -= 1
                if self._ekf_failures == 0:
                    self._ekf_cleared()
            return
        if self._ekf_failures >= _EKF_CHECKS:
            return
        self._ekf_failures += 1
        if self._ekf_failures == _EKF_CHECKS:
            self._respond.text("EKF variance", mavlink.MAV_SEVERITY_CRITICAL)
            self._ekf_lost()

    def _ekf_lost(self) -> None:
        s, r = self.state, self._respond
        if s.ekf_failsafe:
            return
        s.ekf_failsafe = True
        r.stop_spraying()
        if s.mode == CopterMode.LAND:  # it lands on, without a position, as ArduPilot does
            r.log(FailsafeKind.EKF, "LAND")
            return
        land_anywhere = int(self._params.get("FS_EKF_ACTION")) == 3
        if s.mode not in NEEDS_POSITION and not land_anywhere:
            r.log(FailsafeKind.EKF, "none")
            return
        r.land_with_pause()  # FS_EKF_ACTION 2 (AltHold) too: there is no AltHold here
        self._ekf_acted = True
        r.text(f"EKF Failsafe: changed to {s.mode.name} Mode", mavlink.MAV_SEVERITY_CRITICAL)
        r.log(FailsafeKind.EKF, s.mode.name)

    def _ekf_cleared(self) -> None:
        s, r = self.state, self._respond
        if not s.ekf_failsafe:
            return
        s.ekf_failsafe = False
        if self._ekf_acted:
            self._ekf_acted = False
            r.text("EKF Failsafe Cleared", mavlink.MAV_SEVERITY_CRITICAL)
        r.log(FailsafeKind.EKF, "cleared")

    # -- crash ---------------------------------------------------------------------------

    def _check_crash(self, period_s: float) -> None:
        s, r = self.state, self._respond
        velocity = (s.vn_m_s, s.ve_m_s, s.vd_m_s)
        if self._velocity is not None:  # the acceleration, through a 1 Hz low-pass filter
            accel = math.dist(velocity, self._velocity) / period_s
            alpha = period_s / (period_s + 1.0 / (2.0 * math.pi * _ACCEL_FILTER_HZ))
            self._accel_m_s2 += alpha * (accel - self._accel_m_s2)
        self._velocity = velocity
        if not s.armed or self._params.get("FS_CRASH_CHECK") == 0.0:
            self._crash_s = 0.0
            return
        cos_lean = math.cos(math.radians(s.roll_deg)) * math.cos(math.radians(s.pitch_deg))
        lean = math.degrees(math.acos(max(-1.0, min(1.0, cos_lean))))
        if (
            self._accel_m_s2 >= _CRASH_ACCEL_M_S2
            or lean <= _CRASH_LEAN_DEG
            or s.attitude_error_deg <= _CRASH_ANGLE_ERROR_DEG
            or math.dist(velocity, (0.0, 0.0, 0.0)) >= _CRASH_SPEED_M_S
        ):
            self._crash_s = 0.0
            return
        self._crash_s += period_s
        if self._crash_s < _CRASH_S - 1e-9:
            return
        r.text(
            f"Crash: Disarming: AngErr={s.attitude_error_deg:.0f}>{_CRASH_ANGLE_ERROR_DEG:.0f},"
            f" Accel={self._accel_m_s2:.1f}<{_CRASH_ACCEL_M_S2:.1f}",
            mavlink.MAV_SEVERITY_EMERGENCY,
        )
        r.autopilot.disarm(force=True)
        r.stop_spraying()
        self._crash_s = 0.0
        r.log(FailsafeKind.CRASH, "disarm")

    # -- pre-arm -------------------------------------------------------------------------

    def prearm_failure(self) -> str | None:
        """Why the battery or the fence stop arming (ArduPilot's words), or None."""
        s = self.state
        p = self._params.get
        if p("BATT_MONITOR") != 0.0:
            arm_v = p("BATT_ARM_VOLT")
            if arm_v > 0.0 and s.battery_v < arm_v:
                return "Battery 1 below minimum arming voltage"
            reason = BatteryMonitor.arming_failure(
                voltage_v=self._battery_voltage(), consumed_mah=s.battery_mah,
                settings=self._battery_settings(),
            )  # fmt: skip
            if reason is not None:
                return f"Battery 1 {reason}"
        return self.fence.prearm_failure()
