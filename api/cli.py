"""The ``tanbo`` command line.

Bad input ends with exit code 2 and one line naming the problem and the item,
never a traceback; a file's good features are imported even when some are
rejected (one line each on standard error).
"""

import importlib
import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import shapely
import typer
from rich.markup import escape
from rich.table import Table
from typer import rich_utils

# Typer bundles its own Click: its errors are these, not the click package's.
from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError

from api import registry
from api.config import load_settings
from api.console import State, err, out, print_report, state_of
from api.errors import StorageError
from core.errors import TanboError
from core.ids import OwnerName
from core.units import m2_to_ha
from fields import FieldRecord, write_fields

__all__ = ["app", "command_in", "main", "mount"]

app = typer.Typer(
    name="tanbo",
    help="Tanbo: fields, drone missions, paddy water, agronomy and deliveries.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)
fields_app = typer.Typer(
    help="Register, inspect and export field boundaries.", no_args_is_help=True
)
db_app = typer.Typer(help="The database: migrations.", no_args_is_help=True)
app.add_typer(fields_app, name="fields")
app.add_typer(db_app, name="db")


@app.callback()
def _root(
    ctx: typer.Context,
    data_dir: Annotated[
        Path | None, typer.Option(help="Where Tanbo keeps its data (env TANBO_DATA_DIR).")
    ] = None,
    database_url: Annotated[
        str | None,
        typer.Option(
            help="sqlite:///… or postgresql://… (env TANBO_DATABASE_URL).", show_default=False
        ),
    ] = None,
) -> None:
    """Tanbo: fields, zones and drone operations for smart agriculture.

    Settings come from flags, TANBO_* variables, then a TOML file (TANBO_CONFIG or ./tanbo.toml).
    """
    ctx.obj = State(settings=load_settings(data_dir=data_dir, database_url=database_url))


def _date(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise typer.BadParameter(f"{text!r} is not a date (YYYY-MM-DD)") from exc


@fields_app.command("import")
def fields_import(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Argument(
            help="GeoJSON, GeoPackage, Shapefile (.shp/.zip), FlatGeobuf, GeoParquet or KML."
        ),
    ],
    owner: Annotated[
        str | None, typer.Option(help="Owner of every field (over an `owner` attribute).")
    ] = None,
    id_property: Annotated[
        str | None, typer.Option(help="Attribute holding each field's stable id.")
    ] = None,
    layer: Annotated[
        str | None, typer.Option(help="Only this layer of a multi-layer file.")
    ] = None,
    crop: Annotated[str | None, typer.Option(help="Crop, where the file names none.")] = None,
    variety: Annotated[str | None, typer.Option(help="Variety, where the file names none.")] = None,
    transplanted: Annotated[
        str | None, typer.Option(help="Transplanting date YYYY-MM-DD, where the file names none.")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Validate and report; store nothing.")
    ] = False,
) -> None:
    """Import field boundaries; the same ids again update those fields.

    Each rejected feature gets one line on standard error and the exit code is 2;
    the valid features are imported all the same.
    """
    state = state_of(ctx)
    options = state.settings.import_options(
        owner=OwnerName(owner) if owner else None,
        id_property=id_property,
        crop=crop,
        variety=variety,
        transplanted_on=_date(transplanted),
    )
    report = registry.import_fields(state.db(), file, options, layer=layer, dry_run=dry_run)
    print_report(report, "fields")
    if report.rejected:
        raise typer.Exit(2)


def _fields_table(records: list[FieldRecord]) -> Table:
    table = Table(show_edge=False, header_style="bold")
    for name in ("id", "name", "owner", "land use", "crop", "variety", "transplanted"):
        table.add_column(name, overflow="fold")
    table.add_column("area ha", justify="right")
    table.add_column("municipality")
    for f in records:
        table.add_row(
            escape(f.id),
            escape(f.name),
            escape(f.owner),
            f.land_use.value if f.land_use else "",
            escape(f.crop or ""),
            escape(f.variety or ""),
            f.transplanted_on.isoformat() if f.transplanted_on else "",
            f"{m2_to_ha(f.area_m2):.3f}",
            f.municipality_code or "",
        )
    return table


@fields_app.command("list")
def fields_list(
    ctx: typer.Context,
    owner: Annotated[str | None, typer.Option(help="Only this owner's fields.")] = None,
) -> None:
    """List registered fields with their areas."""
    records = registry.list_fields(state_of(ctx).db(), owner=owner)
    if not records:
        out.print("no fields registered" + (f" for {escape(owner)}" if owner else ""))
        return
    out.print(_fields_table(records))
    total = sum(f.area_m2 for f in records)
    out.print(f"{len(records)} fields, {m2_to_ha(total):,.2f} ha")


@fields_app.command("show")
def fields_show(ctx: typer.Context, field_id: Annotated[str, typer.Argument(metavar="ID")]) -> None:
    """Show one field: attributes, measurements and the zones that touch it."""
    state = state_of(ctx)
    f = registry.get_field(state.db(), field_id)
    c = f.geometry.centroid
    rows = [
        ("id", f.id),
        ("name", f.name),
        ("owner", f.owner),
        ("land use", f.land_use.value if f.land_use else "—"),
        ("crop / variety", f"{f.crop or '—'} / {f.variety or '—'}"),
        ("transplanted", f.transplanted_on.isoformat() if f.transplanted_on else "—"),
        ("municipality", f.municipality_code or "—"),
        ("area", f"{f.area_m2:,.1f} m² ({m2_to_ha(f.area_m2):.4f} ha)"),
        ("perimeter", f"{f.perimeter_m:,.1f} m"),
        ("centroid", f"{c.y:.6f},{c.x:.6f} (lat,lon)"),
        ("measured in", f"EPSG:{f.local_crs_epsg}"),
        (
            "geometry",
            f"{f.geometry.geom_type}, {len(shapely.get_coordinates(f.geometry))} vertices",
        ),
        ("source", f.source or "—"),
    ]
    table = Table(show_header=False, show_edge=False)
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    for key, value in rows:
        table.add_row(key, escape(str(value)))
    shown = {"id", "name", "owner", "crop", "variety"}
    for k, v in sorted(f.properties.items()):
        if k in shown:
            continue
        table.add_row(f"[dim]{escape(k)}[/dim]", escape(str(v)))
    out.print(table)
    touches = registry.zones_for_field(state.db(), field_id, state.settings.buffers_m)
    if not touches:
        out.print("no zones within their buffers")
    for t in touches:
        out.print(
            f"zone {escape(t.zone.id)} ({t.zone.kind.value}, {t.zone.restriction.value}): "
            f"{t.distance_m:.1f} m away; its {t.buffer_m:g} m buffer covers "
            f"{t.overlap_m2:,.1f} m² of the field"
        )


@fields_app.command("set")
def fields_set(
    ctx: typer.Context,
    field_id: Annotated[str, typer.Argument(metavar="ID")],
    name: Annotated[str | None, typer.Option()] = None,
    owner: Annotated[str | None, typer.Option()] = None,
    crop: Annotated[str | None, typer.Option()] = None,
    variety: Annotated[str | None, typer.Option()] = None,
    transplanted: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
) -> None:
    """Change a field's name, owner, crop, variety or transplanting date."""
    f = registry.update_field(
        state_of(ctx).db(),
        field_id,
        name=name,
        owner=owner,
        crop=crop,
        variety=variety,
        transplanted_on=_date(transplanted),
    )
    out.print(f"updated {escape(f.id)}")


@fields_app.command("delete")
def fields_delete(
    ctx: typer.Context,
    field_ids: Annotated[list[str], typer.Argument(metavar="ID...", help="Fields to delete.")],
) -> None:
    """Delete fields (all the ids given, or none if one is unknown)."""
    registry.delete_fields(state_of(ctx).db(), field_ids)
    out.print(f"deleted {len(field_ids)} field{'s' if len(field_ids) != 1 else ''}")


@fields_app.command("export")
def fields_export(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(metavar="FILE", help=".geojson, .gpkg, .fgb, .parquet or .kml")
    ],
    owner: Annotated[str | None, typer.Option(help="Only this owner's fields.")] = None,
    field_id: Annotated[
        list[str] | None, typer.Option("--id", help="Only these fields (repeatable).")
    ] = None,
) -> None:
    """Export fields in WGS84, with their attributes."""
    records = registry.list_fields(state_of(ctx).db(), owner=owner, ids=field_id or ())
    write_fields(file, records)
    out.print(f"wrote {len(records)} fields to {escape(str(file))}")


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Create or upgrade the database schema to the newest migration."""
    state = state_of(ctx)
    state.db()
    out.print(f"database at the newest schema: {escape(state.settings.resolved_database_url)}")


_GROUPS: dict[str, tuple[str, str]] = {
    "zones": ("api.zones_cli", "zones_app"),
    "plan": ("api.plan_cli", "plan_app"),
    "vehicles": ("api.vehicles_cli", "vehicles_app"),
    "logs": ("api.vehicles_cli", "logs_app"),
    "fly": ("api.fly_cli", "fly"),
    "sim": ("api.sim_cli", "sim_app"),
    "serve": ("api.serve_cli", "serve"),
    "accounts": ("api.serve_cli", "accounts_app"),
    "currency-sandbox": ("api.currency.cli", "currency_sandbox"),
    "irrigation": ("api.irrigation_cli", "irrigation_app"),
    "agronomy": ("api.agronomy_cli", "agronomy_app"),
    "logistics": ("api.logistics_cli", "logistics_app"),
    "city": ("api.city_cli", "city_app"),
}
"""The commands and command groups kept in modules of their own, in the order ``--help``
lists them: name → (module, Typer app or command function)."""
_ROOT_OPTIONS = frozenset({"--data-dir", "--database-url"})
_mounted: set[str] = set()


def mount(only: str | None = None) -> None:
    """Mount the commands of :data:`_GROUPS` on :data:`app` (only ``only``, when it names
    one: ``tanbo plan …`` then starts without importing what the other commands need)."""
    own = {g.name for g in app.registered_groups} | {
        c.name or (c.callback.__name__ if c.callback else None) for c in app.registered_commands
    }
    if only is not None and only in own:
        return  # a command of this module's own: none of the others is needed
    for name, (module_name, attribute) in _GROUPS.items():
        if name in _mounted or (only in _GROUPS and name != only):
            continue
        target = getattr(importlib.import_module(module_name), attribute)
        if isinstance(target, typer.Typer):
            app.add_typer(target, name=name)
        else:
            app.command(name)(target)
        _mounted.add(name)


def command_in(argv: list[str]) -> str | None:
    """The command a ``tanbo`` command line runs (the first word after the root's
    options), or None."""
    words = iter(argv)
    for word in words:
        if word in _ROOT_OPTIONS:
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


@app.command()
def demo(ctx: typer.Context) -> None:
    """The whole story on the embedded default: sample fields and zones registered, a spray
    mission planned and flown on a simulated drone, the city service over HTTP, paddy
    water, agronomy and a pharmacy's drone deliveries."""
    from api.demo import run_demo

    state = state_of(ctx)
    run_demo(state.db(), state.settings, out)


