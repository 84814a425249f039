"""``tanbo vehicles`` (the registry, daily inspections) and ``tanbo logs`` (飛行日誌).

Bad option values end with exit code 2 and the option named; refusals (an unknown
vehicle, a registration already taken, a vehicle with history that cannot be removed)
end with exit code 2 and one line on standard error.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from api import fleet_store
from api.console import err, out, state_of
from api.errors import ApiError, StorageError
from fleet.errors import FleetError
from fleet.flightlog import JST, FlightLog
from fleet.registry import (
    REQUIRED_INSPECTION_ITEMS,
    AircraftCategory,
    CheckResult,
    InspectionItem,
    InspectionRecord,
    InvalidRecord,
    ReleaseKind,
    Sprayer,
    SprayerKind,
    VehicleRecord,
    parse_registration,
)

__all__ = ["logs_app", "vehicles_app"]

vehicles_app = typer.Typer(
    help="The vehicle registry: registration (登録記号), airframe, link, tank, battery, sprayer.",
    no_args_is_help=True,
)
logs_app = typer.Typer(
    help="Flight logs (飛行日誌): list, show, export as CSV.", no_args_is_help=True
)

_OPTION = {
    "registration": "REGISTRATION",
    "model": "--model",
    "maker": "--maker",
    "serial_number": "--serial",
    "type_certificate_no": "--type-cert",
    "airworthiness_certificate_no": "--airworthiness-cert",
    "system_id": "--sysid",
    "connection": "--connect",
    "max_takeoff_weight_kg": "--mtow-kg",
    "max_payload_kg": "--payload-kg",
    "tank_l": "--tank-l",
    "pump_max_l_min": "--pump-l-min",
    "battery_mah": "--battery-mah",
    "battery_cells": "--cells",
    "sprayer": "--sprayer",
    "notes": "--notes",
    "inspector": "--inspector",
    "place": "--place",
    "remarks": "--remarks",
    "results": "--ok",
}
"""The option each record field comes from, to name it in an error."""
_SIM_NOTE = " (simulator: not a real registration)"


@contextmanager
def _refusals() -> Iterator[None]:
    """A value the records refuse names its option; a refusal of the store is one line."""
    try:
        yield
    except InvalidRecord as exc:
        raise typer.BadParameter(str(exc), param_hint=_OPTION.get(exc.field)) from exc
    except StorageError:
        raise
    except (FleetError, ApiError) as exc:
        err.print(f"tanbo: {escape(str(exc))}")
        raise typer.Exit(2) from exc


def _registration(text: str) -> str:
    with _refusals():
        return parse_registration(text)


def _sprayer(spec: str | None) -> Sprayer | None:
    if spec is None:
        return None
    with _refusals():
        return Sprayer.parse(spec)


def _date(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise typer.BadParameter(f"{text!r} is not a date (YYYY-MM-DD)", param_hint=option) from exc


def _jst(at: datetime | None) -> str:
    return at.astimezone(JST).strftime("%Y-%m-%d %H:%M:%S JST") if at else "—"


def _hms(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    whole = round(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def _or_dash(value: float | None, spec: str) -> str:
    return "—" if value is None else format(value, spec)


def _key_values(rows: list[tuple[str, str]]) -> Table:
    table = Table(show_header=False, show_edge=False)
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    for key, value in rows:
        table.add_row(key, escape(value))
    return table


Model = Annotated[str, typer.Option("--model", help="型式, e.g. 'AGRAS T25'.")]
Maker = Annotated[str | None, typer.Option("--maker", help="製造者.")]
Serial = Annotated[str | None, typer.Option("--serial", help="製造番号.")]
TypeCert = Annotated[str | None, typer.Option("--type-cert", help="型式認証書番号.")]
AirworthinessCert = Annotated[
    str | None, typer.Option("--airworthiness-cert", help="機体認証の区分及び機体認証書番号.")
]
Category = Annotated[AircraftCategory | None, typer.Option(help="無人航空機の種類.")]
SystemId = Annotated[int | None, typer.Option("--sysid", help="MAVLink system id, 1..255.")]
Connect = Annotated[
    str | None, typer.Option("--connect", help="tcp:HOST:PORT, udpin:…, udpout:… or serial:…")
]
Mtow = Annotated[float, typer.Option("--mtow-kg", help="Maximum take-off weight, kg.")]
Payload = Annotated[float | None, typer.Option("--payload-kg", help="Maximum payload, kg.")]
Tank = Annotated[float | None, typer.Option("--tank-l", help="Spray tank, L (0 = none).")]
PumpFlow = Annotated[
    float | None,
    typer.Option("--pump-l-min", help="Spray pump flow at full output, L/min (sets the L/ha)."),
]
Battery = Annotated[int, typer.Option("--battery-mah", help="Battery capacity, mAh.")]
Cells = Annotated[int, typer.Option("--cells", help="Battery cells in series.")]
SprayerSpec = Annotated[
    str | None,
    typer.Option(help="none, ardupilot (DO_SPRAYER) or servo:CHANNEL:PWM_ON:PWM_OFF."),
]
Release = Annotated[ReleaseKind | None, typer.Option(help="Payload release.")]
Notes = Annotated[str | None, typer.Option("--notes")]
Registration = Annotated[
    str, typer.Argument(metavar="REGISTRATION", help="JU + 10 characters, or SIM-NAME.")
]


@vehicles_app.command("add")
def vehicles_add(
    ctx: typer.Context,
    registration: Registration,
    model: Model,
    mtow_kg: Mtow,
    battery_mah: Battery,
    cells: Cells,
    maker: Maker = None,
    serial: Serial = None,
    type_cert: TypeCert = None,
    airworthiness_cert: AirworthinessCert = None,
    category: Category = None,
    sysid: SystemId = None,
    connect: Connect = None,
    payload_kg: Payload = None,
    tank_l: Tank = None,
    pump_l_min: PumpFlow = None,
    sprayer: SprayerSpec = None,
    release: Release = None,
    notes: Notes = None,
) -> None:
    """Register a vehicle under its registration code (SIM-NAME for a simulator)."""
    reg = _registration(registration)
    with _refusals():
        vehicle = VehicleRecord(
            registration=reg,
            model=model,
            maker=maker or "",
            serial_number=serial or "",
            type_certificate_no=type_cert,
            airworthiness_certificate_no=airworthiness_cert,
            category=category or AircraftCategory.MULTIROTOR,
            system_id=sysid,
            connection=connect,
            max_takeoff_weight_kg=mtow_kg,
            max_payload_kg=payload_kg or 0.0,
            tank_l=tank_l or 0.0,
            pump_max_l_min=pump_l_min,
            battery_mah=battery_mah,
            battery_cells=cells,
            sprayer=_sprayer(sprayer) or Sprayer(),
            release=release or ReleaseKind.NONE,
            notes=notes or "",
        )
        fleet_store.add_vehicle(state_of(ctx).db(), vehicle)
    note = _SIM_NOTE if vehicle.simulated else ""
    out.print(f"registered {escape(reg)}{note}")


def _sprayer_text(s: Sprayer) -> str:
    if s.kind is SprayerKind.SERVO_PUMP:
        return f"servo {s.channel} (PWM {s.pwm_on_us}/{s.pwm_off_us} µs)"
    return "DO_SPRAYER" if s.kind is SprayerKind.ARDUPILOT_SPRAYER else "—"


@vehicles_app.command("list")
def vehicles_list(
    ctx: typer.Context,
    show_all: Annotated[bool, typer.Option("--all", help="Retired vehicles too.")] = False,
) -> None:
    """List registered vehicles."""
    vehicles = fleet_store.list_vehicles(state_of(ctx).db(), include_retired=show_all)
    if not vehicles:
        out.print("no vehicles registered")
        return
    table = Table(show_edge=False, header_style="bold")
    for name in ("registration", "model", "sysid", "connection", "tank L", "battery", "sprayer"):
        table.add_column(name, overflow="fold")
    table.add_column("release")
    table.add_column("status")
    for v in vehicles:
        status = "retired" if v.retired else ("simulator" if v.simulated else "active")
        table.add_row(
            escape(v.registration),
            escape(v.model),
            str(v.system_id or "—"),
            escape(v.connection or "—"),
            f"{v.tank_l:g}",
            f"{v.battery_mah} mAh {v.battery_cells}S",
            _sprayer_text(v.sprayer),
            v.release.value,
            status,
        )
    out.print(table)
    out.print(f"{len(vehicles)} vehicles")


@vehicles_app.command("show")
def vehicles_show(ctx: typer.Context, registration: Registration) -> None:
    """Show one vehicle."""
    with _refusals():
        v = fleet_store.get_vehicle(state_of(ctx).db(), _registration(registration))
    rows = [
        ("registration", v.registration + (_SIM_NOTE if v.simulated else "")),
        ("category", f"{v.category.value} ({v.category.ja})"),
        ("model / maker / serial", f"{v.model} / {v.maker or '—'} / {v.serial_number or '—'}"),
        ("type certificate", v.type_certificate_no or "—"),
        ("airworthiness certificate", v.airworthiness_certificate_no or "—"),
        ("MAVLink system id", str(v.system_id or "—")),
        ("connection", v.connection or "—"),
        ("max take-off weight", f"{v.max_takeoff_weight_kg:g} kg"),
        ("max payload", f"{v.max_payload_kg:g} kg"),
        ("tank", f"{v.tank_l:g} L" if v.tank_l else "none"),
        ("pump", f"{v.pump_max_l_min:g} L/min at full output" if v.pump_max_l_min else "—"),
        ("battery", f"{v.battery_mah} mAh, {v.battery_cells} cells"),
        ("sprayer", f"{v.sprayer.spec}: {_sprayer_text(v.sprayer)}"),
        ("release", v.release.value),
        ("status", f"retired {_jst(v.retired_at)}" if v.retired else "active"),
        ("notes", v.notes or "—"),
    ]  # fmt: skip
    out.print(_key_values(rows))


@vehicles_app.command("set")
def vehicles_set(
    ctx: typer.Context,
    registration: Registration,
    model: Annotated[str | None, typer.Option("--model")] = None,
    maker: Maker = None,
    serial: Serial = None,
    type_cert: TypeCert = None,
    airworthiness_cert: AirworthinessCert = None,
    category: Category = None,
    sysid: SystemId = None,
    connect: Connect = None,
    mtow_kg: Annotated[float | None, typer.Option("--mtow-kg")] = None,
    payload_kg: Payload = None,
    tank_l: Tank = None,
    pump_l_min: PumpFlow = None,
    battery_mah: Annotated[int | None, typer.Option("--battery-mah")] = None,
    cells: Annotated[int | None, typer.Option("--cells")] = None,
    sprayer: SprayerSpec = None,
    release: Release = None,
    notes: Notes = None,
) -> None:
    """Change some of a vehicle's details (the registration itself never changes)."""
    given: dict[str, Any] = {
        "model": model, "maker": maker, "serial_number": serial, "category": category,
        "type_certificate_no": type_cert, "airworthiness_certificate_no": airworthiness_cert,
        "system_id": sysid, "connection": connect, "max_takeoff_weight_kg": mtow_kg,
        "max_payload_kg": payload_kg, "tank_l": tank_l, "pump_max_l_min": pump_l_min,
        "battery_mah": battery_mah,
        "battery_cells": cells, "sprayer": _sprayer(sprayer), "release": release, "notes": notes,
    }  # fmt: skip
    changes = {k: v for k, v in given.items() if v is not None}
    if not changes:
        raise typer.BadParameter("give at least one option to change", param_hint="options")
    reg = _registration(registration)
    with _refusals():
        fleet_store.update_vehicle(state_of(ctx).db(), reg, changes)
    out.print(f"updated {escape(reg)}: {', '.join(sorted(changes))}")


