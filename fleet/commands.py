"""Commands to one vehicle: COMMAND_LONG with its COMMAND_ACK, modes and parameters.

Every command waits for its COMMAND_ACK (1.5 s, resent with ``confirmation`` counting
up, as the MAVLink command protocol says; IN_PROGRESS extends the wait) and turns a
refusal into :class:`~fleet.errors.CommandFailed` with the autopilot's own reason —
ArduPilot explains a refused arming in a STATUSTEXT sent just before the ACK
("PreArm: Need 3D Fix"), so the texts that arrived while the command was pending
are part of the error::

    arming refused (MAV_RESULT_FAILED): PreArm: Need 3D Fix
"""

import math
import threading
import time
from collections.abc import Callable

from pymavlink import mavutil
from pymavlink.dialects.v20 import ardupilotmega as mavlink

from fleet.errors import CommandFailed
from fleet.link import Link, Message, Waiter

__all__ = ["ACK_TIMEOUT_S", "RETRIES", "Commander"]

ACK_TIMEOUT_S = 1.5
"""Seconds to wait for a COMMAND_ACK before sending the command again (QGroundControl's)."""
RETRIES = 3
"""Times a command is resent before it counts as unanswered."""
PARAM_TIMEOUT_S = 1.0

_RESULT_WORDS = {
    mavlink.MAV_RESULT_TEMPORARILY_REJECTED: "temporarily rejected",
    mavlink.MAV_RESULT_DENIED: "denied",
    mavlink.MAV_RESULT_UNSUPPORTED: "not supported by the autopilot",
    mavlink.MAV_RESULT_FAILED: "refused",
}

_WHAT = {
    mavlink.MAV_CMD_COMPONENT_ARM_DISARM: "arming",
    mavlink.MAV_CMD_DO_SET_MODE: "mode change",
    mavlink.MAV_CMD_NAV_TAKEOFF: "take-off",
    mavlink.MAV_CMD_MISSION_START: "mission start",
    mavlink.MAV_CMD_NAV_RETURN_TO_LAUNCH: "return to launch",
    mavlink.MAV_CMD_NAV_LAND: "landing",
    mavlink.MAV_CMD_DO_SPRAYER: "sprayer",
    mavlink.MAV_CMD_DO_SET_SERVO: "servo",
    mavlink.MAV_CMD_SET_MESSAGE_INTERVAL: "message interval",
}

FORCE_ARM = 21196.0
"""param2 of ARM_DISARM that skips the pre-arm checks (ArduPilot and PX4)."""


def command_name(command: int) -> str:
    """``MAV_CMD_…`` name of a command number."""
    entry = mavlink.enums["MAV_CMD"].get(command)
    return entry.name if entry is not None else f"MAV_CMD {command}"


def result_name(result: int) -> str:
    """``MAV_RESULT_…`` name of a result number."""
    entry = mavlink.enums["MAV_RESULT"].get(result)
    return entry.name if entry is not None else f"MAV_RESULT {result}"


