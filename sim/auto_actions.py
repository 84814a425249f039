"""What AUTO's mission does to the vehicle, and the commands that steer the mission.

The mission runner (:mod:`sim.mission_run`) decides when; this carries it out: the
MISSION_CURRENT and MISSION_ITEM_REACHED reports, the DO commands (DO_CHANGE_SPEED's
speeds, DO_SET_HOME, the payload's commands; DO_SET_RELAY, DO_REPEAT_SERVO/RELAY and the
camera commands are accepted, with nothing modelled behind them), disarming on a
mission landing and at the end of a mission on the ground. MAV_CMD_DO_LAND_START jumps
to the mission's landing sequence (the DO_LAND_START nearest the vehicle) in AUTO, as
ArduPilot's "AUTO RTL" does (which it reports as mode 27; this simulator says AUTO);
MAV_CMD_DO_SET_HOME moves home.

DO_SET_HOME moves home's latitude and longitude (RTL returns there, HOME_POSITION
reports it); its altitude stays, so altitudes above home keep their meaning.
"""

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from sim.commands import CommandRequest
from sim.mission_items import MissionKind, StoredItem
from sim.mission_nav import is_nav
from sim.mission_transfer import MissionStore
from sim.state import CopterMode
from sim.wire import Send, mavlink

if TYPE_CHECKING:
    from sim.flight import FlightController

__all__ = ["AutoActions"]

ACCEPTED = int(mavlink.MAV_RESULT_ACCEPTED)
FAILED = int(mavlink.MAV_RESULT_FAILED)
_GRIPPER_WORDS = {
    int(mavlink.GRIPPER_ACTION_RELEASE): "Gripper Released",
    int(mavlink.GRIPPER_ACTION_GRAB): "Gripper Grabbed",
}
"""What ArduPilot tells the ground station when a mission's DO_GRIPPER runs."""


class AutoActions:
    """The mission's hooks into one flight controller.

    Parameters
    ----------
    flight
        The vehicle flown.
    store
        Its stored lists.
    send
        Where MISSION_CURRENT, MISSION_ITEM_REACHED and STATUSTEXT go.
    change_mode
        The autopilot's mode change.
    """

    def __init__(
        self,
        flight: "FlightController",
        store: MissionStore,
        send: Send,
        change_mode: Callable[[int], int],
    ) -> None:
        self._flight = flight
        self._store = store
        self._send = send
        self._change_mode = change_mode
        self._resume = False

    # -- the runner's hooks ------------------------------------------------------------

    def current(self, seq: int) -> None:
        """The runner's current item: reported with MISSION_CURRENT."""
        self._flight.state.mission_seq = seq
        total = self._store.count(MissionKind.MISSION)
        self._send(mavlink.MAVLink_mission_current_message(seq, total))

    def reached(self, seq: int) -> None:
        """A command complete: MISSION_ITEM_REACHED."""
        self._send(mavlink.MAVLink_mission_item_reached_message(seq))

    def text(self, severity: int, text: str) -> None:
        """A STATUSTEXT."""
        self._send(mavlink.MAVLink_statustext_message(severity, text.encode()))

    def disarm(self) -> None:
        """Touched down on a NAV_LAND that ends the mission."""
        self._flight.state.armed = False

    def finished(self) -> None:
        """The mission is over: the vehicle holds where it is, or disarms if it is down."""
        if self._flight.motion.on_ground:
            self._flight.state.armed = False

    def run_do(self, item: StoredItem) -> None:
        """A DO command met in the mission."""
        if item.command == mavlink.MAV_CMD_DO_CHANGE_SPEED:
            self._flight.change_speed(item.param1, item.param2)
        elif item.command == mavlink.MAV_CMD_DO_SET_HOME:
            here = item.param1 == 1.0 or (item.x == 0 and item.y == 0 and item.z == 0.0)
            self.set_home(None if here else (item.x / 1e7, item.y / 1e7))
        else:  # the payload's; anything else is accepted with nothing behind it
            params = (item.param1, item.param2, item.param3, item.param4)
            self._flight.payload.run(item.command, params, item.seq)
            if item.command == mavlink.MAV_CMD_DO_GRIPPER and int(item.param2) in _GRIPPER_WORDS:
                # AP_Mission::start_command_do_gripper says so to the ground station.
                self.text(mavlink.MAV_SEVERITY_INFO, _GRIPPER_WORDS[int(item.param2)])

    # -- home and the landing sequence ---------------------------------------------------

    def set_home(self, where: tuple[float, float] | None) -> None:
        """Move home to (lat_deg, lon_deg), or to where the vehicle is when None."""
        s = self._flight.state
        lat, lon = (s.lat_deg, s.lon_deg) if where is None else where
        s.config = replace(s.config, home_lat_deg=lat, home_lon_deg=lon)

    def set_home_command(self, request: CommandRequest) -> int:
        """MAV_CMD_DO_SET_HOME: param1 1 is here, else the position in param5 and param6."""
        p = request.params
        if p[0] == 1.0:
            self.set_home(None)
            return ACCEPTED
        if not (-90.0 <= p[4] <= 90.0 and -180.0 <= p[5] <= 180.0) or (p[4] == p[5] == 0.0):
            return FAILED
        self.set_home((p[4], p[5]))
        return ACCEPTED

    def take_resume(self) -> bool:
        """Whether the next AUTO must resume at the current item whatever MIS_RESTART says
        (after a jump to the landing sequence); asking clears it."""
        resume, self._resume = self._resume, False
        return resume

    def landing_sequence(self) -> int:
        """The DO_LAND_START nearest the vehicle (by its position, or that of the NAV command
        after it), or 0 when there is none (AP_Mission::get_landing_sequence_start)."""
        f = self._flight
        best, best_m = 0, -1.0
        items = self._store.items(MissionKind.MISSION)
        for item in items[1:]:
            if item.command != mavlink.MAV_CMD_DO_LAND_START:
                continue
            place = item if item.x or item.y else _next_nav_at(items, item.seq)
            if place is None:
                continue
            north, east = f.frame.to_local(place.x / 1e7, place.y / 1e7)
            distance = ((north - f.motion.north_m) ** 2 + (east - f.motion.east_m) ** 2) ** 0.5
            if best_m < 0.0 or distance < best_m:
                best, best_m = item.seq, distance
        return best

    def land_start_command(self, request: CommandRequest) -> int:
        """MAV_CMD_DO_LAND_START: fly the landing sequence in AUTO ("AUTO RTL")."""
        seq = self.landing_sequence()
        if seq == 0:
            self.text(
                mavlink.MAV_SEVERITY_WARNING,
                "Mode change to AUTO RTL failed: No landing sequence found",
            )
            return FAILED
        f = self._flight
        f.state.mission_seq = seq
        f.runner.complete = False
        if f.state.mode == CopterMode.AUTO:
            f.runner.start(seq, f.motion, f.nav_settings())
        else:
            self._resume = True
            if self._change_mode(CopterMode.AUTO) != ACCEPTED:
                self._resume = False
                return FAILED
        self.text(mavlink.MAV_SEVERITY_INFO, "Landing sequence start")
        return ACCEPTED


def _next_nav_at(items: list[StoredItem], seq: int) -> StoredItem | None:
    """The first NAV command after ``seq`` with a position (jumps not followed)."""
    for item in items[seq + 1 :]:
        if is_nav(item.command):
            return item if item.x or item.y else None
    return None