@vehicles_app.command("retire")
def vehicles_retire(ctx: typer.Context, registration: Registration) -> None:
    """Retire a vehicle: it keeps its flight logs and inspections and flies no more."""
    with _refusals():
        v = fleet_store.retire_vehicle(state_of(ctx).db(), _registration(registration))
    out.print(f"retired {escape(v.registration)} ({_jst(v.retired_at)}); its flight logs are kept")


@vehicles_app.command("remove")
def vehicles_remove(ctx: typer.Context, registration: Registration) -> None:
    """Delete a vehicle entered by mistake (one with no flight logs or inspections)."""
    reg = _registration(registration)
    with _refusals():
        fleet_store.remove_vehicle(state_of(ctx).db(), reg)
    out.print(f"removed {escape(reg)}")


def _items(text: str, option: str, vehicle: VehicleRecord) -> list[InspectionItem]:
    if text.strip().lower() == "all":
        extras = [InspectionItem.SPRAYER] if vehicle.sprayer.kind is not SprayerKind.NONE else []
        if vehicle.release is not ReleaseKind.NONE:
            extras.append(InspectionItem.PAYLOAD_RELEASE)
        return [i for i in InspectionItem if i in REQUIRED_INSPECTION_ITEMS] + extras
    items = []
    for word in filter(None, (w.strip().lower() for w in text.split(","))):
        try:
            items.append(InspectionItem(word))
        except ValueError:
            known = ", ".join(i.value for i in InspectionItem)
            raise typer.BadParameter(
                f"{word!r} is not an item ({known})", param_hint=option
            ) from None
    return items


