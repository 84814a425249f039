"""``tanbo agronomy``: indices, management zones, prescriptions and yield forecasts as files.

Each command writes files into ``--out`` and prints a table. Bad input (a raster that is
not reflectance, a band mix-up, a field outside the image) gives one line naming the item
on standard error and exit code 2 at the end; the other fields are still done.
"""

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from api import planning
from api.agronomy.jobs import (
    PRESCRIPTION_FORMATS,
    budget_for,
    edited_rule,
    index_fields,
    write_stats_csv,
    zone_fields,
)
from api.console import err, out, state_of
from fields.agronomy.bands import PROFILES, parse_band_map
from fields.agronomy.indices import INDEX_NAMES
from fields.agronomy.model import FieldShape
from fields.agronomy.prescription import NITROGEN_RULES
from fields.agronomy.products import PRODUCTS, product_named
from fields.agronomy.rasters import open_image

__all__ = ["agronomy_app"]

agronomy_app = typer.Typer(
    help="Vegetation indices, management zones, fertiliser prescriptions, yield forecasts.",
    no_args_is_help=True,
)

FieldsArg = Annotated[
    str,
    typer.Option("--fields", help="A field file, or registered ids (a,b)."),
]
IdsOpt = Annotated[list[str] | None, typer.Option("--id", help="Only these fields.")]


@contextmanager
def _progress(label: str, total: int) -> Iterator[Callable[[], None]]:
    """A progress bar on standard error; yields the function that advances it by one."""
    with Progress(
        TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=err, transient=True,
    ) as progress:  # fmt: skip
        task = progress.add_task(label, total=total)
        yield lambda: progress.advance(task)


def _field_shapes(ctx: typer.Context, source: str, ids: list[str] | None) -> list[FieldShape]:
    """The fields, with a line on standard error for each refused; exit 2 if none is left."""
    state = state_of(ctx)
    targets, problems = planning.load_fields(source, ids or [], state.db)
    for line in problems:
        err.print(f"refused {escape(line)}")
    if not targets:
        err.print("tanbo: no field to work on")
        raise typer.Exit(2)
    ctx.meta["field_problems"] = len(problems)
    return [FieldShape(id=t.id, geometry=t.geometry) for t in targets]


def _exit_if(ctx: typer.Context, problems: list[str]) -> None:
    for line in problems:
        err.print(f"refused {escape(line)}")
    if problems or ctx.meta.get("field_problems"):
        raise typer.Exit(2)


