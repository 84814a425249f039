"""``tanbo agronomy forecast``: the work behind the command, kept apart from its options."""

import csv
from dataclasses import replace
from datetime import date
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from api.agronomy.forecasting import (
    PADDY_WATER,
    FieldOutlook,
    forecast_field,
    read_ndvi_series,
    season_weather,
)
from api.agronomy.history import HistoryInputs, load_history, write_history_csv
from api.console import err, out
from fields import geodesic_area_m2
from fields.agronomy.errors import AgronomyError
from fields.agronomy.model import FieldShape, ZoneMap
from fields.agronomy.prescription_io import read_prescription
from fields.agronomy.season_inputs import Rainfed
from fields.agronomy.zones_io import read_zone_maps

__all__ = ["FORECAST_COLUMNS", "run_forecast"]

FORECAST_COLUMNS = (
    "field_id", "zone", "area_ha", "yield_t_ha", "yield_kg_10a", "low_t_ha", "high_t_ha",
    "heading", "harvest", "with_prescription_t_ha", "source", "basis",
)  # fmt: skip


def _extra_n(path: Path) -> dict[str, dict[int, float]]:
    """Field → zone → kg N/ha from a prescription Tanbo wrote (its ``n_kg_ha`` column)."""
    rates = read_prescription(path, rate_column="n_kg_ha")
    found: dict[str, dict[int, float]] = {}
    for z in rates.zones:
        if z.field_id is None or not z.label.isdigit():
            raise AgronomyError(f"{path.name}: zone {z.label!r} is not a Tanbo prescription's")
        found.setdefault(z.field_id, {})[int(z.label)] = z.rate
    return found


def run_forecast(
    ctx: typer.Context,
    shapes: list[FieldShape],
    *,
    transplanted: str,
    out_dir: Path,
    weather: Path | None,
    year: int | None,
    water: str,
    ndvi: list[Path],
    zones: Path | None,
    prescription: Path | None,
    base_n: float,
    history: str | None,
    yield_points: list[Path],
) -> None:
    """Forecast each field, write ``forecast.csv`` (and ``history.csv``) and print the table."""
    try:
        day = date.fromisoformat(transplanted)
    except ValueError as exc:
        raise typer.BadParameter(
            f"{transplanted!r} is not a date", param_hint="--transplanted"
        ) from exc
    if water not in ("ponded", "rainfed"):
        raise typer.BadParameter("ponded or rainfed", param_hint="--water")
    if weather is not None and year is not None:
        raise typer.BadParameter(
            "--year picks a shipped season; not with --weather", param_hint="--year"
        )
    if history == "generated" and yield_points:
        raise typer.BadParameter(
            "yield-monitor points are real yields; not with --history generated",
            param_hint="--yield-points",
        )
    if prescription is not None and zones is None:
        raise typer.BadParameter(
            "give the zones the prescription was made from", param_hint="--zones"
        )
    centre = shapes[0].geometry.centroid
    season = season_weather(day, weather_csv=weather, latitude_deg=centre.y, year=year)
    err.print(escape(season.note))
    series = read_ndvi_series(ndvi)
    zone_maps: dict[str, ZoneMap] = (
        {z.field_id: z for z in read_zone_maps(zones)} if zones is not None else {}
    )
    for zone_map in zone_maps.values():
        if zone_map.image_date is None:
            err.print(
                f"{escape(zone_map.field_id)}: the zones carry no image date, so their index "
                "cannot correct the season; each zone gets the field's forecast"
            )
    extra = _extra_n(prescription) if prescription is not None else {}
    ids = {shape.id for shape in shapes}
    for name, given in (("--zones", zone_maps), ("--prescription", extra)):
        strangers = sorted(set(given) - ids)
        if strangers:
            raise typer.BadParameter(
                f"fields {', '.join(strangers)} are not among the fields forecast",
                param_hint=name,
            )
    for zone_map in zone_maps.values():
        if zone_map.index != "NDVI":
            err.print(
                f"{escape(zone_map.field_id)}: zones of {zone_map.index}, not NDVI: the season "
                "is corrected by the field's NDVI series only"
            )
    for shape in shapes:
        if shape.id not in series and ndvi:
            err.print(f"{escape(shape.id)}: no NDVI row in the --ndvi files")
    water_management = PADDY_WATER if water == "ponded" else Rainfed()
    past = load_history(
        history,
        inputs=HistoryInputs(
            weather=season.frame if weather is not None else None,
            weather_name=weather.name if weather is not None else "",
            transplanted=day, water=water_management, water_name=water, ndvi=series,
            base_n_kg_ha=base_n,
        ),
        yield_points=yield_points,
        shapes=shapes,
    )  # fmt: skip
    for line in past.lines:
        err.print(f"history: {escape(line)}")
    if past.entries:
        write_history_csv(past.entries, out_dir / "history.csv")
    model = past.model
    problems: list[str] = []
    outlooks: list[FieldOutlook] = []
    for shape in shapes:
        try:
            outlook = forecast_field(
                shape.id,
                geodesic_area_m2(shape.geometry),
                season,
                water=water_management,
                ndvi=series.get(shape.id, ()),
                zone_map=zone_maps.get(shape.id),
                extra_n_kg_ha=extra.get(shape.id),
                base_n_kg_ha=base_n,
                model=model,
            )
            if history == "generated" and outlook.prediction is not None:
                basis = f"{outlook.prediction.basis}; the history is generated, not harvests"
                outlook = replace(outlook, prediction=replace(outlook.prediction, basis=basis))
            outlooks.append(outlook)
        except AgronomyError as exc:
            problems.append(f"{shape.id}: {exc}")
    _write(outlooks, out_dir / "forecast.csv")
    out.print(_table(outlooks))
    for o in outlooks:
        basis = o.prediction.basis if o.prediction is not None else _field_basis(o)
        out.print(escape(f"{o.field_id}: {basis}"))
        if o.effect is not None:
            out.print(escape(f"{o.field_id}: prescription effect: {o.effect.basis}"))
    out.print(f"wrote forecast.csv into {escape(str(out_dir))}")
    ctx.meta["forecast_problems"] = problems