@vehicles_app.command("inspect")
def vehicles_inspect(
    ctx: typer.Context,
    registration: Registration,
    inspector: Annotated[str, typer.Option(help="実施者の氏名.")],
    ok: Annotated[
        str, typer.Option(help="Items checked and ok, comma-separated, or 'all' (the MLIT form's).")
    ] = "",
    fail: Annotated[
        list[str] | None, typer.Option(help="An item not ok, ITEM[:NOTE] (repeatable).")
    ] = None,
    on: Annotated[
        str | None, typer.Option("--date", help="YYYY-MM-DD (default today, JST).")
    ] = None,
    place: Annotated[str, typer.Option(help="実施の場所.")] = "",
    remarks: Annotated[str, typer.Option(help="その他特記事項.")] = "",
) -> None:
    """Record a daily inspection (日常点検); flights that day refer to it."""
    state = state_of(ctx)
    reg = _registration(registration)
    with _refusals():
        vehicle = fleet_store.get_vehicle(state.db(), reg)
    failed: dict[InspectionItem, str] = {}
    for text in fail or []:
        name, _, note = text.partition(":")
        named = _items(name, "--fail", vehicle)
        if len(named) != 1:
            raise typer.BadParameter(f"{text!r}: expected one ITEM[:NOTE]", param_hint="--fail")
        failed[named[0]] = note.strip()
    passed = [i for i in _items(ok, "--ok", vehicle) if i not in failed]
    if not passed and not failed:
        raise typer.BadParameter(
            "say what was checked: --ok all, or --ok ITEM,ITEM…", param_hint="--ok"
        )
    results = [CheckResult(item=i, ok=True) for i in dict.fromkeys(passed)]
    results += [CheckResult(item=i, ok=False, note=n) for i, n in failed.items()]
    day = _date(on, "--date") or datetime.now(JST).date()
    with _refusals():
        record = InspectionRecord(
            registration=reg, inspected_on=day, inspector=inspector, results=tuple(results),
            place=place, remarks=remarks,
        )  # fmt: skip
        fleet_store.save_inspection(state.db(), record)
    verdict = "passed" if record.passed else "NOT passed"
    out.print(f"inspection {record.id} of {escape(reg)} on {day.isoformat()}: {verdict}")
    for r in record.failed:
        out.print(f"  not ok: {r.item.value} ({r.item.ja}) {escape(r.note)}")
    if record.missing:
        missing = ", ".join(sorted(i.value for i in record.missing))
        out.print(f"  not checked (on the MLIT form): {missing}")


