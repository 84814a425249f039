"""Flying a mission: upload and verify, check, arm, start, watch, and account for it.

:class:`Flight` does what an operator does with QGroundControl, in order:

1. ask for telemetry (SET_MESSAGE_INTERVAL), wait for position and home;
2. upload the mission, the fence and the rally points, each read back
   (:mod:`fleet.transfer`); enable the sprayer when the mission sprays
   (``SPRAY_ENABLE``) and the fence when there is one, with the 150 m altitude cap
   (``FENCE_ALT_MAX``) in the vehicle's own fence too;
3. run the pre-flight checks (:mod:`fleet.preflight`): all of them, by name;
4. GUIDED, arm, MISSION_START — QGroundControl's "start mission" — which ArduPilot
   accepts from a ground station without a pilot raising the throttle;
5. watch until the vehicle has landed and disarmed, recording the track, the items
   reached, what was sprayed and every anomaly. On a failsafe Tanbo itself sends the
   sprayer off at once (a vehicle spraying on its way home drifts pesticide), on top of
   the autopilot's own stop.

The record is kept from the first message, so whatever ends the flight — completion,
a failsafe, a lost link, the operator, an exception — :meth:`Flight.record` still
gives what happened.
"""

import itertools
import math
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import shapely
from pymavlink.dialects.v20 import ardupilotmega as mavlink

from core.geo import GeoPoint
from fields.crs import local_crs_for, to_local
from fleet.commands import Commander
from fleet.errors import CommandFailed, FleetError, LinkError, PreflightFailed
from fleet.events import EventKind, VehicleEvent
from fleet.link import Link, Message
from fleet.preflight import Check, Facts, check, require
from fleet.telemetry import GpsFix, VehicleStatus
from fleet.transfer import MissionTransfer
from mission_planner.build import mission_items_int
from mission_planner.model import Command, Mission, MissionType

__all__ = [
    "Anomaly",
    "Flight",
    "FlightOptions",
    "FlightRecord",
    "Outcome",
    "PlanInfo",
    "spray_states",
]

TELEMETRY_HZ = {
    mavlink.MAVLINK_MSG_ID_GLOBAL_POSITION_INT: 10.0,
    mavlink.MAVLINK_MSG_ID_SYS_STATUS: 2.0,
    mavlink.MAVLINK_MSG_ID_GPS_RAW_INT: 2.0,
    mavlink.MAVLINK_MSG_ID_BATTERY_STATUS: 1.0,
    mavlink.MAVLINK_MSG_ID_MISSION_CURRENT: 2.0,
    mavlink.MAVLINK_MSG_ID_EXTENDED_SYS_STATE: 1.0,
    mavlink.MAVLINK_MSG_ID_VFR_HUD: 2.0,
}
"""What a flight asks the vehicle to stream, and how often (Hz)."""

_TAKEOFF_ALT_M = 1.0
_FENCE_ALT, _FENCE_CIRCLE, _FENCE_POLYGON = 1, 2, 4  # FENCE_TYPE bits
_WARNING = mavlink.MAV_SEVERITY_WARNING  # texts this urgent or more go in the flight log
_CAP_M = 150.0


class Outcome(StrEnum):
    """How a flight ended."""

    COMPLETED = "completed"
    FAILSAFE = "failsafe"
    ABORTED = "aborted"
    CRASHED = "crashed"
    LINK_LOST = "link_lost"
    NOT_FLOWN = "not_flown"


@dataclass(frozen=True, slots=True)
class PlanInfo:
    """What the plan says beyond its mission items (from the planner's GeoJSON, when
    it travels with the .plan): its kind, the permissions it needs, how wide it sprays."""

    kind: str = "unknown"
    permissions: tuple[str, ...] = ()
    swath_m: float | None = None
    rate_l_ha: float | None = None
    source: str = ""


