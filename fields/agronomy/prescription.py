"""Nitrogen prescriptions per management zone: how much N each zone gets, and as how much product.

A zone map says where the crop is weaker or stronger; a :class:`NitrogenRule` turns each
zone's index mean into kg N/ha, and a :class:`~fields.agronomy.products.Product` turns that
into what the spreader or drone meters, kg/ha of a solid or L/ha of a liquid. The rule is
linear around a target, as panicle-fertiliser (穂肥) practice adjusts the standard dose by
leaf colour: a zone below the target index gets more N, a zone above it less, within
limits::

    n_kg_ha = clip(base_n_kg_ha + response_kg_ha_per_unit × (target_index − zone mean),
                   min_n_kg_ha, max_n_kg_ha)

For lush or lodging-prone rice the same sign does the right thing: a zone well above the
target is cut, down to the minimum (often 0, i.e. no 穂肥 there). NDVI saturates over a
closed canopy; for late top-dressing an index such as NDRE, with its own target, tells
zones apart better. The rule names the index it was written for and is refused on another.

A budget (total N, or total product for the field) is met by scaling the part above the
minimum down uniformly, so zones keep their order and the minimum stays a floor. Product
rates are rounded to the machine's step (so the limits hold to within one step); with a
budget they are rounded down when rounding to the nearest step would overshoot it, so the
total never exceeds it. A zone's ``n_kg_ha`` is the N asked for; the totals are what the
machine puts out at the rounded rates.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from shapely import MultiPolygon, Polygon

from fields.agronomy.errors import BadPrescription
from fields.agronomy.model import ZoneMap
from fields.agronomy.products import Product

__all__ = [
    "NITROGEN_RULES",
    "Budget",
    "NitrogenRule",
    "Prescription",
    "ZonePrescription",
    "nitrogen_rule_named",
    "prescribe",
]

_M2_PER_HA = 10_000.0
_EPS = 1e-9


def _positive_finite(value: float) -> bool:
    return math.isfinite(value) and value > 0


@dataclass(frozen=True, kw_only=True, slots=True)
class Budget:
    """The most a field may get: give exactly one of total N or total product."""

    n_kg: float | None = None
    product_kg: float | None = None
    """For a solid product."""
    product_l: float | None = None
    """For a liquid product."""

    def __post_init__(self) -> None:
        given = [v for v in (self.n_kg, self.product_kg, self.product_l) if v is not None]
        if len(given) != 1:
            raise BadPrescription("a budget takes exactly one of n_kg, product_kg, product_l")
        if not (math.isfinite(given[0]) and given[0] >= 0):
            raise BadPrescription(f"budget {given[0]} is not a non-negative amount")

    def n_kg_for(self, product: Product) -> float:
        """The budget in kg N for ``product``.

        Raises
        ------
        BadPrescription
            A product budget in kg for a liquid, or in litres for a solid.
        """
        if self.n_kg is not None:
            return self.n_kg
        amount = self.product_kg if product.form == "solid" else self.product_l
        if amount is None:
            wrong = "kg" if product.form == "liquid" else "L"
            raise BadPrescription(
                f"budget in {wrong} of product, but {product.name} is metered in {product.unit}"
            )
        return amount * product.n_kg_per_unit


@dataclass(frozen=True, kw_only=True, slots=True)
class NitrogenRule:
    """How a zone's index mean becomes kg N/ha (see the module docstring for the formula)."""

    name: str
    index: str
    """The index the target refers to (``NDVI``); a zone map of another index is refused."""
    target_index: float
    base_n_kg_ha: float
    """N at the target index."""
    response_kg_ha_per_unit: float
    """kg N/ha added per unit of index below the target (and removed above it)."""
    min_n_kg_ha: float = 0.0
    max_n_kg_ha: float
    budget: Budget | None = None

    def __post_init__(self) -> None:
        figures = (
            self.target_index,
            self.base_n_kg_ha,
            self.response_kg_ha_per_unit,
            self.min_n_kg_ha,
            self.max_n_kg_ha,
        )
        if not all(math.isfinite(v) for v in figures):
            raise BadPrescription(f"rule {self.name}: every figure must be finite, got {figures}")
        if not 0 <= self.min_n_kg_ha <= self.max_n_kg_ha:
            raise BadPrescription(
                f"rule {self.name}: limits {self.min_n_kg_ha}-{self.max_n_kg_ha} kg N/ha "
                "need 0 <= min <= max"
            )

    def n_kg_ha(self, index_mean: float) -> float:
        """kg N/ha for a zone with this index mean, before any budget."""
        n = self.base_n_kg_ha + self.response_kg_ha_per_unit * (self.target_index - index_mean)
        return min(max(n, self.min_n_kg_ha), self.max_n_kg_ha)


