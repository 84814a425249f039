"""``tanbo demo``: register the shipped sample fields and zones, plan a spray mission over
two of them, fly it on a simulated copter, then run the city service over HTTP: a
farmer's request scheduled, flown and billed; paddy water, agronomy, and drone deliveries
for a pharmacy.

Runs on whatever database the settings name (by default a SQLite file in the data
directory); running it again updates the same fields instead of adding copies.
"""

from importlib.resources import files
from pathlib import Path

import shapely
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy import Engine

from api import registry
from api.config import Settings
from api.demo.agronomy import run_agronomy_demo
from api.demo.deliveries import run_delivery_demo
from api.demo.flight import fly_demo
from api.demo.service import run_service_demo
from api.demo.water import run_water_demo
from api.planning import write_plan
from core.ids import OwnerName
from core.units import m2_to_ha
from fields import local_crs_for, to_local, write_fields
from mission_planner.safety import local_zones
from mission_planner.spray import SprayParams, SprayTarget, plan_spray

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
    plan = _plan_demo(engine, settings, out)
    fly_demo(engine, settings, out, plan)
    run_service_demo(engine, settings, out)
    run_water_demo(engine, settings, out)
    run_agronomy_demo(engine, settings, out)
    run_delivery_demo(engine, settings, out)
    out.print(
        "\nnext: [bold]tanbo serve[/bold] (the API, the browser console at /console/, the "
        "docs at /docs), "
        "[bold]tanbo fields show B000[/bold], "
        "[bold]tanbo plan spray B000,B001 --swath 5 --out plans[/bold], "
        "[bold]tanbo irrigation sim --faults[/bold], "
        "[bold]tanbo sim[/bold] and in another terminal "
        f"[bold]tanbo fly {escape(str(plan))} --connect tcp:127.0.0.1:5760[/bold] "
        "(after [bold]tanbo vehicles add[/bold]), [bold]tanbo logs list[/bold]"
    )


def _plan_demo(engine: Engine, settings: Settings, out: Console) -> Path:
    """Plan a spray mission over two neighbouring paddies, round the house by B000; the
    .plan file written."""
    field_ids = ["B000", "B001"]
    records = registry.list_fields(engine, ids=field_ids)
    together = shapely.union_all([f.geometry for f in records])
    crs = local_crs_for(together.centroid.x, together.centroid.y)
    zones = local_zones(registry.list_zones(engine), crs, settings.buffers_m)
    targets = [SprayTarget(id=f.id, field=to_local(f.geometry, crs)) for f in records]
    home = to_local(shapely.Point(134.8259, 34.9186), crs)  # a farm road south-west of B000
    params = SprayParams(swath_m=5.0, altitude_m=3.0, speed_m_s=5.0, rate_l_ha=80.0,
                         tank_l=10.0, endurance_min=12.0)  # fmt: skip
    plan = plan_spray(targets, crs=crs, home=(home.x, home.y), params=params, zones=zones)
    folder = settings.data_dir / "plans"
    write_plan(folder, "demo-spray", plan, field=shapely.union_all([t.field for t in targets]))
    stats = plan.stats
    out.print("\n[bold]A spray mission over B000 and B001[/bold] (5 m swath, 80 L/ha, 10 L tank):")
    for fid, f in stats["fields"].items():
        out.print(
            f"  {fid}: {f['area_m2'] / 10_000:.2f} ha sprayable, coverage {f['coverage']:.2%}, "
            f"heading {f['heading_deg']:.1f}°"
        )
    out.print(
        f"  {stats['sorties']} sorties, {plan.path_m / 1000:.2f} km, about "
        f"{stats['est_time_s'] / 60:.0f} min, {stats['volume_l']:.0f} L"
    )
    out.print("  permissions needed: " + escape("; ".join(plan.permissions)))
    out.print(f"  files: {escape(str(folder))}/demo-spray.plan, .waypoints, .geojson")
    return folder / "demo-spray.plan"
