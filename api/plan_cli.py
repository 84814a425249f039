"""``tanbo plan``: spray, survey and delivery flight plans written as files ground stations load.

The command names and options are a contract other tools rely on. Bad input:
exit code 2 and one line naming the problem and the field; the other fields are
still planned.
"""

import math
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import shapely
import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from api import planning
from api.console import err, state_of
from api.console import out as stdout
from api.plan_rates import plan_rates, variable_rate_options
from api.planning import FieldToPlan, Outcome
from core.geo import GeoPoint
from fields import LocalCrs, ZoneKind, ZoneRecord, local_crs_for, to_local
from mission_planner import Action, FlightPlan, PayloadRelease, RateMode, SprayerControl
from mission_planner.cameras import Camera, camera_named
from mission_planner.coverage import MIN_COVERAGE
from mission_planner.delivery import plan_delivery
from mission_planner.metrics import spray_footprint
from mission_planner.refusals import PlanRefused
from mission_planner.safety import LocalZone
from mission_planner.spray import SprayParams, SprayTarget, plan_spray
from mission_planner.survey import plan_survey

__all__ = ["plan_app"]

PlanOne = Callable[[FieldToPlan, LocalCrs], FlightPlan]
ZonesFor = Callable[[FieldToPlan, LocalCrs], list[LocalZone]]

plan_app = typer.Typer(
    help="Plan spray, survey and delivery flights; write .plan, .waypoints and .geojson.",
    no_args_is_help=True,
)


def _point(text: str, option: str) -> GeoPoint:
    try:
        return GeoPoint.parse(text)
    except ValueError as exc:
        raise typer.BadParameter(f"{exc} (expected LAT,LON in degrees)", param_hint=option) from exc


def _numbers(text: str, count: int, option: str) -> list[float]:
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        values = []
    if len(values) != count:
        raise typer.BadParameter(f"expected {count} numbers separated by commas", param_hint=option)
    return values


