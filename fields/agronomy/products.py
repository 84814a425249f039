"""Nitrogen fertilisers as machines meter them: kg/ha of a solid, L/ha of a liquid.

A prescription is worked out in kg N/ha, the agronomic figure; the spreader or drone
meters product. A :class:`Product` knows its N content (and density, for a liquid) to
turn one into the other. The built-in products use the compositions printed on the bag
or in the product standard; anything else is one ``Product(...)`` away.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from fields.agronomy.errors import BadPrescription

__all__ = ["PRODUCTS", "Product", "ProductForm", "product_named"]

ProductForm = Literal["solid", "liquid"]
"""A solid is metered in kg/ha, a liquid in L/ha."""


def _positive_finite(value: float) -> bool:
    return math.isfinite(value) and value > 0


@dataclass(frozen=True, kw_only=True, slots=True)
class Product:
    """A nitrogen fertiliser as the machine meters it.

    ``n_fraction`` is the mass fraction of N (0.21 for 21 % N); ``density_kg_l`` is needed
    for a liquid, to turn kg N into litres.
    """

    name: str
    form: ProductForm
    n_fraction: float
    density_kg_l: float | None = None
    description: str = ""

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise BadPrescription("a product needs a name")
        if self.form not in ("solid", "liquid"):
            raise BadPrescription(f"product {self.name}: form {self.form!r} is not solid/liquid")
        if not (math.isfinite(self.n_fraction) and 0 < self.n_fraction <= 1):
            raise BadPrescription(
                f"product {self.name}: N fraction {self.n_fraction} is not in (0, 1]"
            )
        if self.form == "liquid" and not (
            self.density_kg_l is not None and _positive_finite(self.density_kg_l)
        ):
            raise BadPrescription(f"product {self.name}: a liquid needs a density in kg/L")

    @property
    def unit(self) -> str:
        """The rate unit: ``"kg/ha"`` for a solid, ``"L/ha"`` for a liquid."""
        return "kg/ha" if self.form == "solid" else "L/ha"

    @property
    def amount_unit(self) -> str:
        """The unit of a total amount: ``"kg"`` or ``"L"``."""
        return "kg" if self.form == "solid" else "L"

    @property
    def n_kg_per_unit(self) -> float:
        """kg of N in one kg (solid) or one litre (liquid) of product."""
        if self.form == "solid":
            return self.n_fraction
        assert self.density_kg_l is not None
        return self.n_fraction * self.density_kg_l

    def rate_for_n(self, n_kg_ha: float) -> float:
        """Product rate (kg/ha or L/ha) that carries ``n_kg_ha`` kg N/ha."""
        return n_kg_ha / self.n_kg_per_unit

    def n_for_rate(self, rate: float) -> float:
        """kg N/ha carried by a product rate in kg/ha or L/ha."""
        return rate * self.n_kg_per_unit


PRODUCTS: Mapping[str, Product] = {
    p.name: p
    for p in (
        Product(
            name="硫安",
            form="solid",
            n_fraction=0.21,
            description=(
                "ammonium sulphate (NH4)2SO4, 21-0-0: 21.2 % N by formula, sold as 21 % N "
                "(the Japanese 公定規格 guarantees at least 20.5 %)"
            ),
        ),
        Product(
            name="尿素",
            form="solid",
            n_fraction=0.46,
            description="urea CO(NH2)2, 46-0-0: 46.6 % N by formula, sold as 46 % N",
        ),
        Product(
            name="NK化成17-0-17",
            form="solid",
            n_fraction=0.17,
            description=(
                "an N-K compound of grade 17-0-17 (N-P2O5-K2O %), a common NK化成 grade; "
                "brands differ, so check the bag and define your own if needed"
            ),
        ),
        Product(
            name="UAN32",
            form="liquid",
            n_fraction=0.32,
            density_kg_l=1.32,
            description=(
                "urea-ammonium nitrate solution, 32 % N; published densities are "
                "1.32-1.33 kg/L (11.0-11.1 lb/US gal)"
            ),
        ),
        Product(
            name="液肥N10",
            form="liquid",
            n_fraction=0.10,
            density_kg_l=1.2,
            description=(
                "an example drone foliar liquid fertiliser, 10 % N at 1.2 kg/L; "
                "replace with the label figures of the product you fly"
            ),
        ),
    )
}
"""Built-in products by name; define a :class:`Product` for anything else."""

_PRODUCT_ALIASES = {
    "ammonium_sulphate": "硫安",
    "ammonium_sulfate": "硫安",
    "urea": "尿素",
    "nk17": "NK化成17-0-17",
    "uan32": "UAN32",
    "foliar_n10": "液肥N10",
}


def product_named(name: str) -> Product:
    """A built-in product by name (``硫安``) or English alias (``ammonium_sulphate``).

    Raises
    ------
    BadPrescription
        No built-in product has that name; the message lists them.
    """
    key = _PRODUCT_ALIASES.get(name.strip().lower(), name.strip())
    if key not in PRODUCTS:
        known = ", ".join([*PRODUCTS, *_PRODUCT_ALIASES])
        raise BadPrescription(f"no product named {name!r}; built in: {known}")
    return PRODUCTS[key]