@dataclass(frozen=True, slots=True)
class FlightOptions:
    """How a flight is run."""

    endurance_s: float = 15 * 60.0
    """Flight time a full battery gives (the vehicle's, with its load)."""
    reserve_pct: float = 20.0
    """Battery that must be left at landing, on top of what the plan needs."""
    speed_m_s: float = 5.0
    """Speed to estimate the flight time with when the plan does not say."""
    registration: str | None = None
    pump_max_l_min: float | None = None
    """The vehicle's spray pump flow at full output (from the registry), L/min."""
    inspection: str | None = None
    """The day's inspection: "passed", "failed" or "missing"; None: not asked."""
    pump_servo: tuple[int, int] | None = None
    """The registered servo pump: its channel and off pulse (µs)."""
    telemetry_timeout_s: float = 15.0
    """Wall seconds to wait for position and home before giving up."""
    ready_timeout_s: float = 90.0
    """Wall seconds to wait for the autopilot's pre-arm checks to pass before the
    pre-flight checks are run (ArduPilot SITL needs about 40 s after boot)."""


@dataclass(frozen=True, slots=True)
class Anomaly:
    """Something that affected the flight's safety, at vehicle time ``t_s`` (seconds since
    its boot) and wall time ``at``."""

    at: datetime
    t_s: float | None
    text: str


@dataclass(slots=True)
class FlightRecord:
    """What happened, filled in as the flight goes."""

    system_id: int
    started_at: datetime
    outcome: Outcome = Outcome.NOT_FLOWN
    takeoff_at: datetime | None = None
    takeoff_place: GeoPoint | None = None
    landing_at: datetime | None = None
    landing_place: GeoPoint | None = None
    flight_time_s: float = 0.0
    distance_m: float = 0.0
    max_alt_m: float = 0.0
    battery_start_pct: float | None = None
    battery_end_pct: float | None = None
    battery_used_mah: float | None = None
    items_reached: int = 0
    items_total: int = 0
    sprayed_m2: float = 0.0
    anomalies: list[Anomaly] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)


def spray_states(mission: Mission) -> list[bool]:
    """For each wire seq, whether the sprayer is on while the vehicle flies towards it.

    ArduPilot runs the DO commands that follow a navigation item once that item is
    reached, and MISSION_CURRENT names the navigation item being flown to, so the state
    towards item ``s`` is set by the last sprayer command before ``s``.

    >>> from mission_planner.model import Frame, MissionItem
    >>> wp = dict(frame=Frame.GLOBAL_RELATIVE_ALT, lat_deg=35.0, lon_deg=135.0, alt_m=3.0)
    >>> items = (MissionItem(command=Command.NAV_TAKEOFF, **wp),
    ...          MissionItem(command=Command.DO_SPRAYER, frame=Frame.MISSION, param1=1),
    ...          MissionItem(command=Command.NAV_WAYPOINT, **wp),
    ...          MissionItem(command=Command.DO_SPRAYER, frame=Frame.MISSION, param1=0),
    ...          MissionItem(command=Command.NAV_WAYPOINT, **wp))
    >>> spray_states(Mission(home=GeoPoint(lat_deg=35.0, lon_deg=135.0), items=items))
    [False, False, False, True, True, False]
    """
    off_pwm = _pump_off_pwm(mission)
    states = [False]
    on = False
    for item in mission.items:
        states.append(on)
        if item.command == Command.DO_SPRAYER:
            on = item.param1 >= 0.5
        elif item.command == Command.DO_SET_SERVO and _is_pump(item.param2):
            on = item.param2 > off_pwm.get(item.param1, 1500.0)
    return states


def _is_pump(pwm: float) -> bool:
    return 800.0 <= pwm <= 2200.0


def _pump_off_pwm(mission: Mission) -> dict[float, float]:
    """Per servo channel, the pulse that stops the pump: the lowest the mission sends to a
    channel it switches between several pulses (a variable-rate plan runs the pump at
    1300 µs as well as 1900, and stops it at its off pulse). A channel given a single
    pulse is left out: above 1500 µs is on."""
    pulses: dict[float, set[float]] = {}
    for item in mission.items:
        if item.command == Command.DO_SET_SERVO and _is_pump(item.param2):
            pulses.setdefault(item.param1, set()).add(item.param2)
    return {channel: min(p) for channel, p in pulses.items() if len(p) > 1}


def _sprays(mission: Mission) -> bool:
    return any(i.command == Command.DO_SPRAYER and i.param1 >= 0.5 for i in mission.items)


@dataclass(slots=True)
class _Seen:
    """What the watcher has seen of a flight so far."""

    armed: bool = False
    took_off: bool = False
    complete: bool = False
    link_lost: bool = False
    rtl_sent: bool = False