def _run(
    ctx: typer.Context,
    fields: list[FieldToPlan],
    problems: list[str],
    plan_one: PlanOne,
    out: Path,
    zones_for: ZonesFor,
) -> None:

    rows: list[dict[str, object]] = []
    permissions: dict[str, None] = {}
    with Progress(
        TextColumn("planning"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as progress:
        task = progress.add_task("fields", total=len(fields))
        for outcome in planning.plan_each(fields, plan_one):
            progress.advance(task)
            _report(outcome, out, rows, problems, fields, zones_for)
            if outcome.plan is not None:
                permissions.update(dict.fromkeys(outcome.plan.permissions))
    planning.write_summary(out, rows)
    for line in problems:
        err.print(f"refused {escape(line)}")
    stdout.print(
        f"planned {len(rows)} of {len(rows) + len(problems)} fields into {escape(str(out))}"
    )
    if permissions:
        stdout.print("permissions needed: " + escape("; ".join(permissions)))
    if problems:
        raise typer.Exit(2)


def _report(
    outcome: Outcome,
    out: Path,
    rows: list[dict[str, object]],
    problems: list[str],
    fields: list[FieldToPlan],
    zones_for: ZonesFor,
) -> None:
    if outcome.plan is None:
        problems.append(f"{outcome.id}: {outcome.problem}")
        return
    plan = outcome.plan
    field_local = to_local(outcome.target.geometry, plan.crs)
    planning.write_plan(
        out, outcome.id, plan, field=field_local, zones=zones_for(outcome.target, plan.crs)
    )
    stats = plan.stats
    if plan.kind == "survey":  # imaged: each survey line's footprint across track
        imaged = spray_footprint(
            [leg.path for leg in plan.legs if leg.action == Action.SURVEY],
            float(stats["footprint_across_m"]),
        )
        coverage = imaged.intersection(field_local).area / field_local.area
        turns = int(stats["lines"]) - 1
        time_s = float(stats["flight_time_s"])
    else:
        coverage, turns, time_s = (
            float(stats["coverage"]),
            int(stats["turns"]),
            float(stats["est_time_s"]),
        )
    rows.append(
        {
            "id": outcome.id,
            "area_ha": round(float(stats.get("area_ha", field_local.area / 10_000.0)), 4),
            "path_m": round(plan.path_m, 1),
            "turns": turns,
            "sorties": plan.sorties,
            "est_time_s": round(time_s, 1),
            "coverage": round(coverage, 5),
            "product": round(float(stats["volume_l"]), 2) if "volume_l" in stats else "",
        }
    )
    if stats.get("variable_rate"):
        by_zone = ", ".join(
            f"zone {label} {z['rate_l_ha']:g}/ha × {z['area_ha']:.3f} ha = {z['product_l']:.2f}"
            for label, z in stats["rate_zones"].items()
        )
        stdout.print(escape(f"{outcome.id}: {by_zone}; total {plan.product_total_l:.2f}"))


@plan_app.command("spray")
def spray(
    ctx: typer.Context,
    fields: Annotated[
        str, typer.Argument(metavar="FIELDS", help="A field file, or registered ids (a,b).")
    ],
    swath: Annotated[float, typer.Option("--swath", min=0.5, help="Spray width, m.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for the files.")],
    field_id: Annotated[list[str] | None, typer.Option("--id", help="Only these fields.")] = None,
    altitude: Annotated[float, typer.Option(min=0.5, help="Above home, m (≤ 150).")] = 3.0,
    speed: Annotated[float, typer.Option(min=0.5, help="Spraying speed, m/s.")] = 5.0,
    angle: Annotated[str, typer.Option(help="Swath heading: auto or degrees from north.")] = "auto",
    no_spray: Annotated[list[Path] | None, typer.Option("--no-spray", help="Zone files.")] = None,
    tank_l: Annotated[float | None, typer.Option("--tank-l", min=0.1, help="Tank, L.")] = None,
    rate_l_ha: Annotated[
        float | None, typer.Option("--rate-l-ha", min=0.1, help="Rate, L/ha.")
    ] = None,
    endurance_min: Annotated[
        float | None, typer.Option("--endurance-min", min=1, help="Battery, min.")
    ] = None,
    home: Annotated[str | None, typer.Option(help="LAT,LON of take-off and refill.")] = None,
    sprayer: Annotated[
        SprayerControl | None,
        typer.Option(help="How the pump is switched (do_set_servo with --prescription)."),
    ] = None,
    servo: Annotated[int, typer.Option(min=1, max=16, help="Pump output for do_set_servo.")] = 9,
    one_mission: Annotated[
        bool,
        typer.Option(
            "--one-mission", help="All fields in one mission (DIR/mission.*), nearest first."
        ),
    ] = False,
    prescription: Annotated[
        Path | None,
        typer.Option(help="Variable rate: a prescription file (GeoJSON, Shapefile, GeoTIFF)."),
    ] = None,
    rate_by: Annotated[
        RateMode, typer.Option(help="Variable rate by pump output or by speed.")
    ] = RateMode.PUMP,
    pump_l_min: Annotated[
        float | None, typer.Option("--pump-l-min", min=0.1, help="Pump's full output, L/min.")
    ] = None,
    pump_pwm: Annotated[
        str, typer.Option("--pump-pwm", help="OFF,FULL pulse of the pump's servo, µs.")
    ] = "1100,1900",
    min_coverage: Annotated[
        float,
        typer.Option(
            "--min-coverage",
            min=90.0,
            max=100.0,
            help="Share of each field to spray, %: rings inside the edge pass shorten the "
            "route while it is met (100: one ring).",
        ),
    ] = MIN_COVERAGE * 100.0,
) -> None:
    """Plan spray missions: zones respected, sorties by tank and battery, rates by zone."""

    state = state_of(ctx)
    rates, control = variable_rate_options(
        prescription,
        rate_by=rate_by,
        rate_l_ha=rate_l_ha,
        pump_l_min=pump_l_min,
        pump_pwm=_numbers(pump_pwm, 2, "--pump-pwm"),
        one_mission=one_mission,
        sprayer=sprayer,
    )
    if rates is not None:
        amount = "kg (granules: tank in kg, pump in kg/min)" if rates.unit == "kg/ha" else "L"
        stdout.print(
            escape(f"prescription {prescription}: {rates.unit} of {rates.product or 'product'}; ")
            + escape(f"amounts below in {amount}")
        )
    if sprayer is None:
        sprayer = SprayerControl.DO_SPRAYER if rates is None else SprayerControl.DO_SET_SERVO
    if rates is None and (tank_l is None) != (rate_l_ha is None):
        raise typer.BadParameter("give --tank-l and --rate-l-ha together", param_hint="--tank-l")
    heading = None
    if angle != "auto":
        try:
            heading = float(angle)
        except ValueError:
            heading = math.nan
        if not math.isfinite(heading):
            raise typer.BadParameter("auto or a number of degrees", param_hint="--angle")
    home_point = _point(home, "--home") if home else None
    params = SprayParams(
        swath_m=swath, altitude_m=altitude, speed_m_s=speed, heading_deg=heading,
        tank_l=tank_l, rate_l_ha=rate_l_ha, endurance_min=endurance_min,
        sprayer=sprayer, sprayer_servo=servo, rate_control=control,
        min_coverage=min_coverage / 100.0,
    )  # fmt: skip
    zones = _zones_or_exit(no_spray or [], ZoneKind.HOUSE)
    targets, problems = planning.load_fields(fields, field_id or [], state.db)
    if not Path(fields).exists():
        zones += planning.registry.list_zones(state.db())
    buffers = state.settings.buffers_m

    def zones_for(target: FieldToPlan, crs: LocalCrs) -> list[LocalZone]:
        field_local = to_local(target.geometry, crs)
        home_local = planning.home_in(home_point, field_local, crs)
        return planning.zones_near(zones, crs, buffers, field_local, home_local)

    def plan_one(target: FieldToPlan, crs: LocalCrs) -> FlightPlan:
        field_local = to_local(target.geometry, crs)
        field_rates = None
        if rates is not None:
            field_rates = plan_rates(rates, crs, target.id)
            if field_rates is None:
                raise PlanRefused("the prescription has no zone for this field", rule="rate")
        return plan_spray(
            [SprayTarget(id=target.id, field=field_local)],
            crs=crs,
            home=planning.home_in(home_point, field_local, crs),
            params=params,
            zones=zones_for(target, crs),
            rates=field_rates,
        )

    if one_mission:
        _run_one_mission(targets, problems, params, home_point, zones, buffers, out)
        return
    _run(ctx, targets, problems, plan_one, out, zones_for)


def _zones_or_exit(sources: list[Path], default_kind: ZoneKind) -> list[ZoneRecord]:
    """Zones from files; any zone refused stops the planning (a plan must not forget one)."""

    zones, problems = planning.load_zones(sources, default_kind=default_kind)
    if problems:
        for line in problems:
            err.print(f"refused {escape(line)}")
        err.print("nothing planned: fix the zones first")
        raise typer.Exit(2)
    return zones


def _run_one_mission(
    targets: list[FieldToPlan],
    problems: list[str],
    params: SprayParams,
    home_point: GeoPoint | None,
    zones: list[ZoneRecord],
    buffers: dict[ZoneKind, float],
    out: Path,
) -> None:
    """Every field in one mission, taken nearest first from home, sorties across fields."""

    if not targets:
        for line in problems:
            err.print(f"refused {escape(line)}")
        raise typer.Exit(2)
    try:
        job = planning.plan_spray_job(
            [(t.id, t.geometry) for t in targets],
            params,
            home=home_point,
            zones=zones,
            buffers_m=buffers,
        )
    except (planning.TanboError, ValueError) as exc:
        err.print(f"refused mission: {escape(planning.describe_refusal(exc))}")
        raise typer.Exit(2) from exc
    plan = job.plan
    planning.write_plan(out, "mission", plan, field=job.work, zones=job.zones)
    per_field = plan.stats["fields"]
    rows = [
        {
            "id": fid,
            "area_ha": round(f["area_m2"] / 10_000.0, 4),
            "path_m": round(f["path_m"], 1),
            "turns": round(f.get("turns", 0)),
            "sorties": plan.sorties,
            "est_time_s": round(
                f["path_m"] / params.speed_m_s + f.get("turns", 0) * params.turn_time_s, 1
            ),
            "coverage": round(f["coverage"], 5),
        }
        for fid, f in per_field.items()
    ]
    planning.write_summary(out, rows)
    for line in problems:
        err.print(f"refused {escape(line)}")
    stdout.print(
        f"planned {len(rows)} fields in one mission of {plan.sorties} sorties, "
        f"{plan.path_m / 1000:.2f} km, into {escape(str(out))}"
    )
    if plan.permissions:
        stdout.print("permissions needed: " + escape("; ".join(plan.permissions)))
    if problems:
        raise typer.Exit(2)


@plan_app.command("survey")
def survey(
    ctx: typer.Context,
    fields: Annotated[
        str, typer.Argument(metavar="FIELDS", help="A field file, or registered ids (a,b).")
    ],
    out: Annotated[Path, typer.Option("--out", help="Folder for the files.")],
    field_id: Annotated[list[str] | None, typer.Option("--id", help="Only these fields.")] = None,
    camera: Annotated[
        str | None, typer.Option(help="A built-in camera, e.g. 'DJI Mavic 3M RGB'.")
    ] = None,
    sensor_mm: Annotated[str | None, typer.Option("--sensor-mm", help="W,H in mm.")] = None,
    focal_mm: Annotated[float | None, typer.Option("--focal-mm", min=0.1)] = None,
    image_px: Annotated[str | None, typer.Option("--image-px", help="W,H in pixels.")] = None,
    gsd_cm: Annotated[
        float | None, typer.Option("--gsd-cm", min=0.01, help="Ground sample distance.")
    ] = None,
    altitude: Annotated[float | None, typer.Option(min=1, help="Above home, m (≤ 150).")] = None,
    front_overlap: Annotated[
        float, typer.Option("--front-overlap", min=0, max=95, help="%")
    ] = 75.0,
    side_overlap: Annotated[float, typer.Option("--side-overlap", min=0, max=95, help="%")] = 65.0,
    home: Annotated[str | None, typer.Option(help="LAT,LON of take-off.")] = None,
    angle: Annotated[float | None, typer.Option(help="Line heading, degrees from north.")] = None,
    speed: Annotated[float, typer.Option(min=0.5, help="Survey speed, m/s.")] = 5.0,
    turnaround_m: Annotated[
        float, typer.Option("--turnaround-m", min=0, help="Run-in and run-out past the edge.")
    ] = 10.0,
    crosshatch: Annotated[bool, typer.Option("--crosshatch", help="A second grid at 90°.")] = False,
) -> None:
    """Plan camera surveys: GSD, overlaps, trigger distance, image count."""

    if (gsd_cm is None) == (altitude is None):
        raise typer.BadParameter(
            "give exactly one of --gsd-cm and --altitude", param_hint="--gsd-cm"
        )
    if camera is not None:
        cam = camera_named(camera)
    elif sensor_mm and focal_mm and image_px:
        (sw, sh), (iw, ih) = (
            _numbers(sensor_mm, 2, "--sensor-mm"),
            _numbers(image_px, 2, "--image-px"),
        )
        cam = Camera(
            name="custom",
            sensor_width_mm=sw,
            sensor_height_mm=sh,
            focal_length_mm=focal_mm,
            image_width_px=int(iw),
            image_height_px=int(ih),
        )
    else:
        raise typer.BadParameter(
            "give --camera, or --sensor-mm, --focal-mm and --image-px", param_hint="--camera"
        )
    home_point = _point(home, "--home") if home else None
    targets, problems = planning.load_fields(fields, field_id or [], state_of(ctx).db)

    def plan_one(target: FieldToPlan, crs: LocalCrs) -> FlightPlan:
        area = to_local(target.geometry, crs)
        return plan_survey(
            area, crs=crs, camera=cam, gsd_cm=gsd_cm, altitude_m=altitude,
            front_overlap=front_overlap / 100.0, side_overlap=side_overlap / 100.0,
            home=planning.home_in(home_point, area, crs), angle_deg=angle, speed_m_s=speed,
            turnaround_m=turnaround_m, crosshatch=crosshatch,
        )  # fmt: skip

    _run(ctx, targets, problems, plan_one, out, lambda target, crs: [])


@plan_app.command("delivery")
def delivery(
    ctx: typer.Context,
    pickup: Annotated[str, typer.Option("--from", help="LAT,LON of the pharmacy.")],
    drop: Annotated[str, typer.Option("--to", help="LAT,LON of the drop point.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for the files.")],
    no_fly: Annotated[list[Path] | None, typer.Option("--no-fly", help="Zone files.")] = None,
    altitude: Annotated[float, typer.Option(min=5, help="Cruise altitude above home, m.")] = 60.0,
    payload_kg: Annotated[float, typer.Option("--payload-kg", min=0, help="Parcel mass.")] = 1.0,
    vehicle_kg: Annotated[float, typer.Option("--vehicle-kg", min=0.25)] = 6.0,
    endurance_min: Annotated[
        float,
        typer.Option("--endurance-min", min=1, help="Hover, empty, to the low-battery failsafe."),
    ] = 40.0,
    release: Annotated[
        PayloadRelease, typer.Option(help="How the parcel is handed over.")
    ] = PayloadRelease.WINCH,
) -> None:
    """Plan a delivery round trip that avoids no-fly zones, with an energy check."""

    state = state_of(ctx)
    start, end = _point(pickup, "--from"), _point(drop, "--to")
    crs = local_crs_for((start.lon_deg + end.lon_deg) / 2, (start.lat_deg + end.lat_deg) / 2)
    a = to_local(shapely.Point(start.lon_deg, start.lat_deg), crs)
    b = to_local(shapely.Point(end.lon_deg, end.lat_deg), crs)
    zones = _zones_or_exit(no_fly or [], ZoneKind.AIRPORT)
    local = planning.local_zones(zones, crs, state.settings.buffers_m)
    try:
        plan = plan_delivery(
            (a.x, a.y), (b.x, b.y), crs=crs, no_fly=[z.buffered for z in local],
            cruise_altitude_m=altitude, payload_kg=payload_kg, vehicle_empty_kg=vehicle_kg,
            endurance_min=endurance_min, release=release,
        )  # fmt: skip
    except (planning.TanboError, ValueError) as exc:
        err.print(f"refused delivery: {escape(planning.describe_refusal(exc))}")
        raise typer.Exit(2) from exc
    planning.write_plan(out, "delivery", plan, zones=local)
    stats = plan.stats
    stdout.print(
        f"delivery {stats.get('distance_m', plan.path_m):,.0f} m round trip, "
        f"{float(stats.get('flight_time_s', 0)) / 60:.1f} min; files in {escape(str(out))}"
    )
