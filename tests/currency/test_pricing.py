"""Quotes in whole yen (half up, on billed quantities) and points for reduced pesticide use."""

import math
from decimal import Decimal

import pytest

from api.currency import (
    InvalidRequest,
    PricingConfig,
    Service,
    points_for_reduction,
    quote_delivery,
    quote_spraying,
    quote_survey,
    round_yen,
)

RATES = PricingConfig(spraying_yen_per_ha=20_000, survey_yen_per_ha=3_333)


@pytest.mark.parametrize(
    ("area_ha", "billed", "amount_yen"),
    [
        (1.0, "1.00", 20_000),
        (2.675, "2.68", 53_600),  # the decimal 2.675, not the binary 2.67499…
        (0.005, "0.01", 200),
        (0.3449, "0.34", 6_800),
        (12.345, "12.35", 247_000),
    ],
)
def test_spraying_is_billed_per_are_half_up(area_ha: float, billed: str, amount_yen: int) -> None:
    quote = quote_spraying(area_ha, RATES)
    assert quote.service == Service.SPRAYING
    assert quote.billed_quantity == Decimal(billed)
    assert quote.amount_yen == amount_yen
    assert isinstance(quote.amount_yen, int)


def test_survey_rounds_the_yen_half_up() -> None:
    assert quote_survey(0.15, RATES).amount_yen == 500  # 499.95 → 500
    assert quote_survey(0.01, RATES).amount_yen == 33  # 33.33 → 33
    assert round_yen(Decimal("0.5")) == 1


def test_delivery_is_a_base_fee_and_a_rate_per_tenth_of_a_km() -> None:
    quote = quote_delivery(2_449.0, PricingConfig(delivery_base_yen=500, delivery_yen_per_km=120))
    assert quote.billed_quantity == Decimal("2.4")
    assert quote.amount_yen == 500 + 288


@pytest.mark.parametrize("bad", [0.0, -1.0, math.nan, math.inf, 0.004, True])
def test_a_quantity_that_cannot_be_billed_is_refused(bad: float) -> None:
    with pytest.raises(InvalidRequest):
        quote_spraying(bad, RATES)


def test_points_reward_the_litres_not_sprayed_rounded_down() -> None:
    rule = PricingConfig(points_per_l_saved=50, min_reduction_ratio=0.3)
    # (10 - 7) L/ha × 1.01 ha = 3.03 L → 151.5 → 151 points; a 30 % cut counts
    assert points_for_reduction(area_ha=1.01, baseline_l_ha=10, applied_l_ha=7, config=rule) == 151
    assert points_for_reduction(area_ha=5, baseline_l_ha=10, applied_l_ha=7.5, config=rule) == 0
    assert points_for_reduction(area_ha=2, baseline_l_ha=8, applied_l_ha=0, config=rule) == 800


@pytest.mark.parametrize(
    ("area_ha", "baseline", "applied"), [(1, 0, 0), (1, 5, 6), (-1, 5, 1), (1, math.nan, 1)]
)
def test_points_refuse_impossible_doses(area_ha: float, baseline: float, applied: float) -> None:
    with pytest.raises(InvalidRequest):
        points_for_reduction(
            area_ha=area_ha, baseline_l_ha=baseline, applied_l_ha=applied, config=RATES
        )


@pytest.mark.parametrize(
    "bad", [{"spraying_yen_per_ha": -1}, {"survey_yen_per_ha": 1.5}, {"min_reduction_ratio": 2.0}]
)
def test_rates_are_whole_yen(bad: dict[str, float]) -> None:
    with pytest.raises(InvalidRequest):
        PricingConfig(**bad)  # type: ignore[arg-type]
