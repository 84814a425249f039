"""Faults put into a running vehicle and taken out again, on simulated time.

:class:`FaultInjector` applies each :mod:`sim.faults` value to the vehicle, keeps it
until it is cleared or its duration has passed (checked after every step of the
flight model, so a 30 s gust lasts 30 simulated seconds at any speedup), and records
each change in :attr:`VehicleState.fault_log` (and nothing on the wire: a ground
station learns of a fault only from what the vehicle does). One fault of each kind
is active at a time; injecting another of the same kind replaces it.

* link cut: the endpoint's ``link_up`` is set False, so nothing is sent or received;
* GPS loss: no fix (:attr:`VehicleState.gps_lost`); the EKF and its failsafe follow;
* battery drop: the charge drawn is raised so that the given percentage is left;
* motor failure: a quadcopter (FRAME_CLASS 1) or a tricopter tumbles down and crashes;
  a frame with six or more motors flies on, as ArduPilot's mixer lets it;
* gust: extra wind on top of the steady wind.
"""

from collections.abc import Callable

from sim.faults import (
    BatteryDrop,
    Fault,
    FaultChange,
    FaultKind,
    FaultRecord,
    GpsLoss,
    Gust,
    LinkCut,
    MotorFailure,
    parse_fault,
)
from sim.flight import FlightController
from sim.params import ParamTable
from sim.physics import CALM, Wind
from sim.state import VehicleState

__all__ = ["FRAME_MOTORS", "FaultInjector"]

FRAME_MOTORS = {1: 4, 2: 6, 3: 8, 4: 8, 5: 6, 7: 3, 12: 12, 14: 10}
"""Motors per FRAME_CLASS (quad, hexa, octa, octa-quad, Y6, tri, dodeca-hexa, deca)."""

_REDUNDANT = 6  # with this many motors or more, losing one is survivable


class FaultInjector:
    """Applies faults to one vehicle and takes them out again.

    Parameters
    ----------
    state
        The vehicle's state (its GPS, its battery, the fault log).
    params
        BATT_CAPACITY and FRAME_CLASS are read from here.
    flight
        The flight controller (gusts, motors); the injector is stepped from its
        :attr:`~sim.flight.FlightController.after_step`.
    set_link
        Cuts (False) or restores (True) the vehicle's radio link.
    """

    def __init__(
        self,
        state: VehicleState,
        params: ParamTable,
        flight: FlightController,
        set_link: Callable[[bool], None],
    ) -> None:
        self.state = state
        self._params = params
        self._flight = flight
        self._set_link = set_link
        self._active: dict[FaultKind, tuple[Fault, float]] = {}
        flight.after_step.append(self.update)

    @property
    def active(self) -> dict[FaultKind, Fault]:
        """The faults in force now, by kind."""
        return {kind: fault for kind, (fault, _) in self._active.items()}

    def inject(self, fault: Fault | str) -> None:
        """Put ``fault`` (a value, or its text form) into the vehicle now.

        Raises
        ------
        ValueError
            The text does not name a fault, or the motor is not one the frame has.
        """
        if isinstance(fault, str):
            fault = parse_fault(fault)
        if isinstance(fault, MotorFailure):
            motors = self.motors
            if fault.motor > motors:
                raise ValueError(f"motor {fault.motor}: this frame has motors 1 to {motors}")
        if fault.kind in self._active:
            self._end(fault.kind, self.state.time_s)
        self._record(fault, FaultChange.INJECTED, self.state.time_s)
        self._apply(fault, on=True)
        if not isinstance(fault, BatteryDrop):  # a drop is over once made
            self._active[fault.kind] = (fault, self.state.time_s)

    def clear(self, kind: FaultKind | str) -> bool:
        """End the fault of ``kind`` now; False if none was in force.

        Raises
        ------
        ValueError
            ``kind`` names no kind of fault.
        """
        try:
            kind = FaultKind(kind)
        except ValueError:
            known = ", ".join(FaultKind)
            raise ValueError(f"unknown fault kind {kind!r}; known: {known}") from None
        if kind not in self._active:
            return False
        self._end(kind, self.state.time_s)
        return True

    def update(self, dt_s: float) -> None:
        """End the faults whose time is up (recorded at the moment it was up)."""
        for kind, (fault, started_s) in list(self._active.items()):
            duration = getattr(fault, "duration_s", None)
            if duration is not None and self.state.time_s >= started_s + duration - 1e-9:
                self._end(kind, started_s + duration)

    @property
    def motors(self) -> int:
        """How many motors the frame (FRAME_CLASS) has."""
        return FRAME_MOTORS.get(int(self._params.get("FRAME_CLASS")), 4)

    def _end(self, kind: FaultKind, time_s: float) -> None:
        fault, _ = self._active.pop(kind)
        self._apply(fault, on=False)
        self._record(fault, FaultChange.CLEARED, time_s)

    def _record(self, fault: Fault, change: FaultChange, time_s: float) -> None:
        self.state.fault_log.append(FaultRecord(time_s=time_s, fault=fault, change=change))

    def _apply(self, fault: Fault, *, on: bool) -> None:
        s, flight = self.state, self._flight
        if isinstance(fault, LinkCut):
            self._set_link(not on)
        elif isinstance(fault, GpsLoss):
            s.gps_lost = on
        elif isinstance(fault, BatteryDrop):
            capacity = self._params.get("BATT_CAPACITY")
            s.battery_mah = max(s.battery_mah, capacity * (1.0 - fault.remaining_pct / 100.0))
        elif isinstance(fault, MotorFailure):
            flight.motor_failed = on and self.motors < _REDUNDANT
            if not on:
                flight.tipped_over = False  # put back on its feet with the motor mended
        elif isinstance(fault, Gust):
            flight.gust = Wind(speed_m_s=fault.speed_m_s, from_deg=fault.from_deg) if on else CALM