class Commander:
    """Commands, modes and parameters of the vehicle ``system_id`` on ``link``.

    Parameters
    ----------
    link
        The link the vehicle is heard on.
    system_id, component_id
        The vehicle's autopilot.
    ack_timeout_s, retries
        Per-attempt wait and resends (QGroundControl's figures by default).
    """

    def __init__(
        self,
        link: Link,
        system_id: int,
        component_id: int = 1,
        *,
        ack_timeout_s: float = ACK_TIMEOUT_S,
        retries: int = RETRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.link = link
        self.system_id = system_id
        self.component_id = component_id
        self.ack_timeout_s = ack_timeout_s
        self.retries = retries
        self._clock = clock
        self._lock = threading.Lock()  # one command in flight per vehicle, as ArduPilot expects

    def _from_vehicle(self, msg: Message) -> bool:
        return bool(msg.get_srcSystem() == self.system_id)

    # -- COMMAND_LONG ------------------------------------------------------------------

    def command(self, command: int, *params: float, what: str | None = None) -> int:
        """Send ``command`` with up to seven params and wait for it to be accepted.

        Returns
        -------
        int
            MAV_RESULT_ACCEPTED.

        Raises
        ------
        CommandFailed
            The vehicle answered anything but ACCEPTED (with its STATUSTEXT reason), or
            nothing after all retries (result ``"NO_ACK"``).
        """
        values = [float(p) for p in params] + [0.0] * (7 - len(params))
        what = what or _WHAT.get(command, command_name(command))

        def is_ack(msg: Message) -> bool:
            return bool(
                msg.get_type() == "COMMAND_ACK"
                and self._from_vehicle(msg)
                and msg.command == command
            )

        def is_text(msg: Message) -> bool:
            return bool(msg.get_type() == "STATUSTEXT" and self._from_vehicle(msg))

        with self._lock, self.link.expect(is_ack) as acks, self.link.expect(is_text) as texts:
            for attempt in range(self.retries + 1):
                self.link.send(
                    mavlink.MAVLink_command_long_message(
                        self.system_id, self.component_id, command, attempt, *values
                    )
                )
                deadline = self._clock() + self.ack_timeout_s
                while (ack := acks.get(deadline - self._clock())) is not None:
                    if ack.result == mavlink.MAV_RESULT_IN_PROGRESS:
                        deadline = self._clock() + self.ack_timeout_s
                        continue
                    if ack.result == mavlink.MAV_RESULT_ACCEPTED:
                        return int(ack.result)
                    reason = _drain_texts(texts)
                    words = _RESULT_WORDS.get(ack.result, "refused")
                    message = f"{what} {words} ({result_name(ack.result)})"
                    raise CommandFailed(
                        message + (f": {reason}" if reason else ""),
                        command=command_name(command),
                        result=result_name(ack.result),
                        reason=reason,
                    )
            waited = self.ack_timeout_s * (self.retries + 1)
            raise CommandFailed(
                f"{what}: vehicle {self.system_id} did not answer in {waited:g} s "
                f"({self.retries + 1} tries)",
                command=command_name(command),
                result="NO_ACK",
                reason=None,
            )

    # -- the usual commands ------------------------------------------------------------

    def arm(self, *, force: bool = False) -> None:
        """Arm the motors (pre-arm checks run unless ``force``)."""
        self.command(mavlink.MAV_CMD_COMPONENT_ARM_DISARM, 1.0, FORCE_ARM if force else 0.0)

    def disarm(self, *, force: bool = False) -> None:
        """Disarm (ArduPilot refuses while flying unless ``force``)."""
        self.command(
            mavlink.MAV_CMD_COMPONENT_ARM_DISARM, 0.0, FORCE_ARM if force else 0.0, what="disarming"
        )

    def set_mode(self, mode: str) -> None:
        """Switch to flight mode ``mode`` (ArduPilot's names: GUIDED, AUTO, RTL, LAND, …).

        Raises
        ------
        CommandFailed
            The mode is unknown for this vehicle type, or the vehicle refused it.
        """
        status = self.link.tracker(self.system_id).status
        mapping = mavutil.mode_mapping_byname(status.vehicle_type or mavlink.MAV_TYPE_QUADROTOR)
        name = mode.upper()
        if not mapping or name not in mapping:
            known = ", ".join(sorted(mapping or {}))
            raise CommandFailed(
                f"mode {mode!r} is unknown for this vehicle (known: {known})",
                command="MAV_CMD_DO_SET_MODE",
                result="UNKNOWN_MODE",
                reason=None,
            )
        tracker = self.link.tracker(self.system_id)
        tracker.expect_mode(name)
        try:
            self.command(
                mavlink.MAV_CMD_DO_SET_MODE,
                float(mavlink.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED),
                float(mapping[name]),
                what=f"mode change to {name}",
            )
        except CommandFailed:
            tracker.expect_mode(None)  # a later switch to it would be the autopilot's own
            raise

    def takeoff(self, alt_m: float) -> None:
        """Take off to ``alt_m`` above home (GUIDED, armed)."""
        self.command(mavlink.MAV_CMD_NAV_TAKEOFF, 0, 0, 0, math.nan, 0, 0, alt_m)

    def start_mission(self, first: int = 0, last: int = 0) -> None:
        """Start the uploaded mission (AUTO)."""
        self.command(mavlink.MAV_CMD_MISSION_START, first, last)

    def sprayer(self, on: bool) -> None:
        """Switch ArduPilot's sprayer on or off (MAV_CMD_DO_SPRAYER)."""
        self.command(mavlink.MAV_CMD_DO_SPRAYER, 1.0 if on else 0.0)

    def set_servo(self, channel: int, pwm_us: int) -> None:
        """Set servo output ``channel`` to ``pwm_us`` (a pump on a servo channel)."""
        self.command(mavlink.MAV_CMD_DO_SET_SERVO, channel, pwm_us)

    def set_message_interval(self, message_id: int, rate_hz: float) -> None:
        """Ask for message ``message_id`` at ``rate_hz`` (0 stops it)."""
        interval_us = -1.0 if rate_hz <= 0 else 1e6 / rate_hz
        self.command(mavlink.MAV_CMD_SET_MESSAGE_INTERVAL, message_id, interval_us)

    def request_message(self, message_id: int) -> None:
        """Ask for one ``message_id`` now (MAV_CMD_REQUEST_MESSAGE)."""
        self.command(mavlink.MAV_CMD_REQUEST_MESSAGE, message_id)

    # -- parameters --------------------------------------------------------------------

    def get_param(self, name: str) -> float:
        """The value of parameter ``name``.

        Raises
        ------
        CommandFailed
            No PARAM_VALUE for it came back after the retries (unknown name, or no answer).
        """
        answer = self._param_exchange(
            name,
            lambda: mavlink.MAVLink_param_request_read_message(
                self.system_id, self.component_id, name.encode(), -1
            ),
            "read",
        )
        return float(answer.param_value)

    def set_param(self, name: str, value: float) -> float:
        """Set parameter ``name``; the value the vehicle now holds (it may round it).

        Raises
        ------
        CommandFailed
            The vehicle did not confirm, or kept a different value (out of its range).
        """
        answer = self._param_exchange(
            name,
            lambda: mavlink.MAVLink_param_set_message(
                self.system_id,
                self.component_id,
                name.encode(),
                float(value),
                mavlink.MAV_PARAM_TYPE_REAL32,
            ),
            "set",
        )
        held = float(answer.param_value)
        if not math.isclose(held, float(value), rel_tol=1e-6, abs_tol=1e-6):
            raise CommandFailed(
                f"parameter {name}: set to {value:g} but the vehicle holds {held:g}",
                command="PARAM_SET",
                result="NOT_SET",
                reason=None,
            )
        return held

    def _param_exchange(self, name: str, build: Callable[[], Message], verb: str) -> Message:
        def is_value(msg: Message) -> bool:
            return bool(
                msg.get_type() == "PARAM_VALUE"
                and self._from_vehicle(msg)
                and str(msg.param_id).rstrip("\x00") == name
            )

        with self._lock, self.link.expect(is_value) as values:
            for _ in range(self.retries + 1):
                self.link.send(build())
                answer = values.get(PARAM_TIMEOUT_S)
                if answer is not None:
                    return answer
        raise CommandFailed(
            f"parameter {name}: no answer to {verb} from vehicle {self.system_id} "
            "(unknown parameter, or the link is down)",
            command=f"PARAM_{verb.upper()}",
            result="NO_ANSWER",
            reason=None,
        )


def _drain_texts(texts: Waiter) -> str | None:
    """The autopilot's texts received while the command was pending (and a moment
    after its refusal, in case the explanation trails the ACK), joined."""
    lines: list[str] = []
    wait_s = 0.2
    while (msg := texts.get(wait_s)) is not None:
        wait_s = 0.0
        text = str(msg.text).rstrip("\x00").strip()
        if text and text not in lines:
            lines.append(text)
    return "; ".join(lines) or None
