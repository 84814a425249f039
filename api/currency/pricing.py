"""Quotes in whole yen for Tanbo's services, and points for reduced pesticide use.

Rounding rule, once for every quote: the quantity is first taken to its billing step
(areas to 0.01 ha = 1 a, distances to 0.1 km), half up; the amount is then the exact
decimal product of rate and billed quantity, rounded to whole yen half up (四捨五入).
Quantities are read through their shortest decimal form, so 2.675 ha is 2.675, not
the binary 2.67499…. Points are rounded down: a grant is never more than earned.
Rates are tax-included.

>>> rates = PricingConfig(spraying_yen_per_ha=20_000)
>>> quote_spraying(2.345, rates).amount_yen  # 2.35 ha billed
47000
>>> quote_delivery(3_250.0, rates).amount_yen  # 500 + 3.3 km × 100
830
>>> points_for_reduction(area_ha=2.0, baseline_l_ha=10.0, applied_l_ha=4.0, config=rates)
600
"""

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from api.currency.errors import InvalidRequest

__all__ = [
    "PricingConfig",
    "Quote",
    "Service",
    "points_for_reduction",
    "quote_delivery",
    "quote_spraying",
    "quote_survey",
    "round_yen",
]

_AREA_STEP_HA = Decimal("0.01")
_DISTANCE_STEP_KM = Decimal("0.1")


class Service(StrEnum):
    """What a quote is for."""

    SPRAYING = "spraying"
    SURVEY = "survey"
    DELIVERY = "delivery"


def _check_rate(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidRequest(f"{name} must be a whole number of yen >= 0, not {value!r}")


@dataclass(frozen=True, kw_only=True, slots=True)
class PricingConfig:
    """The rates (tax-included yen), and the rule for points.

    The defaults are placeholders of the usual order (drone spraying is contracted at
    about 2,000 yen per 10 a): the city and the operator set the real ones.
    """

    spraying_yen_per_ha: int = 20_000
    survey_yen_per_ha: int = 5_000
    delivery_base_yen: int = 500
    delivery_yen_per_km: int = 100
    points_per_l_saved: int = 50
    """Points per litre of pesticide product not sprayed, against the baseline dose."""
    min_reduction_ratio: float = 0.3
    """Below this cut in the dose rate (0.3 = 30 %), no points."""

    def __post_init__(self) -> None:
        for name in (
            "spraying_yen_per_ha",
            "survey_yen_per_ha",
            "delivery_base_yen",
            "delivery_yen_per_km",
            "points_per_l_saved",
        ):
            _check_rate(name, getattr(self, name))
        if not 0.0 <= self.min_reduction_ratio <= 1.0:
            raise InvalidRequest(f"min_reduction_ratio {self.min_reduction_ratio!r} is not 0..1")


@dataclass(frozen=True, kw_only=True, slots=True)
class Quote:
    """A price: ``billed_quantity`` ``unit`` at ``unit_price_yen`` (plus ``base_yen``)."""

    service: Service
    billed_quantity: Decimal
    unit: str
    unit_price_yen: int
    base_yen: int
    amount_yen: int
    description: str


def round_yen(amount: Decimal) -> int:
    """Whole yen, half up.

    >>> round_yen(Decimal("1234.5")), round_yen(Decimal("1234.49"))
    (1235, 1234)
    """
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _check_positive(name: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidRequest(f"{name} must be a finite number, not {value!r}")
    if value <= 0:
        raise InvalidRequest(f"{name} must be above 0, not {value!r}")


def _billed(name: str, value: float, step: Decimal, unit: str) -> Decimal:
    billed = Decimal(repr(float(value))).quantize(step, rounding=ROUND_HALF_UP)
    if billed == 0:
        raise InvalidRequest(
            f"{name}: {value!r} {unit} is under half the billing step {step} {unit}"
        )
    return billed


def _per_ha(service: Service, area_ha: float, rate_yen_per_ha: int) -> Quote:
    _check_positive("area_ha", area_ha)
    billed = _billed("area_ha", area_ha, _AREA_STEP_HA, "ha")
    return Quote(
        service=service,
        billed_quantity=billed,
        unit="ha",
        unit_price_yen=rate_yen_per_ha,
        base_yen=0,
        amount_yen=round_yen(billed * rate_yen_per_ha),
        description=f"{service.value} {billed} ha × {rate_yen_per_ha:,} yen/ha",
    )


def quote_spraying(area_ha: float, config: PricingConfig) -> Quote:
    """Spraying ``area_ha`` (the sprayed area, no-spray zones left out).

    Raises
    ------
    InvalidRequest
        The area is not a positive finite number, or under 0.005 ha.
    """
    return _per_ha(Service.SPRAYING, area_ha, config.spraying_yen_per_ha)


def quote_survey(area_ha: float, config: PricingConfig) -> Quote:
    """Surveying (imaging) ``area_ha``.

    Raises
    ------
    InvalidRequest
        The area is not a positive finite number, or under 0.005 ha.
    """
    return _per_ha(Service.SURVEY, area_ha, config.survey_yen_per_ha)


def quote_delivery(distance_m: float, config: PricingConfig) -> Quote:
    """A delivery flown ``distance_m`` (the outbound route): a base fee plus a rate per km.

    Raises
    ------
    InvalidRequest
        The distance is not a positive finite number, or under 50 m.
    """
    _check_positive("distance_m", distance_m)
    billed_km = _billed("distance_m", distance_m / 1000.0, _DISTANCE_STEP_KM, "km")
    rate = config.delivery_yen_per_km
    return Quote(
        service=Service.DELIVERY,
        billed_quantity=billed_km,
        unit="km",
        unit_price_yen=rate,
        base_yen=config.delivery_base_yen,
        amount_yen=config.delivery_base_yen + round_yen(billed_km * rate),
        description=f"delivery {config.delivery_base_yen:,} yen + {billed_km} km × {rate:,} yen/km",
    )


def points_for_reduction(
    *, area_ha: float, baseline_l_ha: float, applied_l_ha: float, config: PricingConfig
) -> int:
    """Points for spraying ``applied_l_ha`` where the baseline dose is ``baseline_l_ha``.

    ``(baseline − applied) × area × points_per_l_saved``, rounded down; 0 when the cut is
    under ``min_reduction_ratio`` of the baseline.

    >>> points_for_reduction(area_ha=1.0, baseline_l_ha=10.0, applied_l_ha=8.0,
    ...                      config=PricingConfig())  # a 20 % cut: under 30 %
    0

    Raises
    ------
    InvalidRequest
        A negative or non-finite figure, a baseline of 0, or more applied than the baseline.
    """
    for name, value in (
        ("area_ha", area_ha),
        ("baseline_l_ha", baseline_l_ha),
        ("applied_l_ha", applied_l_ha),
    ):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidRequest(f"{name} must be a number, not {value!r}")
        if not math.isfinite(value) or value < 0:
            raise InvalidRequest(f"{name} must be a finite number >= 0, not {value!r}")
    if baseline_l_ha == 0:
        raise InvalidRequest("baseline_l_ha must be above 0")
    if applied_l_ha > baseline_l_ha:
        raise InvalidRequest(f"applied {applied_l_ha} L/ha is over the baseline {baseline_l_ha}")
    baseline, applied = Decimal(repr(float(baseline_l_ha))), Decimal(repr(float(applied_l_ha)))
    if (baseline - applied) / baseline < Decimal(repr(config.min_reduction_ratio)):
        return 0
    saved_l = (baseline - applied) * Decimal(repr(float(area_ha)))
    return int(saved_l * config.points_per_l_saved)  # int() truncates toward 0: rounded down