NITROGEN_RULES: Mapping[str, NitrogenRule] = {
    "rice_panicle": NitrogenRule(
        name="穂肥 (rice panicle fertiliser)",
        index="NDVI",
        target_index=0.75,
        base_n_kg_ha=20.0,
        response_kg_ha_per_unit=50.0,
        min_n_kg_ha=0.0,
        max_n_kg_ha=40.0,
    ),
    "wheat_topdress": NitrogenRule(
        name="wheat/barley top-dressing",
        index="NDVI",
        target_index=0.70,
        base_n_kg_ha=30.0,
        response_kg_ha_per_unit=60.0,
        min_n_kg_ha=0.0,
        max_n_kg_ha=60.0,
    ),
    "generic": NitrogenRule(
        name="generic N top-dressing",
        index="NDVI",
        target_index=0.70,
        base_n_kg_ha=30.0,
        response_kg_ha_per_unit=50.0,
        min_n_kg_ha=0.0,
        max_n_kg_ha=80.0,
    ),
}
"""Editable starting points, not a guideline.

``rice_panicle`` puts コシヒカリ's usual 穂肥 of about 2 kg N/10a (20 kg N/ha) at NDVI
0.75 and allows 0-4 kg N/10a; ``wheat_topdress`` puts 3 kg N/10a at NDVI 0.70. Check
them against your prefecture's 施肥基準 and your own leaf-colour readings before use.
"""


def nitrogen_rule_named(name: str) -> NitrogenRule:
    """A preset rule by key (``rice_panicle``, ``wheat_topdress``, ``generic``).

    Raises
    ------
    BadPrescription
        No preset has that key; the message lists them.
    """
    if name not in NITROGEN_RULES:
        raise BadPrescription(f"no N rule named {name!r}; presets: {', '.join(NITROGEN_RULES)}")
    return NITROGEN_RULES[name]


@dataclass(frozen=True, kw_only=True, slots=True)
class ZonePrescription:
    """One zone's prescription.

    ``n_kg_ha`` is the N the rule (and budget) asks for; ``rate`` the product rate the
    machine meters, in the prescription's ``unit``, rounded to its step.
    """

    zone: int
    geometry: Polygon | MultiPolygon
    area_m2: float
    index_mean: float
    n_kg_ha: float
    rate: float


@dataclass(frozen=True, kw_only=True, slots=True)
class Prescription:
    """A field's N prescription: per-zone rates of one product, from one rule."""

    field_id: str
    index: str
    product: Product
    rule: NitrogenRule
    zones: tuple[ZonePrescription, ...]
    budget_bound: bool
    """Whether the rates were scaled down to meet the rule's budget."""
    rate_step: float
    image_date: str | None = None

    def __post_init__(self) -> None:
        if not self.zones:
            raise BadPrescription(f"field {self.field_id}: a prescription needs zones")
        numbers = [z.zone for z in self.zones]
        if numbers != list(range(1, len(numbers) + 1)):
            raise BadPrescription(f"field {self.field_id}: zones numbered {numbers}, not 1..n")
        for z in self.zones:
            if not (math.isfinite(z.rate) and z.rate >= 0):
                raise BadPrescription(f"field {self.field_id} zone {z.zone}: rate {z.rate}")

    @property
    def unit(self) -> str:
        """``"kg/ha"`` or ``"L/ha"``, the unit of every zone's ``rate``."""
        return self.product.unit

    @property
    def area_m2(self) -> float:
        """Area of all zones, m²."""
        return sum(z.area_m2 for z in self.zones)

    @property
    def total_product(self) -> float:
        """Product the machine puts out at the rounded rates, in ``product.amount_unit``."""
        return sum(z.rate * z.area_m2 / _M2_PER_HA for z in self.zones)

    @property
    def total_n_kg(self) -> float:
        """kg N the product carries at the rounded rates."""
        return self.product.n_for_rate(self.total_product)

    @property
    def mean_rate(self) -> float:
        """Area-weighted mean rate, in ``unit``."""
        return self.total_product * _M2_PER_HA / self.area_m2


