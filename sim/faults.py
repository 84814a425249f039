"""Faults a running vehicle can be given, as plain values, and the short text that names them.

Each fault is a frozen value; :func:`parse_fault` reads the text form a command line or
an HTTP request carries, and refuses anything else with a ``ValueError`` that names the
bad part. The text forms (durations and the gust in simulated seconds, m/s and degrees):

=============================  ===============================================================
``link-cut[:SECONDS]``         the radio link is cut: nothing is sent or received
``gps-loss[:SECONDS]``         the GPS loses its fix (no satellites)
``battery:PCT``                the battery's remaining capacity drops to PCT % at once
``motor[:N]``                  motor N (1 when not given) stops
``gust:SPEED@DEG[:SECONDS]``   extra wind of SPEED m/s blowing from DEG (clockwise from north)
=============================  ===============================================================

Without SECONDS a fault lasts until it is cleared. A battery drop is a single event:
there is nothing to clear afterwards.

>>> parse_fault("gust:8@270:30")
Gust(speed_m_s=8.0, from_deg=270.0, duration_s=30.0)
>>> parse_fault("motor").spec, parse_fault("link-cut:12.5").spec
('motor:1', 'link-cut:12.5')
>>> parse_fault("battery:120")
Traceback (most recent call last):
ValueError: fault 'battery:120': PCT '120' must be between 0 and 100
"""

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

__all__ = [
    "MAX_MOTORS",
    "BatteryDrop",
    "Fault",
    "FaultChange",
    "FaultKind",
    "FaultRecord",
    "GpsLoss",
    "Gust",
    "LinkCut",
    "MotorFailure",
    "parse_fault",
]

MAX_MOTORS = 12
"""The most motors an ArduPilot multicopter frame has."""


class FaultKind(StrEnum):
    """The kinds of fault, named as their text form starts."""

    LINK_CUT = "link-cut"
    GPS_LOSS = "gps-loss"
    BATTERY = "battery"
    MOTOR = "motor"
    GUST = "gust"


class FaultChange(StrEnum):
    """What happened to a fault at a moment of simulated time."""

    INJECTED = "injected"
    CLEARED = "cleared"


def _number(text: float) -> str:
    return f"{text:g}"


def _check_duration(duration_s: float | None) -> None:
    if duration_s is not None and not (math.isfinite(duration_s) and duration_s > 0.0):
        raise ValueError(f"duration {duration_s} s must be finite and positive")


@dataclass(frozen=True, kw_only=True, slots=True)
class LinkCut:
    """The radio link is cut for ``duration_s`` simulated seconds (None: until cleared)."""

    kind: ClassVar[FaultKind] = FaultKind.LINK_CUT
    duration_s: float | None = None

    def __post_init__(self) -> None:
        _check_duration(self.duration_s)

    @property
    def spec(self) -> str:
        """The text form, as :func:`parse_fault` reads it."""
        return _with_duration(self.kind, self.duration_s)


@dataclass(frozen=True, kw_only=True, slots=True)
class GpsLoss:
    """The GPS has no fix for ``duration_s`` simulated seconds (None: until cleared)."""

    kind: ClassVar[FaultKind] = FaultKind.GPS_LOSS
    duration_s: float | None = None

    def __post_init__(self) -> None:
        _check_duration(self.duration_s)

    @property
    def spec(self) -> str:
        """The text form, as :func:`parse_fault` reads it."""
        return _with_duration(self.kind, self.duration_s)


@dataclass(frozen=True, kw_only=True, slots=True)
class BatteryDrop:
    """The battery's remaining capacity drops to ``remaining_pct`` % (a cell failing, a
    wrong pack fitted); the voltage follows. A higher figure than what is left changes
    nothing: charge never comes back."""

    kind: ClassVar[FaultKind] = FaultKind.BATTERY
    remaining_pct: float

    def __post_init__(self) -> None:
        if not 0.0 <= self.remaining_pct <= 100.0:
            raise ValueError(f"remaining {self.remaining_pct} % must be between 0 and 100")

    @property
    def spec(self) -> str:
        """The text form, as :func:`parse_fault` reads it."""
        return f"{self.kind}:{_number(self.remaining_pct)}"


@dataclass(frozen=True, kw_only=True, slots=True)
class MotorFailure:
    """Motor ``motor`` (from 1, ArduPilot's numbering) stops until cleared."""

    kind: ClassVar[FaultKind] = FaultKind.MOTOR
    motor: int = 1

    def __post_init__(self) -> None:
        if not 1 <= self.motor <= MAX_MOTORS:
            raise ValueError(f"motor {self.motor} must be between 1 and {MAX_MOTORS}")

    @property
    def spec(self) -> str:
        """The text form, as :func:`parse_fault` reads it."""
        return f"{self.kind}:{self.motor}"


