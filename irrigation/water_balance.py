"""The paddy's water balance, one time step at a time: a pure function of values.

The state is one number, ``depth_cm``: standing water above the soil surface when positive;
when negative, the perched water table below it, which is what a paddy water-level sensor in
a perforated tube reads once the water has gone. Below the surface the soil holds
``soil_storage_fraction`` of each centimetre as water the crop can use (the drainable and
plant-available pore space of a puddled soil, 0.3 by default: an assumption to tune per field
from the fall of the water table during 中干し); the store is empty at ``floor_cm`` (−20 cm),
where ET stops. So the water held, in mm over the paddy, is ``10 · depth_cm`` above the
surface and ``10 · soil_storage_fraction · depth_cm`` below it.

One :func:`step` applies, in this order, each as a volume taken from or added to that store
so that the balance closes to rounding (storage change = in − out):

1. **rain** and **inflow** through the inlet: ``inlet_opening · paddy.inlet_flow_m3_h``;
2. **evapotranspiration**: the crop's ET for the step (``etc_mm``, from
   :mod:`irrigation.crop_water`) times the drained-soil stress factor at the step's start,
   never more than the store holds above the floor;
3. **percolation** through the puddled layer, ``percolation_mm_day`` (5 mm/day by default, a
   well-puddled loam; 1–3 on heavy clay, 10–20 on sandy or poorly puddled soils), only from
   standing water: it stops when the paddy is drained;
4. **outlet gate** (only if the paddy has one): a weir-type drop outlet, so its flow grows
   with the head above the soil surface as ``Q = outlet_opening · paddy.outlet_flow_m3_h ·
   (h / outlet_reference_head_cm)^1.5``, integrated exactly over the step (dh/dt = −k h^1.5);
5. **weir overflow** over the fixed outlet crest (``paddy.outlet_crest_cm``, the outlet's weir
   boards that set the paddy's maximum depth): a broad-crested weir, ``Q = C · b · H^1.5`` (SI,
   C = 1.7 m^0.5/s, b = ``weir_width_m``, H the head above the crest), integrated exactly;
   its capacity is finite, so a storm faster than it raises the water above the crest;
6. **levee overflow**: whatever still stands above ``paddy.levee_height_cm`` spills over the
   levee at once. This is an overflow event, reported in :class:`Fluxes`.

Inputs arrive per step: spread a day's rain or ET over the day with :func:`share_of_day_mm`
(evenly over 24 h by default, or over the hours a storm lasted). Each step's inputs are added
at its start, so the weir sees them all at once: with water over the crest, keep steps to an
hour or less (a day's end depth moves 0.04 cm from 1-minute to 10-minute steps, 0.2 cm at 1 h,
2 cm at one step a day).
"""

import math
from dataclasses import dataclass

from irrigation.crop_water import RICE_DEPLETION_FRACTION, water_stress
from irrigation.errors import BadPaddy, IrrigationError
from irrigation.model import Paddy

__all__ = [
    "DEFAULT_PARAMS",
    "Fluxes",
    "PaddyWater",
    "WaterBalanceParams",
    "depth_cm_for_storage",
    "share_of_day_mm",
    "step",
    "storage_mm",
]

_DAY_S = 86_400.0


@dataclass(frozen=True, kw_only=True, slots=True)
class WaterBalanceParams:
    """What the water balance assumes about a paddy's soil and outlet.

    Parameters
    ----------
    percolation_mm_day
        Seepage and percolation through the puddled layer while water stands, mm/day.
    soil_storage_fraction
        Water the soil gives up per unit fall of the water table below the surface (−).
    floor_cm
        Where the soil-water store is empty, cm (negative: below the surface).
    depletion_fraction
        Share of the soil store used before ET falls (FAO-56 p; 0.20 for rice).
    outlet_reference_head_cm
        The head at which a fully open outlet gate drains ``Paddy.outlet_flow_m3_h``, cm.
    weir_width_m
        Width of the outlet weir's crest, m (a drop outlet's boards: 0.2–0.3 m).
    weir_coefficient
        Discharge coefficient of the outlet weir, m^0.5/s (1.7 broad-crested).
    """

    percolation_mm_day: float = 5.0
    soil_storage_fraction: float = 0.3
    floor_cm: float = -20.0
    depletion_fraction: float = RICE_DEPLETION_FRACTION
    outlet_reference_head_cm: float = 5.0
    weir_width_m: float = 0.3
    weir_coefficient: float = 1.7

    def __post_init__(self) -> None:
        checks = (
            ("percolation_mm_day", self.percolation_mm_day >= 0.0),
            ("soil_storage_fraction", 0.0 < self.soil_storage_fraction <= 1.0),
            ("floor_cm", self.floor_cm < 0.0),
            ("depletion_fraction", 0.0 <= self.depletion_fraction < 1.0),
            ("outlet_reference_head_cm", self.outlet_reference_head_cm > 0.0),
            ("weir_width_m", self.weir_width_m > 0.0),
            ("weir_coefficient", self.weir_coefficient > 0.0),
        )
        for name, ok in checks:
            value = getattr(self, name)
            if not (ok and math.isfinite(value)):
                raise BadPaddy(f"water balance: {name} {value:g} is out of range")


