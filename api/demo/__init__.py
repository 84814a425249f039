"""``tanbo demo``: register the shipped sample fields and zones, and show the result.

Runs on whatever database the settings name (by default a SQLite file in the data
directory); running it again updates the same fields instead of adding copies.
"""

from importlib.resources import files
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy import Engine

from api import registry
from api.config import Settings
from core.ids import OwnerName
from core.units import m2_to_ha
from fields import write_fields

__all__ = ["DATA", "run_demo"]

DATA = Path(str(files("api.demo") / "data"))
"""The sample files shipped with Tanbo (see ATTRIBUTION.md there)."""

_FIELD_FILES = (
    ("kasai_benchmark_fields.geojson", "kasai-demo-farm"),
    ("india_smallholder_fields.geojson", "india-sample"),
    ("maff_fude_2024_sample.geojson", "sapporo-sample"),
)


def run_demo(engine: Engine, settings: Settings, out: Console) -> None:
    """Import the samples, show what was registered, the zones by a field, and export."""
    out.rule("Tanbo demo: the field registry")
    out.print(f"database: {escape(settings.resolved_database_url)}\n")
    for name, owner in _FIELD_FILES:
        options = settings.import_options(owner=OwnerName(owner))
        report = registry.import_fields(engine, DATA / name, options)
        out.print(
            f"[bold]{name}[/bold] → {owner}: {report.features} features, "
            f"{len(report.created)} new, {len(report.updated)} updated, "
            f"{len(report.rejected)} rejected"
        )
    zones = registry.import_zones(
        engine,
        DATA / "kasai_benchmark_no_spray.geojson",
        kind=None,
        buffers_m=settings.buffers_m,
    )
    out.print(f"[bold]kasai_benchmark_no_spray.geojson[/bold]: {zones.imported} house zones\n")

    out.print("[bold]A file with bad features[/bold] (hostile_fields.geojson, kasai-demo-farm):")
    hostile = registry.import_fields(
        engine,
        DATA / "hostile_fields.geojson",
        settings.import_options(owner=OwnerName("kasai-demo-farm")),
    )
    for problem in hostile.repaired:
        out.print(f"  [yellow]repaired[/yellow] {escape(str(problem))}")
    for problem in hostile.rejected:
        out.print(f"  [red]rejected[/red] {escape(str(problem))}")
    out.print(f"  imported {hostile.imported}: {', '.join(hostile.created + hostile.updated)}\n")

    records = registry.list_fields(engine)
    summary = Table(title="Registered fields", show_edge=False, header_style="bold")
    for column in ("owner", "fields", "area ha", "smallest m²", "largest ha", "measured in"):
        summary.add_column(column, justify="left" if column == "owner" else "right")
    for owner in sorted({f.owner for f in records}):
        own = [f for f in records if f.owner == owner]
        areas = [f.area_m2 for f in own]
        summary.add_row(
            escape(owner),
            str(len(own)),
            f"{m2_to_ha(sum(areas)):,.2f}",
            f"{min(areas):,.0f}",
            f"{m2_to_ha(max(areas)):.2f}",
            ", ".join(sorted({f"EPSG:{f.local_crs_epsg}" for f in own})),
        )
    out.print(summary)

    out.print("\n[bold]Zones within their buffer of field B000[/bold] (rect_30x100):")
    for t in registry.zones_for_field(engine, "B000", settings.buffers_m):
        out.print(
            f"  {escape(t.zone.id)}: {t.zone.kind.value}, {t.zone.restriction.value}, "
            f"{t.distance_m:.1f} m away; its {t.buffer_m:g} m buffer keeps "
            f"{t.overlap_m2:,.0f} m² of the field unsprayed"
        )
    export = settings.data_dir / "exports" / "fields.gpkg"
    write_fields(export, records)
    out.print(f"\nexported {len(records)} fields to {escape(str(export))}")
    out.print("next: [bold]tanbo fields list[/bold], [bold]tanbo fields show B000[/bold]")
