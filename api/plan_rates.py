"""Variable rate for ``tanbo plan spray --prescription FILE``: a prescription file read by
``fields.agronomy`` becomes the planner's rate map in a plan's local metres.

A prescription in L/ha is sprayed as it is. One in kg/ha (granules spread by a drone's
spreader) is planned with the same numbers, read as kilograms: the tank in kg, the pump
flow in kg/min; the summary says which unit it is.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import typer
from shapely import MultiPolygon, Polygon

from fields import LocalCrs, to_local
from fields.agronomy.prescription_io import read_prescription
from fields.agronomy.rate_map import RateMap
from mission_planner import (
    PumpCalibration,
    RateMode,
    SprayerControl,
    VariableRateControl,
)
from mission_planner import RateMap as PlanRateMap
from mission_planner import RateZone as PlanRateZone

__all__ = ["PumpSetup", "control_for", "plan_rates", "read_rates", "variable_rate_options"]


@dataclass(frozen=True, kw_only=True, slots=True)
class PumpSetup:
    """The vehicle's pump as the command line describes it."""

    flow_l_min: float
    """Full output (SPEED mode flies the pump at this flow)."""
    pwm_off_us: int = 1100
    pwm_full_us: int = 1900


def read_rates(path: Path) -> RateMap:
    """The prescription in ``path`` (GeoJSON, Shapefile, GeoPackage, GeoTIFF rate grid).

    Raises
    ------
    fields.agronomy.BadPrescription
        No rate column, a negative rate, overlapping zones, no CRS: named in the message.
    """
    return read_prescription(path)


def plan_rates(rates: RateMap, crs: LocalCrs, field_id: str) -> PlanRateMap | None:
    """The zones of ``rates`` for ``field_id`` (or every zone of a file naming no field),
    in ``crs``'s metres; None when the file has no zone for this field."""
    chosen = [z for z in rates.zones if z.field_id in (None, field_id)]
    zones = []
    for z in chosen:
        local = to_local(z.geometry, crs)
        if not isinstance(local, Polygon | MultiPolygon):  # pragma: no cover - to_local keeps kinds
            raise TypeError(f"zone {z.label}: {local.geom_type}")
        zones.append(PlanRateZone(geometry=local, rate_l_ha=z.rate, label=z.label))
    return PlanRateMap(zones=tuple(zones), default_rate_l_ha=None) if zones else None


def control_for(rate_by: RateMode, pump: PumpSetup) -> VariableRateControl:
    """How the vehicle makes each zone's rate: by speed at full flow, or by pump output."""
    calibration = PumpCalibration.linear(
        pwm_at_zero=pump.pwm_off_us,
        pwm_per_l_min=(pump.pwm_full_us - pump.pwm_off_us) / pump.flow_l_min,
        max_flow_l_min=pump.flow_l_min,
    )
    if rate_by == RateMode.SPEED:
        return VariableRateControl(
            mode=RateMode.SPEED, flow_l_min=pump.flow_l_min, pump=calibration
        )
    return VariableRateControl(mode=RateMode.PUMP, pump=calibration)


def variable_rate_options(
    prescription: Path | None,
    *,
    rate_by: RateMode,
    rate_l_ha: float | None,
    pump_l_min: float | None,
    pump_pwm: Sequence[float],
    one_mission: bool,
    sprayer: SprayerControl | None,
) -> tuple[RateMap | None, VariableRateControl | None]:
    """The rates and their control from ``tanbo plan spray``'s options, or None, None.

    Raises
    ------
    typer.BadParameter
        Options that do not go together, named (a plan must not guess a rate).
    fields.agronomy.BadPrescription
        The prescription file cannot be used.
    """
    if prescription is None:
        return None, None
    if rate_l_ha is not None:
        raise typer.BadParameter("the prescription gives the rates", param_hint="--rate-l-ha")
    if pump_l_min is None:
        raise typer.BadParameter(
            "a variable rate needs the pump's full output", param_hint="--pump-l-min"
        )
    if one_mission:
        raise typer.BadParameter(
            "variable-rate fields are planned one mission each", param_hint="--one-mission"
        )
    if sprayer == SprayerControl.DO_SPRAYER:
        raise typer.BadParameter(
            "a variable rate drives the pump's servo (do_set_servo), not DO_SPRAYER",
            param_hint="--sprayer",
        )
    off, full = (int(v) for v in pump_pwm)
    try:
        control = control_for(
            rate_by, PumpSetup(flow_l_min=pump_l_min, pwm_off_us=off, pwm_full_us=full)
        )
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--pump-pwm") from exc
    rates = read_rates(prescription)
    if rates.unit is None:
        raise typer.BadParameter(
            f"{prescription.name} does not say its unit (kg/ha or L/ha); a plan must not guess",
            param_hint="--prescription",
        )
    if (rates.product or "").upper() == "N":
        raise typer.BadParameter(
            f"{prescription.name} gives kg of N, not of a product: prescribe a product first "
            "(tanbo agronomy prescribe --product …)",
            param_hint="--prescription",
        )
    return rates, control
