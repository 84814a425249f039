"""Nitrogen prescriptions and products: ``fields.agronomy.prescription``, ``.products``.

Known answers from a field split in two: the west half at NDVI 0.8, the east half at 0.4,
each 50 m × 50 m (0.25 ha). With the 穂肥 preset (target 0.75, 20 kg N/ha at target,
50 kg N/ha per unit of NDVI) the east zone gets 37.5 kg N/ha and the west 17.5.
"""

import dataclasses
import math

import pytest

from fields.agronomy.errors import BadPrescription
from fields.agronomy.model import IndexStats, ManagementZone, ZoneMap
from fields.agronomy.prescription import (
    NITROGEN_RULES,
    Budget,
    NitrogenRule,
    nitrogen_rule_named,
    prescribe,
)
from fields.agronomy.products import PRODUCTS, Product, product_named
from tests.common.geometries import rect

HALF_M2 = 2_500.0
"""Each half of the test field, 50 m × 50 m."""


def stats(mean: float) -> IndexStats:
    """Index statistics of a uniform area at ``mean``."""
    return IndexStats(
        pixels=100.0,
        valid_fraction=1.0,
        mean=mean,
        median=mean,
        std=0.0,
        min=mean,
        max=mean,
        p10=mean,
        p25=mean,
        p75=mean,
        p90=mean,
    )


def half_and_half(west: float = 0.8, east: float = 0.4, index: str = "NDVI") -> ZoneMap:
    """A 100 m × 50 m field: zone 1 the east half (lower index), zone 2 the west half."""
    return ZoneMap(
        field_id="kasai-001",
        index=index,
        image_date="2024-07-20",
        zones=(
            ManagementZone(
                zone=1, geometry=rect(50, 0, 50, 50), area_m2=HALF_M2, stats=stats(east)
            ),
            ManagementZone(zone=2, geometry=rect(0, 0, 50, 50), area_m2=HALF_M2, stats=stats(west)),
        ),
    )


RICE = NITROGEN_RULES["rice_panicle"]
AMMONIUM_SULPHATE = PRODUCTS["硫安"]


def test_weaker_zone_gets_more_nitrogen_by_the_rule() -> None:
    p = prescribe(half_and_half(), RICE, AMMONIUM_SULPHATE)
    east, west = p.zones
    assert (east.index_mean, west.index_mean) == (0.4, 0.8)
    assert east.n_kg_ha == pytest.approx(37.5)
    assert west.n_kg_ha == pytest.approx(17.5)
    assert not p.budget_bound


def test_ammonium_sulphate_rates_are_n_over_21_percent_rounded_to_the_step() -> None:
    p = prescribe(half_and_half(), RICE, AMMONIUM_SULPHATE, rate_step=0.1)
    assert [z.rate for z in p.zones] == [178.6, 83.3]
    assert p.unit == "kg/ha"
    assert p.total_product == pytest.approx((178.6 + 83.3) * 0.25)
    assert p.total_n_kg == pytest.approx((178.6 + 83.3) * 0.25 * 0.21)


def test_a_one_kilogram_step_gives_whole_rates() -> None:
    p = prescribe(half_and_half(), RICE, AMMONIUM_SULPHATE, rate_step=1.0)
    assert [z.rate for z in p.zones] == [179.0, 83.0]


def test_liquid_rates_are_in_litres_through_the_density() -> None:
    p = prescribe(half_and_half(), RICE, PRODUCTS["UAN32"], rate_step=0.1)
    # 37.5 kg N/ha / (0.32 × 1.32 kg N/L) = 88.78 L/ha; 17.5 → 41.43 L/ha
    assert [z.rate for z in p.zones] == [88.8, 41.4]
    assert p.unit == "L/ha"
    assert p.product.amount_unit == "L"


def test_rates_are_clipped_to_the_rule_limits() -> None:
    rule = dataclasses.replace(RICE, min_n_kg_ha=10.0, max_n_kg_ha=30.0)
    p = prescribe(half_and_half(west=0.95, east=0.2), rule, AMMONIUM_SULPHATE)
    # east: 20 + 50 × 0.55 = 47.5 → 30; west: 20 − 50 × 0.2 = 10 → stays 10
    assert [z.n_kg_ha for z in p.zones] == pytest.approx([30.0, 10.0])


def test_lush_zone_above_target_gets_no_panicle_fertiliser() -> None:
    p = prescribe(half_and_half(west=1.2, east=0.75), RICE, AMMONIUM_SULPHATE)
    assert [z.n_kg_ha for z in p.zones] == pytest.approx([20.0, 0.0])
    assert p.zones[1].rate == 0.0


