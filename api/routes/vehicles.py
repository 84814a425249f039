"""Vehicles (the aircraft register) and flight logs (飛行日誌), for operators and city staff."""

import dataclasses
import io
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Response
from fastapi.responses import PlainTextResponse
from pydantic import TypeAdapter

from api import fleet_store
from api.accounts import Principal, Role
from api.deps import IfMatch, ServicesDep, check_if_match, require
from api.routes.common import Page, ProblemResponses, VersionedResponses
from api.stamped import Stamped, etag, get_vehicle_stamped, update_vehicle_checked
from fleet import FlightLog, VehicleRecord

__all__ = ["logs_router", "router"]

router = APIRouter(prefix="/vehicles", tags=["vehicles"], responses=ProblemResponses)
logs_router = APIRouter(prefix="/flight-logs", tags=["flight logs"], responses=ProblemResponses)

_RECORD = TypeAdapter(VehicleRecord)
_EXAMPLE = {
    "registration": "JU0123456789",
    "model": "AGRAS T25",
    "maker": "DJI",
    "serial_number": "1581F5BK",
    "connection": "udpin:0.0.0.0:14550",
    "max_takeoff_weight_kg": 52.0,
    "max_payload_kg": 20.0,
    "tank_l": 20.0,
    "pump_max_l_min": 16.0,
    "battery_mah": 14000,
    "battery_cells": 14,
    "sprayer": {"kind": "ardupilot_sprayer"},
}
_Crew = Annotated[Principal, Depends(require(Role.OPERATOR, Role.CITY_ADMIN))]


@dataclasses.dataclass(frozen=True, kw_only=True)
class LogChoice:
    """Which flight logs: one vehicle's, between two flight dates (Japan time), or all."""

    registration: str | None = None
    date_from: date | None = None
    date_to: date | None = None

    def filters(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


_Chosen = Annotated[LogChoice, Depends()]


def _tag(stamped: Stamped[VehicleRecord]) -> str:
    return etag("vehicle", stamped.record.registration, stamped.updated_at)


@router.get("", response_model=Page[VehicleRecord], summary="List vehicles")
def list_vehicles(
    services: ServicesDep,
    caller: _Crew,
    include_retired: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Page[VehicleRecord]:
    """Registered vehicles by registration."""
    rows = fleet_store.list_vehicles(services.engine, include_retired=include_retired)
    return Page(data=rows[offset : offset + limit], count=len(rows), limit=limit, offset=offset)


@router.post("", response_model=VehicleRecord, status_code=201, summary="Register a vehicle")
def add_vehicle(
    vehicle: Annotated[VehicleRecord, Body(examples=[_EXAMPLE])],
    response: Response,
    services: ServicesDep,
    caller: _Crew,
) -> VehicleRecord:
    """Register an aircraft (登録記号 JU… or SIM-… for a simulator)."""
    fleet_store.add_vehicle(services.engine, vehicle, clock=services.clock)
    stamped = get_vehicle_stamped(services.engine, vehicle.registration)
    response.headers["ETag"] = _tag(stamped)
    response.headers["Location"] = f"/vehicles/{vehicle.registration}"
    return stamped.record


@router.get("/{registration}", response_model=VehicleRecord, summary="Read a vehicle")
def read_vehicle(
    registration: str, response: Response, services: ServicesDep, caller: _Crew
) -> VehicleRecord:
    """One vehicle; its ETag names this version for a later change."""
    stamped = get_vehicle_stamped(services.engine, registration)
    response.headers["ETag"] = _tag(stamped)
    return stamped.record


@router.patch(
    "/{registration}",
    response_model=VehicleRecord,
    summary="Change a vehicle",
    responses=VersionedResponses,
)
def change_vehicle(
    registration: str,
    changes: Annotated[
        dict[str, Any],
        Body(examples=[{"connection": "tcp:127.0.0.1:5760", "pump_max_l_min": 16.0}]),
    ],
    response: Response,
    services: ServicesDep,
    caller: _Crew,
    if_match: IfMatch = None,
) -> VehicleRecord:
    """Change members of a vehicle; the result is checked as a whole. Needs If-Match."""
    current = get_vehicle_stamped(services.engine, registration)
    check_if_match(if_match, _tag(current))
    known = {f.name for f in dataclasses.fields(VehicleRecord)}
    unknown = sorted(set(changes) - known)
    if unknown:
        raise ValueError(f"a vehicle has no member {', '.join(unknown)}")
    # Typed as the record's members are (a sprayer from its JSON object, times, enums).
    typed = _RECORD.validate_python({**dataclasses.asdict(current.record), **changes})
    changed = update_vehicle_checked(
        services.engine,
        registration,
        {name: getattr(typed, name) for name in changes},
        expected_updated_at=current.updated_at,
        clock=services.clock,
    )
    response.headers["ETag"] = _tag(changed)
    return changed.record


@router.post("/{registration}/retire", response_model=VehicleRecord, summary="Retire a vehicle")
def retire_vehicle(registration: str, services: ServicesDep, caller: _Crew) -> VehicleRecord:
    """Retire a vehicle: kept with its logs, never flown again."""
    return fleet_store.retire_vehicle(services.engine, registration, clock=services.clock)


@logs_router.get("", response_model=Page[FlightLog], summary="List flight logs")
def list_logs(
    services: ServicesDep,
    caller: _Crew,
    chosen: _Chosen,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Page[FlightLog]:
    """Flight logs in the order flown; dates are flight dates in Japan time."""
    rows = fleet_store.list_flight_logs(services.engine, **chosen.filters())
    return Page(data=rows[offset : offset + limit], count=len(rows), limit=limit, offset=offset)


@logs_router.get(
    ".csv",
    response_class=PlainTextResponse,
    summary="Flight logs as CSV",
    responses={200: {"content": {"text/csv": {}}}},
)
def logs_csv(
    services: ServicesDep,
    caller: _Crew,
    chosen: _Chosen,
) -> Response:
    """The chosen flight logs in the MLIT columns (飛行日誌), UTF-8 with BOM for Excel."""
    sink = io.StringIO()
    fleet_store.export_flight_logs_csv(services.engine, sink, **chosen.filters())
    return Response(
        content=sink.getvalue().encode("utf-8-sig"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="flight-logs.csv"'},
    )


@logs_router.get(
    ".pdf",
    response_class=Response,
    summary="Flight logs as PDF (the MLIT 飛行記録 form)",
    responses={200: {"content": {"application/pdf": {}}}},
)
def logs_pdf(
    services: ServicesDep,
    caller: _Crew,
    chosen: _Chosen,
) -> Response:
    """The chosen flight logs as the MLIT 飛行記録 table (A4 landscape, Japan time), to
    print, sign and keep."""
    sink = io.BytesIO()
    fleet_store.export_flight_logs_pdf(
        services.engine, sink, printed_at=services.clock.now(), **chosen.filters()
    )
    return Response(
        content=sink.getvalue(),
        media_type="application/pdf",
        headers={"Content-Disposition": 'attachment; filename="flight-logs.pdf"'},
    )


@logs_router.get("/{flight_id}", response_model=FlightLog, summary="Read a flight log")
def read_log(flight_id: str, services: ServicesDep, caller: _Crew) -> FlightLog:
    """One flight log."""
    return fleet_store.get_flight_log(services.engine, flight_id)
