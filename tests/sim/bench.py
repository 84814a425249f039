"""A simulated vehicle without sockets: the state, services, flight controller, failsafes and
fault injector wired as the endpoint wires them, with sent messages collected in a list and
time moved on by hand."""

from collections.abc import Sequence
from typing import Any

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from sim import (
    Autopilot,
    CommandRequest,
    CommandService,
    FailsafeService,
    FaultInjector,
    MissionStore,
    ParamTable,
    SimConfig,
    StoredItem,
    StreamSchedule,
    Telemetry,
    VehicleState,
)
from sim.flight import FlightController
from sim.mission_items import MissionKind
from sim.physics import LocalFrame
from sim.state import CopterMode

HOME = (34.9283, 134.8414)
FRAME = LocalFrame(lat0_deg=HOME[0], lon0_deg=HOME[1])
REL = mavlink.MAV_FRAME_GLOBAL_RELATIVE_ALT
MISSION_FRAME = mavlink.MAV_FRAME_MISSION


class Bench:
    """One vehicle, ready to arm at once, whose time moves only when :meth:`run` says so."""

    def __init__(self, **config: Any) -> None:
        self.config = SimConfig(**{"gps_delay_s": 0.0, "prearm_delay_s": 0.0, **config})
        self.sent: list[Any] = []
        self.state = VehicleState.at_start(self.config)
        self.params = ParamTable.copter()
        self.store = MissionStore(self.state)
        telemetry = Telemetry(self.state, lambda: self.store.count(MissionKind.MISSION))
        self.commands = CommandService(StreamSchedule(), telemetry, self.sent.append, lambda: 0.0)
        self.autopilot = Autopilot(self.state, self.params, self.commands, self.sent.append)
        self.flight = FlightController(
            self.state, self.params, self.store, self.sent.append, self.config,
            self.autopilot.change_mode, self.commands,
        )  # fmt: skip
        self.autopilot.on_mode = self.flight.enter_mode
        self.telemetry = telemetry
        self.failsafe = FailsafeService(
            self.state, self.params, self.store, self.autopilot, self.flight, self.sent.append
        )
        self.link_up = True
        self.faults = FaultInjector(self.state, self.params, self.flight, self._set_link)

    def _set_link(self, up: bool) -> None:
        self.link_up = up

    def load(self, items: Sequence[StoredItem]) -> None:
        """Store ``items`` as the mission (item 0, the home placeholder, is added)."""
        home = StoredItem(seq=0, frame=0, command=mavlink.MAV_CMD_NAV_WAYPOINT)
        self.store.replace(MissionKind.MISSION, [home, *items])

    def command(self, command: int, *params: float) -> int:
        """Run a command as COMMAND_LONG would; its MAV_RESULT."""
        p = (*params, *[0.0] * (7 - len(params)))
        self.commands.run(CommandRequest(command=command, params=p, sysid=255, compid=190))  # type: ignore[arg-type]
        ack = [m for m in self.sent if m.get_type() == "COMMAND_ACK"][-1]
        return int(ack.result)

    def mode(self, mode: CopterMode) -> int:
        return self.autopilot.change_mode(mode)

    def arm_and_auto(self) -> None:
        assert self.mode(CopterMode.GUIDED) == mavlink.MAV_RESULT_ACCEPTED
        assert self.autopilot.arm() == mavlink.MAV_RESULT_ACCEPTED
        assert self.mode(CopterMode.AUTO) == mavlink.MAV_RESULT_ACCEPTED

    def run(self, seconds: float) -> None:
        """Fly on ``seconds`` of simulated time."""
        self.flight.advance_to(self.state.time_s + seconds)

    def run_until(self, done: Any, limit_s: float, step_s: float = 0.5) -> float:
        """Fly until ``done()`` holds (at most ``limit_s``); the simulated seconds it took."""
        start = self.state.time_s
        while not done():
            assert self.state.time_s - start < limit_s, f"not done within {limit_s} s"
            self.run(step_s)
        return self.state.time_s - start

    def of_type(self, kind: str) -> list[Any]:
        return [m for m in self.sent if m.get_type() == kind]

    def texts(self) -> list[str]:
        """Every STATUSTEXT sent, in order."""
        return [m.text for m in self.of_type("STATUSTEXT")]

    def reached(self) -> list[int]:
        return [m.seq for m in self.of_type("MISSION_ITEM_REACHED")]

    def local(self) -> tuple[float, float, float]:
        """Metres north, east and up of home."""
        north, east = self.flight.frame.to_local(self.state.lat_deg, self.state.lon_deg)
        return north, east, self.state.alt_m


def item(seq: int, command: int, *params: float, north: float = 0.0, east: float = 0.0,
         alt: float = 0.0, frame: int = REL) -> StoredItem:  # fmt: skip
    """A mission item ``north``/``east`` metres from home (both 0: "here") at ``alt`` metres."""
    p = (*params, *[0.0] * (4 - len(params)))
    if north == 0.0 and east == 0.0:
        x = y = 0
    else:
        lat, lon = FRAME.to_global(north, east)
        x, y = round(lat * 1e7), round(lon * 1e7)
    return StoredItem(
        seq=seq, frame=frame, command=command, param1=p[0], param2=p[1], param3=p[2],
        param4=p[3], x=x, y=y, z=alt,
    )  # fmt: skip


def takeoff(seq: int, alt: float) -> StoredItem:
    return item(seq, mavlink.MAV_CMD_NAV_TAKEOFF, alt=alt)


def waypoint(seq: int, north: float, east: float, alt: float, hold_s: float = 0.0) -> StoredItem:
    return item(seq, mavlink.MAV_CMD_NAV_WAYPOINT, hold_s, north=north, east=east, alt=alt)


def do(seq: int, command: int, *params: float) -> StoredItem:
    return item(seq, command, *params, frame=MISSION_FRAME)