def test_nitrogen_budget_scales_the_part_above_the_minimum() -> None:
    rule = dataclasses.replace(RICE, min_n_kg_ha=5.0, budget=Budget(n_kg=10.0))
    p = prescribe(half_and_half(), rule, AMMONIUM_SULPHATE)
    # unbounded: (37.5 + 17.5) × 0.25 = 13.75 kg N; floor 5 × 0.5 ha = 2.5 kg N
    scale = (10.0 - 2.5) / (13.75 - 2.5)
    assert p.budget_bound
    assert [z.n_kg_ha for z in p.zones] == pytest.approx([5 + scale * 32.5, 5 + scale * 12.5])
    assert p.total_n_kg <= 10.0
    assert p.total_n_kg == pytest.approx(10.0, abs=0.1 * 0.21 * 0.5)


def test_product_budget_holds_after_rounding() -> None:
    rule = dataclasses.replace(RICE, budget=Budget(product_kg=50.0))
    p = prescribe(half_and_half(), rule, AMMONIUM_SULPHATE, rate_step=1.0)
    assert p.budget_bound
    assert p.total_product <= 50.0
    assert p.total_product > 50.0 - 1.0 * 0.5
    assert all(z.rate == int(z.rate) for z in p.zones)


def test_a_loose_budget_changes_nothing() -> None:
    rule = dataclasses.replace(RICE, budget=Budget(n_kg=100.0))
    p = prescribe(half_and_half(), rule, AMMONIUM_SULPHATE)
    assert not p.budget_bound
    assert [z.rate for z in p.zones] == [178.6, 83.3]


def test_budget_below_the_minimums_is_refused_with_the_figures() -> None:
    rule = dataclasses.replace(RICE, min_n_kg_ha=20.0, budget=Budget(n_kg=5.0))
    with pytest.raises(BadPrescription, match=r"kasai-001.*20 kg N/ha over 0\.50 ha.*10\.0 kg N"):
        prescribe(half_and_half(), rule, AMMONIUM_SULPHATE)


def test_budget_in_litres_for_a_solid_is_refused() -> None:
    rule = dataclasses.replace(RICE, budget=Budget(product_l=40.0))
    with pytest.raises(BadPrescription, match="硫安 is metered in kg/ha"):
        prescribe(half_and_half(), rule, AMMONIUM_SULPHATE)


def test_rule_for_another_index_is_refused() -> None:
    with pytest.raises(BadPrescription, match="written for NDVI, the zones are of NDRE"):
        prescribe(half_and_half(index="NDRE"), RICE, AMMONIUM_SULPHATE)


def test_zone_without_valid_pixels_is_named() -> None:
    zone_map = half_and_half(east=math.nan)
    with pytest.raises(BadPrescription, match="kasai-001 zone 1: no valid NDVI pixel"):
        prescribe(zone_map, RICE, AMMONIUM_SULPHATE)


@pytest.mark.parametrize("step", [0.0, -1.0, math.nan])
def test_rate_step_must_be_positive(step: float) -> None:
    with pytest.raises(BadPrescription, match="rate step"):
        prescribe(half_and_half(), RICE, AMMONIUM_SULPHATE, rate_step=step)


def test_rule_limits_out_of_order_are_refused() -> None:
    with pytest.raises(BadPrescription, match="rule mine: limits 30-10"):
        NitrogenRule(
            name="mine",
            index="NDVI",
            target_index=0.7,
            base_n_kg_ha=20,
            response_kg_ha_per_unit=40,
            min_n_kg_ha=30,
            max_n_kg_ha=10,
        )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"form": "liquid", "n_fraction": 0.1}, "a liquid needs a density"),
        ({"form": "solid", "n_fraction": 21.0}, r"N fraction 21\.0 is not in \(0, 1\]"),
        ({"form": "gas", "n_fraction": 0.1}, "form 'gas'"),
    ],
)
def test_bad_products_are_refused_by_name(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(BadPrescription, match=f"product my液肥: {message}"):
        Product(name="my液肥", **kwargs)  # type: ignore[arg-type]


def test_user_defined_liquid_product_converts_both_ways() -> None:
    mine = Product(name="my液肥", form="liquid", n_fraction=0.08, density_kg_l=1.25)
    assert mine.rate_for_n(10.0) == pytest.approx(100.0)
    assert mine.n_for_rate(100.0) == pytest.approx(10.0)


def test_products_and_rules_are_found_by_name_and_alias() -> None:
    assert product_named("urea") is PRODUCTS["尿素"]
    assert product_named("硫安").n_fraction == 0.21
    assert nitrogen_rule_named("rice_panicle").base_n_kg_ha == 20.0
    with pytest.raises(BadPrescription, match="no product named 'potash'; built in: 硫安"):
        product_named("potash")
    with pytest.raises(BadPrescription, match="presets: rice_panicle"):
        nitrogen_rule_named("maize")