DEFAULT_PARAMS = WaterBalanceParams()


@dataclass(frozen=True, kw_only=True, slots=True)
class PaddyWater:
    """The water in a paddy: standing depth above the surface, or the water table below it."""

    depth_cm: float

    def __post_init__(self) -> None:
        if not math.isfinite(self.depth_cm):
            raise IrrigationError(f"water depth {self.depth_cm} cm is not a number")


@dataclass(frozen=True, kw_only=True, slots=True)
class Fluxes:
    """What moved during one step; volumes in m³ over the paddy, depths in mm."""

    inflow_m3: float
    """Through the inlet."""
    rain_mm: float
    et_mm: float
    """Actual evapotranspiration (after the drained-soil stress)."""
    percolation_mm: float
    outlet_m3: float
    """Through the open outlet gate."""
    weir_overflow_m3: float
    """Over the fixed outlet crest."""
    levee_overflow_m3: float
    """Over the levee: an overflow event."""

    @property
    def overflowed_levee(self) -> bool:
        """Whether water spilled over the levee during the step."""
        return self.levee_overflow_m3 > 0.0

    def net_mm(self, paddy: Paddy) -> float:
        """In minus out over the step, mm over the paddy (equals the storage change)."""
        per_mm_m3 = paddy.area_m2 / 1000.0
        volumes_m3 = self.inflow_m3 - self.outlet_m3 - self.weir_overflow_m3
        return (
            self.rain_mm
            - self.et_mm
            - self.percolation_mm
            + (volumes_m3 - self.levee_overflow_m3) / per_mm_m3
        )


def storage_mm(depth_cm: float, params: WaterBalanceParams = DEFAULT_PARAMS) -> float:
    """Water held relative to a saturated, just-drained surface, mm (negative below it)."""
    if depth_cm >= 0.0:
        return 10.0 * depth_cm
    return 10.0 * params.soil_storage_fraction * depth_cm


def depth_cm_for_storage(storage: float, params: WaterBalanceParams = DEFAULT_PARAMS) -> float:
    """The water level that holds ``storage`` mm: the inverse of :func:`storage_mm`."""
    if storage >= 0.0:
        return storage / 10.0
    return storage / (10.0 * params.soil_storage_fraction)


def _weir_drop(head: float, k: float, dt_s: float) -> float:
    """How far a head falls in ``dt_s`` under dh/dt = −k·h^1.5 (exact), same unit as head."""
    remaining = 1.0 / (1.0 / math.sqrt(head) + 0.5 * k * dt_s) ** 2
    return min(max(head - remaining, 0.0), head)


