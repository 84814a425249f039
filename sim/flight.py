"""The flight controller: each mode's behaviour, the flight model stepped, and what it costs.

Every step the active task (AUTO's current mission command, GUIDED's take-off or
target, RTL's climb-return-loiter-land, LAND's descent, or holding position in
the other modes) gives the position controller a goal; :func:`sim.physics.fly`
moves the vehicle; the battery and the tank drain; the state the telemetry reads
is written. Touching down at the end of a landing disarms, as ArduPilot does (in AUTO
the mission decides: :mod:`sim.mission_run`). The sprayer stops on entering RTL or LAND
and on disarming; disarming resets the mission (AP_Arming_Copter::disarm), and in AUTO a
vehicle left armed on the ground disarms after DISARM_DELAY (10 s). In AUTO the heading
is the mission's (:mod:`sim.auto_yaw`) where it sets one.

Faults change the flying: a gust adds to the wind; a quadcopter that has lost a motor
tumbles down (:func:`sim.physics.tumble`) whatever it was doing; while the GPS is lost
the vehicle flies on its EKF's dead-reckoned position, which cannot see the wind, so
it really drifts downwind of where it believes it is (:attr:`VehicleState.true_lat_deg`)
until a fix returns and the estimate jumps back to the truth. The failsafes and the
fault timers are told of every step through :attr:`FlightController.after_step`.

Simulated time is advanced in steps of at most :data:`MAX_STEP_S`, so the result does
not depend on how often the endpoint's loop runs or how fast ``speedup`` makes it.
"""

import math
from collections.abc import Callable
from dataclasses import replace

from sim.auto_actions import AutoActions
from sim.commands import CommandRequest, CommandService
from sim.config import SimConfig
from sim.energy import Battery, current_a, drain_tank, spray_flow_l_min, throttle_pct
from sim.mission_items import MissionKind
from sim.mission_run import MissionRunner, NavSettings
from sim.mission_transfer import MissionStore
from sim.nav import Climb, FlyTo, Hover, Land, RtlSettings, Task, rtl
from sim.params import ParamTable
from sim.payload import PayloadService
from sim.physics import CALM, Goal, Limits, LocalFrame, Motion, Wind, fly, tumble
from sim.state import CopterMode, VehicleState
from sim.wire import Message, Send, mavlink

__all__ = ["DISARM_DELAY_S", "MAX_STEP_S", "FlightController"]

MAX_STEP_S = 0.05
"""The longest step of simulated time the flight model takes, seconds."""

DISARM_DELAY_S = 10.0
"""Armed on the ground this long in AUTO, the vehicle disarms (DISARM_DELAY), seconds."""

_G = 9.80665
_DRAG_PER_S = 0.5  # lean per airspeed: tan(lean) = drag * v / g
_FALLING = Limits(descent_m_s=20.0, accel_z_m_s2=_G)
_TUMBLING_DEG = 60.0  # the attitude of a quadcopter spinning down on three motors
_TIPPED_DEG = 90.0  # lying on its side after it came down
ACCEPTED = int(mavlink.MAV_RESULT_ACCEPTED)
FAILED = int(mavlink.MAV_RESULT_FAILED)