@vehicles_app.command("inspections")
def vehicles_inspections(
    ctx: typer.Context,
    registration: Annotated[str | None, typer.Argument(metavar="[REGISTRATION]")] = None,
    date_from: Annotated[str | None, typer.Option("--from", help="YYYY-MM-DD")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="YYYY-MM-DD")] = None,
) -> None:
    """List daily inspections."""
    found = fleet_store.list_inspections(
        state_of(ctx).db(),
        registration=_registration(registration) if registration else None,
        date_from=_date(date_from, "--from"),
        date_to=_date(date_to, "--to"),
    )
    if not found:
        out.print("no inspections")
        return
    table = Table(show_edge=False, header_style="bold")
    for name in ("date", "registration", "inspector", "result", "not ok", "id"):
        table.add_column(name, overflow="fold")
    for i in found:
        table.add_row(
            i.inspected_on.isoformat(),
            escape(i.registration),
            escape(i.inspector),
            "passed" if i.passed else "NOT passed",
            ", ".join(r.item.value for r in i.failed) or "—",
            i.id,
        )
    out.print(table)


def _filters(
    registration: str | None, date_from: str | None, date_to: str | None
) -> dict[str, Any]:
    start, end = _date(date_from, "--from"), _date(date_to, "--to")
    if start and end and start > end:
        raise typer.BadParameter(f"{date_from} is after --to {date_to}", param_hint="--from")
    reg = _registration(registration) if registration else None
    return {"registration": reg, "date_from": start, "date_to": end}


RegistrationFilter = Annotated[
    str | None, typer.Option("--registration", help="Only this vehicle's flights.")
]
From = Annotated[str | None, typer.Option("--from", help="From this flight date, YYYY-MM-DD.")]
To = Annotated[str | None, typer.Option("--to", help="To this flight date (inclusive).")]


