"""``tanbo agronomy``: indices, management zones, prescriptions and yield forecasts as files.

Each command writes files into ``--out`` and prints a table. Bad input (a raster that is
not reflectance, a band mix-up, a field outside the image) gives one line naming the item
on standard error and exit code 2 at the end; the other fields are still done.
"""

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from api.console import err, out
from fields.agronomy.errors import AgronomyError
from fields.agronomy.isoxml import write_taskdata
from fields.agronomy.prescription import (
    NITROGEN_RULES,
    Budget,
    NitrogenRule,
    Prescription,
    nitrogen_rule_named,
    prescribe,
)
from fields.agronomy.prescription_io import write_prescription
from fields.agronomy.products import PRODUCTS, product_named
from fields.agronomy.zones_io import read_zone_maps

__all__ = ["agronomy_app"]

agronomy_app = typer.Typer(
    help="Vegetation indices, management zones, fertiliser prescriptions, yield forecasts.",
    no_args_is_help=True,
)

PRESCRIPTION_FORMATS = ("geojson", "shp", "gpkg", "tif", "isoxml")


def _rule(
    preset: str,
    target: float | None,
    base_n: float | None,
    response: float | None,
    min_n: float | None,
    max_n: float | None,
    budget: Budget | None,
) -> NitrogenRule:
    rule = nitrogen_rule_named(preset)
    return NitrogenRule(
        name=rule.name if all(v is None for v in (target, base_n, response, min_n, max_n))
        else f"{rule.name} (edited)",
        index=rule.index,
        target_index=rule.target_index if target is None else target,
        base_n_kg_ha=rule.base_n_kg_ha if base_n is None else base_n,
        response_kg_ha_per_unit=rule.response_kg_ha_per_unit if response is None else response,
        min_n_kg_ha=rule.min_n_kg_ha if min_n is None else min_n,
        max_n_kg_ha=rule.max_n_kg_ha if max_n is None else max_n,
        budget=budget or rule.budget,
    )  # fmt: skip


def _formats(text: str) -> list[str]:
    chosen = [f.strip().lower() for f in text.split(",") if f.strip()]
    unknown = [f for f in chosen if f not in PRESCRIPTION_FORMATS]
    if unknown or not chosen:
        raise typer.BadParameter(
            f"{', '.join(unknown) or 'nothing'}: choose from {', '.join(PRESCRIPTION_FORMATS)}",
            param_hint="--format",
        )
    return chosen


def write_prescription_files(p: Prescription, out_dir: Path, formats: list[str]) -> list[Path]:
    """Write ``p`` in each format into ``out_dir`` as ``<field>_rx.<ext>``; the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for fmt in formats:
        if fmt == "isoxml":
            written.append(write_taskdata(p, out_dir / f"{p.field_id}_isoxml", overwrite=True))
        else:
            path = out_dir / f"{p.field_id}_rx.{fmt}"
            write_prescription(p, path)
            written.append(path)
    return written


def prescription_table(p: Prescription) -> Table:
    """Zones, index means, kg N/ha and product rates of one prescription, with totals."""
    table = Table(
        title=f"{p.field_id}: {p.product.name} by {p.rule.name}"
        + (" (scaled to the budget)" if p.budget_bound else ""),
        show_edge=False,
        header_style="bold",
    )
    for column in ("zone", "area ha", f"mean {p.index}", "kg N/ha", p.unit):
        table.add_column(column, justify="right")
    for z in p.zones:
        table.add_row(
            str(z.zone), f"{z.area_m2 / 10_000:.3f}", f"{z.index_mean:.3f}",
            f"{z.n_kg_ha:.1f}", f"{z.rate:g}",
        )  # fmt: skip
    table.add_row(
        "all", f"{p.area_m2 / 10_000:.3f}", "", f"{p.total_n_kg:.2f} kg",
        f"{p.total_product:.1f} {p.product.amount_unit}", style="bold",
    )  # fmt: skip
    return table


@agronomy_app.command("prescribe")
def prescribe_command(
    zones: Annotated[
        Path, typer.Argument(metavar="ZONES", help="Zones GeoJSON from `tanbo agronomy zones`.")
    ],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the files.")],
    product: Annotated[
        str, typer.Option(help=f"Fertiliser: {', '.join(PRODUCTS)} (or an alias).")
    ] = "硫安",
    rule: Annotated[
        str, typer.Option(help=f"Preset N rule: {', '.join(NITROGEN_RULES)}.")
    ] = "rice_panicle",
    target: Annotated[float | None, typer.Option(help="Target index value.")] = None,
    base_n: Annotated[float | None, typer.Option("--base-n", help="kg N/ha at the target.")] = None,
    response: Annotated[
        float | None, typer.Option(help="kg N/ha more per index unit below the target.")
    ] = None,
    min_n: Annotated[float | None, typer.Option("--min-n", help="Least kg N/ha.")] = None,
    max_n: Annotated[float | None, typer.Option("--max-n", help="Most kg N/ha.")] = None,
    budget_n_kg: Annotated[
        float | None, typer.Option("--budget-n-kg", help="Most kg N for the field.")
    ] = None,
    budget_product: Annotated[
        float | None,
        typer.Option("--budget-product", help="Most product for the field (kg or L)."),
    ] = None,
    step: Annotated[float, typer.Option(help="The machine's rate step.")] = 0.1,
    formats: Annotated[
        str, typer.Option("--format", help=f"Any of {','.join(PRESCRIPTION_FORMATS)}.")
    ] = "geojson,shp,tif,isoxml",
) -> None:
    """Turn management zones into a fertiliser prescription per zone, in the formats asked."""
    chosen = _formats(formats)
    chosen_product = product_named(product)
    budget = None
    if budget_n_kg is not None and budget_product is not None:
        raise typer.BadParameter("give one budget", param_hint="--budget-n-kg")
    if budget_n_kg is not None:
        budget = Budget(n_kg=budget_n_kg)
    elif budget_product is not None:
        budget = (
            Budget(product_kg=budget_product)
            if chosen_product.form == "solid"
            else Budget(product_l=budget_product)
        )
    n_rule = _rule(rule, target, base_n, response, min_n, max_n, budget)
    problems = 0
    for zone_map in read_zone_maps(zones):
        try:
            p = prescribe(zone_map, n_rule, chosen_product, rate_step=step)
            written = write_prescription_files(p, out_dir, chosen)
        except AgronomyError as exc:
            err.print(f"refused {escape(zone_map.field_id)}: {escape(str(exc))}")
            problems += 1
            continue
        out.print(prescription_table(p))
        out.print("wrote " + ", ".join(escape(str(w)) for w in written))
    if problems:
        raise typer.Exit(2)