def _rows(o: FieldOutlook) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    effect = {z.zone: z.with_t_ha for z in o.effect.zones} if o.effect is not None else {}
    p = o.prediction
    for z in o.forecast.zones if len(o.forecast.zones) > 1 else ():
        rows.append(
            {
                "field_id": o.field_id, "zone": z.zone, "area_ha": round(z.area_m2 / 1e4, 4),
                "yield_t_ha": round(z.forecast.yield_t_ha, 2),
                "yield_kg_10a": round(z.forecast.yield_t_ha * 100),
                "with_prescription_t_ha": round(effect[z.zone], 2) if z.zone in effect else "",
                "source": "process model", "basis": z.forecast.basis,
            }
        )  # fmt: skip
    field_yield = p.p50_t_ha if p is not None else o.forecast.yield_t_ha
    # The prescription's gain, added to whichever model gave the field's figure.
    with_rx = (
        field_yield + o.effect.with_t_ha - o.effect.without_t_ha if o.effect is not None else None
    )
    rows.append(
        {
            "field_id": o.field_id, "zone": "", "area_ha": round(o.forecast.area_m2 / 1e4, 4),
            "yield_t_ha": round(field_yield, 2), "yield_kg_10a": round(field_yield * 100),
            "low_t_ha": "" if p is None or p.p10_t_ha is None else round(p.p10_t_ha, 2),
            "high_t_ha": "" if p is None or p.p90_t_ha is None else round(p.p90_t_ha, 2),
            "heading": o.heading.isoformat(), "harvest": o.harvest.isoformat(),
            "with_prescription_t_ha": "" if with_rx is None else round(with_rx, 2),
            "source": p.source if p is not None else "process model",
            "basis": p.basis if p is not None else _field_basis(o),
        }
    )  # fmt: skip
    return rows


def _field_basis(o: FieldOutlook) -> str:
    """The zones' bases, once each (the field's figure is their area-weighted mean)."""
    return "; ".join(dict.fromkeys(z.forecast.basis for z in o.forecast.zones))


def _write(outlooks: list[FieldOutlook], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(FORECAST_COLUMNS))
        writer.writeheader()
        for o in outlooks:
            writer.writerows(_rows(o))


def _table(outlooks: list[FieldOutlook]) -> Table:
    table = Table(title="Yield forecast (rough rice, 15 % moisture)", show_edge=False,
                  header_style="bold")  # fmt: skip
    for column in ("field", "zone", "t/ha", "kg/10a", "80 % interval", "with Rx", "heading",
                   "harvest"):  # fmt: skip
        table.add_column(column, justify="left" if column == "field" else "right")
    for o in outlooks:
        for row in _rows(o):
            low, high = row.get("low_t_ha", ""), row.get("high_t_ha", "")
            table.add_row(
                str(row["field_id"]), str(row["zone"] or "all"), f"{row['yield_t_ha']}",
                f"{row['yield_kg_10a']}", f"{low}–{high}" if low != "" else "",
                str(row["with_prescription_t_ha"]), str(row.get("heading", "")),
                str(row.get("harvest", "")),
            )  # fmt: skip
    return table