def usage_line(exc: UsageError) -> str:
    """A usage error on one line, naming the command: ``tanbo plan spray: Invalid value
    for '--swath': …``."""
    where = exc.ctx.command_path if exc.ctx is not None else "tanbo"
    return f"{where}: {' '.join(exc.format_message().split())}"


def main() -> None:
    """Entry point of the ``tanbo`` command."""
    mount(command_in(sys.argv[1:]))
    try:
        code = app(standalone_mode=False)
    except NoArgsIsHelpError as exc:  # a bare command group: its help, as Typer shows it
        rich_utils.rich_format_error(exc)
        sys.exit(exc.exit_code)
    except UsageError as exc:  # one line, as for any other bad input (Typer boxes it)
        err.print(escape(usage_line(exc)), soft_wrap=True)
        sys.exit(exc.exit_code)
    except ClickException as exc:
        err.print(f"tanbo: {escape(exc.format_message())}", soft_wrap=True)
        sys.exit(exc.exit_code)
    except typer.Abort:
        err.print("tanbo: aborted")
        sys.exit(1)
    except StorageError as exc:
        err.print(f"tanbo: {escape(str(exc))}")
        sys.exit(1)
    except TanboError as exc:
        err.print(f"tanbo: {escape(str(exc))}")
        sys.exit(2)
    except KeyboardInterrupt:
        err.print("tanbo: interrupted; nothing half-written was kept")
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)
