"""What a nitrogen prescription is worth: each zone's yield with it and without it.

AquaCrop 3.1 simulates no soil fertility, so the process model cannot say what extra
nitrogen does. Two sources can:

- a yield model trained on the farm's past seasons, which has seen the nitrogen applied
  (``fields.agronomy.yield_model.TrainedYieldModel.nitrogen_response``): what it learned;
- failing that, ``MitscherlichResponse``, an assumed diminishing-returns curve
  Y(N) = Ymax · (1 − (1 − r0) · e^(−c·N)), N the fertiliser N in kg/ha. With r0 = 0.75 (a
  paddy gives three quarters of its yield on the soil's own nitrogen, an assumption typical
  of flooded soils) and c = 0.02 per kg N/ha, it gives about 17 kg of grain per kg of N
  between 0 and 100 kg N/ha on an 8 t/ha crop, mid-range of the 10–30 kg/kg agronomic
  efficiencies reviews report for cereals (Dobermann 2007, "Nutrient use efficiency —
  measurement and management", IFA). It is not fitted to any field; every effect computed
  with it says so (``assumed``).

The curve is anchored on the forecast: the zone's expected yield is taken as Y at the N the
field already gets, which fixes Ymax, and the prescription's extra N moves along the curve.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from fields.agronomy.errors import BadPrescription
from fields.agronomy.forecast import FieldForecast

__all__ = [
    "MitscherlichResponse",
    "NitrogenResponse",
    "PrescriptionEffect",
    "ZoneEffect",
    "with_without_prescription",
]


class NitrogenResponse(Protocol):
    """Yield gained (or lost) from a change in nitrogen, and where that knowledge comes from."""

    @property
    def basis(self) -> str: ...
    @property
    def assumed(self) -> bool: ...
    def yield_gain_t_ha(
        self, *, yield_t_ha: float, base_n_kg_ha: float, extra_n_kg_ha: float
    ) -> float: ...


@dataclass(frozen=True, kw_only=True, slots=True)
class MitscherlichResponse:
    """Y(N) = Ymax · (1 − (1 − r0) · e^(−c·N)): an assumed response, not a fitted one."""

    relative_yield_without_n: float = 0.75
    rate_per_kg_n_ha: float = 0.02

    def __post_init__(self) -> None:
        if not 0.0 < self.relative_yield_without_n < 1.0 or not 0.0 < self.rate_per_kg_n_ha < 1.0:
            raise BadPrescription(
                f"Mitscherlich curve: r0 {self.relative_yield_without_n:g}, "
                f"c {self.rate_per_kg_n_ha:g} per kg N/ha"
            )

    @property
    def assumed(self) -> bool:
        """Always: the parameters are not fitted to the farm."""
        return True

    @property
    def basis(self) -> str:
        """The curve and its parameters, flagged as an assumption."""
        return (
            "assumed N response (Mitscherlich, yield without N "
            f"{self.relative_yield_without_n:.0%} of maximum, c = {self.rate_per_kg_n_ha:g} "
            "per kg N/ha); not fitted to this farm"
        )

    def relative_yield(self, n_kg_ha: float) -> float:
        """Y(N) / Ymax for ``n_kg_ha`` of fertiliser N (0…1)."""
        shortfall = 1.0 - self.relative_yield_without_n
        return 1.0 - shortfall * math.exp(-self.rate_per_kg_n_ha * n_kg_ha)

    def yield_gain_t_ha(
        self, *, yield_t_ha: float, base_n_kg_ha: float, extra_n_kg_ha: float
    ) -> float:
        """Yield change from ``base`` to ``base + extra`` kg N/ha, for a crop at ``yield``.

        >>> gain = MitscherlichResponse().yield_gain_t_ha(
        ...     yield_t_ha=7.0, base_n_kg_ha=60.0, extra_n_kg_ha=20.0)
        >>> round(gain, 2)
        0.19
        """
        y_max = yield_t_ha / self.relative_yield(base_n_kg_ha)
        after = self.relative_yield(base_n_kg_ha + extra_n_kg_ha)
        return y_max * (after - self.relative_yield(base_n_kg_ha))


@dataclass(frozen=True, kw_only=True, slots=True)
class ZoneEffect:
    """One zone's yield (t/ha at 15 % moisture) without and with its prescribed extra N."""

    zone: int
    area_m2: float
    extra_n_kg_ha: float
    without_t_ha: float
    with_t_ha: float

    @property
    def gain_t_ha(self) -> float:
        """Yield gained, t/ha (negative when the prescription cuts N)."""
        return self.with_t_ha - self.without_t_ha

    @property
    def gain_kg_10a(self) -> float:
        """Yield gained, kg/10a."""
        return 100.0 * self.gain_t_ha


