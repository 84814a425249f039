"""The sprayer, the pump's servo output, the gripper, the winch and the camera trigger.

The same DO commands arrive as mission items (run by AUTO as it reaches them) and
as COMMAND_LONG/COMMAND_INT; both end here and change the vehicle's state. As in
ArduPilot, DO_SPRAYER only switches the sprayer on when SPRAY_ENABLE is 1, and the
pump then runs at SPRAY_PUMP_RATE percent per m/s of ground speed; DO_SET_SERVO on
the pump's output (:data:`PUMP_SERVO`) sets its output directly, scaled between
SERVO9_MIN and SERVO9_MAX (how variable-rate spraying is done).
"""

from sim.commands import CommandRequest, CommandService
from sim.energy import pump_output_pct
from sim.params import ParamTable
from sim.state import SprayEvent, VehicleState
from sim.wire import mavlink

__all__ = ["PAYLOAD_COMMANDS", "PUMP_SERVO", "PayloadService"]

PUMP_SERVO = 9
"""The servo output the pump hangs on (SERVO9_*)."""

PAYLOAD_COMMANDS = frozenset(
    {
        mavlink.MAV_CMD_DO_SPRAYER,
        mavlink.MAV_CMD_DO_SET_SERVO,
        mavlink.MAV_CMD_DO_GRIPPER,
        mavlink.MAV_CMD_DO_WINCH,
        mavlink.MAV_CMD_DO_SET_CAM_TRIGG_DIST,
    }
)
"""The commands this service carries out."""

Params4 = tuple[float, float, float, float]
ACCEPTED = int(mavlink.MAV_RESULT_ACCEPTED)


class PayloadService:
    """Carries out the payload DO commands on ``state``.

    Parameters
    ----------
    state
        The vehicle whose sprayer, tank, payload and camera are changed.
    params
        SPRAY_* and SERVO9_* are read from here when needed.
    commands
        When given, the commands are also answered as COMMAND_LONG/COMMAND_INT.
    """

    def __init__(
        self, state: VehicleState, params: ParamTable, commands: CommandService | None = None
    ) -> None:
        self.state = state
        self._params = params
        if commands is not None:
            for command in PAYLOAD_COMMANDS:
                commands.register(command, self._from_request)

    def _from_request(self, request: CommandRequest) -> int:
        p = request.params
        return self.run(request.command, (p[0], p[1], p[2], p[3]))

    def run(self, command: int, params: Params4, seq: int | None = None) -> int:
        """Carry out ``command`` with ``params`` (param1..param4); its MAV_RESULT.

        ``seq`` is the mission item it came from (for :attr:`VehicleState.spray_log`);
        None for a command from a ground station.
        """
        p1, p2, p3, _ = params
        if command == mavlink.MAV_CMD_DO_SPRAYER:
            self.switch_sprayer(p1 == 1.0, seq)
        elif command == mavlink.MAV_CMD_DO_SET_SERVO:
            return self._set_servo(int(p1), p2, seq)
        elif command == mavlink.MAV_CMD_DO_GRIPPER:
            if int(p2) == mavlink.GRIPPER_ACTION_RELEASE:
                self.state.payload_kg = 0.0
        elif command == mavlink.MAV_CMD_DO_WINCH:
            lowered = int(p2) == mavlink.WINCH_RELATIVE_LENGTH_CONTROL and p3 > 0.0
            if lowered or int(p2) == mavlink.WINCH_DELIVER:
                self.state.payload_kg = 0.0
        elif command == mavlink.MAV_CMD_DO_SET_CAM_TRIGG_DIST:
            self.state.cam_trigger_dist_m = max(0.0, p1)
        else:
            return int(mavlink.MAV_RESULT_UNSUPPORTED)
        return ACCEPTED

    def _log(self, on: bool, seq: int | None) -> None:
        s = self.state
        s.spray_log.append(
            SprayEvent(time_s=s.time_s, seq=s.mission_seq if seq is None else seq, on=on)
        )

    def switch_sprayer(self, on: bool, seq: int | None = None) -> None:
        """Switch the sprayer (refused quietly, as ArduPilot does, while SPRAY_ENABLE is 0)."""
        on = on and self._params.get("SPRAY_ENABLE") == 1.0
        if on != self.state.sprayer_on:
            self.state.sprayer_on = on
            self._log(on, seq)

    def stop(self) -> None:
        """Stop spraying whichever way the pump was started (failsafes, RTL, LAND, disarm)."""
        self.switch_sprayer(False)
        if self.state.servo_pump_pct > 0.0:
            self.state.servo_pump_pct = 0.0
            self._log(False, None)

    def _set_servo(self, channel: int, pwm_us: float, seq: int | None) -> int:
        if not 1 <= channel <= 32:
            return int(mavlink.MAV_RESULT_DENIED)
        if channel != PUMP_SERVO:
            return ACCEPTED  # nothing modelled on the other outputs
        low, high = self._params.get("SERVO9_MIN"), self._params.get("SERVO9_MAX")
        pct = 100.0 * (pwm_us - low) / (high - low) if high > low else 0.0
        pct = max(0.0, min(100.0, pct))
        if (pct > 0.0) != (self.state.servo_pump_pct > 0.0):
            self._log(pct > 0.0, seq)
        self.state.servo_pump_pct = pct
        return ACCEPTED

    def pump_pct(self, ground_speed_m_s: float) -> float:
        """The pump's output now, %: 0 disarmed or with an empty tank."""
        s = self.state
        if not s.armed or s.tank_l <= 0.0:
            return 0.0
        if s.sprayer_on:
            return pump_output_pct(
                ground_speed_m_s=ground_speed_m_s,
                rate_pct_per_m_s=self._params.get("SPRAY_PUMP_RATE"),
                min_pct=self._params.get("SPRAY_PUMP_MIN"),
                speed_min_m_s=self._params.get("SPRAY_SPEED_MIN") / 100.0,
            )
        return s.servo_pump_pct
