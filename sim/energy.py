"""The airframe, its battery and its spray tank: what flying costs, one time step at a time.

Pure values and functions. The current drawn in a hover scales with the total mass
to the power 1.5 (ideal rotor power, thrust = weight), a little more when moving or
climbing; the battery's open-circuit voltage falls linearly from 4.2 V to 3.5 V a
cell as it empties and sags by the current through its internal resistance. The
pump's output follows ArduPilot's sprayer: SPRAY_PUMP_RATE percent per m/s of ground
speed, at least SPRAY_PUMP_MIN, nothing below SPRAY_SPEED_MIN.

>>> frame = Airframe()
>>> round(hover_current_a(frame, frame.mass_kg(tank_l=10.0, payload_kg=0.0)), 1)
70.0
>>> b = Battery(capacity_mah=22000.0).drain(current_a=66.0, dt_s=60.0)
>>> round(b.consumed_mah), round(b.remaining_pct, 1), round(b.voltage_v(66.0), 2)
(1100, 95.0, 48.66)
"""

import math
from dataclasses import dataclass, replace

__all__ = [
    "Airframe",
    "Battery",
    "current_a",
    "drain_tank",
    "hover_current_a",
    "pump_output_pct",
    "spray_flow_l_min",
    "throttle_pct",
]

_CELL_FULL_V = 4.2
_CELL_EMPTY_V = 3.5
_CELL_DEAD_V = 3.0


@dataclass(frozen=True, kw_only=True, slots=True)
class Airframe:
    """A spraying quadcopter's physical figures (a 10 L class agricultural drone).

    Attributes
    ----------
    empty_kg
        Mass with the battery and an empty tank, kg.
    tank_capacity_l
        Spray tank volume, litres (1 L of mix weighs 1 kg).
    hover_a, hover_ref_kg
        Current drawn hovering at the reference total mass, A and kg.
    idle_a
        Current drawn disarmed (avionics only), A.
    hover_throttle_pct
        Throttle output hovering at the reference mass, %.
    pump_max_l_min
        Pump flow at 100 % output, litres per minute.
    cells, internal_ohm
        Battery cells in series and the pack's internal resistance, ohm.
    """

    empty_kg: float = 16.0
    tank_capacity_l: float = 10.0
    hover_a: float = 70.0
    hover_ref_kg: float = 26.0
    idle_a: float = 0.5
    hover_throttle_pct: float = 45.0
    pump_max_l_min: float = 6.0
    cells: int = 12
    internal_ohm: float = 0.02

    def __post_init__(self) -> None:
        for name in self.__slots__:
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} = {value} must be finite and positive")

    def mass_kg(self, *, tank_l: float, payload_kg: float) -> float:
        """Total mass with ``tank_l`` litres in the tank and ``payload_kg`` carried, kg."""
        return self.empty_kg + tank_l + payload_kg


def hover_current_a(airframe: Airframe, mass_kg: float) -> float:
    """Current drawn hovering at ``mass_kg``, A (scales as mass to the power 1.5)."""
    return airframe.hover_a * float((mass_kg / airframe.hover_ref_kg) ** 1.5)


def current_a(
    airframe: Airframe,
    *,
    mass_kg: float,
    armed: bool,
    airborne: bool,
    speed_m_s: float,
    climb_m_s: float,
) -> float:
    """Current drawn from the battery, A.

    Disarmed: the avionics; armed on the ground: the motors idling (a tenth of a
    hover); flying: the hover current, plus drag (grows with airspeed squared) and
    climbing work.
    """
    if not armed:
        return airframe.idle_a
    hover = hover_current_a(airframe, mass_kg)
    if not airborne:
        return airframe.idle_a + 0.1 * hover
    load = 1.0 + 0.002 * speed_m_s**2 + 0.15 * max(climb_m_s, 0.0)
    return airframe.idle_a + hover * load


def throttle_pct(airframe: Airframe, *, mass_kg: float, armed: bool, airborne: bool) -> float:
    """Throttle output, % (0 disarmed, idle on the ground, hover figure scaled by mass)."""
    if not armed:
        return 0.0
    if not airborne:
        return 10.0
    return min(100.0, airframe.hover_throttle_pct * math.sqrt(mass_kg / airframe.hover_ref_kg))


@dataclass(frozen=True, kw_only=True, slots=True)
class Battery:
    """A battery pack: its capacity and what has been drawn from it.

    Attributes
    ----------
    capacity_mah
        Capacity, mAh (BATT_CAPACITY).
    consumed_mah
        Drawn so far, mAh.
    cells, internal_ohm
        Cells in series and internal resistance, ohm.
    """

    capacity_mah: float
    consumed_mah: float = 0.0
    cells: int = 12
    internal_ohm: float = 0.02

    @property
    def remaining_pct(self) -> float:
        """Charge left, % of capacity (0..100)."""
        return max(0.0, min(100.0, 100.0 * (1.0 - self.consumed_mah / self.capacity_mah)))

    def voltage_v(self, current_a: float) -> float:
        """Terminal voltage while ``current_a`` flows, V (sagging as it empties and under load)."""
        left = self.remaining_pct / 100.0
        cell = _CELL_EMPTY_V + (_CELL_FULL_V - _CELL_EMPTY_V) * left
        if left <= 0.0:  # past empty the voltage collapses
            over = self.consumed_mah / self.capacity_mah - 1.0
            cell = max(_CELL_DEAD_V, _CELL_EMPTY_V - 5.0 * over)
        return self.cells * cell - current_a * self.internal_ohm

    def drain(self, *, current_a: float, dt_s: float) -> "Battery":
        """The pack after ``current_a`` amperes for ``dt_s`` seconds."""
        return replace(self, consumed_mah=self.consumed_mah + current_a * dt_s / 3.6)


def pump_output_pct(
    *, ground_speed_m_s: float, rate_pct_per_m_s: float, min_pct: float, speed_min_m_s: float
) -> float:
    """The sprayer pump's output as ArduPilot's AC_Sprayer sets it, %.

    >>> pump_output_pct(ground_speed_m_s=5.0, rate_pct_per_m_s=10.0, min_pct=0.0,
    ...                 speed_min_m_s=1.0)
    50.0
    >>> pump_output_pct(ground_speed_m_s=0.5, rate_pct_per_m_s=10.0, min_pct=0.0,
    ...                 speed_min_m_s=1.0)
    0.0
    """
    if ground_speed_m_s < speed_min_m_s:
        return 0.0
    return max(min_pct, min(100.0, ground_speed_m_s * rate_pct_per_m_s))


def spray_flow_l_min(airframe: Airframe, pump_pct: float) -> float:
    """Flow out of the tank at ``pump_pct`` % output, litres per minute."""
    return airframe.pump_max_l_min * max(0.0, min(100.0, pump_pct)) / 100.0


def drain_tank(tank_l: float, flow_l_min: float, dt_s: float) -> float:
    """Litres left after ``dt_s`` seconds at ``flow_l_min`` (never below empty)."""
    return max(0.0, tank_l - flow_l_min * dt_s / 60.0)