def step(
    paddy: Paddy,
    water: PaddyWater,
    *,
    dt_s: float,
    inlet_opening: float,
    outlet_opening: float,
    rain_mm: float,
    etc_mm: float,
    params: WaterBalanceParams = DEFAULT_PARAMS,
) -> tuple[PaddyWater, Fluxes]:
    """Advance a paddy's water by one time step.

    Parameters
    ----------
    paddy
        The paddy: area, levee, outlet crest, inlet and outlet flows.
    water
        The water at the step's start.
    dt_s
        The step, s.
    inlet_opening, outlet_opening
        How far the gates are open over the step, 0…1; the outlet is ignored when the paddy
        has no outlet gate.
    rain_mm
        Rain during the step, mm.
    etc_mm
        The crop's unstressed evapotranspiration during the step, mm.
    params
        Soil and outlet assumptions.

    Returns
    -------
    (PaddyWater, Fluxes)
        The water at the step's end and what moved.

    Raises
    ------
    IrrigationError
        An input is out of range, or the water is below the soil store's floor.
    """
    if not (dt_s > 0.0 and math.isfinite(dt_s)):
        raise IrrigationError(f"time step {dt_s} s must be positive")
    if not (0.0 <= inlet_opening <= 1.0 and 0.0 <= outlet_opening <= 1.0):
        raise IrrigationError(f"gate openings {inlet_opening}, {outlet_opening} are not 0…1")
    if not (0.0 <= rain_mm < math.inf and 0.0 <= etc_mm < math.inf):
        raise IrrigationError(f"rain {rain_mm} mm and ET {etc_mm} mm must be 0 or more")
    if water.depth_cm < params.floor_cm:
        raise IrrigationError(
            f"water at {water.depth_cm:g} cm is below the soil store's floor ({params.floor_cm:g})"
        )
    per_mm_m3 = paddy.area_m2 / 1000.0
    floor = storage_mm(params.floor_cm, params)
    s = storage_mm(water.depth_cm, params)

    inflow_m3 = inlet_opening * paddy.inlet_flow_m3_h * dt_s / 3600.0
    s += rain_mm + inflow_m3 / per_mm_m3

    ks = water_stress(
        water.depth_cm, floor_cm=params.floor_cm, depletion_fraction=params.depletion_fraction
    )
    et = min(etc_mm * ks, max(s - floor, 0.0))
    s -= et

    percolation = min(params.percolation_mm_day * dt_s / _DAY_S, max(s, 0.0))
    s -= percolation

    outlet = 0.0
    if paddy.has_outlet_gate and outlet_opening > 0.0 and s > 0.0:
        # Head in cm; Q [m3/h] over the area gives dh/dt [cm/s] = -k h^1.5.
        k = (
            outlet_opening
            * paddy.outlet_flow_m3_h
            / (36.0 * paddy.area_m2 * math.pow(params.outlet_reference_head_cm, 1.5))
        )
        outlet = 10.0 * _weir_drop(s / 10.0, k, dt_s)
        s -= outlet

    weir = 0.0
    crest = 10.0 * paddy.outlet_crest_cm
    if s > crest:
        # Head in m; Q = C b H^1.5 [m3/s] over the area gives dH/dt = -(C b / A) H^1.5.
        k = params.weir_coefficient * params.weir_width_m / paddy.area_m2
        weir = 1000.0 * _weir_drop((s - crest) / 1000.0, k, dt_s)
        s -= weir

    levee = 0.0
    top = 10.0 * paddy.levee_height_cm
    if s > top:
        levee = s - top
        s = top

    fluxes = Fluxes(
        inflow_m3=inflow_m3,
        rain_mm=rain_mm,
        et_mm=et,
        percolation_mm=percolation,
        outlet_m3=outlet * per_mm_m3,
        weir_overflow_m3=weir * per_mm_m3,
        levee_overflow_m3=levee * per_mm_m3,
    )
    return PaddyWater(depth_cm=depth_cm_for_storage(s, params)), fluxes


def share_of_day_mm(
    total_mm: float, *, start_s: float, dt_s: float, from_hour: float = 0.0, hours: float = 24.0
) -> float:
    """The part of a day's total falling in one step, spread evenly over some hours.

    Parameters
    ----------
    total_mm
        The day's total (rain, ET0 or ETc), mm.
    start_s
        The step's start, seconds after local midnight (0…86400).
    dt_s
        The step, s; the part after midnight belongs to the next day.
    from_hour, hours
        When the total falls: evenly over ``hours`` from ``from_hour`` (all day by default;
        e.g. ``from_hour=15, hours=3`` for an afternoon thunderstorm).

    >>> share_of_day_mm(24.0, start_s=3600.0, dt_s=600.0)
    0.16666666666666666
    >>> share_of_day_mm(30.0, start_s=15 * 3600.0, dt_s=3600.0, from_hour=15.0, hours=3.0)
    10.0
    """
    if not (hours > 0.0 and from_hour >= 0.0 and from_hour + hours <= 24.0):
        raise IrrigationError(f"{hours:g} h from {from_hour:g} h do not fit in a day")
    begin = max(start_s, from_hour * 3600.0)
    end = min(start_s + dt_s, (from_hour + hours) * 3600.0, _DAY_S)
    if end <= begin:
        return 0.0
    return total_mm * (end - begin) / (hours * 3600.0)