def _decimals(step: float) -> int:
    exponent = Decimal(repr(step)).normalize().as_tuple().exponent
    return max(0, -int(exponent))


def _round_rates(rates: list[float], step: float, *, down: bool) -> list[float]:
    digits = _decimals(step)
    shift = 0.0 if down else 0.5
    return [round(math.floor(r / step + shift + _EPS) * step, digits) for r in rates]


def _zone_means(zone_map: ZoneMap) -> list[float]:
    means = []
    for z in zone_map.zones:
        if not z.stats.has_data:
            raise BadPrescription(
                f"field {zone_map.field_id} zone {z.zone}: no valid {zone_map.index} pixel"
            )
        means.append(z.stats.mean)
    return means


def _apply_budget(
    field_id: str, n: list[float], ha: list[float], rule: NitrogenRule, product: Product
) -> tuple[list[float], bool]:
    if rule.budget is None:
        return n, False
    budget_n = rule.budget.n_kg_for(product)
    total = sum(x * a for x, a in zip(n, ha, strict=True))
    if total <= budget_n + _EPS:
        return n, False
    floor_total = rule.min_n_kg_ha * sum(ha)
    if floor_total > budget_n + _EPS:
        raise BadPrescription(
            f"field {field_id}: the minimum of {rule.min_n_kg_ha:g} kg N/ha over {sum(ha):.2f} ha "
            f"needs {floor_total:.1f} kg N ({product.rate_for_n(floor_total):.1f} "
            f"{product.amount_unit} of {product.name}), more than the budget of "
            f"{budget_n:.1f} kg N ({product.rate_for_n(budget_n):.1f} {product.amount_unit})"
        )
    scale = (budget_n - floor_total) / (total - floor_total)
    return [rule.min_n_kg_ha + scale * (x - rule.min_n_kg_ha) for x in n], True


def prescribe(
    zone_map: ZoneMap, rule: NitrogenRule, product: Product, *, rate_step: float = 0.1
) -> Prescription:
    """Prescribe N per zone, and the product rate that carries it.

    Parameters
    ----------
    zone_map
        The field's management zones, with each zone's index statistics.
    rule
        Target, base rate, response, limits (kg N/ha) and optional budget.
    product
        What is spread: rates come out in kg/ha (solid) or L/ha (liquid).
    rate_step
        The machine's rate step in kg/ha or L/ha (0.1, 1 …); rates are rounded to it,
        down when a budget would otherwise be overshot.

    Returns
    -------
    Prescription
        One :class:`ZonePrescription` per zone, in zone order.

    Raises
    ------
    BadPrescription
        The rule is for another index, a zone has no valid pixel, the rate step is not
        positive, a product budget is in the wrong unit, or the minimum rate over the
        field already exceeds the budget.
    """
    field_id = zone_map.field_id
    if not _positive_finite(rate_step):
        raise BadPrescription(f"field {field_id}: rate step {rate_step} must be positive")
    if rule.index.casefold() != zone_map.index.casefold():
        raise BadPrescription(
            f"field {field_id}: rule {rule.name} is written for {rule.index}, "
            f"the zones are of {zone_map.index}"
        )
    means = _zone_means(zone_map)
    ha = [z.area_m2 / _M2_PER_HA for z in zone_map.zones]
    n, bound = _apply_budget(field_id, [rule.n_kg_ha(m) for m in means], ha, rule, product)
    exact = [product.rate_for_n(x) for x in n]
    rates = _round_rates(exact, rate_step, down=False)
    if rule.budget is not None:
        delivered = sum(product.n_for_rate(r) * a for r, a in zip(rates, ha, strict=True))
        if delivered > rule.budget.n_kg_for(product) + _EPS:
            rates = _round_rates(exact, rate_step, down=True)
    zones = tuple(
        ZonePrescription(
            zone=z.zone,
            geometry=z.geometry,
            area_m2=z.area_m2,
            index_mean=m,
            n_kg_ha=x,
            rate=r,
        )
        for z, m, x, r in zip(zone_map.zones, means, n, rates, strict=True)
    )
    return Prescription(
        field_id=field_id,
        index=zone_map.index,
        product=product,
        rule=rule,
        zones=zones,
        budget_bound=bound,
        rate_step=rate_step,
        image_date=zone_map.image_date,
    )
