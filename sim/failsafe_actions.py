"""What a failsafe does once it has gone off: ArduPilot Copter's failsafe actions.

:class:`Responder` is shared by the failsafes (:mod:`sim.failsafe`,
:mod:`sim.fence_failsafe`): it announces in ArduPilot's words ("Battery Failsafe",
"GCS Failsafe - Disarming"), stops the sprayer, logs the event, and carries out an
action (Copter's ``do_failsafe_action``): LAND holds its height four seconds first, RTL
lands instead when it cannot be entered (no position), BRAKE likewise. SmartRTL is not
modelled and RTL, which also flies home, stands in for it; the DO_LAND_START jump is
not modelled either and ArduPilot's own fallback, RTL, is flown.
"""

from enum import IntEnum

from sim.autopilot import Autopilot
from sim.flight import FlightController
from sim.state import CopterMode, FailsafeEvent, FailsafeKind, VehicleState
from sim.wire import Send, mavlink

__all__ = ["GCS_ACTIONS", "LAND_PAUSE_S", "FailsafeAction", "Responder", "priority"]

LAND_PAUSE_S = 4.0
"""How long a failsafe LAND holds its height first (ArduPilot's LAND_WITH_DELAY_MS)."""

ACCEPTED = int(mavlink.MAV_RESULT_ACCEPTED)


class FailsafeAction(IntEnum):
    """The failsafe actions, numbered as BATT_FS_LOW_ACT numbers them (Copter's FailsafeAction)."""

    NONE = 0
    LAND = 1
    RTL = 2
    SMARTRTL = 3
    SMARTRTL_LAND = 4
    TERMINATE = 5
    AUTO_DO_LAND_START = 6
    BRAKE_LAND = 7


_PRIORITIES = (
    FailsafeAction.TERMINATE,
    FailsafeAction.LAND,
    FailsafeAction.RTL,
    FailsafeAction.SMARTRTL_LAND,
    FailsafeAction.SMARTRTL,
    FailsafeAction.NONE,
)  # Copter's _failsafe_priorities: earlier wins

GCS_ACTIONS = {
    0: FailsafeAction.NONE,
    1: FailsafeAction.RTL,
    2: FailsafeAction.RTL,  # "continue in AUTO", deprecated: ArduPilot flies RTL for it now
    3: FailsafeAction.SMARTRTL,
    4: FailsafeAction.SMARTRTL_LAND,
    5: FailsafeAction.LAND,
    6: FailsafeAction.AUTO_DO_LAND_START,
    7: FailsafeAction.BRAKE_LAND,
}
"""The action each FS_GCS_ENABLE value asks for (another value: RTL, as ArduPilot falls back)."""


def priority(action: int) -> int:
    """How urgent ``action`` is: 0 is the most (terminate), an unknown action the least.

    >>> priority(FailsafeAction.LAND) < priority(FailsafeAction.RTL) < priority(99)
    True
    """
    return _PRIORITIES.index(action) if action in _PRIORITIES else len(_PRIORITIES)


class Responder:
    """Carries out failsafe actions on one vehicle.

    Parameters
    ----------
    state
        The vehicle; its failsafe log is written.
    autopilot
        Mode changes and disarming.
    flight
        The payload to stop, the landing pause, whether it is landing.
    send
        Hands STATUSTEXT to the endpoint.
    """

    def __init__(
        self, state: VehicleState, autopilot: Autopilot, flight: FlightController, send: Send
    ) -> None:
        self.state = state
        self.autopilot = autopilot
        self.flight = flight
        self._send = send

    def text(self, text: str, severity: int = mavlink.MAV_SEVERITY_WARNING) -> None:
        """Send a STATUSTEXT."""
        self._send(mavlink.MAVLink_statustext_message(severity, text.encode()))

    def announce(self, kind: str, undertaken: str | None = None) -> None:
        """ "<kind> Failsafe" or "<kind> Failsafe - <undertaken>", as Copter announces them."""
        self.text(f"{kind} Failsafe" + ("" if undertaken is None else f" - {undertaken}"))

    def log(self, kind: FailsafeKind, action: str) -> None:
        """Record a failsafe event at the simulated time now."""
        self.state.failsafe_log.append(
            FailsafeEvent(time_s=self.state.time_s, kind=kind, action=action)
        )

    def stop_spraying(self) -> None:
        """Pump off (until commanded on again)."""
        self.flight.payload.stop()

    @property
    def landed(self) -> bool:
        """On the ground (ArduPilot's ``land_complete``)."""
        return bool(self.state.landed_state == mavlink.MAV_LANDED_STATE_ON_GROUND)

    @property
    def landing(self) -> bool:
        """In LAND, or in the landing part of RTL or of a mission."""
        task = self.flight.active_task()
        return self.state.mode == CopterMode.LAND or (task is not None and task.landing)

    @property
    def should_disarm(self) -> bool:
        """Armed but still on the ground: a failsafe disarms instead of flying anywhere."""
        return self.state.armed and self.landed

    def set_mode(self, mode: CopterMode) -> bool:
        """Switch to ``mode``; whether it could (staying in it counts)."""
        return self.autopilot.change_mode(mode) == ACCEPTED

    def land_with_pause(self) -> None:
        """LAND, holding its height :data:`LAND_PAUSE_S` first."""
        self.flight.land_pause_s = LAND_PAUSE_S
        try:
            self.set_mode(CopterMode.LAND)
        finally:
            self.flight.land_pause_s = 0.0

    def do_action(self, action: int) -> str:
        """Carry out failsafe ``action`` (Copter's ``do_failsafe_action``); what it did: the
        mode it is in, ``"disarm"`` or ``"none"``."""
        if action == FailsafeAction.NONE:
            return "none"
        if action == FailsafeAction.TERMINATE:
            self.autopilot.disarm(force=True)
            return "disarm"
        if action == FailsafeAction.LAND:
            self.land_with_pause()
        elif action == FailsafeAction.BRAKE_LAND:
            if not self.set_mode(CopterMode.BRAKE):
                self.land_with_pause()
        elif action in (
            FailsafeAction.RTL,
            FailsafeAction.SMARTRTL,
            FailsafeAction.SMARTRTL_LAND,
            FailsafeAction.AUTO_DO_LAND_START,
        ):
            if not self.set_mode(CopterMode.RTL):
                self.land_with_pause()
        else:
            return "none"  # not an action ArduPilot knows: it does nothing
        return self.state.mode.name
