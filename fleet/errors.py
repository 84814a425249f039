"""Errors of talking to vehicles.

::

    TanboError                          (core)
    └── FleetError
        ├── LinkError                   the link cannot be opened, or is lost
        ├── CommandFailed               a command was refused, failed or went unanswered
        ├── TransferFailed              a mission, fence or rally transfer did not complete
        │   └── InvalidUpload           an item would be refused: names the item and field
        ├── PreflightFailed             a pre-flight check failed: names the check
        └── UnknownVehicle              no registered vehicle has that registration
"""

from core.errors import TanboError

__all__ = [
    "CommandFailed",
    "FleetError",
    "InvalidUpload",
    "LinkError",
    "PreflightFailed",
    "TransferFailed",
    "UnknownVehicle",
]


class FleetError(TanboError):
    """Something a vehicle or its link refused or could not do."""


class LinkError(FleetError):
    """A MAVLink link that cannot be opened, or that was lost while it was needed."""


class CommandFailed(FleetError):
    """A command the vehicle refused, failed, or did not answer.

    Attributes
    ----------
    command
        The MAV_CMD name, e.g. ``"MAV_CMD_COMPONENT_ARM_DISARM"``.
    result
        The MAV_RESULT name, or ``"NO_ACK"`` when nothing came back.
    reason
        What the autopilot said about it (its last STATUSTEXT), if anything.
    """

    def __init__(self, message: str, *, command: str, result: str, reason: str | None) -> None:
        super().__init__(message)
        self.command = command
        self.result = result
        self.reason = reason


class TransferFailed(FleetError):
    """A mission, fence or rally upload, download or clear that did not complete.

    Attributes
    ----------
    result
        The MAV_MISSION_RESULT name the vehicle sent, or ``"TIMEOUT"``, ``"MISMATCH"``,
        ``"INCOMPLETE"`` (accepted before every item was sent) or ``"INVALID"``.
    """

    def __init__(self, message: str, *, result: str) -> None:
        super().__init__(message)
        self.result = result


class InvalidUpload(TransferFailed):
    """An item that must not be sent: names its index and field. Nothing was sent."""

    def __init__(self, message: str, *, index: int, field: str) -> None:
        super().__init__(message, result="INVALID")
        self.index = index
        self.field = field


class PreflightFailed(FleetError):
    """A pre-flight check that did not pass.

    Attributes
    ----------
    check
        The check's name, e.g. ``"gps"``.
    """

    def __init__(self, message: str, *, check: str) -> None:
        super().__init__(message)
        self.check = check


class UnknownVehicle(FleetError):
    """No vehicle is registered under that registration number."""
