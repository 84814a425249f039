"""``tanbo agronomy prescribe``: the work behind the command, kept apart from its options."""

from pathlib import Path

import shapely
import typer
from rich.markup import escape
from rich.table import Table

from api.agronomy.jobs import PRESCRIPTION_FORMATS, write_prescription_files
from api.console import err, out
from fields.agronomy.errors import AgronomyError
from fields.agronomy.model import FieldShape
from fields.agronomy.prescription import NitrogenRule, Prescription, prescribe
from fields.agronomy.products import Product
from fields.agronomy.zones_io import read_zone_maps

__all__ = ["prescription_map_file", "prescription_table", "run_prescribe"]


def run_prescribe(
    zones: Path,
    out_dir: Path,
    rule: NitrogenRule,
    product: Product,
    *,
    step: float,
    formats: str,
    maps: bool,
) -> bool:
    """Prescribe each field of the zones file, write its files, print its table; whether
    every field was prescribed (a refused one is a line on standard error)."""
    chosen = _formats(formats)
    done = True
    for zone_map in read_zone_maps(zones):
        try:
            p = prescribe(zone_map, rule, product, rate_step=step)
            written = write_prescription_files(p, out_dir, chosen)
        except AgronomyError as exc:
            err.print(f"refused {escape(zone_map.field_id)}: {escape(str(exc))}")
            done = False
            continue
        if maps:
            written.append(prescription_map_file(p, out_dir))
        out.print(prescription_table(p))
        out.print("wrote " + ", ".join(escape(str(w)) for w in written))
    return done


def _formats(text: str) -> list[str]:
    chosen = [f.strip().lower() for f in text.split(",") if f.strip()]
    unknown = [f for f in chosen if f not in PRESCRIPTION_FORMATS]
    if unknown or not chosen:
        raise typer.BadParameter(
            f"{', '.join(unknown) or 'nothing'}: choose from {', '.join(PRESCRIPTION_FORMATS)}",
            param_hint="--format",
        )
    return chosen


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


def prescription_map_file(p: Prescription, out_dir: Path) -> Path:
    """``<field>_rx.png``: the rates over the field, coloured, with a legend."""
    from fields.agronomy.maps import prescription_map_png

    outline = shapely.union_all([z.geometry for z in p.zones])
    return prescription_map_png(
        [(z.geometry, z.rate, f"zone {z.zone}") for z in p.zones],
        out_dir / f"{p.field_id}_rx.png",
        field=FieldShape(id=p.field_id, geometry=outline),
        unit=p.unit,
        product=p.product.name,
    )
