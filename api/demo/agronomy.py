"""The demo's agronomy: a multispectral image of paddy B001 → indices → management zones →
a panicle-fertiliser prescription → a variable-rate spray plan → the season's forecast.

The same jobs as ``tanbo agronomy`` and ``tanbo plan spray --prescription`` (the demo prints
those commands for the files it writes). The image is generated (see
``api.demo.orthomosaic``); the weather is aquacrop's real Hyderabad series.
"""

from datetime import date
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from sqlalchemy import Engine

from api import registry
from api.agronomy.forecasting import forecast_field, season_weather
from api.agronomy.jobs import index_fields, write_prescription_files, write_stats_csv, zone_fields
from api.agronomy.prescribe_cli import prescription_map_file, prescription_table
from api.config import Settings
from api.demo.orthomosaic import write_orthomosaic
from api.plan_rates import PumpSetup, control_for, plan_rates
from api.planning import home_in, write_plan
from fields import geodesic_area_m2, local_crs_for, to_local
from fields.agronomy import (
    FieldShape,
    NitrogenRule,
    Prescription,
    ZoneMap,
    open_image,
    prescribe,
    product_named,
    read_prescription,
)
from mission_planner import RateMode, SprayerControl
from mission_planner.spray import SprayParams, SprayTarget, plan_spray

__all__ = ["DEMO_RULE", "run_agronomy_demo"]

DEMO_RULE = NitrogenRule(
    name="foliar N top-up (demo)",
    index="NDVI",
    target_index=0.75,
    base_n_kg_ha=5.0,
    response_kg_ha_per_unit=20.0,
    min_n_kg_ha=0.0,
    max_n_kg_ha=10.0,
)
"""A drone-sized dose: 5 kg N/ha at NDVI 0.75 as UAN (32 % N) is about 12 L/ha."""


def run_agronomy_demo(engine: Engine, settings: Settings, out: Console) -> None:
    """Run the sequence on B001 and print what each step found and wrote."""
    out.rule("Agronomy: an image of B001 → zones → a prescription → a variable-rate plan")
    (record,) = registry.list_fields(engine, ids=["B001"])
    field = FieldShape(id="B001", geometry=record.geometry)
    folder = settings.data_dir / "agronomy"
    image_path = write_orthomosaic(record.geometry, folder / "B001_multispectral.tif")
    image = open_image(image_path)
    out.print(
        f"image: {escape(image_path.name)} (generated 5-band reflectance at 0.5 m, "
        f"{image.date}), bands {', '.join(image.symbols)}"
    )
    run = index_fields(image, [field], ["NDVI", "NDRE"], folder)
    write_stats_csv(run, folder / "stats.csv")
    for name, s in run.stats["B001"].items():
        out.print(f"  {name}: mean {s.mean:.3f}, p10–p90 {s.p10:.2f}–{s.p90:.2f}")
    zones = zone_fields(
        run.rasters["NDVI"], [field], folder, index="NDVI", n_zones=3, min_zone_area_m2=200.0
    )
    zone_map = zones.zone_maps["B001"]
    p = prescribe(zone_map, DEMO_RULE, product_named("UAN32"), rate_step=0.1)
    (rx_file, _) = write_prescription_files(p, folder, ["geojson", "isoxml"])
    _maps(run.rasters["NDVI"], field, zone_map, p, folder)
    out.print(prescription_table(p))
    plan_path = _variable_rate_plan(rx_file, field, folder, out)
    _forecast(field, zone_map, p, out)
    out.print(
        "  the same from the command line: tanbo agronomy index → zones → prescribe, then "
        f"tanbo plan spray B001 --swath 5 --prescription {escape(str(rx_file))} "
        "--pump-l-min 6 --tank-l 10 --out plans (README: Agronomy)"
    )
    out.print(f"  files: {escape(str(folder))} and {escape(str(plan_path))}")


def _maps(ndvi: Path, field: FieldShape, zone_map: ZoneMap, p: Prescription, folder: Path) -> None:
    from fields.agronomy.maps import index_map_png, zones_map_png

    index_map_png(ndvi, field, folder / "B001_NDVI.png", index="NDVI")
    zones_map_png(zone_map, folder / "B001_zones.png", field=field)
    prescription_map_file(p, folder)


def _variable_rate_plan(rx_file: Path, field: FieldShape, folder: Path, out: Console) -> Path:
    crs = local_crs_for(field.geometry.centroid.x, field.geometry.centroid.y)
    local = to_local(field.geometry, crs)
    rates = plan_rates(read_prescription(rx_file), crs, field.id)
    params = SprayParams(
        swath_m=5.0, speed_m_s=5.0, tank_l=10.0, sprayer=SprayerControl.DO_SET_SERVO,
        rate_control=control_for(RateMode.PUMP, PumpSetup(flow_l_min=6.0)),
    )  # fmt: skip
    plan = plan_spray(
        [SprayTarget(id=field.id, field=local)],
        crs=crs,
        home=home_in(None, local, crs),
        params=params,
        zones=[],
        rates=rates,
    )
    write_plan(folder, "B001-variable-rate", plan, field=local)
    by_zone = ", ".join(
        f"zone {label} {z['rate_l_ha']:g} L/ha → pump {z['pump_pwm_us']:.0f} µs"
        for label, z in plan.stats["rate_zones"].items()
    )
    out.print(
        f"variable-rate plan: coverage {plan.stats['coverage']:.2%}, {plan.sorties} sortie(s), "
        f"{plan.product_total_l:.2f} L of UAN32 ({by_zone})"
    )
    return folder / "B001-variable-rate.plan"


def _forecast(field: FieldShape, zone_map: ZoneMap, p: Prescription, out: Console) -> None:
    weather = season_weather(date(2026, 5, 10), year=2005)
    outlook = forecast_field(
        field.id,
        geodesic_area_m2(field.geometry),
        weather,
        zone_map=zone_map,
        extra_n_kg_ha={z.zone: z.n_kg_ha for z in p.zones},
        base_n_kg_ha=60.0,
    )
    zones = ", ".join(
        f"zone {z.zone} {z.forecast.yield_t_ha * 100:.0f}" for z in outlook.forecast.zones
    )
    effect = outlook.effect
    gain = "" if effect is None else f"; with the prescription {effect.with_t_ha * 100:.0f}"
    out.print(
        f"forecast (transplanted 10 May, {escape(weather.note.split(' (')[0])}): "
        f"{outlook.forecast.yield_kg_10a:.0f} kg/10a ({zones}){gain}; heading "
        f"{outlook.heading:%d %b}, harvest {outlook.harvest:%d %b}"
    )