@agronomy_app.command("index")
def index_command(
    ctx: typer.Context,
    raster: Annotated[
        list[Path],
        typer.Argument(
            metavar="RASTER...",
            help="A multiband GeoTIFF, one file per band, or a Sentinel-2 L2A .SAFE folder.",
        ),
    ],
    fields: FieldsArg,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the files.")],
    field_id: IdsOpt = None,
    index: Annotated[
        list[str] | None, typer.Option("--index", help=f"Any of {', '.join(INDEX_NAMES)}.")
    ] = None,
    sensor: Annotated[
        str | None, typer.Option(help=f"One of {', '.join(PROFILES)}; detected if absent.")
    ] = None,
    band: Annotated[
        list[str] | None,
        typer.Option("--band", help="SYMBOL=band number or name, e.g. N=5 or RE1=rededge."),
    ] = None,
    scale: Annotated[
        float | None, typer.Option(help="Reflectance per count, e.g. 0.0001 for 0-10000.")
    ] = None,
    maps: Annotated[bool, typer.Option(help="A PNG map per field and index.")] = True,
) -> None:
    """Vegetation indices of an image over each field: index GeoTIFFs, stats.csv, PNG maps."""
    names = [n.upper() for n in (index or ["NDVI"])]
    unknown = [n for n in names if n not in INDEX_NAMES]
    if unknown:
        raise typer.BadParameter(
            f"{', '.join(unknown)}: choose from {', '.join(INDEX_NAMES)}", param_hint="--index"
        )
    shapes = _field_shapes(ctx, fields, field_id)
    if scale is not None and not scale > 0:
        raise typer.BadParameter(f"{scale:g}: a scale is above 0", param_hint="--scale")
    image = open_image(
        raster[0] if len(raster) == 1 else raster,
        sensor=sensor,
        band_map=parse_band_map(band or []),
        scale=scale,
    )
    err.print(escape(f"{image.name}: {image.sensor_note}"))
    out_dir.mkdir(parents=True, exist_ok=True)
    with _progress("indices", len(names)) as advance:
        run = index_fields(image, shapes, names, out_dir, advance=advance)
    write_stats_csv(run, out_dir / "stats.csv")
    if maps:
        _index_maps(run.rasters, shapes, run.stats, out_dir)
    table = Table(
        title=f"{image.name}, {image.date or 'date unknown'}", show_edge=False, header_style="bold"
    )
    table.add_column("field")
    for name in names:
        table.add_column(f"{name} mean", justify="right")
        table.add_column("p10–p90", justify="right")
    table.add_column("valid", justify="right")
    for shape in shapes:
        by_index = run.stats.get(shape.id)
        if not by_index:
            continue
        cells = [shape.id]
        for name in names:
            s = by_index.get(name)
            cells += [f"{s.mean:.3f}", f"{s.p10:.2f}–{s.p90:.2f}"] if s else ["", ""]
        valid = min(s.valid_fraction for s in by_index.values())
        table.add_row(*cells, f"{valid:.0%}")
    out.print(table)
    out.print(f"wrote {len(run.rasters)} index rasters, stats.csv into {escape(str(out_dir))}")
    _exit_if(ctx, run.problems)


def _index_maps(
    rasters: dict[str, Path],
    shapes: list[FieldShape],
    stats: Mapping[str, object],
    out_dir: Path,
) -> None:
    from fields.agronomy.maps import index_map_png

    done = [s for s in shapes if s.id in stats]
    with _progress("maps", len(done) * len(rasters)) as advance:
        for shape in done:
            for name, raster in rasters.items():
                index_map_png(raster, shape, out_dir / f"{shape.id}_{name}.png", index=name)
                advance()


@agronomy_app.command("zones")
def zones_command(
    ctx: typer.Context,
    index_raster: Annotated[
        Path, typer.Argument(metavar="INDEX_RASTER", help="An index GeoTIFF from `index`.")
    ],
    fields: FieldsArg,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the files.")],
    field_id: IdsOpt = None,
    zones: Annotated[int, typer.Option("--zones", min=1, max=9, help="Zones to aim for.")] = 3,
    min_zone_m2: Annotated[
        float, typer.Option("--min-zone-m2", min=1.0, help="Smallest zone piece, m².")
    ] = 200.0,
    maps: Annotated[bool, typer.Option(help="A PNG map of each field's zones.")] = True,
) -> None:
    """Management zones per field from an index raster: <field>_zones.geojson and a map."""
    shapes = _field_shapes(ctx, fields, field_id)
    index = _index_of(index_raster)
    with _progress("zones", len(shapes)) as advance:
        run = zone_fields(
            index_raster, shapes, out_dir, index=index, n_zones=zones,
            min_zone_area_m2=min_zone_m2, advance=advance,
        )  # fmt: skip
    if maps and run.zone_maps:
        from fields.agronomy.maps import zones_map_png

        for shape in shapes:
            if shape.id in run.zone_maps:
                zones_map_png(
                    run.zone_maps[shape.id], out_dir / f"{shape.id}_zones.png", field=shape
                )
    table = Table(title=f"{index} zones", show_edge=False, header_style="bold")
    for column in ("field", "zone", "area ha", f"mean {index}", "p10–p90"):
        table.add_column(column, justify="left" if column == "field" else "right")
    for field_id_, zone_map in run.zone_maps.items():
        for z in zone_map.zones:
            table.add_row(
                field_id_, str(z.zone), f"{z.area_m2 / 10_000:.3f}", f"{z.stats.mean:.3f}",
                f"{z.stats.p10:.2f}–{z.stats.p90:.2f}",
            )  # fmt: skip
    out.print(table)
    out.print(f"wrote {len(run.files)} zone files into {escape(str(out_dir))}")
    _exit_if(ctx, run.problems)