@dataclass(frozen=True, kw_only=True, slots=True)
class Gust:
    """Extra wind of ``speed_m_s`` blowing from ``from_deg`` (clockwise from north) on top
    of the steady wind, for ``duration_s`` simulated seconds (None: until cleared)."""

    kind: ClassVar[FaultKind] = FaultKind.GUST
    speed_m_s: float
    from_deg: float
    duration_s: float | None = None

    def __post_init__(self) -> None:
        if not (math.isfinite(self.speed_m_s) and self.speed_m_s >= 0.0):
            raise ValueError(f"gust speed {self.speed_m_s} m/s must be finite and >= 0")
        if not 0.0 <= self.from_deg <= 360.0:
            raise ValueError(f"gust direction {self.from_deg} deg must be between 0 and 360")
        _check_duration(self.duration_s)

    @property
    def spec(self) -> str:
        """The text form, as :func:`parse_fault` reads it."""
        head = f"{self.kind}:{_number(self.speed_m_s)}@{_number(self.from_deg)}"
        return head if self.duration_s is None else f"{head}:{_number(self.duration_s)}"


Fault = LinkCut | GpsLoss | BatteryDrop | MotorFailure | Gust
"""Any fault a vehicle can be given."""


@dataclass(frozen=True, kw_only=True, slots=True)
class FaultRecord:
    """``fault`` was injected or cleared at simulated ``time_s`` (seconds since start)."""

    time_s: float
    fault: Fault
    change: FaultChange


def _with_duration(kind: FaultKind, duration_s: float | None) -> str:
    return str(kind) if duration_s is None else f"{kind}:{_number(duration_s)}"


class _Spec:
    """One text spec being read: each complaint names the spec and the part that is wrong."""

    def __init__(self, text: str) -> None:
        self.text = text

    def error(self, message: str) -> ValueError:
        return ValueError(f"fault {self.text!r}: {message}")

    def number(self, name: str, part: str, low: float, high: float) -> float:
        try:
            value = float(part)
        except ValueError:
            raise self.error(f"{name} {part!r} is not a number") from None
        if not math.isfinite(value) or not low <= value <= high:
            raise self.error(f"{name} {part!r} must be between {low:g} and {high:g}")
        return value

    def duration(self, part: str) -> float:
        try:
            value = float(part)
        except ValueError:
            raise self.error(f"SECONDS {part!r} is not a number") from None
        if not (math.isfinite(value) and value > 0.0):
            raise self.error(f"SECONDS {part!r} must be a finite number more than 0")
        return value

    def arity(self, args: list[str], most: int, form: str) -> None:
        if len(args) > most:
            raise self.error(f"too many ':' parts; the form is {form!r}")


_FORMS = {
    FaultKind.LINK_CUT: "link-cut[:SECONDS]",
    FaultKind.GPS_LOSS: "gps-loss[:SECONDS]",
    FaultKind.BATTERY: "battery:PCT",
    FaultKind.MOTOR: "motor[:N]",
    FaultKind.GUST: "gust:SPEED@DEG[:SECONDS]",
}


def parse_fault(text: str) -> Fault:
    """The fault a text spec names (surrounding spaces ignored; nothing else is forgiven).

    Parameters
    ----------
    text
        One of the forms in the module's table, e.g. ``"link-cut:30"``, ``"battery:25"``,
        ``"gust:8@270:20"``.

    Returns
    -------
    Fault
        The value the spec names.

    Raises
    ------
    ValueError
        The kind is unknown, a part is missing or extra, a number does not read or is out
        of range; the message quotes the spec and names the part.
    """
    spec = _Spec(text)
    head, *args = text.strip().split(":")
    try:
        kind = FaultKind(head)
    except ValueError:
        known = ", ".join(_FORMS.values())
        raise spec.error(f"unknown kind {head!r}; known: {known}") from None
    form = _FORMS[kind]
    if kind in (FaultKind.LINK_CUT, FaultKind.GPS_LOSS):
        spec.arity(args, 1, form)
        duration = spec.duration(args[0]) if args else None
        return (
            LinkCut(duration_s=duration)
            if kind == FaultKind.LINK_CUT
            else GpsLoss(duration_s=duration)
        )
    if kind == FaultKind.BATTERY:
        if not args:
            raise spec.error(f"PCT is missing; the form is {form!r}")
        spec.arity(args, 1, form)
        return BatteryDrop(remaining_pct=spec.number("PCT", args[0], 0.0, 100.0))
    if kind == FaultKind.MOTOR:
        spec.arity(args, 1, form)
        if not args:
            return MotorFailure()
        if not args[0].isdigit():
            raise spec.error(f"N {args[0]!r} is not a whole number")
        return MotorFailure(motor=int(spec.number("N", args[0], 1, MAX_MOTORS)))
    if not args or "@" not in args[0]:
        raise spec.error(f"SPEED@DEG is missing; the form is {form!r}")
    spec.arity(args, 2, form)
    speed, _, direction = args[0].partition("@")
    return Gust(
        speed_m_s=spec.number("SPEED", speed, 0.0, 100.0),
        from_deg=spec.number("DEG", direction, 0.0, 360.0),
        duration_s=spec.duration(args[1]) if len(args) == 2 else None,
    )
