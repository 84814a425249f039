"""``tanbo zones``: no-spray and no-fly zones, and which fields they touch."""

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from api import registry
from api.console import out, print_report, state_of
from fields import Restriction, ZoneKind, effective_buffer_m, write_zones

__all__ = ["zones_app"]

zones_app = typer.Typer(
    help="No-spray and no-fly zones, and which fields they touch.", no_args_is_help=True
)


@zones_app.command("import")
def zones_import(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(metavar="FILE", help="Any format `fields import` reads.")],
    kind: Annotated[
        ZoneKind | None, typer.Option(help="Kind of every zone (else each feature's `kind`).")
    ] = None,
    restriction: Annotated[Restriction | None, typer.Option(help="Default by kind.")] = None,
    buffer_m: Annotated[
        float | None, typer.Option(min=0, help="Buffer in metres (default by kind).")
    ] = None,
    layer: Annotated[str | None, typer.Option(help="Only this layer.")] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Validate and report; store nothing.")
    ] = False,
) -> None:
    """Import no-spray or no-fly zones; the same ids again update them."""
    state = state_of(ctx)
    report = registry.import_zones(
        state.db(),
        file,
        kind=kind,
        restriction=restriction,
        buffer_m=buffer_m,
        buffers_m=state.settings.buffers_m,
        layer=layer,
        dry_run=dry_run,
    )
    print_report(report, "zones")
    if report.rejected:
        raise typer.Exit(2)


@zones_app.command("list")
def zones_list(
    ctx: typer.Context,
    field_id: Annotated[
        str | None, typer.Option("--field", help="Only zones touching this field, buffered.")
    ] = None,
    kind: Annotated[ZoneKind | None, typer.Option(help="Only this kind.")] = None,
) -> None:
    """List zones, or those whose buffer reaches a field."""
    state = state_of(ctx)
    buffers = state.settings.buffers_m
    table = Table(show_edge=False, header_style="bold")
    for name in ("id", "name", "kind", "restriction", "buffer m"):
        table.add_column(name)
    if field_id is not None:
        table.add_column("distance m", justify="right")
        table.add_column("field m² inside", justify="right")
        touches = registry.zones_for_field(state.db(), field_id, buffers)
        for t in touches:
            if kind is None or t.zone.kind == kind:
                z = t.zone
                table.add_row(
                    escape(z.id),
                    escape(z.name),
                    z.kind.value,
                    z.restriction.value,
                    f"{t.buffer_m:g}",
                    f"{t.distance_m:.1f}",
                    f"{t.overlap_m2:,.1f}",
                )
    else:
        for z in registry.list_zones(state.db(), kind=kind):
            buffer = effective_buffer_m(z, buffers)
            table.add_row(
                escape(z.id), escape(z.name), z.kind.value, z.restriction.value, f"{buffer:g}"
            )
    if table.row_count == 0:
        out.print("no zones" + (f" touch field {escape(field_id)}" if field_id else ""))
        return
    out.print(table)


@zones_app.command("export")
def zones_export(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(metavar="FILE", help=".geojson, .gpkg, .fgb, .parquet or .kml")
    ],
    kind: Annotated[ZoneKind | None, typer.Option(help="Only this kind.")] = None,
) -> None:
    """Export zones in WGS84."""
    zones = registry.list_zones(state_of(ctx).db(), kind=kind)
    write_zones(file, zones)
    out.print(f"wrote {len(zones)} zones to {escape(str(file))}")
