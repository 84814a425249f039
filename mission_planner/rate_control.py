"""How the vehicle makes a rate: by ground speed at one pump flow, or by the pump's output.

ArduPilot's DO_SPRAYER is only on or off (its sprayer library scales the pump with
ground speed to hold one rate), so a rate per zone is made one of two ways:

* **speed** — the pump runs at one flow F (L/min) and the drone flies at
  v = F / (R × w) × 10,000 / 60 m/s for a rate R (L/ha) over a swath w (m); the
  mission has a DO_CHANGE_SPEED (ground speed) wherever the rate changes. The pump
  must really hold F: switched by DO_SET_SERVO at a fixed output, or by ArduPilot's
  sprayer with SPRAY_PUMP_RATE 0 and SPRAY_PUMP_MIN at F, since its usual set-up
  scales the flow with the speed and would undo the change.
* **pump** — the drone flies at one speed v and the pump is set per zone to
  F = R × w × v × 60 / 10,000 L/min, by DO_SET_SERVO on the pump's channel at the
  PWM the pump's calibration gives for F.

A rate the vehicle cannot make (a speed out of its range, a flow beyond its pump)
is refused with the zone named, never clipped.
"""

import itertools
import math
from dataclasses import dataclass
from enum import StrEnum

from mission_planner.plan import PWM_RANGE_US, SprayRate
from mission_planner.refusals import PlanRefused

__all__ = ["PumpCalibration", "RateMode", "VariableRateControl", "spray_rate"]

_L_HA_TO_L_M2 = 1.0 / 10_000.0


class RateMode(StrEnum):
    """How the vehicle makes the rate: by ground speed, or by the pump's output."""

    SPEED = "speed"
    PUMP = "pump"


@dataclass(frozen=True, kw_only=True, slots=True)
class PumpCalibration:
    """The pump's flow at servo outputs, as measured: (flow_l_min, pwm_us) points.

    Flows and PWMs both rise; the flow between two points is taken as linear.
    Measured by flow rather than by rate, since a rate-to-PWM table holds at one
    speed and swath only.
    """

    points: tuple[tuple[float, float], ...]

    def __post_init__(self) -> None:
        low, high = PWM_RANGE_US
        flows, pwms = [p[0] for p in self.points], [p[1] for p in self.points]
        if len(self.points) < 2 or not all(math.isfinite(v) for v in (*flows, *pwms)):
            raise ValueError("a pump calibration needs two or more finite (flow, PWM) points")
        if flows[0] < 0 or any(b <= a for a, b in itertools.pairwise(flows)):
            raise ValueError(f"calibration flows must rise from >= 0 L/min: {flows}")
        if any(b <= a for a, b in itertools.pairwise(pwms)):
            raise ValueError(f"calibration PWMs must rise with the flow: {pwms}")
        if not (low <= pwms[0] and pwms[-1] <= high):
            raise ValueError(f"calibration PWMs must lie in {low}..{high} us: {pwms}")

    @classmethod
    def linear(
        cls, *, pwm_at_zero: float, pwm_per_l_min: float, max_flow_l_min: float
    ) -> "PumpCalibration":
        """PWM = ``pwm_at_zero`` + ``pwm_per_l_min`` × flow, up to ``max_flow_l_min``.

        >>> PumpCalibration.linear(pwm_at_zero=1100, pwm_per_l_min=800 / 6, max_flow_l_min=6)
        PumpCalibration(points=((0.0, 1100.0), (6.0, 1900.0)))
        """
        top = float(pwm_at_zero) + pwm_per_l_min * max_flow_l_min
        return cls(points=((0.0, float(pwm_at_zero)), (float(max_flow_l_min), top)))

    @property
    def max_flow_l_min(self) -> float:
        """The highest flow calibrated, L/min."""
        return self.points[-1][0]

    def pwm_for(self, flow_l_min: float) -> int:
        """The PWM (us, rounded) giving ``flow_l_min``; ValueError outside the calibration.

        >>> pump = PumpCalibration.linear(pwm_at_zero=1100, pwm_per_l_min=100, max_flow_l_min=8)
        >>> pump.pwm_for(1.5)
        1250
        """
        (f0, _), (f1, _) = self.points[0], self.points[-1]
        if not f0 <= flow_l_min <= f1:
            raise ValueError(f"{flow_l_min:.3g} L/min is outside the calibrated {f0:g}..{f1:g}")
        for (fa, pa), (fb, pb) in itertools.pairwise(self.points):
            if flow_l_min <= fb:
                return round(pa + (pb - pa) * (flow_l_min - fa) / (fb - fa))
        raise AssertionError("unreachable: the flow is within the points")  # pragma: no cover


