"""Arming and mode changes, refused as ArduPilot Copter refuses them.

Arming needs the pre-arm checks passed (else COMMAND_ACK FAILED and a STATUSTEXT
"PreArm: ..." saying why) and an armable mode; AUTO is armable only with
AUTO_OPTIONS bit 0. A forced command (param2 = 21196) skips the checks; other services
add their own (:attr:`Autopilot.prearm_checks`: the battery and the fence). Modes that
need a position (AUTO, GUIDED, LOITER, RTL, BRAKE) are refused while the EKF has none.
SET_MODE is answered with a COMMAND_ACK whose command is SET_MODE's message id
(11), as ArduPilot does.
"""

from collections.abc import Callable

from sim.commands import CommandRequest, CommandService
from sim.params import ParamTable
from sim.state import CopterMode, VehicleState
from sim.wire import Message, Send, mavlink

__all__ = ["FORCE_MAGIC", "NEEDS_POSITION", "Autopilot"]

FORCE_MAGIC = 21196.0
"""param2 of COMPONENT_ARM_DISARM that forces arming or disarming past the checks."""

NEEDS_POSITION = frozenset(
    {CopterMode.AUTO, CopterMode.GUIDED, CopterMode.LOITER, CopterMode.RTL, CopterMode.BRAKE}
)
"""The modes that need a position estimate (ArduPilot's ``requires_GPS``)."""
_NOT_ARMABLE = frozenset({CopterMode.RTL, CopterMode.LAND})
_ON_GROUND_M = 0.2


class Autopilot:
    """The arming and mode state machine (flight itself is the flight controller's, told of
    each mode change through :attr:`on_mode`)."""

    def __init__(
        self, state: VehicleState, params: ParamTable, commands: CommandService, send: Send
    ) -> None:
        self.state = state
        self._params = params
        self._send = send
        commands.register(mavlink.MAV_CMD_COMPONENT_ARM_DISARM, self.arm_disarm)
        commands.register(mavlink.MAV_CMD_DO_SET_MODE, self.do_set_mode)
        self.handlers: dict[str, Callable[[Message], None]] = {"SET_MODE": self.set_mode_message}
        self.on_mode: Callable[[CopterMode], str | None] | None = None
        """Told of each mode change before it is made; a reason (sent as STATUSTEXT) refuses it."""
        self.prearm_checks: list[Callable[[], str | None]] = []
        """More pre-arm checks, each giving the reason arming is refused (after "PreArm: ")."""

    def _text(self, text: str, severity: int = mavlink.MAV_SEVERITY_CRITICAL) -> None:
        self._send(mavlink.MAVLink_statustext_message(severity, text.encode()))

    def arm_disarm(self, request: CommandRequest) -> int:
        """COMPONENT_ARM_DISARM: param1 1 arms, 0 disarms; param2 21196 forces."""
        force = request.params[1] == FORCE_MAGIC
        if request.params[0] == 0.0:
            return self.disarm(force=force)
        return self.arm(force=force)

    def arm(self, *, force: bool = False) -> int:
        """Arm, or say why not; the MAV_RESULT."""
        s = self.state
        if s.armed:
            return int(mavlink.MAV_RESULT_ACCEPTED)
        if not force:
            reason = self._prearm_failure()
            if reason is not None:
                self._text(f"PreArm: {reason}")
                return int(mavlink.MAV_RESULT_FAILED)
            if s.mode in _NOT_ARMABLE or (
                s.mode == CopterMode.AUTO and not int(self._params.get("AUTO_OPTIONS")) & 1
            ):
                self._text("Arm: Mode not armable")
                return int(mavlink.MAV_RESULT_FAILED)
        s.armed = True
        return int(mavlink.MAV_RESULT_ACCEPTED)

    def disarm(self, *, force: bool = False) -> int:
        """Disarm on the ground (or anywhere when forced); the MAV_RESULT."""
        if self.state.alt_m > _ON_GROUND_M and not force:
            self._text("Disarm: vehicle is flying")
            return int(mavlink.MAV_RESULT_FAILED)
        self.state.armed = False
        return int(mavlink.MAV_RESULT_ACCEPTED)

    def _prearm_failure(self) -> str | None:
        if not self.state.gps_ok:
            return "Need 3D Fix"
        if not self.state.prearm_ok:
            return "EKF3 still initialising"
        for check in self.prearm_checks:
            reason = check()
            if reason is not None:
                return reason
        return None

    def change_mode(self, custom_mode: int) -> int:
        """Switch to Copter mode ``custom_mode``; FAILED for an unknown mode or no position."""
        try:
            mode = CopterMode(custom_mode)
        except ValueError:
            self._text(f"Unknown mode {custom_mode}", mavlink.MAV_SEVERITY_WARNING)
            return int(mavlink.MAV_RESULT_FAILED)
        if mode in NEEDS_POSITION and not self.state.position_ok:
            self._text(f"Mode change to {mode.name} failed: requires position")
            return int(mavlink.MAV_RESULT_FAILED)
        if mode == self.state.mode:
            return int(mavlink.MAV_RESULT_ACCEPTED)  # already there: nothing restarts
        if self.on_mode is not None:
            refusal = self.on_mode(mode)
            if refusal is not None:
                self._text(refusal)
                return int(mavlink.MAV_RESULT_FAILED)
        self.state.mode = mode
        return int(mavlink.MAV_RESULT_ACCEPTED)

    def do_set_mode(self, request: CommandRequest) -> int:
        """DO_SET_MODE: param1 base mode (with CUSTOM_MODE_ENABLED), param2 the Copter mode."""
        if not int(request.params[0]) & mavlink.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED:
            return int(mavlink.MAV_RESULT_DENIED)
        return self.change_mode(int(request.params[1]))

    def set_mode_message(self, msg: Message) -> None:
        """SET_MODE (the message): change mode and acknowledge with command id 11."""
        if msg.base_mode & mavlink.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED:
            result = self.change_mode(msg.custom_mode)
        else:
            result = int(mavlink.MAV_RESULT_DENIED)
        self._send(
            mavlink.MAVLink_command_ack_message(
                mavlink.MAVLINK_MSG_ID_SET_MODE,
                result,
                0,
                0,
                msg.get_srcSystem(),
                msg.get_srcComponent(),
            )
        )
