"""The ground crew: between sorties, a vehicle standing disarmed is refilled and given a
fresh battery.

A spray plan's sorties each start with a full tank and a charged battery; on a farm the
crew refills the tank and swaps the battery while the drone stands on its pad. The
simulator does the same after the vehicle has stood disarmed on the ground for
``SimConfig.ground_crew_s`` simulated seconds (None: nobody comes). A real swap power-
cycles the autopilot; here the battery's failsafe level is simply forgotten, and the
mission and parameters are kept.
"""

from collections.abc import Callable

from sim.config import SimConfig
from sim.state import VehicleState

__all__ = ["GroundCrew"]

_SWAP_BELOW_PCT = 95.0


class GroundCrew:
    """Refills the tank and swaps the battery of a vehicle that stands disarmed long enough.

    Parameters
    ----------
    state
        The vehicle's state (read for arming and height, written with tank and battery).
    config
        ``ground_crew_s`` and the airframe's tank.
    battery_replaced
        Told when a fresh battery went in (the failsafes forget the old one's level).
    """

    def __init__(
        self, state: VehicleState, config: SimConfig, battery_replaced: Callable[[], None]
    ) -> None:
        self.state = state
        self._wait_s = config.ground_crew_s
        self._tank_l = config.airframe.tank_capacity_l
        self._battery_replaced = battery_replaced
        self._standing_s = 0.0
        self.services = 0
        """How many times the crew has serviced the vehicle."""
        self.refilled_l = 0.0
        """Litres the crew has poured in, in all."""

    def update(self, dt_s: float) -> None:
        """Called after every flight step with its length (simulated seconds)."""
        s = self.state
        on_pad = not s.armed and s.alt_m <= 0.05
        if self._wait_s is None or not on_pad:
            self._standing_s = 0.0
            return
        self._standing_s += dt_s
        # Idle draw on the pad does not send anyone out; a flown battery or tank does.
        spent = s.battery_pct < _SWAP_BELOW_PCT or s.tank_l < self._tank_l - 0.01
        if self._standing_s >= self._wait_s and spent:
            self.refilled_l += self._tank_l - s.tank_l
            s.tank_l = self._tank_l
            s.battery_mah = 0.0
            s.battery_pct = 100.0
            self._battery_replaced()
            self.services += 1
            self._standing_s = 0.0