@dataclass(frozen=True, kw_only=True, slots=True)
class VariableRateControl:
    """How the vehicle makes each zone's rate.

    ``SPEED`` needs ``flow_l_min``, the pump's one flow, and keeps each zone's speed in
    ``min_speed_m_s``..``max_speed_m_s`` (1 m/s is ArduPilot's SPRAY_SPEED_MIN, below
    which its sprayer stops); a ``pump`` calibration there sets the on PWM that gives
    the flow. ``PUMP`` needs ``pump`` and flies the plan's spray speed.
    """

    mode: RateMode
    flow_l_min: float | None = None
    min_speed_m_s: float = 1.0
    max_speed_m_s: float = 10.0
    pump: PumpCalibration | None = None

    def __post_init__(self) -> None:
        if not 0 < self.min_speed_m_s < self.max_speed_m_s < math.inf:
            raise ValueError(f"speeds {self.min_speed_m_s}..{self.max_speed_m_s} m/s")
        flow = self.flow_l_min
        if self.mode == RateMode.SPEED and not (flow is not None and 0 < flow < math.inf):
            raise ValueError("rate by speed needs the pump's flow_l_min > 0")
        if self.mode == RateMode.PUMP and self.pump is None:
            raise ValueError("rate by pump output needs the pump's calibration")
        if self.mode == RateMode.SPEED and self.pump is not None and flow is not None:
            self.pump.pwm_for(flow)  # the flow must be one the pump can give


def spray_rate(
    label: str,
    rate_l_ha: float,
    control: VariableRateControl,
    *,
    swath_m: float,
    speed_m_s: float,
) -> SprayRate:
    """How the vehicle sprays ``rate_l_ha`` over zone ``label``.

    Parameters
    ----------
    swath_m
        Spray width, m.
    speed_m_s
        The plan's spray speed, flown throughout by ``RateMode.PUMP``.

    Raises
    ------
    PlanRefused
        Rule ``"rate"``, ``where`` the zone: the rate needs a speed outside the
        drone's range, or a flow the pump cannot give.

    >>> control = VariableRateControl(mode=RateMode.SPEED, flow_l_min=1.5)
    >>> spray_rate("a", 20.0, control, swath_m=5.0, speed_m_s=5.0).speed_m_s
    2.5
    """
    litres_per_m = rate_l_ha * swath_m * _L_HA_TO_L_M2
    if control.mode == RateMode.SPEED:
        speed = _speed_for(label, rate_l_ha, control, swath_m=swath_m, litres_per_m=litres_per_m)
        assert control.flow_l_min is not None  # checked on construction
        pwm = control.pump.pwm_for(control.flow_l_min) if control.pump is not None else None
    else:
        speed = speed_m_s
        pwm = _pwm_for(label, rate_l_ha, control, swath_m=swath_m, speed_m_s=speed_m_s)
    return SprayRate(
        zone=label,
        rate_l_ha=rate_l_ha,
        speed_m_s=speed,
        litres_per_m=litres_per_m,
        pump_pwm_us=pwm,
    )


def _speed_for(
    label: str,
    rate_l_ha: float,
    control: VariableRateControl,
    *,
    swath_m: float,
    litres_per_m: float,
) -> float:
    assert control.flow_l_min is not None  # checked on construction
    speed = control.flow_l_min / 60.0 / litres_per_m
    if not control.min_speed_m_s <= speed <= control.max_speed_m_s:
        raise PlanRefused(
            f"zone {label}: {rate_l_ha:g} L/ha over a {swath_m:g} m swath with a "
            f"{control.flow_l_min:g} L/min pump needs {speed:.2f} m/s; the drone sprays at "
            f"{control.min_speed_m_s:g}-{control.max_speed_m_s:g} m/s",
            rule="rate",
            where=f"rate zone {label}",
        )
    return speed


def _pwm_for(
    label: str,
    rate_l_ha: float,
    control: VariableRateControl,
    *,
    swath_m: float,
    speed_m_s: float,
) -> int:
    assert control.pump is not None  # checked on construction
    flow = rate_l_ha * swath_m * _L_HA_TO_L_M2 * speed_m_s * 60.0
    try:
        return control.pump.pwm_for(flow)
    except ValueError as exc:
        raise PlanRefused(
            f"zone {label}: {rate_l_ha:g} L/ha over a {swath_m:g} m swath at {speed_m_s:g} m/s "
            f"needs {flow:.2f} L/min; the pump gives {control.pump.points[0][0]:g}-"
            f"{control.pump.max_flow_l_min:g} L/min",
            rule="rate",
            where=f"rate zone {label}",
        ) from exc