class Flight:
    """One mission flown by one vehicle.

    Parameters
    ----------
    link
        The link the vehicle is on.
    system_id
        The vehicle.
    mission
        What to fly (home, items, fence, rally).
    info
        The plan's kind, permissions, swath and estimate.
    options
        Endurance, reserve, registration.
    on_event
        Called (in the flight's thread) with each vehicle event, for a display.
    """

    def __init__(
        self,
        link: Link,
        system_id: int,
        mission: Mission,
        info: PlanInfo = PlanInfo(),
        options: FlightOptions = FlightOptions(),
        *,
        on_event: Callable[[VehicleEvent], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.link = link
        self.system_id = system_id
        self.mission = mission
        self.info = info
        self.options = options
        self.commander = Commander(link, system_id)
        self._on_event = on_event
        self._clock = clock
        self._events: queue.SimpleQueue[VehicleEvent] = queue.SimpleQueue()
        self._spray = spray_states(mission)
        self._track: list[tuple[float, float, float, float, bool]] = []
        self._track_lock = threading.Lock()
        self._failsafe = False
        self.setup_notes: list[str] = []
        self.pump_needed_pct: float | None = None
        """Pump output the plan's rate needs at its spray speed, % (once known)."""
        """What Tanbo changed on the vehicle beyond the plan, in words."""
        self._uploaded = False
        self._fence_verified = False
        self._flown_m = 0.0
        self._airborne_battery: tuple[float | None, float | None] | None = None
        self._abort = threading.Event()
        self._stop_watching = threading.Event()
        self._armed_at: datetime | None = None
        self._armed_place: GeoPoint | None = None
        self.record = FlightRecord(system_id=system_id, started_at=datetime.now(UTC))
        self.record.items_total = len(mission.items)

    @property
    def status(self) -> VehicleStatus:
        """The vehicle's live telemetry."""
        return self.link.tracker(self.system_id).status

    # -- 1-3: before take-off ----------------------------------------------------------

    def prepare(self) -> list[Check]:
        """:meth:`upload`, then :meth:`check`; refuse if a check fails.

        Raises
        ------
        PreflightFailed
            A check failed (all failures are named).
        TransferFailed, CommandFailed, LinkError
            The vehicle did not take the mission or a setting.
        """
        self.upload()
        self.wait_until_ready()
        checks = self.check()
        require(checks)
        return checks

    def wait_until_ready(self) -> bool:
        """Wait (at most :attr:`FlightOptions.ready_timeout_s`) until the autopilot says its
        pre-arm checks pass; whether they do. A vehicle that does not report them counts
        as ready: the arming command will say."""
        deadline = self._clock() + self.options.ready_timeout_s
        while self.status.prearm_ok is False and self._clock() < deadline:
            time.sleep(0.1)
        return self.status.prearm_ok is not False

    def upload(self) -> None:
        """Telemetry, the mission, fence and rally uploaded and read back, and the
        vehicle's sprayer and fence settings.

        Raises
        ------
        TransferFailed, CommandFailed, LinkError
            The vehicle did not take the mission or a setting.
        """
        for msg_id, hz in TELEMETRY_HZ.items():
            self.commander.set_message_interval(msg_id, hz)
        self._wait_for_position()
        transfer = MissionTransfer(self.link, self.system_id)
        rows = mission_items_int(self.mission, MissionType.MISSION)
        transfer.upload_verified(rows, MissionType.MISSION)
        self.link.tracker(self.system_id).mission_count = len(rows)
        self._uploaded = True
        fence_rows = mission_items_int(self.mission, MissionType.FENCE)
        transfer.upload_verified(fence_rows, MissionType.FENCE)
        if fence_rows:
            self._fence_verified = True
            fence_type = int(self.commander.get_param("FENCE_TYPE")) | _FENCE_ALT | _FENCE_POLYGON
            if fence_type & _FENCE_CIRCLE and not self._inside_circle_fence():
                # The planned polygon is the fence; a default 300 m circle would cut the plan.
                fence_type &= ~_FENCE_CIRCLE
                self._note_setup("circle fence left off: the plan goes beyond FENCE_RADIUS")
            self.commander.set_param("FENCE_TYPE", float(fence_type))
            self._set_fence_ceiling()
            self.commander.set_param("FENCE_ENABLE", 1.0)
        transfer.upload_verified(
            mission_items_int(self.mission, MissionType.RALLY), MissionType.RALLY
        )
        if _sprays(self.mission):
            if self.commander.get_param("SPRAY_ENABLE") < 0.5:
                self.commander.set_param("SPRAY_ENABLE", 1.0)
            self._set_pump_rate()

    def spray_speed_m_s(self) -> float:
        """The fastest the mission flies while spraying (DO_CHANGE_SPEED before the legs;
        :attr:`FlightOptions.speed_m_s` until one)."""
        speed, fastest = self.options.speed_m_s, 0.0
        for seq, item in enumerate(self.mission.items, 1):
            if item.command == Command.DO_CHANGE_SPEED and item.param2 > 0:
                speed = item.param2
            elif item.position is not None and self._spray[seq]:
                fastest = max(fastest, speed)
        return fastest or speed

    def _set_pump_rate(self) -> None:
        """Set SPRAY_PUMP_RATE so the plan's L/ha comes out: ArduPilot drives the pump at
        SPRAY_PUMP_RATE % per m/s of ground speed, so with a pump of F L/min at full output
        and a swath of w m the rate is R L/ha when SPRAY_PUMP_RATE = 0.6 R w / F — at any
        speed, as long as the pump does not run out of output."""
        info, flow = self.info, self.options.pump_max_l_min
        if not (info.rate_l_ha and info.swath_m and flow):
            missing = (
                "the pump's flow (tanbo vehicles set --pump-l-min)"
                if not flow
                else ("the plan's L/ha and swath")
            )
            self._note_setup(f"application rate left as the vehicle has it: {missing} unknown")
            return
        per_m_s = 0.6 * info.rate_l_ha * info.swath_m / flow
        self.pump_needed_pct = per_m_s * self.spray_speed_m_s()
        held = self.commander.set_param("SPRAY_PUMP_RATE", round(per_m_s, 2))
        self._note_setup(
            f"SPRAY_PUMP_RATE {held:g} %/(m/s): {info.rate_l_ha:g} L/ha over {info.swath_m:g} m "
            f"with a {flow:g} L/min pump ({self.pump_needed_pct:.0f} % at "
            f"{self.spray_speed_m_s():g} m/s)"
        )

    def _set_fence_ceiling(self) -> None:
        """FENCE_ALT_MAX: never above the 150 m cap, and high enough for the plan (with
        the fence margin and 5 m to spare): ArduPilot's default 100 m would otherwise
        turn a plan flown near it back home half-way."""
        margin = self.commander.get_param("FENCE_MARGIN")
        highest = max(
            (i.alt_m for i in self.mission.items if i.position is not None and i.command.is_nav),
            default=0.0,
        )
        wanted = min(_CAP_M, highest + margin + 5.0)
        held = self.commander.get_param("FENCE_ALT_MAX")
        if held > _CAP_M or held < wanted:
            self.commander.set_param("FENCE_ALT_MAX", wanted if held < wanted else _CAP_M)

    def _inside_circle_fence(self) -> bool:
        """Every place the mission goes is inside ArduPilot's circular fence round home."""
        radius = self.commander.get_param("FENCE_RADIUS")
        margin = self.commander.get_param("FENCE_MARGIN")
        points = [i.position for i in self.mission.items if i.position is not None]
        farthest = max((self.mission.home.distance_m(p) for p in points), default=0.0)
        return farthest <= radius - margin

    def _note_setup(self, text: str) -> None:
        self.setup_notes.append(text)

    def check(self) -> list[Check]:
        """Every pre-flight check on the vehicle as it is now (repeatable: between sorties
        the checks are run until the ground crew's battery swap makes them pass)."""
        fence_enabled = None
        spray_enabled = None
        if self._fence_verified:
            fence_enabled = self.commander.get_param("FENCE_ENABLE") >= 0.5
        if _sprays(self.mission):
            spray_enabled = self.commander.get_param("SPRAY_ENABLE") >= 0.5
        s = self.status
        last = s.last_heard_s
        facts = Facts(
            link_age_s=None if last is None else max(0.0, self._clock() - last),
            gps_fix=s.gps_fix,
            satellites=s.satellites,
            prearm_ok=s.prearm_ok,
            battery_pct=s.battery_pct,
            needed_battery_pct=self.needed_battery_pct(),
            mission_verified=self._uploaded,
            fence_verified=self._fence_verified or None,
            fence_enabled=fence_enabled,
            registration=self.options.registration,
            distance_from_home_m=self._distance_from_home(),
            spray_enabled=spray_enabled,
            pump_needed_pct=self.pump_needed_pct,
            inspection=self.options.inspection,
            armed=s.armed,
        )
        self.record.checks = check(facts)
        return self.record.checks

    def estimated_time_s(self) -> float:
        """The mission's flight time: each leg at the speed last set before it (the
        options' speed until a DO_CHANGE_SPEED), plus half a minute per take-off and
        landing."""
        speed = self.options.speed_m_s
        here = self.mission.home
        total = 0.0
        for item in self.mission.items:
            if item.command == Command.DO_CHANGE_SPEED and item.param2 > 0:
                speed = item.param2
            elif item.command in (Command.NAV_TAKEOFF, Command.NAV_LAND):
                total += 30.0
            if item.command == Command.NAV_RETURN_TO_LAUNCH:
                total += here.distance_m(self.mission.home) / speed + 30.0
                here = self.mission.home
            elif item.position is not None:
                total += here.distance_m(item.position) / speed
                here = item.position
        return total

    def needed_battery_pct(self) -> float:
        """Battery the plan uses, plus the reserve (percent)."""
        used = 100.0 * self.estimated_time_s() / self.options.endurance_s
        return used + self.options.reserve_pct

    def _wait_for_position(self) -> None:
        deadline = self._clock() + self.options.telemetry_timeout_s
        while self._clock() < deadline:
            s = self.status
            if s.position_known and s.gps_fix >= GpsFix.FIX_3D and s.battery_pct is not None:
                return
            time.sleep(0.05)
        raise LinkError(
            f"vehicle {self.system_id} reported no 3D position in "
            f"{self.options.telemetry_timeout_s:g} s (GPS fix type {self.status.gps_fix})"
        )

    def _distance_from_home(self) -> float | None:
        s = self.status
        if s.lat_deg is None or s.lon_deg is None:
            return None
        return GeoPoint(lat_deg=s.lat_deg, lon_deg=s.lon_deg).distance_m(self.mission.home)

    # -- 4-5: the flight ---------------------------------------------------------------

    def abort(self) -> None:
        """Ask the running flight to return home (RTL) and keep watching it land."""
        self._abort.set()

    def fly(
        self, *, timeout_s: float = 3600.0, stop: threading.Event | None = None
    ) -> FlightRecord:
        """Check once more, arm, start the mission and watch it to the end (landed and
        disarmed).

        Parameters
        ----------
        timeout_s
            Stop watching after so many seconds.
        stop
            Set by the operator (Ctrl-C): nothing is armed once it is set.

        Returns
        -------
        FlightRecord
            Also kept in :attr:`record`, filled in even when this raises.

        Raises
        ------
        PreflightFailed
            A check fails now, or the operator stopped: nothing was armed.
        CommandFailed
            Arming or the start was refused (nothing flew).
        """
        unsubscribe = self.link.bus.subscribe(self._queue_event)
        unlisten = self.link.listen(self._sample)
        rec = self.record
        try:
            if self._abort.is_set() or (stop is not None and stop.is_set()):
                raise PreflightFailed("not started: the operator stopped", check="operator")
            require(self.check())  # the last word before the motors turn
            rec.battery_start_pct = self.status.battery_pct
            self.commander.set_mode("GUIDED")
            self.commander.arm()
            self._armed_at, self._armed_place = self._at(self.status.boot_s), self._here()
            try:
                self.commander.start_mission()
            except CommandFailed:
                self._disarm_after_refusal()
                raise
            self._watch(timeout_s)
        finally:
            unlisten()
            unsubscribe()
            if rec.takeoff_at is not None and rec.outcome == Outcome.NOT_FLOWN:
                rec.outcome = Outcome.ABORTED  # watching was cut short while it flew
                self._note("Tanbo stopped watching before the vehicle had landed")
            self._finish()
        return rec

    def stop_watching(self) -> None:
        """End :meth:`fly`'s watching now (the vehicle carries on with what it does)."""
        self._stop_watching.set()

    def _disarm_after_refusal(self) -> None:
        try:
            self.commander.disarm()
        except FleetError as exc:
            self._note(f"mission start refused and the vehicle could not be disarmed: {exc}")

    def _queue_event(self, event: VehicleEvent) -> None:
        if event.system_id == self.system_id:
            self._events.put(event)

    def _sample(self, msg: Message) -> None:
        """Reader thread: keep the track (cheap; no commands from here)."""
        if msg.get_srcSystem() != self.system_id or msg.get_type() != "GLOBAL_POSITION_INT":
            return
        if msg.lat == 0 and msg.lon == 0:
            return
        s = self.status
        seq = s.mission_seq or 0
        spraying = (
            s.mode == "AUTO"
            and not self._failsafe
            and 0 <= seq < len(self._spray)
            and self._spray[seq]
        )
        if msg.relative_alt > _TAKEOFF_ALT_M * 1000:
            # The battery as it was in the air: after landing a crew may swap it before
            # Tanbo hears that the vehicle disarmed.
            self._airborne_battery = (s.battery_pct, s.battery_used_mah)
        with self._track_lock:
            if self._track:
                _, lat, lon, _, _ = self._track[-1]
                here = GeoPoint(lat_deg=msg.lat / 1e7, lon_deg=msg.lon / 1e7)
                self._flown_m += here.distance_m(GeoPoint(lat_deg=lat, lon_deg=lon))
            self._track.append(
                (msg.time_boot_ms / 1000.0, msg.lat / 1e7, msg.lon / 1e7,
                 msg.relative_alt / 1000.0, spraying)
            )  # fmt: skip

    def _at(self, boot_s: float | None) -> datetime:
        """Wall time of vehicle time ``boot_s`` (a simulator's clock runs at its speed-up)."""
        anchor = self.link.tracker(self.system_id).clock_anchor
        if boot_s is None or anchor is None:
            return datetime.now(UTC)
        return anchor[1] + timedelta(seconds=boot_s - anchor[0])

    @property
    def flown_m(self) -> float:
        """Distance flown so far (from the position samples), metres."""
        return self._flown_m

    def remaining_m(self) -> float | None:
        """Distance still to fly: from where the vehicle is through the navigation items
        from the current one on (None before a position or a mission is known)."""
        here, seq = self._here(), self.status.mission_seq
        if here is None or seq is None:
            return None
        total = 0.0
        for item in self.mission.items[max(seq - 1, 0) :]:
            if item.command == Command.NAV_RETURN_TO_LAUNCH:
                target = self.mission.home
            elif item.position is not None and item.command.is_nav:
                target = item.position
            else:
                continue
            total += here.distance_m(target)
            here = target
        return total

    def sprayed_so_far_m2(self) -> float | None:
        """Area sprayed so far, roughly (the spray legs flown times the swath, overlaps
        counted twice): for a live estimate of the tank; the record's figure is exact."""
        swath = self.info.swath_m
        if not swath:
            return None
        with self._track_lock:
            track = list(self._track)
        legs = self._sprayed_legs(track)
        length = sum(
            GeoPoint(lat_deg=a[1], lon_deg=a[0]).distance_m(GeoPoint(lat_deg=b[1], lon_deg=b[0]))
            for a, b in legs
        )
        return length * swath

    def note(self, text: str) -> None:
        """Add an anomaly to the record, at the vehicle's time now."""
        self._note(text)

    def _note(self, text: str) -> None:
        boot = self.status.boot_s
        self.record.anomalies.append(Anomaly(at=self._at(boot), t_s=boot, text=text))

    def _watch(self, timeout_s: float) -> None:
        rec = self.record
        seen = _Seen()
        deadline = self._clock() + timeout_s
        while self._clock() < deadline and not self._stop_watching.is_set():
            self._take_events(seen, wait_s=0.1)
            if self._abort.is_set() and not seen.rtl_sent:
                seen.rtl_sent = True
                self._note("operator abort: return to launch")
                self._return_home()
                self._sprayer_off()
            s = self.status
            if s.armed:
                seen.armed = True
            flying = s.landed is False or (s.alt_rel_m or 0.0) > _TAKEOFF_ALT_M
            if s.armed and flying and not seen.took_off:
                seen.took_off = True
                # A copter rises where it was armed, and then.
                rec.takeoff_at = self._armed_at or self._at(s.boot_s)
                rec.takeoff_place = self._armed_place or self._here()
            if seen.took_off and s.armed and self._hovering_at_the_end(seen):
                seen.rtl_sent = True
                self._note("the mission ended on a waypoint: return to launch")
                self._return_home()
            if seen.armed and not s.armed and s.connected:
                if seen.took_off:
                    rec.landing_at = self._at(s.boot_s)
                    rec.landing_place = self._here()
                break  # disarmed: on the ground (or never left it)
        else:
            why = (
                "the operator stopped watching"
                if self._stop_watching.is_set()
                else (f"still flying after {timeout_s:g} s")
            )
            self._note(f"{why}: Tanbo stopped watching")
        # What the vehicle said before it disarmed (the last item reached) is queued
        # ahead of the heartbeat that showed it: take it all before judging the flight.
        self._take_events(seen, wait_s=0.0)
        if rec.outcome == Outcome.CRASHED:
            return
        if seen.link_lost:
            rec.outcome = Outcome.LINK_LOST
        elif seen.rtl_sent and not seen.complete:
            rec.outcome = Outcome.ABORTED
        elif self._failsafe:
            rec.outcome = Outcome.FAILSAFE
        elif rec.landing_at is not None and (seen.complete or self._landed_at_the_end()):
            rec.outcome = Outcome.COMPLETED
        else:
            rec.outcome = Outcome.ABORTED

    def _return_home(self) -> None:
        try:
            self.commander.set_mode("RTL")
        except FleetError as exc:
            self._note(f"RTL refused: {exc}")

    def _hovering_at_the_end(self, seen: "_Seen") -> bool:
        """The last item, a waypoint, was reached and ArduPilot holds there: a mission from
        another ground station that does not end with RTL or LAND."""
        items = self.mission.items
        if seen.rtl_sent or not items or items[-1].command != Command.NAV_WAYPOINT:
            return False
        return self.record.items_reached >= len(items)

    def _landed_at_the_end(self) -> bool:
        """The vehicle landed on the mission's final RTL or LAND after reaching the
        navigation item before it: complete even if the last MISSION_ITEM_REACHED was not
        heard."""
        items = self.mission.items
        last = len(items)
        final = items[-1].command if items else None
        return final in (
            Command.NAV_LAND,
            Command.NAV_RETURN_TO_LAUNCH,
        ) and self.record.items_reached >= self._last_nav_before(last)

    def _last_nav_before(self, seq: int) -> int:
        """The seq of the last navigation item before ``seq`` (0: none)."""
        for before in range(seq - 1, 0, -1):
            if self.mission.items[before - 1].command.is_nav:
                return before
        return 0

    def _take_events(self, seen: "_Seen", wait_s: float) -> None:
        """Handle every queued event (waiting up to ``wait_s`` for the first)."""
        try:
            event = self._events.get(timeout=wait_s) if wait_s > 0 else self._events.get_nowait()
        except queue.Empty:
            return
        while True:
            self._handle(event, seen)
            try:
                event = self._events.get_nowait()
            except queue.Empty:
                return

    def _handle(self, event: VehicleEvent, seen: "_Seen") -> None:
        rec = self.record
        if self._on_event is not None:
            self._on_event(event)
        if event.kind == EventKind.FAILSAFE:
            self._note(f"failsafe: {event.detail}")
            if not self._failsafe:  # once: the autopilot has stopped it too
                self._sprayer_off()
            self._failsafe = True
        elif event.kind == EventKind.LINK_LOST:
            seen.link_lost = True
            self._note(f"link lost: {event.detail}")
        elif event.kind == EventKind.LINK_RESTORED:
            seen.link_lost = False
            self._note("link restored")
        elif event.kind == EventKind.ITEM_REACHED and event.value is not None:
            rec.items_reached = max(rec.items_reached, int(event.value))
        elif event.kind == EventKind.MISSION_COMPLETE:
            seen.complete = True
        elif event.kind == EventKind.STATUS_TEXT and "crash" in event.detail.lower():
            self._note(event.detail)
            rec.outcome = Outcome.CRASHED
        elif event.kind == EventKind.STATUS_TEXT and (event.value or 0) <= _WARNING:
            self._note(f"autopilot: {event.detail}")  # e.g. GPS Glitch, EKF variance

    def position(self) -> GeoPoint | None:
        """Where the vehicle is now, if it has said."""
        return self._here()

    def _here(self) -> GeoPoint | None:
        s = self.status
        if s.lat_deg is None or s.lon_deg is None:
            return None
        return GeoPoint(lat_deg=s.lat_deg, lon_deg=s.lon_deg)

    def _sprayer_off(self) -> None:
        """Switch the sprayer off: DO_SPRAYER when the mission uses it, and the registered
        pump's servo channel to its off pulse. A servo the registry does not name as the
        pump is never touched (it may hold a payload)."""
        servo = self.options.pump_servo
        if not _sprays(self.mission) and servo is None:
            return
        try:
            if _sprays(self.mission):
                self.commander.sprayer(False)
            if servo is not None:
                self.commander.set_servo(*servo)
            self._note("Tanbo switched the sprayer off")
        except FleetError as exc:
            self._note(f"could not switch the sprayer off: {exc}")

    def _sprayed_legs(
        self, track: list[tuple[float, float, float, float, bool]]
    ) -> list[list[tuple[float, float]]]:
        """The spray legs flown, as (lon, lat) lines: each leg the vehicle reached the end
        of, and of the leg it was on when the flight ended, the part up to where it last
        sprayed. In AUTO ArduPilot holds the line between waypoints to within a metre or
        so, so the legs say where the spray went better than position reports a second or
        more apart (a simulator at speed-up sends them seconds of its time apart)."""
        legs: list[list[tuple[float, float]]] = []
        previous: tuple[float, float] | None = None
        reached = self.record.items_reached
        for seq, item in enumerate(self.mission.items, 1):
            if item.position is None or not item.command.is_nav:
                continue
            here = (item.lon_deg, item.lat_deg)
            if seq > reached:  # the leg it was on: as far as it sprayed
                last = next((t for t in reversed(track) if t[4]), None)
                if previous is not None and self._spray[seq] and last is not None:
                    legs.append([previous, (last[2], last[1])])
                break
            if previous is not None and self._spray[seq]:
                legs.append([previous, here])
            previous = here
        return [leg for leg in legs if leg[0] != leg[1]]

    def _finish(self) -> None:
        """Figures from the track; safe to call however the flight ended."""
        rec = self.record
        s = self.status
        rec.battery_end_pct, rec.battery_used_mah = self._airborne_battery or (
            s.battery_pct,
            s.battery_used_mah,
        )
        with self._track_lock:
            track = list(self._track)
        if len(track) < 2:
            return
        crs = local_crs_for(track[0][2], track[0][1])
        line = to_local(shapely.LineString([(t[2], t[1]) for t in track]), crs)
        xy = shapely.get_coordinates(line)
        steps = [math.dist(a, b) for a, b in itertools.pairwise(xy)]
        rec.distance_m = float(sum(steps))
        rec.max_alt_m = max(t[3] for t in track)
        airborne = [i for i, t in enumerate(track) if t[3] > _TAKEOFF_ALT_M]
        if airborne:
            # The samples on the ground either side of the flight say where and when it
            # left and came back (more exactly than the watcher's polling could).
            # Without a sample on the ground before (or after), the times and places the
            # watcher noted at arming (and disarming) stand.
            first, last = airborne[0], airborne[-1]
            before = track[first - 1] if first > 0 else track[first]
            after = track[last + 1] if last + 1 < len(track) else track[last]
            rec.flight_time_s = max(0.0, after[0] - before[0])
            if first > 0:
                rec.takeoff_at = self._at(before[0])
                rec.takeoff_place = GeoPoint(lat_deg=before[1], lon_deg=before[2])
            elif rec.takeoff_at is None:
                # Airborne samples prove a take-off the watcher did not catch (it was
                # starved of CPU, or the link went first): it left when it was armed.
                rec.takeoff_at = self._armed_at or self._at(before[0])
                rec.takeoff_place = self._armed_place or GeoPoint(
                    lat_deg=before[1], lon_deg=before[2]
                )
            if last + 1 < len(track) and rec.landing_at is not None:
                rec.landing_at = self._at(after[0])
                rec.landing_place = GeoPoint(lat_deg=after[1], lon_deg=after[2])
        swath = self.info.swath_m
        if swath:
            legs = self._sprayed_legs(track)
            if legs:
                local = [to_local(shapely.LineString(leg), crs) for leg in legs]
                swept = shapely.union_all(
                    [leg.buffer(swath / 2.0, cap_style="flat") for leg in local], grid_size=1e-6
                )
                rec.sprayed_m2 = float(swept.area)