def _index_of(raster: Path) -> str:
    """The index an index GeoTIFF holds (its INDEX tag, else its file name, else NDVI)."""
    import rasterio

    try:
        with rasterio.open(raster) as src:
            tagged = str(src.tags().get("INDEX") or "")
    except rasterio.errors.RasterioError as exc:
        raise typer.BadParameter(f"{raster.name}: not a raster ({exc})") from exc
    if tagged:
        return tagged.upper()
    named = [n for n in INDEX_NAMES if n in raster.stem.upper()]
    return max(named, key=len) if named else "NDVI"


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
    maps: Annotated[bool, typer.Option(help="A PNG map of the rates.")] = True,
) -> None:
    """Turn management zones into a fertiliser prescription per zone, in the formats asked."""
    from api.agronomy.prescribe_cli import run_prescribe

    chosen_product = product_named(product)
    n_rule = edited_rule(
        rule, target_index=target, base_n_kg_ha=base_n, response_kg_ha_per_unit=response,
        min_n_kg_ha=min_n, max_n_kg_ha=max_n,
        budget=budget_for(chosen_product, n_kg=budget_n_kg, product_amount=budget_product),
    )  # fmt: skip
    if not run_prescribe(zones, out_dir, n_rule, chosen_product, step=step, formats=formats,
                         maps=maps):  # fmt: skip
        raise typer.Exit(2)


@agronomy_app.command("forecast")
def forecast_command(
    ctx: typer.Context,
    fields: FieldsArg,
    transplanted: Annotated[
        str, typer.Option("--transplanted", help="Transplanting date, YYYY-MM-DD.")
    ],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for forecast.csv.")],
    field_id: IdsOpt = None,
    weather: Annotated[
        Path | None, typer.Option(help="Daily CSV: date,rain_mm[,et0_mm,tmin_c,tmax_c].")
    ] = None,
    year: Annotated[
        int | None, typer.Option(help="Without --weather: the shipped Hyderabad year to use.")
    ] = None,
    water: Annotated[str, typer.Option(help="ponded (中干し, 落水) or rainfed.")] = "ponded",
    ndvi: Annotated[
        list[Path] | None, typer.Option("--ndvi", help="stats.csv files from `index`.")
    ] = None,
    zones: Annotated[
        Path | None, typer.Option(help="Zones GeoJSON: forecast each zone on its own.")
    ] = None,
    prescription: Annotated[
        Path | None, typer.Option(help="Prescription GeoJSON: yield with and without it.")
    ] = None,
    base_n: Annotated[
        float, typer.Option("--base-n", help="kg N/ha the field gets anyway.")
    ] = 60.0,
    history: Annotated[
        str | None,
        typer.Option(
            help="Past yields: a harvest CSV (field_id,season,yield…; features computed on"
            " --weather when it has none), or 'generated'."
        ),
    ] = None,
    yield_points: Annotated[
        list[Path] | None,
        typer.Option(
            "--yield-points",
            help="Yield-monitor points (CSV or GeoJSON, with a season or time): past yields"
            " per field forecast and season.",
        ),
    ] = None,
) -> None:
    """Expected yield per field and zone (t/ha, kg/10a), heading and harvest dates."""
    from api.agronomy.forecast_cli import run_forecast

    run_forecast(
        ctx, _field_shapes(ctx, fields, field_id), transplanted=transplanted, out_dir=out_dir,
        weather=weather, year=year, water=water, ndvi=ndvi or [], zones=zones,
        prescription=prescription, base_n=base_n, history=history,
        yield_points=yield_points or [],
    )  # fmt: skip
    _exit_if(ctx, ctx.meta.get("forecast_problems", []))