@dataclass(frozen=True, kw_only=True, slots=True)
class PrescriptionEffect:
    """A field's yield without and with a prescription, zone by zone and area-weighted."""

    field_id: str
    zones: tuple[ZoneEffect, ...]
    basis: str
    assumed: bool
    """True when the N response is an assumed curve, not learned from the farm's seasons."""

    def _weighted(self, values: list[float]) -> float:
        area = sum(z.area_m2 for z in self.zones)
        return sum(v * z.area_m2 for v, z in zip(values, self.zones, strict=True)) / area

    @property
    def without_t_ha(self) -> float:
        """The field's expected yield without the prescription, t/ha."""
        return self._weighted([z.without_t_ha for z in self.zones])

    @property
    def with_t_ha(self) -> float:
        """The field's expected yield with it, t/ha."""
        return self._weighted([z.with_t_ha for z in self.zones])

    @property
    def gain_kg_10a(self) -> float:
        """The field's yield gained, kg/10a."""
        return 100.0 * (self.with_t_ha - self.without_t_ha)

    @property
    def extra_n_kg(self) -> float:
        """Extra nitrogen the prescription spreads over the field, kg."""
        return sum(z.extra_n_kg_ha * z.area_m2 / 10_000.0 for z in self.zones)


def with_without_prescription(
    forecast: FieldForecast,
    extra_n_kg_ha: Mapping[int, float],
    *,
    base_n_kg_ha: float,
    response: NitrogenResponse | None = None,
) -> PrescriptionEffect:
    """Each zone's expected yield without and with the prescription's extra nitrogen.

    Parameters
    ----------
    forecast
        The field's zone forecasts, made for the N the field gets anyway.
    extra_n_kg_ha
        Zone number → N the prescription adds (negative where it cuts), kg N/ha; zones not
        named get none.
    base_n_kg_ha
        N the field gets without the prescription, kg N/ha.
    response
        The trained model's response when there is one; the assumed Mitscherlich curve
        otherwise.

    Returns
    -------
    PrescriptionEffect
        Per zone and per field, t/ha and kg/10a, with the response's basis.

    Raises
    ------
    BadPrescription
        A zone the forecast lacks, or N below zero once the prescription is applied.
    """
    chosen: NitrogenResponse = response if response is not None else MitscherlichResponse()
    known = {z.zone for z in forecast.zones}
    if set(extra_n_kg_ha) - known:
        raise BadPrescription(
            f"field {forecast.field_id}: no zone {sorted(set(extra_n_kg_ha) - known)}"
        )
    effects = []
    for z in forecast.zones:
        extra = float(extra_n_kg_ha.get(z.zone, 0.0))
        if base_n_kg_ha < 0.0 or base_n_kg_ha + extra < 0.0:
            raise BadPrescription(
                f"field {forecast.field_id} zone {z.zone}: {base_n_kg_ha:g} + {extra:g} kg N/ha"
            )
        without = z.forecast.yield_t_ha
        gain = chosen.yield_gain_t_ha(
            yield_t_ha=without, base_n_kg_ha=base_n_kg_ha, extra_n_kg_ha=extra
        )
        effects.append(
            ZoneEffect(
                zone=z.zone,
                area_m2=z.area_m2,
                extra_n_kg_ha=extra,
                without_t_ha=without,
                with_t_ha=without + gain,
            )
        )
    return PrescriptionEffect(
        field_id=forecast.field_id, zones=tuple(effects), basis=chosen.basis, assumed=chosen.assumed
    )