class FlightController:
    """Flies one simulated Copter.

    Parameters
    ----------
    state
        The vehicle's state: read for mode and arming, written with position,
        attitude, battery and tank.
    params
        WPNAV_*, RTL_*, LAND_*, BATT_CAPACITY, SPRAY_* are read as they are now.
    store
        The stored mission AUTO flies.
    send
        Hands MISSION_CURRENT, MISSION_ITEM_REACHED and STATUSTEXT to the endpoint.
    config
        Home, the wind and the airframe.
    change_mode
        The autopilot's mode change (for the commands that switch mode).
    commands
        Where the flight commands are registered; None for a controller driven directly.
    """

    def __init__(
        self,
        state: VehicleState,
        params: ParamTable,
        store: MissionStore,
        send: Send,
        config: SimConfig,
        change_mode: Callable[[int], int],
        commands: CommandService | None = None,
    ) -> None:
        self.state = state
        self._params = params
        self._store = store
        self._send = send
        self._config = config
        self._change_mode = change_mode
        self.frame = LocalFrame(lat0_deg=config.home_lat_deg, lon0_deg=config.home_lon_deg)
        self.wind = Wind(speed_m_s=config.wind_m_s, from_deg=config.wind_from_deg)
        self.motion = Motion()
        self.payload = PayloadService(state, params, commands)
        self.actions = AutoActions(self, store, send, change_mode)
        self.runner = MissionRunner(store, self.actions, lambda: self.state.time_s)
        self.task: Task | None = None
        """What the vehicle does in the modes other than AUTO."""
        self.speed_m_s: float | None = None
        """DO_CHANGE_SPEED's horizontal speed, m/s (None: WPNAV_SPEED)."""
        self.climb_m_s: float | None = None
        """DO_CHANGE_SPEED's climb speed, m/s (None: WPNAV_SPEED_UP)."""
        self.descent_m_s: float | None = None
        """DO_CHANGE_SPEED's descent speed, m/s (None: WPNAV_SPEED_DN)."""
        self.gust: Wind = CALM
        """Wind on top of the steady wind (a fault)."""
        self.motor_failed = False
        """A motor has stopped and the frame cannot fly without it (a fault)."""
        self.tipped_over = False
        """It came down out of control and lies on its side."""
        self.land_pause_s = 0.0
        """Seconds the next LAND holds its height before descending (failsafes set it)."""
        self.after_step: list[Callable[[float], None]] = []
        """Called with the step's length after every step (failsafes, fault timers)."""
        self._drift_n_m = self._drift_e_m = 0.0  # truth less the EKF's dead-reckoned estimate
        self._was_armed = False
        self._grounded_s = 0.0  # armed on the ground in AUTO this long
        if commands is not None:
            for command, handler in {
                mavlink.MAV_CMD_NAV_TAKEOFF: self._takeoff,
                mavlink.MAV_CMD_NAV_LAND: lambda r: change_mode(CopterMode.LAND),
                mavlink.MAV_CMD_NAV_RETURN_TO_LAUNCH: lambda r: change_mode(CopterMode.RTL),
                mavlink.MAV_CMD_MISSION_START: self._mission_start,
                mavlink.MAV_CMD_DO_CHANGE_SPEED: lambda r: self.change_speed(*r.params[:2]),
                mavlink.MAV_CMD_DO_LAND_START: self.actions.land_start_command,
                mavlink.MAV_CMD_DO_SET_HOME: self.actions.set_home_command,
            }.items():
                commands.register(command, handler)
        self.handlers: dict[str, Callable[[Message], None]] = {
            "SET_POSITION_TARGET_GLOBAL_INT": self._position_target,
        }

    # -- settings from the parameters ---------------------------------------------------

    def limits(self) -> Limits:
        """The WPNAV_* limits in SI units, with DO_CHANGE_SPEED's speeds where set."""
        p = self._params.get
        return Limits(
            speed_m_s=self.speed_m_s or p("WPNAV_SPEED") / 100.0,
            climb_m_s=self.climb_m_s or p("WPNAV_SPEED_UP") / 100.0,
            descent_m_s=self.descent_m_s or p("WPNAV_SPEED_DN") / 100.0,
            accel_m_s2=p("WPNAV_ACCEL") / 100.0,
        )

    def nav_settings(self) -> NavSettings:
        """What AUTO and RTL need from the parameters, in SI units."""
        p = self._params.get
        radius_m = max(p("WPNAV_RADIUS") / 100.0, 0.05)
        rtl_speed = p("RTL_SPEED") or p("WPNAV_SPEED")
        fenced = p("FENCE_ENABLE") == 1.0 and int(p("FENCE_TYPE")) & 1
        ceiling = p("FENCE_ALT_MAX") - p("FENCE_MARGIN") if fenced else None
        home = self.state.config  # DO_SET_HOME moves it
        home_n, home_e = self.frame.to_local(home.home_lat_deg, home.home_lon_deg)
        return NavSettings(
            frame=self.frame,
            home_amsl_m=home.home_amsl_m,
            radius_m=radius_m,
            accel_m_s2=p("WPNAV_ACCEL") / 100.0,
            speed_m_s=self.speed_m_s or p("WPNAV_SPEED") / 100.0,
            mis_options=int(p("MIS_OPTIONS")),
            rtl=RtlSettings(
                alt_m=p("RTL_ALT") / 100.0,
                speed_m_s=rtl_speed / 100.0,
                loiter_s=p("RTL_LOIT_TIME") / 1000.0,
                radius_m=radius_m,
                land_fast_m_s=(p("LAND_SPEED_HIGH") or p("WPNAV_SPEED_DN")) / 100.0,
                land_slow_m_s=max(p("LAND_SPEED"), 30.0) / 100.0,
                ceiling_m=ceiling,
                home_north_m=home_n,
                home_east_m=home_e,
            ),
        )

    # -- modes ---------------------------------------------------------------------------

    def enter_mode(self, mode: CopterMode) -> str | None:
        """Set up ``mode``'s behaviour; a reason to refuse it, or None (the autopilot's hook)."""
        s, m = self.state, self.motion
        airborne = not m.on_ground
        if mode == CopterMode.AUTO:
            restart = self.runner.complete or self._params.get("MIS_RESTART") == 1.0
            first = s.mission_seq if self.actions.take_resume() or not restart else 1
            if s.armed and self._store.count(MissionKind.MISSION) <= 1:
                return "Mode change to AUTO failed: init failed"
            if s.armed and not airborne and not self.runner.starts_with_takeoff(first):
                return "Auto: Missing Takeoff Cmd"
            self.speed_m_s = self.climb_m_s = self.descent_m_s = None
            self.runner.resume(first, m, self.nav_settings())
            self.task = None
            return None
        if mode in (CopterMode.RTL, CopterMode.LAND):
            self.payload.stop()
        if mode == CopterMode.RTL:
            self.task = rtl(m, self.nav_settings().rtl) if airborne else None
        elif mode == CopterMode.LAND:
            r = self.nav_settings().rtl
            stop = m.stopping_point(self.limits().accel_m_s2)
            self.task = Land(
                stop.north_m, stop.east_m, fast_m_s=r.land_fast_m_s, slow_m_s=r.land_slow_m_s,
                pause_s=self.land_pause_s, hold_up_m=m.up_m,
            )  # fmt: skip
        else:
            if mode == CopterMode.GUIDED:
                self.speed_m_s = self.climb_m_s = self.descent_m_s = None
            self.task = Hover(m.stopping_point(self.limits().accel_m_s2)) if airborne else None
        return None

    def _takeoff(self, request: CommandRequest) -> int:
        """NAV_TAKEOFF in GUIDED: climb to param7 metres above home, then hold."""
        s = self.state
        if s.mode != CopterMode.GUIDED or not s.armed or not self.motion.on_ground:
            return FAILED
        self.task = Climb(self.motion, max(request.params[6], 0.0))
        return ACCEPTED

    def _mission_start(self, request: CommandRequest) -> int:
        """MISSION_START: AUTO from item param1 (when given), as ArduPilot starts it."""
        first = int(request.params[0])
        if 1 <= first < self._store.count(MissionKind.MISSION):
            self.state.mission_seq = first
            self.runner.complete = False
        if self.state.mode != CopterMode.AUTO:
            return self._change_mode(CopterMode.AUTO)
        if not self.runner.running:  # in AUTO already: start (again) unless it is running
            seq = 1 if self.runner.complete else self.state.mission_seq
            self.runner.start(seq, self.motion, self.nav_settings())
        return ACCEPTED

    def change_speed(self, speed_type: float, speed_m_s: float) -> int:
        """DO_CHANGE_SPEED: a new horizontal (types 0 and 1), climb (2) or descent (3) speed;
        -1 or 0 keeps it."""
        if speed_m_s > 0.0:
            kind = int(speed_type)
            if kind in (0, 1):
                self.speed_m_s = speed_m_s
            elif kind == 2:
                self.climb_m_s = speed_m_s
            elif kind == 3:
                self.descent_m_s = speed_m_s
        return ACCEPTED

    def _position_target(self, msg: Message) -> None:
        """SET_POSITION_TARGET_GLOBAL_INT in GUIDED: fly there and hold."""
        if self.state.mode != CopterMode.GUIDED or self.motion.on_ground:
            return
        if msg.type_mask & 0b111:  # the position is to be ignored
            return
        lat, lon = msg.lat_int / 1e7, msg.lon_int / 1e7
        north, east = self.frame.to_local(lat, lon)
        up = msg.alt
        if msg.coordinate_frame in (mavlink.MAV_FRAME_GLOBAL, mavlink.MAV_FRAME_GLOBAL_INT):
            up -= self._config.home_amsl_m
        goal = Goal(north_m=north, east_m=east, up_m=up)
        self.task = FlyTo(goal, self.nav_settings().radius_m, hold_s=math.inf)

    # -- stepping ------------------------------------------------------------------------

    def advance_to(self, time_s: float) -> None:
        """Fly on until simulated ``time_s`` (seconds since start) in short steps."""
        s = self.state
        if s.mode == CopterMode.AUTO and self.runner.running and s.mission_seq != self.runner.seq:
            self.runner.start(s.mission_seq, self.motion, self.nav_settings())  # SET_CURRENT
        settings = self.nav_settings()
        while time_s - s.time_s > 1e-9:
            dt = min(MAX_STEP_S, time_s - s.time_s)
            s.time_s += dt
            self.step(dt, settings)  # limits read each step: a DO_CHANGE_SPEED acts at once
        s.time_s = time_s

    def wind_now(self) -> Wind:
        """The wind blowing now: the steady wind and any gust."""
        return self.wind if self.gust is CALM else self.wind.plus(self.gust)

    def active_task(self) -> Task | None:
        """What the vehicle is doing in its mode."""
        return self.runner.task if self.state.mode == CopterMode.AUTO else self.task

    def step(self, dt_s: float, settings: NavSettings) -> None:
        """One step of ``dt_s`` seconds: the task, the flight model, energy, the state."""
        s = self.state
        self._disarmed()
        wind = self.wind_now()
        felt = CALM if s.gps_lost else wind  # dead reckoning flies as if the air were still
        out_of_control = s.armed and self.motor_failed
        auto = s.mode == CopterMode.AUTO
        task = self.active_task() if s.armed and not out_of_control else None
        airborne = not self.motion.on_ground
        if out_of_control:
            self.motion = tumble(self.motion, dt_s, felt)
            self.tipped_over = self.tipped_over or (airborne and self.motion.on_ground)
        elif s.armed:
            limits = self.limits()
            goal = self.motion.here() if task is None else task.goal(self.motion)
            flying = limits if task is None else task.limits(limits, self.motion)
            before = self.motion
            self.motion = fly(before, goal, flying, dt_s, felt)
            yaw = self.runner.yaw.heading(before, task, dt_s) if auto else None
            if yaw is not None and not self.motion.on_ground:
                self.motion = _turned(before, self.motion, yaw, flying.yaw_rate_deg_s, dt_s)
        elif airborne:  # disarmed in the air: it falls
            self.motion = fly(self.motion, self.motion.here(-1.0), _FALLING, dt_s, felt)
        self._dead_reckon(wind, dt_s, airborne=airborne)
        if auto:  # the mission decides what a landing means (and counts delays disarmed)
            self.runner.update(self.motion, dt_s, settings, armed=task is not None)
            self._disarm_delay(dt_s)
        elif task is not None:
            if task.update(self.motion, dt_s):
                self.task = Hover(task.point) if isinstance(task, Climb) else None
            if task.landing and self.motion.on_ground:
                s.armed = False
        if not s.armed and (s.sprayer_on or s.servo_pump_pct > 0.0):
            self.payload.stop()
        self._disarmed()
        self._account(dt_s, landing=task is not None and task.landing)
        for hook in self.after_step:
            hook(dt_s)

    def _disarmed(self) -> None:
        """Disarming resets the mission (AP_Arming_Copter::disarm), however it came about."""
        if self._was_armed and not self.state.armed:
            self.runner.reset()
            self.state.mission_seq = self.runner.seq
        self._was_armed = self.state.armed

    def _disarm_delay(self, dt_s: float) -> None:
        """DISARM_DELAY: armed and landed in AUTO (a mission waiting on the ground), it
        disarms after :data:`DISARM_DELAY_S` (Copter::auto_disarm_check)."""
        s = self.state
        grounded = s.armed and self.motion.on_ground
        self._grounded_s = self._grounded_s + dt_s if grounded else 0.0
        if self._grounded_s >= DISARM_DELAY_S:
            s.armed = False
            self._grounded_s = 0.0

    def _dead_reckon(self, wind: Wind, dt_s: float, *, airborne: bool) -> None:
        """Keep the truth apart from the estimate while the GPS is lost; join them again (the
        EKF resets to the GPS) once it is back."""
        if self.state.gps_lost:
            if airborne:
                self._drift_n_m += wind.north_m_s * dt_s
                self._drift_e_m += wind.east_m_s * dt_s
            return
        if self._drift_n_m or self._drift_e_m:
            m = self.motion
            self.motion = replace(
                m, north_m=m.north_m + self._drift_n_m, east_m=m.east_m + self._drift_e_m,
                vn_m_s=m.air_n_m_s + wind.north_m_s if not m.on_ground else 0.0,
                ve_m_s=m.air_e_m_s + wind.east_m_s if not m.on_ground else 0.0,
            )  # fmt: skip
            self._drift_n_m = self._drift_e_m = 0.0

    def _account(self, dt_s: float, *, landing: bool) -> None:
        s, m, frame = self.state, self.motion, self._config.airframe
        airborne = not m.on_ground
        mass = frame.mass_kg(tank_l=s.tank_l, payload_kg=s.payload_kg)
        amps = current_a(
            frame, mass_kg=mass, armed=s.armed, airborne=airborne,
            speed_m_s=m.airspeed_m_s, climb_m_s=m.vu_m_s,
        )  # fmt: skip
        battery = Battery(
            capacity_mah=self._params.get("BATT_CAPACITY"), consumed_mah=s.battery_mah,
            cells=frame.cells, internal_ohm=frame.internal_ohm,
        ).drain(current_a=amps, dt_s=dt_s)  # fmt: skip
        s.battery_mah, s.battery_a = battery.consumed_mah, amps
        s.battery_v, s.battery_pct = battery.voltage_v(amps), battery.remaining_pct
        s.pump_pct = self.payload.pump_pct(m.groundspeed_m_s)
        s.tank_l = drain_tank(s.tank_l, spray_flow_l_min(frame, s.pump_pct), dt_s)
        s.throttle_pct = throttle_pct(frame, mass_kg=mass, armed=s.armed, airborne=airborne)
        s.lat_deg, s.lon_deg = self.frame.to_global(m.north_m, m.east_m)
        s.true_lat_deg, s.true_lon_deg = self.frame.to_global(
            m.north_m + self._drift_n_m, m.east_m + self._drift_e_m
        )
        s.alt_m = m.up_m
        s.vn_m_s, s.ve_m_s, s.vd_m_s = m.vn_m_s, m.ve_m_s, -m.vu_m_s
        s.heading_deg, s.yaw_rate_deg_s, s.airspeed_m_s = (
            m.heading_deg,
            m.yaw_rate_deg_s,
            m.airspeed_m_s,
        )
        h = math.radians(m.heading_deg)
        forward = m.air_n_m_s * math.cos(h) + m.air_e_m_s * math.sin(h)
        right = -m.air_n_m_s * math.sin(h) + m.air_e_m_s * math.cos(h)
        tilt = _DRAG_PER_S / _G if airborne else 0.0
        s.pitch_deg = -math.degrees(math.atan(tilt * forward))
        s.roll_deg = math.degrees(math.atan(tilt * right))
        s.attitude_error_deg = 0.0
        if self.tipped_over or (s.armed and self.motor_failed):
            s.roll_deg = _TIPPED_DEG if self.tipped_over else _TUMBLING_DEG
            s.pitch_deg = 0.0
            s.attitude_error_deg = s.roll_deg if s.armed else 0.0
        if not airborne:
            s.landed_state = mavlink.MAV_LANDED_STATE_ON_GROUND
        elif landing:
            s.landed_state = mavlink.MAV_LANDED_STATE_LANDING
        elif m.vu_m_s > 0.2 and m.up_m < 2.0:
            s.landed_state = mavlink.MAV_LANDED_STATE_TAKEOFF
        else:
            s.landed_state = mavlink.MAV_LANDED_STATE_IN_AIR


def _turned(
    before: Motion, after: Motion, heading_deg: float, rate_deg_s: float, dt_s: float
) -> Motion:
    """``after`` with its heading turned from ``before``'s towards ``heading_deg`` at
    ``rate_deg_s`` at most."""
    turn = (heading_deg - before.heading_deg + 180.0) % 360.0 - 180.0
    turn = max(-rate_deg_s * dt_s, min(rate_deg_s * dt_s, turn))
    return replace(
        after, heading_deg=(before.heading_deg + turn) % 360.0, yaw_rate_deg_s=turn / dt_s
    )