@logs_app.command("list")
def logs_list(
    ctx: typer.Context,
    registration: RegistrationFilter = None,
    date_from: From = None,
    date_to: To = None,
) -> None:
    """List flight logs, in the order flown (times in Japan time)."""
    logs = fleet_store.list_flight_logs(
        state_of(ctx).db(), **_filters(registration, date_from, date_to)
    )
    if not logs:
        out.print("no flight logs")
        return
    table = Table(show_edge=False, header_style="bold")
    for name in ("date", "take-off", "registration", "pilot", "purpose", "time", "result"):
        table.add_column(name, overflow="fold")
    table.add_column("events", justify="right")
    table.add_column("flight id", overflow="fold")
    for log in logs:
        takeoff = log.takeoff_at.astimezone(JST).strftime("%H:%M") if log.takeoff_at else "—"
        table.add_row(
            log.flight_date.isoformat(),
            takeoff,
            escape(log.registration),
            escape(log.pilot),
            log.purpose.ja,
            _hms(log.flight_time_s),
            log.result.value,
            str(len(log.anomalies)),
            log.flight_id,
        )
    out.print(table)
    total = sum(log.flight_time_s for log in logs)
    out.print(f"{len(logs)} flights, {_hms(total)} in the air")


def _log_rows(log: FlightLog) -> list[tuple[str, str]]:
    def place(p: Any) -> str:
        return str(p.text) if p else "—"

    figures = [
        ("distance", f"{log.distance_m:,.0f} m"),
        ("max altitude", f"{_or_dash(log.max_altitude_m, '.1f')} m"),
        ("area sprayed", f"{_or_dash(log.area_sprayed_ha, '.3f')} ha"),
        ("tank used", f"{_or_dash(log.tank_used_l, '.2f')} L"),
        ("battery used", f"{_or_dash(log.battery_used_pct, '.0f')} % / "
                         f"{_or_dash(log.battery_used_mah, '.0f')} mAh"),
        ("items reached", f"{log.items_reached} / {log.items_total}"),
    ]  # fmt: skip
    return [
        ("flight id", log.flight_id),
        ("飛行年月日", log.flight_date.isoformat()),
        ("飛行させた者", log.pilot),
        ("技能証明書番号", log.pilot_licence_no or "—"),
        ("登録記号", log.registration + (_SIM_NOTE if log.simulated else "")),
        ("飛行の目的", f"{log.purpose.ja} ({log.purpose.en})"),
        ("飛行の経路", log.route or "—"),
        ("許可・承認", "; ".join(log.permissions) or "なし"),
        ("離陸", f"{place(log.takeoff)} at {_jst(log.takeoff_at)}"),
        ("着陸", f"{place(log.landing)} at {_jst(log.landing_at)}"),
        ("飛行時間", _hms(log.flight_time_s)),
        ("総飛行時間", _hms(log.total_flight_time_s)),
        ("result", log.result.value),
        ("日常点検", log.inspection_id or "—"),
        ("mission", f"{log.mission_name or '—'} {log.mission_sha256 or ''}".strip()),
        ("daily inspection (日常点検)", log.inspection_id or "—"),
        *figures,
    ]  # fmt: skip


@logs_app.command("show")
def logs_show(
    ctx: typer.Context, flight_id: Annotated[str, typer.Argument(metavar="FLIGHT_ID")]
) -> None:
    """Show one flight log, with everything that affected safety."""
    with _refusals():
        log = fleet_store.get_flight_log(state_of(ctx).db(), flight_id)
    out.print(_key_values(_log_rows(log)))
    if not log.anomalies:
        out.print("飛行の安全に影響のあった事項: なし")
    for anomaly in log.anomalies:
        out.print(f"{_jst(anomaly.at)}  {escape(anomaly.text)}")


@logs_app.command("export")
def logs_export(
    ctx: typer.Context,
    csv_path: Annotated[
        Path | None,
        typer.Option("--csv", help="The CSV file to write (UTF-8 with BOM, for Excel)."),
    ] = None,
    pdf_path: Annotated[
        Path | None,
        typer.Option("--pdf", help="The PDF to write: the MLIT 飛行記録 form, to print."),
    ] = None,
    registration: RegistrationFilter = None,
    date_from: From = None,
    date_to: To = None,
) -> None:
    """Export flight logs as CSV (the MLIT 飛行記録 columns, then Tanbo's) and/or as a PDF
    of the MLIT form."""
    if csv_path is None and pdf_path is None:
        raise typer.BadParameter("name a file to write with --csv or --pdf (or both)")
    filters = _filters(registration, date_from, date_to)
    engine = state_of(ctx).db()
    if csv_path is not None:
        count = fleet_store.export_flight_logs_csv(engine, csv_path, **filters)
        out.print(f"wrote {count} flight logs to {escape(str(csv_path))}")
    if pdf_path is not None:
        pdf_path.parent.mkdir(parents=True, exist_ok=True)
        with pdf_path.open("wb") as sink:
            count = fleet_store.export_flight_logs_pdf(
                engine, sink, printed_at=datetime.now(UTC), **filters
            )
        out.print(f"wrote {count} flight logs to {escape(str(pdf_path))}")
